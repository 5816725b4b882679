/* userdb.c — see userdb.h. */
#include "userdb.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

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

typedef bool users_fn(const char *name, size_t namelen, const char *field, size_t fieldlen, void *ctx);

/* Call @fn with each entry of the users file @f, its name and its
 * password field (neither NUL-terminated), until it returns true.  0, or
 * -EIO when the file cannot be read. */
static int users_scan(FILE *f, users_fn *fn, void *ctx)
{
	char *line = NULL;
	size_t cap = 0;
	bool stopped = false;

	while (!stopped && getline(&line, &cap, f) > 0) {
		char *p = line, *colon, *end;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0' || !(colon = strchr(p, ':')))
			continue;
		end = strchr(colon + 1, ':');
		if (!end)
			end = colon + 1 + strcspn(colon + 1, "\r\n");
		stopped = fn(p, (size_t)(colon - p), colon + 1, (size_t)(end - colon - 1), ctx);
	}
	if (line) {
		/* the line may hold a password hash */
		explicit_bzero(line, cap);
		free(line);
	}
	return ferror(f) && !stopped ? -EIO : 0;
}

/* users_scan() of the file @path; a NULL @path has no users. */
static int users_each(const char *path, users_fn *fn, void *ctx)
{
	FILE *f;
	int rc;

	if (!path)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	rc = users_scan(f, fn, ctx);
	fclose(f);
	return rc;
}

struct find_ctx {
	const char *address;
	bool local_domain;
	bool found;
	char *pass_r;
	size_t passsize;
};

static bool find_line(const char *name, size_t namelen, const char *field, size_t fieldlen, void *ctx)
{
	struct find_ctx *fc = ctx;

	if (!name_matches(name, namelen, fc->address, fc->local_domain))
		return false;
	if (fc->pass_r && fc->passsize) {
		size_t n = fieldlen < fc->passsize ? fieldlen : fc->passsize - 1;

		memcpy(fc->pass_r, field, n);
		fc->pass_r[n] = '\0';
	}
	return fc->found = true;
}

int userdb_find(const char *path, const char *address, bool local_domain,
		char *pass_r, size_t passsize)
{
	struct find_ctx fc = { address, local_domain, false, pass_r, passsize };
	int r = users_each(path, find_line, &fc);

	return r < 0 ? r : fc.found;
}

/* FNV-1a over @len bytes of @s, lower-cased. */
static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)tolower((unsigned char)s[i])) * 16777619u;
	return h;
}

/* The slot of the name equal (without case) to @len bytes of @key, or
 * the free slot where it goes. */
static size_t index_slot(const struct userdb_index *ix, const char *key, size_t len)
{
	size_t mask = ix->nslot - 1, i = name_hash(key, len) & mask;

	for (; ix->slot[i]; i = (i + 1) & mask) {
		const char *name = ix->names + ix->slot[i] - 1;

		if (strlen(name) == len && strncasecmp(name, key, len) == 0)
			break;
	}
	return i;
}

struct index_build {
	struct userdb_index *ix;
	size_t used, cap;	/* bytes of ix->names */
	uint32_t *off;		/* each name's offset */
	size_t noff, offcap;
	bool over;		/* the file grew while read */
};

static bool index_line(const char *name, size_t namelen, const char *field, size_t fieldlen, void *ctx)
{
	struct index_build *b = ctx;

	(void)field;
	(void)fieldlen;
	if (b->used + namelen + 1 > b->cap)
		return b->over = true;
	if (b->noff == b->offcap) {
		size_t cap = b->offcap ? b->offcap * 2 : 256;
		uint32_t *v = realloc(b->off, cap * sizeof(*v));

		if (!v)
			return b->over = true;
		b->off = v;
		b->offcap = cap;
	}
	b->off[b->noff++] = (uint32_t)b->used;
	for (size_t i = 0; i < namelen; i++)
		b->ix->names[b->used++] = (char)tolower((unsigned char)name[i]);
	b->ix->names[b->used++] = '\0';
	return false;
}

static void index_stamp(struct userdb_index *ix, const struct stat *st)
{
	ix->dev = st->st_dev;
	ix->ino = st->st_ino;
	ix->size = st->st_size;
	ix->mtim = st->st_mtim;
	ix->ctim = st->st_ctim;
}

