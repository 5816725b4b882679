/* delivery.c — the maildir sink and the spool sink.  See sink.h. */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dsn.h"
#include "maildir.h"

#define SINK_BUF 65536

static const struct config *conf;

void sink_configure(const struct config *cfg)
{
	conf = cfg;
}

const struct config *sink_config(void)
{
	return conf;
}

/* ---- maildir sink -------------------------------------------------------
 * The message is streamed once, into one recipient's file (the body copy);
 * the other copies are made at commit time from that file
 * (copy_file_range), each with its own Delivered-To, so the descriptors in
 * use stay constant whatever the number of recipients.  Each copy has its
 * own status: for LMTP a maildir that cannot be written fails only its own
 * recipient (RFC 2033 §4.2). */

struct md_copy {
	size_t target;		/* index in env->targets */
	char dir[PATH_MAX];
	struct mdfile file;
	bool opened;
	int error;		/* this copy's own failure, latched */
};

struct md_sink {
	char root[PATH_MAX];	/* the mailboxes template's fixed prefix */
	struct md_copy *copies;
	size_t ncopies;
	size_t body;		/* the copy the message is streamed into */
	int body_fd;		/* read side of the body copy */
	off_t body_off;		/* where the message starts in the body copy */
	size_t buflen;
	char buf[SINK_BUF];
};

static bool wants_local(const struct target *t)
{
	return t->local;
}

static bool wants_remote(const struct target *t)
{
	return !t->local;
}

static int write_prefix(struct mdfile *f, const struct envelope *env, const char *rcpt)
{
	char head[ADDR_TEXT_MAX * 2 + 64];
	int n = snprintf(head, sizeof(head), "Return-Path: <%s>\r\nDelivered-To: %s\r\n", env->sender, rcpt);
	int r = mdfile_write(f, head, (size_t)n);

	return r < 0 ? r : mdfile_write(f, env->received, strlen(env->received));
}

/* Create @c's tmp file (its dir was made by md_open) with its headers. */
static int md_open_copy(const struct md_sink *m, struct md_copy *c, const struct envelope *env)
{
	int r = mdfile_create(&c->file, m->root, c->dir);

	if (r < 0)
		return r;
	c->opened = true;
	return write_prefix(&c->file, env, env->targets->v[c->target].addr);
}

/* Make @c's maildir exist.  0 or -errno. */
static int md_prepare(const struct md_sink *m, struct md_copy *c, const char *address)
{
	int r = maildir_expand(conf->mailboxes, address, c->dir, sizeof(c->dir));

	return r < 0 ? r : maildir_ensure(m->root, c->dir);
}

/* Open the body copy: the first copy that can be created.  Per target, a
 * copy that cannot keeps its error and the next one is tried. */
static int md_open_body(struct md_sink *m, const struct envelope *env)
{
	int first = 0;

	for (size_t i = 0; i < m->ncopies; i++) {
		struct md_copy *c = &m->copies[i];
		int r = c->error;

		if (!r && (r = md_open_copy(m, c, env)) == 0) {
			m->body = i;
			m->body_off = (off_t)c->file.size;
			/* not reopened by name: the file itself */
			m->body_fd = mdfile_reader(&c->file);
			return m->body_fd < 0 ? m->body_fd : 0;
		}
		if (!env->per_target)
			return r;
		c->error = r;
		if (!first)
			first = r;
	}
	return first;
}

static int md_open(struct sink *s, const struct envelope *env)
{
	struct md_sink *m = malloc(sizeof(*m));
	const struct target_set *ts = env->targets;
	int r;

	if (!m)
		return -ENOMEM;
	/* Not the 64 KiB buffer, read only below buflen: zeroing it cost
	 * 70,000 instructions and 16 dirty pages per message. */
	memset(m, 0, offsetof(struct md_sink, buf));
	s->priv = m;
	s->env = env;
	m->body_fd = -1;
	m->copies = calloc(ts->n, sizeof(*m->copies));
	if (!m->copies)
		return -ENOMEM;
	for (size_t i = 0; i < ts->n; i++)
		if (wants_local(&ts->v[i]))
			m->copies[m->ncopies++].target = i;
	if (m->ncopies == 0)
		return 0;
	maildir_template_root(conf->mailboxes, m->root, sizeof(m->root));
	/* Every maildir is checked now, so a bad one fails before 354 (SMTP)
	 * or is known to have failed for its recipient alone (LMTP). */
	for (size_t i = 0; i < m->ncopies; i++) {
		r = md_prepare(m, &m->copies[i], ts->v[m->copies[i].target].addr);
		if (r < 0 && !env->per_target)
			return r;
		m->copies[i].error = r;
	}
	return md_open_body(m, env);
}

