/* test-policy.c — recipient resolution and relay policy (handlers/policy.h)
 * over the users and aliases files (config/userdb.h), with a config made
 * by config_load() from a scratch file.
 */
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"
#include "testutil.h"
#include "userdb.h"

static const char users_text[] =
	"# users: Dovecot passwd-file\n"
	"alice@example.org:{PLAIN}secret:1000:1000::/home/alice::\n"
	"bob@example.org:{PLAIN}x\n"
	"\n"
	"   # indented comment\n"
	"carol:{PLAIN}y\n"
	"Dave@Example.ORG:{PLAIN}z\n"
	"eve@example.org:{PLAIN}e\n"
	"frank@example.org:{PLAIN}f\r\n"
	"# ghost@example.org:{PLAIN}commented-out\n";

static const char aliases_text[] =
	"# aliases\n"
	"team@example.org: alice@example.org, bob@remote.test\n"
	"all@example.org: team@example.org, carol@example.org\n"
	"loop1@example.org: loop2@example.org\n"
	"loop2@example.org: loop1@example.org\n"
	"eve@example.org: eve@example.org, eve@remote.test\n"
	"dup@example.org: alice@example.org, ALICE@example.org, team@example.org, <alice@example.org>\n"
	"sales: alice@example.org\n"
	"Sales@Example.NET: bob@example.org\n"
	"ghost@example.org: nobody@example.org\n"
	"quoted@example.org: \"john doe\"@remote.test\n"
	"broken@example.org: not-an-address, , alice@example.org\n"
	"tagged@example.org: alice+tag@example.org\n"
	"remote@example.org: x@Remote.Test\n"
	"d1@example.org: d2@example.org\n"
	"d2@example.org: d3@example.org\n"
	"d3@example.org: d4@example.org\n"
	"d4@example.org: d5@example.org\n"
	"d5@example.org: alice@example.org\n"
	"e1@example.org: e2@example.org\n"
	"e2@example.org: e3@example.org\n"
	"e3@example.org: e4@example.org\n"
	"e4@example.org: e5@example.org\n"
	"e5@example.org: e6@example.org\n"
	"e6@example.org: e7@example.org\n"
	"e7@example.org: e8@example.org\n"
	"e8@example.org: e9@example.org\n"
	"e9@example.org: e10@example.org\n"
	"e10@example.org: e11@example.org\n"
	"e11@example.org: e12@example.org\n"
	"e12@example.org: alice@example.org\n"
	"this line has no colon\n"
	": empty name\n";

static const char *resolve_name(enum resolve_result r)
{
	switch (r) {
	case RESOLVE_OK: return "OK";
	case RESOLVE_UNKNOWN: return "UNKNOWN";
	case RESOLVE_LOOP: return "LOOP";
	case RESOLVE_TOO_MANY: return "TOO_MANY";
	case RESOLVE_TEMPFAIL: return "TEMPFAIL";
	}
	return "?";
}

/* The set as "addr(L|R) addr(L|R) ...", in order. */
static void set_text(const struct target_set *set, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < set->n && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s(%c)", i ? " " : "", set->v[i].addr,
				      set->v[i].local ? 'L' : 'R');
}

static struct config *make_config(const char *dir, const char *name, const char *users)
{
	char *text, *path;
	struct config *c = NULL;

	if (asprintf(&text, "domains = { \"example.org\", \"Example.NET\" }\n"
		     "%s%s%s"
		     "mailboxes = \"%s/mail/%%d/%%n\"\n"
		     "smtpserver \"s\" { }\n",
		     users ? "users = \"" : "", users ? users : "", users ? "\"\n" : "", dir) < 0)
		abort();
	path = write_file(dir, name, text);
	if (config_load(path, false, NULL, NULL, &c) != 0)
		c = NULL;
	free(text);
	free(path);
	return c;
}

struct resolve_case {
	const char *rcpt;	/* as in RCPT TO:<...> */
	enum resolve_result want;
	const char *targets;	/* set_text() of the result */
};

