/* config.c — see config.h.  libconfuse does the syntax; the validate
 * callbacks below check values while the parser still knows the line. */
#include "config.h"

#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "address.h"
#include "credunits.h"
#include "maildir.h"
#include "module.h"
#include "userdb.h"
#include "tls.h"

/* The diagnostics sink of the load in progress (loading is not reentrant:
 * libconfuse callbacks carry no user pointer). */
static struct {
	diag_fn *fn;
	void *ctx;
	int errors;
	bool resolve;
	const char *path;
	int users_line;
	/* the list value checked last (see list_new_value) */
	const cfg_opt_t *list_opt;
	unsigned list_index;
	char *list_value;
	bool deep;		/* config_check_deep() */
	/* config_scope(): the listener a session serves */
	bool scoped;
	enum listener_proto scope_proto;
	const char *scope_name;	/* NULL: every listener of scope_proto */
	/* the listener blocks of the file, by line (scan_blocks()) */
	struct block {
		enum listener_proto proto;
		char title[128];
		unsigned first, last;
	} *blocks;
	size_t nblocks;
	bool in_errfn;		/* libconfuse's own message: never demoted */
	/* config_check_user(): the service user (NULL: none) */
	struct {
		char *name;
		uid_t uid;
		gid_t gid;
		gid_t *groups;
		int ngroups;
	} user;
	int spool_line, mailboxes_line;
	int key_line;		/* of privateKey in the tls { } being read */
	/* where each module option was set (config_error()) */
	struct opt_line {
		const cfg_t *sec;
		const char *name;
		int line;
	} *lines;
	size_t nlines, lines_cap;
} load;

static bool line_elsewhere(int line);
static void __attribute__((format(printf, 3, 4))) report_line(int line, enum diag_level level,
							     const char *fmt, ...);

/* In a session (config_scope()), what another listener's block says
 * cannot stop this one: its warnings are not its business, its errors
 * are logged as warnings. */
static void report_at(int line, enum diag_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	int n = 0;

	if (!load.in_errfn && line_elsewhere(line)) {
		if (level == DIAG_WARNING)
			return;
		level = DIAG_WARNING;
	}
	if (line > 0 && load.path)
		n = snprintf(msg, sizeof(msg), "%s:%d: ", load.path, line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	if (level == DIAG_WARNING)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, "warning: ");
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	/* one diagnostic, one line: values quoted in it may hold newlines */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 32 || *p == 127)
			*p = '?';
	if (level == DIAG_ERROR)
		load.errors++;
	if (load.fn)
		load.fn(load.ctx, level, msg);
}

static void report(cfg_t *cfg, enum diag_level level, const char *fmt, va_list ap)
{
	report_at(cfg && load.path ? cfg->line : 0, level, fmt, ap);
}

void config_check_deep(bool on)
{
	load.deep = on;
}

void config_scope(enum listener_proto proto, const char *name)
{
	load.scoped = true;
	load.scope_proto = proto;
	load.scope_name = name;
}

/* Whether listener @title of @proto is outside the scope. */
static bool listener_elsewhere(enum listener_proto proto, const char *title)
{
	return load.scoped
	       && (proto != load.scope_proto || (load.scope_name && strcmp(title, load.scope_name) != 0));
}

/* The listener block around @line, or NULL (a global key). */
static const struct block *block_at(int line)
{
	for (size_t i = 0; line > 0 && i < load.nblocks; i++)
		if ((unsigned)line >= load.blocks[i].first && (unsigned)line <= load.blocks[i].last)
			return &load.blocks[i];
	return NULL;
}

/* Whether @line is inside a listener block outside the scope. */
static bool line_elsewhere(int line)
{
	const struct block *b = load.scoped ? block_at(line) : NULL;

	return b && listener_elsewhere(b->proto, b->title);
}

/* libconfuse's error printer writes to stderr, which may be the client's
 * socket under xinetd: route it to our sink instead. */
static void cfg_errfn(cfg_t *cfg, const char *fmt, va_list ap)
{
	load.in_errfn = true;
	report(cfg, DIAG_ERROR, fmt, ap);
	load.in_errfn = false;
}

static void __attribute__((format(printf, 2, 3))) warn(cfg_t *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cfg, DIAG_WARNING, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3))) error(cfg_t *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cfg, DIAG_ERROR, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4))) report_line(int line, enum diag_level level,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_at(line, level, fmt, ap);
	va_end(ap);
}

int config_check_user(const char *user, char *why, size_t whysize)
{
	struct passwd *pw;
	int n = 0;

	free(load.user.name);
	free(load.user.groups);
	memset(&load.user, 0, sizeof(load.user));
	if (!user)
		return 0;
	if (!(pw = getpwnam(user))) {
		snprintf(why, whysize, "--user: no user '%s'", user);
		return -ENOENT;
	}
	if (geteuid() != 0 && geteuid() != pw->pw_uid) {
		snprintf(why, whysize, "--user %s: only root can check for another user", user);
		return -EPERM;
	}
	getgrouplist(user, pw->pw_gid, NULL, &n);
	load.user.groups = calloc((size_t)n + 1, sizeof(gid_t));
	load.user.name = strdup(user);
	if (!load.user.groups || !load.user.name
	    || getgrouplist(user, pw->pw_gid, load.user.groups, &n) < 0) {
		snprintf(why, whysize, "--user %s: out of memory", user);
		return -ENOMEM;
	}
	load.user.uid = pw->pw_uid;
	load.user.gid = pw->pw_gid;
	load.user.ngroups = n;
	return 0;
}

/* Whether the service user may access @path with @mode (access(2)):
 * asked by a child that has become that user, so that modes, ACLs and
 * every directory on the way count as for a session. */
static bool user_can(const char *path, int mode)
{
	pid_t pid;
	int st;

	if (load.user.uid == geteuid())
		return access(path, mode) == 0;
	pid = fork();
	if (pid < 0)
		return true;	/* cannot tell: say nothing */
	if (pid == 0) {
		if (setgroups((size_t)load.user.ngroups, load.user.groups) != 0
		    || setgid(load.user.gid) != 0 || setuid(load.user.uid) != 0)
			_exit(2);
		_exit(access(path, mode) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return true;
	return WIFEXITED(st) && WEXITSTATUS(st) != 1;
}

/* A file a session reads, which root can read: can the service user? */
static void check_user_reads(cfg_t *cfg, const char *what, const char *path)
{
	if (load.user.name && !user_can(path, R_OK))
		error(cfg, "%s %s is not readable by user %s", what, path, load.user.name);
}

/* A directory a session writes into (created below the deepest one that
 * exists): can the service user create files there? */
static void check_user_writes(int line, const char *what, const char *dir)
{
	char p[4096];
	struct stat st;

	if (!load.user.name || !dir || !*dir)
		return;
	snprintf(p, sizeof(p), "%s", dir);
	while (stat(p, &st) != 0 && strcmp(p, "/") != 0) {
		char *slash = strrchr(p, '/');

		if (!slash)
			return;
		slash[slash == p] = '\0';
	}
	if (!user_can(p, W_OK | X_OK))
		report_line(line, DIAG_ERROR, "%s %s is not writable by user %s", what, p, load.user.name);
}

/* Whether the listener around @line gets its key @path through a unit's
 * LoadCredential= (credunits.h): systemd reads it, as root. */
static bool key_is_credential(int line, const char *path)
{
	const struct block *b = block_at(line);
	char unit[256];

	return b && credential_unit(b->title, path, unit, sizeof(unit));
}

char *config_file_path(const char *name, const char *conf)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY"), *slash;
	char *p = NULL;

	if (dir && *dir) {
		/* systemd's LoadCredential=ID:PATH hands the file over as
		 * $CREDENTIALS_DIRECTORY/ID, and an ID has no '/' */
		const char *base = strrchr(name, '/');

		base = base ? base + 1 : name;
		if (*base) {
			if (asprintf(&p, "%s/%s", dir, base) < 0)
				return NULL;
			if (access(p, F_OK) == 0)
				return p;
			free(p);
			p = NULL;
		}
	}
	if (name[0] == '/')
		return strdup(name);
	slash = conf ? strrchr(conf, '/') : NULL;
	if (asprintf(&p, "%.*s%s", slash ? (int)(slash - conf + 1) : 0, slash ? conf : "", name) < 0)
		return NULL;
	return p;
}

/* A certificate or key (config_file_path). */
static char *credential_path(const char *name)
{
	return config_file_path(name, load.path);
}

/* ---- validators ----------------------------------------------------------
 * Each reports through error()/warn() and returns 0, so that one run of
 * --check lists every problem; load.errors fails the load at the end. */

static bool path_absolute(cfg_t *cfg, cfg_opt_t *opt, const char *v)
{
	if (v[0] != '/') {
		error(cfg, "%s must be an absolute path, not '%s'", opt->name, v);
		return false;
	}
	return true;
}

static int v_path(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v && *v)
		path_absolute(cfg, opt, v);
	return 0;
}

