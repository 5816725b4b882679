/* test-heldmsg.c — the held message (handlers/heldmsg.h).
 *
 * Each message is fed whole, one byte at a time and split in two at every
 * offset; all must find the same fields and body, and without edits the
 * message comes out byte for byte as it went in (RFC 5322 §2.1, §2.2.3:
 * the header section ends at the empty line or at the first line that is
 * neither a field nor a continuation).  Then the edits milter asks for:
 * insert, append, change, delete, fold conversion, leading space.
 */
#include "heldmsg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

static const char *dir;

struct out {
	char *p;
	size_t n;
};

static int collect(void *ctx, const char *buf, size_t n)
{
	struct out *o = ctx;

	o->p = realloc(o->p, o->n + n + 1);
	memcpy(o->p + o->n, buf, n);
	o->n += n;
	o->p[o->n] = '\0';
	return 0;
}

/* Hold @in fed in pieces of @chunk (0: split at @split). */
static void hold(struct held_msg *m, const char *in, size_t n, size_t chunk, size_t split)
{
	size_t pos = 0;

	if (held_open(m, dir) < 0)
		exit(99);
	while (pos < n) {
		size_t end = chunk ? (n - pos < chunk ? n : pos + chunk) : (pos < split && split < n ? split : n);

		held_write(m, in + pos, end - pos);
		pos = end;
	}
	held_end(m);
}

static char *emit(struct held_msg *m, size_t *n)
{
	struct out o = { 0 };

	if (held_emit(m, collect, &o) < 0)
		o.n = (size_t)-1;
	*n = o.n;
	return o.p ? o.p : strdup("");
}

/* The fields as "name=value|" for comparison. */
static char *fields(const struct held_msg *m)
{
	struct out o = { 0 };

	collect(&o, "", 0);
	for (size_t i = 0; i < held_count(m); i++) {
		const char *name, *value;
		size_t nl, vl;

		held_field(m, i, &name, &nl, &value, &vl);
		collect(&o, name, nl);
		collect(&o, "=", 1);
		collect(&o, value, vl);
		collect(&o, "|", 1);
	}
	return o.p;
}

struct hcase {
	const char *what, *in, *fields;
	size_t body;		/* body length */
};

static const struct hcase cases[] = {
	{ "plain", "Subject: hi\r\nFrom: a@b\r\n\r\nbody\r\n", "Subject= hi|From= a@b|", 6 },
	{ "folded field", "Subject: a\r\n b\r\nX:y\r\n\r\nB\r\n", "Subject= a\r\n b|X=y|", 3 },
	{ "no empty line: a non-field line ends the section",
	  "Subject: x\r\nnot a header\r\nmore\r\n", "Subject= x|", 20 },
	{ "first line a continuation: no header section", " x\r\nSubject: y\r\n", "", 16 },
	{ "no fields, empty line", "\r\nbody\r\n", "", 6 },
	{ "empty message", "", "", 0 },
	{ "only fields", "A: 1\r\nB: 2\r\n", "A= 1|B= 2|", 0 },
	{ "obsolete space before the colon", "Subject : x\r\n\r\n", "Subject= x|", 0 },
	{ "From_ line is body", "From alice Mon\r\nSubject: x\r\n\r\n", "", 30 },
	{ "8-bit value kept", "Subject: caf\xc3\xa9\r\n\r\n.\r\n", "Subject= caf\xc3\xa9|", 3 },
	{ "name with a space is not a field", "Bad Name: x\r\n\r\n", "", 15 },
	{ "empty lines in the body stay", "A: 1\r\n\r\n\r\n\r\nx", "A= 1|", 5 },
};

static void test_cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct hcase *c = &cases[i];
		size_t n = strlen(c->in), bad = 0;

		for (size_t k = 0; k <= n + 1; k++) {
			struct held_msg m;
			char *f, *o;
			size_t on;

			/* k == 0: whole; k == 1: byte by byte; else split at k - 1 */
			hold(&m, c->in, n, k == 0 ? n + 1 : k == 1 ? 1 : 0, k - 1);
			f = fields(&m);
			o = emit(&m, &on);
			if (strcmp(f, c->fields) != 0 || m.body_len != c->body || on != n || memcmp(o, c->in, n) != 0) {
				if (!bad++)
					diag("%s: at k=%zu fields '%s' body %llu", c->what, k, f,
					     (unsigned long long)m.body_len);
			}
			free(f);
			free(o);
			held_close(&m);
		}
		ok(bad == 0, "%s: same fields and body every way, emitted unchanged", c->what);
	}
}

