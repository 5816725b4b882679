/* data-equiv.c — the DATA decoder's fast path (whole runs of a body line
 * copied at once) decodes exactly as the byte-at-a-time state machine it
 * replaced: same output, same consumption, same latches, whatever the
 * input and however it is split.  The reference below is the previous
 * data_feed(), kept verbatim. */
#include "data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Header bookkeeping for one output byte: counts Received: fields
 * (RFC 5322 §3.6.7) until the empty line that ends the header section. */
static void ref_track_header(struct data_decoder *d, char c)
{
	if (c == '\n') {
		if (d->linepos == 1)	/* the line was just CR LF */
			d->in_headers = false;
		d->linepos = 0;
		return;
	}
	if (d->linepos < sizeof(d->head)) {
		d->head[d->linepos] = c;
		if (d->linepos + 1 == sizeof(d->head)
		    && strncasecmp(d->head, "Received:", sizeof(d->head)) == 0
		    && ++d->received > DATA_MAX_RECEIVED)
			d->loop = true;
	}
	d->linepos++;
}

static enum data_result ref_feed(struct data_decoder *d, const char *in, size_t n,
			   char *out, size_t *out_len_r, size_t *used_r)
{
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		char c = in[i];
		bool emit = false;

		switch (d->state) {
		case DS_LINE_START:
			if (c == '.') {
				d->state = DS_DOT;
				break;
			}
			/* fall through */
		case DS_TEXT:
			if (c == '\n')
				goto bad;
			d->state = c == '\r' ? DS_CR : DS_TEXT;
			emit = true;
			break;
		case DS_CR:
			if (c != '\n')
				goto bad;
			d->state = DS_LINE_START;
			emit = true;
			break;
		case DS_DOT:
			if (c == '\n')
				goto bad;
			if (c == '\r') {
				d->state = DS_DOT_CR;
				break;
			}
			d->state = DS_TEXT;
			emit = true;
			break;
		case DS_DOT_CR:
			if (c != '\n')
				goto bad;
			d->state = DS_END;
			*out_len_r = o;
			*used_r = i + 1;
			return DATA_DONE;
		case DS_END:
			*out_len_r = o;
			*used_r = i;
			return DATA_DONE;
		case DS_BAD_EOL:
			goto bad;
		}
		if (!emit)
			continue;
		if (d->in_headers)
			ref_track_header(d, c);
		d->size++;
		if (d->max_size && d->size > d->max_size)
			d->too_big = true;
		if (!d->too_big)
			out[o++] = c;
	}
	*out_len_r = o;
	*used_r = n;
	return DATA_MORE;
bad:
	d->state = DS_BAD_EOL;
	*out_len_r = o;
	*used_r = i;
	return DATA_BAD_EOL;
}

static int tests, failed;

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tests, what);
}

struct run {
	enum data_result r;
	size_t used, out_len;
	char out[1 << 16];
	struct data_decoder d;
};

/* Feed @in in chunks whose sizes come from @seed (0: whole). */
static void decode(bool reference, const char *in, size_t n, uint64_t max,
		   unsigned seed, struct run *res)
{
	size_t pos = 0;

	data_init(&res->d, max);
	res->out_len = 0;
	res->r = DATA_MORE;
	while (pos < n && res->r == DATA_MORE) {
		size_t k = seed ? 1 + (size_t)(rand_r(&seed) % 40) : n - pos;
		size_t olen = 0, used = 0;

		if (k > n - pos)
			k = n - pos;
		res->r = reference ? ref_feed(&res->d, in + pos, k, res->out + res->out_len, &olen, &used)
				   : data_feed(&res->d, in + pos, k, res->out + res->out_len, &olen, &used);
		res->out_len += olen;
		pos += used;
	}
	res->used = pos;
}

static bool same(const struct run *a, const struct run *b)
{
	return a->r == b->r && a->used == b->used && a->out_len == b->out_len
		&& memcmp(a->out, b->out, a->out_len) == 0
		&& a->d.state == b->d.state && a->d.size == b->d.size
		&& a->d.too_big == b->d.too_big && a->d.in_headers == b->d.in_headers
		&& a->d.received == b->d.received && a->d.loop == b->d.loop;
}

/* A random stream: mostly well-formed CRLF lines (headers, Received:
 * lines, dot-stuffed lines, long lines), sometimes a bare CR or LF, and
 * usually the final dot. */
