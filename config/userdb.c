/* userdb.c — see userdb.h. */
#include "userdb.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether the file's @name matches @address: exactly, or as a bare local
 * part equal to the address's local part. */
static bool name_matches(const char *name, size_t len, const char *address)
{
	const char *at = strrchr(address, '@');

	if (strlen(address) == len && strncasecmp(name, address, len) == 0)
		return true;
	return at && !memchr(name, '@', len) && (size_t)(at - address) == len
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

int userdb_find(const char *path, const char *address, char *pass_r, size_t passsize)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	int rc = -ENOENT;

	if (!path)
		return -ENOENT;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ENOENT : -errno;
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *colon;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		colon = strchr(p, ':');
		if (!colon || !name_matches(p, (size_t)(colon - p), address))
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
		rc = 0;
		break;
	}
	if (line) {
		/* the line may hold a password hash */
		explicit_bzero(line, cap);
		free(line);
	}
	if (ferror(f) && rc == -ENOENT)
		rc = -EIO;
	fclose(f);
	return rc;
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

const char *aliases_get(const struct aliases *al, const char *address)
{
	const char *bare = NULL;

	/* An exact "alias@domain" wins over a bare "alias". */
	for (size_t i = 0; i < al->n; i++) {
		const char *name = al->v[i].name;

		if (strcasecmp(name, address) == 0)
			return al->v[i].targets;
		if (!bare && name_matches(name, strlen(name), address))
			bare = al->v[i].targets;
	}
	return bare;
}
