/* test-config.c — the configuration loader (config/config.h).
 *
 *   test-config BADDIR
 *
 * Good configurations load with the documented defaults (smtpd.conf(5)),
 * the contract file loads without errors, config_listener() picks the
 * listener as smtpd -s does, and every BADDIR/NAME.conf fails with exactly
 * the lines in BADDIR/NAME.expected ("FILE:LINE: message", FILE as
 * passed) — from config_load() and from `$SMTPD -c NAME.conf --check`,
 * which must also exit 78 (EX_CONFIG).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain.h"
#include "tap.h"
#include "testutil.h"

#define EX_CONFIG 78

/* Collected diagnostics, one per line. */
struct diags {
	char *text;
	size_t len;
	FILE *f;
	unsigned errors, warnings;
};

static void collect(void *ctx, enum diag_level level, const char *msg)
{
	struct diags *d = ctx;

	if (level == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	fprintf(d->f, "%s\n", msg);
}

static void diags_open(struct diags *d)
{
	memset(d, 0, sizeof(*d));
	d->f = open_memstream(&d->text, &d->len);
	if (!d->f)
		abort();
}

static void diags_close(struct diags *d)
{
	fclose(d->f);
	d->f = NULL;
}

static int load(const char *path, bool resolve, struct diags *d, struct config **cfg_r)
{
	int rc;

	diags_open(d);
	rc = config_load(path, resolve, collect, d, cfg_r);
	diags_close(d);
	return rc;
}

static const char *srcdir(void)
{
	const char *s = getenv("SRCDIR");

	return s && *s ? s : "..";
}

static bool peer_matches(const struct netlist *l, const char *text)
{
	struct netaddr a;

	return netaddr_parse(text, &a) && netlist_match(l, &a);
}

static const struct listener *find(const struct config *c, enum listener_proto proto, const char *name)
{
	for (size_t i = 0; i < c->nlisteners; i++)
		if (c->listeners[i].proto == proto && strcmp(c->listeners[i].name, name) == 0)
			return &c->listeners[i];
	return NULL;
}

/* A block with nothing set gets the defaults smtpd.conf(5) documents. */
static void defaults(const char *dir)
{
	char *path = write_file(dir, "minimal.conf", "smtpserver \"s\" { }\nlmtpserver \"l\" { }\n");
	struct config *c = NULL;
	struct diags d;
	int rc = load(path, false, &d, &c);
	const struct listener *s, *l;

	is_int(rc, 0, "minimal config loads");
	is_str(d.text, "", "minimal config: no diagnostics");
	free(d.text);
	if (rc != 0) {
		free(path);
		return;
	}
	is_str(c->file, path, "config file name kept as passed");
	is_int(c->ndomains, 0, "no domains by default");
	ok(c->users == NULL && c->aliases == NULL && c->lmtp == NULL, "users, aliases, lmtp unset by default");
	is_str(c->mailboxes, "/var/mail/vhosts/%d/%n", "mailboxes default /var/mail/vhosts/%%d/%%n (the store tmpfiles.d makes)");
	is_str(c->spool, "/var/spool/smtpd", "spool default /var/spool/smtpd");
	is_int(c->nlisteners, 2, "two listeners");
	s = find(c, PROTO_SMTP, "s");
	l = find(c, PROTO_LMTP, "l");
	if (!ok(s && l, "smtpserver \"s\" and lmtpserver \"l\" present")) {
		config_free(c);
		free(path);
		return;
	}
	is_str(s->hello_name, "localhost", "helloName default localhost");
	is_int(s->timeout, 360, "connectionTimeout default 360");
	is_int(s->max_kb, 0, "maxmessagesize default 0 (no limit)");
	ok(s->helo_enforce, "heloEhloEnforcement default true for smtpserver");
	ok(s->brackets_enforce, "addressBracketsEnforcement default true for smtpserver");
	ok(!l->helo_enforce, "heloEhloEnforcement default false for lmtpserver");
	ok(!l->brackets_enforce, "addressBracketsEnforcement default false for lmtpserver");
	ok(s->verify_identity && l->verify_identity, "verifyIdentity default true");
	is_int(s->auth, AUTH_FALSE, "authRequired default false");
	ok(s->enabled && l->enabled, "enabled default true");
	is_int(s->backlog, 200, "connectBacklog default 200");
	ok(s->conn_limit == 0 && s->conn_limit_per_ip == 0, "connection limits default 0");
	is_int(s->nbind, 0, "no bind addresses by default");
	ok(!s->tls.socket_tls && !s->tls.start_tls && !s->tls.required && !s->tls.certificates
	   && !s->tls.private_key, "TLS off by default");
	ok(!s->greeting || !*s->greeting, "smtpGreeting default empty (generated)");
	is_int(s->nchain, 0, "empty handlerchain by default");
	ok(peer_matches(&s->authorized, "127.0.0.1") && peer_matches(&s->authorized, "127.1.2.3")
	   && peer_matches(&s->authorized, "::1"), "authorizedAddresses default 127.0.0.0/8 and ::1");
	ok(!peer_matches(&s->authorized, "10.0.0.1") && !peer_matches(&s->authorized, "::2"),
	   "authorizedAddresses default excludes others");
	ok(!config_is_local_domain(c, "localhost"), "no local domains");
	config_free(c);
	free(path);
}

static void full(const char *dir)
{
	char *path = write_file(dir, "full.conf",
		"domains = { \"Example.ORG\", \"example.net\" }\n"
		"users = \"/dev/null\"\n"
		"aliases = \"/dev/null\"\n"
		"mailboxes = \"/srv/mail/%d/%n\"\n"
		"spool = \"/srv/spool\"\n"
		"lmtp = \"unix:/run/dovecot/lmtp\"\n"
		"smtpserver \"mx\" {\n"
		"  bind = { \"0.0.0.0:25\", \"[::]:25\", \"/run/smtpd.sock\" }\n"
		"  connectBacklog = 50\n"
		"  tls { startTLS = true  required = true  certificates = \"/dev/null\"  privateKey = \"/dev/null\"\n"
		"        priority = \"NORMAL\" }\n"
		"  handler {\n"
		"    helloName = \"mx.example.org\"\n"
		"    connectionTimeout = 30\n"
		"    connectionLimit = 10\n"
		"    connectionLimitPerIP = 2\n"
		"    authRequired = announce\n"
		"    authorizedAddresses = { \"192.168.0.0/16\" }\n"
		"    verifyIdentity = false\n"
		"    maxmessagesize = 10240\n"
		"    smtpGreeting = \"Welcome\"\n"
		"    handlerchain {\n"
		"      handler \"ValidRcptHandler\" { }\n"
		"      handler \"MaxRcptHandler\" { maxRcpt = 100 }\n"
		"    }\n"
		"  }\n"
		"}\n"
		"smtpserver \"submission\" {\n"
		"  enabled = false\n"
		"  handler { authRequired = TRUE  authorizedAddresses = { }  heloEhloEnforcement = false\n"
		"            addressBracketsEnforcement = false  helloNameAutodetect = true }\n"
		"}\n"
		"lmtpserver \"lmtp\" {\n"
		"  handler { heloEhloEnforcement = true  addressBracketsEnforcement = true }\n"
		"}\n");
	struct config *c = NULL;
	struct diags d;
	int rc = load(path, false, &d, &c);
	const struct listener *mx, *sub, *lm;
	char host[256];

	is_int(rc, 0, "full config loads");
	/* the one warning: AUTH on a listener without TLS */
	ok(d.text && strstr(d.text, "full.conf:32: warning: smtpserver \"submission\": authRequired = TRUE without TLS")
	   && strchr(d.text, '\n') == d.text + strlen(d.text) - 1, "full config: only the cleartext AUTH warning");
	free(d.text);
	if (rc != 0) {
		free(path);
		return;
	}
	ok(c->ndomains == 2 && strcmp(c->domains[0], "example.org") == 0
	   && strcmp(c->domains[1], "example.net") == 0, "domains lower-cased, in order");
	ok(config_is_local_domain(c, "example.org") && config_is_local_domain(c, "EXAMPLE.NET"),
	   "config_is_local_domain: case-insensitive");
	ok(!config_is_local_domain(c, "example.com") && !config_is_local_domain(c, "sub.example.org"),
	   "config_is_local_domain: others are not local");
	is_str(c->users, "/dev/null", "users");
	is_str(c->mailboxes, "/srv/mail/%d/%n", "mailboxes");
	is_str(c->spool, "/srv/spool", "spool");
	is_str(c->lmtp, "unix:/run/dovecot/lmtp", "lmtp");
	mx = find(c, PROTO_SMTP, "mx");
	sub = find(c, PROTO_SMTP, "submission");
	lm = find(c, PROTO_LMTP, "lmtp");
	if (!ok(mx && sub && lm, "three listeners")) {
		config_free(c);
		free(path);
		return;
	}
	ok(mx->nbind == 3 && strcmp(mx->bind[1], "[::]:25") == 0 && strcmp(mx->bind[2], "/run/smtpd.sock") == 0,
	   "bind list");
	is_int(mx->backlog, 50, "connectBacklog");
	ok(mx->tls.start_tls && mx->tls.required && !mx->tls.socket_tls, "tls flags");
	ok(mx->tls.certificates && strcmp(mx->tls.certificates, "/dev/null") == 0 && mx->tls.priority
	   && strcmp(mx->tls.priority, "NORMAL") == 0, "tls files and priority");
	is_str(mx->hello_name, "mx.example.org", "helloName");
	is_int(mx->timeout, 30, "connectionTimeout");
	ok(mx->conn_limit == 10 && mx->conn_limit_per_ip == 2, "connection limits");
	is_int(mx->auth, AUTH_ANNOUNCE, "authRequired announce");
	is_int(sub->auth, AUTH_TRUE, "authRequired TRUE (any case)");
	ok(peer_matches(&mx->authorized, "192.168.7.7") && !peer_matches(&mx->authorized, "127.0.0.1"),
	   "authorizedAddresses replaces the default");
	is_int(sub->authorized.n, 0, "authorizedAddresses = { } is empty");
	ok(!mx->verify_identity, "verifyIdentity false");
	is_int(mx->max_kb, 10240, "maxmessagesize");
	is_str(mx->greeting, "Welcome", "smtpGreeting");
	/* (MaxRcptHandler's settings are a struct whose first member is
	 * the limit, a long: handlers/chain/maxrcpt.c) */
	ok(mx->nchain == 2 && mx->chain[0].mod == &chain_lookup("ValidRcptHandler")->conf
	   && mx->chain[1].mod == &chain_lookup("MaxRcptHandler")->conf
	   && mx->chain[1].settings && *(const long *)mx->chain[1].settings == 100
	   && !mx->chain[0].settings, "handlerchain in order with maxRcpt");
	ok(!sub->enabled, "enabled = false");
	ok(!sub->helo_enforce && !sub->brackets_enforce, "enforcement turned off on smtpserver");
	ok(lm->helo_enforce && lm->brackets_enforce, "enforcement turned on on lmtpserver");
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		is_str(sub->hello_name, host, "helloNameAutodetect uses the host name");
	} else {
		ok(false, "gethostname");
	}
	config_free(c);
	free(path);
}