/* A file the server reads at run time: missing is a warning (the config
 * may be checked before the files are installed); present but unreadable
 * is an error. */
static int v_file(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (!v || !*v)
		return 0;
	if (!path_absolute(cfg, opt, v))
		return 0;
	if (access(v, F_OK) != 0)
		warn(cfg, "%s file %s does not exist", opt->name, v);
	else if (access(v, R_OK) != 0)
		error(cfg, "%s file %s is not readable", opt->name, v);
	else
		check_user_reads(cfg, opt->name, v);
	return 0;
}

/* libconfuse 3.3 calls a list option's validator after each value and
 * again at the closing brace: check each value once, when it is added.
 * Returns the string to check, or NULL when there is nothing new. */
static const char *list_new_value(cfg_opt_t *opt)
{
	unsigned n = cfg_opt_size(opt);
	const char *v = n ? cfg_opt_getnstr(opt, n - 1) : NULL;

	if (!v || (opt == load.list_opt && n - 1 == load.list_index
		   && load.list_value && strcmp(v, load.list_value) == 0))
		return NULL;
	free(load.list_value);
	load.list_opt = opt;
	load.list_index = n - 1;
	load.list_value = strdup(v);
	return v;
}

/* tls { certificates, privateKey }: like v_file, but a relative name is a
 * credential (credential_path).  --check also parses the certificates. */
static int v_credential(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	bool key = strcmp(opt->name, "privateKey") == 0;
	char *path, why[1024];

	if (key)
		load.key_line = cfg->line;
	/* another listener's files are not this session's to open */
	if (!v || !*v || line_elsewhere(cfg->line))
		return 0;
	if (!(path = credential_path(v))) {
		error(cfg, "out of memory");
		return 0;
	}
	if (access(path, F_OK) != 0)
		warn(cfg, "%s file %s does not exist", opt->name, path);
	else if (access(path, R_OK) != 0)
		error(cfg, "%s file %s is not readable", opt->name, path);
	else if (load.user.name && !(key && key_is_credential(cfg->line, path)))
		check_user_reads(cfg, opt->name, path);
	if (load.deep && !key && access(path, R_OK) == 0) {
		switch (tls_check_certificates(path, why, sizeof(why))) {
		case TLS_CHECK_OK: break;
		case TLS_CHECK_WARNING: warn(cfg, "%s", why); break;
		case TLS_CHECK_ERROR: error(cfg, "%s", why); break;
		}
	}
	free(path);
	return 0;
}

/* ticketKey: a session reads it, and creates or replaces it beside
 * itself (tls.c). */
static int v_ticket_key(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (!v || !*v || !path_absolute(cfg, opt, v) || line_elsewhere(cfg->line))
		return 0;
	if (access(v, R_OK) == 0)
		check_user_reads(cfg, opt->name, v);
	if (load.user.name) {
		char dir[4096];
		const char *slash = strrchr(v, '/');

		snprintf(dir, sizeof(dir), "%.*s", slash == v ? 1 : (int)(slash - v), v);
		check_user_writes(cfg->line, "ticketKey directory", dir);
	}
	return 0;
}

static int v_priority(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	char why[1024];

	if (!v)
		return 0;
	if (!*v) {
		error(cfg, "priority must not be empty (leave it out for the default)");
		return 0;
	}
	if (load.deep && tls_check_priority(v, why, sizeof(why)) != TLS_CHECK_OK)
		error(cfg, "%s", why);
	return 0;
}

/* --check: the key loads and belongs to the certificate.  Reported on
 * the privateKey line; only when both files can be read (v_credential
 * has said why not otherwise). */
static void check_key_pair(cfg_t *t)
{
	const char *cert = cfg_getstr(t, "certificates"), *key = cfg_getstr(t, "privateKey");
	char *cp, *kp, why[1024];

	if (!cert || !key || !*cert || !*key)
		return;
	cp = credential_path(cert);
	kp = credential_path(key);
	if (cp && kp && access(cp, R_OK) == 0 && access(kp, R_OK) == 0
	    && tls_check_key(cp, kp, cfg_getstr(t, "secret"), why, sizeof(why)) != TLS_CHECK_OK)
		report_line(load.key_line, DIAG_ERROR, "%s", why);
	free(cp);
	free(kp);
}

static int v_domains(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *d = list_new_value(opt);

	if (d && !domain_valid(d, strlen(d), DOM_UTF8))
		error(cfg, "domains: '%s' is not a domain name", d);
	return 0;
}

/* mailboxes = "/var/mail/vhosts/%d/%n": absolute, and only %d %n %u %% escapes. */
static int v_mailboxes(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	bool who = false;

	load.mailboxes_line = cfg->line;
	if (!v || !path_absolute(cfg, opt, v))
		return 0;
	for (const char *p = v; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == 'n' || *p == 'u')
			who = true;
		else if (*p != 'd' && *p != '%') {
			error(cfg, "mailboxes: unknown escape '%%%c' (use %%d, %%n, %%u)", *p ? *p : ' ');
			return 0;
		}
	}
	if (!who) {
		error(cfg, "mailboxes: '%s' has neither %%n nor %%u: every user would share one maildir", v);
		return 0;
	}
	return 0;
}

static int v_spool(cfg_t *cfg, cfg_opt_t *opt)
{
	load.spool_line = cfg->line;
	return v_path(cfg, opt);
}

/* config_check_user(): the spool, and the mail store unless nothing here
 * writes it (lmtp hands local mail on and no lmtpserver is enabled). */
static void check_store_user(const struct config *c)
{
	bool lmtpd = false;
	char root[4096];

	for (size_t i = 0; i < c->nlisteners; i++)
		lmtpd |= c->listeners[i].proto == PROTO_LMTP && c->listeners[i].enabled;
	if (c->mailboxes && (!c->lmtp || lmtpd)) {
		maildir_template_root(c->mailboxes, root, sizeof(root));
		check_user_writes(load.mailboxes_line, "mailboxes", root);
	}
	check_user_writes(load.spool_line, "spool", c->spool);
}

