/* queue.c — claiming a spool file, its journal, the next try, the end.
 *
 * A file is claimed with flock(2) on the file itself: the kernel drops
 * the lock when the process dies, so there are no stale locks.  A file
 * found in new/ moves to cur/ on its first claim (new/ is always
 * drained); its next try is its mtime.
 */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int read_envelope(struct message *m)
{
	char buf[16384];
	unsigned long long off = 0;
	ssize_t n;

	envelope_init(&m->env);
	while ((n = pread(m->fd, buf, sizeof(buf), (off_t)off)) > 0) {
		size_t used;
		enum env_result r = envelope_feed(&m->env, buf, (size_t)n, &used);

		if (r == ENV_DONE)
			return 0;
		if (r == ENV_BAD)
			return -EBADMSG;
		if (r == ENV_NOMEM)
			return -ENOMEM;
		off += (unsigned long long)n;
	}
	return n < 0 ? -errno : -EBADMSG;
}

/* Open @dir/@name and take its lock without waiting; -EWOULDBLOCK when
 * another run holds it, -ENOENT when it is gone (delivered meanwhile). */
static int claim(const char *dir, const char *name)
{
	char path[4400];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	/* locked an inode that the holder before us unlinked: done already */
	if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

static void message_free(struct message *m)
{
	envelope_free(&m->env);
	free(m->st);
	if (m->jfd >= 0)
		close(m->jfd);
	if (m->fd >= 0)
		close(m->fd);
}

static bool all_final(const struct message *m)
{
	for (size_t i = 0; i < m->env.nrcpt; i++)
		if (m->st[i].state == RS_PENDING)
			return false;
	return true;
}

static void path_of(struct relay_ctx *ctx, char *buf, size_t size, const char *sub, const char *name)
{
	snprintf(buf, size, "%s/%s/%s", ctx->outgoing, sub, name);
}

/* Every recipient has its outcome: send the notice due, then remove
 * the message and its journal.  A crash between the notice and the B
 * line sends the notice twice; never none. */
static int finish(struct relay_ctx *ctx, struct message *m)
{
	char path[4400], line[64];
	int r;

	if (!m->js.bounced) {
		if ((r = bounce_send(ctx, m, true)) < 0)
			return r;	/* smtpd did not take it: next run */
		/* recorded only when a notice went out: with none due, a crash
		 * before the unlinks finds none due again next run, and the
		 * common case (all delivered) saves an fdatasync */
		snprintf(line, sizeof(line), "B %lld\n", ctx->now);
		if (r > 0 && (r = journal_append(m->jfd, line)) < 0)
			return r;
	}
	path_of(ctx, path, sizeof(path), "cur", m->name);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	path_of(ctx, path, sizeof(path), "state", m->name);
	unlink(path);
	return 0;
}

/* Wait after try @tries, with up to 10 % of jitter so that messages
 * deferred together spread out. */
static long long next_delay(struct relay_ctx *ctx, unsigned tries)
{
	long long d = schedule_delay(&ctx->rs->schedule, tries);
	unsigned r = 0;

	if (d <= 0)
		return d;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned)getpid();
	return d + (long long)(r % 1000) * (d / 10) / 1000;
}

static void deliver_pending(struct relay_ctx *ctx, struct message *m)
{
	size_t *idx = malloc(m->env.nrcpt * sizeof(*idx)), n = 0;
	bool *done = calloc(m->env.nrcpt, sizeof(*done));

	if (!idx || !done) {
		free(idx);
		free(done);
		return;
	}
	if (ctx->rs->ngateway) {
		for (size_t i = 0; i < m->env.nrcpt; i++)
			if (m->st[i].state == RS_PENDING)
				idx[n++] = i;
		if (n)
			deliver_gateway(ctx, m, idx, n);
	} else {
		/* one destination per domain, in spool order */
		for (size_t i = 0; i < m->env.nrcpt; i++) {
			if (done[i] || m->st[i].state != RS_PENDING)
				continue;
			n = 0;
			for (size_t k = i; k < m->env.nrcpt; k++)
				if (!done[k] && m->st[k].state == RS_PENDING
				    && strcasecmp(m->env.rcpt[k].domain, m->env.rcpt[i].domain) == 0) {
					idx[n++] = k;
					done[k] = true;
				}
			deliver_mx(ctx, m, m->env.rcpt[i].domain, idx, n);
		}
	}
	free(idx);
	free(done);
}