static bool index_current(const struct userdb_index *ix, const struct stat *st)
{
	return ix->loaded && ix->dev == st->st_dev && ix->ino == st->st_ino && ix->size == st->st_size
		&& ix->mtim.tv_sec == st->st_mtim.tv_sec && ix->mtim.tv_nsec == st->st_mtim.tv_nsec
		&& ix->ctim.tv_sec == st->st_ctim.tv_sec && ix->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* Read @path into @ix, or mark it for scanning when too big. */
static int index_load(struct userdb_index *ix, const char *path)
{
	struct index_build b = { .ix = ix };
	struct stat st;
	FILE *f;
	int rc;

	userdb_index_free(ix);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0) {
		rc = -errno;
		fclose(f);
		return rc;
	}
	index_stamp(ix, &st);
	if (st.st_size > USERDB_INDEX_MAX) {
		fclose(f);
		ix->scan = ix->loaded = true;
		return 0;
	}
	b.cap = (size_t)st.st_size + 1;
	ix->names = malloc(b.cap);
	rc = ix->names ? users_scan(f, index_line, &b) : -ENOMEM;
	fclose(f);
	if (rc == 0 && !b.over) {
		size_t nslot = 8;

		while (nslot < 2 * b.noff)
			nslot *= 2;
		ix->slot = calloc(nslot, sizeof(*ix->slot));
		ix->nslot = nslot;
		for (size_t k = 0; ix->slot && k < b.noff; k++) {
			const char *name = ix->names + b.off[k];
			size_t i = index_slot(ix, name, strlen(name));

			if (!ix->slot[i]) {	/* the first line of a name wins */
				ix->slot[i] = b.off[k] + 1;
				ix->n++;
			}
		}
		if (!ix->slot)
			rc = -ENOMEM;
	}
	free(b.off);
	if (rc == 0 && b.over) {
		/* changed under us or out of memory: scan this time */
		userdb_index_free(ix);
		return 1;
	}
	if (rc < 0) {
		userdb_index_free(ix);
		return rc;
	}
	ix->loaded = true;
	return 0;
}

int userdb_lookup(struct userdb_index *ix, const char *path, const char *address, bool local_domain)
{
	struct stat st;
	const char *at;
	size_t i;
	int r;

	if (!path)
		return 0;
	/* Ski rental: building the index costs about as much as a dozen
	 * scans of the file (~700 instructions a line against ~50), so the
	 * first USERDB_SCANS_BEFORE_INDEX lookups scan and only a session with
	 * more recipients builds it: a one- to few-recipient message never
	 * pays for the index, a long list never pays more than about twice
	 * the best choice in hindsight. */
	if (!ix->loaded && ix->lookups++ < USERDB_SCANS_BEFORE_INDEX)
		return userdb_find(path, address, local_domain, NULL, 0);
	if (stat(path, &st) < 0)
		return -errno;
	if (!index_current(ix, &st) && (r = index_load(ix, path)) != 0)
		return r < 0 ? r : userdb_find(path, address, local_domain, NULL, 0);
	if (ix->scan)
		return userdb_find(path, address, local_domain, NULL, 0);
	if (ix->slot[index_slot(ix, address, strlen(address))])
		return 1;
	/* a bare "user" line, for a local domain's address */
	at = strrchr(address, '@');
	if (!local_domain || !at)
		return 0;
	i = index_slot(ix, address, (size_t)(at - address));
	return ix->slot[i] && !strchr(ix->names + ix->slot[i] - 1, '@');
}

void userdb_index_free(struct userdb_index *ix)
{
	free(ix->names);
	free(ix->slot);
	memset(ix, 0, sizeof(*ix));
}

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

/* A yescrypt hash of a random password: the cost of a check when the
 * file has no crypt hash at all. */
static const char dummy_hash[] = "$y$j9T$8xey9DeRCZVddRoXE/xiM1$exY/pdQ1mY6FyLbceRZZQPaMSlljB4RHgcSoqEFTQj1";

/* Cost classes a check runs, at most: a file with more loses the promise
 * for the users of the classes past this many (smtpd.conf(5)). */
#define COST_CLASSES 8

/* What one check runs: one crypt per cost class in the file (a class is
 * a scheme and its cost parameters), with the user's own hash for the
 * user's class and the first hash of every other class, so a check costs
 * the same for every user, unknown, {PLAIN}, locked or of any scheme. */
