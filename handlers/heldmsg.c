/* heldmsg.c — see heldmsg.h.
 *
 * RFC 5322 §2.2: a header field is a name, a colon and a body; §2.2.3: a
 * line beginning with white space continues the field above it; §2.1: an
 * empty line separates the header section from the body.  Anything else
 * (a line without a colon, or a first line that begins with white space)
 * ends the header section and belongs to the body, as it stands.
 */
#include "heldmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HELD_BUF 65536

int held_open(struct held_msg *m, const char *dir)
{
	memset(m, 0, sizeof(*m));
	m->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (m->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* a file system without O_TMPFILE: a name for an instant */
		char path[4096];

		if (snprintf(path, sizeof(path), "%s/.held.XXXXXX", dir) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		m->fd = mkostemp(path, O_CLOEXEC);
		if (m->fd >= 0)
			unlink(path);
	}
	if (m->fd < 0)
		return -errno;
	m->buf = malloc(HELD_BUF);
	if (!m->buf) {
		close(m->fd);
		m->fd = -1;
		return -ENOMEM;
	}
	return 0;
}

void held_close(struct held_msg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	for (size_t i = 0; i < m->nf; i++)
		if (m->f[i].own)
			free(m->f[i].text);
	free(m->f);
	free(m->starts);
	free(m->head);
	free(m->buf);
	m->f = NULL;
	m->starts = NULL;
	m->head = NULL;
	m->buf = NULL;
	m->nf = m->nstarts = 0;
}

static int body_flush(struct held_msg *m)
{
	size_t off = 0;

	while (off < m->buflen) {
		ssize_t w = write(m->fd, m->buf + off, m->buflen - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return m->error = -errno;
		}
		off += (size_t)w;
	}
	m->buflen = 0;
	return 0;
}

static int body_put(struct held_msg *m, const char *p, size_t n)
{
	if (m->buflen + n > HELD_BUF && body_flush(m) < 0)
		return m->error;
	if (n >= HELD_BUF) {
		while (n > 0) {
			ssize_t w = write(m->fd, p, n);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return m->error = -errno;
			}
			p += w;
			n -= (size_t)w;
			m->body_len += (uint64_t)w;
		}
		return 0;
	}
	memcpy(m->buf + m->buflen, p, n);
	m->buflen += n;
	m->body_len += n;
	return 0;
}

/* A field's first line: a name of printable characters other than the
 * colon, optional white space (obs-optional, RFC 5322 §4.5.8), a colon. */
static bool field_start(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)p[i] > 32 && (unsigned char)p[i] < 127 && p[i] != ':')
		i++;
	if (i == 0)
		return false;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':';
}

/* The header section ends before the line at line_start: that line and
 * whatever follows go to the body. */
static int end_section(struct held_msg *m, size_t sep)
{
	size_t from = m->line_start + sep;

	m->in_body = true;
	m->sep_len = sep;
	if (from < m->head_len && body_put(m, m->head + from, m->head_len - from) < 0)
		return m->error;
	m->head_len = from;
	return 0;
}

/* A complete line (CRLF included) ends at head_len. */
static int header_line(struct held_msg *m)
{
	const char *line = m->head + m->line_start;
	size_t n = m->head_len - m->line_start;

	if (n == 2 && line[0] == '\r')
		return end_section(m, 2);
	if (line[0] == ' ' || line[0] == '\t') {
		if (m->nstarts == 0)
			return end_section(m, 0);
	} else if (!field_start(line, n) || m->nstarts == HELD_FIELDS_MAX) {
		return end_section(m, 0);
	} else {
		if (!m->starts && !(m->starts = malloc(HELD_FIELDS_MAX * sizeof(*m->starts))))
			return m->error = -ENOMEM;
		m->starts[m->nstarts++] = m->line_start;
	}
	m->line_start = m->head_len;
	return 0;
}

int held_write(struct held_msg *m, const char *buf, size_t n)
{
	while (n > 0 && !m->in_body && !m->error) {
		const char *lf = memchr(buf, '\n', n);
		size_t k = lf ? (size_t)(lf - buf) + 1 : n;

		if (m->head_len + k > HELD_HEADER_MAX) {
			/* past the bound: this line and the rest are body */
			if (end_section(m, 0) < 0)
				return m->error;
			break;
		}
		if (m->head_len + k > m->head_cap) {
			size_t cap = m->head_cap ? m->head_cap : 4096;
			char *p;

			while (cap < m->head_len + k)
				cap *= 2;
			if (cap > HELD_HEADER_MAX)
				cap = HELD_HEADER_MAX;
			if (!(p = realloc(m->head, cap)))
				return m->error = -ENOMEM;
			m->head = p;
			m->head_cap = cap;
		}
		memcpy(m->head + m->head_len, buf, k);
		m->head_len += k;
		buf += k;
		n -= k;
		if (lf && header_line(m) < 0)
			return m->error;
	}
	if (n > 0 && !m->error)
		body_put(m, buf, n);
	return m->error;
}

