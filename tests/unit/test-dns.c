/* test-dns.c — the pure parts of handlers/dns.c: the reply parser
 * (RFC 1035 §4.1) on hand-built replies, every truncation of them and
 * malicious compression pointers; DNSBL query names (RFC 5782 §2.1, §2.4).
 * The lookups themselves are tested end to end (tests/handlers/). */
#include "dns.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"
#include "testutil.h"

struct msg {
	uint8_t b[1024];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct msg *m, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(m, b, 2);
}

/* "a.b" as labels; "" is the root */
static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		uint8_t len = (uint8_t)l;

		put(m, &len, 1);
		put(m, name, l);
		name += l + (dot ? 1 : 0);
	}
	put(m, "", 1);
}

/* header + question for @qname/@qtype, @an answers to follow */
static void start(struct msg *m, const char *qname, unsigned qtype, unsigned an)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, qtype);
	put16(m, 1);
}

/* an answer whose owner is a pointer to the question name (offset 12) */
static void answer(struct msg *m, unsigned type, const void *rdata, size_t len)
{
	put16(m, 0xC00C);
	put16(m, type);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);
	put16(m, (unsigned)len);
	put(m, rdata, len);
}

static char got[2048];

static void record(void *ctx, const struct dns_record *r)
{
	char a[64];
	size_t n = strlen(got);

	(void)ctx;
	if (r->type == DNS_T_A || r->type == DNS_T_AAAA) {
		netaddr_format(&r->addr, a, sizeof(a));
		snprintf(got + n, sizeof(got) - n, "[%s]", a);
	} else if (r->type == DNS_T_MX) {
		snprintf(got + n, sizeof(got) - n, "[%u %s]", r->pref, r->text);
	} else {
		snprintf(got + n, sizeof(got) - n, "[%s]", r->text);
	}
}

static int parse(const struct msg *m, int type)
{
	got[0] = '\0';
	return dns_parse_answer(m->b, m->n, type, 16, record, NULL);
}

/* Every proper prefix is malformed or yields fewer records, and never
 * reads past its end (ASan in the sanitizer build). */
static void truncations(const struct msg *m, int type, int full, const char *what)
{
	bool good = true;

	for (size_t len = 0; len < m->n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		int r;

		memcpy(copy, m->b, len);
		got[0] = '\0';
		r = dns_parse_answer(copy, len, type, 16, record, NULL);
		if (r >= full) {
			diag("%s: prefix of %zu parsed %d records", what, len, r);
			good = false;
		}
		free(copy);
	}
	ok(good, "%s: every truncation is malformed or shorter", what);
}

