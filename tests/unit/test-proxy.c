/* test-proxy.c — the PROXY protocol parser (handlers/proxy.h), on byte
 * vectors from HAProxy's doc/proxy-protocol.txt §2.1 (v1) and §2.2 (v2).
 *
 * Every case is followed by bytes that belong to the next layer (a TLS
 * ClientHello's first octets and an SMTP command), and is fed whole, one
 * byte at a time, split in two at every offset, and read the way a reader
 * without MSG_PEEK does (never more than proxy_want() octets).  All must
 * agree on the result, the header, the reason, and must consume exactly
 * the header: never an octet of what follows it.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"
#include "testutil.h"

#define TRAILER "\x16\x03\x01" "EHLO client\r\n"

struct outcome {
	enum proxy_result res;
	size_t used;			/* octets consumed in all */
	struct proxy_header hdr;
	const char *error;
	unsigned contract;		/* a proxy_feed()/proxy_want() rule broken */
};

/* how: 0 whole, 1 byte by byte, 2 split at @split, 3 proxy_want() reads */
static void run(const unsigned char *in, size_t n, int how, size_t split, struct outcome *o)
{
	struct proxy_parser p;
	size_t pos = 0;

	memset(o, 0, sizeof(*o));
	proxy_init(&p);
	o->res = PROXY_MORE;
	while (o->res == PROXY_MORE && pos < n) {
		size_t k = n - pos, used;

		if (how == 1)
			k = 1;
		else if (how == 2 && pos < split)
			k = split - pos;
		else if (how == 3) {
			size_t want = proxy_want(&p);

			if (want == 0)
				o->contract++;
			if (want < k)
				k = want;
		}
		o->res = proxy_feed(&p, in + pos, k, &used);
		if (used > k || (o->res == PROXY_MORE && used != k))
			o->contract++;
		pos += used;
	}
	o->used = pos;
	o->hdr = p.hdr;
	o->error = p.error;
	if (o->res != PROXY_MORE) {
		size_t used = 1;

		/* latched: nothing more is consumed */
		if (proxy_feed(&p, "x", 1, &used) != o->res || used != 0 || proxy_want(&p) != 0)
			o->contract++;
	}
	if ((o->res == PROXY_BAD) != (o->error != NULL))
		o->contract++;
}

struct expect {
	enum proxy_result res;
	size_t length;			/* header octets (DONE), or consumed (MORE) */
	unsigned version;
	enum proxy_command command;
	enum proxy_family family;
	enum proxy_transport transport;
	bool has_addr;
	const char *src, *dst;
	uint16_t sport, dport;
	unsigned tlvs;
	const char *error;		/* a substring of the reason (BAD) */
};

static const char *res_name(enum proxy_result r)
{
	return r == PROXY_MORE ? "MORE" : r == PROXY_DONE ? "DONE" : "BAD";
}

static bool addr_is(const struct netaddr *a, const char *want)
{
	char text[64];

	if (!want)
		return true;
	netaddr_format(a, text, sizeof(text));
	return strcmp(text, want) == 0;
}

static bool same(const struct outcome *o, const struct expect *e, size_t n)
{
	if (o->contract || o->res != e->res)
		return false;
	if (e->res == PROXY_MORE)
		return o->used == n;
	if (e->res == PROXY_BAD)
		return o->error && (!e->error || strstr(o->error, e->error));
	return o->used == e->length && o->hdr.length == e->length
		&& o->hdr.version == e->version && o->hdr.command == e->command
		&& o->hdr.family == e->family && o->hdr.transport == e->transport
		&& o->hdr.has_addr == e->has_addr && o->hdr.tlvs == e->tlvs
		&& (!e->has_addr || (addr_is(&o->hdr.src, e->src) && addr_is(&o->hdr.dst, e->dst)
				     && o->hdr.src_port == e->sport && o->hdr.dst_port == e->dport));
}

static void report(const char *how, const struct outcome *o)
{
	char s[64], d[64];

	netaddr_format(&o->hdr.src, s, sizeof(s));
	netaddr_format(&o->hdr.dst, d, sizeof(d));
	diag("  %s: %s used %zu v%u cmd %d fam %d tr %d addr %d %s:%u %s:%u tlvs %u error '%s' contract %u",
	     how, res_name(o->res), o->used, o->hdr.version, o->hdr.command, o->hdr.family,
	     o->hdr.transport, o->hdr.has_addr, s, o->hdr.src_port, d, o->hdr.dst_port,
	     o->hdr.tlvs, o->error ? o->error : "", o->contract);
}

