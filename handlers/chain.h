/* chain.h — the handlerchain: what a handler is, seen from the engine.
 *
 * As in James, a listener's handlerchain is an ordered list of named
 * handlers.  A handler is one file in handlers/chain/: a struct handler_def
 * whose first member is its configuration module (config/module.h: name,
 * option table, parse(), free()) and whose other members are the hooks it
 * implements.  It is listed once in config_modules[] (modules.c).  The
 * session calls the chain_run_*() functions at fixed hook points; they run
 * each handler's hook in chain order and stop at the first that names a
 * reply.  Neither config.c nor session.c knows any handler.
 *
 * Relaying-allowed sessions (the client is in authorizedAddresses, or has
 * authenticated) skip every handler unless it sets run_for_relaying — as
 * James' fast-fail handlers do (a handler with James' checkAuthNetworks
 * key sets run_for_relaying and tests chain_relaying() itself).
 */
#ifndef SMTPD_CHAIN_H
#define SMTPD_CHAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "module.h"
#include "reply.h"

struct session;
struct mailbox;

/* What a hook gets. */
struct hook {
	struct session *s;
	const void *settings;	/* what the handler's parse() made for this
				 * chain entry (NULL if it made none) */
	void *state;		/* state_size zeroed bytes for this entry in
				 * this session (NULL if state_size is 0);
				 * lives from connect to close */
};

/* One header field as received (RFC 5322 §2.2): the name before the
 * colon, the value after it with folding CRLFs kept and the final CRLF
 * removed.  Fields longer than CHAIN_HEADER_MAX are cut there (truncated
 * is set; lines and size still count the whole field). */
#define CHAIN_HEADER_MAX 16384
struct header_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	unsigned lines;		/* physical lines */
	size_t size;		/* octets, CRLFs included */
	bool truncated;
};

/* The hooks.  Each returns RP_NONE to let the session go on, or the
 * reply to send (for a reply with its own text, return chain_reply()).
 * A reply from a header, end-of-headers or body hook is latched: the
 * session reads to the end of DATA and sends it then; later content
 * hooks are not called for that message. */
struct handler_def {
	struct config_module conf;	/* place MODULE_CHAIN */
	bool run_for_relaying;		/* see the top of this file */
	size_t state_size;
	/* before the greeting (only authorizedAddresses is known then) */
	enum reply_id (*connect)(struct hook *h);
	enum reply_id (*helo)(struct hook *h, const char *name);
	enum reply_id (*mail)(struct hook *h, const struct mailbox *from);
	/* Every handler before ValidRcptHandler; a 2xx reply accepts the
	 * recipient without adding it to the transaction (a duplicate). */
	enum reply_id (*rcpt)(struct hook *h, const struct mailbox *to);
	/* DATA accepted by the engine, before 354 */
	enum reply_id (*data)(struct hook *h);
	/* The message as it streams in (dot-unstuffed, CRLF lines, without
	 * the Received: line the server adds).  Only called when a handler
	 * of the chain has one of them: content costs nothing otherwise. */
	enum reply_id (*header)(struct hook *h, const struct header_field *f);
	enum reply_id (*eoh)(struct hook *h);
	enum reply_id (*body)(struct hook *h, const char *chunk, size_t len);
	/* the final dot, before the message is committed */
	enum reply_id (*data_end)(struct hook *h);
	/* a command the engine does not know (the verb as sent) */
	enum reply_id (*unknown)(struct hook *h, const char *verb);
	/* the transaction ends: RSET, HELO/EHLO, STARTTLS, after DATA */
	void (*reset)(struct hook *h);
	/* the session ends (always called when connect was) */
	void (*close)(struct hook *h);
};

/* The handler named @name, or NULL (smtpd-config translate). */
const struct handler_def *chain_lookup(const char *name);
/* Names of all handlers, ", "-separated (for messages). */
const char *chain_names(void);
/* The handler a chain entry's module is. */
const struct handler_def *chain_def(const struct config_module *m);

/* ValidRcptHandler is never optional: a receiver must not accept mail it
 * cannot store.  When a chain does not name it, it runs after the named
 * ones. */
extern const struct handler_def valid_rcpt_handler;

/* For hooks. */
bool chain_relaying(const struct hook *h);	/* authorized or authenticated */
bool chain_authenticated(const struct hook *h);
/* For a handler with James' checkAuthNetworks key (run_for_relaying set):
 * whether to skip this session — authenticated clients always, clients
 * in authorizedAddresses unless @check_auth_networks. */
bool chain_skip_relaying(const struct hook *h, bool check_auth_networks);
/* The settings, option table and parse() of a handler whose only option is
 * James' checkAuthNetworks (the HELO handlers, ValidSenderDomainHandler). */
struct check_auth_networks {
	bool check_auth_networks;
};
extern cfg_opt_t chain_check_auth_networks_opts[];
int chain_parse_check_auth_networks(cfg_t *sec, const struct module_ctx *ctx, void **settings_r);
/* Reply @id with its own text: @code and @enh replace the table's when
 * not 0/NULL and must keep its class (a 5xx reply stays 5xx); @fmt is
 * formatted and every control character in it replaced (one reply line,
 * no CR/LF injection).  Returns @id, or RP_STORAGE_FAIL (logged) when the
 * code breaks that rule. */
enum reply_id chain_reply(struct hook *h, enum reply_id id, int code, const char *enh,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A handler that edits the message (MilterHandler) asks, in its data hook,
 * that the message be held (heldmsg.h) instead of streamed into the sinks:
 * the engine writes it there, and after the data_end hooks writes the
 * (edited) message to the sinks.  Returns the held message, or NULL
 * (logged) when it cannot be made; the same one to every caller of a
 * transaction. */
struct held_msg;
struct held_msg *chain_hold(struct hook *h);
/* The held message of this transaction, or NULL. */
struct held_msg *chain_held(const struct session *s);
/* At data_end: take the message (the client gets 250) and store nothing. */
void chain_discard(struct hook *h);

/* ---- for the engine (session.c) ------------------------------------------ */

/* Allocate the per-session state and run the connect hooks; call
 * chain_close() at the end in any case. */
enum reply_id chain_connect(struct session *s);
enum reply_id chain_run_helo(struct session *s, const char *name);
enum reply_id chain_run_mail(struct session *s, const struct mailbox *from);
enum reply_id chain_run_rcpt(struct session *s, const struct mailbox *to);
enum reply_id chain_run_data(struct session *s);
/* Whether chain_run_content() does anything for this session. */
bool chain_wants_content(const struct session *s);
/* Message bytes as decoded (any split); a reply latches (see above). */
void chain_run_content(struct session *s, const char *buf, size_t len);
/* The latched content reply, else the data_end hooks. */
enum reply_id chain_run_data_end(struct session *s);
enum reply_id chain_run_unknown(struct session *s, const char *verb);
void chain_run_reset(struct session *s);
/* Whether a handler discarded the message (chain_discard()). */
bool chain_discarded(const struct session *s);
void chain_close(struct session *s);
/* The text a hook gave to @id with chain_reply(), once: true and *@r
 * filled (valid until the next hook runs), or false. */
struct reply;
bool chain_take_reply(struct session *s, enum reply_id id, struct reply *r);

#endif
