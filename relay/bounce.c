/* bounce.c — delivery status notifications (RFC 3464, RFC 3461 §6,
 * RFC 6533 for SMTPUTF8 mail), one per message for all the recipients
 * it concerns, sent from <> through smtpd itself (over pipes, as the
 * local client 127.0.0.1), so it lands in a local maildir or the spool
 * like any message.  A message from <> never gets one.
 */
#include "relay.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "log.h"

enum action { ACT_NONE, ACT_FAILED, ACT_DELAYED, ACT_RELAYED };

static enum action action_of(const struct env_rcpt *r, const struct rcpt_status *s, bool final)
{
	unsigned notify = r->dsn.notify;

	if (notify & DSN_NOTIFY_NEVER)
		return ACT_NONE;
	if (!final)
		/* RFC 3461 §4.1: without NOTIFY, FAILURE and maybe DELAY */
		return s->state == RS_PENDING && (!notify || (notify & DSN_NOTIFY_DELAY)) ? ACT_DELAYED : ACT_NONE;
	if (s->state == RS_FAILED)
		return !notify || (notify & DSN_NOTIFY_FAILURE) ? ACT_FAILED : ACT_NONE;
	/* RFC 3461 §6.2.2: delivered to a server that does not do DSN */
	if (s->state == RS_DELIVERED && (notify & DSN_NOTIFY_SUCCESS) && !s->dsn_passed)
		return ACT_RELAYED;
	return ACT_NONE;
}