static void check(const char *name, const unsigned char *hdr, size_t hlen, const struct expect *e)
{
	/* a complete or broken header is followed by the next layer's bytes;
	 * an incomplete one is all there is */
	size_t n = hlen + (e->res == PROXY_MORE ? 0 : sizeof(TRAILER) - 1);
	unsigned char *in = malloc(n + 1);
	struct outcome o;
	unsigned bad = 0;
	size_t first_bad = 0;
	static const char *const hows[] = { "whole", "one byte at a time", "", "reads of proxy_want() octets" };

	if (!in)
		abort();
	memcpy(in, hdr, hlen);
	memcpy(in + hlen, TRAILER, n - hlen);
	for (int how = 0; how < 4; how++) {
		if (how == 2)
			continue;
		run(in, n, how, 0, &o);
		if (!ok(same(&o, e, n), "%s: %s: %s", name, hows[how], res_name(e->res)))
			report(hows[how], &o);
	}
	for (size_t k = 0; k <= n; k++) {
		run(in, n, 2, k, &o);
		if (!same(&o, e, n) && !bad++)
			first_bad = k;
	}
	if (!ok(bad == 0, "%s: split in two at each of %zu offsets", name, n + 1)) {
		run(in, n, 2, first_bad, &o);
		diag("  %u splits differ, first at %zu", bad, first_bad);
		report("split", &o);
	}
	free(in);
}

#define B(s) (const unsigned char *)(s), sizeof(s) - 1
#define SIG "\r\n\r\n\0\r\nQUIT\n"
#define V4ADDR "\xc0\x00\x02\x07" "\xc6\x33\x64\x01" "\xdc\x04" "\x00\x19"
#define V6ADDR "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07" \
	"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x19" "\xdc\x04" "\x00\x19"
#define Z8 "\0\0\0\0\0\0\0\0"
#define Z108 Z8 Z8 Z8 Z8 Z8 Z8 Z8 Z8 Z8 Z8 Z8 Z8 Z8 "\0\0\0\0"
#define FFFF8 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

#define DONE4(len, v, cmd, tr, s, d, sp, dp, tlvs) \
	{ PROXY_DONE, len, v, cmd, PROXY_AF_INET, tr, true, s, d, sp, dp, tlvs, NULL }
#define DONE6(len, v, cmd, tr, s, d, sp, dp, tlvs) \
	{ PROXY_DONE, len, v, cmd, PROXY_AF_INET6, tr, true, s, d, sp, dp, tlvs, NULL }
/* a header whose addresses are not used: the connection's own are kept */
#define DONE_LOCAL(len, v, cmd, fam, tr, tlvs) \
	{ PROXY_DONE, len, v, cmd, fam, tr, false, NULL, NULL, 0, 0, tlvs, NULL }
#define BAD(why) { PROXY_BAD, 0, 0, 0, 0, 0, false, NULL, NULL, 0, 0, 0, why }
#define MORE { PROXY_MORE, 0, 0, 0, 0, 0, false, NULL, NULL, 0, 0, 0, NULL }