/* lmtp = "unix:/path" | "host:port" | "[v6]:port" */
static int v_lmtp(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	const char *colon;
	bool port_ok = false;

	if (!v || !*v)
		return 0;
	colon = strrchr(v, ':');
	if (colon && colon > v && isdigit((unsigned char)colon[1])) {
		char *end;
		long port = strtol(colon + 1, &end, 10);

		port_ok = !*end && port >= 1 && port <= 65535;
	}
	if (strncmp(v, "unix:", 5) == 0 ? v[5] != '/' : !port_ok) {
		error(cfg, "lmtp: '%s' is neither unix:/path nor host:port", v);
		return 0;
	}
	return 0;
}

static int v_bind(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *b = list_new_value(opt);
	const char *colon;
	char *end;
	long port;

	if (!b || b[0] == '/')
		return 0;	/* nothing new, or a UNIX socket path */
	colon = strrchr(b, ':');
	if (!colon || colon == b) {
		error(cfg, "bind: '%s' is not ADDRESS:PORT, [IPV6]:PORT or /path", b);
		return 0;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535) {
		error(cfg, "bind: '%s' has no valid port", b);
		return 0;
	}
	if (b[0] == '[' ? colon[-1] != ']' : memchr(b, ':', (size_t)(colon - b)) != NULL)
		error(cfg, "bind: '%s': write IPv6 addresses in brackets, as [::1]:25", b);
	return 0;
}

static int v_nonneg(cfg_t *cfg, cfg_opt_t *opt)
{
	if (cfg_opt_getnint(opt, 0) < 0) {
		error(cfg, "%s must not be negative", opt->name);
		return 0;
	}
	return 0;
}

static int v_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	if (cfg_opt_getnint(opt, 0) <= 0) {
		error(cfg, "%s must be a positive number of seconds", opt->name);
		return 0;
	}
	return 0;
}

/* The per-transaction bound on RCPT commands: memory stays flat whatever
 * the client pipelines (issue 12).  No "unlimited". */
static int v_rcpt_bound(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, 0);

	if (v < 1 || v > RCPT_COMMANDS_MAX)
		error(cfg, "%s must be between 1 and %d", opt->name, RCPT_COMMANDS_MAX);
	return 0;
}

static int v_auth_required(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (strcasecmp(v, "true") && strcasecmp(v, "false") && strcasecmp(v, "announce")) {
		error(cfg, "authRequired must be true, false or announce, not '%s'", v);
		return 0;
	}
	return 0;
}

static int v_hello_name(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v && !domain_valid(v, strlen(v), DOM_LITERAL)) {
		error(cfg, "helloName '%s' is not a domain name", v);
		return 0;
	}
	return 0;
}

static int v_greeting(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	for (; v && *v; v++)
		if ((unsigned char)*v < 32 || *v == 127) {
			error(cfg, "smtpGreeting must not contain control characters");
			return 0;
		}
	return 0;
}

static const char *netparse_why(enum netparse r)
{
	switch (r) {
	case NETPARSE_PREFIX: return "bad prefix length or netmask";
	case NETPARSE_UNRESOLVED: return "host name does not resolve";
	case NETPARSE_NOMEM: return "out of memory";
	default: return "not an address, wildcard, CIDR, netmask or host name";
	}
}

static int v_authorized(cfg_t *cfg, cfg_opt_t *opt)
{
	struct netlist tmp = { 0 };
	const char *e = list_new_value(opt);
	enum netparse r;

	if (!e)
		return 0;
	r = netlist_add(&tmp, e, load.resolve && !line_elsewhere(cfg->line));
	netlist_free(&tmp);
	/* DNS trouble must not stop the service: the entry is skipped (it
	 * trusts nobody) and the load goes on. */
	if (r == NETPARSE_UNRESOLVED)
		warn(cfg, "authorizedAddresses: '%s': %s; entry ignored", e, netparse_why(r));
	else if (r != NETPARSE_OK)
		error(cfg, "authorizedAddresses: '%s': %s", e, netparse_why(r));
	return 0;
}

/* users: where it is set, for the {PLAIN} warnings made after the parse. */
static int v_users(cfg_t *cfg, cfg_opt_t *opt)
{
	load.users_line = cfg->line;
	return v_file(cfg, opt);
}

/* Passwords stored in clear matter only where some listener takes AUTH. */
static void warn_plain_passwords(const struct config *c)
{
	bool auth = false;
	FILE *f;
	char *line = NULL, msg[1024];
	size_t cap = 0;
	unsigned n = 0;

	for (size_t i = 0; i < c->nlisteners; i++)
		auth |= c->listeners[i].proto == PROTO_SMTP && c->listeners[i].auth != AUTH_FALSE
			&& !listener_elsewhere(c->listeners[i].proto, c->listeners[i].name);
	if (!auth || !c->users || !(f = fopen(c->users, "re")))
		return;
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');

		n++;
		if (line[0] == '#' || !colon || !userdb_is_plain(colon + 1))
			continue;
		snprintf(msg, sizeof(msg), "%s:%d: warning: users: %s line %u: {PLAIN} password stored in clear; use smtpd-passwd",
			 load.path, load.users_line, c->users, n);
		if (load.fn)
			load.fn(load.ctx, DIAG_WARNING, msg);
	}
	if (line)
		explicit_bzero(line, cap);
	free(line);
	fclose(f);
}

static void alias_diag(void *ctx, const char *msg)
{
	warn(ctx, "aliases: %s", msg);
}

/* aliases: each line well formed, each target a mailbox (RFC 5321
 * §4.1.2).  Warnings: a bad line is skipped at run time. */
static int v_aliases(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	struct aliases al;

	v_file(cfg, opt);
	if (!v || v[0] != '/' || aliases_load(v, &al, alias_diag, cfg) < 0)
		return 0;
	for (size_t i = 0; i < al.n; i++) {
		char *copy = strdup(al.v[i].targets), *save = NULL, *tok;

		for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
			struct mailbox mb;

			tok = aliases_target_trim(tok);
			if (address_parse_mailbox(tok, &mb) != ADDR_OK)
				warn(cfg, "aliases: %s:%u: '%s' is not an address; ignored", v, al.v[i].line, tok);
		}
		free(copy);
	}
	aliases_free(&al);
	return 0;
}

/* A listener that takes passwords without any TLS sends them in clear. */
static int v_server(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	cfg_t *h = sec ? cfg_getsec(sec, "handler") : NULL;
	cfg_t *t = sec ? cfg_getsec(sec, "tls") : NULL;
	const char *auth = h ? cfg_getstr(h, "authRequired") : NULL;

	if (auth && (strcasecmp(auth, "true") == 0 || strcasecmp(auth, "announce") == 0)
	    && strcmp(opt->name, "smtpserver") == 0
	    && !cfg_getbool(t, "startTLS") && !cfg_getbool(t, "socketTLS"))
		warn(sec, "smtpserver \"%s\": authRequired = %s without TLS: passwords would cross the network in clear",
		     cfg_title(sec), auth);
	return 0;
}

