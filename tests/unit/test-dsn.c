/* test-dsn.c — RFC 3461 xtext and DSN parameters (handlers/dsn.h).
 * The xtext decoder is fed each case whole, one byte at a time and split
 * in two at every offset.
 */
#include "dsn.h"

#include <string.h>

#include "tap.h"
#include "testutil.h"

struct xcase {
	const char *in;
	const char *want;	/* NULL: bad */
	size_t size;		/* output buffer, 0 = 128 */
};

static const struct xcase xcases[] = {
	{ "", "", 0 },
	{ "abc", "abc", 0 },
	{ "a+2Bb", "a+b", 0 },
	{ "a+3Db", "a=b", 0 },
	{ "+20", " ", 0 },
	{ "!~", "!~", 0 },
	{ "user@example.org", "user@example.org", 0 },
	{ "+41+42+43", "ABC", 0 },
	{ "a=b", NULL, 0 },		/* '=' is not an xchar */
	{ "a b", NULL, 0 },		/* SP is not an xchar */
	{ "a+2b", NULL, 0 },		/* lower-case hex */
	{ "a+2", NULL, 0 },		/* truncated hexchar */
	{ "a+", NULL, 0 },
	{ "+G0", NULL, 0 },
	{ "+0D+0A", NULL, 0 },		/* CR LF: not printable */
	{ "+00", NULL, 0 },		/* NUL */
	{ "+1B", NULL, 0 },		/* ESC */
	{ "+7F", NULL, 0 },		/* DEL */
	{ "+C3+A9", NULL, 0 },		/* 8-bit */
	{ "\xc3\xa9", NULL, 0 },	/* raw 8-bit */
	{ "a\tb", NULL, 0 },
	{ "abc", "abc", 4 },		/* just fits */
	{ "abcd", NULL, 4 },		/* too long for the buffer: bad */
	{ "+41+42+43+44", NULL, 4 },
};

static bool run(const struct xcase *c, size_t chunk, size_t split, char *out, size_t size)
{
	struct xtext_decoder d;
	size_t n = strlen(c->in);
	bool good = true;

	xtext_init(&d, out, size);
	if (split != (size_t)-1) {
		good = xtext_feed(&d, c->in, split);
		good = xtext_feed(&d, c->in + split, n - split) && good;
	} else {
		for (size_t i = 0; i < n; i += chunk)
			good = xtext_feed(&d, c->in + i, n - i < chunk ? n - i : chunk) && good;
	}
	return xtext_finish(&d) && good;
}

static void test_xtext(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(xcases); i++) {
		const struct xcase *c = &xcases[i];
		size_t size = c->size ? c->size : 128, n = strlen(c->in);
		bool want_ok = c->want != NULL;
		char out[128];
		unsigned bad = 0;
		bool r;

		r = run(c, n ? n : 1, (size_t)-1, out, size);
		ok(r == want_ok, "xtext '%s': whole %s", c->in, want_ok ? "good" : "bad");
		if (want_ok)
			is_str(out, c->want, "xtext '%s': decoded", c->in);
		r = run(c, 1, (size_t)-1, out, size);
		ok(r == want_ok && (!want_ok || strcmp(out, c->want) == 0), "xtext '%s': one byte at a time", c->in);
		for (size_t k = 0; k <= n; k++) {
			r = run(c, 0, k, out, size);
			if (r != want_ok || (want_ok && strcmp(out, c->want) != 0))
				bad++;
		}
		ok(bad == 0, "xtext '%s': split in two at each of %zu offsets", c->in, n + 1);
	}
}

static void test_encode(void)
{
	static const char *const in[] = { "", "a+b=c", "plain@example.org", " ~!", "x+y" };
	static const char *const want[] = { "", "a+2Bb+3Dc", "plain@example.org", "+20~!", "x+2By" };
	char out[64], back[64];

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		ok(xtext_encode(in[i], out, sizeof(out)), "encode '%s'", in[i]);
		is_str(out, want[i], "encode '%s': text", in[i]);
		is_int(xtext_decode(out, back, sizeof(back)), (long long)strlen(in[i]), "round trip '%s'", in[i]);
		is_str(back, in[i], "round trip '%s': text", in[i]);
	}
	ok(!xtext_encode("a+b", out, 4), "encode: no room is false");
}