static void check_resolve(const char *label, const struct config *c, const struct aliases *al,
			  const struct resolve_case *rc)
{
	struct mailbox mb;
	const char *params;
	struct target_set set = { 0 };
	char text[4096];
	enum resolve_result r;

	if (address_parse_path(rc->rcpt, ADDR_FORWARD, true, &mb, &params) != ADDR_OK) {
		ok(false, "%s %s: parses", label, rc->rcpt);
		return;
	}
	r = policy_resolve(c, al, NULL, &mb, &set);
	set_text(&set, text, sizeof(text));
	if (is_str(resolve_name(r), resolve_name(rc->want), "%s %s: %s", label, rc->rcpt, resolve_name(rc->want))
	    && rc->targets)
		is_str(text, rc->targets, "%s %s: targets", label, rc->rcpt);
	target_set_free(&set);
	{
		/* the same through the users index a session keeps */
		struct userdb_index ix = { 0 };
		char itext[4096];
		enum resolve_result ir = policy_resolve(c, al, &ix, &mb, &set);

		set_text(&set, itext, sizeof(itext));
		ok(ir == r && strcmp(itext, text) == 0, "%s %s: same through the users index", label, rc->rcpt);
		target_set_free(&set);
		userdb_index_free(&ix);
	}
}

static const struct resolve_case with_aliases[] = {
	/* users */
	{ "<alice@example.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<Alice@EXAMPLE.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<alice+news@example.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<alice+a+b@example.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<bob@example.org>", RESOLVE_OK, "bob@example.org(L)" },
	{ "<frank@example.org>", RESOLVE_OK, "frank@example.org(L)" },
	{ "<dave@example.org>", RESOLVE_OK, "dave@example.org(L)" },
	{ "<carol@example.org>", RESOLVE_OK, "carol@example.org(L)" },
	{ "<carol@example.net>", RESOLVE_OK, "carol@example.net(L)" },
	{ "<alice@example.net>", RESOLVE_UNKNOWN, "" },
	{ "<nobody@example.org>", RESOLVE_UNKNOWN, "" },
	{ "<ghost@example.org>", RESOLVE_UNKNOWN, "" },
	{ "<+tag@example.org>", RESOLVE_UNKNOWN, "" },
	{ "<carolyn@example.org>", RESOLVE_UNKNOWN, "" },
	/* aliases */
	{ "<team@example.org>", RESOLVE_OK, "alice@example.org(L) bob@remote.test(R)" },
	{ "<team+x@example.org>", RESOLVE_OK, "alice@example.org(L) bob@remote.test(R)" },
	{ "<all@example.org>", RESOLVE_OK, "alice@example.org(L) bob@remote.test(R) carol@example.org(L)" },
	{ "<loop1@example.org>", RESOLVE_LOOP, "" },
	{ "<eve@example.org>", RESOLVE_OK, "eve@example.org(L) eve@remote.test(R)" },
	{ "<dup@example.org>", RESOLVE_OK, "alice@example.org(L) bob@remote.test(R)" },
	{ "<sales@example.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<sales@example.net>", RESOLVE_OK, "bob@example.org(L)" },
	{ "<quoted@example.org>", RESOLVE_OK, "\"john doe\"@remote.test(R)" },
	{ "<broken@example.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<tagged@example.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<remote@example.org>", RESOLVE_OK, "x@remote.test(R)" },
	{ "<d1@example.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<e1@example.org>", RESOLVE_LOOP, "" },
	/* postmaster with an alias for it */
	{ "<Postmaster>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<postmaster@example.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<PostMaster@example.net>", RESOLVE_OK, "alice@example.org(L)" },
};

static const struct resolve_case without_aliases[] = {
	{ "<alice@example.org>", RESOLVE_OK, "alice@example.org(L)" },
	{ "<team@example.org>", RESOLVE_UNKNOWN, "" },
	{ "<Postmaster>", RESOLVE_OK, "postmaster@example.org(L)" },
	{ "<postmaster@example.org>", RESOLVE_OK, "postmaster@example.org(L)" },
	{ "<postmaster@example.net>", RESOLVE_OK, "postmaster@example.org(L)" },
};

static void diag_collect(void *ctx, const char *msg)
{
	FILE *f = ctx;

	fprintf(f, "%s\n", msg);
}

/* userdb_lookup answers as userdb_find does, and reads the file again
 * when it is replaced or rewritten. */
