/* milter-proto.c — see milter-proto.h. */
#include "milter-proto.h"

#include <errno.h>
#include <string.h>

/* ---- encoding ----------------------------------------------------------- */

void milter_frame_begin(struct milter_frame *f, char cmd)
{
	f->overflow = false;
	f->len = 4;
	f->buf[f->len++] = (unsigned char)cmd;
}

void milter_put_bytes(struct milter_frame *f, const void *p, size_t n)
{
	if (f->overflow || n > sizeof(f->buf) - f->len) {
		f->overflow = true;
		return;
	}
	if (n)
		memcpy(f->buf + f->len, p, n);
	f->len += n;
}

void milter_put_u32(struct milter_frame *f, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	milter_put_bytes(f, b, 4);
}

void milter_put_u16(struct milter_frame *f, uint16_t v)
{
	unsigned char b[2] = { v >> 8, v };

	milter_put_bytes(f, b, 2);
}

void milter_put_str(struct milter_frame *f, const char *s)
{
	milter_put_bytes(f, s, strlen(s) + 1);
}

int milter_frame_end(struct milter_frame *f)
{
	uint32_t n = (uint32_t)(f->len - 4);

	if (f->overflow)
		return -EMSGSIZE;
	f->buf[0] = (unsigned char)(n >> 24);
	f->buf[1] = (unsigned char)(n >> 16);
	f->buf[2] = (unsigned char)(n >> 8);
	f->buf[3] = (unsigned char)n;
	return 0;
}

/* ---- reassembly --------------------------------------------------------- */

void milter_reader_init(struct milter_reader *r, char *buf)
{
	memset(r, 0, sizeof(*r));
	r->data = buf;
}

enum milter_read_result milter_reader_feed(struct milter_reader *r, const char *in, size_t n,
					   size_t *used_r)
{
	size_t used = 0;

	while (used < n) {
		if (r->have < 4) {
			r->lenbuf[r->have++] = (unsigned char)in[used++];
			if (r->have < 4)
				continue;
			r->len = (uint32_t)r->lenbuf[0] << 24 | (uint32_t)r->lenbuf[1] << 16
				 | (uint32_t)r->lenbuf[2] << 8 | r->lenbuf[3];
			if (r->len == 0) {
				*used_r = used;
				r->have = 0;
				return MR_EMPTY;
			}
			if (r->len > MILTER_REPLY_MAX) {
				*used_r = used;
				r->have = 0;
				return MR_TOO_LONG;
			}
			continue;
		}
		if (r->have == 4) {
			r->cmd = in[used++];
			r->have++;
		} else {
			size_t want = 4 + (size_t)r->len - r->have, k = n - used < want ? n - used : want;

			memcpy(r->data + (r->have - 5), in + used, k);
			used += k;
			r->have += k;
		}
		if (r->have == 4 + (size_t)r->len) {
			r->have = 0;
			*used_r = used;
			return MR_PACKET;
		}
	}
	*used_r = used;
	return MR_MORE;
}

/* ---- reply parsing ------------------------------------------------------ */

static uint32_t get_u32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* The NUL-terminated string at @p (at most @n bytes, NUL included), its
 * length with the NUL in *@len_r; false when no NUL ends it in range. */
static bool get_str(const char *p, size_t n, size_t *len_r)
{
	const char *nul = n ? memchr(p, '\0', n) : NULL;

	if (!nul)
		return false;
	*len_r = (size_t)(nul - p) + 1;
	return true;
}

bool milter_header_name_valid(const char *name)
{
	if (!*name)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 33 || *p > 126 || *p == ':')
			return false;
	return true;
}

bool milter_header_value_valid(const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\r') {
			if (p[1] != '\n')
				return false;
			p++;
		}
		if (*p == '\n' && p[1] != ' ' && p[1] != '\t')
			return false;
	}
	return true;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3463 §2: class "." subject "." detail, subject and detail 1-3 digits. */
static size_t enhanced_len(const char *p, char cls)
{
	const char *q = p;

	if (*q++ != cls || *q++ != '.')
		return 0;
	for (int part = 0; part < 2; part++) {
		int digits = 0;

		while (is_digit(*q) && digits < 4)
			q++, digits++;
		if (digits < 1 || digits > 3)
			return 0;
		if (part == 0 && *q++ != '.')
			return 0;
	}
	return (size_t)(q - p);
}

