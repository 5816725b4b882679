/* proxy.c — see proxy.h.
 *
 * HAProxy's doc/proxy-protocol.txt (the spec):
 *
 * §2.1, version 1, one line of US-ASCII:
 *   "PROXY" SP ( "TCP4" | "TCP6" ) SP srcaddr SP dstaddr SP srcport SP dstport CRLF
 *   "PROXY" SP "UNKNOWN" [ SP anything ] CRLF
 *   at most 107 octets; IPv4 as four decimal octets, ports decimal, no
 *   leading zeros; a lone CR or LF does not end the line.
 *
 * §2.2, version 2, binary:
 *   sig[12] = 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A
 *   ver_cmd: version 2 in the high nibble; command 0 LOCAL, 1 PROXY
 *   fam:     family 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX in the high nibble;
 *            transport 0 UNSPEC, 1 STREAM, 2 DGRAM in the low one
 *   len:     16 bits, network order: the octets that follow
 *   address block: INET 4+4+2+2, INET6 16+16+2+2, UNIX 108+108
 *   then TLVs to the end of len: type(1) length(2, network order) value
 * Other versions, commands, families and transports are invalid.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static const unsigned char v2_sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
};
static const char v1_prefix[] = "PROXY ";

/* The shortest headers: "PROXY UNKNOWN\r\n" and a v2 LOCAL without
 * addresses.  Reading this many octets at the start never passes the end
 * of any valid header. */
#define PROXY_MIN 15

void proxy_init(struct proxy_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->phase = PP_START;
	p->result = PROXY_MORE;
}

static enum proxy_result bad(struct proxy_parser *p, const char *why)
{
	p->phase = PP_END;
	p->error = why;
	return p->result = PROXY_BAD;
}

static enum proxy_result done(struct proxy_parser *p)
{
	p->phase = PP_END;
	p->hdr.length = p->n;
	return p->result = PROXY_DONE;
}

/* ---- version 1 ------------------------------------------------------------ */

/* A decimal number of at most @max, no leading zero (spec §2.1). */
static bool v1_number(const char *s, size_t n, unsigned long max, unsigned long *v_r)
{
	unsigned long v = 0;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*v_r = v;
	return true;
}

static bool v1_ipv4(const char *s, size_t n, struct netaddr *a)
{
	size_t start = 0, part = 0;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i <= n; i++) {
		unsigned long v;

		if (i < n && s[i] != '.')
			continue;
		if (part == 4 || !v1_number(s + start, i - start, 255, &v))
			return false;
		a->addr[part++] = (uint8_t)v;
		start = i + 1;
	}
	if (part != 4)
		return false;
	a->family = AF_INET;
	return true;
}

static bool v1_ipv6(const char *s, size_t n, struct netaddr *a)
{
	char text[INET6_ADDRSTRLEN];

	memset(a, 0, sizeof(*a));
	if (n == 0 || n >= sizeof(text) || memchr(s, '\0', n))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET6, text, a->addr) != 1)
		return false;
	a->family = AF_INET6;
	return true;
}

/* @line is the whole line without its CRLF. */
static enum proxy_result v1_parse(struct proxy_parser *p, const char *line, size_t len)
{
	const char *f[4];
	size_t flen[4], nf = 0, pos = 6 + 5, start;
	bool v6;
	unsigned long port;