static int md_flush(struct md_sink *m)
{
	int r = 0;

	if (m->buflen && m->ncopies)
		r = mdfile_write(&m->copies[m->body].file, m->buf, m->buflen);
	m->buflen = 0;
	return r;
}

static int md_write(struct sink *s, const char *buf, size_t n)
{
	struct md_sink *m = s->priv;

	if (s->error || !m->ncopies)
		return s->error;
	if (m->buflen + n > sizeof(m->buf) && (s->error = md_flush(m)) < 0)
		return s->error;
	if (n >= sizeof(m->buf))
		return s->error = mdfile_write(&m->copies[m->body].file, buf, n);
	memcpy(m->buf + m->buflen, buf, n);
	m->buflen += n;
	return 0;
}

/* Copy the message body from the body copy into @c. */
static int copy_body(struct md_sink *m, struct md_copy *c, uint64_t len)
{
	off_t in = m->body_off;
	int r;

	while (len > 0) {
		ssize_t n = copy_file_range(m->body_fd, &in, c->file.fd, NULL, len, 0);

		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
			/* other file system or old kernel: plain copy */
			char buf[SINK_BUF];

			n = pread(m->body_fd, buf, len < sizeof(buf) ? len : sizeof(buf), in);
			if (n > 0) {
				if ((r = mdfile_write(&c->file, buf, (size_t)n)) < 0)
					return r;
				in += n;
				len -= (uint64_t)n;
				continue;
			}
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* the body copy shrank */
		c->file.size += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int md_commit(struct sink *s, int *status)
{
	struct md_sink *m = s->priv;
	uint64_t body_len;
	int first = 0;

	if (!m->ncopies)
		return 0;
	if (!s->error)
		s->error = md_flush(m);
	body_len = m->copies[m->body].file.size - (uint64_t)m->body_off;
	/* Phase 1: every copy complete and fsync'ed in tmp/.  A failed
	 * write of the body copy fails them all: they have no body. */
	for (size_t i = 0; i < m->ncopies; i++) {
		struct md_copy *c = &m->copies[i];
		int r = s->error ? s->error : c->error;

		if (i != m->body && !r) {
			r = md_open_copy(m, c, s->env);
			if (!r)
				r = copy_body(m, c, body_len);
		}
		if (!r)
			r = mdfile_sync(&c->file);
		status[c->target] = r;
		if (r && !first)
			first = r;
	}
	/* Phase 2: publish the good ones into new/. */
	for (size_t i = 0; i < m->ncopies; i++) {
		struct md_copy *c = &m->copies[i];

		if (status[c->target])
			continue;
		status[c->target] = mdfile_publish(&c->file);
		if (status[c->target] && !first)
			first = status[c->target];
	}
	return first;
}

static void md_rollback(struct sink *s)
{
	struct md_sink *m = s->priv;

	for (size_t i = 0; m && i < m->ncopies; i++)
		mdfile_unpublish(&m->copies[i].file);
}

static void md_close(struct sink *s)
{
	struct md_sink *m = s->priv;

	if (!m)
		return;
	for (size_t i = 0; i < m->ncopies; i++)
		if (m->copies[i].opened)
			mdfile_abort(&m->copies[i].file);
	if (m->body_fd >= 0)
		close(m->body_fd);
	free(m->copies);
	free(m);
	s->priv = NULL;
}

const struct sink_ops maildir_sink_ops = {
	.name = "maildir",
	.wants = wants_local,
	.open = md_open,
	.write = md_write,
	.commit = md_commit,
	.rollback = md_rollback,
	.close = md_close,
};

/* ---- spool sink ---------------------------------------------------------
 * spool/outgoing/new/<unique>: batch SMTP (RFC 2442), the envelope as
 * commands and the message dot-stuffed (RFC 5321 §4.5.2), so a relay agent
 * can replay the file to the next hop as it stands:
 *   MAIL FROM:<sender>[ params]\r\n
 *   RCPT TO:<rcpt>\r\n ...
 *   DATA\r\n
 *   Received: ...\r\n <message> .\r\n
 */

struct spool_sink {
	struct mdfile file;
	bool opened;
	bool line_start;
	size_t buflen;
	char buf[SINK_BUF + SINK_BUF / 2];
};

static int sp_flush(struct spool_sink *p)
{
	int r = p->buflen ? mdfile_write(&p->file, p->buf, p->buflen) : 0;

	p->buflen = 0;
	return r;
}

static int sp_put(struct spool_sink *p, const char *s, size_t n)
{
	int r;

	if (p->buflen + n > sizeof(p->buf) && (r = sp_flush(p)) < 0)
		return r;
	if (n > sizeof(p->buf))
		return mdfile_write(&p->file, s, n);
	memcpy(p->buf + p->buflen, s, n);
	p->buflen += n;
	return 0;
}

static int sp_open(struct sink *s, const struct envelope *env)
{
	struct spool_sink *p;
	char dir[PATH_MAX], line[ADDR_TEXT_MAX + DSN_PARAMS_MAX + 80];
	int r, n;
	bool any = false;

	for (size_t i = 0; i < env->targets->n; i++)
		any |= wants_remote(&env->targets->v[i]);
	s->env = env;
	if (!any)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->priv = p;
	p->file.fd = -1;
	snprintf(dir, sizeof(dir), "%s/outgoing", conf->spool);
	/* the spool root must exist (tmpfiles.d makes it); outgoing/ is ours */
	if ((r = maildir_ensure(conf->spool, dir)) < 0)
		return r;
	if ((r = mdfile_create(&p->file, conf->spool, dir)) < 0)
		return r;
	p->opened = true;
	n = snprintf(line, sizeof(line), "MAIL FROM:<%s>%s%s\r\n", env->sender,
		     env->mail_params[0] ? " " : "", env->mail_params);
	if ((r = sp_put(p, line, (size_t)n)) < 0)
		return r;
	for (size_t i = 0; i < env->targets->n; i++) {
		if (!wants_remote(&env->targets->v[i]))
			continue;
		const char *params = env->target_params ? env->target_params[i] : NULL;

		n = snprintf(line, sizeof(line), "RCPT TO:<%s>%s%s\r\n", env->targets->v[i].addr,
			     params && *params ? " " : "", params && *params ? params : "");
		if ((r = sp_put(p, line, (size_t)n)) < 0)
			return r;
	}
	if ((r = sp_put(p, "DATA\r\n", 6)) < 0)
		return r;
	p->line_start = true;
	return sp_put(p, env->received, strlen(env->received));
}

static int sp_write(struct sink *s, const char *buf, size_t n)
{
	struct spool_sink *p = s->priv;
	size_t start = 0;

	if (!p || s->error)
		return s->error;
	/* Dot-stuff: a line that starts with '.' gets one more. */
	for (size_t i = 0; i < n; i++) {
		if (p->line_start && buf[i] == '.') {
			if ((s->error = sp_put(p, buf + start, i - start)) < 0
			    || (s->error = sp_put(p, ".", 1)) < 0)
				return s->error;
			start = i;
		}
		p->line_start = buf[i] == '\n';
	}
	return s->error = sp_put(p, buf + start, n - start);
}

static int sp_commit(struct sink *s, int *status)
{
	struct spool_sink *p = s->priv;
	int r;

	if (!p)
		return 0;
	r = s->error;
	/* The decoder guarantees the message ends with CRLF or is empty. */
	if (!r && !p->line_start)
		r = sp_put(p, "\r\n", 2);
	if (!r)
		r = sp_put(p, ".\r\n", 3);
	if (!r)
		r = sp_flush(p);
	if (!r)
		r = mdfile_sync(&p->file);
	if (!r)
		r = mdfile_publish(&p->file);
	for (size_t i = 0; i < s->env->targets->n; i++)
		if (wants_remote(&s->env->targets->v[i]))
			status[i] = r;
	return r;
}

static void sp_rollback(struct sink *s)
{
	struct spool_sink *p = s->priv;

	if (p)
		mdfile_unpublish(&p->file);
}

static void sp_close(struct sink *s)
{
	struct spool_sink *p = s->priv;

	if (!p)
		return;
	if (p->opened)
		mdfile_abort(&p->file);
	free(p);
	s->priv = NULL;
}

const struct sink_ops spool_sink_ops = {
	.name = "spool",
	.wants = wants_remote,
	.open = sp_open,
	.write = sp_write,
	.commit = sp_commit,
	.rollback = sp_rollback,
	.close = sp_close,
};