static void rfc5322_date(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

/* Our own lines: dot-stuffed like the rest (RFC 5321 §4.5.2). */
static void put(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(FILE *f, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(f, "%s%s\r\n", line[0] == '.' ? "." : "", line);
}

static void compose(struct relay_ctx *ctx, struct message *m, bool final, FILE *f, const char *boundary,
		    unsigned nacts)
{
	const struct envelope_file *e = &m->env;
	char date[64];
	unsigned char rnd[8];
	bool global = e->smtputf8;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	rfc5322_date(ctx->now, date, sizeof(date));
	put(f, "From: Mail Delivery System <MAILER-DAEMON@%s>", ctx->helo);
	put(f, "To: <%s>", e->sender);
	put(f, "Subject: %s", final ? "Delivery Status Notification" : "Delivery Status Notification (delayed)");
	put(f, "Date: %s", date);
	put(f, "Message-ID: <%s.%02x%02x%02x%02x%02x%02x@%s>", m->name[0] ? "dsn" : "x", rnd[0], rnd[1], rnd[2],
	    rnd[3], rnd[4], rnd[5], ctx->helo);
	put(f, "Auto-Submitted: auto-replied");	/* RFC 3834 §5 */
	put(f, "MIME-Version: 1.0");
	put(f, "Content-Type: multipart/report; report-type=delivery-status;");
	put(f, "\tboundary=\"%s\"", boundary);
	put(f, "%s", "");
	put(f, "This is a MIME-encapsulated message.");
	put(f, "%s", "");
	put(f, "--%s", boundary);
	put(f, "Content-Type: text/plain; charset=%s", global ? "utf-8" : "us-ascii");
	put(f, "%s", "");
	put(f, "This is the mail system at %s.", ctx->helo);
	put(f, "%s", "");
	if (final)
		put(f, "Your message could not be delivered to %s of its recipients, or was delivered "
		    "to a server that sends no notices:", nacts == 1 ? "one" : "some");
	else
		put(f, "Your message has not been delivered yet to the recipients below; it will be "
		    "tried again, you need not send it again:");
	put(f, "%s", "");
	for (size_t i = 0; i < e->nrcpt; i++) {
		const struct rcpt_status *s = &m->st[i];
		enum action a = action_of(&e->rcpt[i], s, final);

		if (a == ACT_NONE)
			continue;
		put(f, "<%s>: %s%s%s%d %s %s", e->rcpt[i].addr, a == ACT_RELAYED ? "delivered; " : "",
		    s->host, s->host[0] ? " said: " : "", s->code, s->enh, s->text);
	}
	put(f, "%s", "");
	put(f, "--%s", boundary);
	/* RFC 6533 §6.1 for SMTPUTF8 mail */
	put(f, "Content-Type: message/%sdelivery-status", global ? "global-" : "");
	put(f, "%s", "");
	put(f, "Reporting-MTA: dns; %s", ctx->helo);
	if (e->dsn.envid[0])
		put(f, "Original-Envelope-Id: %s", e->dsn.envid);
	if (m->arrival > 0) {
		rfc5322_date(m->arrival, date, sizeof(date));
		put(f, "Arrival-Date: %s", date);
	}
	for (size_t i = 0; i < e->nrcpt; i++) {
		const struct rcpt_status *s = &m->st[i];
		const struct env_rcpt *r = &e->rcpt[i];
		enum action a = action_of(r, s, final);
		char host[JOURNAL_HOST_MAX], status[16];

		if (a == ACT_NONE)
			continue;
		put(f, "%s", "");
		if (r->dsn.orcpt_type[0])
			put(f, "Original-Recipient: %s;%s", r->dsn.orcpt_type, r->dsn.orcpt);
		put(f, "Final-Recipient: rfc822; %s", r->addr);
		put(f, "Action: %s", a == ACT_FAILED ? "failed" : a == ACT_DELAYED ? "delayed" : "relayed");
		if (s->enh[0])
			snprintf(status, sizeof(status), "%s", s->enh);
		else
			snprintf(status, sizeof(status), "%d.0.0", s->code ? s->code / 100 : 4);
		if (a == ACT_RELAYED)
			snprintf(status, sizeof(status), "2.0.0");
		put(f, "Status: %s", status);
		/* "name[address]": the name is the MTA */
		snprintf(host, sizeof(host), "%.*s", (int)strcspn(s->host, "["), s->host);
		if (host[0])
			put(f, "Remote-MTA: dns; %s", host);
		if (s->code && s->host[0])
			put(f, "Diagnostic-Code: smtp; %d %s%s%s", s->code, s->enh, s->enh[0] ? " " : "", s->text);
		else if (s->text[0])
			put(f, "Diagnostic-Code: X-smtpd-relay; %s", s->text);
		if (s->when) {
			rfc5322_date(s->when, date, sizeof(date));
			put(f, "Last-Attempt-Date: %s", date);
		}
		if (a == ACT_DELAYED && m->arrival) {
			long long until = m->arrival;

			for (unsigned t = 1; schedule_delay(&ctx->rs->schedule, t) >= 0; t++)
				until += schedule_delay(&ctx->rs->schedule, t);
			rfc5322_date(until, date, sizeof(date));
			put(f, "Will-Retry-Until: %s", date);
		}
	}
	put(f, "%s", "");
	put(f, "--%s", boundary);
	if (e->dsn.ret == DSN_RET_HDRS)
		put(f, "Content-Type: %s", global ? "message/global-headers" : "text/rfc822-headers");
	else
		put(f, "Content-Type: %s", global ? "message/global" : "message/rfc822");
	put(f, "%s", "");
}

/* The original from the spool file (dot-stuffed already): all of it
 * but the final ".\r\n", or the header up to the empty line (RET=HDRS). */
static int copy_original(struct message *m, FILE *f)
{
	unsigned long long off = m->env.body_off, end = m->size >= 3 ? m->size - 3 : m->size;
	char buf[65536];
	bool hdrs = m->env.dsn.ret == DSN_RET_HDRS;
	char last[4] = { 0 };

	while (off < end) {
		size_t want = end - off < sizeof(buf) ? (size_t)(end - off) : sizeof(buf);
		ssize_t n = pread(m->fd, buf, want, (off_t)off);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		if (hdrs) {
			for (ssize_t i = 0; i < n; i++) {
				fputc(buf[i], f);
				memmove(last, last + 1, 3);
				last[3] = buf[i];
				if (memcmp(last, "\r\n\r\n", 4) == 0)
					return 0;
			}
		} else {
			fwrite(buf, 1, (size_t)n, f);
		}
		off += (unsigned long long)n;
	}
	return 0;
}

/* smtpd over pipes: REMOTE_ADDR=127.0.0.1 is the local client. */
static int inject(struct relay_ctx *ctx, const char *to, bool body8, bool utf8, const char *msg, size_t len)
{
	int in[2], out[2], status, e = 0;
	pid_t pid;
	struct smtp_client c = { .fd = -1 };
	struct smtp_reply r;
	const char *step = "greeting";

	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		e = -errno;
		close(in[0]);
		close(in[1]);
		return e;
	}
	pid = fork();
	if (pid < 0) {
		e = -errno;
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		return e;
	}
	if (pid == 0) {
		char *argv[10];
		int k = 0;
		char logopt[64], conf[4096];

		dup2(in[0], 0);
		dup2(out[1], 1);
		setenv("REMOTE_ADDR", "127.0.0.1", 1);
		unsetenv("TCPREMOTEIP");
		argv[k++] = ctx->smtpd;
		argv[k++] = (char *)"-c";
		snprintf(conf, sizeof(conf), "%s", ctx->config_file);
		argv[k++] = conf;
		if (ctx->rs->smtpd_server) {
			argv[k++] = (char *)"-s";
			argv[k++] = ctx->rs->smtpd_server;
		}
		if (ctx->log_target) {
			snprintf(logopt, sizeof(logopt), "--log=%s", ctx->log_target);
			argv[k++] = logopt;
		}
		argv[k] = NULL;
		execv(ctx->smtpd, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	conn_init(&c.conn, out[0], in[1], (int)ctx->rs->timeout_ms);
	c.fd = -1;
	if ((e = smtp_read(&c, &r)) < 0 || r.code != 220)
		goto fail;
	step = "EHLO";
	if ((e = smtp_send(&c, "EHLO %s", ctx->helo)) < 0 || (e = smtp_read(&c, &r)) < 0 || r.code != 250)
		goto fail;
	step = "MAIL";
	if ((e = smtp_send(&c, "MAIL FROM:<>%s%s", body8 ? " BODY=8BITMIME" : "", utf8 ? " SMTPUTF8" : "")) < 0
	    || (e = smtp_read(&c, &r)) < 0 || r.code != 250)
		goto fail;
	step = "RCPT";
	if ((e = smtp_send(&c, "RCPT TO:<%s>", to)) < 0 || (e = smtp_read(&c, &r)) < 0 || r.code != 250)
		goto fail;
	step = "DATA";
	if ((e = smtp_send(&c, "DATA")) < 0 || (e = smtp_read(&c, &r)) < 0 || r.code != 354)
		goto fail;
	step = "the message";
	if ((e = conn_write(&c.conn, msg, len)) < 0 || (e = smtp_send(&c, ".")) < 0
	    || (e = smtp_read(&c, &r)) < 0 || r.code != 250)
		goto fail;
	smtp_send(&c, "QUIT");
	smtp_read(&c, &r);
	close(out[0]);
	close(in[1]);
	waitpid(pid, &status, 0);
	log_msg(LOG_INFO, "notice to <%s> sent through %s: %s", to, ctx->smtpd, r.text);
	return 0;
fail:
	if (e < 0)
		log_msg(LOG_ERR, "notice to <%s>: %s failed with %s: %s", to, step, ctx->smtpd, strerror(-e));
	else
		log_msg(LOG_ERR, "notice to <%s>: %s refused by %s: %d %s %s", to, step, ctx->smtpd, r.code,
			r.enh, r.text);
	close(out[0]);
	close(in[1]);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	/* a permanent refusal would fail the same way every run: drop it */
	return e < 0 || r.code < 500 ? -EAGAIN : 0;
}

int bounce_send(struct relay_ctx *ctx, struct message *m, bool final)
{
	const struct envelope_file *e = &m->env;
	unsigned nacts = 0;
	char boundary[64];
	unsigned char rnd[6];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	for (size_t i = 0; i < e->nrcpt; i++)
		if (action_of(&e->rcpt[i], &m->st[i], final) != ACT_NONE)
			nacts++;
	if (!nacts)
		return 0;
	if (!e->sender[0]) {
		/* RFC 5321 §4.5.5: never a notice about a notice */
		log_msg(LOG_NOTICE, "message %s from <>: %u recipient(s) failed, no notice sent", m->name, nacts);
		return 0;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	snprintf(boundary, sizeof(boundary), "%s/%02x%02x%02x%02x%02x%02x", ctx->helo, rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5]);
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	compose(ctx, m, final, f, boundary, nacts);
	r = copy_original(m, f);
	fprintf(f, "\r\n--%s--\r\n", boundary);
	if (fclose(f) != 0 || r < 0) {
		free(buf);
		return r < 0 ? r : -ENOMEM;
	}
	r = inject(ctx, e->sender, e->body8 || e->smtputf8, e->smtputf8, buf, len);
	free(buf);
	return r < 0 ? r : 1;
}