enum deliver_result deliver_file(struct relay_ctx *ctx, const char *name, bool from_new, bool force)
{
	struct message m = { .fd = -1, .jfd = -1 };
	char dir[4200], path[4400], cur[4400], line[64];
	struct stat st;
	enum deliver_result res = DELIVER_ERROR;
	int r;

	if (strchr(name, '/') || name[0] == '.' || strlen(name) >= sizeof(m.name))
		return DELIVER_SKIPPED;
	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(dir, sizeof(dir), "%s/%s", ctx->outgoing, from_new ? "new" : "cur");
	m.fd = claim(dir, name);
	if (m.fd < 0)
		return DELIVER_SKIPPED;
	if (from_new) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		path_of(ctx, cur, sizeof(cur), "cur", name);
		/* first claim: new/ is drained at once, cur/ is the queue */
		if (rename(path, cur) < 0) {
			message_free(&m);
			return DELIVER_SKIPPED;	/* another run moved it */
		}
	}
	if (fstat(m.fd, &st) < 0)
		goto out;
	m.size = (unsigned long long)st.st_size;
	m.arrival = strtoll(name, NULL, 10);
	if (!force && !from_new && st.st_mtime > ctx->now) {
		res = DELIVER_SKIPPED;	/* not due (checked under the lock) */
		goto out;
	}
	if ((r = read_envelope(&m)) < 0) {
		log_msg(LOG_ERR, "message %s: not a spool file (%s), left in cur/", name, strerror(-r));
		goto out;
	}
	m.st = calloc(m.env.nrcpt, sizeof(*m.st));
	if (!m.st)
		goto out;
	journal_state_init(&m.js, m.st, m.env.nrcpt);
	path_of(ctx, path, sizeof(path), "state", name);
	m.jfd = journal_open(path, &m.js);
	if (m.jfd < 0) {
		log_msg(LOG_ERR, "message %s: cannot open its journal %s: %s", name, path, strerror(-m.jfd));
		goto out;
	}
	if (!all_final(&m))
		deliver_pending(ctx, &m);
	if (all_final(&m)) {
		r = finish(ctx, &m);
		if (r < 0) {
			log_msg(LOG_ERR, "message %s: cannot finish: %s (next run)", name, strerror(-r));
			res = DELIVER_DEFERRED;
			goto out;
		}
		log_msg(LOG_INFO, "message %s: done", name);
		res = DELIVER_DONE;
		goto out;
	}
	/* a try ended with recipients pending */
	snprintf(line, sizeof(line), "N %u %lld\n", m.js.tries + 1, ctx->now);
	if (journal_append(m.jfd, line) < 0)
		goto out;
	m.js.tries++;
	{
		long long d = next_delay(ctx, m.js.tries);
		struct timespec ts[2];

		if (d < 0) {
			/* RFC 5321 §4.5.4.1: give up; the last reason goes in the DSN */
			for (size_t i = 0; i < m.env.nrcpt; i++) {
				char text[JOURNAL_TEXT_MAX + 64];

				if (m.st[i].state != RS_PENDING)
					continue;
				/* no server said this: no host, so the DSN's
				 * Diagnostic-Code is ours, with the last answer in it */
				snprintf(text, sizeof(text), "delivery time expired after %u tries; last: %s%s%d %s %s",
					 m.js.tries, m.st[i].host, m.st[i].host[0] ? " said " : "", m.st[i].code,
					 m.st[i].enh, m.st[i].text);
				record(ctx, &m, i, 'F', m.st[i].code >= 400 ? m.st[i].code : 451, "4.4.7", "", text);
			}
			if (finish(ctx, &m) == 0)
				res = DELIVER_DONE;
			goto out;
		}
		if (ctx->rs->delay_warning && !m.js.warned && m.arrival
		    && ctx->now - m.arrival >= ctx->rs->delay_warning && bounce_send(ctx, &m, false) >= 0) {
			snprintf(line, sizeof(line), "W %lld\n", ctx->now);
			journal_append(m.jfd, line);
		}
		/* the next try is the file's mtime */
		ts[0].tv_sec = ctx->now;
		ts[0].tv_nsec = 0;
		ts[1].tv_sec = ctx->now + d;
		ts[1].tv_nsec = 0;
		if (futimens(m.fd, ts) < 0)
			log_msg(LOG_ERR, "message %s: cannot set its next try: %s", name, strerror(errno));
		log_msg(LOG_INFO, "message %s: deferred, try %u, next in %lld s", name, m.js.tries, d);
		res = DELIVER_DEFERRED;
	}
out:
	message_free(&m);
	return res;
}
