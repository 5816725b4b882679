/* test-data.c — the DATA decoder (handlers/data.h).
 *
 * Each case is fed whole, one byte at a time and split in two at every
 * offset; all must agree on the result, the decoded message, how much
 * input was consumed and the latches.  RFC 5321 §4.1.1.4 (end of data),
 * §4.5.2 (transparency), §4.5.3.1.7 / RFC 1870 (size), §6.3 (loops), and
 * bare CR / bare LF rejection (SMTP smuggling).
 */
#include "data.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

struct outcome {
	enum data_result res;
	char *out;
	size_t out_len;
	size_t used;		/* input octets consumed in all */
	bool too_big, loop;
	unsigned received;
	unsigned protocol_errors;	/* a data_feed() contract broken */
};

static void feed_piece(struct data_decoder *d, const char *p, size_t n, struct outcome *o)
{
	char *buf = malloc(n ? n : 1);
	size_t olen = 0, used = 0;

	if (!buf)
		abort();
	o->res = data_feed(d, p, n, buf, &olen, &used);
	if (used > n || olen > used)
		o->protocol_errors++;
	if (o->res == DATA_MORE && used != n)
		o->protocol_errors++;
	if (olen) {
		o->out = realloc(o->out, o->out_len + olen);
		if (!o->out)
			abort();
		memcpy(o->out + o->out_len, buf, olen);
		o->out_len += olen;
	}
	o->used += used;
	free(buf);
}

/* Feeds in pieces of @chunk octets, or split in two at @split when @chunk
 * is 0, stopping at the first result other than DATA_MORE. */
static void run(const char *in, size_t n, uint64_t max, size_t chunk, size_t split,
		struct outcome *o)
{
	struct data_decoder d;
	size_t cuts[2] = { split, n }, ncuts = 2, pos = 0;

	free(o->out);
	memset(o, 0, sizeof(*o));
	data_init(&d, max);
	o->res = DATA_MORE;
	for (size_t c = 0; o->res == DATA_MORE && pos < n; c++) {
		size_t end = chunk ? (n - pos < chunk ? n : pos + chunk) : cuts[c < ncuts ? c : ncuts - 1];

		if (end < pos)
			end = pos;
		feed_piece(&d, in + pos, end - pos, o);
		pos = end;
	}
	if (o->res != DATA_MORE) {
		/* Latched: a further feed consumes and outputs nothing. */
		char out[8];
		size_t olen = 1, used = 1;
		enum data_result again = data_feed(&d, "x\r\n", 3, out, &olen, &used);

		if (again != o->res || olen != 0 || used != 0)
			o->protocol_errors++;
	}
	o->too_big = d.too_big;
	o->loop = d.loop;
	o->received = d.received;
}

static const char *result_name(enum data_result r)
{
	switch (r) {
	case DATA_MORE: return "MORE";
	case DATA_DONE: return "DONE";
	case DATA_BAD_EOL: return "BAD_EOL";
	}
	return "?";
}

/* expect.used: all of the input */
#define ALL SIZE_MAX

struct expect {
	enum data_result res;
	const char *out;
	size_t out_len;
	size_t used;
	bool too_big, loop;
	long received;		/* -1: not checked */
};

static bool same(const struct outcome *o, const struct expect *e)
{
	return o->res == e->res && o->out_len == e->out_len
		&& (e->out_len == 0 || memcmp(o->out, e->out, e->out_len) == 0)
		&& o->used == e->used && o->too_big == e->too_big && o->loop == e->loop
		&& (e->received < 0 || o->received == (unsigned)e->received)
		&& o->protocol_errors == 0;
}

static void report_outcome(const char *how, const struct outcome *o)
{
	diag("  %s: %s, used %zu, too_big %d, loop %d, received %u, contract errors %u",
	     how, result_name(o->res), o->used, o->too_big, o->loop, o->received, o->protocol_errors);
}

