/* test-maildir.c — maildir paths and durable files (handlers/maildir.h),
 * in a scratch directory.  https://cr.yp.to/proto/maildir.html; names as
 * Dovecot writes them: <secs>.M<usec>P<pid>Q<n>.<host>,S=<size>.
 */
#include "maildir.h"

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "testutil.h"

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case -EINVAL: return "-EINVAL";
	case -ENAMETOOLONG: return "-ENAMETOOLONG";
	case -ENOENT: return "-ENOENT";
	}
	return "other";
}

static void expand(void)
{
	static const struct {
		const char *tmpl, *addr;
		int want;
		const char *out;
	} rows[] = {
		{ "/var/mail/%d/%n", "alice@example.org", 0, "/var/mail/example.org/alice" },
		{ "/var/mail/%u", "alice@example.org", 0, "/var/mail/alice@example.org" },
		{ "/var/mail/%d/%n/Maildir", "bob@example.net", 0, "/var/mail/example.net/bob/Maildir" },
		{ "/m/%%/%n%%", "alice@example.org", 0, "/m/%/alice%" },
		{ "/m/%n-%d", "a.b@x.example", 0, "/m/a.b-x.example" },
		{ "/m/%n", "a..b@x", 0, "/m/a..b" },
		{ "/m/%n", "a+tag@x", 0, "/m/a+tag" },
		{ "/fixed", "alice@example.org", 0, "/fixed" },
		/* bad escapes */
		{ "/m/%x", "alice@example.org", -EINVAL, NULL },
		{ "/m/%n%", "alice@example.org", -EINVAL, NULL },
		{ "/m/%D", "alice@example.org", -EINVAL, NULL },
		/* nothing client-influenced may climb or hide */
		{ "/m/%d/%n", "..@example.org", -EINVAL, NULL },
		{ "/m/%d/%n", ".alice@example.org", -EINVAL, NULL },
		{ "/m/%d/%n", "alice@..", -EINVAL, NULL },
		{ "/m/%d/%n", "alice@.example.org", -EINVAL, NULL },
		{ "/m/%d/%n", "al/ice@example.org", -EINVAL, NULL },
		{ "/m/%d/%n", "alice@ex/ample.org", -EINVAL, NULL },
		{ "/m/%d/%n", "a\tb@example.org", -EINVAL, NULL },
		{ "/m/%d/%n", "a\nb@example.org", -EINVAL, NULL },
		{ "/m/%d/%n", "alice@example.org\x7f", -EINVAL, NULL },
		/* SMTPUTF8 addresses (RFC 6531) keep their UTF-8 */
		{ "/m/%d/%n", "\xc3\xa9l\xc3\xa8ve@example.org", 0, "/m/example.org/\xc3\xa9l\xc3\xa8ve" },
		{ "/m/%d/%n", "alice@b\xc3\xbc" "cher.example", 0, "/m/b\xc3\xbc" "cher.example/alice" },
		{ "/m/%d/%n", "a\x7f" "b@example.org", -EINVAL, NULL },
		{ "/m/%d/%n", "@example.org", -EINVAL, NULL },
		{ "/m/%d/%n", "alice@", -EINVAL, NULL },
		{ "/m/%d/%n", "alice", -EINVAL, NULL },
		{ "/m/%d/%n", "", -EINVAL, NULL },
		/* and the template itself may not contain a ".." component */
		{ "/var/mail/../%n", "alice@example.org", -EINVAL, NULL },
		{ "/var/mail/%n/..", "alice@example.org", -EINVAL, NULL },
		{ "../%n", "alice@example.org", -EINVAL, NULL },
		{ "/var/mail..x/%n", "alice@example.org", 0, "/var/mail..x/alice" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char out[256] = "", esc[64];
		int r = maildir_expand(rows[i].tmpl, rows[i].addr, out, sizeof(out));
		size_t o = 0;

		for (const char *s = rows[i].addr; *s && o + 5 < sizeof(esc); s++)
			o += (size_t)((unsigned char)*s >= 32 && (unsigned char)*s < 127
				      ? snprintf(esc + o, sizeof(esc) - o, "%c", *s)
				      : snprintf(esc + o, sizeof(esc) - o, "\\x%02x", (unsigned char)*s));
		esc[o] = '\0';
		if (rows[i].want == 0 && r == 0)
			is_str(out, rows[i].out, "expand '%s' for '%s'", rows[i].tmpl, esc);
		else
			is_str(errname(r), errname(rows[i].want), "expand '%s' for '%s': %s", rows[i].tmpl, esc,
			       errname(rows[i].want));
	}

	/* the output buffer bounds the expansion */
	{
		const char *want = "/var/mail/example.org/alice";
		size_t n = strlen(want);
		char *exact = malloc(n + 1), *short_buf = malloc(n);

		is_int(maildir_expand("/var/mail/%d/%n", "alice@example.org", exact, n + 1), 0,
		       "expansion into exactly enough room");
		is_str(exact, want, "  complete");
		is_str(errname(maildir_expand("/var/mail/%d/%n", "alice@example.org", short_buf, n)),
		       "-ENAMETOOLONG", "one octet short: -ENAMETOOLONG");
		free(exact);
		free(short_buf);
	}
}

static void template_root(void)
{
	static const struct {
		const char *tmpl, *root;
	} rows[] = {
		{ "/var/mail/%d/%n", "/var/mail" },
		{ "/var/mail/%u", "/var/mail" },
		{ "/var/mail/fixed/%n/Maildir", "/var/mail/fixed" },
		{ "/srv/m%d/%n", "/srv" },
		{ "/%d/%n", "/" },
		{ "/var/mail/", "/var/mail" },
		{ "/home/vmail/%d/%n/", "/home/vmail" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char out[128];

		maildir_template_root(rows[i].tmpl, out, sizeof(out));
		is_str(out, rows[i].root, "template root of '%s'", rows[i].tmpl);
	}
	{
		char small[5];

		maildir_template_root("/var/mail/%d/%n", small, sizeof(small));
		is_str(small, "/var", "template root truncated to the buffer");
	}
}

static bool is_dir_mode(const char *path, mode_t mode)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == mode;
}

static char *join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		abort();
	return p;
}

