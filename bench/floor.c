/* floor.c — the benchmark's baseline: the least a per-connection SMTP
 * receiver can do.
 *
 * It speaks the dialogue smtpd speaks (greeting, HELO/EHLO, MAIL, RCPT,
 * DATA, RSET, NOOP, QUIT) on fd 0/1 and makes the same durable maildir
 * write (RFC 5321 §4.1.1.4 end of data, §4.5.2 dot-unstuffing; file in
 * tmp/, fsync, link into new/, unlink tmp/, fsync new/), with no
 * configuration, no policy, no logging and no timeouts.  Whatever smtpd
 * costs above this program is the price of its features.
 *
 *   floor MAILDIR     (MAILDIR holds tmp/ and new/; started by inetd-style
 *                      launchers, one process per connection)
 *
 * Not installed; never use it to receive real mail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#define LINE_MAX_LEN 1000	/* RFC 5321 §4.5.3.1.4 command line */
#define BUF 65536

static char in[BUF], out[4096], body[BUF];
static size_t in_pos, in_len, out_len, body_len;
static const char *maildir;
static unsigned long counter;
static int newdir_fd = -1;

static void flush_out(void)
{
	size_t off = 0;

	while (off < out_len) {
		ssize_t w = write(1, out + off, out_len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(1);
		off += (size_t)w;
	}
	out_len = 0;
}

static void reply(const char *s)
{
	size_t n = strlen(s);

	if (out_len + n > sizeof(out))
		flush_out();
	memcpy(out + out_len, s, n);
	out_len += n;
}

/* Refill the input buffer; replies are flushed first so that a pipelining
 * client (RFC 2920) gets them before we block. */
static bool fill(void)
{
	ssize_t n;

	flush_out();
	do
		n = read(0, in, sizeof(in));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	in_pos = 0;
	in_len = (size_t)n;
	return true;
}

/* One command line without its CRLF; false at end of input. */
static bool read_line(char *line, size_t cap)
{
	size_t len = 0;
	bool overflow = false;

	for (;;) {
		if (in_pos == in_len && !fill())
			return false;
		char *nl = memchr(in + in_pos, '\n', in_len - in_pos);
		size_t take = nl ? (size_t)(nl - (in + in_pos)) : in_len - in_pos;

		if (len + take < cap)
			memcpy(line + len, in + in_pos, take), len += take;
		else
			overflow = true;
		in_pos += take + (nl ? 1 : 0);
		if (nl)
			break;
	}
	if (overflow)
		len = 0;
	if (len && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	return true;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			exit(75);
		p += w;
		n -= (size_t)w;
	}
}

static void body_put(int fd, char c)
{
	body[body_len++] = c;
	if (body_len == sizeof(body)) {
		write_all(fd, body, body_len);
		body_len = 0;
	}
}

/* Decode DATA into @fd; false if the connection ended first. */
static bool receive(int fd)
{
	enum { LSTART, TEXT, CR, DOT, DOTCR } st = LSTART;

	for (;;) {
		if (in_pos == in_len && !fill())
			return false;
		char c = in[in_pos++];

		switch (st) {
		case LSTART:
			if (c == '.') {
				st = DOT;
				continue;
			}
			/* fall through */
		case TEXT:
			st = c == '\r' ? CR : TEXT;
			break;
		case CR:
			st = c == '\n' ? LSTART : c == '\r' ? CR : TEXT;
			break;
		case DOT:
			if (c == '\r') {
				st = DOTCR;
				continue;
			}
			st = TEXT;
			break;
		case DOTCR:
			if (c == '\n') {
				write_all(fd, body, body_len);
				body_len = 0;
				return true;
			}
			body_put(fd, '\r');
			st = c == '\r' ? CR : TEXT;
			break;
		}
		body_put(fd, c);
	}
}

static void deliver(void)
{
	char name[128], tmp[4096], dst[4096];
	struct timeval tv;
	int fd;

	gettimeofday(&tv, NULL);
	snprintf(name, sizeof(name), "%lld.M%06ldP%dQ%lu.floor", (long long)tv.tv_sec,
		 (long)tv.tv_usec, (int)getpid(), ++counter);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", maildir, name);
	snprintf(dst, sizeof(dst), "%s/new/%s", maildir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		reply("451 4.3.0 cannot create file\r\n");
		return;
	}
	reply("354 End data with <CR><LF>.<CR><LF>\r\n");
	if (!receive(fd)) {
		close(fd);
		unlink(tmp);
		exit(0);
	}
	if (newdir_fd < 0) {
		snprintf(dst + strlen(maildir), sizeof(dst) - strlen(maildir), "/new");
		newdir_fd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		snprintf(dst, sizeof(dst), "%s/new/%s", maildir, name);
	}
	if (fsync(fd) != 0 || close(fd) != 0 || link(tmp, dst) != 0) {
		unlink(tmp);
		reply("451 4.3.0 cannot store\r\n");
		return;
	}
	unlink(tmp);
	if (newdir_fd < 0 || fsync(newdir_fd) != 0) {
		unlink(dst);
		reply("451 4.3.0 cannot store\r\n");
		return;
	}
	reply("250 2.0.0 Ok: queued\r\n");
}

static bool verb(const char *line, const char *v)
{
	size_t n = strlen(v);

	return strncasecmp(line, v, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

int main(int argc, char **argv)
{
	char line[LINE_MAX_LEN + 1];

	if (argc != 2) {
		fprintf(stderr, "usage: floor MAILDIR\n");
		return 64;
	}
	maildir = argv[1];
	reply("220 floor ESMTP\r\n");
	while (read_line(line, sizeof(line))) {
		if (verb(line, "EHLO"))
			reply("250-floor\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
		else if (verb(line, "HELO"))
			reply("250 floor\r\n");
		else if (verb(line, "MAIL"))
			reply("250 2.1.0 Ok\r\n");
		else if (verb(line, "RCPT"))
			reply("250 2.1.5 Ok\r\n");
		else if (verb(line, "DATA"))
			deliver();
		else if (verb(line, "RSET") || verb(line, "NOOP"))
			reply("250 2.0.0 Ok\r\n");
		else if (verb(line, "QUIT")) {
			reply("221 2.0.0 Bye\r\n");
			break;
		} else
			reply("500 5.5.2 unrecognised command\r\n");
	}
	flush_out();
	return 0;
}