/* Comments are blanked before libconfuse sees them: line numbers stay
 * exact and quoted '#' or '//' survive. */
static void comments(const char *dir)
{
	char *path = write_file(dir, "comments.conf",
		"# hash comment\n"
		"// slash comment\n"
		"/* block\n"
		"   comment */ domains = { \"a.example\", # inside a list\n"
		"  \"b.example\" /* here too */ }\n"
		"smtpserver \"s\" {\n"
		"  handler { smtpGreeting = \"ESMTP #1 // /* not comments */\"  helloName = 'x.example' }\n"
		"}\n");
	struct config *c = NULL;
	struct diags d;
	int rc = load(path, false, &d, &c);

	is_int(rc, 0, "config with comments everywhere loads");
	is_str(d.text, "", "  no diagnostics");
	free(d.text);
	if (rc == 0) {
		is_int(c->ndomains, 2, "  list with comments inside has both values");
		is_str(c->listeners[0].greeting, "ESMTP #1 // /* not comments */", "  quoted comment markers kept");
		is_str(c->listeners[0].hello_name, "x.example", "  single-quoted string");
	}
	config_free(c);
	free(path);
}

/* config_scope(): another listener's block cannot fail this one; block
 * boundaries found past comments, quoted braces and bare or single-quoted
 * titles. */
