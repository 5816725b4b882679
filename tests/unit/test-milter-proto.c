/* test-milter-proto.c — the milter codec (handlers/milter-proto.h).
 *
 * Frames we send are compared byte for byte with the wire format of
 * libmilter's mfdef.h.  Every reply a filter can send is reassembled from
 * the stream whole, one byte at a time and split in two at every offset,
 * then parsed; malformed packets (lengths past the end, strings without
 * their NUL, verdicts with data, bad header names and values, reply texts
 * with CR/LF or the wrong class) are refused.
 */
#include "milter-proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

/* A packet on the wire: length word, command, data. */
static size_t wire(char *out, char cmd, const char *data, size_t n)
{
	uint32_t len = (uint32_t)n + 1;

	out[0] = (char)(len >> 24);
	out[1] = (char)(len >> 16);
	out[2] = (char)(len >> 8);
	out[3] = (char)len;
	out[4] = cmd;
	memcpy(out + 5, data, n);
	return n + 5;
}

struct fed {
	enum milter_read_result res;
	char cmd;
	size_t datalen, used;
	char data[MILTER_REPLY_MAX];
};

/* Feed @in in pieces of @chunk (0: split in two at @split) until the
 * first result other than MR_MORE. */
static void feed(const char *in, size_t n, size_t chunk, size_t split, struct fed *f)
{
	struct milter_reader r;
	size_t pos = 0;

	memset(f, 0, sizeof(*f));
	milter_reader_init(&r, f->data);
	f->res = MR_MORE;
	while (pos < n && f->res == MR_MORE) {
		size_t end = chunk ? (n - pos < chunk ? n : pos + chunk) : (pos < split && split < n ? split : n), used;

		f->res = milter_reader_feed(&r, in + pos, end - pos, &used);
		pos += used;
	}
	f->used = pos;
	f->cmd = r.cmd;
	if (f->res == MR_PACKET)
		f->datalen = milter_reader_datalen(&r);
}

/* Reassemble one packet every way; true when every way agrees with the
 * whole feed, which must be MR_PACKET of all @n bytes. */
static bool reassembles(const char *in, size_t n, struct fed *whole)
{
	struct fed *f = malloc(sizeof(*f));
	bool same = true;

	feed(in, n, n, 0, whole);
	if (whole->res != MR_PACKET || whole->used != n)
		same = false;
	for (size_t k = 0; k < n && same; k++) {
		feed(in, n, k == 0 ? 1 : 0, k, f);
		same = f->res == whole->res && f->used == whole->used && f->cmd == whole->cmd
		       && f->datalen == whole->datalen && memcmp(f->data, whole->data, f->datalen) == 0;
	}
	free(f);
	return same;
}

struct parse_case {
	const char *what;
	char cmd;
	const char *data;
	size_t n;
	enum milter_parse_result want;
	enum milter_reply_kind kind;
};

#define D(s) s, sizeof(s) - 1

