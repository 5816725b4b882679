/* test-journal.c — the per-recipient journal (relay/journal.h): replayed
 * whole, one byte at a time and split at every offset; a torn last line
 * is ignored, and cut off by journal_open before the next append. */
#include "journal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"

static const char journal[] =
	"R 0 T 451 4.7.1 100 mx.example[192.0.2.1] greylisted, try later\n"
	"N 1 100\n"
	"R 0 D 250 2.0.0 400 mx.example[192.0.2.1] OK queued as X\n"
	"R 1 F 550 5.1.1 400 mx.example[192.0.2.1] no such user\n"
	"R 1 D 250 - 500 - must not override a final outcome\n"
	"R 2 d 250 - 401 other[::1] ok\n"
	"W 402\n"
	"R 9 D 250 - 1 - out of range\n"
	"garbage line\n"
	"N 2 403\n"
	"R 3 T 451 - 404 - torn";	/* no LF: a crash in the middle */

static void replay(size_t chunk, size_t split, struct journal_state *js, struct rcpt_status *st)
{
	size_t n = strlen(journal);

	memset(st, 0, 4 * sizeof(*st));
	journal_state_init(js, st, 4);
	if (split != (size_t)-1) {
		journal_feed(js, journal, split);
		journal_feed(js, journal + split, n - split);
	} else {
		for (size_t off = 0; off < n; off += chunk)
			journal_feed(js, journal + off, n - off < chunk ? n - off : chunk);
	}
}

static bool good(const struct journal_state *js, const struct rcpt_status *st)
{
	return js->tries == 2 && js->warned && !js->bounced && js->bad_lines == 2
		&& st[0].state == RS_DELIVERED && st[0].dsn_passed && st[0].code == 250
		&& strcmp(st[0].text, "OK queued as X") == 0 && strcmp(st[0].host, "mx.example[192.0.2.1]") == 0
		&& st[1].state == RS_FAILED && st[1].code == 550 && strcmp(st[1].enh, "5.1.1") == 0
		&& strcmp(st[1].text, "no such user") == 0
		&& st[2].state == RS_DELIVERED && !st[2].dsn_passed && st[2].enh[0] == '\0'
		&& st[3].state == RS_PENDING && st[3].code == 0 && js->first == 100 && js->last == 403;
}

static void test_replay(void)
{
	struct journal_state js;
	struct rcpt_status st[4];
	size_t n = strlen(journal);
	unsigned bad = 0;

	replay(n, (size_t)-1, &js, st);
	ok(good(&js, st), "whole");
	replay(1, (size_t)-1, &js, st);
	ok(good(&js, st), "one byte at a time");
	for (size_t k = 0; k <= n; k++) {
		replay(0, k, &js, st);
		bad += !good(&js, st);
	}
	ok(bad == 0, "split in two at each of %zu offsets", n + 1);
}

static void test_format(void)
{
	char line[128];
	struct journal_state js;
	struct rcpt_status st[1] = { 0 };

	journal_format_rcpt(line, sizeof(line), 0, 'F', 550, "5.1.1", 7, "h[1.2.3.4]", "no such  user");
	is_str(line, "R 0 F 550 5.1.1 7 h[1.2.3.4] no such  user\n", "format");
	journal_state_init(&js, st, 1);
	journal_feed(&js, line, strlen(line));
	is_str(st[0].text, "no such  user", "text read back as written");
	journal_format_rcpt(line, 24, 0, 'T', 451, NULL, 7, NULL, "a long text that does not fit");
	ok(strlen(line) == 23 && line[22] == '\n', "cut to one line: '%s'", line);
}

static void test_open(void)
{
	char *dir = scratch_dir("journal"), *path;
	struct journal_state js;
	struct rcpt_status st[4];
	char buf[4096];
	int fd;
	ssize_t n;

	path = write_file(dir, "j", journal);
	memset(st, 0, sizeof(st));
	journal_state_init(&js, st, 4);
	fd = journal_open(path, &js);
	ok(fd >= 0, "open");
	ok(good(&js, st), "replayed on open");
	ok(journal_append(fd, "R 3 d 250 - 500 - ok\n") == 0, "append");
	close(fd);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	ok(strstr(buf, "torn") == NULL, "the torn line was cut before the append");
	ok(n > 0 && strcmp(buf + n - 21, "R 3 d 250 - 500 - ok\n") == 0, "the append is a line of its own");
	memset(st, 0, sizeof(st));
	journal_state_init(&js, st, 4);
	fd = journal_open(path, &js);
	ok(fd >= 0 && st[3].state == RS_DELIVERED, "reopened: recipient 3 delivered");
	close(fd);
	scratch_remove(dir);
	free(path);
	free(dir);
}

int main(void)
{
	test_replay();
	test_format();
	test_open();
	return done();
}