static void users_index(const char *users, const char *dir)
{
	static const struct {
		const char *address;
		bool local;
	} q[] = {
		{ "alice@example.org", true }, { "ALICE@Example.ORG", false }, { "dave@example.org", true },
		{ "carol@example.net", true }, { "carol@evil.example", false }, { "carol", false },
		{ "alice@example.net", true }, { "carolyn@example.org", true }, { "ghost@example.org", true },
		{ "frank@example.org", true }, { "nobody@example.org", true }, { "\"a@b\"@example.org", true },
	};
	struct userdb_index ix = { 0 };
	char *path, *tmp, *missing;

	/* the scans before the index is built, then every query through it */
	for (int i = 0; i < USERDB_SCANS_BEFORE_INDEX; i++)
		userdb_lookup(&ix, users, "alice@example.org", true);
	ok(!ix.loaded, "users index: not built for the first %d lookups", USERDB_SCANS_BEFORE_INDEX);
	for (size_t i = 0; i < ARRAY_SIZE(q); i++)
		is_int(userdb_lookup(&ix, users, q[i].address, q[i].local),
		       userdb_find(users, q[i].address, q[i].local, NULL, 0), "users index: %s as userdb_find", q[i].address);
	ok(ix.loaded && !ix.scan && ix.n > 0, "users index: loaded once, %zu names", ix.n);
	is_int(userdb_lookup(&ix, NULL, "alice@example.org", true), 0, "users index: no users file, no users");
	userdb_index_free(&ix);
	if (asprintf(&missing, "%s/no-such-users", dir) < 0)
		abort();
	is_int(userdb_lookup(&ix, missing, "alice@example.org", true), -ENOENT, "users index: missing file: -ENOENT");
	free(missing);
	userdb_index_free(&ix);	/* a new session: no lookup counted yet */

	path = write_file(dir, "users-ix", "ann@example.org:{PLAIN}a\n");
	tmp = write_file(dir, "users-ix.new", "ann@example.org:{PLAIN}a\nben@example.org:{PLAIN}b\n");
	for (int i = 0; i < USERDB_SCANS_BEFORE_INDEX; i++)
		is_int(userdb_lookup(&ix, path, "ann@example.org", true), 1, "users index: lookup %d (a scan)", i + 1);
	ok(!ix.loaded, "users index: not built yet");
	is_int(userdb_lookup(&ix, path, "ben@example.org", true), 0, "users index: ben not yet");
	ok(ix.loaded && ix.n == 1, "users index: built at lookup %d", USERDB_SCANS_BEFORE_INDEX + 1);
	ok(rename(tmp, path) == 0, "users file replaced");
	is_int(userdb_lookup(&ix, path, "ben@example.org", true), 1, "users index: a replaced file is read again");
	free(tmp);
	{
		/* rewritten in place, same size and inode: mtime/ctime tell */
		FILE *f = fopen(path, "r+");
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		fputs("ann@example.org:{PLAIN}a\nbex", f);
		fclose(f);
	}
	is_int(userdb_lookup(&ix, path, "ben@example.org", true), 0, "users index: a rewritten file is read again (ben gone)");
	is_int(userdb_lookup(&ix, path, "bex@example.org", true), 1, "users index: ... and its new name found");
	unlink(path);
	is_int(userdb_lookup(&ix, path, "ann@example.org", true), -ENOENT, "users index: a file gone is -ENOENT, not the old names");
	userdb_index_free(&ix);
	free(path);
}

