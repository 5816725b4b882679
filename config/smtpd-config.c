/* smtpd-config — the administrator's tool: translate James' XML, write
 * systemd units and xinetd services for the configured listeners, check
 * the configuration.  See smtpd-config(8). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "james.h"
#include "relaytest.h"
#include "server.h"
#include "units.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef SBINDIR
#define SBINDIR "/usr/sbin"
#endif
#ifndef PROJECT_VERSION
#define PROJECT_VERSION "0"
#endif

/* sysexits(3), as documented in smtpd-config(8) */
#define EXIT_DATAERR 65
#define EXIT_NOINPUT 66
#define EXIT_CANTCREAT 73
#define EXIT_IOERR 74

#define DEFAULT_CONFIG SYSCONFDIR "/smtpd/smtpd.conf"
#define DEFAULT_USER "smtpd"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: smtpd-config COMMAND [OPTIONS]\n"
		"\n"
		"  translate [OPTIONS] smtpserver.xml [lmtpserver.xml] [domainlist.xml]\n"
		"      print the smtpd.conf equivalent of Apache James' XML configuration\n"
		"      --users=FILE --aliases=FILE --mailboxes=TEMPLATE --spool=DIR\n"
		"                          global keys James keeps elsewhere\n"
		"  units [-c FILE] [-o DIR] [LAUNCH OPTIONS]\n"
		"      write NAME.socket and NAME@.service for every enabled listener\n"
		"  xinetd [-c FILE] [LAUNCH OPTIONS]\n"
		"      print an xinetd service per enabled listener and bind address\n"
		"  check [-c FILE] [--user=USER]\n"
		"      validate the configuration, as smtpd --check; as root, also what\n"
		"      USER (default %s, when it exists) cannot read or write\n"
		"  relaytest [OPTIONS] HOST[:PORT]\n"
		"      try the open-relay tricks against a running server (relaytest --help)\n"
		"\n"
		"  -c, --config=FILE       configuration (default %s)\n"
		"  -o, --output=DIR        where units go (default: the current directory)\n"
		"  LAUNCH OPTIONS: --user=USER --group=GROUP (default %s)\n"
		"                  --smtpd=PATH --lmtpd=PATH (default %s/smtpd, %s/lmtpd)\n"
		"  -V, --version, -h, --help\n",
		DEFAULT_USER, DEFAULT_CONFIG, DEFAULT_USER, SBINDIR, SBINDIR);
}

enum { OPT_USERS = 256, OPT_ALIASES, OPT_MAILBOXES, OPT_SPOOL, OPT_USER, OPT_GROUP, OPT_SMTPD, OPT_LMTPD };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "output", required_argument, NULL, 'o' },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "aliases", required_argument, NULL, OPT_ALIASES },
	{ "mailboxes", required_argument, NULL, OPT_MAILBOXES },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "user", required_argument, NULL, OPT_USER },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "smtpd", required_argument, NULL, OPT_SMTPD },
	{ "lmtpd", required_argument, NULL, OPT_LMTPD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *config;
	const char *outdir;
	struct james_globals g;
	struct launch_opts lo;
	bool user_set;		/* --user was given */
	char config_abs[PATH_MAX];
};