struct pcase {
	int mail;		/* 1: MAIL parameter, 0: RCPT */
	const char *key, *value;
	enum dsn_param_result want;
	const char *canon;	/* canonical text on OK */
};

static const struct pcase pcases[] = {
	{ 1, "RET", "FULL", DSN_PARAM_OK, "RET=FULL" },
	{ 1, "RET", "hdrs", DSN_PARAM_OK, "RET=HDRS" },
	{ 1, "RET", "BOTH", DSN_PARAM_BAD, NULL },
	{ 1, "RET", NULL, DSN_PARAM_BAD, NULL },
	{ 1, "RET", "", DSN_PARAM_BAD, NULL },
	{ 1, "ENVID", "QQ314159", DSN_PARAM_OK, "ENVID=QQ314159" },
	{ 1, "ENVID", "a+2Bb", DSN_PARAM_OK, "ENVID=a+2Bb" },
	{ 1, "ENVID", "a+20b", DSN_PARAM_OK, "ENVID=a+20b" },
	{ 1, "ENVID", "", DSN_PARAM_BAD, NULL },
	{ 1, "ENVID", NULL, DSN_PARAM_BAD, NULL },
	{ 1, "ENVID", "+0D+0A", DSN_PARAM_BAD, NULL },
	{ 1, "ENVID", "a+2", DSN_PARAM_BAD, NULL },
	{ 1, "ENVID", "12345678901234567890123456789012345678901234567890"
		      "12345678901234567890123456789012345678901234567890", DSN_PARAM_OK, NULL },
	{ 1, "ENVID", "12345678901234567890123456789012345678901234567890"
		      "123456789012345678901234567890123456789012345678901", DSN_PARAM_BAD, NULL },
	{ 1, "SIZE", "10", DSN_PARAM_NOT_DSN, NULL },
	{ 1, "NOTIFY", "NEVER", DSN_PARAM_NOT_DSN, NULL },
	{ 0, "NOTIFY", "NEVER", DSN_PARAM_OK, "NOTIFY=NEVER" },
	{ 0, "NOTIFY", "never", DSN_PARAM_OK, "NOTIFY=NEVER" },
	{ 0, "NOTIFY", "SUCCESS", DSN_PARAM_OK, "NOTIFY=SUCCESS" },
	{ 0, "NOTIFY", "DELAY,FAILURE", DSN_PARAM_OK, "NOTIFY=FAILURE,DELAY" },
	{ 0, "NOTIFY", "SUCCESS,FAILURE,DELAY", DSN_PARAM_OK, "NOTIFY=SUCCESS,FAILURE,DELAY" },
	{ 0, "NOTIFY", "SUCCESS,DELAY", DSN_PARAM_OK, "NOTIFY=SUCCESS,DELAY" },
	{ 0, "NOTIFY", "NEVER,SUCCESS", DSN_PARAM_BAD, NULL },
	{ 0, "NOTIFY", "SUCCESS,SUCCESS", DSN_PARAM_BAD, NULL },
	{ 0, "NOTIFY", "SUCCESS,", DSN_PARAM_BAD, NULL },
	{ 0, "NOTIFY", ",SUCCESS", DSN_PARAM_BAD, NULL },
	{ 0, "NOTIFY", "", DSN_PARAM_BAD, NULL },
	{ 0, "NOTIFY", NULL, DSN_PARAM_BAD, NULL },
	{ 0, "NOTIFY", "ALWAYS", DSN_PARAM_BAD, NULL },
	{ 0, "ORCPT", "rfc822;a@b.example", DSN_PARAM_OK, "ORCPT=rfc822;a@b.example" },
	{ 0, "ORCPT", "rfc822;a+2Bx@b.example", DSN_PARAM_OK, "ORCPT=rfc822;a+2Bx@b.example" },
	{ 0, "ORCPT", "rfc822;", DSN_PARAM_BAD, NULL },
	{ 0, "ORCPT", ";a@b", DSN_PARAM_BAD, NULL },
	{ 0, "ORCPT", "a@b", DSN_PARAM_BAD, NULL },
	{ 0, "ORCPT", "rfc 822;a@b", DSN_PARAM_BAD, NULL },
	{ 0, "ORCPT", "rfc822;a=b", DSN_PARAM_BAD, NULL },
	{ 0, "ORCPT", "rfc822;a+0Ab", DSN_PARAM_BAD, NULL },
	{ 0, "ORCPT", NULL, DSN_PARAM_BAD, NULL },
	{ 0, "FOO", "bar", DSN_PARAM_NOT_DSN, NULL },
	{ 0, "RET", "FULL", DSN_PARAM_NOT_DSN, NULL },
};