static const struct parse_case parse_cases[] = {
	{ "accept", 'a', D(""), MP_OK, MRK_ACCEPT },
	{ "continue", 'c', D(""), MP_OK, MRK_CONTINUE },
	{ "reject", 'r', D(""), MP_OK, MRK_REJECT },
	{ "tempfail", 't', D(""), MP_OK, MRK_TEMPFAIL },
	{ "discard", 'd', D(""), MP_OK, MRK_DISCARD },
	{ "shutdown", '4', D(""), MP_OK, MRK_SHUTDOWN },
	{ "connection failure", 'f', D(""), MP_OK, MRK_SHUTDOWN },
	{ "skip", 's', D(""), MP_OK, MRK_SKIP },
	{ "progress", 'p', D(""), MP_OK, MRK_PROGRESS },
	{ "replycode", 'y', D("550 5.7.1 Gtube pattern\0"), MP_OK, MRK_REPLYCODE },
	{ "replycode 4xx, no enhanced code", 'y', D("451 try later\0"), MP_OK, MRK_REPLYCODE },
	{ "replycode code only", 'y', D("554\0"), MP_OK, MRK_REPLYCODE },
	{ "replycode multi-line", 'y', D("550-5.7.1 one\r\n550 5.7.1 two\0"), MP_OK, MRK_REPLYCODE },
	{ "replycode 421", 'y', D("421 4.7.0 closing\0"), MP_OK, MRK_REPLYCODE },
	{ "addheader", 'h', D("X-Spam\0Yes\0"), MP_OK, MRK_ADDHEADER },
	{ "addheader folded (LF)", 'h', D("X-Spamd-Result\0default: False\n\tR_SPF_NA\0"), MP_OK, MRK_ADDHEADER },
	{ "addheader folded (CRLF)", 'h', D("X-A\0a\r\n b\0"), MP_OK, MRK_ADDHEADER },
	{ "addheader empty value", 'h', D("X-A\0\0"), MP_OK, MRK_ADDHEADER },
	{ "insheader", 'i', D("\0\0\0\0Authentication-Results\0 mx; dkim=pass\0"), MP_OK, MRK_INSHEADER },
	{ "chgheader", 'm', D("\0\0\0\1Subject\0 [SPAM] hi\0"), MP_OK, MRK_CHGHEADER },
	{ "chgheader delete", 'm', D("\0\0\0\2X-Spam\0\0"), MP_OK, MRK_CHGHEADER },
	{ "optneg", 'O', D("\0\0\0\6\0\0\0\x13\0\0\0\x30"), MP_OK, MRK_OPTNEG },
	{ "optneg with macros", 'O', D("\0\0\0\6\0\0\1\xff\0\0\0\0\0\0\0\2{mail_addr} i\0\0\0\0\0j {client_addr}\0"), MP_OK, MRK_OPTNEG },
	{ "replbody", 'b', D("new body"), MP_OK, MRK_UNSUPPORTED },
	{ "addrcpt", '+', D("<x@y>\0"), MP_OK, MRK_UNSUPPORTED },
	{ "delrcpt", '-', D("<x@y>\0"), MP_OK, MRK_UNSUPPORTED },
	{ "addrcpt_par", '2', D("<x@y>\0\0"), MP_OK, MRK_UNSUPPORTED },
	{ "chgfrom", 'e', D("<x@y>\0"), MP_OK, MRK_UNSUPPORTED },
	{ "quarantine", 'q', D("why\0"), MP_OK, MRK_QUARANTINE },
	{ "quarantine without NUL", 'q', D("why"), MP_MALFORMED, 0 },
	{ "quarantine with bytes after NUL", 'q', D("why\0x"), MP_MALFORMED, 0 },
	{ "setsymlist outside negotiation", 'l', D("\0\0\0\0j\0"), MP_OK, MRK_UNSUPPORTED },

	{ "unknown letter", 'Z', D(""), MP_UNKNOWN, 0 },
	{ "NUL letter", '\0', D(""), MP_UNKNOWN, 0 },
	{ "accept with data", 'a', D("x"), MP_MALFORMED, 0 },
	{ "continue with data", 'c', D("\0"), MP_MALFORMED, 0 },
	{ "replycode without NUL", 'y', D("550 5.7.1 no nul"), MP_MALFORMED, 0 },
	{ "replycode with bytes after NUL", 'y', D("550 x\0y"), MP_MALFORMED, 0 },
	{ "replycode empty", 'y', D(""), MP_MALFORMED, 0 },
	{ "replycode 250", 'y', D("250 2.0.0 ok\0"), MP_BAD_REPLY, 0 },
	{ "replycode 354", 'y', D("354 go on\0"), MP_BAD_REPLY, 0 },
	{ "replycode class mismatch", 'y', D("550 4.7.1 no\0"), MP_BAD_REPLY, 0 },
	{ "replycode bad enhanced code", 'y', D("550 5.7.1234 no\0"), MP_BAD_REPLY, 0 },
	{ "replycode CRLF at the end", 'y', D("550 5.7.1 x\r\n\0"), MP_BAD_REPLY, 0 },
	{ "replycode bare LF", 'y', D("550 5.7.1 a\nRCPT TO:<x>\0"), MP_BAD_REPLY, 0 },
	{ "replycode bare CR", 'y', D("550 5.7.1 a\rb\0"), MP_BAD_REPLY, 0 },
	{ "replycode injected line", 'y', D("550 5.7.1 a\r\n250 ok\0"), MP_BAD_REPLY, 0 },
	{ "replycode multi-line code changes", 'y', D("550-a\r\n551 b\0"), MP_BAD_REPLY, 0 },
	{ "replycode multi-line enhanced code on one line", 'y', D("550-5.7.1 a\r\n550 b\0"), MP_BAD_REPLY, 0 },
	{ "replycode control char", 'y', D("550 a\033[2Jb\0"), MP_BAD_REPLY, 0 },
	{ "replycode 8-bit", 'y', D("550 caf\xc3\xa9\0"), MP_BAD_REPLY, 0 },
	{ "replycode no space", 'y', D("550x\0"), MP_BAD_REPLY, 0 },
	{ "replycode two digits", 'y', D("55 x\0"), MP_BAD_REPLY, 0 },
	{ "addheader no value", 'h', D("X-A\0"), MP_MALFORMED, 0 },
	{ "addheader value without NUL", 'h', D("X-A\0abc"), MP_MALFORMED, 0 },
	{ "addheader trailing bytes", 'h', D("X-A\0v\0z"), MP_MALFORMED, 0 },
	{ "addheader empty name", 'h', D("\0v\0"), MP_MALFORMED, 0 },
	{ "addheader name with colon", 'h', D("X:A\0v\0"), MP_MALFORMED, 0 },
	{ "addheader name with space", 'h', D("X A\0v\0"), MP_MALFORMED, 0 },
	{ "addheader name with CRLF", 'h', D("X\r\nBcc\0v\0"), MP_MALFORMED, 0 },
	{ "addheader value bare LF", 'h', D("X-A\0a\nBcc: evil@x\0"), MP_MALFORMED, 0 },
	{ "addheader value bare CR", 'h', D("X-A\0a\rb\0"), MP_MALFORMED, 0 },
	{ "addheader value ends in LF", 'h', D("X-A\0a\n\0"), MP_MALFORMED, 0 },
	{ "insheader short", 'i', D("\0\0\0"), MP_MALFORMED, 0 },
	{ "insheader no strings", 'i', D("\0\0\0\0"), MP_MALFORMED, 0 },
	{ "chgheader name without NUL", 'm', D("\0\0\0\1Subject"), MP_MALFORMED, 0 },
	{ "optneg short", 'O', D("\0\0\0\6\0\0\0\0\0\0\0"), MP_MALFORMED, 0 },
	{ "optneg macro stage out of range", 'O', D("\0\0\0\6\0\0\0\0\0\0\0\0\0\0\0\7j\0"), MP_MALFORMED, 0 },
	{ "optneg macro list without NUL", 'O', D("\0\0\0\6\0\0\0\0\0\0\0\0\0\0\0\1j"), MP_MALFORMED, 0 },
	{ "optneg truncated stage", 'O', D("\0\0\0\6\0\0\0\0\0\0\0\0\0\0"), MP_MALFORMED, 0 },
	{ "optneg stage twice", 'O', D("\0\0\0\6\0\0\0\0\0\0\0\0\0\0\0\1j\0\0\0\0\1i\0"), MP_MALFORMED, 0 },
};