static int v_tls(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *t = cfg_opt_getnsec(opt, 0);
	bool on;

	if (!t)
		return 0;
	on = cfg_getbool(t, "socketTLS") || cfg_getbool(t, "startTLS");
	if (cfg_getbool(t, "socketTLS") && cfg_getbool(t, "startTLS")) {
		error(t, "tls: socketTLS and startTLS cannot both be true");
		return 0;
	}
	if (on && (!cfg_getstr(t, "certificates") || !cfg_getstr(t, "privateKey"))) {
		error(t, "tls: certificates and privateKey are needed when TLS is on");
		return 0;
	}
	if (cfg_getbool(t, "required") && !cfg_getbool(t, "startTLS")) {
		error(t, "tls: required = true needs startTLS = true");
		return 0;
	}
	if (load.deep)
		check_key_pair(t);
	load.key_line = 0;
	return 0;
}

/* ---- the schema ---------------------------------------------------------- */

static cfg_opt_t handler_opts[] = {
	CFG_STR("helloName", NULL, CFGF_NONE),
	CFG_BOOL("helloNameAutodetect", cfg_false, CFGF_NONE),
	CFG_INT("connectionTimeout", 360, CFGF_NONE),
	CFG_INT("connectionLimit", 0, CFGF_NONE),
	CFG_INT("connectionLimitPerIP", 0, CFGF_NONE),
	CFG_STR("authRequired", "false", CFGF_NONE),
	CFG_STR_LIST("authorizedAddresses", "{\"127.0.0.0/8\", \"::1\"}", CFGF_NONE),
	CFG_BOOL("verifyIdentity", cfg_true, CFGF_NONE),
	CFG_INT("maxmessagesize", 0, CFGF_NONE),
	CFG_INT("maxRcptCommands", 1000, CFGF_NONE),
	CFG_BOOL("heloEhloEnforcement", cfg_true, CFGF_NODEFAULT),
	CFG_BOOL("addressBracketsEnforcement", cfg_true, CFGF_NODEFAULT),
	CFG_STR("smtpGreeting", "", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t tls_opts[] = {
	CFG_BOOL("socketTLS", cfg_false, CFGF_NONE),
	CFG_BOOL("startTLS", cfg_false, CFGF_NONE),
	CFG_BOOL("required", cfg_false, CFGF_NONE),
	CFG_STR("certificates", NULL, CFGF_NONE),
	CFG_STR("privateKey", NULL, CFGF_NONE),
	CFG_STR("secret", NULL, CFGF_NONE),
	CFG_STR("priority", NULL, CFGF_NONE),
	CFG_STR("ticketKey", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t server_opts[] = {
	CFG_BOOL("enabled", cfg_true, CFGF_NONE),
	CFG_STR_LIST("bind", NULL, CFGF_NONE),
	CFG_INT("connectBacklog", 200, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t root_opts[] = {
	CFG_STR_LIST("domains", NULL, CFGF_NONE),
	CFG_STR("users", NULL, CFGF_NONE),
	CFG_STR("aliases", NULL, CFGF_NONE),
	CFG_STR("mailboxes", "/var/mail/vhosts/%d/%n", CFGF_NONE),
	CFG_STR("spool", "/var/spool/smtpd", CFGF_NONE),
	CFG_STR("lmtp", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t *find_opt(cfg_opt_t *opts, const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strncmp(opts->name, name, len) == 0 && opts->name[len] == '\0')
			return opts;
	return NULL;
}

/* ---- modules (module.h) ----------------------------------------------------
 * The schema is the core tables above with the modules' tables hung on
 * their places: built once per process, copied by cfg_init(). */

static size_t module_count(void)
{
	size_t n = 0;

	while (config_modules[n])
		n++;
	return n;
}

static ssize_t module_index(const struct config_module *m)
{
	for (size_t i = 0; config_modules[i]; i++)
		if (config_modules[i] == m)
			return (ssize_t)i;
	return -1;
}

static const struct config_module *module_find(enum module_place place, const char *name)
{
	for (size_t i = 0; config_modules[i]; i++)
		if (config_modules[i]->place == place && strcmp(config_modules[i]->name, name) == 0)
			return config_modules[i];
	return NULL;
}

/* "A, B, C": the modules of @place, for messages. */
static const char *module_names(enum module_place place, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; config_modules[i] && n < size; i++)
		if (config_modules[i]->place == place)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", config_modules[i]->name);
	return buf;
}

/* The module whose option @opt of section @sec is. */
static const struct config_module *module_of(const cfg_t *sec, const char *opt)
{
	const char *title = cfg_title((cfg_t *)(uintptr_t)sec);

	if (title && strcmp(sec->name, "handler") == 0)
		return module_find(MODULE_CHAIN, title);
	if (strcmp(sec->name, "smtpserver") == 0 || strcmp(sec->name, "lmtpserver") == 0) {
		for (size_t i = 0; config_modules[i]; i++)
			if (config_modules[i]->place == MODULE_SERVER
			    && find_opt(config_modules[i]->opts, opt, strlen(opt)))
				return config_modules[i];
		return NULL;
	}
	for (size_t i = 0; config_modules[i]; i++)
		if ((config_modules[i]->place == MODULE_HANDLER || config_modules[i]->place == MODULE_GLOBAL)
		    && strcmp(config_modules[i]->name, sec->name) == 0)
			return config_modules[i];
	return NULL;
}

/* The validator of every module option: remember the line (for
 * config_error()), then call the module's own validator, if any. */
static int v_module_opt(cfg_t *cfg, cfg_opt_t *opt)
{
	const struct config_module *m;
	cfg_opt_t *own;
	bool seen = false;

	for (size_t i = 0; i < load.nlines && !seen; i++)
		seen = load.lines[i].sec == cfg && strcmp(load.lines[i].name, opt->name) == 0;
	if (!seen && (opt->flags & CFGF_MODIFIED)) {
		if (load.nlines == load.lines_cap) {
			size_t cap = load.lines_cap ? 2 * load.lines_cap : 16;
			struct opt_line *v = realloc(load.lines, cap * sizeof(*v));

			if (!v)
				return 0;
			load.lines = v;
			load.lines_cap = cap;
		}
		load.lines[load.nlines++] = (struct opt_line){ cfg, opt->name, cfg->line };
	}
	m = module_of(cfg, opt->name);
	own = m ? find_opt(m->opts, opt->name, strlen(opt->name)) : NULL;
	return own && own->validcb ? own->validcb(cfg, opt) : 0;
}

struct opt_vec {
	cfg_opt_t *v;
	size_t n, cap;
	bool nomem;
};

static void opt_push(struct opt_vec *o, const cfg_opt_t *opt)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 16;
		cfg_opt_t *v = realloc(o->v, cap * sizeof(*v));

		if (!v) {
			o->nomem = true;
			return;
		}
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = *opt;
}

/* @core, then @extra with v_module_opt, then the END. */
static void opt_copy(struct opt_vec *o, const cfg_opt_t *opts, bool module)
{
	for (; opts && opts->name; opts++) {
		cfg_opt_t copy = *opts;

		if (module)
			copy.validcb = v_module_opt;
		opt_push(o, &copy);
	}
}

static cfg_opt_t *opt_end(struct opt_vec *o)
{
	cfg_opt_t end = CFG_END();

	opt_push(o, &end);
	return o->nomem ? NULL : o->v;
}

/* A section option NAME { @opts } (by value: pushed into its parent). */
static cfg_opt_t section_of(const char *name, cfg_opt_t *opts, int flags)
{
	cfg_opt_t sec = CFG_SEC("", NULL, CFGF_NONE);

	sec.name = name;
	sec.subopts = opts;
	sec.flags = flags;
	return sec;
}

/* A module's block: its table with v_module_opt on every option. */
static cfg_opt_t *module_block(const struct config_module *m)
{
	struct opt_vec o = { 0 };

	opt_copy(&o, m->opts, true);
	return opt_end(&o);
}

static cfg_opt_t *schema_build(char *why, size_t whysize)
{
	struct opt_vec chain = { 0 }, handler = { 0 }, server = { 0 }, root = { 0 };
	cfg_opt_t *sec, s;

	why[0] = '\0';
	/* handler "TITLE" { }: the union of the chain handlers' options.
	 * One name means one option: same type and default everywhere
	 * (test-modules checks), so each handler's parse() sees its own
	 * defaults. */
	for (size_t i = 0; config_modules[i]; i++) {
		const struct config_module *m = config_modules[i];

		for (cfg_opt_t *opt = m->opts; m->place == MODULE_CHAIN && opt && opt->name; opt++)
			if (!find_opt(chain.v, opt->name, strlen(opt->name))) {
				cfg_opt_t copy = *opt;

				copy.validcb = v_module_opt;
				opt_push(&chain, &copy);
				/* find_opt needs the END after the last */
				opt_end(&chain);
				chain.n--;
			}
	}
	opt_copy(&handler, handler_opts, false);
	opt_copy(&server, server_opts, false);
	opt_copy(&root, root_opts, false);
	for (size_t i = 0; config_modules[i]; i++) {
		const struct config_module *m = config_modules[i];
		struct opt_vec *to = m->place == MODULE_HANDLER ? &handler : m->place == MODULE_GLOBAL ? &root : NULL;

		if (m->place == MODULE_SERVER) {
			/* merged into the listener: a name must be new there */
			for (cfg_opt_t *opt = m->opts; opt && opt->name; opt++) {
				size_t len = strlen(opt->name);
				bool clash = find_opt(server_opts, opt->name, len) || !strcmp(opt->name, "tls")
					     || !strcmp(opt->name, "handler");

				for (size_t k = 0; k < i && !clash; k++)
					clash = config_modules[k]->place == MODULE_SERVER
						&& find_opt(config_modules[k]->opts, opt->name, len);
				if (clash)
					snprintf(why, whysize, "module %s: option %s clashes with another listener option",
						 m->name, opt->name);
			}
			opt_copy(&server, m->opts, true);
		} else if (to) {
			if (!(sec = module_block(m)))
				return NULL;
			s = section_of(m->name, sec, CFGF_NONE);
			opt_push(to, &s);
		}
	}
	if (!(sec = opt_end(&chain)))
		return NULL;
	{
		struct opt_vec hc = { 0 };

		s = section_of("handler", sec, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
		opt_push(&hc, &s);
		if (!(sec = opt_end(&hc)))
			return NULL;
		s = section_of("handlerchain", sec, CFGF_NONE);
		opt_push(&handler, &s);
	}
	s = section_of("tls", tls_opts, CFGF_NONE);
	opt_push(&server, &s);
	if (!(sec = opt_end(&handler)))
		return NULL;
	s = section_of("handler", sec, CFGF_NONE);
	opt_push(&server, &s);
	if (!opt_end(&server))
		return NULL;
	s = section_of("smtpserver", server.v, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
	opt_push(&root, &s);
	s = section_of("lmtpserver", server.v, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
	opt_push(&root, &s);
	return opt_end(&root);
}

/* Built once: a process loads its configuration once, tests a few times. */
static cfg_opt_t *schema(char *why, size_t whysize)
{
	static cfg_opt_t *root;
	static char err[256];

	if (!root)
		root = schema_build(err, sizeof(err));
	snprintf(why, whysize, "%s", root ? err : "out of memory");
	return root;
}

static int module_line(const cfg_t *sec, const char *opt)
{
	for (size_t i = 0; opt && i < load.nlines; i++)
		if (load.lines[i].sec == sec && strcmp(load.lines[i].name, opt) == 0)
			return load.lines[i].line;
	return sec ? sec->line : 0;
}

static void module_report(cfg_t *sec, const char *opt, enum diag_level level, const char *fmt, va_list ap)
{
	int line = module_line(sec, opt);

	if (line > 0) {
		report_at(line, level, fmt, ap);
	} else {
		char msg[1024];
		int n = snprintf(msg, sizeof(msg), "%s: %s", load.path ? load.path : "", level == DIAG_WARNING ? "warning: " : "");

		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p < 32 || *p == 127)
				*p = '?';
		if (level == DIAG_ERROR)
			load.errors++;
		if (load.fn)
			load.fn(load.ctx, level, msg);
	}
}

void config_error(cfg_t *sec, const char *opt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	module_report(sec, opt, DIAG_ERROR, fmt, ap);
	va_end(ap);
}

void config_warn(cfg_t *sec, const char *opt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	module_report(sec, opt, DIAG_WARNING, fmt, ap);
	va_end(ap);
}

const void *config_listener_settings(const struct listener *l, const struct config_module *m)
{
	ssize_t i = module_index(m);

	return l && l->settings && i >= 0 ? l->settings[i] : NULL;
}

const void *config_global_settings(const struct config *c, const struct config_module *m)
{
	ssize_t i = module_index(m);

	return c && c->settings && i >= 0 ? c->settings[i] : NULL;
}

/* Run @m's parse() on @sec into *@settings_r.  0, or -ENOMEM. */
static int module_parse(const struct config_module *m, cfg_t *sec, const struct module_ctx *ctx,
			void **settings_r)
{
	int before = load.errors, rc;

	if (!m->parse)
		return 0;
	rc = m->parse(sec, ctx, settings_r);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0 && load.errors == before)
		config_error(sec, NULL, "%s: invalid settings", m->name);
	return 0;
}

/* Whether @o was written in the file.  libconfuse marks a section
 * option modified when it makes the default section: a section counts
 * when something inside it was written. */
static bool opt_written(cfg_opt_t *o)
{
	if (o->type != CFGT_SEC)
		return o->flags & CFGF_MODIFIED;
	for (unsigned i = 0; i < o->nvalues; i++) {
		cfg_t *sub = o->values[i]->section;

		for (cfg_opt_t *c = sub ? sub->opts : NULL; c && c->name; c++)
			if (opt_written(c))
				return true;
	}
	return false;
}

/* handler "TITLE" { }: a known title, and only that handler's options. */
static int convert_chain(cfg_t *chain, const struct module_ctx *ctx, struct listener *l)
{
	unsigned n = cfg_size(chain, "handler");
	char names[512];
	int rc;

	l->chain = calloc(n + 1, sizeof(*l->chain));
	if (!l->chain)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		cfg_t *e = cfg_getnsec(chain, "handler", i);
		const struct config_module *m = module_find(MODULE_CHAIN, cfg_title(e));
		bool ok = true;

		if (!m) {
			config_error(e, NULL, "handlerchain: unknown handler '%s' (known: %s)", cfg_title(e),
				     module_names(MODULE_CHAIN, names, sizeof(names)));
			continue;
		}
		for (cfg_opt_t *o = e->opts; o && o->name; o++)
			if (opt_written(o) && !find_opt(m->opts, o->name, strlen(o->name))) {
				config_error(e, o->name, "handlerchain: %s takes no option %s", m->name, o->name);
				ok = false;
			}
		if (!ok)
			continue;
		l->chain[l->nchain].mod = m;
		if ((rc = module_parse(m, e, ctx, &l->chain[l->nchain].settings)) < 0)
			return rc;
		l->nchain++;
	}
	return 0;
}

/* After the core conversion: every module parses its place, present in
 * the file or not (libconfuse's default section then). */
static int convert_modules(cfg_t *cfg, struct config *c)
{
	static const char *const kinds[] = { "smtpserver", "lmtpserver" };
	size_t nm = module_count(), k = 0;
	struct module_ctx ctx = { .file = load.path, .resolve = load.resolve, .deep = load.deep, .cfg = c };
	int rc;

	if (!(c->settings = calloc(nm + 1, sizeof(*c->settings))))
		return -ENOMEM;
	for (size_t i = 0; i < nm; i++)
		if (config_modules[i]->place == MODULE_GLOBAL
		    && (rc = module_parse(config_modules[i], cfg_getsec(cfg, config_modules[i]->name), &ctx,
					  &c->settings[i])) < 0)
			return rc;
	for (size_t kind = 0; kind < 2; kind++)
		for (unsigned j = 0; j < cfg_size(cfg, kinds[kind]) && k < c->nlisteners; j++) {
			cfg_t *sec = cfg_getnsec(cfg, kinds[kind], j);
			cfg_t *h = cfg_getsec(sec, "handler");
			struct listener *l = &c->listeners[k++];

			ctx.listener = l->name;
			ctx.lmtp = l->proto == PROTO_LMTP;
			if (!(l->settings = calloc(nm + 1, sizeof(*l->settings))))
				return -ENOMEM;
			for (size_t i = 0; i < nm; i++) {
				const struct config_module *m = config_modules[i];

				rc = 0;
				if (m->place == MODULE_SERVER)
					rc = module_parse(m, sec, &ctx, &l->settings[i]);
				else if (m->place == MODULE_HANDLER)
					rc = module_parse(m, cfg_getsec(h, m->name), &ctx, &l->settings[i]);
				if (rc < 0)
					return rc;
			}
			if ((rc = convert_chain(cfg_getsec(h, "handlerchain"), &ctx, l)) < 0)
				return rc;
		}
	return 0;
}

/* What cfg_set_validate_func() does for "a|b|c", where a section on the
 * way is a template (every section below smtpserver/lmtpserver is): walk
 * the subopts.  36 calls of it, each splitting and strndup()ing its path,
 * were a quarter of the configuration load (bench/RESULTS.md). */
static void set_validate(cfg_opt_t *opts, const char *path, cfg_validate_callback_t fn)
{
	for (;;) {
		size_t n = strcspn(path, "|");
		cfg_opt_t *o = find_opt(opts, path, n);

		if (!o)
			return;	/* as cfg_set_validate_func() */
		if (!path[n]) {
			o->validcb = fn;
			return;
		}
		opts = o->subopts;
		path += n + 1;
	}
}

static void set_validators(cfg_t *cfg)
{
	static const struct {
		const char *key;
		cfg_validate_callback_t fn;
	} global[] = {
		{ "domains", v_domains }, { "users", v_users }, { "aliases", v_aliases },
		{ "mailboxes", v_mailboxes }, { "spool", v_spool }, { "lmtp", v_lmtp },
	}, server[] = {
		{ "bind", v_bind }, { "connectBacklog", v_nonneg }, { "tls", v_tls },
		{ "tls|certificates", v_credential }, { "tls|privateKey", v_credential },
		{ "tls|priority", v_priority },
		{ "tls|ticketKey", v_ticket_key },
		{ "handler|helloName", v_hello_name },
		{ "handler|connectionTimeout", v_positive },
		{ "handler|maxRcptCommands", v_rcpt_bound },
		{ "handler|connectionLimit", v_nonneg },
		{ "handler|connectionLimitPerIP", v_nonneg },
		{ "handler|authRequired", v_auth_required },
		{ "handler|authorizedAddresses", v_authorized },
		{ "handler|maxmessagesize", v_nonneg },
		{ "handler|smtpGreeting", v_greeting },
	};
	cfg_opt_t *smtp = find_opt(cfg->opts, "smtpserver", 10);
	cfg_opt_t *lmtp = find_opt(cfg->opts, "lmtpserver", 10);

	for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++)
		set_validate(cfg->opts, global[i].key, global[i].fn);
	set_validate(cfg->opts, "smtpserver", v_server);
	for (size_t i = 0; i < sizeof(server) / sizeof(server[0]); i++) {
		set_validate(smtp->subopts, server[i].key, server[i].fn);
		set_validate(lmtp->subopts, server[i].key, server[i].fn);
	}
}

/* ---- conversion ---------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char **dup_list(cfg_t *cfg, const char *key, size_t *n_r, bool lower)
{
	unsigned n = cfg_size(cfg, key);
	char **v = calloc(n + 1, sizeof(*v));

	*n_r = n;
	if (!v)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		v[i] = strdup(cfg_getnstr(cfg, key, i));
		if (!v[i]) {
			*n_r = i;
			return v;
		}
		for (char *p = v[i]; lower && *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	return v;
}

static char *default_hello_name(void)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0 || !host[0])
		return strdup("localhost");
	host[sizeof(host) - 1] = '\0';
	return strdup(host);
}

static int convert_listener(cfg_t *sec, enum listener_proto proto, struct listener *l)
{
	cfg_t *h = cfg_getsec(sec, "handler");
	cfg_t *t = cfg_getsec(sec, "tls");
	const char *auth = cfg_getstr(h, "authRequired");
	unsigned n;

	l->name = strdup(cfg_title(sec));
	l->proto = proto;
	l->enabled = cfg_getbool(sec, "enabled");
	l->bind = dup_list(sec, "bind", &l->nbind, false);
	l->backlog = cfg_getint(sec, "connectBacklog");

	l->tls.socket_tls = cfg_getbool(t, "socketTLS");
	l->tls.start_tls = cfg_getbool(t, "startTLS");
	l->tls.required = cfg_getbool(t, "required");
	if (cfg_getstr(t, "certificates") && !(l->tls.certificates = credential_path(cfg_getstr(t, "certificates"))))
		return -ENOMEM;
	if (cfg_getstr(t, "privateKey") && !(l->tls.private_key = credential_path(cfg_getstr(t, "privateKey"))))
		return -ENOMEM;
	l->tls.secret = dup_or_null(cfg_getstr(t, "secret"));
	l->tls.priority = dup_or_null(cfg_getstr(t, "priority"));
	l->tls.ticket_key = dup_or_null(cfg_getstr(t, "ticketKey"));

	if (cfg_getbool(h, "helloNameAutodetect"))
		l->hello_name = default_hello_name();
	else
		l->hello_name = strdup(cfg_getstr(h, "helloName") ? cfg_getstr(h, "helloName") : "localhost");
	l->timeout = cfg_getint(h, "connectionTimeout");
	l->conn_limit = cfg_getint(h, "connectionLimit");
	l->conn_limit_per_ip = cfg_getint(h, "connectionLimitPerIP");
	l->auth = strcasecmp(auth, "announce") == 0 ? AUTH_ANNOUNCE
		: strcasecmp(auth, "true") == 0 ? AUTH_TRUE : AUTH_FALSE;
	n = cfg_size(h, "authorizedAddresses");
	for (unsigned i = 0; i < n; i++)
		if (netlist_add(&l->authorized, cfg_getnstr(h, "authorizedAddresses", i),
				load.resolve && !listener_elsewhere(proto, l->name)) == NETPARSE_NOMEM)
			return -ENOMEM;
	l->verify_identity = cfg_getbool(h, "verifyIdentity");
	l->max_kb = cfg_getint(h, "maxmessagesize");
	l->max_rcpt_commands = cfg_getint(h, "maxRcptCommands");
	/* James: enforcement is on for SMTP, off for LMTP, unless set. */
	l->helo_enforce = cfg_size(h, "heloEhloEnforcement") ? cfg_getbool(h, "heloEhloEnforcement") : proto == PROTO_SMTP;
	l->brackets_enforce = cfg_size(h, "addressBracketsEnforcement") ? cfg_getbool(h, "addressBracketsEnforcement") : proto == PROTO_SMTP;
	l->greeting = dup_or_null(cfg_getstr(h, "smtpGreeting"));

	if (!l->name || !l->hello_name)
		return -ENOMEM;
	return 0;
}

static int convert(cfg_t *cfg, const char *path, struct config *c)
{
	static const struct {
		const char *key;
		enum listener_proto proto;
	} kinds[] = { { "smtpserver", PROTO_SMTP }, { "lmtpserver", PROTO_LMTP } };
	size_t total = cfg_size(cfg, "smtpserver") + cfg_size(cfg, "lmtpserver");
	int rc;

	c->file = strdup(path);
	c->domains = dup_list(cfg, "domains", &c->ndomains, true);
	c->users = dup_or_null(cfg_getstr(cfg, "users"));
	c->aliases = dup_or_null(cfg_getstr(cfg, "aliases"));
	c->mailboxes = dup_or_null(cfg_getstr(cfg, "mailboxes"));
	c->spool = dup_or_null(cfg_getstr(cfg, "spool"));
	c->lmtp = dup_or_null(cfg_getstr(cfg, "lmtp"));
	if (c->lmtp && !*c->lmtp) {
		free(c->lmtp);
		c->lmtp = NULL;
	}
	c->listeners = calloc(total + 1, sizeof(*c->listeners));
	if (!c->file || !c->domains || !c->listeners)
		return -ENOMEM;
	for (size_t k = 0; k < 2; k++)
		for (unsigned i = 0; i < cfg_size(cfg, kinds[k].key); i++) {
			rc = convert_listener(cfg_getnsec(cfg, kinds[k].key, i), kinds[k].proto,
					      &c->listeners[c->nlisteners++]);
			if (rc < 0)
				return rc;
		}
	return 0;
}

/* Blank out comments ('#' and '//' to end of line, C-style blocks),
 * keeping newlines and quoted strings.  libconfuse 3.3 lexes comments as
 * tokens: it miscounts lines after them and rejects them inside lists.
 * Returns the line of a quote left open at the end of the file (which
 * libconfuse 3.3 silently ignores for '"'), or 0. */
static unsigned strip_comments(char *s)
{
	char quote = 0;
	unsigned line = 1, quote_line = 0;

	for (; *s; s++) {
		if (*s == '\n')
			line++;
		if (quote) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == quote)
				quote = 0;
		} else if (*s == '"' || *s == '\'') {
			quote = *s;
			quote_line = line;
		} else if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			while (*s && *s != '\n')
				*s++ = ' ';
			if (!*s)
				break;
			line++;
		} else if (s[0] == '/' && s[1] == '*') {
			while (*s && !(s[0] == '*' && s[1] == '/')) {
				if (*s != '\n')
					*s = ' ';
				else
					line++;
				s++;
			}
			if (!*s)
				break;
			s[0] = s[1] = ' ';
			s++;
		}
	}
	return quote ? quote_line : 0;
}

