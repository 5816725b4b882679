/* smtpd-relay — deliver the outgoing spool, then exit (smtpd-relay(8)).
 *
 * Started by systemd when outgoing/new/ has files (smtpd-relay.path) and
 * every minute (smtpd-relay.timer), or by cron.  No daemon, no queue
 * manager: the files are the queue, their mtimes the schedule, flock(2)
 * the claim, outgoing/state/ the per-recipient journal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "log.h"
#include "maildir.h"
#include "relay.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef PROJECT_VERSION
#define PROJECT_VERSION "0"
#endif

enum { EXIT_OK = 0, EXIT_USAGE_ = 64, EXIT_TEMP = 75, EXIT_CONFIG_ = 78 };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: smtpd-relay [-c FILE] [--once NAME | --list | --check] [--log=TARGET]\n"
		"Deliver the due messages of the outgoing spool, then exit.\n\n"
		"  -c, --config=FILE   configuration (default %s/smtpd/smtpd.conf)\n"
		"      --once=NAME     deliver this spool file now, due or not\n"
		"      --list          print the queue (like mailq)\n"
		"      --check         validate the configuration and exit\n"
		"      --now=SECONDS   the clock, in seconds since the epoch (tests)\n"
		"      --log=TARGET    auto (journal or syslog), syslog, journal, stderr\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n", SYSCONFDIR);
}

static int ensure_dirs(struct relay_ctx *ctx, const char *spool)
{
	static const char *const subs[] = { "new", "cur", "tmp", "state" };
	char path[4400];
	int r;

	if ((r = maildir_ensure(spool, ctx->outgoing)) < 0)
		return r;
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", ctx->outgoing, subs[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

struct entry {
	char name[256];
	bool in_new;
	long long mtime;
};

static int by_mtime(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

/* The files of new/ and cur/; with @due_only, cur/ files whose mtime
 * has come.  Oldest first. */
static struct entry *scan(struct relay_ctx *ctx, bool due_only, size_t *n_r)
{
	struct entry *v = NULL;
	size_t n = 0, cap = 0;

	for (int k = 0; k < 2; k++) {
		char dir[4400];
		DIR *d;
		struct dirent *de;

		snprintf(dir, sizeof(dir), "%s/%s", ctx->outgoing, k == 0 ? "new" : "cur");
		if (!(d = opendir(dir)))
			continue;
		while ((de = readdir(d))) {
			struct stat st;

			if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(v->name))
				continue;
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (due_only && k == 1 && st.st_mtime > ctx->now)
				continue;
			if (n == cap) {
				struct entry *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

				if (!nv)
					break;
				v = nv;
			}
			snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
			v[n].in_new = k == 0;
			v[n].mtime = st.st_mtime;
			n++;
		}
		closedir(d);
	}
	if (n)
		qsort(v, n, sizeof(*v), by_mtime);
	*n_r = n;
	return v;
}

/* Journals whose message is gone (a crash between the two unlinks). */
static void sweep_journals(struct relay_ctx *ctx)
{
	char dir[4400], path[4400];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/state", ctx->outgoing);
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/cur/%s", ctx->outgoing, de->d_name);
		if (access(path, F_OK) < 0 && errno == ENOENT) {
			snprintf(path, sizeof(path), "%s/new/%s", ctx->outgoing, de->d_name);
			if (access(path, F_OK) < 0 && errno == ENOENT)
				unlinkat(dirfd(d), de->d_name, 0);
		}
	}
	closedir(d);
}

/* A worker delivers the entries it takes from the shared counter, one
 * file at a time, until none is left.  A worker per message would pay a
 * fork (page tables, copy-on-write faults, lazy binding again) for each
 * file: that was most of the CPU per message (bench/relay). */
static void run_worker(struct relay_ctx *ctx, const struct entry *v, size_t n, unsigned *next)
{
	size_t i;

	while ((i = __atomic_fetch_add(next, 1, __ATOMIC_RELAXED)) < n) {
		/* the whole delivery of one message is bounded: a stuck peer
		 * cannot hold the queue (the journal keeps what was done) */
		alarm((unsigned)ctx->rs->session_timeout * 2 + 60);
		deliver_file(ctx, v[i].name, v[i].in_new, false);
	}
	_exit(0);
}

