/* test-linereader.c — the command-line reader (handlers/linereader.h).
 *
 * Every case is fed whole, one byte at a time, and split in two at every
 * offset; each way must give the same lines.  The buffer is the session's
 * (COMMAND_LINE_MAX): RFC 5321 §4.5.3.1.4 allows 512 octets including CRLF,
 * so 510 octets of text end a line that fits and 511 do not.
 */
#include "linereader.h"

#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "tap.h"
#include "testutil.h"

/* What the reader reported: "[line]" per LR_LINE, "!" per LR_TOO_LONG. */
struct events {
	char *s;
	size_t len, cap;
	unsigned protocol_errors;	/* no progress, over-consumption, no NUL */
};

static void ev_add(struct events *ev, const char *p, size_t n)
{
	if (ev->len + n + 1 > ev->cap) {
		ev->cap = (ev->len + n + 1) * 2;
		ev->s = realloc(ev->s, ev->cap);
		if (!ev->s)
			abort();
	}
	memcpy(ev->s + ev->len, p, n);
	ev->len += n;
	ev->s[ev->len] = '\0';
}

static void feed_piece(struct line_reader *lr, const char *p, size_t n, struct events *ev)
{
	while (n > 0) {
		size_t used = 0;
		enum lr_result r = lr_feed(lr, p, n, &used);

		if (used == 0 || used > n) {
			ev->protocol_errors++;
			return;
		}
		switch (r) {
		case LR_NEED_MORE:
			if (used != n)
				ev->protocol_errors++;
			break;
		case LR_LINE:
			if (lr->buf[lr->len] != '\0' || lr->len >= lr->cap)
				ev->protocol_errors++;
			ev_add(ev, "[", 1);
			ev_add(ev, lr->buf, lr->len);
			ev_add(ev, "]", 1);
			break;
		case LR_TOO_LONG:
			ev_add(ev, "!", 1);
			break;
		}
		p += used;
		n -= used;
	}
}

/* Feeds @in in pieces of @chunk octets, or in two pieces split at @split
 * when @chunk is 0. */
static size_t cap = COMMAND_LINE_MAX;

static void run(const char *in, size_t n, size_t chunk, size_t split, struct events *ev)
{
	static char buf[COMMAND_LINE_MAX];
	struct line_reader lr;

	ev->len = 0;
	ev->protocol_errors = 0;
	ev_add(ev, "", 0);
	lr_init(&lr, buf, cap);
	if (chunk == 0) {
		feed_piece(&lr, in, split, ev);
		feed_piece(&lr, in + split, n - split, ev);
		return;
	}
	for (size_t i = 0; i < n; i += chunk)
		feed_piece(&lr, in + i, n - i < chunk ? n - i : chunk, ev);
}

static void check(const char *name, const char *in, size_t n, const char *want, size_t wantlen)
{
	struct events ev = { 0 };
	unsigned bad_splits = 0, bad_protocol = 0;
	size_t first_bad = 0;

	run(in, n, n ? n : 1, 0, &ev);
	is_mem(ev.s, ev.len, want, wantlen, "%s: whole", name);
	bad_protocol += ev.protocol_errors;
	run(in, n, 1, 0, &ev);
	is_mem(ev.s, ev.len, want, wantlen, "%s: one byte at a time", name);
	bad_protocol += ev.protocol_errors;
	for (size_t k = 0; k <= n; k++) {
		run(in, n, 0, k, &ev);
		bad_protocol += ev.protocol_errors;
		if (ev.len != wantlen || memcmp(ev.s, want, wantlen) != 0) {
			if (!bad_splits++)
				first_bad = k;
		}
	}
	if (!ok(bad_splits == 0, "%s: split in two at each of %zu offsets", name, n + 1))
		diag("  %u splits differ, first at %zu", bad_splits, first_bad);
	is_int(bad_protocol, 0, "%s: every call consumed 1..n octets, lines NUL-terminated", name);
	free(ev.s);
}

static void check_str(const char *name, const char *in, const char *want)
{
	check(name, in, strlen(in), want, strlen(want));
}

static const struct {
	const char *name, *in, *want;
} cases[] = {
	{ "CRLF line", "HELO a\r\n", "[HELO a]" },
	{ "LF line", "HELO a\n", "[HELO a]" },
	{ "empty CRLF line", "\r\n", "[]" },
	{ "empty LF line", "\n", "[]" },
	{ "mixed endings", "a\r\nb\nc\r\n", "[a][b][c]" },
	{ "no end of line yet", "MAIL FROM:<a@b>", "" },
	{ "line then partial", "NOOP\r\nQU", "[NOOP]" },
	{ "CR inside a line is kept", "a\rb\r\n", "[a\rb]" },
	{ "only the CR before LF is dropped", "a\r\r\n", "[a\r]" },
	{ "8-bit octets kept", "MAIL FROM:<\xc3\xa9@x>\r\n", "[MAIL FROM:<\xc3\xa9@x>]" },
	{ "pipelined commands", "EHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n",
	  "[EHLO x][MAIL FROM:<>][RCPT TO:<a@b>][DATA]" },
};

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void long_lines(void)
{
	char *x510 = repeat('x', 510), *x511 = repeat('x', 511), *x512 = repeat('x', 512);
	char *x2000 = repeat('x', 2000), *y510 = repeat('y', 510);
	char *in, *want;

	if (asprintf(&in, "%s\r\n", x510) < 0 || asprintf(&want, "[%s]", x510) < 0)
		abort();
	check_str("510 octets + CRLF (512 in all) fits", in, want);
	free(in);
	free(want);

	if (asprintf(&in, "%s\r\nQUIT\r\n", x511) < 0)
		abort();
	check_str("511 octets + CRLF is too long, once; next line intact", in, "![QUIT]");
	free(in);

	if (asprintf(&in, "%s\r\nNOOP\r\n", x512) < 0)
		abort();
	check_str("512 octets + CRLF too long", in, "![NOOP]");
	free(in);

	if (asprintf(&in, "%s\n", x511) < 0 || asprintf(&want, "[%s]", x511) < 0)
		abort();
	check_str("511 octets + LF (512 in all) fits", in, want);
	free(in);
	free(want);

	if (asprintf(&in, "%s\nRSET\n", x512) < 0)
		abort();
	check_str("512 octets + LF too long", in, "![RSET]");
	free(in);

	if (asprintf(&in, "%s\r\n%s\r\n", x2000, y510) < 0 || asprintf(&want, "![%s]", y510) < 0)
		abort();
	check_str("2000 octets drained, then a full-size line", in, want);
	free(in);
	free(want);

	if (asprintf(&in, "%s\r\n%s\r\n\r\n", x2000, x511) < 0)
		abort();
	check_str("two long lines in a row, then an empty one", in, "!![]");
	free(in);

	free(x510);
	free(x511);
	free(x512);
	free(x2000);
	free(y510);
}

