/* lmtp-client.c — the LMTP client sink.  See lmtp-client.h.
 *
 * RFC 2033 (LMTP), RFC 5321 §4.5.2 (dot-stuffing) and §4.5.3.2
 * (timeouts), RFC 2920 (PIPELINING), RFC 6152 (8BITMIME), RFC 6531
 * (SMTPUTF8).
 */
#include "lmtp-client.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "linereader.h"
#include "log.h"

/* RFC 5321 §4.5.3.2: the client's minimum waits.  The server is local, so
 * connecting gets less than the greeting. */
#define LC_CONNECT_MS (30 * 1000)
#define LC_COMMAND_MS (5 * 60 * 1000)	/* greeting, LHLO, MAIL, RCPT */
#define LC_DATA_INIT_MS (2 * 60 * 1000)	/* 354 */
#define LC_BLOCK_MS (3 * 60 * 1000)	/* each write of the message */
#define LC_FINAL_MS (10 * 60 * 1000)	/* the replies after the dot */
#define LC_QUIT_MS (5 * 1000)		/* 221: nothing depends on it */
/* RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; more is kept
 * up to this and the rest dropped. */
#define LC_LINE_MAX 1024
/* Pipelined commands in flight before their replies are read, so neither
 * side can block on a full socket buffer (RFC 2920 §3.5). */
#define LC_WINDOW 64

struct lc_reply {
	int code;
	char enh[16];		/* "4.2.2" or "" */
	char text[LC_LINE_MAX];	/* last line, for logs */
};

struct lmtp_client {
	struct conn conn;	/* the same buffered, bounded I/O as the server side */
	bool connected;
	const char *server;	/* config->lmtp, for logs */
	bool pipelining, eightbit, smtputf8;
	size_t *targets;	/* indices of the wanted targets in env->targets */
	int *rcpt_status;	/* per wanted target: 0 accepted by RCPT, -errno */
	size_t n;
	size_t naccepted;
	bool line_start;	/* dot-stuffing: next byte starts a line */
	bool finished;		/* the dot was sent */
	bool quit_sent;
};

int lmtp_reply_errno(int code, const char *enh)
{
	(void)code;
	if (enh && *enh && enh[1] == '.') {
		if (strcmp(enh + 2, "2.2") == 0)
			return -EDQUOT;
		if (strcmp(enh + 2, "3.1") == 0)
			return -ENOSPC;
		if (strcmp(enh + 2, "3.4") == 0)
			return -EFBIG;
	}
	return -EIO;
}

/* ---- I/O, every wait bounded by the phase's timeout -------------------------- */

static int lc_flush(struct lmtp_client *lc, int timeout_ms)
{
	lc->conn.timeout_ms = timeout_ms;
	return conn_flush(&lc->conn);
}

static int lc_put(struct lmtp_client *lc, const char *buf, size_t n)
{
	return conn_write(&lc->conn, buf, n);
}

/* One reply line without its CRLF (a bare LF is tolerated); a line longer
 * than @size - 1 is a protocol error (RFC 5321 §4.5.3.1.5: 512 octets). */
static int lc_getline(struct lmtp_client *lc, char *line, size_t size, int timeout_ms)
{
	struct conn *c = &lc->conn;
	struct line_reader lr;

	lr_init(&lr, line, size);
	c->timeout_ms = timeout_ms;
	for (;;) {
		size_t used;
		int r;

		if (c->in_pos < c->in_len) {
			enum lr_result res = lr_feed(&lr, c->in + c->in_pos, c->in_len - c->in_pos, &used);

			c->in_pos += used;
			if (res == LR_LINE)
				return 0;
			if (res == LR_TOO_LONG)
				return -EPROTO;
			continue;
		}
		r = conn_fill(c);
		if (r == 0)
			return -ECONNRESET;	/* the server went away mid-reply */
		if (r < 0)
			return r;
	}
}

/* Record what an LHLO reply line offers (RFC 2033 §4.1, RFC 5321 §4.1.1.1). */
static void lc_keyword(struct lmtp_client *lc, const char *kw)
{
	size_t n = strcspn(kw, " ");

	if (n == 10 && strncasecmp(kw, "PIPELINING", n) == 0)
		lc->pipelining = true;
	else if (n == 8 && strncasecmp(kw, "8BITMIME", n) == 0)
		lc->eightbit = true;
	else if (n == 8 && strncasecmp(kw, "SMTPUTF8", n) == 0)
		lc->smtputf8 = true;
}

/* RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 * with RFC 3463 enhanced codes at the start of the text. */
static int lc_reply(struct lmtp_client *lc, struct lc_reply *rep, bool keywords, int timeout_ms)
{
	char line[LC_LINE_MAX];
	bool first = true;

	for (;;) {
		int r = lc_getline(lc, line, sizeof(line), timeout_ms);
		const char *text;
		int code;

		if (r < 0)
			return r;
		if (!isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1])
		    || !isdigit((unsigned char)line[2]) || (line[3] && line[3] != ' ' && line[3] != '-'))
			return -EPROTO;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (code < 200 || code > 599 || (!first && code != rep->code))
			return -EPROTO;
		rep->code = code;
		text = line[3] ? line + 4 : "";
		if (keywords && !first)
			lc_keyword(lc, text);
		first = false;
		if (line[3] != '-') {
			size_t e = strspn(text, "0123456789.");

			rep->enh[0] = '\0';
			if (e > 4 && e < sizeof(rep->enh) && text[0] == line[0] && text[1] == '.'
			    && (text[e] == ' ' || text[e] == '\0')) {
				memcpy(rep->enh, text, e);
				rep->enh[e] = '\0';
			}
			snprintf(rep->text, sizeof(rep->text), "%s", text);
			return 0;
		}
	}
}

static void lc_log_reply(const struct lmtp_client *lc, const struct envelope *env,
			 const char *what, const struct lc_reply *rep)
{
	char esc[LC_LINE_MAX];

	log_escape(rep->text, strlen(rep->text), esc, sizeof(esc));
	log_msg(LOG_ERR, "message id=%s: lmtp %s: %s: %d %s", env->id, lc->server, what, rep->code, esc);
}

/* ---- connecting --------------------------------------------------------------- */