static int run_queue(struct relay_ctx *ctx)
{
	size_t n, running = 0;
	struct entry *v = scan(ctx, true, &n);
	long conc = ctx->rs->concurrency;
	unsigned *next = MAP_FAILED;

	if (conc > 1 && n > 0)
		next = mmap(NULL, sizeof(*next), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (next == MAP_FAILED) {
		for (size_t i = 0; i < n; i++)
			deliver_file(ctx, v[i].name, v[i].in_new, false);
		goto out;
	}
	*next = 0;
	/* up to @conc workers; one that dies (alarm, kill) leaves its
	 * message to the next run and is replaced while entries remain */
	for (;;) {
		while ((long)running < conc && (long)running < (long)n
		       && __atomic_load_n(next, __ATOMIC_RELAXED) < n) {
			pid_t pid = fork();

			if (pid == 0)
				run_worker(ctx, v, n, next);
			if (pid < 0) {
				log_msg(LOG_ERR, "fork: %s", strerror(errno));
				break;
			}
			running++;
		}
		if (running == 0) {
			/* fork failed with nothing running: deliver here */
			size_t i;

			while ((i = __atomic_fetch_add(next, 1, __ATOMIC_RELAXED)) < n)
				deliver_file(ctx, v[i].name, v[i].in_new, false);
			break;
		}
		if (wait(NULL) <= 0)
			break;
		running--;
		if (running == 0 && __atomic_load_n(next, __ATOMIC_RELAXED) >= n)
			break;
	}
	while (running > 0 && wait(NULL) > 0)
		running--;
	munmap(next, sizeof(*next));
out:
	free(v);
	sweep_journals(ctx);
	return 0;
}

static void format_age(long long secs, char *buf, size_t size)
{
	if (secs < 3600)
		snprintf(buf, size, "%lldm", secs / 60);
	else if (secs < 86400)
		snprintf(buf, size, "%lldh%02lldm", secs / 3600, secs % 3600 / 60);
	else
		snprintf(buf, size, "%lldd%02lldh", secs / 86400, secs % 86400 / 3600);
}

/* mailq: id, age, size, sender; each recipient's last outcome and the
 * next try.  Read only: no lock is taken. */
static int list_queue(struct relay_ctx *ctx)
{
	size_t n;
	struct entry *v = scan(ctx, false, &n);

	for (size_t i = 0; i < n; i++) {
		struct message m = { .fd = -1, .jfd = -1 };
		char path[4400], age[32], next[64], buf[16384];
		ssize_t k;
		unsigned long long off = 0;
		int fd;
		struct stat st;
		enum env_result er = ENV_MORE;

		snprintf(path, sizeof(path), "%s/%s/%s", ctx->outgoing, v[i].in_new ? "new" : "cur", v[i].name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		envelope_init(&m.env);
		while (er == ENV_MORE && (k = pread(fd, buf, sizeof(buf), (off_t)off)) > 0) {
			size_t used;

			er = envelope_feed(&m.env, buf, (size_t)k, &used);
			off += (unsigned long long)k;
		}
		close(fd);
		if (er != ENV_DONE) {
			printf("%s  (not a spool file)\n", v[i].name);
			envelope_free(&m.env);
			continue;
		}
		m.st = calloc(m.env.nrcpt, sizeof(*m.st));
		if (!m.st) {
			envelope_free(&m.env);
			break;
		}
		journal_state_init(&m.js, m.st, m.env.nrcpt);
		snprintf(path, sizeof(path), "%s/state/%s", ctx->outgoing, v[i].name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			while ((k = read(fd, buf, sizeof(buf))) > 0)
				journal_feed(&m.js, buf, (size_t)k);
			close(fd);
		}
		format_age(ctx->now - strtoll(v[i].name, NULL, 10), age, sizeof(age));
		if (v[i].in_new || st.st_mtime <= ctx->now) {
			snprintf(next, sizeof(next), "due now");
		} else {
			time_t t = st.st_mtime;
			struct tm tm;

			localtime_r(&t, &tm);
			strftime(next, sizeof(next), "next try %Y-%m-%d %H:%M:%S", &tm);
		}
		printf("%s  %llu  %s  <%s>  tries=%u  %s\n", v[i].name, (unsigned long long)st.st_size, age,
		       m.env.sender, m.js.tries, next);
		for (size_t r = 0; r < m.env.nrcpt; r++) {
			const struct rcpt_status *s = &m.st[r];

			printf("    <%s>  %s", m.env.rcpt[r].addr,
			       s->state == RS_DELIVERED ? "delivered" : s->state == RS_FAILED ? "failed"
			       : s->deferred ? "deferred" : "pending");
			if (s->code)
				printf("  %d %s %s", s->code, s->enh, s->text);
			putchar('\n');
		}
		free(m.st);
		envelope_free(&m.env);
	}
	free(v);
	return 0;
}

/* The smtpd beside our own executable, so a build tree works like an
 * installation. */
static void find_smtpd(struct relay_ctx *ctx)
{
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (ctx->rs->smtpd) {
		snprintf(ctx->smtpd, sizeof(ctx->smtpd), "%s", ctx->rs->smtpd);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			snprintf(ctx->smtpd, sizeof(ctx->smtpd), "%s/smtpd", self);
			return;
		}
	}
	snprintf(ctx->smtpd, sizeof(ctx->smtpd), "smtpd");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'L' },
		{ "check", no_argument, NULL, 'k' },
		{ "now", required_argument, NULL, 'n' },
		{ "log", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct relay_ctx ctx = { .config_file = SYSCONFDIR "/smtpd/smtpd.conf", .mx_port = 25 };
	enum log_target target = LOG_TARGET_AUTO;
	struct diag_count dc = { 0 };
	const char *once = NULL, *env;
	bool list = false, check = false;
	struct config *cfg;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': ctx.config_file = optarg; break;
		case 'o': once = optarg; break;
		case 'L': list = true; break;
		case 'k': check = true; break;
		case 'n': {
			char *end;

			ctx.now = strtoll(optarg, &end, 10);
			if (*end || ctx.now <= 0) {
				fprintf(stderr, "smtpd-relay: --now: not a number of seconds: '%s'\n", optarg);
				return EXIT_USAGE_;
			}
			ctx.clock_set = true;
			break;
		}
		case 'l':
			if (log_target_parse(optarg, &target) < 0) {
				fprintf(stderr, "smtpd-relay: --log: unknown target '%s'\n", optarg);
				return EXIT_USAGE_;
			}
			ctx.log_target = optarg;
			break;
		case 'V': printf("smtpd-relay %s\n", PROJECT_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE_;
		}
	}
	if (optind < argc || (once && list)) {
		usage(stderr);
		return EXIT_USAGE_;
	}
	if (check) {
		dc.to_stderr = true;
		config_check_deep(true);
		r = config_load(ctx.config_file, true, diag_sink, &dc, &cfg);
		config_free(r == 0 ? cfg : NULL);
		if (r == 0)
			fprintf(stderr, "%s: OK (%u warning%s)\n", ctx.config_file, dc.warnings,
				dc.warnings == 1 ? "" : "s");
		return r == 0 ? 0 : EXIT_CONFIG_;
	}
	signal(SIGPIPE, SIG_IGN);
	log_open("smtpd-relay", target);
	if (config_load(ctx.config_file, true, diag_sink, &dc, &cfg) < 0) {
		if (list)
			fprintf(stderr, "smtpd-relay: cannot load %s\n", ctx.config_file);
		return EXIT_CONFIG_;
	}
	ctx.cfg = cfg;
	ctx.rs = relay_settings(cfg);
	if (!ctx.rs || !cfg->spool) {
		log_msg(LOG_ERR, "%s: no spool or remoteDelivery settings", ctx.config_file);
		config_free(cfg);
		return EXIT_CONFIG_;
	}
	if (ctx.rs->tls_policy_file) {
		char why[PATH_MAX + 300];

		if (tls_policy_load(ctx.rs->tls_policy_file, &ctx.tls_policy, why, sizeof(why)) < 0) {
			log_msg(LOG_ERR, "tlsPolicyFile: %s", why);
			tls_policy_free(&ctx.tls_policy);
			config_free(cfg);
			return EXIT_CONFIG_;
		}
	}
	if (!ctx.clock_set)
		ctx.now = (long long)time(NULL);
	/* tests run receivers on a port of their own */
	if ((env = getenv("SMTPD_RELAY_MX_PORT")) && atoi(env) > 0)
		ctx.mx_port = atoi(env);
	snprintf(ctx.outgoing, sizeof(ctx.outgoing), "%s/outgoing", cfg->spool);
	if (ctx.rs->helo_name)
		snprintf(ctx.helo, sizeof(ctx.helo), "%s", ctx.rs->helo_name);
	else if (gethostname(ctx.helo, sizeof(ctx.helo)) < 0 || !ctx.helo[0])
		snprintf(ctx.helo, sizeof(ctx.helo), "localhost");
	find_smtpd(&ctx);
	if (list) {
		r = list_queue(&ctx);
		config_free(cfg);
		return r;
	}
	if ((r = ensure_dirs(&ctx, cfg->spool)) < 0) {
		log_msg(LOG_ERR, "cannot prepare %s: %s", ctx.outgoing, strerror(-r));
		config_free(cfg);
		return EXIT_TEMP;
	}
	ctx.dead = mmap(NULL, sizeof(*ctx.dead), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctx.dead == MAP_FAILED) {
		log_msg(LOG_ERR, "mmap: %s", strerror(errno));
		config_free(cfg);
		return EXIT_TEMP;
	}
	if (once) {
		const char *base = strrchr(once, '/') ? strrchr(once, '/') + 1 : once;
		char path[4400];
		enum deliver_result dr;

		snprintf(path, sizeof(path), "%s/new/%s", ctx.outgoing, base);
		dr = deliver_file(&ctx, base, access(path, F_OK) == 0, true);
		r = dr == DELIVER_SKIPPED ? EXIT_TEMP : dr == DELIVER_ERROR ? 1 : 0;
		if (dr == DELIVER_SKIPPED)
			fprintf(stderr, "smtpd-relay: %s: not in the queue, or being delivered\n", base);
	} else {
		r = run_queue(&ctx);
	}
	if (ctx.password) {
		explicit_bzero(ctx.password, strlen(ctx.password));
		free(ctx.password);
	}
	tls_policy_free(&ctx.tls_policy);
	config_free(cfg);
	return r;
}