static void check(const char *name, const char *in, size_t n, uint64_t max, const struct expect *e)
{
	struct outcome o = { 0 };
	unsigned bad = 0;
	size_t first_bad = 0;
	struct expect all;

	if (e->used == ALL) {
		all = *e;
		all.used = n;
		e = &all;
	}

	run(in, n, max, n ? n : 1, 0, &o);
	is_int(o.res, e->res, "%s: whole: %s", name, result_name(e->res));
	is_mem(o.out, o.out_len, e->out, e->out_len, "%s: whole: decoded message", name);
	if (!ok(same(&o, e), "%s: whole: consumed %zu, latches, contract", name, e->used))
		report_outcome("whole", &o);

	run(in, n, max, 1, 0, &o);
	if (!ok(same(&o, e), "%s: one byte at a time", name)) {
		report_outcome("bytes", &o);
		is_mem(o.out, o.out_len, e->out, e->out_len, "%s: one byte at a time: decoded", name);
	}

	for (size_t k = 0; k <= n; k++) {
		run(in, n, max, 0, k, &o);
		if (!same(&o, e) && !bad++)
			first_bad = k;
	}
	if (!ok(bad == 0, "%s: split in two at each of %zu offsets", name, n + 1)) {
		run(in, n, max, 0, first_bad, &o);
		diag("  %u splits differ, first at %zu", bad, first_bad);
		report_outcome("split", &o);
	}
	free(o.out);
}

#define S(s) s, sizeof(s) - 1