static void ensure(const char *scratch)
{
	char *root = join(scratch, "mail"), *dir = join(root, "example.org/alice");
	char *deep = join(root, "a/b/c/d"), *missing = join(scratch, "missing");
	char *under_missing = join(missing, "example.org/alice");
	static const char *const subs[] = { "", "/tmp", "/new", "/cur" };
	char *file_root, *blocked;

	mkdir(root, 0755);
	is_int(maildir_ensure(root, dir), 0, "maildir_ensure creates a maildir below the root");
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *p;

		if (asprintf(&p, "%s%s", dir, subs[i]) < 0)
			abort();
		ok(is_dir_mode(p, 0700), "  %s%s is a directory, mode 0700", "example.org/alice", subs[i]);
		free(p);
	}
	{
		char *mid = join(root, "example.org");

		ok(is_dir_mode(mid, 0700), "  intermediate example.org/ created 0700");
		free(mid);
	}
	is_int(maildir_ensure(root, dir), 0, "maildir_ensure again: nothing to do");
	is_int(maildir_ensure(root, deep), 0, "maildir_ensure four levels deep");
	{
		char *p = join(deep, "cur");

		ok(is_dir_mode(p, 0700), "  a/b/c/d/cur created");
		free(p);
	}
	is_str(errname(maildir_ensure(missing, under_missing)), "-ENOENT", "a missing root is refused (-ENOENT)");
	ok(access(missing, F_OK) != 0, "  and not created");

	/* a plain file where a directory should be */
	file_root = join(root, "blocked");
	free(write_file(root, "blocked", "x"));
	blocked = join(file_root, "alice");
	ok(maildir_ensure(root, blocked) < 0, "a file in the way: error");

	free(root);
	free(dir);
	free(deep);
	free(missing);
	free(under_missing);
	free(file_root);
	free(blocked);
}

/* Entries of @dir other than . and .., or -1. */
static int count_entries(const char *dir, char *first, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			if (n++ == 0 && first)
				snprintf(first, size, "%s", e->d_name);
		}
	closedir(d);
	return n;
}