static void test_limits(void)
{
	size_t big = HELD_HEADER_MAX + 5000, n = 0, on;
	char *in = malloc(big + 64), *o;
	struct held_msg m;

	/* fields until past the bound, then a body */
	while (n < big) {
		memcpy(in + n, "X-Pad: 0123456789012345678901234567890123456789\r\n", 50);
		n += 50;
	}
	memcpy(in + n, "\r\nbody\r\n", 8);
	n += 8;
	hold(&m, in, n, 4096, 0);
	o = emit(&m, &on);
	ok(on == n && memcmp(o, in, n) == 0, "header section past HELD_HEADER_MAX: emitted unchanged");
	ok(m.head_len <= HELD_HEADER_MAX, "held header bytes stay within the bound (%zu)", m.head_len);
	ok(held_count(&m) > 0 && held_count(&m) <= HELD_HEADER_MAX / 50, "the fields before the bound are fields (%zu)",
	   held_count(&m));
	free(o);
	held_close(&m);

	/* more fields than HELD_FIELDS_MAX */
	n = 0;
	for (int i = 0; i < HELD_FIELDS_MAX + 10; i++) {
		memcpy(in + n, "A: b\r\n", 6);
		n += 6;
	}
	memcpy(in + n, "\r\nx", 3);
	n += 3;
	hold(&m, in, n, n, 0);
	o = emit(&m, &on);
	ok(held_count(&m) == HELD_FIELDS_MAX && on == n && memcmp(o, in, n) == 0,
	   "fields past HELD_FIELDS_MAX go to the body, message unchanged");
	is_int(held_insert(&m, 0, "X", "y", false), -E2BIG, "no insert past HELD_FIELDS_MAX");
	free(o);
	held_close(&m);
	free(in);
}

static void test_edits(void)
{
	const char *in = "Received: from x\r\nSubject: one\r\nX-Spam: yes\r\nFrom: a@b\r\nX-Spam: again\r\n\r\nbody\r\n";
	struct held_msg m;
	char *o;
	size_t on;

	hold(&m, in, strlen(in), strlen(in), 0);
	ok(!held_insert(&m, 0, "Authentication-Results", "mx; dkim=pass", false), "insert at 0");
	ok(!held_insert(&m, 999, "X-Last", "z", false), "insert past the end appends");
	ok(!held_append(&m, "X-Spamd-Result", "default: False\n\tR_SPF_NA", false), "append a folded value");
	ok(!held_change(&m, "subject", 1, " [SPAM] one", true), "change the first Subject (name case-insensitive, spelling kept)");
	ok(!held_change(&m, "X-Spam", 2, "", false), "delete the second X-Spam");
	ok(!held_change(&m, "X-Spam", 5, "", false), "delete a field that is not there: nothing");
	ok(!held_change(&m, "X-New", 1, "v", false), "change a field that is not there: added");
	o = emit(&m, &on);
	is_str(o, "Authentication-Results: mx; dkim=pass\r\n"
		  "Received: from x\r\n"
		  "Subject: [SPAM] one\r\n"
		  "X-Spam: yes\r\n"
		  "From: a@b\r\n"
		  "X-Last: z\r\n"
		  "X-Spamd-Result: default: False\r\n\tR_SPF_NA\r\n"
		  "X-New: v\r\n"
		  "\r\nbody\r\n", "edits applied in order; untouched fields byte for byte");
	ok(m.edited, "edited is set");
	free(o);
	held_close(&m);

	/* occurrence 0 means the first, as in libmilter */
	hold(&m, in, strlen(in), 1, 0);
	held_change(&m, "X-Spam", 0, "", false);
	o = emit(&m, &on);
	ok(strstr(o, "X-Spam: yes") == NULL && strstr(o, "X-Spam: again") != NULL, "occurrence 0 is the first");
	free(o);
	held_close(&m);

	/* a message without an empty line gets none from an edit */
	hold(&m, "A: 1\r\n", 6, 6, 0);
	held_append(&m, "B", "2", false);
	o = emit(&m, &on);
	is_str(o, "A: 1\r\nB: 2\r\n", "append to a header-only message");
	free(o);
	held_close(&m);
}

static void test_body_read(void)
{
	struct held_msg m;
	char buf[16];
	long n;

	hold(&m, "A: 1\r\n\r\n0123456789", 18, 3, 0);
	n = held_body_read(&m, 2, buf, sizeof(buf));
	ok(n == 8 && memcmp(buf, "23456789", 8) == 0, "body read from an offset");
	is_int(held_body_read(&m, 10, buf, sizeof(buf)), 0, "body read at the end");
	held_close(&m);
}

int main(void)
{
	char *d = scratch_dir("heldmsg");

	dir = d;
	test_cases();
	test_limits();
	test_edits();
	test_body_read();
	scratch_remove(d);
	free(d);
	return done();
}
