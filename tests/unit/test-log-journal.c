/* log-journal.c — log_msg() to journald speaks the native protocol:
 * one datagram whose fields are what sd_journal_send() sent. */
#include "log.h"

#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int tests, failed;

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tests, what);
}

static int has(const char *buf, size_t n, const char *field)
{
	return memmem(buf, n, field, strlen(field)) != NULL;
}

static ssize_t receive(int fd, char *buf, size_t size)
{
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(fd, buf, size, 0);
}

int main(void)
{
	char dir[] = "/tmp/log-journal.XXXXXX", path[128], buf[8192];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	ssize_t n;
	int fd;

	printf("1..9\n");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/socket", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("Bail out! cannot bind %s\n", path);
		return 1;
	}
	log_open("smtpd", LOG_TARGET_JOURNAL);
	log_journal_socket(path);
	log_set_session("0A1B2C3D4E5F");
	log_msg(LOG_INFO, "connect from [%s]", "192.0.2.1");
	n = receive(fd, buf, sizeof(buf));
	ok(n > 0, "one datagram per log line");
	if (n < 0)
		n = 0;
	ok(has(buf, (size_t)n, "MESSAGE=0A1B2C3D4E5F: connect from [192.0.2.1]\n"), "MESSAGE has the session id and text");
	ok(has(buf, (size_t)n, "PRIORITY=6\n"), "PRIORITY");
	ok(has(buf, (size_t)n, "SYSLOG_FACILITY=2\n"), "SYSLOG_FACILITY is mail");
	ok(has(buf, (size_t)n, "SYSLOG_IDENTIFIER=smtpd\n"), "SYSLOG_IDENTIFIER");
	ok(has(buf, (size_t)n, "SMTPD_SESSION=0A1B2C3D4E5F\n"), "SMTPD_SESSION");
	ok(n > 0 && buf[n - 1] == '\n', "the datagram ends with a newline");

	/* A value with a newline is sent length-prefixed, never as two fields. */
	log_msg(LOG_ERR, "two\nlines");
	n = receive(fd, buf, sizeof(buf));
	{
		static const char want[] = "MESSAGE\n";
		const char *p = n > 0 ? memmem(buf, (size_t)n, want, sizeof(want) - 1) : NULL;
		uint64_t le = 0;
		const char *text = "0A1B2C3D4E5F: two\nlines";

		if (p && p + 8 + 8 < buf + n)
			memcpy(&le, p + 8, 8);
		ok(p && le64toh(le) == strlen(text) && memcmp(p + 16, text, strlen(text)) == 0
		   && p[16 + strlen(text)] == '\n', "a multi-line MESSAGE is length-prefixed");
		ok(p && p + 17 + strlen(text) + 11 <= buf + n
		   && memcmp(p + 17 + strlen(text), "PRIORITY=3\n", 11) == 0,
		   "the next field follows the value");
	}
	close(fd);
	unlink(path);
	rmdir(dir);
	return failed ? 1 : 0;
}
