/* fuzz_session — a whole SMTP or LMTP session driven by the input.
 *
 * The first octet picks the peer (unknown, 127.0.0.1 which is in
 * authorizedAddresses, 192.0.2.1 which is not, ::1) and the protocol; the
 * rest is what the client sends, through a pipe closed at its end, so the
 * session runs to EOF, QUIT or a closing reply without ever waiting.
 * Replies go to /dev/null.  The configuration, users and aliases files are
 * written once to a scratch directory; the maildirs and the spool are
 * emptied after each run.
 *
 * Oracles besides the sanitizers:
 *   - never an open relay: a peer outside authorizedAddresses leaves
 *     nothing in the outgoing spool (no alias here forwards off-site);
 *   - nothing is written outside the mail store: the scratch directory
 *     holds exactly what the harness put there. */
#include "fuzz_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conn.h"
#include "config.h"
#include "log.h"
#include "maildir.h"
#include "netmatch.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct config *cfg;
static const struct listener *smtp, *lmtp;
static int devnull = -1;
static char mail_dir[512], spool_new[512];

static void diag(void *ctx, enum diag_level level, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s%s\n", level == DIAG_ERROR ? "error: " : "", msg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fuzz_make_dir("fuzz_session");
	char path[512], text[2048], why[256];

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/users", dir);
	fuzz_write_file(path,
		"alice@example.org:{PLAIN}secret\n"
		"bob:{PLAIN}secret\n"
		"postmaster@example.org:{PLAIN}x\n");
	snprintf(path, sizeof(path), "%s/aliases", dir);
	fuzz_write_file(path,
		"all@example.org: alice@example.org, bob@example.net\n"
		"loop1@example.org: loop2@example.org\n"
		"loop2@example.org: loop1@example.org\n"
		"self@example.org: self@example.org, alice@example.org\n");
	snprintf(mail_dir, sizeof(mail_dir), "%s/mail", dir);
	snprintf(path, sizeof(path), "%s/spool", dir);
	if (mkdir(mail_dir, 0700) || mkdir(path, 0700))
		abort();
	snprintf(spool_new, sizeof(spool_new), "%s/spool/outgoing/new", dir);
	snprintf(text, sizeof(text),
		"domains = { \"example.org\", \"Example.NET\" }\n"
		"users = \"%1$s/users\"\n"
		"aliases = \"%1$s/aliases\"\n"
		"mailboxes = \"%1$s/mail/%%d/%%n\"\n"
		"spool = \"%1$s/spool\"\n"
		"smtpserver \"smtp\" {\n"
		"  handler {\n"
		"    helloName = \"mx.example.org\"\n"
		"    connectionTimeout = 1\n"
		"    maxmessagesize = 2\n"
		"    maxRcptCommands = 6\n"
		"    authorizedAddresses = { \"127.0.0.0/8\", \"::1\" }\n"
		"    handlerchain {\n"
		"      handler \"MaxRcptHandler\" { maxRcpt = 4 }\n"
		"      handler \"ValidRcptHandler\" { }\n"
		"    }\n"
		"  }\n"
		"}\n"
		"lmtpserver \"lmtp\" {\n"
		"  handler { helloName = \"mx.example.org\" connectionTimeout = 1 }\n"
		"}\n", dir);
	snprintf(path, sizeof(path), "%s/smtpd.conf", dir);
	fuzz_write_file(path, text);
	if (config_load(path, false, diag, NULL, &cfg) < 0)
		abort();
	smtp = config_listener(cfg, PROTO_SMTP, NULL, why, sizeof(why));
	lmtp = config_listener(cfg, PROTO_LMTP, NULL, why, sizeof(why));
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (!smtp || !lmtp || devnull < 0)
		abort();
	maildir_set_host("fuzz.example");
	/* The session logs every command.  libFuzzer and the sanitizers keep
	 * writing to fd 2; only stdio's stderr, which log.c uses, goes to
	 * /dev/null.  FUZZ_LOG=1 keeps the log for reproducing a crash. */
	log_open("smtpd", LOG_TARGET_STDERR);
	if (!getenv("FUZZ_LOG"))
		stderr = fopen("/dev/null", "w");
	return 0;
}

static size_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const peers[] = { NULL, "127.0.0.1", "192.0.2.1", "::1" };
	struct netaddr peer = { 0 };
	struct session *s;
	struct conn *conn;
	int p[2];
	bool trusted;

	if (size < 1)
		return 0;
	if (peers[data[0] & 3] && !netaddr_parse(peers[data[0] & 3], &peer))
		abort();
	trusted = (data[0] & 3) == 1 || (data[0] & 3) == 3;
	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	/* the whole input must fit in the pipe: the session reads it all
	 * after we close the write end */
	if (size - 1 > 65536 && fcntl(p[1], F_SETPIPE_SZ, (int)(size - 1)) < 0)
		size = 65537;
	if (size > 1 && write(p[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(p[1]);
	s = malloc(sizeof(*s));
	conn = malloc(sizeof(*conn));
	if (!s || !conn)
		abort();
	conn_init(conn, p[0], devnull, 1000);
	session_init(s, cfg, data[0] & 4 ? lmtp : smtp, conn, &peer);
	session_run(s);
	session_finish(s);
	close(p[0]);
	free(s);
	free(conn);
	/* LMTP never relays; SMTP relays only for authorizedAddresses */
	if (!trusted && count_files(spool_new) != 0)
		abort();
	/* users, aliases, smtpd.conf, mail, spool: nothing else */
	if (count_files(fuzz_dir) != 5)
		abort();
	fuzz_cleanup_files(mail_dir);
	fuzz_cleanup_files(spool_new);
	return 0;
}
