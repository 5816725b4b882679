/* MaxUnknownCmdHandler (James: fastfail.MaxUnknownCmdHandler): after
 * more than maxUnknownCmdCount unknown commands in a session the client
 * gets 521 and the connection is closed (RFC 7504).  James counts per
 * transaction; a client that never starts one would never be counted,
 * so this counts per session.  Runs for relaying clients too, as in
 * James. */
#include "chain.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "session.h"

struct max_unknown {
	long max;
};

static cfg_opt_t opts[] = {
	CFG_INT("maxUnknownCmdCount", 5, CFGF_NONE),
	CFG_END()
};

static int parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct max_unknown *m;
	long v = cfg_getint(sec, "maxUnknownCmdCount");

	(void)ctx;
	if (v < 0) {
		config_error(sec, "maxUnknownCmdCount", "handlerchain: MaxUnknownCmdHandler: maxUnknownCmdCount must not be negative");
		return -EINVAL;
	}
	if (!(m = malloc(sizeof(*m))))
		return -ENOMEM;
	m->max = v;
	*settings_r = m;
	return 0;
}

static enum reply_id unknown(struct hook *h, const char *verb)
{
	const struct max_unknown *m = h->settings;
	unsigned *count = h->state;

	(void)verb;
	if (++*count <= (unsigned long)m->max)
		return RP_NONE;
	log_msg(LOG_WARNING, "too many unknown commands (%u) from [%s], closing", *count, h->s->peer_text);
	return RP_UNKNOWN_CMD_LIMIT;
}

const struct handler_def max_unknown_cmd_handler = {
	.conf = { .name = "MaxUnknownCmdHandler", .place = MODULE_CHAIN, .opts = opts,
		  .parse = parse, .free = free },
	.run_for_relaying = true,
	.state_size = sizeof(unsigned),
	.unknown = unknown,
};