/* libconfuse 3.3 takes the end of the file as the end of every section
 * still open, so a missing '}' would pass unnoticed: report the innermost
 * '{' left open. */
static void check_braces(const char *s)
{
	unsigned line = 1, depth = 0, open_line[16];
	char quote = 0;

	for (; *s; s++) {
		if (*s == '\n')
			line++;
		if (quote) {
			if (*s == '\\' && s[1]) {
				if (*++s == '\n')
					line++;
			} else if (*s == quote) {
				quote = 0;
			}
		} else if (*s == '"' || *s == '\'') {
			quote = *s;
		} else if (*s == '{') {
			if (depth < sizeof(open_line) / sizeof(open_line[0]))
				open_line[depth] = line;
			depth++;
		} else if (*s == '}' && depth > 0) {
			depth--;
		}
	}
	if (depth > 0) {
		char msg[1024];
		size_t top = sizeof(open_line) / sizeof(open_line[0]);

		snprintf(msg, sizeof(msg), "%s:%u: premature end of file: this '{' is never closed",
			 load.path, open_line[depth < top ? depth - 1 : top - 1]);
		load.errors++;
		if (load.fn)
			load.fn(load.ctx, DIAG_ERROR, msg);
	}
}

/* Where each top-level smtpserver/lmtpserver block starts and ends, from
 * the text with comments blanked (strip_comments): a session tells its
 * own listener's lines from the others' (line_elsewhere()).  Blocks are
 * found by their keyword, an optional title and '{' at depth 0. */