	p->hdr.version = 1;
	p->hdr.command = PROXY_CMD_PROXY;
	if (len >= 13 && memcmp(line + 6, "UNKNOWN", 7) == 0 && (len == 13 || line[13] == ' ')) {
		/* "the receiver must ignore anything presented before the CRLF" */
		p->hdr.family = PROXY_AF_UNSPEC;
		return done(p);
	}
	if (len < pos || (memcmp(line + 6, "TCP4 ", 5) != 0 && memcmp(line + 6, "TCP6 ", 5) != 0))
		return bad(p, "v1 protocol is not TCP4, TCP6 or UNKNOWN");
	v6 = line[9] == '6';
	/* exactly one space between fields: an empty field is an error */
	for (start = pos; pos <= len; pos++) {
		if (pos < len && line[pos] != ' ')
			continue;
		if (nf == 4 || pos == start)
			return bad(p, "v1 line does not have four fields separated by single spaces");
		f[nf] = line + start;
		flen[nf++] = pos - start;
		start = pos + 1;
	}
	if (nf != 4)
		return bad(p, "v1 line does not have four fields separated by single spaces");
	if (v6 ? !v1_ipv6(f[0], flen[0], &p->hdr.src) || !v1_ipv6(f[1], flen[1], &p->hdr.dst)
	       : !v1_ipv4(f[0], flen[0], &p->hdr.src) || !v1_ipv4(f[1], flen[1], &p->hdr.dst))
		return bad(p, v6 ? "v1 TCP6 address is not an IPv6 address" :
			   "v1 TCP4 address is not a dotted quad without leading zeros");
	if (!v1_number(f[2], flen[2], 65535, &port))
		return bad(p, "v1 source port is not a number from 0 to 65535 without leading zeros");
	p->hdr.src_port = (uint16_t)port;
	if (!v1_number(f[3], flen[3], 65535, &port))
		return bad(p, "v1 destination port is not a number from 0 to 65535 without leading zeros");
	p->hdr.dst_port = (uint16_t)port;
	p->hdr.family = v6 ? PROXY_AF_INET6 : PROXY_AF_INET;
	p->hdr.transport = PROXY_TR_STREAM;
	p->hdr.has_addr = true;
	return done(p);
}

static enum proxy_result v1_byte(struct proxy_parser *p, unsigned char c)
{
	if (p->blen == PROXY_V1_MAX)
		return bad(p, "v1 line longer than 107 octets");
	p->buf[p->blen++] = c;
	if (p->blen <= sizeof(v1_prefix) - 1 && c != (unsigned char)v1_prefix[p->blen - 1])
		return bad(p, "not a PROXY protocol header");
	if (c == '\n') {
		if (p->blen < 2 || p->buf[p->blen - 2] != '\r')
			return bad(p, "v1 line ends in a bare LF");
		return v1_parse(p, (const char *)p->buf, p->blen - 2);
	}
	if (p->blen >= 2 && p->buf[p->blen - 2] == '\r')
		return bad(p, "v1 line has a CR without LF");
	return PROXY_MORE;
}

/* ---- version 2 ------------------------------------------------------------ */

static size_t v2_addr_size(enum proxy_family fam)
{
	switch (fam) {
	case PROXY_AF_INET: return 12;
	case PROXY_AF_INET6: return 36;
	case PROXY_AF_UNIX: return 216;
	default: return 0;
	}
}

/* After the 16 fixed octets. */
static enum proxy_result v2_fixed_done(struct proxy_parser *p)
{
	size_t len = (size_t)p->buf[14] << 8 | p->buf[15];

	p->total = PROXY_V2_FIXED + len;
	p->hdr.version = 2;
	p->hdr.command = (enum proxy_command)(p->buf[12] & 0x0F);
	p->hdr.family = (enum proxy_family)(p->buf[13] >> 4);
	p->hdr.transport = (enum proxy_transport)(p->buf[13] & 0x0F);
	/* LOCAL: "discard the protocol block including the family"; UNSPEC
	 * family or transport: "ignore address information".  Everything
	 * up to len is skipped unread. */
	if (p->hdr.command == PROXY_CMD_LOCAL || p->hdr.family == PROXY_AF_UNSPEC
	    || p->hdr.transport == PROXY_TR_UNSPEC) {
		p->phase = PP_V2_SKIP;
		return PROXY_MORE;
	}
	p->addr_len = v2_addr_size(p->hdr.family);
	if (len < p->addr_len)
		return bad(p, "v2 length is shorter than the address block");
	p->phase = PP_V2_ADDR;
	return PROXY_MORE;
}

static void v2_addresses(struct proxy_parser *p)
{
	const unsigned char *a = p->buf + PROXY_V2_FIXED;
	struct proxy_header *h = &p->hdr;
	size_t alen;

	if (h->family == PROXY_AF_UNIX)
		return;	/* path names: not an address we could use */
	alen = h->family == PROXY_AF_INET ? 4 : 16;
	h->src.family = h->dst.family = h->family == PROXY_AF_INET ? AF_INET : AF_INET6;
	memcpy(h->src.addr, a, alen);
	memcpy(h->dst.addr, a + alen, alen);
	h->src_port = (uint16_t)(a[2 * alen] << 8 | a[2 * alen + 1]);
	h->dst_port = (uint16_t)(a[2 * alen + 2] << 8 | a[2 * alen + 3]);
	/* UDP addresses are decoded but not used: a mail session is TCP */
	h->has_addr = h->transport == PROXY_TR_STREAM;
}

