/* EnforceHeaderLimitationsMessageHook (James:
 * smtpserver.EnforceHeaderLimitationsMessageHook): a message whose
 * header section has more than maxLines fields, or more than maxSize
 * KiB, is refused with 552 5.3.4 at the end of DATA, nothing stored.
 * As in James a "line" is a header field (folded lines count once) and
 * 0 or less means the default.  Runs for relaying clients too. */
#include "chain.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "session.h"

struct limits {
	unsigned long max_lines;
	unsigned long max_size;		/* octets */
};

struct counts {
	unsigned long lines, size;
};

static cfg_opt_t opts[] = {
	CFG_INT("maxLines", 500, CFGF_NONE),
	CFG_INT("maxSize", 64, CFGF_NONE),
	CFG_END()
};

static int parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct limits *l;
	long lines = cfg_getint(sec, "maxLines"), size = cfg_getint(sec, "maxSize");

	(void)ctx;
	if (size > 1024L * 1024) {
		config_error(sec, "maxSize", "handlerchain: EnforceHeaderLimitationsMessageHook: maxSize is in KiB: %ld is more than 1 GiB", size);
		return -EINVAL;
	}
	if (!(l = malloc(sizeof(*l))))
		return -ENOMEM;
	l->max_lines = lines > 0 ? (unsigned long)lines : 500;
	l->max_size = (size > 0 ? (unsigned long)size : 64) * 1024;
	*settings_r = l;
	return 0;
}

static enum reply_id data(struct hook *h)
{
	struct counts *c = h->state;

	c->lines = c->size = 0;
	return RP_NONE;
}

static enum reply_id header(struct hook *h, const struct header_field *f)
{
	const struct limits *l = h->settings;
	struct counts *c = h->state;

	c->lines++;
	c->size += f->size;
	if (c->lines > l->max_lines) {
		log_msg(LOG_WARNING, "message from [%s] rejected: more than %lu header fields", h->s->peer_text, l->max_lines);
		return RP_HEADER_LINES;
	}
	if (c->size > l->max_size) {
		log_msg(LOG_WARNING, "message from [%s] rejected: header section over %lu octets", h->s->peer_text, l->max_size);
		return RP_HEADER_SIZE;
	}
	return RP_NONE;
}

const struct handler_def header_limits_handler = {
	.conf = { .name = "EnforceHeaderLimitationsMessageHook", .place = MODULE_CHAIN, .opts = opts,
		  .parse = parse, .free = free },
	.run_for_relaying = true,
	.state_size = sizeof(struct counts),
	.data = data,
	.header = header,
};