static void userdb(const char *users, const char *aliases_path, const char *dir)
{
	char pass[64], tiny[4];
	struct aliases al;
	char *out = NULL, *want;
	size_t outlen = 0;
	FILE *f;

	is_int(userdb_find(users, "alice@example.org", true, pass, sizeof(pass)), 1, "userdb: alice found");
	is_str(pass, "{PLAIN}secret", "userdb: password field up to the next colon");
	is_int(userdb_find(users, "bob@example.org", true, pass, sizeof(pass)), 1, "userdb: bob found");
	is_str(pass, "{PLAIN}x", "userdb: password field to the end of line");
	is_int(userdb_find(users, "frank@example.org", true, pass, sizeof(pass)), 1, "userdb: CRLF line");
	is_str(pass, "{PLAIN}f", "userdb: CR not part of the password");
	is_int(userdb_find(users, "dave@example.org", true, NULL, 0), 1, "userdb: names compare case-insensitively");
	is_int(userdb_find(users, "carol@example.net", true, NULL, 0), 1, "userdb: bare name in any local domain");
	is_int(userdb_find(users, "carol@evil.example", false, NULL, 0), 0, "userdb: bare name never in a foreign domain");
	is_int(userdb_find(users, "carol", false, NULL, 0), 1, "userdb: bare name as itself");
	is_int(userdb_find(users, "alice@example.org", false, NULL, 0), 1, "userdb: user@domain needs no local flag");
	is_int(userdb_find(users, "alice@example.net", true, NULL, 0), 0, "userdb: user@domain only in its domain");
	is_int(userdb_find(users, "carolyn@example.org", true, NULL, 0), 0, "userdb: bare name is not a prefix");
	is_int(userdb_find(users, "ghost@example.org", true, NULL, 0), 0, "userdb: comment lines ignored");
	is_int(userdb_find(users, "alice@example.org", true, tiny, sizeof(tiny)), 1, "userdb: short buffer");
	is_str(tiny, "{PL", "userdb: password truncated and terminated");
	is_int(userdb_find(NULL, "alice@example.org", true, NULL, 0), 0, "userdb: no users file, no users");
	{
		char *missing;

		if (asprintf(&missing, "%s/no-such-users", dir) < 0)
			abort();
		is_int(userdb_find(missing, "alice@example.org", true, NULL, 0), -ENOENT, "userdb: missing file: -ENOENT");
		free(missing);
	}
	{
		int r = userdb_find(dir, "alice@example.org", true, NULL, 0);

		ok(r < 0 && r != -ENOENT, "userdb: a directory as users file: error %d, not -ENOENT", r);
	}

	f = open_memstream(&out, &outlen);
	is_int(aliases_load(aliases_path, &al, diag_collect, f), 0, "aliases_load");
	fclose(f);
	if (asprintf(&want, "%s:32: expected 'alias@domain: target[, target...]'\n"
		     "%s:33: expected 'alias@domain: target[, target...]'\n", aliases_path, aliases_path) < 0)
		abort();
	is_str(out, want, "aliases_load: bad lines reported as FILE:LINE");
	free(want);
	free(out);
	is_str(aliases_get(&al, "team@example.org"), "alice@example.org, bob@remote.test", "aliases_get: exact");
	is_str(aliases_get(&al, "sales@example.net"), "bob@example.org", "aliases_get: names lower-cased; exact wins over bare");
	is_str(aliases_get(&al, "sales@example.org"), "alice@example.org", "aliases_get: bare name in any domain");
	ok(aliases_get(&al, "nobody@example.org") == NULL, "aliases_get: absent");
	aliases_free(&al);
	aliases_free(&al);
	aliases_free(NULL);
	{
		char *missing;

		if (asprintf(&missing, "%s/no-such-aliases", dir) < 0)
			abort();
		ok(aliases_load(missing, &al, NULL, NULL) == 0 && al.n == 0, "aliases_load: missing file is an empty table");
		ok(aliases_load(NULL, &al, NULL, NULL) == 0 && al.n == 0, "aliases_load: no file is an empty table");
		free(missing);
	}
}

static void too_many(const char *dir, const struct config *c)
{
	char *path, *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct aliases al;
	struct resolve_case rc = { "<big@example.org>", RESOLVE_TOO_MANY, NULL };
	struct resolve_case rc_ok = { "<fits@example.org>", RESOLVE_OK, NULL };

	fputs("big@example.org: ", f);
	for (int i = 0; i <= ALIAS_MAX_TARGETS; i++)
		fprintf(f, "%sr%d@remote.test", i ? ", " : "", i);
	fputs("\nfits@example.org: ", f);
	for (int i = 0; i < ALIAS_MAX_TARGETS; i++)
		fprintf(f, "%sr%d@remote.test", i ? ", " : "", i);
	fputs("\n", f);
	fclose(f);
	path = write_file(dir, "big-aliases", text);
	if (aliases_load(path, &al, NULL, NULL) == 0) {
		check_resolve("1001 targets:", c, &al, &rc);
		check_resolve("1000 targets:", c, &al, &rc_ok);
		aliases_free(&al);
	} else {
		ok(false, "big aliases file loads");
	}
	free(text);
	free(path);
}

static void target_sets(void)
{
	struct target_set set = { 0 };
	char text[256];

	ok(target_set_add(&set, "a@example.org", true), "target_set_add");
	ok(target_set_add(&set, "A@Example.org", true), "target_set_add: duplicate accepted");
	ok(target_set_add(&set, "a@example.org", false), "target_set_add: same text, remote");
	for (int i = 0; i < 10; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "u%d@x", i % 5);
		target_set_add(&set, addr, false);
	}
	set_text(&set, text, sizeof(text));
	is_str(text, "a@example.org(L) a@example.org(R) u0@x(R) u1@x(R) u2@x(R) u3@x(R) u4@x(R)",
	       "target set: duplicates dropped, local and remote distinct");
	/* RFC 5321 §2.4: only the destination host may fold a local part */
	target_set_add(&set, "Bob@remote.test", false);
	target_set_add(&set, "bob@remote.test", false);
	target_set_add(&set, "Bob@remote.test", false);
	is_int(set.n, 9, "target set: remote local parts compare case-sensitively");
	target_set_clear(&set);
	is_int(set.n, 0, "target_set_clear empties");
	target_set_free(&set);
	ok(set.v == NULL && set.n == 0 && set.cap == 0, "target_set_free resets");
}