static void scan_blocks(const char *s)
{
	unsigned line = 1, depth = 0;
	/* the last two tokens at depth 0: a word or a quoted string */
	char tok[2][128] = { "", "" };
	bool open = false;
	size_t cap = 0;

	load.nblocks = 0;
	for (; *s; s++) {
		if (*s == '\n') {
			line++;
		} else if (*s == '"' || *s == '\'') {
			char q = *s, buf[128];
			size_t n = 0;

			for (s++; *s && *s != q; s++) {
				if (*s == '\\' && s[1])
					s++;
				if (*s == '\n')
					line++;
				if (n < sizeof(buf) - 1)
					buf[n++] = *s;
			}
			buf[n] = '\0';
			if (depth == 0) {
				memcpy(tok[0], tok[1], sizeof(tok[0]));
				memcpy(tok[1], buf, sizeof(buf));
			}
			if (!*s)
				break;
		} else if (*s == '{') {
			if (depth++ == 0) {
				const char *kw = strcmp(tok[1], "smtpserver") == 0 || strcmp(tok[1], "lmtpserver") == 0
						 ? tok[1] : tok[0];
				struct block *b;

				if (strcmp(kw, "smtpserver") != 0 && strcmp(kw, "lmtpserver") != 0)
					continue;
				if (load.nblocks == cap) {
					cap = cap ? 2 * cap : 8;
					if (!(b = realloc(load.blocks, cap * sizeof(*b))))
						return;
					load.blocks = b;
				}
				b = &load.blocks[load.nblocks++];
				b->proto = kw[0] == 'l' ? PROTO_LMTP : PROTO_SMTP;
				snprintf(b->title, sizeof(b->title), "%s", kw == tok[1] ? "" : tok[1]);
				b->first = b->last = line;
				open = true;
			}
		} else if (*s == '}') {
			if (depth > 0 && --depth == 0 && open) {
				load.blocks[load.nblocks - 1].last = line;
				open = false;
			}
		} else if (depth == 0 && !isspace((unsigned char)*s)) {
			size_t n = 0;

			memcpy(tok[0], tok[1], sizeof(tok[0]));
			while (s[n] && !isspace((unsigned char)s[n]) && !strchr("{}\"'=,()", s[n]))
				n++;
			if (n == 0)
				n = 1;
			snprintf(tok[1], sizeof(tok[1]), "%.*s", (int)n, s);
			s += n - 1;
		}
	}
	/* a block never closed runs to the end */
	if (open)
		load.blocks[load.nblocks - 1].last = line;
}