static void scoped(const char *dir)
{
	char *path = write_file(dir, "scoped.conf",
		"domains = { \"a.example\" }\n"
		"/* smtpserver \"y\" { */\n"
		"smtpserver x {\n"
		"  bind = { \"bad-x\" }\n"
		"  handler { smtpGreeting = \"} lmtpserver \\\"l\\\" {\" }\n"
		"}\n"
		"smtpserver 'y' {\n"
		"  bind = { \"bad-y\" }\n"
		"}\n"
		"lmtpserver \"l\" {\n"
		"  bind = { \"bad-l\" }\n"
		"}\n");
	static const struct {
		bool scope;
		enum listener_proto proto;
		const char *name;
		unsigned errors, warnings;
		const char *error_line;
	} cases[] = {
		{ true, PROTO_SMTP, "y", 1, 2, ":8: bind: 'bad-y'" },
		{ true, PROTO_SMTP, "x", 1, 2, ":4: bind: 'bad-x'" },
		{ true, PROTO_LMTP, NULL, 1, 2, ":11: bind: 'bad-l'" },
		{ false, PROTO_SMTP, NULL, 3, 0, ":8: bind: 'bad-y'" },
		/* the scope held for one load only */
		{ false, PROTO_SMTP, NULL, 3, 0, ":4: bind: 'bad-x'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *c = NULL;
		struct diags d;
		int rc;

		if (cases[i].scope)
			config_scope(cases[i].proto, cases[i].name);
		rc = load(path, false, &d, &c);
		ok(rc == -EINVAL && d.errors == cases[i].errors && d.warnings == cases[i].warnings,
		   "scope %zu: %u errors, %u warnings (got %u, %u)", i, cases[i].errors, cases[i].warnings,
		   d.errors, d.warnings);
		ok(d.text && strstr(d.text, cases[i].error_line) && !strstr(d.text, "warning: no such"),
		   "  the error is the listener's own: %s", cases[i].error_line);
		if (cases[i].warnings)
			ok(d.text && strstr(d.text, "warning: bind:"), "  the others' errors are warnings");
		free(d.text);
		config_free(c);
	}
	free(path);
}

static void file_errors(const char *dir)
{
	struct config *c = (struct config *)1;
	struct diags d;
	char *missing, *nul, *warn, *want;
	int rc;
	FILE *f;

	if (asprintf(&missing, "%s/does-not-exist.conf", dir) < 0 || asprintf(&nul, "%s/nul.conf", dir) < 0)
		abort();
	rc = load(missing, false, &d, &c);
	is_int(rc, -ENOENT, "missing file: -ENOENT");
	ok(c == NULL, "missing file: no config returned");
	if (asprintf(&want, "%s: cannot read: No such file or directory\n", missing) < 0)
		abort();
	is_str(d.text, want, "missing file: 'FILE: cannot read: ...'");
	free(want);
	free(d.text);

	f = fopen(nul, "w");
	fwrite("domains = { \"a\" }\n\0\n", 1, 20, f);
	fclose(f);
	rc = load(nul, false, &d, &c);
	is_int(rc, -EINVAL, "file with a NUL byte: -EINVAL");
	if (asprintf(&want, "%s: cannot read: contains a NUL byte\n", nul) < 0)
		abort();
	is_str(d.text, want, "file with a NUL byte: reported");
	free(want);
	free(d.text);

	rc = load(dir, false, &d, &c);
	ok(rc < 0 && c == NULL && d.errors == 1, "a directory is not a config file");
	free(d.text);

	warn = write_file(dir, "warn.conf", "users = \"/nonexistent/smtpd-unit/users\"\nsmtpserver \"s\" { }\n");
	rc = load(warn, false, &d, &c);
	is_int(rc, 0, "a missing users file is only a warning: loads");
	ok(d.errors == 0 && d.warnings == 1, "  one warning, no error");
	if (asprintf(&want, "%s:1: warning: users file /nonexistent/smtpd-unit/users does not exist\n", warn) < 0)
		abort();
	is_str(d.text, want, "  warning text");
	free(want);
	free(d.text);
	config_free(c);
	config_free(NULL);

	free(missing);
	free(nul);
	free(warn);
}

static void contract(void)
{
	char *path;
	struct config *c = NULL;
	struct diags d;
	const struct listener *l;
	char why[512], small[24], *want;
	int rc;

	if (asprintf(&path, "%s/config/smtpd.conf.contract", srcdir()) < 0)
		abort();
	rc = load(path, false, &d, &c);
	is_int(rc, 0, "config/smtpd.conf.contract loads (resolve=false)");
	is_int(d.errors, 0, "contract: 0 errors");
	free(d.text);
	if (rc != 0) {
		free(path);
		return;
	}
	is_int(c->nlisteners, 4, "contract: four listeners");
	ok(c->ndomains == 2 && config_is_local_domain(c, "example.org") && config_is_local_domain(c, "example.net"),
	   "contract: domains");

	/* config_listener: what smtpd -s NAME / lmtpd -s NAME select */
	l = config_listener(c, PROTO_SMTP, NULL, why, sizeof(why));
	ok(l == NULL, "contract: three enabled smtpserver blocks, none chosen without -s");
	is_str(why, "3 enabled smtpserver blocks, choose one with -s: smtp submission smtps",
	       "  the error names the choices");
	l = config_listener(c, PROTO_SMTP, NULL, small, sizeof(small));
	ok(l == NULL && strlen(small) < sizeof(small), "  a short buffer truncates safely");
	l = config_listener(c, PROTO_SMTP, "submission", why, sizeof(why));
	ok(l && strcmp(l->name, "submission") == 0 && l->auth == AUTH_TRUE && l->authorized.n == 0,
	   "by name: submission (authRequired, no authorized addresses)");
	l = config_listener(c, PROTO_SMTP, "smtp", why, sizeof(why));
	ok(l && l->nchain == 2 && *(const long *)l->chain[1].settings == 100 && l->tls.start_tls
	   && strcmp(l->hello_name, "mx.example.org") == 0, "by name: smtp, as written");
	l = config_listener(c, PROTO_SMTP, "smtps", why, sizeof(why));
	ok(l && l->tls.socket_tls && !l->tls.start_tls, "by name: smtps (implicit TLS)");
	l = config_listener(c, PROTO_SMTP, "nope", why, sizeof(why));
	if (asprintf(&want, "no smtpserver \"nope\" in %s", path) < 0)
		abort();
	ok(l == NULL, "unknown name: none");
	is_str(why, want, "  error names the file");
	free(want);
	l = config_listener(c, PROTO_SMTP, "lmtp", why, sizeof(why));
	ok(l == NULL, "an lmtpserver name does not select an smtpserver");
	l = config_listener(c, PROTO_LMTP, NULL, why, sizeof(why));
	if (asprintf(&want, "no enabled lmtpserver block in %s", path) < 0)
		abort();
	ok(l == NULL, "lmtp: the only lmtpserver is disabled");
	is_str(why, want, "  error says so");
	free(want);
	l = config_listener(c, PROTO_LMTP, "lmtp", why, sizeof(why));
	ok(l == NULL, "lmtp by name: disabled");
	is_str(why, "lmtpserver \"lmtp\" is not enabled", "  error says it is not enabled");
	l = find(c, PROTO_LMTP, "lmtp");
	ok(l && l->timeout == 1200 && !l->helo_enforce && !l->brackets_enforce && l->nbind == 2,
	   "contract lmtp block: timeout 1200, LMTP enforcement defaults off");
	config_free(c);
	free(path);
}

static void selection(const char *dir)
{
	char *path = write_file(dir, "select.conf",
		"smtpserver \"a\" { enabled = false }\n"
		"smtpserver \"b\" { }\n"
		"lmtpserver \"l\" { }\n");
	struct config *c = NULL;
	struct diags d;
	const struct listener *l;
	char why[256];

	if (load(path, false, &d, &c) != 0) {
		ok(false, "select.conf loads: %s", d.text);
		free(d.text);
		free(path);
		return;
	}
	free(d.text);
	l = config_listener(c, PROTO_SMTP, NULL, why, sizeof(why));
	ok(l && strcmp(l->name, "b") == 0, "the only enabled smtpserver is chosen");
	l = config_listener(c, PROTO_LMTP, NULL, why, sizeof(why));
	ok(l && strcmp(l->name, "l") == 0 && l->proto == PROTO_LMTP, "the only lmtpserver is chosen");
	l = config_listener(c, PROTO_SMTP, "a", why, sizeof(why));
	ok(l == NULL && strcmp(why, "smtpserver \"a\" is not enabled") == 0, "a disabled one by name: refused");
	config_free(c);
	free(path);
}

/* Values that must load: the bad-config suite holds their wrong twins. */
static void good_values(const char *dir)
{
	static const char *const rows[] = {
		"lmtp = \"127.0.0.1:24\"",
		"lmtp = \"[::1]:24\"",
		"lmtp = \"lmtp.example.org:2424\"",
		"lmtp = \"unix:/run/dovecot/lmtp\"",
		"lmtp = \"\"",
		"mailboxes = \"/var/mail/%u\"",
		"mailboxes = \"/var/mail/%d/%n/Maildir\"",
		"mailboxes = \"/var/mail/%%literal/%n\"",
		"domains = { \"b\xc3\xbc" "cher.example\", \"xn--bcher-kva.example\" }",
		"smtpserver \"x\" { bind = { \"[::]:25\", \"0.0.0.0:25\", \"/run/smtpd/smtp.sock\" } }",
		"smtpserver \"x\" { handler { helloName = \"[192.0.2.1]\" } }",
		"smtpserver \"x\" { handler { authorizedAddresses = { \"10.*\", \"192.168.0.0/255.255.0.0\", \"2001:db8::/32\" } } }",
		"smtpserver \"x\" { tls { socketTLS = true  certificates = \"/dev/null\"  privateKey = \"/dev/null\" } }",
		"smtpserver \"x\" { handler { handlerchain { handler \"MaxRcptHandler\" { maxRcpt = 100 } } } }",
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char *text, *path;
		struct config *c = NULL;
		struct diags d;
		int rc;

		if (asprintf(&text, "%s\n", rows[i]) < 0)
			abort();
		path = write_file(dir, "value.conf", text);
		rc = load(path, false, &d, &c);
		if (!ok(rc == 0 && d.errors == 0 && d.warnings == 0, "loads: %s", rows[i]))
			diag("  %s", d.text);
		free(d.text);
		config_free(c);
		free(path);
		free(text);
	}
}

/* ---- the bad-config suite ------------------------------------------------ */

static int conf_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 5 && strcmp(e->d_name + n - 5, ".conf") == 0;
}

