/* test-userdb-cost.c — userdb_verify() costs the same whoever is asked
 * (config/userdb.c, issue 12 item 6).
 *
 * Not a timing test: crypt_rn() is wrapped (-Wl,--wrap=crypt_rn: userdb.c's
 * calls reach __wrap_crypt_rn, which calls the real one) and every hash
 * setting it is given is recorded.  For a
 * users file with yescrypt, SHA512-CRYPT (default and 10000 rounds), bcrypt,
 * {PLAIN}, locked and foreign-scheme entries, each check — right and wrong
 * passwords of every kind of user, an unknown user, a bare name under a
 * foreign domain — must run one crypt of each cost class in the file, and
 * nothing else.  TAP output. */
#include "userdb.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static char calls[512];		/* the cost classes run, in order, ',' after each */

/* The users' hashes, made at run time, and the class each belongs to. */
static struct {
	const char *name, *prefix, *cls;
	char hash[256];
} hashes[] = {
	{ "alice", "$y$", "yescrypt", "" },
	{ "dora", "$y$", "yescrypt", "" },
	{ "carol", "$6$", "sha512", "" },
	{ "erin", "$6$", "sha512-rounds", "" },
	{ "gwen", "$2b$", "bcrypt", "" },
};

static const char *class_of(const char *setting)
{
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (strcmp(setting, hashes[i].hash) == 0)
			return hashes[i].cls;
	/* userdb.c's own dummy, used when the file has no crypt hash */
	if (strncmp(setting, "$y$", 3) == 0)
		return "dummy-yescrypt";
	return "other";
}

char *__real_crypt_rn(const char *phrase, const char *setting, void *data, int size);
char *__wrap_crypt_rn(const char *phrase, const char *setting, void *data, int size);

char *__wrap_crypt_rn(const char *phrase, const char *setting, void *data, int size)
{
	strncat(calls, class_of(setting), sizeof(calls) - strlen(calls) - 2);
	strcat(calls, ",");
	return __real_crypt_rn(phrase, setting, data, size);
}

static void make_hash(size_t i, const char *pass, unsigned long rounds)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;

	memset(&cd, 0, sizeof(cd));
	if (!crypt_gensalt_rn(hashes[i].prefix, rounds, NULL, 0, salt, sizeof(salt)))
		abort();
	/* crypt_r, not crypt_rn: not recorded */
	snprintf(hashes[i].hash, sizeof(hashes[i].hash), "%s", crypt_r(pass, salt, &cd));
}

/* Sorted, so the order of the file does not matter. */
static void sort_calls(char *out, size_t size)
{
	char *v[32], *save = NULL, copy[sizeof(calls)];
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", calls);
	for (char *t = strtok_r(copy, ",", &save); t && n < 32; t = strtok_r(NULL, ",", &save))
		v[n++] = t;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", v[i]);
}

static void check(const char *file, const char *user, bool local, const char *pass, int want_r,
		  const char *want_classes, const char *what)
{
	char got[sizeof(calls)];
	int r;

	calls[0] = '\0';
	r = userdb_verify(file, user, local, pass);
	sort_calls(got, sizeof(got));
	is_int(r, want_r, "%s: %s", what, want_r ? "refused" : "accepted");
	is_str(got, want_classes, "%s: one crypt per cost class of the file", what);
}

int main(void)
{
	char dir[] = "/tmp/test-userdb-cost.XXXXXX", file[64], plain_only[64];
	const char *all = "bcrypt,sha512,sha512-rounds,yescrypt";
	FILE *f;

	if (!mkdtemp(dir))
		abort();
	make_hash(0, "alice-pw", 0);
	make_hash(1, "dora-pw", 0);
	make_hash(2, "carol-pw", 0);
	make_hash(3, "erin-pw", 10000);
	make_hash(4, "gwen-pw", 0);
	snprintf(file, sizeof(file), "%s/users", dir);
	f = fopen(file, "w");
	if (!f)
		abort();
	fprintf(f, "# every kind of entry\n"
		"bob@example.org:{PLAIN}bob-pw\n"
		"alice@example.org:%s\n"
		"carol@example.org:{SHA512-CRYPT}%s\n"
		"dora@example.org:{CRYPT}%s\n"
		"erin@example.org:%s::::\n"
		"locked@example.org:!%s\n"
		"empty@example.org:\n"
		"ssha@example.org:{SSHA}c2FsdGVkLWhhc2g=\n"
		"frank:{PLAIN}frank-pw\n"
		"gwen@example.org:{BLF-CRYPT}%s\n",
		hashes[0].hash, hashes[2].hash, hashes[1].hash, hashes[3].hash, hashes[0].hash, hashes[4].hash);
	fclose(f);

	check(file, "alice@example.org", true, "alice-pw", 0, all, "yescrypt user, right password");
	check(file, "alice@example.org", true, "wrong", -EACCES, all, "yescrypt user, wrong password");
	check(file, "dora@example.org", true, "dora-pw", 0, all, "second yescrypt user ({CRYPT})");
	check(file, "carol@example.org", true, "carol-pw", 0, all, "{SHA512-CRYPT} user, right password");
	check(file, "carol@example.org", true, "wrong", -EACCES, all, "{SHA512-CRYPT} user, wrong password");
	check(file, "erin@example.org", true, "erin-pw", 0, all, "$6$rounds=10000$ user (its own cost class)");
	check(file, "gwen@example.org", true, "gwen-pw", 0, all, "{BLF-CRYPT} user");
	check(file, "bob@example.org", true, "bob-pw", 0, all, "{PLAIN} user, right password");
	check(file, "bob@example.org", true, "wrong", -EACCES, all, "{PLAIN} user, wrong password");
	check(file, "frank@example.org", true, "frank-pw", 0, all, "bare {PLAIN} name in a local domain");
	check(file, "frank@evil.example", false, "frank-pw", -EACCES, all, "bare name under a foreign domain");
	check(file, "locked@example.org", true, "alice-pw", -EACCES, all, "locked entry");
	check(file, "empty@example.org", true, "", -EACCES, all, "empty password field");
	check(file, "ssha@example.org", true, "x", -EACCES, all, "unsupported {SSHA} scheme");
	check(file, "nobody@example.org", true, "x", -EACCES, all, "unknown user");

	/* no crypt hash at all: the dummy yescrypt for everyone */
	snprintf(plain_only, sizeof(plain_only), "%s/plain", dir);
	f = fopen(plain_only, "w");
	if (!f)
		abort();
	fprintf(f, "bob@example.org:{PLAIN}bob-pw\n");
	fclose(f);
	check(plain_only, "bob@example.org", true, "bob-pw", 0, "dummy-yescrypt", "{PLAIN}-only file, right password");
	check(plain_only, "nobody@example.org", true, "x", -EACCES, "dummy-yescrypt", "{PLAIN}-only file, unknown user");

	unlink(file);
	unlink(plain_only);
	rmdir(dir);
	return done();
}
