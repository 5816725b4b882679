/* test-tls-policy.c — the tlsPolicyFile parser and lookup
 * (relay/tls-policy.h). */
#include "tls-policy.h"

#include <string.h>

#include "tap.h"
#include "testutil.h"

struct pcase {
	const char *text;
	int want;		/* 0 or -EINVAL */
	unsigned line;		/* the failing line */
	const char *why;	/* part of the reason */
	size_t n;		/* entries on success */
};

static const struct pcase cases[] = {
	{ "", 0, 0, NULL, 0 },
	{ "# only a comment\n\n   \n", 0, 0, NULL, 0 },
	{ "example.com encrypt\n", 0, 0, NULL, 1 },
	{ "example.com\tverify  # bank\r\n.example.net may\nlast.test none", 0, 0, NULL, 3 },
	{ "EXAMPLE.com ENCRYPT\n", 0, 0, NULL, 1 },
	{ "[127.0.0.2] encrypt\n", 0, 0, NULL, 1 },
	{ "a.test may\nb.test secure\n", -EINVAL, 2, "level 'secure' is not none, may, encrypt or verify", 0 },
	{ "a.test\n", -EINVAL, 1, "no level", 0 },
	{ "\n\na.test may extra\n", -EINVAL, 3, "text after the level", 0 },
	{ "bad_domain.test may\n", -EINVAL, 1, "is not a domain", 0 },
	{ "a..test may\n", -EINVAL, 1, "is not a domain", 0 },
	{ "a.test. may\n", -EINVAL, 1, "is not a domain", 0 },
	{ ". may\n", -EINVAL, 1, "is not a domain", 0 },
	{ "a.test may\nA.TEST encrypt\n", -EINVAL, 2, "listed twice", 0 },
	/* dane needs TLSA lookups per MX: tlsSecurityLevel only */
	{ "a.test dane\n", -EINVAL, 1, "is not none, may, encrypt or verify", 0 },
};

static void test_parse(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct pcase *c = &cases[i];
		struct tls_policy p = { 0 };
		unsigned line = 0;
		char why[300] = "";
		int r = tls_policy_parse(c->text, strlen(c->text), &p, &line, why, sizeof(why));

		if (!is_int(r, c->want, "case %zu: result", i))
			diag("  %s", why);
		if (c->want == 0) {
			is_int((long long)p.n, (long long)c->n, "case %zu: entries", i);
		} else {
			is_int(line, c->line, "case %zu: the line", i);
			ok(strstr(why, c->why) != NULL, "case %zu: '%s' says '%s'", i, why, c->why);
		}
		tls_policy_free(&p);
	}
}

static void test_lookup(void)
{
	static const char text[] =
		"example.com verify\n"
		".example.com encrypt\n"
		".sub.example.com none\n"
		"other.test may\n";
	struct tls_policy p = { 0 };
	unsigned line;
	char why[300];
	enum tls_level l = TLS_MAY;

	is_int(tls_policy_parse(text, sizeof(text) - 1, &p, &line, why, sizeof(why)), 0, "lookup table parses");
	ok(tls_policy_lookup(&p, "example.com", &l) && l == TLS_VERIFY, "exact entry");
	ok(tls_policy_lookup(&p, "EXAMPLE.COM", &l) && l == TLS_VERIFY, "case-insensitive");
	ok(tls_policy_lookup(&p, "mx.example.com", &l) && l == TLS_ENCRYPT, ".example.com: a subdomain");
	ok(tls_policy_lookup(&p, "a.sub.example.com", &l) && l == TLS_NONE, "the nearest parent wins");
	ok(tls_policy_lookup(&p, "other.test", &l) && l == TLS_MAY, "may");
	l = TLS_ENCRYPT;
	ok(!tls_policy_lookup(&p, "sub.other.test", &l) && l == TLS_ENCRYPT, "no entry: the level is left alone");
	ok(!tls_policy_lookup(&p, "notexample.com", &l), "a suffix that is not a parent does not match");
	tls_policy_free(&p);
	ok(!tls_policy_lookup(NULL, "example.com", &l), "no policy");
}

int main(void)
{
	test_parse();
	test_lookup();
	return done();
}