static void test_params(void)
{
	char canon[DSN_PARAMS_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(pcases); i++) {
		const struct pcase *c = &pcases[i];
		enum dsn_param_result r;

		if (c->mail) {
			struct dsn_mail m = { 0 };

			r = dsn_mail_param(&m, c->key, c->value);
			dsn_mail_format(&m, canon, sizeof(canon));
		} else {
			struct dsn_rcpt rc = { 0 };

			r = dsn_rcpt_param(&rc, c->key, c->value);
			dsn_rcpt_format(&rc, canon, sizeof(canon));
		}
		is_int(r, c->want, "%s %s=%s", c->mail ? "MAIL" : "RCPT", c->key, c->value ? c->value : "(none)");
		if (c->canon)
			is_str(canon, c->canon, "%s=%s: canonical", c->key, c->value);
		else if (r != DSN_PARAM_OK)
			is_str(canon, "", "%s=%s: nothing kept", c->key, c->value ? c->value : "(none)");
	}
}

static void test_twice(void)
{
	struct dsn_mail m = { 0 };
	struct dsn_rcpt r = { 0 };
	char canon[DSN_PARAMS_MAX];

	is_int(dsn_mail_param(&m, "RET", "FULL"), DSN_PARAM_OK, "RET once");
	is_int(dsn_mail_param(&m, "RET", "FULL"), DSN_PARAM_BAD, "RET twice: bad");
	is_int(dsn_mail_param(&m, "ENVID", "x"), DSN_PARAM_OK, "ENVID once");
	is_int(dsn_mail_param(&m, "ENVID", "y"), DSN_PARAM_BAD, "ENVID twice: bad");
	dsn_mail_format(&m, canon, sizeof(canon));
	is_str(canon, "RET=FULL ENVID=x", "MAIL canonical with both");
	is_int(dsn_rcpt_param(&r, "NOTIFY", "FAILURE"), DSN_PARAM_OK, "NOTIFY once");
	is_int(dsn_rcpt_param(&r, "NOTIFY", "DELAY"), DSN_PARAM_BAD, "NOTIFY twice: bad");
	is_int(dsn_rcpt_param(&r, "ORCPT", "rfc822;a@b"), DSN_PARAM_OK, "ORCPT once");
	is_int(dsn_rcpt_param(&r, "ORCPT", "rfc822;c@d"), DSN_PARAM_BAD, "ORCPT twice: bad");
	dsn_rcpt_format(&r, canon, sizeof(canon));
	is_str(canon, "NOTIFY=FAILURE ORCPT=rfc822;a@b", "RCPT canonical with both");
	is_int(r.notify, DSN_NOTIFY_FAILURE, "notify flags");
	is_str(r.orcpt_type, "rfc822", "orcpt type");
	is_str(r.orcpt, "a@b", "orcpt address");
}

int main(void)
{
	test_xtext();
	test_encode();
	test_params();
	test_twice();
	return done();
}
