/* journal.c — see journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void journal_state_init(struct journal_state *js, struct rcpt_status *st, size_t nrcpt)
{
	memset(js, 0, offsetof(struct journal_state, lr));
	js->st = st;
	js->nrcpt = nrcpt;
	lr_init(&js->lr, js->line, sizeof(js->line));
}

static void seen(struct journal_state *js, long long t)
{
	if (!js->first || t < js->first)
		js->first = t;
	if (t > js->last)
		js->last = t;
}

/* "R idx kind code enh time host text" */
static bool rcpt_line(struct journal_state *js, char *p)
{
	char *f[7], *save = NULL;
	struct rcpt_status *s;
	unsigned long idx;
	long code;
	long long when;
	char *end;

	for (int i = 0; i < 7; i++) {
		f[i] = strtok_r(i ? NULL : p, " ", &save);
		if (!f[i])
			return false;
	}
	idx = strtoul(f[0], &end, 10);
	if (*end || idx >= js->nrcpt || strlen(f[1]) != 1 || !strchr("DdFT", f[1][0]))
		return false;
	code = strtol(f[2], &end, 10);
	if (*end || code < 200 || code > 599)
		return false;
	when = strtoll(f[4], &end, 10);
	if (*end)
		return false;
	s = &js->st[idx];
	if (s->state != RS_PENDING)
		return true;	/* final is final */
	s->code = (int)code;
	snprintf(s->enh, sizeof(s->enh), "%s", strcmp(f[3], "-") ? f[3] : "");
	s->when = when;
	snprintf(s->host, sizeof(s->host), "%s", strcmp(f[5], "-") ? f[5] : "");
	/* the text is the rest of the line, spaces included */
	snprintf(s->text, sizeof(s->text), "%s%s%s", f[6], save && *save ? " " : "", save ? save : "");
	s->deferred = f[1][0] == 'T';
	s->dsn_passed = f[1][0] == 'D';
	if (f[1][0] == 'D' || f[1][0] == 'd')
		s->state = RS_DELIVERED;
	else if (f[1][0] == 'F')
		s->state = RS_FAILED;
	seen(js, when);
	return true;
}

static bool parse_line(struct journal_state *js, char *line)
{
	char *end;
	long long t;

	switch (line[0]) {
	case 'R':
		return line[1] == ' ' && rcpt_line(js, line + 2);
	case 'N': {
		unsigned long tries = strtoul(line + 1, &end, 10);

		if (line[1] != ' ' || *end != ' ')
			return false;
		t = strtoll(end + 1, &end, 10);
		if (*end)
			return false;
		if (tries > js->tries)
			js->tries = (unsigned)tries;
		seen(js, t);
		return true;
	}
	case 'W':
	case 'B':
		if (line[1] != ' ')
			return false;
		t = strtoll(line + 2, &end, 10);
		if (*end)
			return false;
		if (line[0] == 'W')
			js->warned = true;
		else
			js->bounced = true;
		seen(js, t);
		return true;
	}
	return false;
}

void journal_feed(struct journal_state *js, const char *buf, size_t n)
{
	while (n > 0) {
		size_t used;
		enum lr_result r = lr_feed(&js->lr, buf, n, &used);

		buf += used;
		n -= used;
		if (r == LR_LINE) {
			if (!parse_line(js, js->lr.buf))
				js->bad_lines++;
		} else if (r == LR_TOO_LONG) {
			js->bad_lines++;
		}
	}
}

void journal_format_rcpt(char *buf, size_t size, size_t idx, char kind, int code,
			 const char *enh, long long when, const char *host, const char *text)
{
	int n = snprintf(buf, size, "R %zu %c %d %s %lld %s %s", idx, kind, code,
			 enh && *enh ? enh : "-", when, host && *host ? host : "-",
			 text && *text ? text : "-");

	/* one line whatever the text: cut, and end with LF */
	if (n < 0 || (size_t)n >= size - 1)
		n = (int)size - 2;
	buf[n] = '\n';
	buf[n + 1] = '\0';
}

int journal_open(const char *path, struct journal_state *js)
{
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	char buf[16384];
	off_t good = 0, pos = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				good = pos + i + 1;
		pos += n;
		journal_feed(js, buf, (size_t)n);
	}
	if (n < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	/* a torn last line (no LF): cut it, or the next append would join it */
	if (good < pos && ftruncate(fd, good) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	/* a new journal must survive a crash with its directory entry, or
	 * recipients recorded in it could be sent again */
	if (pos == 0) {
		char dir[4096];
		char *slash;
		int dfd;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return fd;
}

/* Tests kill the process at each journal point: SMTPD_RELAY_CRASH_BEFORE=N
 * dies before the Nth line of this process is written (the server has
 * answered, nothing is recorded), SMTPD_RELAY_CRASH_AFTER=N right after it
 * reached the disk. */
static void crash_point(const char *name, unsigned n)
{
	const char *v = getenv(name);

	if (v && (unsigned)atoi(v) == n)
		raise(SIGKILL);
}

int journal_append(int fd, const char *line)
{
	static unsigned count;
	size_t len = strlen(line);
	ssize_t w;

	count++;
	crash_point("SMTPD_RELAY_CRASH_BEFORE", count);
	w = write(fd, line, len);
	if (w < 0)
		return -errno;
	if ((size_t)w != len)
		return -EIO;
	if (fdatasync(fd) < 0)
		return -errno;
	crash_point("SMTPD_RELAY_CRASH_AFTER", count);
	return 0;
}