static void test_parse_cases(void)
{
	char *buf = malloc(MILTER_REPLY_MAX + 5);
	struct fed *whole = malloc(sizeof(*whole));

	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct milter_reply r;
		size_t n = wire(buf, c->cmd, c->data, c->n);
		enum milter_parse_result got;

		if (!ok(reassembles(buf, n, whole), "%s: reassembled whole, byte by byte, split anywhere", c->what))
			continue;
		got = milter_reply_parse(whole->cmd, whole->data, whole->datalen, &r);
		is_int(got, c->want, "%s: parse result", c->what);
		if (c->want == MP_OK)
			is_int(r.kind, c->kind, "%s: kind", c->what);
	}
	free(buf);
	free(whole);
}

static void test_parse_fields(void)
{
	struct milter_reply r;

	milter_reply_parse('y', D("550 5.7.1 Gtube pattern\0"), &r);
	is_int(r.code, 550, "replycode: code");
	is_str(r.text, "550 5.7.1 Gtube pattern", "replycode: text");
	milter_reply_parse('y', D("451-4.7.1 a\r\n451 4.7.1 b\0"), &r);
	is_int(r.code, 451, "multi-line replycode: code");

	milter_reply_parse('i', D("\0\0\0\3Authentication-Results\0 mx; dkim=pass\0"), &r);
	is_int(r.index, 3, "insheader: index");
	is_str(r.name, "Authentication-Results", "insheader: name");
	is_str(r.value, " mx; dkim=pass", "insheader: value keeps its leading space");
	milter_reply_parse('m', D("\x01\0\0\1X-Spam\0\0"), &r);
	is_int(r.index, 0x01000001, "chgheader: index is big-endian");
	is_str(r.value, "", "chgheader: empty value (delete)");
	milter_reply_parse('h', D("X-Spam-Flag\0YES\0"), &r);
	ok(strcmp(r.name, "X-Spam-Flag") == 0 && strcmp(r.value, "YES") == 0, "addheader: name and value");

	milter_reply_parse('O', D("\0\0\0\6\0\0\1\xff\0\x1f\xff\xff\0\0\0\2{mail_addr} i\0\0\0\0\5j {client_addr}\0"), &r);
	is_int(r.version, 6, "optneg: version");
	is_int(r.actions, 0x1ff, "optneg: actions (more than we offer: the caller intersects)");
	is_int(r.protocol, 0x1fffff, "optneg: protocol");
	ok(r.macros[SMFIM_ENVFROM] && strcmp(r.macros[SMFIM_ENVFROM], "{mail_addr} i") == 0,
	   "optneg: envfrom macro list");
	ok(r.macros[SMFIM_EOM] && strcmp(r.macros[SMFIM_EOM], "j {client_addr}") == 0, "optneg: eom macro list");
	ok(!r.macros[SMFIM_CONNECT] && !r.macros[SMFIM_HELO], "optneg: absent lists are NULL");
}

