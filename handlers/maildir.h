/* maildir.h — durable files in maildirs (https://cr.yp.to/proto/maildir.html).
 *
 * A copy is written to DIR/tmp/ under a unique name, fsync'ed, then linked
 * into DIR/new/ (link(2) never overwrites), the tmp name removed, and
 * DIR/new/ fsync'ed: a reader of new/ sees a complete file or nothing.
 * Names follow Dovecot: <secs>.M<usec>P<pid>Q<n>.<host>,S=<size>.
 */
#ifndef SMTPD_MAILDIR_H
#define SMTPD_MAILDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Expand the mailboxes template for @address ("local@domain", already
 * lower-case, no +tag): %d domain, %n local part, %u address, %% '%'.
 * Every expansion is checked so that no path can leave the template's
 * directory: empty, "/", leading ".", "..", control characters refused
 * (UTF-8 from SMTPUTF8 addresses is kept).
 * Returns 0, -EINVAL (unsafe) or -ENAMETOOLONG. */
int maildir_expand(const char *tmpl, const char *address, char *out, size_t size);

/* Create @dir (and missing parents below the template's fixed prefix
 * @root, which must exist) with tmp/ new/ cur/, mode 0700.  Below @root
 * nothing is ever reached through a symbolic link: every component is
 * made and opened with mkdirat/openat(O_DIRECTORY | O_NOFOLLOW) from the
 * root, so a link planted there (mail/example.org/alice -> /elsewhere)
 * fails with -ELOOP or -ENOTDIR.  The mdfile calls below walk the same
 * way each time they need tmp/ or new/. */
int maildir_ensure(const char *root, const char *dir);

/* The fixed leading directory of a template: "/var/mail/%d/%n" ->
 * "/var/mail". */
void maildir_template_root(const char *tmpl, char *out, size_t size);

struct mdfile {
	int fd;			/* -1 when closed */
	size_t rootlen;		/* dir's first rootlen octets are the root */
	bool linked;		/* in new/ */
	uint64_t size;
	char dir[PATH_MAX];
	char base[128];		/* unique name in tmp/ */
	char final[192];	/* name in new/ */
};

/* Set the host part of unique names (from gethostname, '/' and ':'
 * escaped as maildir asks). */
void maildir_set_host(const char *host);

/* Open a new unique file in @dir/tmp (@dir below @root, as for
 * maildir_ensure).  0 or -errno. */
int mdfile_create(struct mdfile *f, const char *root, const char *dir);
/* A second descriptor of the open file (it stays open after
 * mdfile_sync closes f->fd): the fd or -errno. */
int mdfile_reader(const struct mdfile *f);
/* Write all of @buf.  0 or -errno. */
int mdfile_write(struct mdfile *f, const void *buf, size_t n);
/* fsync and close the tmp file.  0 or -errno. */
int mdfile_sync(struct mdfile *f);
/* Link into new/ with ",S=<size>", remove the tmp name, fsync new/. */
int mdfile_publish(struct mdfile *f);
/* Remove from new/ (roll back a publish).  0 or -errno. */
int mdfile_unpublish(struct mdfile *f);
/* Close and remove the tmp file, if any.  Safe to call twice. */
void mdfile_abort(struct mdfile *f);

#endif
