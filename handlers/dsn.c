/* dsn.c — see dsn.h.  RFC 3461 §4 (parameters), §4.1-4.4. */
#include "dsn.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void xtext_init(struct xtext_decoder *d, char *out, size_t size)
{
	*d = (struct xtext_decoder){ .out = out, .size = size };
	if (size)
		out[0] = '\0';
}

static int hexval(char c)
{
	/* RFC 3461 §4: upper case hexadecimal digits only */
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool put(struct xtext_decoder *d, unsigned c)
{
	if (c < 0x20 || c > 0x7e || d->len + 1 >= d->size)
		return false;
	d->out[d->len++] = (char)c;
	d->out[d->len] = '\0';
	return true;
}

bool xtext_feed(struct xtext_decoder *d, const char *in, size_t n)
{
	for (size_t i = 0; i < n && !d->bad; i++) {
		unsigned char c = (unsigned char)in[i];

		if (d->pending) {
			int h = hexval((char)c);

			if (h < 0) {
				d->bad = true;
				break;
			}
			d->value = d->value * 16 + (unsigned)h;
			if (++d->pending == 3) {
				d->pending = 0;
				d->bad = !put(d, d->value);
			}
		} else if (c == '+') {
			d->pending = 1;
			d->value = 0;
		} else if (c < '!' || c > '~' || c == '=') {
			d->bad = true;
		} else {
			d->bad = !put(d, c);
		}
	}
	return !d->bad;
}

bool xtext_finish(struct xtext_decoder *d)
{
	if (d->pending)
		d->bad = true;
	return !d->bad;
}

int xtext_decode(const char *in, char *out, size_t size)
{
	struct xtext_decoder d;

	xtext_init(&d, out, size);
	if (!xtext_feed(&d, in, strlen(in)) || !xtext_finish(&d))
		return -1;
	return (int)d.len;
}

bool xtext_encode(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= '!' && c <= '~' && c != '+' && c != '=') {
			if (n + 1 >= size)
				return false;
			out[n++] = (char)c;
		} else {
			if (n + 3 >= size)
				return false;
			snprintf(out + n, 4, "+%02X", c);
			n += 3;
		}
	}
	if (size)
		out[n] = '\0';
	return size > 0;
}

/* RFC 3461 §4.1: "NOTIFY=" ("NEVER" / 1#("SUCCESS" / "FAILURE" /
 * "DELAY")); keywords compared without regard to case. */
static bool parse_notify(const char *v, unsigned *flags_r)
{
	static const struct { const char *name; unsigned flag; } words[] = {
		{ "NEVER", DSN_NOTIFY_NEVER }, { "SUCCESS", DSN_NOTIFY_SUCCESS },
		{ "FAILURE", DSN_NOTIFY_FAILURE }, { "DELAY", DSN_NOTIFY_DELAY },
	};
	unsigned flags = 0;

	for (;;) {
		const char *end = strchr(v, ',');
		size_t len = end ? (size_t)(end - v) : strlen(v);
		unsigned f = 0;

		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].name) == len && strncasecmp(words[i].name, v, len) == 0)
				f = words[i].flag;
		if (!f || (flags & f))
			return false;
		flags |= f;
		if (!end)
			break;
		v = end + 1;
	}
	/* NEVER stands alone */
	if ((flags & DSN_NOTIFY_NEVER) && flags != DSN_NOTIFY_NEVER)
		return false;
	*flags_r = flags;
	return true;
}