static const struct {
	const char *name;
	const char *in;
	size_t n;
	uint64_t max;
	struct expect e;
} cases[] = {
	{ "simple message", S("Subject: x\r\n\r\nbody\r\n.\r\n"), 0,
	  { DATA_DONE, S("Subject: x\r\n\r\nbody\r\n"), ALL, false, false, 0 } },
	{ "empty message", S(".\r\n"), 0,
	  { DATA_DONE, S(""), 3, false, false, 0 } },
	{ "only an empty line", S("\r\n.\r\n"), 0,
	  { DATA_DONE, S("\r\n"), 5, false, false, 0 } },
	{ "dot-unstuffing ..x", S("..x\r\n.\r\n"), 0,
	  { DATA_DONE, S(".x\r\n"), 8, false, false, 0 } },
	{ "dot-unstuffing a lone stuffed dot", S("a\r\n..\r\nb\r\n.\r\n"), 0,
	  { DATA_DONE, S("a\r\n.\r\nb\r\n"), 13, false, false, 0 } },
	{ "dot-unstuffing ...", S("...\r\n.\r\n"), 0,
	  { DATA_DONE, S("..\r\n"), 8, false, false, 0 } },
	{ "leading dot removed from .x (RFC 5321 4.5.2)", S(".x\r\n.\r\n"), 0,
	  { DATA_DONE, S("x\r\n"), 7, false, false, 0 } },
	{ "dot not at line start kept", S("a.\r\nb. .\r\n.\r\n"), 0,
	  { DATA_DONE, S("a.\r\nb. .\r\n"), 13, false, false, 0 } },
	{ "input after the final dot not consumed", S("x\r\n.\r\nQUIT\r\n"), 0,
	  { DATA_DONE, S("x\r\n"), 6, false, false, 0 } },
	{ "pipelined next message not consumed", S(".\r\nMAIL FROM:<>\r\n"), 0,
	  { DATA_DONE, S(""), 3, false, false, 0 } },
	{ "8-bit octets passed through", S("\x80\xff\xc3\xa9 \xfe\r\n.\r\n"), 0,
	  { DATA_DONE, S("\x80\xff\xc3\xa9 \xfe\r\n"), ALL, false, false, 0 } },
	{ "NUL octet passed through", S("a\0b\r\n.\r\n"), 0,
	  { DATA_DONE, S("a\0b\r\n"), 8, false, false, 0 } },
	{ "no final dot yet", S("abc\r\n"), 0,
	  { DATA_MORE, S("abc\r\n"), 5, false, false, 0 } },
	{ "final dot without CRLF yet", S("abc\r\n.\r"), 0,
	  { DATA_MORE, S("abc\r\n"), 7, false, false, 0 } },
	{ "line ending in CR, LF not yet here", S("abc\r"), 0,
	  { DATA_MORE, S("abc\r"), 4, false, false, 0 } },

	/* bare CR / bare LF: stop at the offending octet */
	{ "\\n.\\r\\n at the start", S("\n.\r\n"), 0,
	  { DATA_BAD_EOL, S(""), 0, false, false, 0 } },
	{ "a\\n.\\r\\n", S("a\n.\r\n"), 0,
	  { DATA_BAD_EOL, S("a"), 1, false, false, 0 } },
	{ "\\r\\n.\\n", S("a\r\n.\n"), 0,
	  { DATA_BAD_EOL, S("a\r\n"), 4, false, false, 0 } },
	{ "\\n.\\n", S("a\n.\n"), 0,
	  { DATA_BAD_EOL, S("a"), 1, false, false, 0 } },
	{ "\\r.\\r\\n", S("a\r.\r\n"), 0,
	  { DATA_BAD_EOL, S("a\r"), 2, false, false, 0 } },
	{ "\\r\\n.\\r then X", S("a\r\n.\rX\r\n.\r\n"), 0,
	  { DATA_BAD_EOL, S("a\r\n"), 5, false, false, 0 } },
	{ "\\r\\n.\\r then .", S("a\r\n.\r.\r\n"), 0,
	  { DATA_BAD_EOL, S("a\r\n"), 5, false, false, 0 } },
	{ "bare LF mid-line", S("ab\ncd\r\n.\r\n"), 0,
	  { DATA_BAD_EOL, S("ab"), 2, false, false, 0 } },
	{ "bare CR mid-line", S("ab\rcd\r\n.\r\n"), 0,
	  { DATA_BAD_EOL, S("ab\r"), 3, false, false, 0 } },
	{ "CR CR LF", S("ab\r\r\n.\r\n"), 0,
	  { DATA_BAD_EOL, S("ab\r"), 3, false, false, 0 } },
	{ "bare LF in the header section", S("Subject: x\nFrom: y\r\n\r\n.\r\n"), 0,
	  { DATA_BAD_EOL, S("Subject: x"), 10, false, false, 0 } },
	{ ".\\n as the whole message", S(".\n"), 0,
	  { DATA_BAD_EOL, S(""), 1, false, false, 0 } },
	{ "..\\n", S("..\n.\r\n"), 0,
	  { DATA_BAD_EOL, S("."), 2, false, false, 0 } },
	{ "bare LF after a stuffed dot", S("x\r\n.\n.\r\n"), 0,
	  { DATA_BAD_EOL, S("x\r\n"), 4, false, false, 0 } },

	/* size latch: counts decoded octets; output stops at the limit */
	{ "exactly max octets", S("12345678\r\n.\r\n"), 10,
	  { DATA_DONE, S("12345678\r\n"), 13, false, false, 0 } },
	{ "max + 1 octets", S("123456789\r\n.\r\n"), 10,
	  { DATA_DONE, S("123456789\r"), 14, true, false, 0 } },
	{ "far over max: read to the dot, output stops", S("0123456789abcdef\r\nmore\r\n..stuffed\r\n.\r\nNOOP\r\n"), 4,
	  { DATA_DONE, S("0123"), 38, true, false, 0 } },
	{ "size counts unstuffed octets", S("..\r\n.\r\n"), 3,
	  { DATA_DONE, S(".\r\n"), 7, false, false, 0 } },
	{ "bare LF after the size latch still rejected", S("0123456789\nx\r\n.\r\n"), 4,
	  { DATA_BAD_EOL, S("0123"), 10, true, false, 0 } },
	{ "max 0 means unlimited", S("0123456789\r\n.\r\n"), 0,
	  { DATA_DONE, S("0123456789\r\n"), 15, false, false, 0 } },

	/* Received: counting details */
	{ "Received: case-insensitive", S("RECEIVED: a\r\nreceived: b\r\nReCeIvEd:c\r\n\r\n.\r\n"), 0,
	  { DATA_DONE, S("RECEIVED: a\r\nreceived: b\r\nReCeIvEd:c\r\n\r\n"), ALL, false, false, 3 } },
	{ "look-alike headers not counted", S("X-Received: a\r\nReceived-SPF: b\r\nReceived : c\r\n Received: d\r\nReceive: e\r\n\r\n.\r\n"), 0,
	  { DATA_DONE, S("X-Received: a\r\nReceived-SPF: b\r\nReceived : c\r\n Received: d\r\nReceive: e\r\n\r\n"), ALL, false, false, 0 } },
	{ "a bare Received: line counts", S("Received:\r\n\r\n.\r\n"), 0,
	  { DATA_DONE, S("Received:\r\n\r\n"), 16, false, false, 1 } },
	{ "Received: in the body not counted", S("Subject: x\r\n\r\nReceived: a\r\nReceived: b\r\n.\r\n"), 0,
	  { DATA_DONE, S("Subject: x\r\n\r\nReceived: a\r\nReceived: b\r\n"), 43, false, false, 0 } },
	{ "message starting with the empty line has no headers", S("\r\nReceived: a\r\n.\r\n"), 0,
	  { DATA_DONE, S("\r\nReceived: a\r\n"), 18, false, false, 0 } },
	{ "folded Received: counts once", S("Received: from a\r\n\tby b\r\n  Received: c\r\n\r\n.\r\n"), 0,
	  { DATA_DONE, S("Received: from a\r\n\tby b\r\n  Received: c\r\n\r\n"), 45, false, false, 1 } },
};

