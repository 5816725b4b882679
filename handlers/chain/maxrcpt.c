/* MaxRcptHandler (James: fastfail.MaxRcptHandler): at most maxRcpt
 * recipients per transaction; the extra ones get 452 4.5.3 (RFC 5321
 * §4.5.3.1.10), which a client retries in another transaction.  0 means
 * no limit.  It counts for relaying clients too, as in James. */
#include "chain.h"

#include <errno.h>
#include <stdlib.h>

#include "session.h"

struct max_rcpt {
	long max;
};

static cfg_opt_t opts[] = {
	CFG_INT("maxRcpt", 0, CFGF_NODEFAULT),
	CFG_END()
};

static int parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct max_rcpt *m;
	long v = cfg_size(sec, "maxRcpt") ? cfg_getint(sec, "maxRcpt") : 0;

	(void)ctx;
	if (v < 0) {
		config_error(sec, "maxRcpt", "handlerchain: MaxRcptHandler: maxRcpt must not be negative");
		return -EINVAL;
	}
	if (v > 0 && v < 100)
		config_warn(sec, "maxRcpt", "handlerchain: MaxRcptHandler: maxRcpt = %ld is below the 100 recipients RFC 5321 section 4.5.3.1.8 asks servers to accept",
			    v);
	if (!(m = malloc(sizeof(*m))))
		return -ENOMEM;
	m->max = v;
	*settings_r = m;
	return 0;
}

static enum reply_id rcpt(struct hook *h, const struct mailbox *to)
{
	const struct max_rcpt *m = h->settings;

	(void)to;
	if (m && m->max > 0 && h->s->txn.nrcpt >= (size_t)m->max)
		return RP_TOO_MANY_RCPTS;
	return RP_NONE;
}

const struct handler_def max_rcpt_handler = {
	.conf = { .name = "MaxRcptHandler", .place = MODULE_CHAIN, .opts = opts,
		  .parse = parse, .free = free },
	.run_for_relaying = true,
	.rcpt = rcpt,
};