static void test_reader_limits(void)
{
	char buf[64];
	struct fed *f = malloc(sizeof(*f));
	size_t n;

	/* a zero length word is no packet at all */
	memcpy(buf, "\0\0\0\0", 4);
	feed(buf, 4, 4, 0, f);
	is_int(f->res, MR_EMPTY, "length 0: refused");
	/* one past the maximum is refused from the length word, before any data */
	n = MILTER_REPLY_MAX + 1;
	buf[0] = (char)(n >> 24), buf[1] = (char)(n >> 16), buf[2] = (char)(n >> 8), buf[3] = (char)n;
	buf[4] = 'h';
	feed(buf, 5, 1, 0, f);
	ok(f->res == MR_TOO_LONG && f->used == 4, "length past MILTER_REPLY_MAX: refused after the length word");
	memcpy(buf, "\xff\xff\xff\xff", 4);
	feed(buf, 4, 4, 0, f);
	is_int(f->res, MR_TOO_LONG, "length 2^32-1: refused");
	/* the maximum itself is taken */
	{
		size_t big = MILTER_REPLY_MAX + 4;
		char *p = malloc(big);

		memset(p, 'x', big);
		p[0] = (char)(MILTER_REPLY_MAX >> 24), p[1] = (char)(MILTER_REPLY_MAX >> 16);
		p[2] = (char)(MILTER_REPLY_MAX >> 8), p[3] = (char)MILTER_REPLY_MAX;
		p[4] = 'b';
		feed(p, big, 4096, 0, f);
		ok(f->res == MR_PACKET && f->datalen == MILTER_REPLY_MAX - 1 && f->used == big,
		   "length MILTER_REPLY_MAX: one packet");
		free(p);
	}
	/* a length that promises more than arrives: still waiting, never a packet */
	n = wire(buf, 'h', "X-A\0v\0", 6);
	buf[3] = 20;
	feed(buf, n, n, 0, f);
	ok(f->res == MR_MORE && f->used == n, "length past the bytes received: needs more");
	/* two packets in one read: the first ends where it says */
	n = wire(buf, 'c', "", 0);
	n += wire(buf + n, 'a', "", 0);
	feed(buf, n, n, 0, f);
	ok(f->res == MR_PACKET && f->cmd == 'c' && f->used == 5, "two packets in one read: the first only");
	free(f);
}