static void answers(void)
{
	struct msg m;
	uint8_t a1[4] = { 127, 0, 0, 2 }, a2[4] = { 127, 0, 0, 10 }, a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	start(&m, "2.0.0.127.bl.test", DNS_T_A, 2);
	answer(&m, DNS_T_A, a1, 4);
	answer(&m, DNS_T_A, a2, 4);
	is_int(parse(&m, DNS_T_A), 2, "A: two records");
	is_str(got, "[127.0.0.2][127.0.0.10]", "A: the addresses");
	is_int(parse(&m, DNS_T_AAAA), 0, "A records are not AAAA");
	truncations(&m, DNS_T_A, 2, "A");
	m.b[m.n - 5] = 5;	/* rdlength 5 for an A record */
	is_int(parse(&m, DNS_T_A), -1, "A with rdlength 5: malformed");

	start(&m, "x.test", DNS_T_AAAA, 1);
	a6[15] = 1;
	answer(&m, DNS_T_AAAA, a6, 16);
	is_int(parse(&m, DNS_T_AAAA), 1, "AAAA: one record");
	is_str(got, "[2001:db8::1]", "AAAA: the address");

	{
		/* MX 10 mx.<pointer to the question's "good.test"> and the null MX */
		uint8_t rd[32] = { 0, 10, 2, 'm', 'x', 0xC0, 12 }, nul[3] = { 0, 0, 0 };

		start(&m, "good.test", DNS_T_MX, 2);
		answer(&m, DNS_T_MX, rd, 7);
		answer(&m, DNS_T_MX, nul, 3);
		is_int(parse(&m, DNS_T_MX), 2, "MX: two records");
		is_str(got, "[10 mx.good.test][0 ]", "MX: compressed name and the null MX (RFC 7505)");
		truncations(&m, DNS_T_MX, 2, "MX");
	}
	{
		uint8_t rd[] = { 6, 'c', 'l', 'i', 'e', 'n', 't', 4, 't', 'e', 's', 't', 0 };

		start(&m, "10.0.0.127.in-addr.arpa", DNS_T_PTR, 1);
		answer(&m, DNS_T_PTR, rd, sizeof(rd));
		is_int(parse(&m, DNS_T_PTR), 1, "PTR: one record");
		is_str(got, "[client.test]", "PTR: the name");
	}
	{
		/* two character-strings, one with CR LF: joined, control
		 * characters replaced */
		uint8_t rd[] = { 5, 'e', 'v', 'i', 'l', '\r', 6, '\n', '2', '5', '0', ' ', 'x' };

		start(&m, "6.0.0.127.bl.test", DNS_T_TXT, 1);
		answer(&m, DNS_T_TXT, rd, sizeof(rd));
		is_int(parse(&m, DNS_T_TXT), 1, "TXT: one record");
		is_str(got, "[evil??250 x]", "TXT: strings joined, CR and LF replaced");
		truncations(&m, DNS_T_TXT, 1, "TXT");
		rd[6] = 9;	/* a string longer than the rdata */
		start(&m, "6.0.0.127.bl.test", DNS_T_TXT, 1);
		answer(&m, DNS_T_TXT, rd, sizeof(rd));
		is_int(parse(&m, DNS_T_TXT), -1, "TXT: a string past the rdata is malformed");
	}
	{
		/* PTR rdata pointing at itself, and forward */
		uint8_t self[2] = { 0xC0, 0 }, fwd[2] = { 0xC0, 0xFF };
		size_t at;

		start(&m, "x.test", DNS_T_PTR, 1);
		at = m.n + 12;	/* where the rdata will be */
		self[1] = (uint8_t)at;
		answer(&m, DNS_T_PTR, self, 2);
		is_int(parse(&m, DNS_T_PTR), -1, "a compression pointer to itself is malformed");
		start(&m, "x.test", DNS_T_PTR, 1);
		answer(&m, DNS_T_PTR, fwd, 2);
		is_int(parse(&m, DNS_T_PTR), -1, "a forward compression pointer is malformed");
	}
	{
		uint8_t hdr[11] = { 0 };

		is_int(dns_parse_answer(hdr, sizeof(hdr), DNS_T_A, 4, record, NULL), -1, "shorter than a header");
	}
}

static void names(void)
{
	struct netaddr a;
	char buf[128];

	netaddr_parse("192.0.2.1", &a);
	ok(dns_reverse_name(&a, "bl.test", buf, sizeof(buf)), "IPv4 name fits");
	is_str(buf, "1.2.0.192.bl.test", "IPv4: reversed octets (RFC 5782 §2.1)");
	netaddr_parse("2001:db8:1:2:3:4:567:89ab", &a);
	ok(dns_reverse_name(&a, "bl.test", buf, sizeof(buf)), "IPv6 name fits");
	is_str(buf, "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.test",
	       "IPv6: reversed nibbles (RFC 5782 §2.4)");
	ok(!dns_reverse_name(&a, "bl.test", buf, 70), "IPv6: a short buffer is refused");
	netaddr_parse("192.0.2.1", &a);
	ok(!dns_reverse_name(&a, "bl.test", buf, 10), "IPv4: a short buffer is refused");
	memset(&a, 0, sizeof(a));
	ok(!dns_reverse_name(&a, "bl.test", buf, sizeof(buf)), "no address: no name");
}

int main(void)
{
	answers();
	names();
	return done();
}