static int add_field(struct held_msg *m, size_t at, struct held_field *fl)
{
	if (m->nf == m->capf) {
		size_t cap = m->capf ? m->capf * 2 : 32;
		struct held_field *v = realloc(m->f, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->f = v;
		m->capf = cap;
	}
	memmove(m->f + at + 1, m->f + at, (m->nf - at) * sizeof(*m->f));
	m->f[at] = *fl;
	m->nf++;
	return 0;
}

int held_end(struct held_msg *m)
{
	if (m->error)
		return m->error;
	/* a last line without CRLF cannot happen after the DATA decoder, but
	 * an unfinished line is body, not a field */
	if (!m->in_body && m->line_start < m->head_len && end_section(m, 0) < 0)
		return m->error;
	if (body_flush(m) < 0)
		return m->error;
	for (size_t i = 0; i < m->nstarts; i++) {
		size_t end = i + 1 < m->nstarts ? m->starts[i + 1] : m->line_start;
		struct held_field fl = { .text = m->head + m->starts[i], .len = end - m->starts[i] };
		const char *colon = memchr(fl.text, ':', fl.len);

		fl.name_len = (size_t)(colon - fl.text);
		while (fl.name_len > 0 && (fl.text[fl.name_len - 1] == ' ' || fl.text[fl.name_len - 1] == '\t'))
			fl.name_len--;
		fl.value_off = (size_t)(colon - fl.text) + 1;
		if (add_field(m, m->nf, &fl) < 0)
			return m->error = -ENOMEM;
	}
	return 0;
}

size_t held_count(const struct held_msg *m)
{
	return m->nf;
}

void held_field(const struct held_msg *m, size_t i, const char **name, size_t *name_len,
		const char **value, size_t *value_len)
{
	const struct held_field *fl = &m->f[i];

	*name = fl->text;
	*name_len = fl->name_len;
	*value = fl->text + fl->value_off;
	*value_len = fl->len - 2 - fl->value_off;
}

long held_body_read(const struct held_msg *m, uint64_t off, char *buf, size_t n)
{
	ssize_t r;

	do
		r = pread(m->fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : (long)r;
}

/* "Name: value\r\n", every LF of @value (a fold) written as CRLF. */
static int make_field(struct held_field *fl, const char *name, const char *value, bool leadspc)
{
	size_t nl = strlen(name), vl = strlen(value), lfs = 0, o;
	char *t;

	for (const char *p = value; *p; p++)
		lfs += *p == '\n' && (p == value || p[-1] != '\r');
	t = malloc(nl + 2 + vl + lfs + 3);
	if (!t)
		return -ENOMEM;
	memcpy(t, name, nl);
	o = nl;
	t[o++] = ':';
	if (!leadspc)
		t[o++] = ' ';
	fl->value_off = o;
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			t[o++] = '\r';
		t[o++] = *p;
	}
	t[o++] = '\r';
	t[o++] = '\n';
	t[o] = '\0';
	fl->text = t;
	fl->len = o;
	fl->name_len = nl;
	fl->own = true;
	return 0;
}

int held_insert(struct held_msg *m, size_t index, const char *name, const char *value, bool leadspc)
{
	struct held_field fl;
	int r;

	if (m->nf >= HELD_FIELDS_MAX)
		return -E2BIG;
	if ((r = make_field(&fl, name, value, leadspc)) < 0)
		return r;
	if ((r = add_field(m, index < m->nf ? index : m->nf, &fl)) < 0)
		free(fl.text);
	m->edited = true;
	return r;
}

int held_append(struct held_msg *m, const char *name, const char *value, bool leadspc)
{
	return held_insert(m, m->nf, name, value, leadspc);
}

int held_change(struct held_msg *m, const char *name, uint32_t occurrence, const char *value,
		bool leadspc)
{
	size_t nl = strlen(name);
	uint32_t seen = 0;

	if (occurrence == 0)
		occurrence = 1;	/* libmilter: 0 and 1 both mean the first */
	for (size_t i = 0; i < m->nf; i++) {
		struct held_field *fl = &m->f[i];
		struct held_field nf;
		int r;

		if (fl->name_len != nl || strncasecmp(fl->text, name, nl) != 0 || ++seen != occurrence)
			continue;
		if (*value) {
			/* the field keeps its name as it was spelt */
			char *keep = strndup(fl->text, fl->name_len);

			if (!keep)
				return -ENOMEM;
			r = make_field(&nf, keep, value, leadspc);
			free(keep);
			if (r < 0)
				return r;
		}
		m->edited = true;
		if (fl->own)
			free(fl->text);
		if (*value) {
			*fl = nf;
		} else {
			memmove(fl, fl + 1, (m->nf - i - 1) * sizeof(*fl));
			m->nf--;
		}
		return 0;
	}
	return *value ? held_append(m, name, value, leadspc) : 0;
}

int held_emit(struct held_msg *m, int (*out)(void *ctx, const char *buf, size_t n), void *ctx)
{
	uint64_t off = 0;
	int r;

	for (size_t i = 0; i < m->nf; i++)
		if ((r = out(ctx, m->f[i].text, m->f[i].len)) < 0)
			return r;
	if (m->sep_len && (r = out(ctx, "\r\n", 2)) < 0)
		return r;
	while (off < m->body_len) {
		long n = held_body_read(m, off, m->buf, HELD_BUF);

		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		if ((r = out(ctx, m->buf, (size_t)n)) < 0)
			return r;
		off += (uint64_t)n;
	}
	return 0;
}