static void files(const char *scratch)
{
	char *root = join(scratch, "files"), *md = join(root, "user");
	char *tmp = join(md, "tmp"), *new = join(md, "new");
	static const char msg[] = "Received: from x\r\nSubject: t\r\n\r\n8-bit \xe9\xff and a NUL \0 here\r\n";
	struct mdfile f, g;
	char name[256], pattern[512], *path, *content;
	size_t len = 0;
	regex_t re;
	struct stat st;

	mkdir(root, 0700);
	if (!ok(maildir_ensure(root, md) == 0, "scratch maildir")) {
		free(root);
		free(md);
		free(tmp);
		free(new);
		return;
	}
	maildir_set_host("mx/1:2.example");

	is_int(mdfile_create(&f, root, md), 0, "mdfile_create");
	ok(f.fd >= 0 && !f.linked, "  open, not linked");
	is_int(count_entries(tmp, name, sizeof(name)), 1, "  one file in tmp/");
	is_str(name, f.base, "  named base");
	is_int(mdfile_write(&f, msg, 20), 0, "mdfile_write part 1");
	is_int(mdfile_write(&f, msg + 20, sizeof(msg) - 1 - 20), 0, "mdfile_write part 2");
	is_int(f.size, sizeof(msg) - 1, "  size counts every octet");
	is_int(mdfile_sync(&f), 0, "mdfile_sync");
	is_int(f.fd, -1, "  closed");
	is_int(mdfile_sync(&f), -EBADF, "mdfile_sync twice: -EBADF");
	is_int(count_entries(new, NULL, 0), 0, "  nothing in new/ before publish");
	is_int(mdfile_publish(&f), 0, "mdfile_publish");
	ok(f.linked, "  linked");
	is_int(count_entries(tmp, NULL, 0), 0, "  nothing left in tmp/");
	is_int(count_entries(new, name, sizeof(name)), 1, "  one file in new/");
	is_str(name, f.final, "  named final");

	snprintf(pattern, sizeof(pattern), "^[1-9][0-9]{9,}\\.M[0-9]{6}P%dQ[0-9]+\\.mx\\\\0571\\\\0722\\.example,S=%zu$",
		 (int)getpid(), sizeof(msg) - 1);
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) == 0) {
		ok(regexec(&re, name, 0, NULL, 0) == 0, "  name is <secs>.M<usec>P<pid>Q<n>.<host>,S=<size>: %s", name);
		regfree(&re);
	} else {
		ok(false, "regex compiles");
	}
	{
		char want[300];

		snprintf(want, sizeof(want), "%s,S=%zu", f.base, sizeof(msg) - 1);
		is_str(f.final, want, "  final = base + ,S=<size>");
	}
	path = join(new, name);
	content = slurp(path, &len);
	is_mem(content, len, msg, sizeof(msg) - 1, "  content exact, 8-bit and NUL included");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "  file mode 0600");
	free(content);

	/* a second file gets a different name */
	is_int(mdfile_create(&g, root, md), 0, "second mdfile_create");
	ok(strcmp(g.base, f.base) != 0, "  unique name (Q counter)");
	mdfile_abort(&g);

	is_int(mdfile_unpublish(&f), 0, "mdfile_unpublish");
	ok(!f.linked && access(path, F_OK) != 0, "  removed from new/");
	is_int(mdfile_unpublish(&f), 0, "mdfile_unpublish again: nothing to do");
	mdfile_abort(&f);
	free(path);

	/* abort before sync, after sync, twice */
	is_int(mdfile_create(&f, root, md), 0, "create for abort");
	mdfile_write(&f, "partial", 7);
	mdfile_abort(&f);
	ok(f.fd == -1 && count_entries(tmp, NULL, 0) == 0 && count_entries(new, NULL, 0) == 0,
	   "mdfile_abort while writing: nothing left anywhere");
	mdfile_abort(&f);
	ok(true, "mdfile_abort twice is safe");
	is_int(mdfile_create(&f, root, md), 0, "create for abort after sync");
	mdfile_write(&f, "done", 4);
	mdfile_sync(&f);
	mdfile_abort(&f);
	ok(count_entries(tmp, NULL, 0) == 0 && count_entries(new, NULL, 0) == 0,
	   "mdfile_abort after sync: nothing left");

	/* abort after publish keeps the delivered file */
	is_int(mdfile_create(&f, root, md), 0, "create for publish then abort");
	mdfile_write(&f, "kept", 4);
	mdfile_sync(&f);
	mdfile_publish(&f);
	mdfile_abort(&f);
	is_int(count_entries(new, name, sizeof(name)), 1, "mdfile_abort after publish leaves the file in new/");
	ok(strstr(name, ",S=4") != NULL, "  with its size in the name");
	path = join(new, name);
	unlink(path);
	free(path);

	/* failures */
	{
		char *nowhere = join(root, "no-such-maildir");

		ok(mdfile_create(&f, root, nowhere) < 0 && f.fd == -1, "mdfile_create without tmp/: error");
		mdfile_abort(&f);
		free(nowhere);
	}

	maildir_set_host("localhost");
	free(root);
	free(md);
	free(tmp);
	free(new);
}