static void many_lines(void)
{
	char *in = NULL, *want = NULL;
	size_t inlen = 0, wantlen = 0;
	FILE *fi = open_memstream(&in, &inlen), *fw = open_memstream(&want, &wantlen);

	if (!fi || !fw)
		abort();
	for (int i = 0; i < 300; i++) {
		fprintf(fi, "RCPT TO:<user%d@example.org>%s", i, i % 3 ? "\r\n" : "\n");
		fprintf(fw, "[RCPT TO:<user%d@example.org>]", i);
	}
	fclose(fi);
	fclose(fw);
	check("300 lines in one buffer", in, inlen, want, wantlen);
	free(in);
	free(want);
}

static void nul_inside(void)
{
	static const char in[] = "a\0b\r\n";
	static const char want[] = "[a\0b]";

	check("NUL inside a line is counted in len", in, sizeof(in) - 1, want, sizeof(want) - 1);
}

/* Reference: split at LF; a line whose octets before the LF do not fit
 * in cap - 1 is "!", else it is shown without one trailing CR. */
static void reference(const char *in, size_t n, struct events *ev)
{
	size_t i = 0;

	ev->len = 0;
	ev_add(ev, "", 0);
	while (i < n) {
		const char *nl = memchr(in + i, '\n', n - i);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - (in + i));
		if (len >= cap) {
			ev_add(ev, "!", 1);
		} else {
			ev_add(ev, "[", 1);
			ev_add(ev, in + i, len && in[i + len - 1] == '\r' ? len - 1 : len);
			ev_add(ev, "]", 1);
		}
		i += len + 1;
	}
}

/* Random inputs over "a b CR LF" with a buffer of 8 octets, so that
 * lines often straddle the limit. */
static void differential(void)
{
	static const char alphabet[] = "ab\r\n\nab";
	unsigned long seed = 4531;
	unsigned bad[3] = { 0 }, runs = 20000;
	struct events want = { 0 }, got = { 0 };
	char in[64];

	cap = 8;
	for (unsigned r = 0; r < runs; r++) {
		size_t n;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = (seed >> 33) % sizeof(in);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			in[i] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
		}
		reference(in, n, &want);
		run(in, n, n ? n : 1, 0, &got);
		bad[0] += got.protocol_errors || got.len != want.len || memcmp(got.s, want.s, want.len);
		run(in, n, 1, 0, &got);
		bad[1] += got.protocol_errors || got.len != want.len || memcmp(got.s, want.s, want.len);
		run(in, n, 1 + (seed >> 50) % 7, 0, &got);
		bad[2] += got.protocol_errors || got.len != want.len || memcmp(got.s, want.s, want.len);
	}
	cap = COMMAND_LINE_MAX;
	is_int(bad[0], 0, "%u random inputs (buffer of 8) agree with a reference (whole)", runs);
	is_int(bad[1], 0, "%u random inputs agree with the reference (one byte at a time)", runs);
	is_int(bad[2], 0, "%u random inputs agree with the reference (random chunks)", runs);
	free(want.s);
	free(got.s);
}

static bool all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* An over-long line (an AUTH line with a password in it) leaves nothing
 * of itself in the buffer: not while it is being drained, not after
 * LR_TOO_LONG, whether it came whole or one byte at a time. */
static void overlong_wiped(void)
{
	static char buf[COMMAND_LINE_MAX];
	char *secret = repeat('S', 3 * COMMAND_LINE_MAX);
	struct line_reader lr;
	size_t used;
	enum lr_result r;

	memcpy(secret, "AUTH PLAIN ", 11);
	lr_init(&lr, buf, sizeof(buf));
	r = lr_feed(&lr, secret, strlen(secret), &used);
	ok(r == LR_NEED_MORE && all_zero(buf, sizeof(buf)), "over-long line, no LF yet: the buffer is already wiped");
	r = lr_feed(&lr, "\r\n", 2, &used);
	ok(r == LR_TOO_LONG && all_zero(buf, sizeof(buf)), "over-long line ended: LR_TOO_LONG, buffer all zero");

	lr_init(&lr, buf, sizeof(buf));
	for (size_t i = 0; secret[i]; i++)
		lr_feed(&lr, secret + i, 1, &used);
	ok(all_zero(buf, sizeof(buf)), "over-long line one byte at a time: buffer all zero");
	r = lr_feed(&lr, "\n", 1, &used);
	is_int(r, LR_TOO_LONG, "and it is reported once at its LF");
	free(secret);
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_str(cases[i].name, cases[i].in, cases[i].want);
	nul_inside();
	long_lines();
	many_lines();
	differential();
	overlong_wiped();
	return done();
}
