/* chain.c — the fast-fail handlers.  See chain.h. */
#include "chain.h"

#include <string.h>
#include <strings.h>

#include "config.h"
#include "session.h"

/* MaxRcptHandler (James: fastfail.MaxRcptHandler): at most maxRcpt
 * recipients per transaction; the extra ones get 452 4.5.3 (RFC 5321
 * §4.5.3.1.10), which a client retries later.  0 means no limit. */
static enum reply_id max_rcpt(struct session *s, const struct chain_entry *e, const struct mailbox *to)
{
	(void)to;
	if (e && e->max_rcpt > 0 && s->txn.nrcpt >= (size_t)e->max_rcpt)
		return RP_TOO_MANY_RCPTS;
	return RP_NONE;
}

/* ValidRcptHandler: local recipients must exist (session.c does the work,
 * since it owns the transaction). */
static enum reply_id valid_rcpt(struct session *s, const struct chain_entry *e, const struct mailbox *to)
{
	(void)e;
	return session_valid_rcpt(s, to);
}

const struct handler_def valid_rcpt_handler = {
	.name = "ValidRcptHandler",
	.on_rcpt = valid_rcpt,
};

static const struct handler_def max_rcpt_handler = {
	.name = "MaxRcptHandler",
	.options = HOPT_MAX_RCPT,
	.on_rcpt = max_rcpt,
};

static const struct handler_def *const handler_defs[] = {
	&valid_rcpt_handler,
	&max_rcpt_handler,
};

const struct handler_def *chain_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(handler_defs) / sizeof(handler_defs[0]); i++)
		if (strcmp(handler_defs[i]->name, name) == 0)
			return handler_defs[i];
	return NULL;
}

const char *chain_names(void)
{
	return "ValidRcptHandler, MaxRcptHandler";
}
