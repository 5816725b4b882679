/* test-smtp-reply.c — SMTP replies as smtpd-relay reads them
 * (relay/client.h): RFC 5321 §4.2 multi-line replies, RFC 3463 enhanced
 * codes, EHLO keywords; fed whole, one byte at a time, split at every
 * offset. */
#include "client.h"

#include <string.h>

#include "tap.h"
#include "testutil.h"

struct rcase {
	const char *name, *in;
	enum reply_result want;
	int code;
	const char *enh, *text;
	unsigned ext;
};

static const struct rcase cases[] = {
	{ "simple", "250 OK\r\n", REPLY_DONE, 250, "", "OK", 0 },
	{ "enhanced", "550 5.1.1 no such user\r\n", REPLY_DONE, 550, "5.1.1", "no such user", 0 },
	{ "enhanced class mismatch is text", "550 4.1.1 odd\r\n", REPLY_DONE, 550, "", "4.1.1 odd", 0 },
	{ "code only", "354\r\n", REPLY_DONE, 354, "", "", 0 },
	{ "bare LF", "221 bye\n", REPLY_DONE, 221, "", "bye", 0 },
	{ "multi-line", "451-4.7.1 greylisted\r\n451-4.7.1 come back\r\n451 4.7.1 later\r\n", REPLY_DONE, 451,
	  "4.7.1", "greylisted come back later", 0 },
	{ "EHLO", "250-mx.example Hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
	  "250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n250-DSN\r\n250 SMTPUTF8\r\n", REPLY_DONE, 250, "",
	  "mx.example Hello PIPELINING SIZE 1000 8BITMIME AUTH PLAIN LOGIN STARTTLS DSN SMTPUTF8",
	  EXT_PIPELINING | EXT_SIZE | EXT_8BITMIME | EXT_AUTH | EXT_STARTTLS | EXT_DSN | EXT_SMTPUTF8 },
	{ "EHLO, old AUTH=", "250-x\r\n250 AUTH=LOGIN\r\n", REPLY_DONE, 250, "", "x AUTH=LOGIN", EXT_AUTH },
	{ "unfinished", "250-a\r\n250-b\r\n", REPLY_MORE, 250, "", NULL, 0 },
	{ "codes differ", "250-a\r\n251 b\r\n", REPLY_BAD, 0, NULL, NULL, 0 },
	{ "not a code", "hello\r\n", REPLY_BAD, 0, NULL, NULL, 0 },
	{ "1xx", "199 x\r\n", REPLY_BAD, 0, NULL, NULL, 0 },
	{ "no separator", "250x\r\n", REPLY_BAD, 0, NULL, NULL, 0 },
};

static enum reply_result run(const char *in, size_t chunk, size_t split, struct smtp_reply *r)
{
	size_t n = strlen(in), off = 0;
	enum reply_result res = REPLY_MORE;

	memset(r, 0, sizeof(*r));
	smtp_reply_init(r);
	while (off < n && res == REPLY_MORE) {
		size_t len = split != (size_t)-1 ? (off < split ? split - off : n - off)
						 : (n - off < chunk ? n - off : chunk), used;

		res = smtp_reply_feed(r, in + off, len, &used);
		off += used;
	}
	return res;
}

static bool check(const struct rcase *c, const struct smtp_reply *r, enum reply_result res)
{
	if (res != c->want)
		return false;
	if (res != REPLY_DONE)
		return true;
	return r->code == c->code && strcmp(r->enh, c->enh) == 0 && strcmp(r->text, c->text) == 0
		&& r->ext == c->ext;
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct rcase *c = &cases[i];
		struct smtp_reply r;
		size_t n = strlen(c->in);
		unsigned bad = 0;
		enum reply_result res;

		res = run(c->in, n, (size_t)-1, &r);
		if (!ok(check(c, &r, res), "%s: whole", c->name))
			diag("  result %d code %d enh '%s' text '%s' ext %u", res, r.code, r.enh, r.text, r.ext);
		res = run(c->in, 1, (size_t)-1, &r);
		ok(check(c, &r, res), "%s: one byte at a time", c->name);
		for (size_t k = 0; k <= n; k++) {
			res = run(c->in, 0, k, &r);
			bad += !check(c, &r, res);
		}
		ok(bad == 0, "%s: split in two at each of %zu offsets", c->name, n + 1);
	}
	return done();
}
