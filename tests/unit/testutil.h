/* testutil.h — scratch directories and files for the unit tests. */
#ifndef SMTPD_TESTUTIL_H
#define SMTPD_TESTUTIL_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A fresh directory under $TMPDIR (or /tmp); exits on failure. */
static inline char *scratch_dir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&path, "%s/smtpd-unit-%s-XXXXXX", base, tag) < 0 || !mkdtemp(path)) {
		perror("scratch_dir");
		exit(99);
	}
	return path;
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP) {
		chmod(path, 0700);
		rmdir(path);
	} else {
		unlink(path);
	}
	return 0;
}

/* rm -rf @path. */
static inline void scratch_remove(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes @text to @dir/@name; returns the malloc'ed path; exits on failure. */
static inline char *write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0 || !(f = fopen(path, "w"))) {
		perror("write_file");
		exit(99);
	}
	fputs(text, f);
	if (fclose(f) != 0) {
		perror("write_file");
		exit(99);
	}
	return path;
}

/* The whole of @path, NUL-terminated, length in *@len_r; NULL on error. */
static inline char *slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 8192;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (len_r)
		*len_r = len;
	return buf;
}

#endif