/* Whether the space-separated list @list has the word @w. */
static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* Parse the options of @cmd; @allowed lists the ones it takes. */
static int parse_args(int argc, char **argv, const char *cmd, const char *allowed, struct args *a)
{
	int opt;

	a->config = DEFAULT_CONFIG;
	a->outdir = ".";
	a->lo.smtpd = SBINDIR "/smtpd";
	a->lo.lmtpd = SBINDIR "/lmtpd";
	a->lo.user = DEFAULT_USER;
	a->lo.group = NULL;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:o:h", long_opts, NULL)) != -1) {
		const char *name = NULL;

		for (size_t i = 0; long_opts[i].name; i++)
			if (long_opts[i].val == opt)
				name = long_opts[i].name;
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == '?' || !name || !has_word(allowed, name)) {
			if (opt != '?')
				fprintf(stderr, "smtpd-config %s: --%s does not apply here\n", cmd, name ? name : "?");
			usage(stderr);
			return -EINVAL;
		}
		switch (opt) {
		case 'c': a->config = optarg; break;
		case 'o': a->outdir = optarg; break;
		case OPT_USERS: a->g.users = optarg; break;
		case OPT_ALIASES: a->g.aliases = optarg; break;
		case OPT_MAILBOXES: a->g.mailboxes = optarg; break;
		case OPT_SPOOL: a->g.spool = optarg; break;
		case OPT_USER: a->lo.user = optarg; a->user_set = true; break;
		case OPT_GROUP: a->lo.group = optarg; break;
		case OPT_SMTPD: a->lo.smtpd = optarg; break;
		case OPT_LMTPD: a->lo.lmtpd = optarg; break;
		}
	}
	if (!a->lo.group)
		a->lo.group = a->lo.user;
	return 0;
}

static int cmd_translate(int argc, char **argv)
{
	struct args a = { 0 };
	int rc;

	if (parse_args(argc, argv, "translate", "users aliases mailboxes spool", &a) < 0)
		return EXIT_USAGE;
	if (optind == argc || argc - optind > 3) {
		fprintf(stderr, "smtpd-config translate: give smtpserver.xml [lmtpserver.xml] [domainlist.xml]\n");
		return EXIT_USAGE;
	}
	rc = james_translate((const char *const *)argv + optind, (size_t)(argc - optind), &a.g, stdout, stderr);
	if (rc == -EINVAL)
		return EXIT_DATAERR;
	if (rc < 0)
		return EXIT_NOINPUT;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "smtpd-config translate: write error: %s\n", strerror(errno));
		return EXIT_IOERR;
	}
	return 0;
}

static void diag_stderr(void *ctx, enum diag_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	fprintf(stderr, "%s\n", msg);
}

/* Load the configuration as smtpd does; the absolute path goes into the
 * generated files, since a unit's working directory is "/". */
static int load(struct args *a, struct config **cfg_r)
{
	if (!realpath(a->config, a->config_abs)) {
		fprintf(stderr, "%s: cannot read: %s\n", a->config, strerror(errno));
		return EXIT_CONFIG;
	}
	a->lo.config = a->config_abs;
	if (config_load(a->config, true, diag_stderr, NULL, cfg_r) < 0)
		return EXIT_CONFIG;
	return 0;
}

static FILE *create(const char *dir, const char *name, const char *suffix, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s%s", dir, name, suffix);
	f = fopen(path, "we");
	if (!f)
		fprintf(stderr, "%s: cannot create: %s\n", path, strerror(errno));
	return f;
}

static int finish(FILE *f, const char *path)
{
	if (ferror(f) | (fclose(f) != 0)) {
		fprintf(stderr, "%s: write error: %s\n", path, strerror(errno));
		return -EIO;
	}
	printf("%s\n", path);
	return 0;
}