/* @n Received: headers (alternating letter case), then a header, an empty
 * line, @body_received more in the body, and the end. */
static char *received_message(unsigned n, unsigned body_received, size_t *len_r, size_t *msg_len_r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s: from h%u.example by mx.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n",
			i % 2 ? "Received" : "received", i);
	fputs("Subject: loop test\r\n\r\n", f);
	for (unsigned i = 0; i < body_received; i++)
		fprintf(f, "Received: quoted in the body %u\r\n", i);
	fflush(f);
	*msg_len_r = len;
	fputs(".\r\n", f);
	fclose(f);
	*len_r = len;
	return buf;
}

static void received_limits(void)
{
	static const struct {
		unsigned headers, body;
		bool loop;
	} rows[] = {
		{ DATA_MAX_RECEIVED - 1, 0, false },
		{ DATA_MAX_RECEIVED, 0, false },
		{ DATA_MAX_RECEIVED + 1, 0, true },
		{ DATA_MAX_RECEIVED + 20, 0, true },
		{ 5, 2 * DATA_MAX_RECEIVED, false },
		{ DATA_MAX_RECEIVED, DATA_MAX_RECEIVED, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		size_t len, msg_len;
		char *msg = received_message(rows[i].headers, rows[i].body, &len, &msg_len);
		char name[128];
		struct expect e = {
			DATA_DONE, msg, msg_len, len, false, rows[i].loop, rows[i].headers,
		};

		snprintf(name, sizeof(name), "%u Received: headers, %u in the body: %s",
			 rows[i].headers, rows[i].body, rows[i].loop ? "loop" : "ok");
		check(name, msg, len, 0, &e);
		free(msg);
	}
}

/* The size latch and the loop latch together, at realistic sizes. */
static void big_message(void)
{
	size_t len, msg_len;
	char *msg = received_message(DATA_MAX_RECEIVED + 1, 0, &len, &msg_len);
	struct expect e = { DATA_DONE, msg, 1000, len, true, true, DATA_MAX_RECEIVED + 1 };

	check("loop and size latches together", msg, len, 1000, &e);
	free(msg);
}

/* A reference decoder written from RFC 5321 §4.1.1.4 / §4.5.2 line by
 * line, for random inputs: lines end in CRLF, a line "." ends the data,
 * a leading "." is dropped, a CR not followed by LF or an LF not preceded
 * by CR is an error.  Emits what the byte machine would have emitted up
 * to the point where it stops. */
static void reference(const char *in, size_t n, uint64_t max, struct outcome *o)
{
	size_t i = 0;
	uint64_t size = 0;
	char *out = malloc(n + 1);

	if (!out)
		abort();
	memset(o, 0, sizeof(*o));
	o->res = DATA_MORE;
	o->used = n;
#define EMIT(c) do { if (!max || size < max) out[o->out_len++] = (c); size++; } while (0)
	while (i < n) {
		size_t j = i, k;
		bool dot = in[i] == '.';

		while (j < n && in[j] != '\r' && in[j] != '\n')
			j++;
		/* the line's text, without a leading dot */
		for (k = i + (dot ? 1 : 0); k < j; k++)
			EMIT(in[k]);
		if (j == n)
			break;		/* incomplete line */
		if (in[j] == '\n') {
			o->res = DATA_BAD_EOL;
			o->used = j;
			break;
		}
		if (j - i == 1 && dot) {
			/* "." then CR: the end, or a bare CR */
			if (j + 1 == n)
				break;
			o->res = in[j + 1] == '\n' ? DATA_DONE : DATA_BAD_EOL;
			o->used = in[j + 1] == '\n' ? j + 2 : j + 1;
			break;
		}
		EMIT('\r');
		if (j + 1 == n)
			break;
		if (in[j + 1] != '\n') {
			o->res = DATA_BAD_EOL;
			o->used = j + 1;
			break;
		}
		EMIT('\n');
		i = j + 2;
	}
#undef EMIT
	o->out = out;
	o->too_big = max && size > max;
}

/* Random inputs over ". \r \n a R", checked against reference() whole,
 * one byte at a time and in random chunks. */
static void differential(void)
{
	static const char alphabet[] = "..\r\n\r\naR\r\n";
	unsigned long seed = 5321;
	unsigned bad_whole = 0, bad_bytes = 0, bad_chunks = 0, runs = 20000;
	char in[48];

	for (unsigned r = 0; r < runs; r++) {
		size_t n;
		uint64_t max;
		struct outcome want = { 0 }, got = { 0 };

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = (seed >> 33) % sizeof(in);
		max = (seed >> 20) % 4 == 0 ? (seed >> 40) % 12 : 0;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			in[i] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
		}
		reference(in, n, max, &want);
		{
			struct expect e = { want.res, want.out, want.out_len, want.used, want.too_big, false, -1 };

			run(in, n, max, n ? n : 1, 0, &got);
			if (!same(&got, &e) && bad_whole++ == 0) {
				diag("  first whole mismatch, input of %zu octets, max %llu:", n, (unsigned long long)max);
				report_outcome("decoder", &got);
				report_outcome("reference", &want);
			}
			run(in, n, max, 1, 0, &got);
			if (!same(&got, &e))
				bad_bytes++;
			run(in, n, max, 1 + (seed >> 50) % 5, 0, &got);
			if (!same(&got, &e))
				bad_chunks++;
		}
		free(got.out);
		free(want.out);
	}
	is_int(bad_whole, 0, "%u random inputs agree with a line-by-line reference (whole)", runs);
	is_int(bad_bytes, 0, "%u random inputs agree with the reference (one byte at a time)", runs);
	is_int(bad_chunks, 0, "%u random inputs agree with the reference (random chunks)", runs);
}