/* RFC 5322 §3.2.3 atext, for addr-type = atom (RFC 3461 §4.2) */
static bool is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		|| (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

enum dsn_param_result dsn_mail_param(struct dsn_mail *m, const char *key, const char *value)
{
	if (strcmp(key, "RET") == 0) {
		/* §4.3: "RET=" ("FULL" / "HDRS") */
		if (m->ret != DSN_RET_NONE || !value)
			return DSN_PARAM_BAD;
		if (strcasecmp(value, "FULL") == 0)
			m->ret = DSN_RET_FULL;
		else if (strcasecmp(value, "HDRS") == 0)
			m->ret = DSN_RET_HDRS;
		else
			return DSN_PARAM_BAD;
		return DSN_PARAM_OK;
	}
	if (strcmp(key, "ENVID") == 0) {
		/* §4.4: "ENVID=" xtext, at most 100 printable characters */
		if (m->envid[0] || !value || !*value)
			return DSN_PARAM_BAD;
		if (xtext_decode(value, m->envid, sizeof(m->envid)) <= 0) {
			m->envid[0] = '\0';
			return DSN_PARAM_BAD;
		}
		return DSN_PARAM_OK;
	}
	return DSN_PARAM_NOT_DSN;
}

enum dsn_param_result dsn_rcpt_param(struct dsn_rcpt *r, const char *key, const char *value)
{
	if (strcmp(key, "NOTIFY") == 0) {
		if (r->notify || !value || !parse_notify(value, &r->notify))
			return DSN_PARAM_BAD;
		return DSN_PARAM_OK;
	}
	if (strcmp(key, "ORCPT") == 0) {
		/* §4.2: "ORCPT=" addr-type ";" xtext; addr-type = atom;
		 * at most 500 characters */
		const char *semi = value ? strchr(value, ';') : NULL;
		size_t tlen = semi ? (size_t)(semi - value) : 0;

		if (r->orcpt_type[0] || !semi || tlen == 0 || tlen >= sizeof(r->orcpt_type)
		    || strlen(value) > DSN_ORCPT_MAX)
			return DSN_PARAM_BAD;
		for (size_t i = 0; i < tlen; i++)
			if (!is_atext(value[i]))
				return DSN_PARAM_BAD;
		if (xtext_decode(semi + 1, r->orcpt, sizeof(r->orcpt)) <= 0) {
			r->orcpt[0] = '\0';
			return DSN_PARAM_BAD;
		}
		memcpy(r->orcpt_type, value, tlen);
		r->orcpt_type[tlen] = '\0';
		return DSN_PARAM_OK;
	}
	return DSN_PARAM_NOT_DSN;
}

void dsn_mail_format(const struct dsn_mail *m, char *buf, size_t size)
{
	char envid[DSN_ENVID_MAX * 3 + 1] = "";

	if (m->envid[0])
		xtext_encode(m->envid, envid, sizeof(envid));
	snprintf(buf, size, "%s%s%s%s",
		 m->ret == DSN_RET_FULL ? "RET=FULL" : m->ret == DSN_RET_HDRS ? "RET=HDRS" : "",
		 m->ret != DSN_RET_NONE && envid[0] ? " " : "",
		 envid[0] ? "ENVID=" : "", envid);
}

void dsn_rcpt_format(const struct dsn_rcpt *r, char *buf, size_t size)
{
	char notify[40] = "", orcpt[DSN_ORCPT_MAX * 3 + 1] = "";

	if (r->notify & DSN_NOTIFY_NEVER) {
		snprintf(notify, sizeof(notify), "NOTIFY=NEVER");
	} else if (r->notify) {
		snprintf(notify, sizeof(notify), "NOTIFY=%s%s%s%s%s",
			 r->notify & DSN_NOTIFY_SUCCESS ? "SUCCESS" : "",
			 (r->notify & DSN_NOTIFY_SUCCESS) && (r->notify & ~DSN_NOTIFY_SUCCESS) ? "," : "",
			 r->notify & DSN_NOTIFY_FAILURE ? "FAILURE" : "",
			 (r->notify & DSN_NOTIFY_FAILURE) && (r->notify & DSN_NOTIFY_DELAY) ? "," : "",
			 r->notify & DSN_NOTIFY_DELAY ? "DELAY" : "");
	}
	if (r->orcpt_type[0])
		xtext_encode(r->orcpt, orcpt, sizeof(orcpt));
	snprintf(buf, size, "%s%s%s%s%s%s", notify, notify[0] && r->orcpt_type[0] ? " " : "",
		 r->orcpt_type[0] ? "ORCPT=" : "", r->orcpt_type, r->orcpt_type[0] ? ";" : "", orcpt);
}