static int expected_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 9 && strcmp(e->d_name + n - 9, ".expected") == 0;
}

/* Runs $SMTPD -c @name --check in the current directory; returns its
 * exit status (or -1) and its stderr in *@err_r, stdout in *@out_r. */
static int run_check(const char *smtpd, const char *name, char **out_r, char **err_r)
{
	char outp[] = "/tmp/smtpd-unit-out-XXXXXX", errp[] = "/tmp/smtpd-unit-err-XXXXXX";
	int outfd = mkstemp(outp), errfd = mkstemp(errp), status = -1;
	pid_t pid;

	*out_r = *err_r = NULL;
	if (outfd < 0 || errfd < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int nullfd = open("/dev/null", O_RDONLY);

		dup2(nullfd, 0);
		dup2(outfd, 1);
		dup2(errfd, 2);
		execl(smtpd, smtpd, "-c", name, "--check", (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	else
		status = -1;
	close(outfd);
	close(errfd);
	*out_r = slurp(outp, NULL);
	*err_r = slurp(errp, NULL);
	unlink(outp);
	unlink(errp);
	return status;
}

static void bad_suite(const char *dir)
{
	struct dirent **confs = NULL, **exps = NULL;
	const char *smtpd = getenv("SMTPD");
	char *cwd = getcwd(NULL, 0);
	int n, m;

	if (!ok(dir && chdir(dir) == 0, "bad-config directory %s", dir ? dir : "(none)")) {
		free(cwd);
		return;
	}
	ok(smtpd && *smtpd && access(smtpd, X_OK) == 0, "SMTPD names the smtpd binary (%s)", smtpd ? smtpd : "unset");
	n = scandir(".", &confs, conf_filter, alphasort);
	m = scandir(".", &exps, expected_filter, alphasort);
	ok(n >= 20, "bad-config suite has %d files", n);
	is_int(m, n, "one .expected per .conf");
	for (int i = 0; i < m; i++) {
		char conf[256];

		snprintf(conf, sizeof(conf), "%.*s.conf", (int)(strlen(exps[i]->d_name) - 9), exps[i]->d_name);
		if (access(conf, F_OK) != 0)
			ok(false, "%s has no %s", exps[i]->d_name, conf);
		free(exps[i]);
	}
	free(exps);
	for (int i = 0; i < n; i++) {
		const char *name = confs[i]->d_name;
		char expname[256], *want, *out, *err;
		struct config *c = (struct config *)1;
		struct diags d;
		int rc, status;

		snprintf(expname, sizeof(expname), "%.*s.expected", (int)(strlen(name) - 5), name);
		want = slurp(expname, NULL);
		if (!ok(want != NULL, "%s: has %s", name, expname)) {
			free(confs[i]);
			continue;
		}
		/* resolve=true as --check does; no entry here needs DNS */
		rc = load(name, true, &d, &c);
		ok(rc < 0 && c == NULL && d.errors > 0, "%s: config_load fails (%d)", name, rc);
		is_str(d.text, want, "%s: config_load diagnostics exact", name);
		free(d.text);

		if (smtpd && *smtpd) {
			status = run_check(smtpd, name, &out, &err);
			is_int(status, EX_CONFIG, "%s: smtpd --check exits 78", name);
			is_str(err, want, "%s: smtpd --check prints the same lines", name);
			is_str(out, "", "%s: smtpd --check prints nothing on stdout", name);
			free(out);
			free(err);
		}
		free(want);
		free(confs[i]);
	}
	free(confs);
	if (cwd && chdir(cwd) != 0)
		diag("cannot return to %s", cwd);
	free(cwd);
}

/* --check on a good file prints "FILE: OK (N warnings)" and exits 0. */
static void good_check(const char *dir)
{
	const char *smtpd = getenv("SMTPD");
	char *path = write_file(dir, "check-ok.conf", "smtpserver \"s\" { }\n"), *out, *err, *want;
	char *cwd = getcwd(NULL, 0);
	int status;

	if (!smtpd || !*smtpd || !cwd || chdir(dir) != 0) {
		ok(false, "smtpd --check on a good file: SMTPD set and scratch dir usable");
		free(path);
		free(cwd);
		return;
	}
	status = run_check(smtpd, "check-ok.conf", &out, &err);
	is_int(status, 0, "smtpd --check on a good file exits 0");
	if (asprintf(&want, "check-ok.conf: OK (0 warnings)\n") < 0)
		abort();
	is_str(err, want, "  and says OK");
	free(want);
	free(out);
	free(err);
	if (chdir(cwd) != 0)
		diag("cannot return to %s", cwd);
	free(cwd);
	free(path);
}

int main(int argc, char **argv)
{
	char *dir = scratch_dir("config");
	char *bad = NULL;

	if (argc > 1)
		bad = strdup(argv[1]);
	else if (asprintf(&bad, "%s/tests/configs/bad", srcdir()) < 0)
		bad = NULL;
	defaults(dir);
	full(dir);
	comments(dir);
	scoped(dir);
	file_errors(dir);
	contract();
	selection(dir);
	good_values(dir);
	good_check(dir);
	bad_suite(bad);
	scratch_remove(dir);
	free(dir);
	free(bad);
	return done();
}
