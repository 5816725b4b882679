/* milter.h — the milter client: one filter connection for one SMTP
 * session (as Postfix's smtpd_milters), events in SMTP order, every wait
 * bounded.
 *
 * The session opens the connection when the SMTP client connects, sends
 * each event (connect, HELO, MAIL, RCPT, DATA, the message, abort at the
 * end of a transaction or RSET, quit) and turns the filter's answer into a
 * verdict.  A filter that cannot be reached, breaks the protocol, asks for
 * an action it was not offered or does not answer in time is "broken":
 * it is dropped for the rest of the session and every event it would
 * have seen gets the configured default action instead.
 *
 * The message goes to the filter at the end of DATA from the held message
 * (heldmsg.h), filter after filter, each seeing the header edits of the
 * ones before it — as Postfix's cleanup server does it; its edits are
 * applied only when it accepts the message.
 */
#ifndef SMTPD_MILTER_H
#define SMTPD_MILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "milter-proto.h"

struct held_msg;

enum milter_default { MILTER_ACCEPT, MILTER_REJECT, MILTER_TEMPFAIL, MILTER_SHUTDOWN };

struct milter_settings {
	char *socket;			/* as configured, for logs */
	struct sockaddr_storage addr;	/* unix: path, inet: address */
	socklen_t addrlen;
	int connect_timeout_ms;
	int command_timeout_ms;
	int content_timeout_ms;
	enum milter_default default_action;
	/* the macro names to send at each stage, space-separated ("" none) */
	char *macros[SMFIM__COUNT];
};

/* "unix:/path" or "inet:HOST:PORT" ("inet:[::1]:PORT" for IPv6), HOST a
 * literal address, or a name when @resolve.  Returns NULL, or the reason
 * it is not valid. */
const char *milter_parse_socket(const char *spec, bool resolve, struct sockaddr_storage *addr,
				socklen_t *len);

/* The macros milter knows and the stages they are sent at (Postfix's
 * milter_*_macros).  Returns a mask of (1 << SMFIM_*), 0 for an unknown
 * name. */
unsigned milter_macro_stages(const char *name);
/* Every known name, space-separated (the default of `macros`, and for
 * messages). */
const char *milter_macro_names(void);

/* Macro values come from the session: the value of @name, or NULL when
 * it has none (then it is not sent). */
typedef const char *milter_macro_fn(void *ctx, const char *name, char *buf, size_t size);

enum milter_verdict_kind {
	MV_CONTINUE,		/* go on */
	MV_ACCEPT,		/* accepted: no more events (message or session) */
	MV_REJECT,		/* 5xx */
	MV_TEMPFAIL,		/* 4xx */
	MV_DISCARD,		/* 250, deliver nothing */
	MV_SHUTDOWN,		/* 421 and close the session */
};

struct milter_verdict {
	enum milter_verdict_kind kind;
	int code;		/* the filter's own code (SMFIR_REPLYCODE), else 0 */
	char enh[16];		/* its enhanced code, "" when none */
	char text[512];		/* its text (lines joined by "; "), "" when none */
	bool broken;		/* this is the default action of a broken filter */
};

struct milter;

/* Connect and negotiate.  Never fails: on error the filter is broken and
 * its events get the default action (*@m_r is still set; NULL only when
 * memory is short). */
struct milter *milter_open(const struct milter_settings *set, const char *session_id,
			   milter_macro_fn *macro, void *ctx);
/* SMFIC_CONNECT: @host is the client's name ("[addr]" without one),
 * @family AF_INET/AF_INET6/AF_UNSPEC, @addr its text, @port. */
void milter_connect(struct milter *m, const char *host, int family, const char *addr,
		    uint16_t port, struct milter_verdict *v);
void milter_helo(struct milter *m, const char *name, struct milter_verdict *v);
/* @args: "<sender>" then ESMTP parameters, NULL-terminated. */
void milter_mail(struct milter *m, const char *const *args, struct milter_verdict *v);
void milter_rcpt(struct milter *m, const char *const *args, struct milter_verdict *v);
void milter_data(struct milter *m, struct milter_verdict *v);
/* The header, end of header, body and end of message, from @msg; header
 * edits applied to @msg when the filter does not refuse the message. */
void milter_message(struct milter *m, struct held_msg *msg, struct milter_verdict *v);
/* The transaction ends (RSET, HELO, after DATA): SMFIC_ABORT. */
void milter_abort(struct milter *m);
/* SMFIC_QUIT, close, free.  NULL-safe. */
void milter_close(struct milter *m);

/* Whether the filter still wants events of this transaction (for the
 * session: hold the message only when some filter does). */
bool milter_wants_message(const struct milter *m);

#endif
