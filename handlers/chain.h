/* chain.h — the handlerchain: fast-fail handlers run at fixed hook points.
 *
 * As in James, a listener's handlerchain is an ordered list of named
 * handlers.  Each handler implements any of the hooks; the session runs
 * every handler's hook in chain order and stops at the first that names a
 * reply.  New handlers (DNSRBL, SPF, HELO checks, tarpit, header limits)
 * are one entry in handler_defs[] and do not touch the engine.
 */
#ifndef SMTPD_CHAIN_H
#define SMTPD_CHAIN_H

#include <stdbool.h>

#include "reply.h"

struct session;
struct mailbox;
struct chain_entry;

enum hook_point { HOOK_CONNECT, HOOK_HELO, HOOK_MAIL, HOOK_RCPT, HOOK_DATA_END };

/* Option bits: which handlerchain options a handler takes. */
enum { HOPT_MAX_RCPT = 1 };

struct handler_def {
	const char *name;
	unsigned options;	/* HOPT_* it accepts */
	enum reply_id (*on_connect)(struct session *s, const struct chain_entry *e);
	enum reply_id (*on_helo)(struct session *s, const struct chain_entry *e, const char *name);
	enum reply_id (*on_mail)(struct session *s, const struct chain_entry *e, const struct mailbox *from);
	enum reply_id (*on_rcpt)(struct session *s, const struct chain_entry *e, const struct mailbox *to);
	enum reply_id (*on_data_end)(struct session *s, const struct chain_entry *e);
};

/* The handler called @name, or NULL. */
const struct handler_def *chain_lookup(const char *name);
/* Names of all handlers, NULL-terminated (for messages). */
const char *chain_names(void);

/* Hooks for RCPT: the engine's recipient validation is ValidRcptHandler;
 * when a chain does not name it, it runs after the named ones. */
extern const struct handler_def valid_rcpt_handler;

#endif