/* Below the root nothing is reached through a symbolic link (issue 12
 * item 15): not a user's maildir, not a domain, not tmp/ or new/, not even
 * when the link is swapped in between the calls. */
static void links(const char *scratch)
{
	char *root = join(scratch, "links"), *away = join(scratch, "away");
	char *dom = join(root, "example.org"), *alice = join(dom, "alice");
	char *bob = join(dom, "bob"), *bob_new = join(bob, "new"), *bob_new_real = join(bob, "new.real");
	char *other = join(root, "other.example"), *carol = join(other, "carol");
	char *away_new = join(away, "new"), *away_tmp = join(away, "tmp"), *away_cur = join(away, "cur");
	char *away_carol = join(away, "carol"), *bob_tmp = join(bob, "tmp");
	struct mdfile f;
	int r;

	mkdir(root, 0700);
	mkdir(away, 0700);
	mkdir(away_new, 0700);
	mkdir(away_tmp, 0700);
	mkdir(away_cur, 0700);
	mkdir(dom, 0700);
	if (symlink(away, alice) != 0)
		abort();
	r = maildir_ensure(root, alice);
	ok(r == -ELOOP || r == -ENOTDIR, "a maildir that is a link: maildir_ensure refuses (%s)", errname(r));
	r = mdfile_create(&f, root, alice);
	ok(r < 0 && f.fd == -1, "  and mdfile_create does not write through it (%s)", errname(r));
	mdfile_abort(&f);
	is_int(count_entries(away_tmp, NULL, 0), 0, "  nothing in the link's target");

	if (symlink(away, other) != 0)
		abort();
	r = maildir_ensure(root, carol);
	ok(r == -ELOOP || r == -ENOTDIR, "a domain directory that is a link: refused (%s)", errname(r));
	ok(access(away_carol, F_OK) != 0, "  and no maildir made through it");

	/* new/ swapped for a link after the file was made in tmp/ */
	is_int(maildir_ensure(root, bob), 0, "bob's maildir");
	is_int(mdfile_create(&f, root, bob), 0, "  a file in bob's tmp/");
	mdfile_write(&f, "x", 1);
	is_int(mdfile_sync(&f), 0, "  synced");
	if (rename(bob_new, bob_new_real) != 0 || symlink(away, bob_new) != 0)
		abort();
	r = mdfile_publish(&f);
	ok(r == -ELOOP || r == -ENOTDIR, "  new/ now a link: publish refuses (%s)", errname(r));
	is_int(count_entries(away_new, NULL, 0), 0, "  nothing linked into the link's target");
	mdfile_abort(&f);
	is_int(count_entries(bob_tmp, NULL, 0), 0, "  and abort removed the tmp file");
	free(root);
	free(away);
	free(dom);
	free(alice);
	free(bob);
	free(bob_new);
	free(bob_new_real);
	free(other);
	free(carol);
	free(away_new);
	free(away_tmp);
	free(away_cur);
	free(away_carol);
	free(bob_tmp);
}

int main(void)
{
	char *scratch = scratch_dir("maildir");

	umask(022);
	expand();
	template_root();
	ensure(scratch);
	files(scratch);
	links(scratch);
	scratch_remove(scratch);
	free(scratch);
	return done();
}