/* The hash: a remote domain compares without case, many entries keep
 * their order and stay unique, the bound holds, truncation forgets. */
static void target_set_hash(void)
{
	struct target_set set = { 0 };
	char addr[64];
	bool all = true;

	target_set_add(&set, "Bob@Remote.TEST", false);
	target_set_add(&set, "Bob@remote.test", false);
	target_set_add(&set, "Bob@REMOTE.test", false);
	is_int(set.n, 1, "target set: a remote domain's case does not make a new target");
	target_set_add(&set, "bob@remote.test", false);
	is_int(set.n, 2, "target set: ... its local part's case does");
	target_set_add(&set, "carol@Example.ORG", true);
	target_set_add(&set, "CAROL@example.org", true);
	is_int(set.n, 3, "target set: a local target compares without case");
	target_set_clear(&set);
	set.max = 20000;
	for (int i = 0; i < 10000; i++) {
		snprintf(addr, sizeof(addr), "u%d@d%d.example", i, i % 7);
		all &= target_set_add(&set, addr, false);
	}
	for (int i = 0; i < 10000; i++) {
		snprintf(addr, sizeof(addr), "u%d@D%d.EXAMPLE", i, i % 7);
		all &= target_set_add(&set, addr, false);
	}
	ok(all, "target set: 10,000 targets fit under max 20,000");
	is_int(set.n, 10000, "target set: 10,000 distinct, their 10,000 duplicates dropped");
	is_str(set.v[1234].addr, "u1234@d2.example", "target set: insertion order kept");
	target_set_truncate(&set, 5000);
	is_int(set.n, 5000, "target_set_truncate drops the last ones");
	ok(target_set_add(&set, "u6000@d1.example", false) && set.n == 5001,
	   "target set: a truncated target is new again");
	ok(target_set_add(&set, "u10@d3.example", false) && set.n == 5001,
	   "target set: a kept one is still a duplicate");
	target_set_free(&set);
	set.max = 0;
	/* the bound: ALIAS_MAX_TARGETS by default, a duplicate past it is fine */
	all = true;
	for (int i = 0; i < ALIAS_MAX_TARGETS; i++) {
		snprintf(addr, sizeof(addr), "u%d@example.org", i);
		all &= target_set_add(&set, addr, true);
	}
	ok(all, "target set: ALIAS_MAX_TARGETS fit");
	ok(!target_set_add(&set, "one.more@example.org", true), "target set: one more is refused");
	ok(target_set_add(&set, "U7@Example.ORG", true), "target set: a duplicate at the bound is accepted");
	is_int(set.n, ALIAS_MAX_TARGETS, "target set: the bound holds");
	ok(set.cap == ALIAS_MAX_TARGETS, "target set: storage never grows past the bound");
	target_set_free(&set);
}

static void lookup_names(void)
{
	struct mailbox mb;
	const char *params;
	char buf[ADDR_TEXT_MAX], tiny[8];

	address_parse_path("<Alice+News@Example.ORG>", ADDR_FORWARD, true, &mb, &params);
	ok(policy_lookup_name(&mb, false, buf, sizeof(buf)), "lookup name");
	is_str(buf, "alice+news@example.org", "lookup name: lower-cased, tag kept");
	ok(policy_lookup_name(&mb, true, buf, sizeof(buf)), "lookup name, tag stripped");
	is_str(buf, "alice@example.org", "lookup name: +tag removed");
	ok(!policy_lookup_name(&mb, true, tiny, sizeof(tiny)), "lookup name: does not fit, false");
	address_parse_path("<+x@example.org>", ADDR_FORWARD, true, &mb, &params);
	policy_lookup_name(&mb, true, buf, sizeof(buf));
	is_str(buf, "+x@example.org", "lookup name: a leading + is not a tag");
}