static char *read_file(const char *path, int *err_r)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f) {
		*err_r = -errno;
		return NULL;
	}
	FILE *mem = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;

	if (!mem) {
		fclose(f);
		*err_r = -ENOMEM;
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	*err_r = ferror(f) ? -EIO : 0;
	fclose(f);
	fclose(mem);
	if (*err_r < 0 || memchr(buf, '\0', len)) {
		*err_r = *err_r < 0 ? *err_r : -EINVAL;
		free(buf);
		return NULL;
	}
	return buf;
}

static int load_file(const char *path, bool resolve, diag_fn *diag, void *ctx, struct config **cfg_r);

/* config_scope() holds for one load. */
int config_load(const char *path, bool resolve, diag_fn *diag, void *ctx, struct config **cfg_r)
{
	int rc = load_file(path, resolve, diag, ctx, cfg_r);

	load.scoped = false;
	return rc;
}

static int load_file(const char *path, bool resolve, diag_fn *diag, void *ctx, struct config **cfg_r)
{
	cfg_t *cfg;
	struct config *c;
	char *text;
	unsigned open_quote;
	int rc;

	*cfg_r = NULL;
	load.fn = diag;
	load.ctx = ctx;
	load.errors = 0;
	load.resolve = resolve;
	load.path = path;
	load.users_line = 0;
	load.list_opt = NULL;
	load.nblocks = 0;
	load.spool_line = load.mailboxes_line = 0;
	text = read_file(path, &rc);
	if (!text) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s: cannot read: %s", path,
			 rc == -EINVAL ? "contains a NUL byte" : strerror(-rc));
		if (diag)
			diag(ctx, DIAG_ERROR, msg);
		return rc;
	}
	open_quote = strip_comments(text);
	if (open_quote) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s:%u: unterminated string", path, open_quote);
		if (diag)
			diag(ctx, DIAG_ERROR, msg);
		free(text);
		return -EINVAL;
	}
	check_braces(text);
	if (load.scoped || load.user.name)
		scan_blocks(text);
	if (load.user.name && !user_can(path, R_OK)) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s: not readable by user %s", path, load.user.name);
		load.errors++;
		if (diag)
			diag(ctx, DIAG_ERROR, msg);
	}
	{
		char why[256];
		cfg_opt_t *opts = schema(why, sizeof(why));

		if (!opts || why[0]) {
			/* a module breaks the rules of module.h: no load */
			report_line(1, DIAG_ERROR, "%s", why);
			free(text);
			return opts ? -EINVAL : -ENOMEM;
		}
		cfg = cfg_init(opts, CFGF_NONE);
	}
	if (!cfg) {
		free(text);
		return -ENOMEM;
	}
	load.nlines = 0;
	cfg_set_error_function(cfg, cfg_errfn);
	set_validators(cfg);
	rc = cfg_parse_buf(cfg, text);
	free(text);
	/* libconfuse fails some inputs (an empty key: '' = 1) without a word */
	if (rc != CFG_SUCCESS && load.errors == 0)
		error(cfg, "syntax error");
	free(load.list_value);
	load.list_value = NULL;
	load.list_opt = NULL;
	if (rc != CFG_SUCCESS) {
		cfg_free(cfg);
		free(load.blocks);
		load.blocks = NULL;
		load.nblocks = 0;
		return -EINVAL;
	}
	/* converted even after errors, so that the modules report theirs
	 * too: one --check lists every problem */
	c = calloc(1, sizeof(*c));
	rc = c ? convert(cfg, path, c) : -ENOMEM;
	if (rc == 0)
		rc = convert_modules(cfg, c);
	if (rc == 0)
		check_store_user(c);
	cfg_free(cfg);
	free(load.blocks);
	load.blocks = NULL;
	load.nblocks = 0;
	free(load.lines);
	load.lines = NULL;
	load.nlines = load.lines_cap = 0;
	if (rc == 0 && load.errors > 0)
		rc = -EINVAL;
	if (rc < 0) {
		config_free(c);
		return rc;
	}
	warn_plain_passwords(c);
	*cfg_r = c;
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nlisteners; i++) {
		struct listener *l = &c->listeners[i];

		free(l->name);
		free_list(l->bind, l->nbind);
		free(l->tls.certificates);
		free(l->tls.private_key);
		free(l->tls.secret);
		free(l->tls.priority);
		free(l->tls.ticket_key);
		free(l->hello_name);
		netlist_free(&l->authorized);
		free(l->greeting);
		for (size_t k = 0; k < l->nchain; k++)
			if (l->chain[k].mod->free)
				l->chain[k].mod->free(l->chain[k].settings);
		free(l->chain);
		for (size_t k = 0; l->settings && config_modules[k]; k++)
			if (l->settings[k] && config_modules[k]->free)
				config_modules[k]->free(l->settings[k]);
		free(l->settings);
	}
	free(c->listeners);
	for (size_t k = 0; c->settings && config_modules[k]; k++)
		if (c->settings[k] && config_modules[k]->free)
			config_modules[k]->free(c->settings[k]);
	free(c->settings);
	free_list(c->domains, c->ndomains);
	free(c->file);
	free(c->users);
	free(c->aliases);
	free(c->mailboxes);
	free(c->spool);
	free(c->lmtp);
	free(c);
}