/* The first line decides whether the store puts an empty line before the
 * message (RFC 5322 §2.2: a header field is field-name ":"; a first line
 * that is not one means there is no header section, and one starting with
 * SP/HT would continue our own Received:).  Fed whole and byte by byte. */
static void first_line(void)
{
	static const struct {
		const char *in;
		enum first_line want;
	} rows[] = {
		{ "Subject: x\r\n\r\nb\r\n.\r\n", FIRST_HEADER },
		{ "X:y\r\n.\r\n", FIRST_HEADER },
		{ "Subject : obsolete\r\n.\r\n", FIRST_HEADER },	/* RFC 5322 §4.5.3 */
		{ "\r\nbody\r\n.\r\n", FIRST_HEADER },		/* empty line: already separated */
		{ " X: y\r\n.\r\n", FIRST_BODY },
		{ "\tX: y\r\n.\r\n", FIRST_BODY },
		{ "hello world\r\n.\r\n", FIRST_BODY },
		{ "From someone Sat Jan  1 00:00:00 2000\r\n.\r\n", FIRST_BODY },
		{ ":x\r\n.\r\n", FIRST_BODY },
		{ "X y: z\r\n.\r\n", FIRST_BODY },
		{ "..dotted\r\n.\r\n", FIRST_BODY },
		{ "Subj\xc3\xa9: x\r\n.\r\n", FIRST_BODY },
		{ "Subject\r\n.\r\n", FIRST_BODY },
		{ ".\r\n", FIRST_UNKNOWN },			/* empty message */
	};
	char out[256], name[1100];

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		size_t n = strlen(rows[i].in), olen, used;
		struct data_decoder whole, bytes;

		data_init(&whole, 0);
		data_feed(&whole, rows[i].in, n, out, &olen, &used);
		data_init(&bytes, 0);
		for (size_t k = 0; k < n; k++)
			data_feed(&bytes, rows[i].in + k, 1, out, &olen, &used);
		snprintf(name, sizeof(name), "first line %zu: %s", i,
			 rows[i].want == FIRST_BODY ? "not a header field" : "header field or none");
		ok(whole.first == rows[i].want && bytes.first == rows[i].want
		   && data_needs_separator(&whole) == (rows[i].want == FIRST_BODY), "%s", name);
	}
	/* a "field name" as long as a line may be is body text */
	{
		char *big = malloc(2 * DATA_FIRST_LINE_MAX + 16);
		struct data_decoder d;
		size_t olen, used;
		char *o = malloc(2 * DATA_FIRST_LINE_MAX + 16);

		if (!big || !o)
			abort();
		memset(big, 'a', 2 * DATA_FIRST_LINE_MAX);
		data_init(&d, 0);
		data_feed(&d, big, DATA_FIRST_LINE_MAX - 1, o, &olen, &used);
		ok(d.first == FIRST_UNKNOWN, "first line: %d octets of field name, not decided", DATA_FIRST_LINE_MAX - 1);
		data_feed(&d, big, 1, o, &olen, &used);
		ok(d.first == FIRST_BODY, "first line: decided (body) at %d octets", DATA_FIRST_LINE_MAX);
		free(big);
		free(o);
	}
}