static int cmd_units(int argc, char **argv)
{
	struct args a = { 0 };
	struct config *cfg;
	char why[512], path[PATH_MAX];
	int rc, written = 0;

	if (parse_args(argc, argv, "units", "config output user group smtpd lmtpd help", &a) < 0)
		return EXIT_USAGE;
	if (optind != argc) {
		fprintf(stderr, "smtpd-config units: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((rc = load(&a, &cfg)) != 0)
		return rc;
	for (size_t i = 0; i < cfg->nlisteners && rc == 0; i++) {
		const struct listener *l = &cfg->listeners[i];
		FILE *f;

		if (!l->enabled)
			continue;
		if (l->nbind == 0) {
			fprintf(stderr, "%s: warning: %s \"%s\" has no bind entries: no units written\n",
				cfg->file, l->proto == PROTO_LMTP ? "lmtpserver" : "smtpserver", l->name);
			continue;
		}
		if (launch_check(cfg, l, &a.lo, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s: %s\n", cfg->file, why);
			rc = EXIT_CONFIG;
			break;
		}
		if (!(f = create(a.outdir, l->name, ".socket", path, sizeof(path)))) {
			rc = EXIT_CANTCREAT;
			break;
		}
		units_write_socket(cfg, l, &a.lo, f);
		if (finish(f, path) < 0 || !(f = create(a.outdir, l->name, "@.service", path, sizeof(path)))) {
			rc = EXIT_CANTCREAT;
			break;
		}
		units_write_service(cfg, l, &a.lo, f);
		if (finish(f, path) < 0) {
			rc = EXIT_CANTCREAT;
			break;
		}
		written++;
	}
	if (rc == 0 && (rc = units_relay_check(cfg, &a.lo, stderr)) < 0) {
		rc = EXIT_CONFIG;
	} else if (rc == 1) {
		static const char *const suffixes[] = UNITS_RELAY_SUFFIXES;
		FILE *f;

		rc = 0;
		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]) && rc == 0; i++) {
			if (!(f = create(a.outdir, "smtpd-relay", suffixes[i], path, sizeof(path)))) {
				rc = EXIT_CANTCREAT;
				break;
			}
			units_write_relay(cfg, &a.lo, suffixes[i], f);
			if (finish(f, path) < 0)
				rc = EXIT_CANTCREAT;
		}
	}
	if (rc == 0 && written == 0) {
		fprintf(stderr, "%s: no enabled listener with a bind entry: no units written\n", cfg->file);
		rc = EXIT_CONFIG;
	}
	config_free(cfg);
	return rc;
}

static int cmd_xinetd(int argc, char **argv)
{
	struct args a = { 0 };
	struct config *cfg;
	char why[512];
	int rc, written = 0;

	if (parse_args(argc, argv, "xinetd", "config user group smtpd lmtpd help", &a) < 0)
		return EXIT_USAGE;
	if (optind != argc) {
		fprintf(stderr, "smtpd-config xinetd: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((rc = load(&a, &cfg)) != 0)
		return rc;
	for (size_t i = 0; i < cfg->nlisteners; i++) {
		const struct listener *l = &cfg->listeners[i];

		if (!l->enabled)
			continue;
		if (launch_check(cfg, l, &a.lo, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s: %s\n", cfg->file, why);
			config_free(cfg);
			return EXIT_CONFIG;
		}
		written += xinetd_write(cfg, l, &a.lo, stdout, stderr);
	}
	if (written == 0) {
		fprintf(stderr, "%s: no enabled listener with a TCP bind entry: no service written\n", cfg->file);
		rc = EXIT_CONFIG;
	}
	config_free(cfg);
	if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
		rc = EXIT_IOERR;
	return rc;
}

/* The same code as smtpd --check: same messages, same exit codes.  Run
 * as root, it checks for the units' User= (smtpd) when that user exists,
 * or for --user. */
static int cmd_check(int argc, char **argv)
{
	struct args a = { 0 };
	char file[PATH_MAX], user[256];
	char *sargv[] = { "smtpd", "-c", file, "--check", "--user", user, NULL };
	int sargc = 4;

	if (parse_args(argc, argv, "check", "config user", &a) < 0)
		return EXIT_USAGE;
	if (optind != argc) {
		fprintf(stderr, "smtpd-config check: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((size_t)snprintf(file, sizeof(file), "%s", a.config) >= sizeof(file)) {
		fprintf(stderr, "%s: path too long\n", a.config);
		return EXIT_CONFIG;
	}
	if (a.user_set || (geteuid() == 0 && getpwnam(DEFAULT_USER))) {
		snprintf(user, sizeof(user), "%s", a.lo.user);
		sargc = 6;
	}
	optind = 0;	/* glibc: start server_main's getopt afresh */
	return server_main(sargc, sargv, PROTO_SMTP);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "translate", cmd_translate }, { "units", cmd_units },
		{ "xinetd", cmd_xinetd }, { "check", cmd_check },
		{ "relaytest", relaytest_main },
	};

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("smtpd-config %s\n", PROJECT_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "smtpd-config: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
