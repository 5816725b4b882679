/* userdb.h — the users file (Dovecot passwd-file) and the aliases file.
 *
 *   users:    user@domain:{SCHEME}hash[:uid:gid:gecos:home:shell:extra]
 *             (a bare "user" matches that local part in every local domain,
 *             and in no other: callers say whether the domain is local)
 *   aliases:  alias@domain: target[, target...]
 *             (a bare "alias:" matches that local part in every local domain)
 * Lines starting with '#' and blank lines are ignored; names compare
 * case-insensitively.  The files are read when needed, never cached across
 * connections, so edits apply to the next lookup.
 */
#ifndef SMTPD_USERDB_H
#define SMTPD_USERDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Find @address ("local@domain", lower-case) in the users file @path.
 * A bare "user" line matches only when @local_domain (the address's domain
 * is one of ours): "carol" is carol@example.org, never carol@evil.example.
 * Returns 1 and, when @pass_r is not NULL, the password field (possibly
 * empty) in @pass_r; 0 when absent; -errno when the file cannot be read
 * (a missing file too: mail for its users must be deferred, not bounced).
 * A NULL @path has no users. */
int userdb_find(const char *path, const char *address, bool local_domain,
		char *pass_r, size_t passsize);

/* The users file's names, read once into a hash (for a session's RCPTs,
 * instead of a scan of the file per lookup).  No password field is kept.
 * userdb_lookup() stats the file on every call and reads it again when it
 * was replaced or changed (device, inode, size, mtime, ctime).  Memory is
 * bounded: a file over USERDB_INDEX_MAX bytes is not indexed but scanned
 * per lookup, as userdb_find does. */
#define USERDB_INDEX_MAX (64L * 1024 * 1024)

/* userdb_lookup() scans the file this many times in a session before it
 * builds the index (userdb.c says why). */
#define USERDB_SCANS_BEFORE_INDEX 16

struct userdb_index {
	bool loaded, scan;	/* scan: too big, userdb_find per lookup */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
	char *names;		/* lower-case names, each NUL-terminated */
	uint32_t *slot;		/* offset + 1 into names, 0 free */
	size_t nslot, n;
	unsigned lookups;	/* before the index was built */
};

/* userdb_find(@path, @address, @local_domain) through @ix: 1, 0 or
 * -errno, the same answers. */
int userdb_lookup(struct userdb_index *ix, const char *path, const char *address, bool local_domain);
void userdb_index_free(struct userdb_index *ix);

/* Check @password for @user ("local@domain", lower-case) against the
 * users file (@local_domain as for userdb_find).  Password fields: a crypt(3) hash, bare or as {CRYPT},
 * {SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT} (yescrypt $y$, $6$, $5$,
 * $2b$/$2y$), or {PLAIN}text.  Empty or '!'-prefixed fields never match.
 * Returns 0 on success, -EACCES for a wrong password or unknown user,
 * -errno when the file cannot be read.  Every check costs the same
 * whoever is asked (unknown, {PLAIN}, locked or of any scheme): the whole
 * file is read and one crypt(3) of each cost class in it (scheme and cost
 * parameters) is computed — the user's own hash for the user's class, the
 * first hash of the class otherwise; a file with no hash computes one
 * dummy yescrypt.  At most 8 classes (smtpd.conf(5)). */
int userdb_verify(const char *path, const char *user, bool local_domain, const char *password);

/* Whether a password field is stored in clear ({PLAIN}). */
bool userdb_is_plain(const char *field);

struct alias {
	char *name;		/* "local@domain" or bare "local" */
	char *targets;		/* "a@b, c@d" as written */
	unsigned line;		/* in the file, for messages */
};

struct aliases {
	struct alias *v;
	size_t n;
};

/* Load @path (missing file: empty table).  Returns 0 or -errno; problems
 * are reported as "FILE:LINE: message" to @diag when it is not NULL. */
int aliases_load(const char *path, struct aliases *al,
		 void (*diag)(void *ctx, const char *msg), void *ctx);
void aliases_free(struct aliases *al);
/* One target of an alias's list, in place: white space and one pair of
 * angle brackets around it removed.  Returns the start of the target. */
char *aliases_target_trim(char *tok);

/* Targets of @address ("local@domain", lower-case), or NULL. */
const char *aliases_get(const struct aliases *al, const char *address);

#endif