/* RFC 5322 §2.3: NUL is latched wherever it is (header, body fast path,
 * a dot-stuffed line), whole and byte by byte; nothing else latches it. */
static void nul_latch(void)
{
	static const struct {
		const char *in;
		size_t n;
		bool nul;
	} rows[] = {
		{ S("a\0b\r\n.\r\n"), true },
		{ S("Subject: x\r\n\r\nbody \0 text\r\n.\r\n"), true },
		{ S("Subject: x\r\n\r\n.\0\r\n.\r\n"), true },
		{ S("\0\r\n.\r\n"), true },
		{ S("Subject: x\r\n\r\n\x01\x7f\xff\r\n.\r\n"), false },
	};
	char out[128];

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct data_decoder whole, bytes;
		size_t olen, used;
		enum data_result r = DATA_MORE;

		data_init(&whole, 0);
		data_feed(&whole, rows[i].in, rows[i].n, out, &olen, &used);
		data_init(&bytes, 0);
		for (size_t k = 0; k < rows[i].n && r == DATA_MORE; k++)
			r = data_feed(&bytes, rows[i].in + k, 1, out, &olen, &used);
		ok(whole.nul == rows[i].nul && bytes.nul == rows[i].nul, "NUL latch row %zu: %s", i,
		   rows[i].nul ? "latched" : "not latched");
	}
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check(cases[i].name, cases[i].in, cases[i].n, cases[i].max, &cases[i].e);
	received_limits();
	big_message();
	differential();
	first_line();
	nul_latch();
	return done();
}
