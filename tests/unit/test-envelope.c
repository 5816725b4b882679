/* test-envelope.c — the envelope of an outgoing spool file
 * (relay/envelope.h), fed whole, one byte at a time and split in two at
 * every offset. */
#include "envelope.h"

#include <string.h>

#include "tap.h"
#include "testutil.h"

struct ecase {
	const char *name, *in;
	enum env_result want;
	const char *sender;
	size_t nrcpt;
	const char *rcpt0, *domain0;
	unsigned notify0;
	const char *envid;
	int ret;
	bool body8, utf8;
};

static const struct ecase cases[] = {
	{ "plain", "MAIL FROM:<s@a.example>\r\nRCPT TO:<r@b.example>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
	  ENV_DONE, "s@a.example", 1, "r@b.example", "b.example", 0, "", 0, false, false },
	{ "null sender, two rcpts, params",
	  "MAIL FROM:<> BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=a+2Bb\r\n"
	  "RCPT TO:<r@B.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;r@b.example\r\nRCPT TO:<q@c.example>\r\nDATA\r\n",
	  ENV_DONE, "", 2, "r@b.example", "b.example", DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE, "a+b", DSN_RET_HDRS,
	  true, true },
	{ "literal domain", "MAIL FROM:<s@a>\r\nRCPT TO:<r@[127.0.0.2]>\r\nDATA\r\n",
	  ENV_DONE, "s@a", 1, "r@[127.0.0.2]", "[127.0.0.2]", 0, "", 0, false, false },
	{ "no DATA yet", "MAIL FROM:<s@a>\r\nRCPT TO:<r@b>\r\n", ENV_MORE, NULL, 0, NULL, NULL, 0, NULL, 0, false, false },
	{ "DATA without RCPT", "MAIL FROM:<s@a>\r\nDATA\r\n", ENV_BAD, NULL, 0, NULL, NULL, 0, NULL, 0, false, false },
	{ "RCPT first", "RCPT TO:<r@b>\r\nMAIL FROM:<s@a>\r\n", ENV_BAD, NULL, 0, NULL, NULL, 0, NULL, 0, false, false },
	{ "two MAIL", "MAIL FROM:<s@a>\r\nMAIL FROM:<s@a>\r\n", ENV_BAD, NULL, 0, NULL, NULL, 0, NULL, 0, false, false },
	{ "bad NOTIFY", "MAIL FROM:<s@a>\r\nRCPT TO:<r@b> NOTIFY=SOMETIMES\r\nDATA\r\n", ENV_BAD, NULL, 0, NULL, NULL, 0,
	  NULL, 0, false, false },
	{ "unknown parameter", "MAIL FROM:<s@a> FOO=1\r\nRCPT TO:<r@b>\r\nDATA\r\n", ENV_BAD, NULL, 0, NULL, NULL, 0,
	  NULL, 0, false, false },
	{ "bare postmaster", "MAIL FROM:<s@a>\r\nRCPT TO:<postmaster>\r\nDATA\r\n", ENV_BAD, NULL, 0, NULL, NULL, 0,
	  NULL, 0, false, false },
	{ "garbage", "HELLO\r\n", ENV_BAD, NULL, 0, NULL, NULL, 0, NULL, 0, false, false },
};

/* feed in pieces: @chunk octets, or two pieces split at @split */
static enum env_result run(const char *in, size_t chunk, size_t split, struct envelope_file *e, size_t *taken_r)
{
	size_t n = strlen(in), off = 0;
	enum env_result r = ENV_MORE;

	envelope_init(e);
	while (off < n && r == ENV_MORE) {
		size_t len = split != (size_t)-1 ? (off < split ? split - off : n - off)
						 : (n - off < chunk ? n - off : chunk), used;

		r = envelope_feed(e, in + off, len, &used);
		off += used;
	}
	*taken_r = off;
	return r;
}

static bool check(const struct ecase *c, struct envelope_file *e, enum env_result r, size_t taken)
{
	if (r != c->want)
		return false;
	if (r != ENV_DONE)
		return true;
	if (strcmp(e->sender, c->sender) || e->nrcpt != c->nrcpt || strcmp(e->rcpt[0].addr, c->rcpt0)
	    || strcmp(e->rcpt[0].domain, c->domain0) || e->rcpt[0].dsn.notify != c->notify0
	    || strcmp(e->dsn.envid, c->envid) || (int)e->dsn.ret != c->ret || e->body8 != c->body8
	    || e->smtputf8 != c->utf8)
		return false;
	/* the message starts right after "DATA\r\n" */
	return e->body_off == taken && memcmp(c->in + taken - 6, "DATA\r\n", 6) == 0;
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ecase *c = &cases[i];
		struct envelope_file e;
		size_t n = strlen(c->in), taken;
		unsigned bad = 0;
		enum env_result r;

		r = run(c->in, n, (size_t)-1, &e, &taken);
		ok(check(c, &e, r, taken), "%s: whole", c->name);
		envelope_free(&e);
		r = run(c->in, 1, (size_t)-1, &e, &taken);
		ok(check(c, &e, r, taken), "%s: one byte at a time", c->name);
		envelope_free(&e);
		for (size_t k = 0; k <= n; k++) {
			r = run(c->in, 0, k, &e, &taken);
			bad += !check(c, &e, r, taken);
			envelope_free(&e);
		}
		ok(bad == 0, "%s: split in two at each of %zu offsets", c->name, n + 1);
	}
	return done();
}
