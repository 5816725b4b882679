/* fuzz_milter — the milter reply reader and parser (handlers/milter-proto.h).
 *
 * The input is the byte stream a filter sends.  It is reassembled twice:
 * whole, and cut at points drawn from the input; both runs must see the
 * same packets.  Every packet is parsed, and whatever the parser accepts
 * must satisfy what the client relies on: a reply text is a valid 4xx/5xx
 * reply with no CR or LF but its line breaks, header names and values are
 * valid, every string ends inside the packet. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "milter-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PACKETS 64

struct seen {
	size_t n;
	char cmd[MAX_PACKETS];
	size_t len[MAX_PACKETS];
	uint32_t sum[MAX_PACKETS];
	enum milter_read_result last;
};

static bool inside(const char *p, const char *buf, size_t n)
{
	return p >= buf && p < buf + n && memchr(p, '\0', (size_t)(buf + n - p));
}

static void check(char cmd, const char *buf, size_t n)
{
	struct milter_reply r;
	enum milter_parse_result res = milter_reply_parse(cmd, buf, n, &r);

	if (res != MP_OK)
		return;
	switch (r.kind) {
	case MRK_REPLYCODE:
		if (!inside(r.text, buf, n) || r.code < 400 || r.code > 599 || milter_reply_code_valid(r.text) != r.code)
			abort();
		for (const char *p = r.text; *p; p++)
			if ((*p == '\r' && p[1] != '\n') || (*p == '\n' && (p == r.text || p[-1] != '\r')))
				abort();
		break;
	case MRK_ADDHEADER:
	case MRK_INSHEADER:
	case MRK_CHGHEADER:
		if (!inside(r.name, buf, n) || !inside(r.value, buf, n))
			abort();
		if (!milter_header_name_valid(r.name) || !milter_header_value_valid(r.value))
			abort();
		if (strchr(r.name, ':') || strchr(r.name, '\n'))
			abort();
		break;
	case MRK_QUARANTINE:
		if (!inside(r.text, buf, n))
			abort();
		break;
	case MRK_OPTNEG:
		for (int i = 0; i < SMFIM__COUNT; i++)
			if (r.macros[i] && !inside(r.macros[i], buf, n))
				abort();
		break;
	default:
		break;
	}
}

static void run(const uint8_t *in, size_t n, const uint8_t *cuts, size_t ncuts, char *buf, struct seen *s)
{
	struct milter_reader r;
	size_t pos = 0, k = 0;

	milter_reader_init(&r, buf);
	s->n = 0;
	s->last = MR_MORE;
	while (pos < n) {
		size_t chunk = n - pos, used;

		if (ncuts) {
			chunk = cuts[k++ % ncuts] % 23 + 1;
			if (chunk > n - pos)
				chunk = n - pos;
		}
		s->last = milter_reader_feed(&r, (const char *)in + pos, chunk, &used);
		if (used > chunk || (s->last == MR_MORE && used != chunk))
			abort();
		pos += used;
		if (s->last == MR_PACKET) {
			size_t len = milter_reader_datalen(&r);
			uint32_t sum = 0;

			for (size_t i = 0; i < len; i++)
				sum = sum * 31 + (unsigned char)buf[i];
			if (s->n < MAX_PACKETS) {
				s->cmd[s->n] = r.cmd;
				s->len[s->n] = len;
				s->sum[s->n] = sum;
			}
			s->n++;
			check(r.cmd, buf, len);
		} else if (s->last != MR_MORE) {
			break;	/* out of sync: the client drops the filter */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[MILTER_REPLY_MAX];
	struct seen whole, split;

	run(data, size, NULL, 0, buf, &whole);
	run(data, size, data, size, buf, &split);
	if (whole.n != split.n || whole.last != split.last)
		abort();
	for (size_t i = 0; i < whole.n && i < MAX_PACKETS; i++)
		if (whole.cmd[i] != split.cmd[i] || whole.len[i] != split.len[i] || whole.sum[i] != split.sum[i])
			abort();
	return 0;
}
