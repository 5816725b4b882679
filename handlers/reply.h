/* reply.h — every reply the server sends, in one table.
 *
 * Handlers name a reply; the session loop sends it.  Codes are the contract
 * (conformance.md); texts are ours but tests compare them, so keep them
 * stable.  Enhanced status codes: RFC 3463, sent once ENHANCEDSTATUSCODES
 * (RFC 2034) is in force — we send them always, as Postfix does.
 */
#ifndef SMTPD_REPLY_H
#define SMTPD_REPLY_H

#include <stdbool.h>

enum reply_id {
	RP_NONE = 0,		/* no reply: the handler sent its own */
	RP_CONFIG_ERROR,
	RP_GREETING,		/* 220 <name> <text>: text filled in */
	RP_HELO_NOARG,
	RP_HELO_BAD,
	RP_NEED_HELO,
	RP_NESTED_MAIL,
	RP_NEED_MAIL,
	RP_NEED_RCPT,
	RP_NO_VALID_RCPT,
	RP_NO_BRACKETS,
	RP_MAIL_SYNTAX,
	RP_RCPT_SYNTAX,
	RP_BAD_SENDER,
	RP_BAD_RECIPIENT,
	RP_PATH_TOO_LONG,
	RP_PARAM_UNKNOWN,
	RP_PARAM_BAD,
	RP_UTF8_REQUIRED,
	RP_ARG_SYNTAX,
	RP_UNKNOWN_CMD,
	RP_NOT_IMPLEMENTED,
	RP_LINE_TOO_LONG,
	RP_NUL_IN_COMMAND,
	RP_TIMEOUT,
	RP_LIFETIME,
	RP_TOO_MANY_ERRORS,
	RP_VRFY,
	RP_HELP,
	RP_OK,
	RP_RSET,
	RP_QUIT,
	RP_MAIL_OK,
	RP_RCPT_OK,
	RP_SIZE_EXCEEDED,
	RP_UNKNOWN_USER,
	RP_RELAY_DENIED,
	RP_RELAY_AUTH,
	RP_TOO_MANY_RCPTS,
	RP_DATA_GO,
	RP_BARE_EOL,
	RP_LOOP,
	RP_NUL_IN_DATA,
	RP_QUEUED,
	RP_STORAGE_FAIL,
	RP_NO_SPACE,
	RP_MAILBOX_FULL,
	RP_SHUTDOWN,
	RP_STARTTLS_GO,
	RP_STARTTLS_PIPELINED,
	RP_TLS_REQUIRED,
	RP_TLS_UNAVAILABLE,
	RP_TLS_ACTIVE,
	RP_AUTH_OK,
	RP_AUTH_FAILED,
	RP_AUTH_MECH,
	RP_AUTH_CANCELLED,
	RP_AUTH_BASE64,
	RP_AUTH_ALREADY,
	RP_AUTH_NEEDS_TLS,
	RP_AUTH_TOO_MANY,
	RP_AUTH_LINE_TOO_LONG,
	RP_AUTH_FIELD_TOO_LONG,
	RP_AUTH_IN_TXN,
	RP_SENDER_NOT_OWNED,
	RP_LMTP_NO_HELO,
	RP_NEED_LHLO,
	/* handlerchain handlers (handlers/chain/, smtpd.conf(5)) */
	RP_RBL_CONNECT,
	RP_RBL_REJECT,
	RP_HELO_UNRESOLVABLE,
	RP_HELO_NOT_REVERSE,
	RP_SENDER_DOMAIN,
	RP_UNKNOWN_CMD_LIMIT,
	RP_DUPLICATE_RCPT,
	RP_HEADER_LINES,
	RP_HEADER_SIZE,
	/* MilterHandler: a filter's verdict without a text of its own
	 * (Postfix's texts), or its default action */
	RP_MILTER_REJECT,
	RP_MILTER_TEMPFAIL,
	RP_MILTER_SHUTDOWN,
	RP__COUNT
};

struct reply {
	short code;		/* 2xx..5xx */
	const char *enh;	/* "x.y.z", or NULL for 220 greeting, 334, 354 */
	const char *text;
};

extern const struct reply reply_table[RP__COUNT];

/* The table entry for @id (never NULL for a valid id). */
const struct reply *reply_get(enum reply_id id);

/* Whether the code closes the connection after it is sent (421, 221,
 * 521: RFC 7504). */
bool reply_closes(enum reply_id id);

#endif
