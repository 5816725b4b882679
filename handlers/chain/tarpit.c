/* TarpitHandler (James: fastfail.TarpitHandler, after qmail's tarpit):
 * from the (tarpitRcptCount+1)th RCPT of a transaction on (accepted or
 * not: a dictionary attack is mostly refused recipients), each
 * RCPT is answered only after tarpitSleepTime milliseconds, which slows
 * dictionary attacks down without refusing anyone.  Skipped for
 * relaying-allowed clients. */
#include "chain.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "conn.h"
#include "log.h"
#include "session.h"

struct tarpit {
	long count;
	long sleep_ms;
};

static cfg_opt_t opts[] = {
	CFG_INT("tarpitRcptCount", 5, CFGF_NONE),
	CFG_INT("tarpitSleepTime", 5000, CFGF_NONE),
	CFG_END()
};

/* RFC 5321 §4.5.3.2.3: a client waits 5 minutes for a RCPT reply; stay
 * well below. */
#define TARPIT_SLEEP_MAX 60000

static int parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct tarpit *t;
	long count = cfg_getint(sec, "tarpitRcptCount"), ms = cfg_getint(sec, "tarpitSleepTime");
	int rc = 0;

	(void)ctx;
	if (count <= 0) {
		config_error(sec, "tarpitRcptCount", "handlerchain: TarpitHandler: tarpitRcptCount must be at least 1");
		rc = -EINVAL;
	}
	if (ms <= 0 || ms > TARPIT_SLEEP_MAX) {
		config_error(sec, "tarpitSleepTime", "handlerchain: TarpitHandler: tarpitSleepTime must be 1 to %d milliseconds",
			     TARPIT_SLEEP_MAX);
		rc = -EINVAL;
	}
	if (rc < 0)
		return rc;
	if (!(t = malloc(sizeof(*t))))
		return -ENOMEM;
	t->count = count;
	t->sleep_ms = ms;
	*settings_r = t;
	return 0;
}

static enum reply_id rcpt(struct hook *h, const struct mailbox *to)
{
	const struct tarpit *t = h->settings;
	struct timespec ts = { t->sleep_ms / 1000, (t->sleep_ms % 1000) * 1000000L };

	(void)to;
	if (h->s->txn.rcpt_attempts <= (unsigned long)t->count)
		return RP_NONE;
	/* the replies before this one go out first: the wait is the
	 * client's, not theirs */
	conn_flush(h->s->conn);
	log_msg(LOG_INFO, "tarpit: RCPT %u from [%s] waits %ld ms", h->s->txn.rcpt_attempts, h->s->peer_text,
		t->sleep_ms);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return RP_NONE;
}

const struct handler_def tarpit_handler = {
	.conf = { .name = "TarpitHandler", .place = MODULE_CHAIN, .opts = opts,
		  .parse = parse, .free = free },
	.rcpt = rcpt,
};