struct verify_scan {
	const char *address;
	bool local_domain;
	bool found;
	char field[512];		/* the user's password field */
	size_t ncls;
	struct {
		char key[64];		/* crypt_cost_key() */
		char hash[512];
	} cls[COST_CLASSES];
};

/* The crypt(3) hash of a password field, or NULL when it has none (empty,
 * locked "!...", {PLAIN} or another {SCHEME}). */
static const char *crypt_hash(const char *field)
{
	static const char *const crypt_schemes[] = {
		"{CRYPT}", "{SHA512-CRYPT}", "{SHA256-CRYPT}", "{BLF-CRYPT}",
	};

	for (size_t i = 0; i < sizeof(crypt_schemes) / sizeof(crypt_schemes[0]); i++)
		if (strncasecmp(field, crypt_schemes[i], strlen(crypt_schemes[i])) == 0) {
			field += strlen(crypt_schemes[i]);
			break;
		}
	return *field && *field != '!' && *field != '{' ? field : NULL;
}

/* A hash's cost class: the setting without salt and digest, which holds
 * the scheme and its cost ("$y$j9T$", "$6$rounds=10000$", "$2b$12$"). */
static void crypt_cost_key(const char *hash, char *key, size_t size)
{
	const char *last = strrchr(hash, '$'), *cut = hash;
	size_t n;

	if (strncmp(hash, "$2", 2) == 0) {
		/* bcrypt: $2b$cost$ then salt and digest in one field */
		cut = hash + 1 + strcspn(hash + 1, "$");
		cut = *cut ? cut + 1 + strcspn(cut + 1, "$") : cut;
	} else if (last && last > hash) {
		/* $id$[params$]salt$digest: up to the '$' before the salt */
		for (cut = last - 1; cut > hash && *cut != '$'; cut--)
			;
	}
	n = (size_t)(cut - hash) + (*cut == '$');
	snprintf(key, size, "%.*s", (int)n, hash);
}

static bool verify_line(const char *name, size_t namelen, const char *field, size_t fieldlen, void *ctx)
{
	struct verify_scan *v = ctx;
	char buf[sizeof(v->field)], key[sizeof(v->cls[0].key)];
	const char *hash;
	size_t i;

	snprintf(buf, sizeof(buf), "%.*s", (int)fieldlen, field);
	if (!v->found && name_matches(name, namelen, v->address, v->local_domain)) {
		v->found = true;
		memcpy(v->field, buf, sizeof(buf));
	}
	if ((hash = crypt_hash(buf))) {
		crypt_cost_key(hash, key, sizeof(key));
		for (i = 0; i < v->ncls && strcmp(v->cls[i].key, key); i++)
			;
		if (i == v->ncls && i < COST_CLASSES) {
			snprintf(v->cls[i].key, sizeof(v->cls[i].key), "%s", key);
			snprintf(v->cls[i].hash, sizeof(v->cls[i].hash), "%s", hash);
			v->ncls++;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	return false;	/* the whole file, always */
}

int userdb_verify(const char *path, const char *user, bool local_domain, const char *password)
{
	struct verify_scan *v = calloc(1, sizeof(*v));
	const char *own = NULL;
	char key[sizeof(v->cls[0].key)];
	bool ok = false, own_done = false;
	int r;

	if (!v)
		return -ENOMEM;
	v->address = user;
	v->local_domain = local_domain;
	r = users_each(path, verify_line, v);
	if (r < 0)
		goto out;
	if (v->ncls == 0) {
		snprintf(v->cls[0].hash, sizeof(v->cls[0].hash), "%s", dummy_hash);
		v->ncls = 1;
	}
	if (v->found && (own = crypt_hash(v->field)))
		crypt_cost_key(own, key, sizeof(key));
	for (size_t i = 0; i < v->ncls; i++) {
		if (own && !own_done && strcmp(key, v->cls[i].key) == 0) {
			ok = crypt_matches(password, own);
			own_done = true;
		} else {
			crypt_matches(password, v->cls[i].hash);
		}
	}
	if (own && !own_done)
		ok = crypt_matches(password, own);	/* a class past COST_CLASSES */
	if (v->found && userdb_is_plain(v->field))
		ok = v->field[7] != '\0' && equal_ct(v->field + 7, password);
	r = ok ? 0 : -EACCES;
out:
	explicit_bzero(v, sizeof(*v));
	free(v);
	return r;
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
