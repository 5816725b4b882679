/* client.c — see client.h. */
#include "client.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "sasl.h"
#include "tls.h"

void smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->enh[0] = '\0';
	r->text[0] = '\0';
	r->started = false;
	lr_init(&r->lr, r->line, sizeof(r->line));
}

/* RFC 3463 §2: class.subject.detail, class 2, 4 or 5 matching the code */
static size_t parse_enh(const char *p, int code, char *out, size_t size)
{
	const char *s = p;
	int dots = 0, digits = 0;

	if (*p - '0' != code / 100)
		return 0;
	for (; *p && *p != ' '; p++) {
		if (*p == '.') {
			if (!digits)
				return 0;
			dots++;
			digits = 0;
		} else if (isdigit((unsigned char)*p) && ++digits <= 3) {
			continue;
		} else {
			return 0;
		}
	}
	if (dots != 2 || !digits || (size_t)(p - s) >= size)
		return 0;
	memcpy(out, s, (size_t)(p - s));
	out[p - s] = '\0';
	return (size_t)(p - s) + (*p == ' ');
}

static void ehlo_keyword(struct smtp_reply *r, const char *kw)
{
	static const struct { const char *name; unsigned flag; } ext[] = {
		{ "PIPELINING", EXT_PIPELINING }, { "8BITMIME", EXT_8BITMIME },
		{ "SMTPUTF8", EXT_SMTPUTF8 }, { "DSN", EXT_DSN }, { "STARTTLS", EXT_STARTTLS },
		{ "AUTH", EXT_AUTH }, { "SIZE", EXT_SIZE },
	};
	size_t len = strcspn(kw, " =");

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strlen(ext[i].name) == len && strncasecmp(kw, ext[i].name, len) == 0) {
			r->ext |= ext[i].flag;
			if (ext[i].flag == EXT_AUTH && kw[len])
				snprintf(r->auth, sizeof(r->auth), "%s", kw + len + 1);
		}
}

enum reply_result smtp_reply_feed(struct smtp_reply *r, const char *buf, size_t n, size_t *used_r)
{
	size_t done = 0;

	while (done < n) {
		size_t used, tl;
		enum lr_result lr = lr_feed(&r->lr, buf + done, n - done, &used);
		const char *l = r->line, *text;
		int code;
		bool last;

		done += used;
		if (lr == LR_NEED_MORE)
			break;
		if (lr == LR_TOO_LONG)
			goto bad;
		if (r->lr.len < 3 || !isdigit((unsigned char)l[0]) || !isdigit((unsigned char)l[1])
		    || !isdigit((unsigned char)l[2]) || l[0] < '2' || l[0] > '5'
		    || (l[3] && l[3] != ' ' && l[3] != '-'))
			goto bad;
		code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		if (r->started && code != r->code)
			goto bad;
		last = l[3] != '-';
		text = l[3] ? l + 4 : l + 3;
		if (!r->started) {
			r->code = code;
			r->started = true;
			text += parse_enh(text, code, r->enh, sizeof(r->enh));
		} else {
			char dummy[16];

			ehlo_keyword(r, text);
			text += parse_enh(text, code, dummy, sizeof(dummy));
		}
		tl = strlen(r->text);
		if (tl + 2 < sizeof(r->text))
			snprintf(r->text + tl, sizeof(r->text) - tl, "%s%s", tl ? " " : "", text);
		if (last) {
			*used_r = done;
			return REPLY_DONE;
		}
	}
	*used_r = done;
	return REPLY_MORE;
bad:
	*used_r = done;
	return REPLY_BAD;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The idle limit for the next exchange, never past the session's end. */
static void set_deadline(struct smtp_client *c)
{
	conn_set_deadline(&c->conn);
	if (c->session_deadline_ms && c->conn.deadline_ms > c->session_deadline_ms)
		c->conn.deadline_ms = c->session_deadline_ms;
}

int smtp_connect(struct smtp_client *c, const struct sockaddr *sa, socklen_t len,
		 const struct sockaddr *bind_addr, socklen_t bind_len, int connect_ms, int idle_ms,
		 long long session_ms, char *why, size_t whysize)
{
	struct pollfd p;
	int fd, r, err = 0;
	socklen_t elen = sizeof(err);

	c->fd = -1;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, whysize, "socket: %s", strerror(errno));
		return -errno;
	}
	if (bind_addr && bind(fd, bind_addr, bind_len) < 0) {
		r = -errno;
		snprintf(why, whysize, "bind: %s", strerror(errno));
		close(fd);
		return r;
	}
	if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
		r = -errno;
		snprintf(why, whysize, "connect: %s", strerror(errno));
		close(fd);
		return r;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	do
		r = poll(&p, 1, connect_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		snprintf(why, whysize, "connect: timed out after %d ms", connect_ms);
		close(fd);
		return -ETIMEDOUT;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
		if (!err)
			err = errno;
		snprintf(why, whysize, "connect: %s", strerror(err));
		close(fd);
		return -err;
	}
	c->fd = fd;
	conn_init(&c->conn, fd, fd, idle_ms);
	c->session_deadline_ms = session_ms > 0 ? now_ms() + session_ms : 0;
	return 0;
}