const struct listener *config_listener(const struct config *c, enum listener_proto proto,
				       const char *name, char *why, size_t whysize)
{
	const char *kind = proto == PROTO_SMTP ? "smtpserver" : "lmtpserver";
	const struct listener *found = NULL;
	size_t enabled = 0, n = 0;

	for (size_t i = 0; i < c->nlisteners; i++) {
		const struct listener *l = &c->listeners[i];

		if (l->proto != proto)
			continue;
		if (name && strcmp(l->name, name) == 0) {
			if (!l->enabled) {
				snprintf(why, whysize, "%s \"%s\" is not enabled", kind, name);
				return NULL;
			}
			return l;
		}
		if (!name && l->enabled) {
			enabled++;
			found = l;
		}
	}
	if (name) {
		snprintf(why, whysize, "no %s \"%s\" in %s", kind, name, c->file);
		return NULL;
	}
	if (enabled == 1)
		return found;
	if (enabled == 0) {
		snprintf(why, whysize, "no enabled %s block in %s", kind, c->file);
		return NULL;
	}
	n = (size_t)snprintf(why, whysize, "%zu enabled %s blocks, choose one with -s:", enabled, kind);
	for (size_t i = 0; i < c->nlisteners && n < whysize; i++)
		if (c->listeners[i].proto == proto && c->listeners[i].enabled)
			n += (size_t)snprintf(why + n, whysize - n, " %s", c->listeners[i].name);
	return NULL;
}

bool config_is_local_domain(const struct config *c, const char *domain)
{
	for (size_t i = 0; i < c->ndomains; i++)
		if (strcasecmp(c->domains[i], domain) == 0)
			return true;
	return false;
}
