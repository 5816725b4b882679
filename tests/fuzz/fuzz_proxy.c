/* fuzz_proxy — the PROXY protocol parser (handlers/proxy.h; HAProxy's
 * doc/proxy-protocol.txt §2.1, §2.2).
 *
 * The input is parsed three times: whole, cut into pieces whose sizes
 * come from the input, and in reads of proxy_want() octets (a reader
 * without MSG_PEEK).  All must agree on the result, the octets consumed
 * and the header.  A complete header is never longer than its version
 * allows, a v1 one ends in CRLF at the octet where it stopped, a v2 one
 * is exactly 16 + its length field, and a TCP4 line prints back to
 * itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	enum proxy_result res;
	size_t used;
	struct proxy_header hdr;
	const char *error;
};

/* mode 0 whole, 1 cuts from @cuts, 2 proxy_want() reads */
static void parse(const uint8_t *in, size_t n, int mode, const uint8_t *cuts, size_t ncuts, struct run *r)
{
	struct proxy_parser p;
	size_t pos = 0, k = 0;

	proxy_init(&p);
	r->res = PROXY_MORE;
	while (pos < n && r->res == PROXY_MORE) {
		size_t chunk = n - pos, used = 0;

		if (mode == 1 && ncuts)
			chunk = (size_t)cuts[k++ % ncuts] % 23 + 1;
		else if (mode == 2 && proxy_want(&p) < chunk)
			chunk = proxy_want(&p);
		if (chunk == 0 || chunk > n - pos)
			chunk = chunk ? n - pos : 1;
		r->res = proxy_feed(&p, in + pos, chunk, &used);
		if (used > chunk || (r->res == PROXY_MORE && used != chunk))
			abort();
		pos += used;
	}
	r->used = pos;
	r->hdr = p.hdr;
	r->error = p.error;
	if ((r->res == PROXY_BAD) != (p.error != NULL))
		abort();
}

static bool same(const struct run *a, const struct run *b)
{
	return a->res == b->res && a->used == b->used
		&& (a->res != PROXY_DONE || memcmp(&a->hdr, &b->hdr, sizeof(a->hdr)) == 0)
		&& (a->res != PROXY_BAD || strcmp(a->error, b->error) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, cut, want;

	memset(&whole, 0, sizeof(whole));
	memset(&cut, 0, sizeof(cut));
	memset(&want, 0, sizeof(want));
	parse(data, size, 0, NULL, 0, &whole);
	parse(data, size, 1, data, size, &cut);
	parse(data, size, 2, NULL, 0, &want);
	if (!same(&whole, &cut) || !same(&whole, &want))
		abort();
	if (whole.res != PROXY_DONE)
		return 0;
	if (whole.hdr.length != whole.used)
		abort();
	if (whole.hdr.version == 1) {
		if (whole.used > PROXY_V1_MAX || whole.used < 15
		    || data[whole.used - 2] != '\r' || data[whole.used - 1] != '\n'
		    || memchr(data, '\n', whole.used - 1))
			abort();
		if (whole.hdr.has_addr && whole.hdr.family == PROXY_AF_INET) {
			char s[64], d[64], line[128];

			netaddr_format(&whole.hdr.src, s, sizeof(s));
			netaddr_format(&whole.hdr.dst, d, sizeof(d));
			snprintf(line, sizeof(line), "PROXY TCP4 %s %s %u %u\r\n", s, d,
				 whole.hdr.src_port, whole.hdr.dst_port);
			if (strlen(line) != whole.used || memcmp(line, data, whole.used) != 0)
				abort();
		}
	} else {
		if (whole.hdr.version != 2 || whole.used != PROXY_V2_FIXED + ((size_t)data[14] << 8 | data[15]))
			abort();
		if (whole.hdr.command > PROXY_CMD_PROXY || whole.hdr.family > PROXY_AF_UNIX
		    || whole.hdr.transport > PROXY_TR_DGRAM)
			abort();
	}
	if (whole.hdr.has_addr && (whole.hdr.family != PROXY_AF_INET && whole.hdr.family != PROXY_AF_INET6))
		abort();
	return 0;
}
