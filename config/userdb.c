/* userdb.c — see userdb.h. */
#include "userdb.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether the file's @name matches @address: exactly, or (when @bare_ok:
 * the address's domain is local) as a bare local part equal to the
 * address's local part. */
static bool name_matches(const char *name, size_t len, const char *address, bool bare_ok)
{
	const char *at = strrchr(address, '@');

	if (strlen(address) == len && strncasecmp(name, address, len) == 0)
		return true;
	return bare_ok && at && !memchr(name, '@', len) && (size_t)(at - address) == len
		&& strncasecmp(name, address, len) == 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int userdb_find(const char *path, const char *address, bool local_domain,
		char *pass_r, size_t passsize)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	if (!path)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *colon;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		colon = strchr(p, ':');
		if (!colon || !name_matches(p, (size_t)(colon - p), address, local_domain))
			continue;
		if (pass_r && passsize) {
			char *end = strchr(colon + 1, ':');
			size_t n;

			if (!end)
				end = colon + 1 + strcspn(colon + 1, "\r\n");
			n = (size_t)(end - colon - 1);
			if (n >= passsize)
				n = passsize - 1;
			memcpy(pass_r, colon + 1, n);
			pass_r[n] = '\0';
		}
		rc = 1;
		break;
	}
	if (line) {
		/* the line may hold a password hash */
		explicit_bzero(line, cap);
		free(line);
	}
	if (ferror(f) && rc == 0)
		rc = -EIO;
	fclose(f);
	return rc;
}

/* A yescrypt hash of a random password: checking an unknown user costs
 * the same as checking a known one. */
static const char dummy_hash[] = "$y$j9T$8xey9DeRCZVddRoXE/xiM1$exY/pdQ1mY6FyLbceRZZQPaMSlljB4RHgcSoqEFTQj1";

static bool equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static bool crypt_matches(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	bool ok;

	if (!cd)
		return false;
	out = crypt_rn(password, hash, cd, sizeof(*cd));
	ok = out && out[0] != '*' && equal_ct(out, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

bool userdb_is_plain(const char *field)
{
	return strncasecmp(field, "{PLAIN}", 7) == 0;
}

int userdb_verify(const char *path, const char *user, bool local_domain, const char *password)
{
	static const char *const crypt_schemes[] = {
		"{CRYPT}", "{SHA512-CRYPT}", "{SHA256-CRYPT}", "{BLF-CRYPT}",
	};
	char field[512];
	const char *hash;
	bool ok = false;
	int r = userdb_find(path, user, local_domain, field, sizeof(field));

	if (r == 0) {
		crypt_matches(password, dummy_hash);
		return -EACCES;
	}
	if (r < 0)
		return r;
	hash = field;
	if (userdb_is_plain(hash)) {
		ok = hash[7] != '\0' && equal_ct(hash + 7, password);
		goto out;
	}
	for (size_t i = 0; i < sizeof(crypt_schemes) / sizeof(crypt_schemes[0]); i++)
		if (strncasecmp(hash, crypt_schemes[i], strlen(crypt_schemes[i])) == 0) {
			hash += strlen(crypt_schemes[i]);
			break;
		}
	/* empty, locked ("!..."), or another {SCHEME}: never */
	if (*hash && *hash != '!' && *hash != '{')
		ok = crypt_matches(password, hash);
	else
		crypt_matches(password, dummy_hash);
out:
	explicit_bzero(field, sizeof(field));
	return ok ? 0 : -EACCES;
}

int aliases_load(const char *path, struct aliases *al,
		 void (*diag)(void *ctx, const char *msg), void *ctx)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	unsigned lineno = 0;
	int rc = 0;

	al->v = NULL;
	al->n = 0;
	if (!path)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &cap, f) > 0) {
		char *p = trim(line), *colon, *name, *targets;

		lineno++;
		if (*p == '#' || *p == '\0')
			continue;
		colon = strchr(p, ':');
		if (!colon || colon == p) {
			if (diag) {
				char msg[512];

				snprintf(msg, sizeof(msg), "%s:%u: expected 'alias@domain: target[, target...]'", path, lineno);
				diag(ctx, msg);
			}
			continue;
		}
		*colon = '\0';
		name = trim(p);
		targets = trim(colon + 1);
		for (char *q = name; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		if (al->n == alloc) {
			size_t ncap = alloc ? alloc * 2 : 16;
			struct alias *v = realloc(al->v, ncap * sizeof(*v));

			if (!v) {
				rc = -ENOMEM;
				break;
			}
			al->v = v;
			alloc = ncap;
		}
		al->v[al->n].name = strdup(name);
		al->v[al->n].targets = strdup(targets);
		al->v[al->n].line = lineno;
		if (!al->v[al->n].name || !al->v[al->n].targets) {
			free(al->v[al->n].name);
			free(al->v[al->n].targets);
			rc = -ENOMEM;
			break;
		}
		al->n++;
	}
	free(line);
	fclose(f);
	if (rc < 0)
		aliases_free(al);
	return rc;
}

void aliases_free(struct aliases *al)
{
	for (size_t i = 0; al && i < al->n; i++) {
		free(al->v[i].name);
		free(al->v[i].targets);
	}
	if (al) {
		free(al->v);
		al->v = NULL;
		al->n = 0;
	}
}

char *aliases_target_trim(char *tok)
{
	size_t len;

	tok = trim(tok);
	len = strlen(tok);
	if (len >= 2 && tok[0] == '<' && tok[len - 1] == '>') {
		tok[len - 1] = '\0';
		tok++;
	}
	return tok;
}

const char *aliases_get(const struct aliases *al, const char *address)
{
	const char *bare = NULL;

	/* An exact "alias@domain" wins over a bare "alias". */
	for (size_t i = 0; i < al->n; i++) {
		const char *name = al->v[i].name;

		if (strcasecmp(name, address) == 0)
			return al->v[i].targets;
		/* only ever asked for local addresses (policy.c) */
		if (!bare && name_matches(name, strlen(name), address, true))
			bare = al->v[i].targets;
	}
	return bare;
}