static void test_encode(void)
{
	struct milter_frame *f = malloc(sizeof(*f));
	char big[MILTER_CHUNK + 1];

	milter_frame_begin(f, SMFIC_OPTNEG);
	milter_put_u32(f, MILTER_VERSION);
	milter_put_u32(f, MILTER_OFFER_ACTIONS);
	milter_put_u32(f, 0x1f2f3f4f);
	is_int(milter_frame_end(f), 0, "optneg: encoded");
	is_mem((char *)f->buf, f->len, D("\0\0\0\x0dO\0\0\0\6\0\0\1\x31\x1f\x2f\x3f\x4f"), "optneg: wire bytes");

	milter_frame_begin(f, SMFIC_CONNECT);
	milter_put_str(f, "[192.0.2.1]");
	milter_put_bytes(f, "4", 1);
	milter_put_u16(f, 25025);
	milter_put_str(f, "192.0.2.1");
	milter_frame_end(f);
	is_mem((char *)f->buf, f->len, D("\0\0\0\x1a" "C[192.0.2.1]\0" "4\x61\xc1" "192.0.2.1\0"), "connect: wire bytes");

	milter_frame_begin(f, SMFIC_MACRO);
	milter_put_bytes(f, "C", 1);
	milter_put_str(f, "j");
	milter_put_str(f, "mx.example.org");
	milter_frame_end(f);
	is_mem((char *)f->buf, f->len, D("\0\0\0\x13" "DCj\0mx.example.org\0"), "macro: wire bytes");

	milter_frame_begin(f, SMFIC_BODYEOB);
	milter_frame_end(f);
	is_mem((char *)f->buf, f->len, D("\0\0\0\1E"), "end of body: wire bytes");

	memset(big, 'x', sizeof(big));
	milter_frame_begin(f, SMFIC_BODY);
	milter_put_bytes(f, big, MILTER_CHUNK);
	ok(milter_frame_end(f) == 0 && f->len == MILTER_FRAME_OUT_MAX, "a full body chunk fits");
	milter_frame_begin(f, SMFIC_BODY);
	milter_put_bytes(f, big, MILTER_CHUNK + 1);
	is_int(milter_frame_end(f), -EMSGSIZE, "one byte more: refused");
	milter_frame_begin(f, SMFIC_BODY);
	milter_put_bytes(f, big, MILTER_CHUNK);
	milter_put_str(f, "");
	is_int(milter_frame_end(f), -EMSGSIZE, "overflow by a later put latches");
	free(f);
}

static void test_validators(void)
{
	ok(milter_header_name_valid("X-Spam-Flag"), "name: ordinary");
	ok(!milter_header_name_valid(""), "name: empty");
	ok(!milter_header_name_valid("X\x7f"), "name: DEL");
	ok(!milter_header_name_valid("X\xc3\xa9"), "name: 8-bit");
	ok(milter_header_value_valid(""), "value: empty");
	ok(milter_header_value_valid("a\r\n\tb\n c"), "value: folded both ways");
	ok(!milter_header_value_valid("a\r\n"), "value: ends in CRLF");
	ok(!milter_header_value_valid("a\r\nb"), "value: CRLF without folding white space");
	is_int(milter_reply_code_valid("550 5.7.1 x"), 550, "code: 550 5.7.1");
	is_int(milter_reply_code_valid("450 4.2.0 x"), 450, "code: 450 4.2.0");
	is_int(milter_reply_code_valid("599 5.999.999 x"), 599, "code: enhanced code at its widest");
	is_int(milter_reply_code_valid("650 x"), -1, "code: 6xx");
	is_int(milter_reply_code_valid("550-a\r\n550-b\r\n550 c"), 550, "code: three lines");
	is_int(milter_reply_code_valid("550-a\r\n550-b"), -1, "code: last line with a hyphen");
	is_int(milter_reply_code_valid("550 a\r\n550 b"), -1, "code: first line without a hyphen");
}

int main(void)
{
	test_parse_cases();
	test_parse_fields();
	test_reader_limits();
	test_encode();
	test_validators();
	return done();
}
