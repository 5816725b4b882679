/* fuzz_util.h — a scratch directory for the targets that need files.
 *
 * On /dev/shm when it exists: the sinks fsync every message, and fsync on
 * tmpfs costs nothing, which keeps a whole-session target fast.  The
 * directory is removed at exit. */
#ifndef SMTPD_FUZZ_UTIL_H
#define SMTPD_FUZZ_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_dir[256];

static inline int fuzz_rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Remove regular files below @dir, keep directories (mail dirs are made
 * once per user name; the files are what a run leaves). */
static inline int fuzz_rm_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F || type == FTW_SL)
		unlink(path);
	return 0;
}

static inline void fuzz_cleanup_files(const char *dir)
{
	nftw(dir, fuzz_rm_file, 16, FTW_PHYS);
}

static inline void fuzz_remove_dir(void)
{
	if (fuzz_dir[0])
		nftw(fuzz_dir, fuzz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline const char *fuzz_make_dir(const char *name)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/%s.XXXXXX", base ? base : "/tmp", name);
	if (!mkdtemp(fuzz_dir)) {
		perror("mkdtemp");
		abort();
	}
	atexit(fuzz_remove_dir);
	return fuzz_dir;
}

static inline void fuzz_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

#endif