static enum proxy_result v2_byte(struct proxy_parser *p, unsigned char c)
{
	switch (p->phase) {
	case PP_V2_FIXED:
		p->buf[p->blen++] = c;
		if (p->blen <= sizeof(v2_sig) && c != v2_sig[p->blen - 1])
			return bad(p, "not a PROXY protocol header");
		if (p->blen == 13 && (c >> 4) != 2)
			return bad(p, "v2 version is not 2");
		if (p->blen == 13 && (c & 0x0F) > PROXY_CMD_PROXY)
			return bad(p, "v2 command is neither LOCAL nor PROXY");
		if (p->blen == 14 && (c >> 4) > PROXY_AF_UNIX)
			return bad(p, "v2 address family is not UNSPEC, INET, INET6 or UNIX");
		if (p->blen == 14 && (c & 0x0F) > PROXY_TR_DGRAM)
			return bad(p, "v2 transport is not UNSPEC, STREAM or DGRAM");
		if (p->blen == PROXY_V2_FIXED)
			return v2_fixed_done(p);
		return PROXY_MORE;
	case PP_V2_ADDR:
		p->buf[p->blen++] = c;
		if (p->blen == PROXY_V2_FIXED + p->addr_len) {
			v2_addresses(p);
			p->phase = PP_V2_TLV_HEAD;
			p->tlv_left = 0;
		}
		return PROXY_MORE;
	case PP_V2_TLV_HEAD:
		/* type, length high, length low: the length octets are
		 * collected in tlv_left */
		if (p->tlv_have > 0)
			p->tlv_left = p->tlv_left << 8 | c;
		if (++p->tlv_have < 3)
			return PROXY_MORE;
		p->tlv_have = 0;
		p->hdr.tlvs++;
		if (p->tlv_left > p->total - p->n)
			return bad(p, "v2 TLV runs past the end of the header");
		if (p->tlv_left > 0)
			p->phase = PP_V2_TLV_VALUE;
		return PROXY_MORE;
	default:
		return bad(p, "parser misuse");
	}
}

/* ---- feeding -------------------------------------------------------------- */

enum proxy_result proxy_feed(struct proxy_parser *p, const void *buf, size_t n, size_t *used_r)
{
	const unsigned char *in = buf;
	size_t i = 0;

	*used_r = 0;
	if (p->result != PROXY_MORE)
		return p->result;
	while (i < n) {
		enum proxy_result r = PROXY_MORE;

		if (p->phase == PP_V2_SKIP || p->phase == PP_V2_TLV_VALUE) {
			/* opaque octets: skip as many as this piece holds */
			size_t left = p->phase == PP_V2_SKIP ? p->total - p->n : p->tlv_left;
			size_t k = n - i < left ? n - i : left;

			i += k;
			p->n += k;
			if (p->phase == PP_V2_TLV_VALUE && (p->tlv_left -= k) == 0)
				p->phase = PP_V2_TLV_HEAD;
		} else {
			unsigned char c = in[i++];

			p->n++;
			if (p->phase == PP_START) {
				if (c == 'P')
					p->phase = PP_V1;
				else if (c == v2_sig[0])
					p->phase = PP_V2_FIXED;
				else
					r = bad(p, "not a PROXY protocol header");
			}
			if (p->phase == PP_V1)
				r = v1_byte(p, c);
			else if (p->phase != PP_END)
				r = v2_byte(p, c);
		}
		if (r == PROXY_MORE && p->total && p->n == p->total) {
			if (p->phase == PP_V2_TLV_HEAD && p->tlv_have > 0)
				r = bad(p, "v2 TLV runs past the end of the header");
			else
				r = done(p);
		}
		if (r != PROXY_MORE) {
			*used_r = i;
			return r;
		}
	}
	*used_r = n;
	return PROXY_MORE;
}

size_t proxy_want(const struct proxy_parser *p)
{
	if (p->result != PROXY_MORE)
		return 0;
	switch (p->phase) {
	case PP_START:
		return PROXY_MIN;
	case PP_V1:
		if (p->blen < PROXY_MIN)
			return PROXY_MIN - p->blen;
		/* the line ends with the next CRLF at the earliest */
		return p->buf[p->blen - 1] == '\r' ? 1 : 2;
	case PP_V2_FIXED:
		return PROXY_V2_FIXED - p->blen;
	default:
		return p->total - p->n;
	}
}
