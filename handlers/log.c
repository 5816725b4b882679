/* log.c — see log.h. */
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LIBSYSTEMD
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#endif

static struct {
	enum log_target target;
	const char *ident;
	char session[32];
} lg = { .target = LOG_TARGET_SYSLOG, .ident = "smtpd" };

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
#ifndef HAVE_LIBSYSTEMD
	if (target == LOG_TARGET_JOURNAL)
		target = LOG_TARGET_SYSLOG;
#endif
	lg.target = target;
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
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
#ifdef HAVE_LIBSYSTEMD
	case LOG_TARGET_JOURNAL:
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority,
				"SYSLOG_FACILITY=%d", LOG_MAIL >> 3,
				"SYSLOG_IDENTIFIER=%s", lg.ident,
				"SMTPD_SESSION=%s", lg.session, NULL);
		break;
#endif
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
