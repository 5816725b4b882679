/* Unit tests for handlers/sasl.c: base64 (RFC 4648 §4, strict) and the
 * PLAIN message (RFC 4616 §2).  TAP output. */
#include "sasl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int n_test, n_fail;

static void ok(int cond, const char *what)
{
	n_test++;
	if (!cond)
		n_fail++;
	printf("%sok %d - %s\n", cond ? "" : "not ", n_test, what);
}

static void test_base64(void)
{
	static const struct {
		const char *in;
		int len;		/* expected, or -EINVAL */
		const char *out;
	} cases[] = {
		{ "", -EINVAL, NULL },
		{ "=", 0, "" },			/* RFC 4954: empty initial response */
		{ "YQ==", 1, "a" },
		{ "YWI=", 2, "ab" },
		{ "YWJj", 3, "abc" },
		{ "AGFsaWNlAHNlY3JldA==", 13, "\0alice\0secret" },
		{ "YQ=", -EINVAL, NULL },	/* length not a multiple of 4 */
		{ "Y===", -EINVAL, NULL },	/* too much padding */
		{ "YQ==YQ==", -EINVAL, NULL },	/* padding in the middle */
		{ "YW Jj", -EINVAL, NULL },	/* whitespace */
		{ "YW*j", -EINVAL, NULL },
		{ "YQ=a", -EINVAL, NULL },	/* data after padding */
		{ "*", -EINVAL, NULL },
		{ "YR==", -EINVAL, NULL },	/* non-zero bits under the padding */
		{ "YWJ=", -EINVAL, NULL },
	};
	char out[64], label[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = sasl_base64_decode(cases[i].in, out, sizeof(out));

		snprintf(label, sizeof(label), "base64 decode \"%s\" -> %d", cases[i].in, cases[i].len);
		ok(r == cases[i].len && (r < 0 || memcmp(out, cases[i].out, (size_t)r) == 0), label);
	}
	ok(sasl_base64_decode("YWJj", out, 3) == -ENOBUFS, "base64 decode reports a short buffer");
	sasl_base64_encode("Username:", 9, out);
	ok(strcmp(out, "VXNlcm5hbWU6") == 0, "base64 encode Username:");
	sasl_base64_encode("ab", 2, out);
	ok(strcmp(out, "YWI=") == 0, "base64 encode pads");
}

static void test_plain(void)
{
	struct sasl_plain p;

	ok(sasl_plain_parse("\0alice\0secret", 13, &p) == 0 && !p.authzid[0]
	   && !strcmp(p.authcid, "alice") && !strcmp(p.passwd, "secret"), "PLAIN without authzid");
	ok(sasl_plain_parse("z\0alice\0secret", 14, &p) == 0 && !strcmp(p.authzid, "z"), "PLAIN with authzid");
	ok(sasl_plain_parse("alice\0secret", 12, &p) == -EINVAL, "PLAIN with one NUL is malformed");
	ok(sasl_plain_parse("\0\0secret", 8, &p) == -EINVAL, "PLAIN with an empty authcid is malformed");
	ok(sasl_plain_parse("\0alice\0", 7, &p) == -EINVAL, "PLAIN with an empty password is malformed");
	ok(sasl_plain_parse("\0alice\0se\0cret", 14, &p) == -EINVAL, "PLAIN with a NUL in the password is malformed");
	{
		char big[300 + 8];

		memset(big, 'a', sizeof(big));
		big[0] = '\0';
		big[300] = '\0';
		ok(sasl_plain_parse(big, sizeof(big), &p) == -EMSGSIZE, "PLAIN with a 299-octet authcid: too long (-EMSGSIZE)");
	}
	{
		/* the limit is RFC 4616's 255 octets per field, each field */
		char msg[1 + 5 + 1 + 256];

		memset(msg, 'p', sizeof(msg));
		memcpy(msg, "\0alice\0", 7);
		ok(sasl_plain_parse(msg, 7 + 255, &p) == 0 && strlen(p.passwd) == 255,
		   "PLAIN with a 255-octet password parses");
		ok(sasl_plain_parse(msg, 7 + 256, &p) == -EMSGSIZE, "PLAIN with a 256-octet password: -EMSGSIZE, not malformed");
	}
}

int main(void)
{
	test_base64();
	test_plain();
	printf("1..%d\n", n_test);
	return n_fail ? 1 : 0;
}