int milter_reply_code_valid(const char *text)
{
	const char *p = text;
	char code[3];
	bool enh_first = false;

	if (!is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) || (p[0] != '4' && p[0] != '5'))
		return -1;
	memcpy(code, p, 3);
	for (bool first = true;; first = false) {
		const char *eol = strstr(p, "\r\n");
		size_t elen;

		if (memcmp(p, code, 3) != 0)
			return -1;
		p += 3;
		if (eol ? *p != '-' : (*p != ' ' && *p != '\0'))
			return -1;
		if (*p)
			p++;
		/* the enhanced code is on every line or on none */
		elen = enhanced_len(p, code[0]);
		if (first)
			enh_first = elen > 0;
		else if ((elen > 0) != enh_first)
			return -1;
		if (elen == 0 && is_digit(p[0]) && p[1] == '.')
			return -1;	/* an enhanced code of the wrong class */
		if (elen > 0) {
			p += elen;
			if (*p != ' ' && *p != '\0' && !(eol && p == eol))
				return -1;
		}
		for (; *p && !(eol && p == eol); p++)
			if ((unsigned char)*p < 32 || (unsigned char)*p > 126)
				return -1;	/* CR, LF, controls, 8-bit */
		if (!eol)
			break;
		p = eol + 2;
	}
	return (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
}

/* name\0 value\0, and nothing after. */
static enum milter_parse_result header_pair(const char *p, size_t n, struct milter_reply *r)
{
	size_t a, b;

	if (!get_str(p, n, &a) || !get_str(p + a, n - a, &b) || a + b != n)
		return MP_MALFORMED;
	r->name = p;
	r->value = p + a;
	if (!milter_header_name_valid(r->name) || !milter_header_value_valid(r->value))
		return MP_MALFORMED;
	return MP_OK;
}

/* Negotiation reply: version actions protocol, then per-stage macro lists
 * (uint32 stage, names\0), as libmilter's smfi_setsymlist() sends them. */
static enum milter_parse_result optneg(const char *p, size_t n, struct milter_reply *r)
{
	size_t off = 12;

	if (n < 12)
		return MP_MALFORMED;
	r->version = get_u32(p);
	r->actions = get_u32(p + 4);
	r->protocol = get_u32(p + 8);
	while (off < n) {
		uint32_t stage;
		size_t len;

		if (n - off < 4)
			return MP_MALFORMED;
		stage = get_u32(p + off);
		off += 4;
		if (stage >= SMFIM__COUNT || !get_str(p + off, n - off, &len) || r->macros[stage])
			return MP_MALFORMED;
		r->macros[stage] = p + off;
		off += len;
	}
	return MP_OK;
}

enum milter_parse_result milter_reply_parse(char cmd, const char *data, size_t n,
					    struct milter_reply *r)
{
	size_t len;

	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
	switch (cmd) {
	case SMFIR_ACCEPT: r->kind = MRK_ACCEPT; break;
	case SMFIR_CONTINUE: r->kind = MRK_CONTINUE; break;
	case SMFIR_REJECT: r->kind = MRK_REJECT; break;
	case SMFIR_TEMPFAIL: r->kind = MRK_TEMPFAIL; break;
	case SMFIR_DISCARD: r->kind = MRK_DISCARD; break;
	case SMFIR_SHUTDOWN:
	case SMFIR_CONN_FAIL: r->kind = MRK_SHUTDOWN; break;
	case SMFIR_SKIP: r->kind = MRK_SKIP; break;
	case SMFIR_PROGRESS: r->kind = MRK_PROGRESS; break;
	case SMFIR_REPLYCODE:
		r->kind = MRK_REPLYCODE;
		if (!get_str(data, n, &len) || len != n)
			return MP_MALFORMED;
		r->text = data;
		r->code = milter_reply_code_valid(data);
		return r->code < 0 ? MP_BAD_REPLY : MP_OK;
	case SMFIR_ADDHEADER:
		r->kind = MRK_ADDHEADER;
		return header_pair(data, n, r);
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER:
		r->kind = cmd == SMFIR_INSHEADER ? MRK_INSHEADER : MRK_CHGHEADER;
		if (n < 4)
			return MP_MALFORMED;
		r->index = get_u32(data);
		return header_pair(data + 4, n - 4, r);
	case SMFIC_OPTNEG:
		r->kind = MRK_OPTNEG;
		return optneg(data, n, r);
	case SMFIR_QUARANTINE:
		r->kind = MRK_QUARANTINE;
		if (!get_str(data, n, &len) || len != n)
			return MP_MALFORMED;
		r->text = data;
		return MP_OK;
	case SMFIR_ADDRCPT:
	case SMFIR_DELRCPT:
	case SMFIR_ADDRCPT_PAR:
	case SMFIR_REPLBODY:
	case SMFIR_CHGFROM:
	case SMFIR_SETSYMLIST:
		r->kind = MRK_UNSUPPORTED;
		return MP_OK;
	default:
		return MP_UNKNOWN;
	}
	/* the verdicts carry no data */
	return n == 0 ? MP_OK : MP_MALFORMED;
}