static size_t generate(unsigned *seed, char *buf, size_t cap)
{
	static const char *const pieces[] = {
		"Received: from x\r\n", "Subject: hi\r\n", "\r\n", "..dot\r\n", ".\r\n",
		"text line\r\n", "x\r", "y\n", ".x\r\n", "tail.\r\n", "\r\r\n",
	};
	size_t o = 0;
	unsigned lines = (unsigned)(rand_r(seed) % 60);

	for (unsigned l = 0; l < lines && o + 3000 < cap; l++) {
		unsigned pick = (unsigned)rand_r(seed) % 16;

		if (pick < 11) {
			/* rare pieces (bare CR/LF, the final dot) stay rare */
			if ((pick == 4 || pick == 6 || pick == 7) && rand_r(seed) % 4)
				pick = 5;
			size_t k = strlen(pieces[pick]);

			memcpy(buf + o, pieces[pick], k);
			o += k;
		} else {
			size_t len = (size_t)(rand_r(seed) % 2000);

			for (size_t i = 0; i < len; i++)
				buf[o++] = (char)('a' + rand_r(seed) % 26);
			buf[o++] = '\r';
			buf[o++] = '\n';
		}
	}
	if (rand_r(seed) % 8)
		memcpy(buf + o, ".\r\n", 3), o += 3;
	return o;
}

int main(void)
{
	static char in[1 << 16];
	static struct run a, b;
	unsigned seed = 12345, mismatches = 0, cases = 0;

	printf("1..4\n");
	for (unsigned t = 0; t < 4000; t++) {
		size_t n = generate(&seed, in, sizeof(in) - 8);
		uint64_t maxes[] = { 0, 1, 17, (uint64_t)(rand_r(&seed) % 5000), 1u << 20 };

		for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
			unsigned split = t % 3 ? (unsigned)rand_r(&seed) | 1u : 0;

			decode(true, in, n, maxes[m], split, &a);
			decode(false, in, n, maxes[m], split, &b);
			cases++;
			if (!same(&a, &b) && mismatches++ < 5)
				printf("# mismatch: case %u max %llu split %u\n", t, (unsigned long long)maxes[m], split);
		}
	}
	ok(mismatches == 0, "random streams, whole and split, every size limit: same result");

	/* Every split point of one message with headers, stuffing and a body. */
	{
		static const char msg[] = "Received: a\r\nReceived: b\r\nSubject: s\r\n\r\n..one\r\nbody line\r\n.\r\nNEXT";
		size_t n = sizeof(msg) - 1;
		bool all = true;

		for (size_t cut = 1; cut < n; cut++) {
			struct data_decoder d;
			size_t o1 = 0, o2 = 0, u1 = 0, u2 = 0;
			enum data_result r;

			data_init(&d, 0);
			r = data_feed(&d, msg, cut, a.out, &o1, &u1);
			if (r == DATA_MORE)
				r = data_feed(&d, msg + cut, n - cut, a.out + o1, &o2, &u2);
			decode(true, msg, n, 0, 0, &b);
			all &= r == b.r && o1 + o2 == b.out_len && memcmp(a.out, b.out, b.out_len) == 0
				&& (r != DATA_DONE || u1 + u2 == n - 4);
		}
		ok(all, "every split point of one message");
	}

	/* The latches still work on the fast path. */
	{
		static char big[10000];
		struct data_decoder d;
		size_t olen, used;

		memcpy(big, "Subject: x\r\n\r\n", 14);
		memset(big + 14, 'b', sizeof(big) - 14 - 5);
		memcpy(big + sizeof(big) - 5, "\r\n.\r\n", 5);
		data_init(&d, 100);
		ok(data_feed(&d, big, sizeof(big), a.out, &olen, &used) == DATA_DONE && d.too_big
		   && olen == 100 && used == sizeof(big), "a body past the size limit latches too_big after 100 octets");
		data_init(&d, 0);
		big[5000] = '\n';
		ok(data_feed(&d, big, sizeof(big), a.out, &olen, &used) == DATA_BAD_EOL && used == 5000,
		   "a bare LF inside a long body line stops decoding there");
	}
	printf("# %u random cases\n", cases);
	return failed ? 1 : 0;
}
