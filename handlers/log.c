/* log.c — see log.h. */
#include "log.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static struct {
	enum log_target target;
	const char *ident;
	char session[32];
	int journal_fd;
	struct sockaddr_un journal;
} lg = {
	.target = LOG_TARGET_SYSLOG, .ident = "smtpd", .journal_fd = -1,
	.journal = { .sun_family = AF_UNIX, .sun_path = "/run/systemd/journal/socket" },
};

int log_target_parse(const char *name, enum log_target *t)
{
	static const char *const names[] = { "auto", "syslog", "journal", "stderr" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*t = (enum log_target)i;
			return 0;
		}
	return -EINVAL;
}

/* systemd sets JOURNAL_STREAM=DEV:INODE when it connects stderr to the
 * journal; the check keeps a socket inherited as stderr from matching. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_open(const char *ident, enum log_target target)
{
	lg.ident = ident;
	if (target == LOG_TARGET_AUTO)
		target = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_SYSLOG;
	lg.target = target;
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_journal_socket(const char *path)
{
	snprintf(lg.journal.sun_path, sizeof(lg.journal.sun_path), "%s", path);
}

/* Append FIELD=value, or FIELD\n<le64 length>value\n when the value holds
 * a newline (systemd's Native Journal Protocol).  false if it won't fit. */
static bool journal_field(char *buf, size_t size, size_t *o, const char *key, const char *val)
{
	size_t k = strlen(key), v = strlen(val);
	bool binary = memchr(val, '\n', v) != NULL;
	uint64_t le = htole64((uint64_t)v);

	if (*o + k + v + (binary ? 10 : 2) > size)
		return false;
	memcpy(buf + *o, key, k);
	*o += k;
	if (binary) {
		buf[(*o)++] = '\n';
		memcpy(buf + *o, &le, sizeof(le));
		*o += sizeof(le);
	} else {
		buf[(*o)++] = '=';
	}
	memcpy(buf + *o, val, v);
	*o += v;
	buf[(*o)++] = '\n';
	return true;
}

/* One datagram to journald, as sd_journal_send() would send it.  Spoken
 * here rather than through libsystemd: loading libsystemd and what it
 * pulls in (libgcrypt, liblzma, libzstd, liblz4, libcap) cost about 1 ms
 * and 0.9 M instructions of every connection's exec (bench/RESULTS.md). */
static int journal_send(int priority, const char *msg)
{
	char buf[4096], prio[16], facility[16];
	size_t o = 0;

	snprintf(prio, sizeof(prio), "%d", priority);
	snprintf(facility, sizeof(facility), "%d", LOG_MAIL >> 3);
	if (!journal_field(buf, sizeof(buf), &o, "MESSAGE", msg)
	    || !journal_field(buf, sizeof(buf), &o, "PRIORITY", prio)
	    || !journal_field(buf, sizeof(buf), &o, "SYSLOG_FACILITY", facility)
	    || !journal_field(buf, sizeof(buf), &o, "SYSLOG_IDENTIFIER", lg.ident)
	    || !journal_field(buf, sizeof(buf), &o, "SMTPD_SESSION", lg.session))
		return -EMSGSIZE;
	if (lg.journal_fd < 0 && (lg.journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (sendto(lg.journal_fd, buf, o, MSG_NOSIGNAL, (const struct sockaddr *)&lg.journal,
		   sizeof(lg.journal)) < 0)
		return -errno;
	return 0;
}

void log_set_session(const char *id)
{
	snprintf(lg.session, sizeof(lg.session), "%s", id);
}

void log_msg(int priority, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	int n = 0;

	if (lg.session[0])
		n = snprintf(msg, sizeof(msg), "%s: ", lg.session);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	switch (lg.target) {
	case LOG_TARGET_STDERR:
		fprintf(stderr, "%s[%d]: %s\n", lg.ident, (int)getpid(), msg);
		break;
	case LOG_TARGET_JOURNAL:
		if (journal_send(priority, msg) == 0)
			break;
		/* journald gone: syslog rather than nothing */
		syslog(priority, "%s", msg);
		break;
	default:
		syslog(priority, "%s", msg);
		break;
	}
}

void log_escape(const char *in, size_t n, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (size == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t need = (c >= 32 && c < 127 && c != '\\') ? 1 : 4;

		if (o + need + 4 > size) {
			if (o + 4 <= size)
				memcpy(out + o, "...", 3), o += 3;
			break;
		}
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}
