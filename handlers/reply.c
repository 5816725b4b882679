/* reply.c — the reply table.  See reply.h. */
#include "reply.h"

#include <stddef.h>

#define RP(id, c, e, t) [id] = { .code = (c), .enh = (e), .text = (t) }

const struct reply reply_table[RP__COUNT] = {
	RP(RP_NONE, 0, NULL, ""),
	RP(RP_CONFIG_ERROR, 421, "4.3.0", "Service not available: configuration error, closing connection"),
	RP(RP_GREETING, 220, NULL, "ESMTP"),
	RP(RP_HELO_NOARG, 501, "5.5.4", "Syntax: HELO/EHLO needs a domain or address literal"),
	RP(RP_HELO_BAD, 501, "5.5.2", "Invalid domain name or address literal"),
	RP(RP_NEED_HELO, 503, "5.5.1", "Send HELO or EHLO first"),
	RP(RP_NESTED_MAIL, 503, "5.5.1", "Nested MAIL command"),
	RP(RP_NEED_MAIL, 503, "5.5.1", "Need MAIL command first"),
	RP(RP_NEED_RCPT, 503, "5.5.1", "Need RCPT before DATA"),
	RP(RP_NO_VALID_RCPT, 554, "5.5.1", "No valid recipients"),
	RP(RP_NO_BRACKETS, 501, "5.5.2", "Address must be enclosed in angle brackets"),
	RP(RP_MAIL_SYNTAX, 501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]"),
	RP(RP_RCPT_SYNTAX, 501, "5.5.4", "Syntax: RCPT TO:<address> [parameters]"),
	RP(RP_BAD_SENDER, 501, "5.1.7", "Bad sender address syntax"),
	RP(RP_BAD_RECIPIENT, 501, "5.1.3", "Bad recipient address syntax"),
	RP(RP_PATH_TOO_LONG, 501, "5.5.2", "Path too long"),
	RP(RP_PARAM_UNKNOWN, 555, "5.5.4", "Unsupported parameter"),
	RP(RP_PARAM_BAD, 501, "5.5.4", "Invalid parameter value"),
	RP(RP_UTF8_REQUIRED, 553, "5.6.7", "Non-ASCII address requires SMTPUTF8"),
	RP(RP_ARG_SYNTAX, 501, "5.5.4", "Syntax error in parameters or arguments"),
	RP(RP_UNKNOWN_CMD, 500, "5.5.1", "Command unrecognized"),
	RP(RP_NOT_IMPLEMENTED, 502, "5.5.1", "Command not implemented"),
	RP(RP_LINE_TOO_LONG, 500, "5.5.2", "Line too long"),
	RP(RP_NUL_IN_COMMAND, 500, "5.5.2", "NUL character in command line"),
	RP(RP_TIMEOUT, 421, "4.4.2", "Timeout exceeded, closing connection"),
	/* the session's own lifetime (conn_set_lifetime) */
	RP(RP_LIFETIME, 421, "4.4.2", "Session lasted too long, closing connection"),
	RP(RP_TOO_MANY_ERRORS, 421, "4.7.0", "Too many errors, closing connection"),
	RP(RP_VRFY, 252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"),
	RP(RP_HELP, 214, "2.0.0", "See RFC 5321; commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"),
	RP(RP_OK, 250, "2.0.0", "OK"),
	RP(RP_RSET, 250, "2.0.0", "Flushed"),
	RP(RP_QUIT, 221, "2.0.0", "Bye"),
	RP(RP_MAIL_OK, 250, "2.1.0", "Sender OK"),
	RP(RP_RCPT_OK, 250, "2.1.5", "Recipient OK"),
	RP(RP_SIZE_EXCEEDED, 552, "5.3.4", "Message size exceeds fixed maximum message size"),
	RP(RP_UNKNOWN_USER, 550, "5.1.1", "Mailbox unavailable: no such user here"),
	RP(RP_RELAY_DENIED, 550, "5.7.1", "Relaying denied"),
	RP(RP_RELAY_AUTH, 530, "5.7.0", "Authentication required"),
	RP(RP_TOO_MANY_RCPTS, 452, "4.5.3", "Too many recipients"),
	RP(RP_DATA_GO, 354, NULL, "End data with <CR><LF>.<CR><LF>"),
	RP(RP_BARE_EOL, 521, "5.5.2", "Bare CR or LF in message data, closing connection"),
	RP(RP_LOOP, 554, "5.4.6", "Too many Received headers: mail loop detected"),
	RP(RP_NUL_IN_DATA, 554, "5.6.0", "NUL character in message text not accepted"),
	RP(RP_QUEUED, 250, "2.0.0", "OK: queued"),
	RP(RP_STORAGE_FAIL, 451, "4.3.0", "Temporary local problem, try again later"),
	RP(RP_NO_SPACE, 452, "4.3.1", "Insufficient system storage"),
	RP(RP_MAILBOX_FULL, 452, "4.2.2", "Mailbox full"),
	RP(RP_SHUTDOWN, 421, "4.3.2", "Service shutting down, closing connection"),
	RP(RP_STARTTLS_GO, 220, "2.0.0", "Ready to start TLS"),
	RP(RP_STARTTLS_PIPELINED, 554, "5.5.1", "Commands pipelined after STARTTLS, closing connection"),
	RP(RP_TLS_REQUIRED, 530, "5.7.0", "Must issue a STARTTLS command first"),
	RP(RP_TLS_UNAVAILABLE, 454, "4.7.0", "TLS not available due to temporary reason"),
	RP(RP_TLS_ACTIVE, 503, "5.5.1", "TLS already active"),
	RP(RP_AUTH_OK, 235, "2.7.0", "Authentication successful"),
	RP(RP_AUTH_FAILED, 535, "5.7.8", "Authentication credentials invalid"),
	RP(RP_AUTH_MECH, 504, "5.5.4", "Unrecognized authentication mechanism"),
	RP(RP_AUTH_CANCELLED, 501, "5.7.0", "Authentication cancelled"),
	RP(RP_AUTH_BASE64, 501, "5.5.2", "Invalid base64 data"),
	RP(RP_AUTH_ALREADY, 503, "5.5.1", "Already authenticated"),
	RP(RP_AUTH_NEEDS_TLS, 538, "5.7.11", "Encryption required for requested authentication mechanism"),
	RP(RP_AUTH_TOO_MANY, 421, "4.7.0", "Too many authentication failures, closing connection"),
	RP(RP_AUTH_LINE_TOO_LONG, 500, "5.5.6", "Authentication exchange line is too long"),
	/* RFC 4616 §2: authzid, authcid and passwd are at most 255 octets
	 * each; a protocol error, not a failed login (SASL_FIELD_MAX) */
	RP(RP_AUTH_FIELD_TOO_LONG, 501, "5.5.2", "Authentication field longer than 255 octets"),
	RP(RP_AUTH_IN_TXN, 503, "5.5.1", "AUTH not allowed during a mail transaction"),
	RP(RP_SENDER_NOT_OWNED, 503, "5.7.1", "Sender address not owned by authenticated user"),
	RP(RP_LMTP_NO_HELO, 500, "5.5.1", "This is LMTP: use LHLO"),
	RP(RP_NEED_LHLO, 503, "5.5.1", "Send LHLO first"),
	/* handlers: texts with %s-like parts are completed by the handler
	 * (chain_reply()); smtpd.conf(5) lists them as sent */
	RP(RP_RBL_CONNECT, 521, "5.7.1", "Service unavailable; client blocked by a DNS blocklist"),
	RP(RP_RBL_REJECT, 554, "5.7.1", "Rejected: unauthenticated e-mail from this address is restricted.  Contact the postmaster for details."),
	RP(RP_HELO_UNRESOLVABLE, 501, "5.5.4", "Provided EHLO/HELO can not be resolved"),
	RP(RP_HELO_NOT_REVERSE, 501, "5.5.4", "Provided EHLO/HELO does not match the reverse DNS of the client"),
	RP(RP_SENDER_DOMAIN, 501, "5.1.7", "Sender contains a domain with no valid MX records"),
	RP(RP_UNKNOWN_CMD_LIMIT, 521, "5.5.1", "Closing connection as too many unknown commands received"),
	RP(RP_DUPLICATE_RCPT, 250, "2.1.5", "Recipient OK (duplicate ignored)"),
	RP(RP_HEADER_LINES, 552, "5.3.4", "Header Lines are too many"),
	RP(RP_HEADER_SIZE, 552, "5.3.4", "Header size is too large"),
	RP(RP_MILTER_REJECT, 550, "5.7.1", "Command rejected"),
	RP(RP_MILTER_TEMPFAIL, 451, "4.7.1", "Service unavailable - try again later"),
	RP(RP_MILTER_SHUTDOWN, 421, "4.7.0", "Service unavailable, closing connection"),
};

const struct reply *reply_get(enum reply_id id)
{
	if ((unsigned)id >= RP__COUNT)
		id = RP_STORAGE_FAIL;
	return &reply_table[id];
}

bool reply_closes(enum reply_id id)
{
	int code = reply_get(id)->code;

	return code == 421 || code == 221 || code == 521
		|| id == RP_STARTTLS_PIPELINED;
}