static const struct {
	const char *name;
	const unsigned char *in;
	size_t n;
	struct expect e;
} cases[] = {
	/* ---- v1 (§2.1) ---- */
	{ "v1 TCP4", B("PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r\n"),
	  DONE4(44, 1, PROXY_CMD_PROXY, PROXY_TR_STREAM, "192.0.2.7", "198.51.100.1", 56324, 25, 0) },
	{ "v1 TCP4 longest (56 octets)", B("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"),
	  DONE4(56, 1, PROXY_CMD_PROXY, PROXY_TR_STREAM, "255.255.255.255", "255.255.255.255", 65535, 65535, 0) },
	{ "v1 TCP4 zero octets and ports", B("PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n"),
	  DONE4(33, 1, PROXY_CMD_PROXY, PROXY_TR_STREAM, "0.0.0.0", "10.0.0.1", 0, 0, 0) },
	{ "v1 TCP6 longest (104 octets)", B("PROXY TCP6 " FFFF8 " " FFFF8 " 65535 65535\r\n"),
	  DONE6(104, 1, PROXY_CMD_PROXY, PROXY_TR_STREAM, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 65535, 0) },
	{ "v1 TCP6 compressed, upper case", B("PROXY TCP6 2001:DB8::7 2001:db8::19 56324 25\r\n"),
	  DONE6(46, 1, PROXY_CMD_PROXY, PROXY_TR_STREAM, "2001:db8::7", "2001:db8::19", 56324, 25, 0) },
	{ "v1 UNKNOWN short form (15 octets)", B("PROXY UNKNOWN\r\n"),
	  DONE_LOCAL(15, 1, PROXY_CMD_PROXY, PROXY_AF_UNSPEC, PROXY_TR_UNSPEC, 0) },
	{ "v1 UNKNOWN longest (107 octets), rest ignored",
	  B("PROXY UNKNOWN " FFFF8 " " FFFF8 " 65535 65535\r\n"),
	  DONE_LOCAL(107, 1, PROXY_CMD_PROXY, PROXY_AF_UNSPEC, PROXY_TR_UNSPEC, 0) },
	{ "v1 UNKNOWN with anything", B("PROXY UNKNOWN whatever \x01 here\r\n"),
	  DONE_LOCAL(31, 1, PROXY_CMD_PROXY, PROXY_AF_UNSPEC, PROXY_TR_UNSPEC, 0) },
	{ "v1 108 octets", B("PROXY UNKNOWN " FFFF8 " " FFFF8 " 65535 655350\r\n"), BAD("longer than 107") },
	{ "v1 no CRLF within 107 octets", B("PROXY TCP4 " FFFF8 FFFF8 FFFF8), BAD("longer than 107") },
	{ "v1 leading zero in an address", B("PROXY TCP4 192.0.2.07 198.51.100.1 56324 25\r\n"), BAD("leading zeros") },
	{ "v1 leading zero in an octet 0", B("PROXY TCP4 192.00.2.7 198.51.100.1 56324 25\r\n"), BAD("leading zeros") },
	{ "v1 leading zero in a port", B("PROXY TCP4 192.0.2.7 198.51.100.1 56324 025\r\n"), BAD("destination port") },
	{ "v1 octet 256", B("PROXY TCP4 192.0.2.256 198.51.100.1 56324 25\r\n"), BAD("TCP4 address") },
	{ "v1 five octets", B("PROXY TCP4 192.0.2.7.1 198.51.100.1 56324 25\r\n"), BAD("TCP4 address") },
	{ "v1 three octets", B("PROXY TCP4 192.0.2 198.51.100.1 56324 25\r\n"), BAD("TCP4 address") },
	{ "v1 empty octet", B("PROXY TCP4 192..2.7 198.51.100.1 56324 25\r\n"), BAD("TCP4 address") },
	{ "v1 port 65536", B("PROXY TCP4 192.0.2.7 198.51.100.1 65536 25\r\n"), BAD("source port") },
	{ "v1 port with a sign", B("PROXY TCP4 192.0.2.7 198.51.100.1 +1 25\r\n"), BAD("source port") },
	{ "v1 TCP4 with IPv6 addresses", B("PROXY TCP4 2001:db8::7 2001:db8::19 56324 25\r\n"), BAD("TCP4 address") },
	{ "v1 TCP6 with IPv4 addresses", B("PROXY TCP6 192.0.2.7 198.51.100.1 56324 25\r\n"), BAD("TCP6 address") },
	{ "v1 TCP6 with two double colons", B("PROXY TCP6 2001::db8::7 2001:db8::19 1 25\r\n"), BAD("TCP6 address") },
	{ "v1 bare LF", B("PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\n"), BAD("bare LF") },
	{ "v1 bare LF in UNKNOWN", B("PROXY UNKNOWN\n"), BAD("bare LF") },
	{ "v1 bare CR", B("PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\rX\r\n"), BAD("CR without LF") },
	{ "v1 two spaces", B("PROXY TCP4 192.0.2.7  198.51.100.1 56324 25\r\n"), BAD("single spaces") },
	{ "v1 trailing space", B("PROXY TCP4 192.0.2.7 198.51.100.1 56324 25 \r\n"), BAD("single spaces") },
	{ "v1 three fields", B("PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n"), BAD("single spaces") },
	{ "v1 five fields", B("PROXY TCP4 192.0.2.7 198.51.100.1 56324 25 1\r\n"), BAD("single spaces") },
	{ "v1 TCP5", B("PROXY TCP5 192.0.2.7 198.51.100.1 56324 25\r\n"), BAD("not TCP4, TCP6 or UNKNOWN") },
	{ "v1 UNKNOWNX", B("PROXY UNKNOWNX\r\n"), BAD("not TCP4, TCP6 or UNKNOWN") },
	{ "v1 PROXY alone", B("PROXY \r\n"), BAD("not TCP4, TCP6 or UNKNOWN") },
	{ "v1 lower case", B("proxy TCP4 192.0.2.7 198.51.100.1 56324 25\r\n"), BAD("not a PROXY") },
	{ "v1 PROXY without space", B("PROXYTCP4 192.0.2.7 198.51.100.1 56324 25\r\n"), BAD("not a PROXY") },
	{ "an SMTP command", B("EHLO client\r\n"), BAD("not a PROXY") },
	{ "a TLS ClientHello", B("\x16\x03\x01\x02\x00\x01"), BAD("not a PROXY") },
	{ "v1 incomplete line", B("PROXY TCP4 192.0.2.7 198.51.1"), MORE },
	{ "v1 line waiting for its LF", B("PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r"), MORE },

	/* ---- v2 (§2.2) ---- */
	{ "v2 PROXY TCP4", B(SIG "\x21\x11\x00\x0c" V4ADDR),
	  DONE4(28, 2, PROXY_CMD_PROXY, PROXY_TR_STREAM, "192.0.2.7", "198.51.100.1", 56324, 25, 0) },
	{ "v2 PROXY TCP6", B(SIG "\x21\x21\x00\x24" V6ADDR),
	  DONE6(52, 2, PROXY_CMD_PROXY, PROXY_TR_STREAM, "2001:db8::7", "2001:db8::19", 56324, 25, 0) },
	{ "v2 PROXY UDP4: addresses not used", B(SIG "\x21\x12\x00\x0c" V4ADDR),
	  DONE_LOCAL(28, 2, PROXY_CMD_PROXY, PROXY_AF_INET, PROXY_TR_DGRAM, 0) },
	{ "v2 PROXY UDP6: addresses not used", B(SIG "\x21\x22\x00\x24" V6ADDR),
	  DONE_LOCAL(52, 2, PROXY_CMD_PROXY, PROXY_AF_INET6, PROXY_TR_DGRAM, 0) },
	{ "v2 PROXY UNIX stream", B(SIG "\x21\x31\x00\xd8" Z108 Z108),
	  DONE_LOCAL(232, 2, PROXY_CMD_PROXY, PROXY_AF_UNIX, PROXY_TR_STREAM, 0) },
	{ "v2 PROXY UNIX datagram", B(SIG "\x21\x32\x00\xd8" Z108 Z108),
	  DONE_LOCAL(232, 2, PROXY_CMD_PROXY, PROXY_AF_UNIX, PROXY_TR_DGRAM, 0) },
	{ "v2 PROXY UNSPEC", B(SIG "\x21\x00\x00\x00"),
	  DONE_LOCAL(16, 2, PROXY_CMD_PROXY, PROXY_AF_UNSPEC, PROXY_TR_UNSPEC, 0) },
	{ "v2 PROXY UNSPEC with a block, skipped", B(SIG "\x21\x00\x00\x05" "\x01\x02\x03\x04\x05"),
	  DONE_LOCAL(21, 2, PROXY_CMD_PROXY, PROXY_AF_UNSPEC, PROXY_TR_UNSPEC, 0) },
	{ "v2 PROXY INET with UNSPEC transport", B(SIG "\x21\x10\x00\x0c" V4ADDR),
	  DONE_LOCAL(28, 2, PROXY_CMD_PROXY, PROXY_AF_INET, PROXY_TR_UNSPEC, 0) },
	{ "v2 LOCAL (health check)", B(SIG "\x20\x00\x00\x00"),
	  DONE_LOCAL(16, 2, PROXY_CMD_LOCAL, PROXY_AF_UNSPEC, PROXY_TR_UNSPEC, 0) },
	{ "v2 LOCAL with TCP4 addresses: ignored", B(SIG "\x20\x11\x00\x0c" V4ADDR),
	  DONE_LOCAL(28, 2, PROXY_CMD_LOCAL, PROXY_AF_INET, PROXY_TR_STREAM, 0) },
	{ "v2 LOCAL with a short block: skipped", B(SIG "\x20\x11\x00\x03" "abc"),
	  DONE_LOCAL(19, 2, PROXY_CMD_LOCAL, PROXY_AF_INET, PROXY_TR_STREAM, 0) },
	{ "v2 TCP4 with TLVs (CRC32C, NOOP, UNIQUE_ID)",
	  B(SIG "\x21\x11\x00\x1f" V4ADDR "\x03\x00\x04" "\x12\x34\x56\x78" "\x04\x00\x00" "\x05\x00\x06" "abcdef"),
	  DONE4(47, 2, PROXY_CMD_PROXY, PROXY_TR_STREAM, "192.0.2.7", "198.51.100.1", 56324, 25, 3) },
	{ "v2 TCP6 with an SSL TLV and sub-TLVs",
	  B(SIG "\x21\x21\x00\x33" V6ADDR "\x20\x00\x0c" "\x01" "\0\0\0\0" "\x21\x00\x04" "1.3!"),
	  DONE6(67, 2, PROXY_CMD_PROXY, PROXY_TR_STREAM, "2001:db8::7", "2001:db8::19", 56324, 25, 1) },
	{ "v2 TLV past the end", B(SIG "\x21\x11\x00\x13" V4ADDR "\x03\x00\x0a" "\x12\x34\x56\x78"), BAD("TLV runs past") },
	{ "v2 TLV head cut by the end", B(SIG "\x21\x11\x00\x0e" V4ADDR "\x03\x00"), BAD("TLV runs past") },
	{ "v2 TLV head cut after one octet", B(SIG "\x21\x11\x00\x0d" V4ADDR "\x03"), BAD("TLV runs past") },
	{ "v2 TCP4 length shorter than the addresses", B(SIG "\x21\x11\x00\x0b" V4ADDR), BAD("shorter than the address") },
	{ "v2 TCP6 length of TCP4", B(SIG "\x21\x21\x00\x0c" V4ADDR), BAD("shorter than the address") },
	{ "v2 UNIX length 0", B(SIG "\x21\x31\x00\x00"), BAD("shorter than the address") },
	{ "v2 length past the end of what was sent", B(SIG "\x21\x11\x00\x64" V4ADDR), MORE },
	{ "v2 fixed part only", B(SIG "\x21\x11\x00"), MORE },
	{ "v2 version 1", B(SIG "\x11\x11\x00\x0c" V4ADDR), BAD("version") },
	{ "v2 version 3", B(SIG "\x31\x11\x00\x0c" V4ADDR), BAD("version") },
	{ "v2 command 2", B(SIG "\x22\x11\x00\x0c" V4ADDR), BAD("command") },
	{ "v2 command 15", B(SIG "\x2f\x11\x00\x0c" V4ADDR), BAD("command") },
	{ "v2 family 4", B(SIG "\x21\x41\x00\x0c" V4ADDR), BAD("address family") },
	{ "v2 transport 3", B(SIG "\x21\x13\x00\x0c" V4ADDR), BAD("transport") },
	{ "v2 signature broken at its NUL", B("\r\n\r\n\x01\r\nQUIT\n\x21\x11\x00\x0c" V4ADDR), BAD("not a PROXY") },
	{ "v2 signature broken at its last octet", B("\r\n\r\n\0\r\nQUIT\r\x21\x11\x00\x0c" V4ADDR), BAD("not a PROXY") },
	{ "an empty line", B("\r\n"), MORE },
};

/* The largest v2 header: length 65535, built at run time. */
static void check_largest(void)
{
	size_t n = PROXY_V2_FIXED + 65535;
	unsigned char *in = calloc(1, n);
	struct expect e = DONE4(65551, 2, PROXY_CMD_PROXY, PROXY_TR_STREAM, "192.0.2.7", "198.51.100.1",
				56324, 25, 1);

	if (!in)
		abort();
	memcpy(in, SIG "\x21\x11\xff\xff" V4ADDR, 28);
	/* one NOOP TLV fills the rest: 65535 - 12 - 3 */
	in[28] = 0x04;
	in[29] = (65520 >> 8) & 0xff;
	in[30] = 65520 & 0xff;
	check("v2 length 65535 with one NOOP TLV", in, n, &e);
	free(in);
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check(cases[i].name, cases[i].in, cases[i].n, &cases[i].e);
	check_largest();
	return done();
}
