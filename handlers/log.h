/* log.h — one line per event, tagged with the connection id.
 *
 * To journald (its native protocol) when stderr is the journal ($JOURNAL_STREAM
 * names stderr's device:inode), else to syslog, facility mail.  Never to
 * stderr by default: under xinetd and StandardInput=socket stderr is the
 * client's connection.  --log=stderr is for tests and foreground runs.
 */
#ifndef SMTPD_LOG_H
#define SMTPD_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

enum log_target { LOG_TARGET_AUTO, LOG_TARGET_SYSLOG, LOG_TARGET_JOURNAL, LOG_TARGET_STDERR };

/* Parse "auto", "syslog", "journal", "stderr"; -EINVAL otherwise. */
int log_target_parse(const char *name, enum log_target *target_r);
void log_open(const char *ident, enum log_target target);
/* Where journald listens (tests point it elsewhere); default
 * /run/systemd/journal/socket. */
void log_journal_socket(const char *path);
/* The connection id prefixed to every line from now on. */
void log_set_session(const char *id);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copy client text for a log line: printable ASCII as is, everything else
 * (controls, 8-bit, backslash) as \xHH, cut at @size - 1 with "...". */
void log_escape(const char *in, size_t n, char *out, size_t size);

#endif