/* Finish a non-blocking connect() within LC_CONNECT_MS. */
static int connect_wait(int fd, const struct sockaddr *sa, socklen_t len)
{
	int err = 0, r;
	socklen_t elen = sizeof(err);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	do
		r = poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1, LC_CONNECT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r < 0 ? -errno : -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -errno;
	return -err;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A UNIX socket whose backlog is full says EAGAIN: temporary, like
	 * a refused connection. */
	if ((r = connect_wait(fd, (struct sockaddr *)&sun, sizeof(sun))) < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* "host:port" or "[v6]:port" (config.c has checked the shape). */
static int connect_inet(const char *spec)
{
	char host[256];
	const char *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int r = -EHOSTUNREACH;

	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		host[end - spec - 1] = '\0';
		port = end + 2;
	} else {
		const char *colon = strrchr(spec, ':');

		if (!colon || (size_t)(colon - spec) >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port = colon + 1;
	}
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);

		if (fd < 0) {
			r = -errno;
			continue;
		}
		if ((r = connect_wait(fd, ai->ai_addr, ai->ai_addrlen)) == 0) {
			freeaddrinfo(res);
			return fd;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return r;
}

static int lc_connect(const char *spec)
{
	return strncmp(spec, "unix:", 5) == 0 ? connect_unix(spec + 5) : connect_inet(spec);
}

/* ---- the sink ----------------------------------------------------------------- */

static bool wants_local(const struct target *t)
{
	return t->local;
}

static int lc_command(struct lmtp_client *lc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int lc_command(struct lmtp_client *lc, const char *fmt, ...)
{
	char line[ADDR_TEXT_MAX + 128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	return lc_put(lc, line, (size_t)n);
}

/* Which mail parameters to pass on: BODY=8BITMIME only to a server that
 * offers it (the bytes go through either way: final delivery stores them
 * as they are), SMTPUTF8 whenever the client asked for it (RFC 6531 §3.4:
 * a server without it must not get the message). */
static int lc_mail_params(const struct lmtp_client *lc, const char *params, char *out, size_t size)
{
	bool body8 = strstr(params, "BODY=8BITMIME") != NULL;
	bool utf8 = strstr(params, "SMTPUTF8") != NULL;

	if (utf8 && !lc->smtputf8)
		return -EPROTONOSUPPORT;
	snprintf(out, size, "%s%s", body8 && lc->eightbit ? " BODY=8BITMIME" : "", utf8 ? " SMTPUTF8" : "");
	return 0;
}

/* Read the reply to command number @step: 0 MAIL, 1..n RCPT, n + 1 DATA.
 * Returns 0 or an I/O error; a refused MAIL or DATA sets *@err_r. */
static int lc_step_reply(struct lmtp_client *lc, const struct envelope *env, size_t step, int *err_r)
{
	struct lc_reply rep;
	bool data = step == lc->n + 1;
	int r = lc_reply(lc, &rep, false, data ? LC_DATA_INIT_MS : LC_COMMAND_MS);

	if (r < 0)
		return r;
	if (step > 0 && !data) {
		size_t t = lc->targets[step - 1];
		char what[ADDR_TEXT_MAX + 16];

		if (rep.code / 100 == 2) {
			lc->naccepted++;
			return 0;
		}
		lc->rcpt_status[step - 1] = lmtp_reply_errno(rep.code, rep.enh);
		snprintf(what, sizeof(what), "RCPT <%s>", env->targets->v[t].addr);
		lc_log_reply(lc, env, what, &rep);
		return 0;
	}
	if (data ? rep.code == 354 : rep.code / 100 == 2)
		return 0;
	/* DATA after no accepted recipient fails too: the reasons were
	 * logged at RCPT. */
	if (!data || lc->naccepted)
		lc_log_reply(lc, env, data ? "DATA" : "MAIL", &rep);
	if (!*err_r)
		*err_r = lmtp_reply_errno(rep.code, rep.enh);
	return 0;
}

/* MAIL, one RCPT per target, DATA: pipelined in windows when offered
 * (RFC 2920 §3.1), one at a time otherwise. */
static int lc_envelope(struct lmtp_client *lc, const struct envelope *env, const char *params)
{
	size_t steps = lc->n + 2, window = lc->pipelining ? LC_WINDOW : 1;
	size_t sent = 0, replied = 0;
	int err = 0, r;

	while (replied < steps) {
		while (sent < steps && sent - replied < window) {
			if (sent == 0)
				r = lc_command(lc, "MAIL FROM:<%s>%s\r\n", env->sender, params);
			else if (sent <= lc->n)
				r = lc_command(lc, "RCPT TO:<%s>\r\n", env->targets->v[lc->targets[sent - 1]].addr);
			else
				r = lc_command(lc, "DATA\r\n");
			if (r < 0)
				return r;
			sent++;
		}
		if ((r = lc_flush(lc, LC_COMMAND_MS)) < 0)
			return r;
		while (replied < sent)
			if ((r = lc_step_reply(lc, env, replied++, &err)) < 0)
				return r;
		/* One at a time: nothing after a refused MAIL, no DATA when
		 * no recipient was accepted. */
		if (!lc->pipelining && (err || (sent == lc->n + 1 && !lc->naccepted)))
			break;
	}
	if (!err && !lc->naccepted)
		err = lc->rcpt_status[0];
	return err;
}

static int lc_open(struct sink *s, const struct envelope *env)
{
	const struct config *cfg = sink_config();
	struct lmtp_client *lc;
	struct lc_reply rep;
	char params[64];
	int r;

	s->env = env;
	lc = calloc(1, sizeof(*lc));
	if (!lc)
		return -ENOMEM;
	s->priv = lc;
	lc->server = cfg && cfg->lmtp ? cfg->lmtp : "";
	lc->targets = calloc(env->targets->n + 1, sizeof(*lc->targets));
	lc->rcpt_status = calloc(env->targets->n + 1, sizeof(*lc->rcpt_status));
	if (!lc->targets || !lc->rcpt_status)
		return -ENOMEM;
	for (size_t i = 0; i < env->targets->n; i++)
		if (wants_local(&env->targets->v[i]))
			lc->targets[lc->n++] = i;
	if (lc->n == 0)
		return 0;
	if (!*lc->server)
		return -EDESTADDRREQ;
	if ((r = lc_connect(lc->server)) < 0) {
		log_msg(LOG_ERR, "message id=%s: lmtp %s: cannot connect: %s", env->id, lc->server, strerror(-r));
		return r;
	}
	conn_init(&lc->conn, r, r, LC_COMMAND_MS);
	lc->connected = true;
	/* RFC 2033 §4.1: the greeting, then LHLO */
	if ((r = lc_reply(lc, &rep, false, LC_COMMAND_MS)) == 0 && rep.code != 220) {
		lc_log_reply(lc, env, "greeting", &rep);
		r = lmtp_reply_errno(rep.code, rep.enh);
	}
	if (!r && (r = lc_command(lc, "LHLO %s\r\n", env->local_name ? env->local_name : "localhost")) == 0
	    && (r = lc_flush(lc, LC_COMMAND_MS)) == 0
	    && (r = lc_reply(lc, &rep, true, LC_COMMAND_MS)) == 0 && rep.code != 250) {
		lc_log_reply(lc, env, "LHLO", &rep);
		r = lmtp_reply_errno(rep.code, rep.enh);
	}
	if (!r && (r = lc_mail_params(lc, env->mail_params ? env->mail_params : "", params, sizeof(params))) < 0)
		log_msg(LOG_ERR, "message id=%s: lmtp %s: SMTPUTF8 needed, not offered", env->id, lc->server);
	if (!r)
		r = lc_envelope(lc, env, params);
	if (r < 0 && r != -EIO && r != -EDQUOT && r != -ENOSPC && r != -EFBIG)
		log_msg(LOG_ERR, "message id=%s: lmtp %s: %s", env->id, lc->server, strerror(-r));
	if (r < 0)
		return r;
	/* SMTP is all or nothing: a recipient the server refused fails the
	 * message before 354, rather than after the client sent it all. */
	if (!env->per_target)
		for (size_t i = 0; i < lc->n; i++)
			if (lc->rcpt_status[i])
				return lc->rcpt_status[i];
	lc->line_start = true;
	lc->conn.timeout_ms = LC_BLOCK_MS;	/* each write of the message */
	return lc_put(lc, env->received, strlen(env->received));
}

static int lc_write(struct sink *s, const char *buf, size_t n)
{
	struct lmtp_client *lc = s->priv;
	size_t start = 0;

	if (s->error || !lc || !lc->connected)
		return s->error;
	/* RFC 5321 §4.5.2: a line that starts with '.' gets one more. */
	for (size_t i = 0; i < n; i++) {
		if (lc->line_start && buf[i] == '.') {
			if ((s->error = lc_put(lc, buf + start, i - start)) < 0
			    || (s->error = lc_put(lc, ".", 1)) < 0)
				return s->error;
			start = i;
		}
		lc->line_start = buf[i] == '\n';
	}
	return s->error = lc_put(lc, buf + start, n - start);
}

static int lc_commit(struct sink *s, int *status)
{
	struct lmtp_client *lc = s->priv;
	int first = 0, r;

	if (!lc || lc->n == 0)
		return 0;
	r = s->error;
	if (!lc->connected && !r)
		r = -ENOTCONN;
	/* The decoder guarantees the message ends with CRLF or is empty. */
	if (!r && !lc->line_start)
		r = lc_put(lc, "\r\n", 2);
	if (!r)
		r = lc_put(lc, ".\r\n", 3);
	if (!r)
		r = lc_flush(lc, LC_BLOCK_MS);
	if (!r)
		lc->finished = true;
	/* RFC 2033 §4.2: one reply per accepted RCPT, in RCPT order. */
	for (size_t i = 0; i < lc->n; i++) {
		size_t t = lc->targets[i];
		struct lc_reply rep;

		if (lc->rcpt_status[i])
			status[t] = lc->rcpt_status[i];
		else if (r)
			status[t] = r;
		else if ((r = lc_reply(lc, &rep, false, LC_FINAL_MS)) < 0)
			status[t] = r;	/* this one and the rest: unknown, so failed */
		else if (rep.code / 100 == 2)
			status[t] = 0;
		else {
			char what[ADDR_TEXT_MAX + 16];

			snprintf(what, sizeof(what), "<%s>", s->env->targets->v[t].addr);
			lc_log_reply(lc, s->env, what, &rep);
			status[t] = lmtp_reply_errno(rep.code, rep.enh);
		}
		if (status[t] && !first)
			first = status[t];
	}
	if (r < 0)
		log_msg(LOG_ERR, "message id=%s: lmtp %s: end of data: %s", s->env->id, lc->server, strerror(-r));
	if (lc->connected && lc_put(lc, "QUIT\r\n", 6) == 0 && lc_flush(lc, LC_QUIT_MS) == 0)
		lc->quit_sent = true;
	return first;
}

static void lc_rollback(struct sink *s)
{
	struct lmtp_client *lc = s->priv;

	/* What the server accepted is delivered: the client will retry after
	 * our 4xx, and those recipients get the message twice (lmtpd(8)). */
	if (lc && lc->finished)
		log_msg(LOG_WARNING, "message id=%s: lmtp %s: copies already delivered cannot be withdrawn",
			s->env->id, lc->server);
}

static void lc_close(struct sink *s)
{
	struct lmtp_client *lc = s->priv;

	if (!lc)
		return;
	/* RFC 5321 §4.1.1.10: wait for the reply to QUIT before closing.
	 * Closing before the dot aborts the transaction on the server
	 * (RFC 5321 §4.1.1.4: the message is not delivered). */
	if (lc->quit_sent) {
		struct lc_reply rep;

		lc_reply(lc, &rep, false, LC_QUIT_MS);
	}
	if (lc->connected)
		close(lc->conn.rfd);
	free(lc->targets);
	free(lc->rcpt_status);
	free(lc);
	s->priv = NULL;
}

const struct sink_ops lmtp_sink_ops = {
	.name = "lmtp",
	.wants = wants_local,
	.open = lc_open,
	.write = lc_write,
	.commit = lc_commit,
	.rollback = lc_rollback,
	.close = lc_close,
};