int smtp_read(struct smtp_client *c, struct smtp_reply *r)
{
	struct conn *cn = &c->conn;

	smtp_reply_init(r);
	set_deadline(c);
	for (;;) {
		if (cn->in_pos < cn->in_len) {
			size_t used;
			enum reply_result res = smtp_reply_feed(r, cn->in + cn->in_pos, cn->in_len - cn->in_pos, &used);

			cn->in_pos += used;
			if (res == REPLY_DONE)
				return 0;
			if (res == REPLY_BAD)
				return -EPROTO;
			continue;
		}
		int n = conn_fill(cn);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return n;
	}
}

int smtp_send(struct smtp_client *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2)
		return -EMSGSIZE;
	buf[n++] = '\r';
	buf[n++] = '\n';
	set_deadline(c);
	return conn_write(&c->conn, buf, (size_t)n);
}

int smtp_flush(struct smtp_client *c)
{
	set_deadline(c);
	return conn_flush(&c->conn);
}

int smtp_send_file(struct smtp_client *c, int fd, unsigned long long off)
{
	char buf[65536];
	ssize_t n;
	int r;

	while ((n = pread(fd, buf, sizeof(buf), (off_t)off)) > 0) {
		set_deadline(c);
		if ((r = conn_write(&c->conn, buf, (size_t)n)) < 0)
			return r;
		off += (unsigned long long)n;
	}
	return n < 0 ? -errno : 0;
}

void smtp_close(struct smtp_client *c)
{
	if (c->fd < 0)
		return;
	tls_client_finish(&c->conn);
	close(c->fd);
	c->fd = -1;
}

int smtp_starttls(struct smtp_client *c, const struct tls_client_opts *o, struct smtp_reply *r,
		  char *why, size_t whysize)
{
	char tls_why[256];
	int e;

	if ((e = smtp_send(c, "STARTTLS")) < 0 || (e = smtp_read(c, r)) < 0) {
		snprintf(why, whysize, "STARTTLS: %s", strerror(-e));
		return e;
	}
	if (r->code != 220)
		return 1;
	/* RFC 3207 §4.2: nothing buffered from before survives */
	if (conn_buffered(&c->conn) > 0) {
		snprintf(why, whysize, "data sent after the STARTTLS reply");
		return -EPROTO;
	}
	if ((e = tls_client_start(&c->conn, o, c->tls_info, sizeof(c->tls_info), tls_why, sizeof(tls_why))) < 0) {
		snprintf(why, whysize, "%s", tls_why);
		return e;
	}
	c->tls = true;
	return 0;
}

int smtp_auth_plain(struct smtp_client *c, const char *user, const char *password, struct smtp_reply *r)
{
	char plain[2 * SASL_FIELD_MAX + 4], b64[4 * ((sizeof(plain) + 2) / 3) + 1];
	size_t ul = strlen(user), pl = strlen(password);
	int e;

	if (ul > SASL_FIELD_MAX || pl > SASL_FIELD_MAX)
		return -EMSGSIZE;
	/* authzid (empty) NUL authcid NUL passwd */
	plain[0] = '\0';
	memcpy(plain + 1, user, ul + 1);
	memcpy(plain + ul + 2, password, pl);
	sasl_base64_encode(plain, ul + pl + 2, b64);
	explicit_bzero(plain, sizeof(plain));
	e = smtp_send(c, "AUTH PLAIN %s", b64);
	explicit_bzero(b64, sizeof(b64));
	if (e < 0 || (e = smtp_read(c, r)) < 0)
		return e;
	return 0;
}