static void relay(void)
{
	/* authorized peer, authenticated, AUTH offered -> verdict */
	static const struct {
		bool peer, authed, offered;
		enum relay_verdict want;
	} rows[] = {
		{ false, false, false, RELAY_DENIED },
		{ false, false, true, RELAY_NEED_AUTH },
		{ false, true, false, RELAY_OK },
		{ false, true, true, RELAY_OK },
		{ true, false, false, RELAY_OK },
		{ true, false, true, RELAY_OK },
		{ true, true, false, RELAY_OK },
		{ true, true, true, RELAY_OK },
	};
	static const char *const names[] = { "OK", "DENIED", "NEED_AUTH" };

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		is_str(names[policy_relay(rows[i].peer, rows[i].authed, rows[i].offered)], names[rows[i].want],
		       "policy_relay(authorized=%d, authenticated=%d, auth offered=%d) = %s",
		       rows[i].peer, rows[i].authed, rows[i].offered, names[rows[i].want]);
}

int main(void)
{
	char *dir = scratch_dir("policy");
	char *users = write_file(dir, "users", users_text);
	char *aliases_path = write_file(dir, "aliases", aliases_text);
	char *pm_path = write_file(dir, "aliases-pm", "postmaster: alice@example.org\n");
	struct config *c = make_config(dir, "smtpd.conf", users);
	struct config *c_dir = make_config(dir, "dir.conf", dir);
	struct config *c_none = make_config(dir, "none.conf", NULL);
	struct aliases al = { 0 }, pm = { 0 }, none = { 0 };

	if (!ok(c && c_dir && c_none, "configs load")) {
		scratch_remove(dir);
		return done();
	}
	userdb(users, aliases_path, dir);
	users_index(users, dir);

	/* one table: the aliases file plus a postmaster alias */
	{
		char *both_text, *both;

		if (asprintf(&both_text, "%spostmaster: alice@example.org\n", aliases_text) < 0)
			abort();
		both = write_file(dir, "aliases-both", both_text);
		aliases_load(both, &al, NULL, NULL);
		free(both_text);
		free(both);
	}
	aliases_load(pm_path, &pm, NULL, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(with_aliases); i++)
		check_resolve("aliases:", c, &al, &with_aliases[i]);
	for (size_t i = 0; i < ARRAY_SIZE(without_aliases); i++)
		check_resolve("no aliases:", c, &none, &without_aliases[i]);

	/* several RCPTs append to one set without duplicates */
	{
		struct target_set set = { 0 };
		struct mailbox mb;
		const char *params;
		const char *rcpts[] = { "<alice@example.org>", "<team@example.org>", "<dup@example.org>", "<bob@example.org>" };
		char text[512];

		for (size_t i = 0; i < ARRAY_SIZE(rcpts); i++) {
			address_parse_path(rcpts[i], ADDR_FORWARD, true, &mb, &params);
			policy_resolve(c, &al, NULL, &mb, &set);
		}
		set_text(&set, text, sizeof(text));
		is_str(text, "alice@example.org(L) bob@remote.test(R) bob@example.org(L)",
		       "four RCPTs: targets appended without duplicates");
		target_set_free(&set);
	}

	/* users file unreadable (a directory): temporary failure, never
	 * "unknown user" (RFC 5321 §4.2.5: 4yz while the lookup is broken) */
	{
		static const struct resolve_case rows[] = {
			{ "<alice@example.org>", RESOLVE_TEMPFAIL, NULL },
			{ "<team@example.org>", RESOLVE_TEMPFAIL, NULL },
			{ "<Postmaster>", RESOLVE_TEMPFAIL, NULL },
			{ "<remote@example.org>", RESOLVE_OK, "x@remote.test(R)" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
			check_resolve("users file unreadable:", c_dir, &al, &rows[i]);
	}
	/* no users file at all: nobody, but postmaster still resolves */
	{
		static const struct resolve_case rows[] = {
			{ "<alice@example.org>", RESOLVE_UNKNOWN, "" },
			{ "<Postmaster>", RESOLVE_OK, "postmaster@example.org(L)" },
			/* the alias leads to no mailbox: the fallback still applies */
			{ "<postmaster@example.net>", RESOLVE_OK, "postmaster@example.org(L)" },
		};

		check_resolve("no users file:", c_none, &none, &rows[0]);
		check_resolve("no users file:", c_none, &none, &rows[1]);
		check_resolve("no users file, postmaster alias:", c_none, &pm, &rows[1 + 1]);
	}

	too_many(dir, c);
	target_sets();
	target_set_hash();
	lookup_names();
	relay();

	aliases_free(&al);
	aliases_free(&pm);
	config_free(c);
	config_free(c_dir);
	config_free(c_none);
	scratch_remove(dir);
	free(users);
	free(aliases_path);
	free(pm_path);
	free(dir);
	return done();
}
