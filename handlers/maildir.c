/* maildir.c — see maildir.h. */
#include "maildir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char host_part[96] = "localhost";
static unsigned long delivery_counter;

void maildir_set_host(const char *host)
{
	size_t o = 0;

	for (; *host && o + 5 < sizeof(host_part); host++) {
		if (*host == '/')
			o += (size_t)snprintf(host_part + o, sizeof(host_part) - o, "\\057");
		else if (*host == ':')
			o += (size_t)snprintf(host_part + o, sizeof(host_part) - o, "\\072");
		else
			host_part[o++] = *host;
	}
	host_part[o] = '\0';
}

/* One path component from client-influenced text: no '/', no control
 * characters, no leading dot (".", "..", hidden files).  Octets >= 0x80
 * are kept: SMTPUTF8 addresses (RFC 6531) were checked as UTF-8 by the
 * parser, and UTF-8 never encodes '/' or NUL inside a sequence. */
static bool component_safe(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/' || c < 32 || c == 127)
			return false;
	}
	return true;
}

int maildir_expand(const char *tmpl, const char *address, char *out, size_t size)
{
	const char *at = strrchr(address, '@');
	size_t o = 0;

	if (!at || at == address || !at[1])
		return -EINVAL;
	if (!component_safe(address, (size_t)(at - address)) || !component_safe(at + 1, strlen(at + 1)))
		return -EINVAL;
	for (const char *p = tmpl; *p; p++) {
		const char *s = p;
		size_t n = 1;

		if (*p == '%') {
			switch (*++p) {
			case 'd': s = at + 1; n = strlen(s); break;
			case 'n': s = address; n = (size_t)(at - address); break;
			case 'u': s = address; n = strlen(s); break;
			case '%': s = p; n = 1; break;
			default: return -EINVAL;
			}
		}
		if (o + n >= size)
			return -ENAMETOOLONG;
		memcpy(out + o, s, n);
		o += n;
	}
	out[o] = '\0';
	/* belt and braces: whatever the template, no ".." component */
	for (const char *p = out; (p = strstr(p, "..")); p += 2)
		if ((p == out || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return -EINVAL;
	return 0;
}

void maildir_template_root(const char *tmpl, char *out, size_t size)
{
	const char *pct = strchr(tmpl, '%');
	size_t n = pct ? (size_t)(pct - tmpl) : strlen(tmpl);

	while (n > 1 && tmpl[n - 1] != '/')
		n--;
	if (n > 1 && tmpl[n - 1] == '/')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, tmpl, n);
	out[n] = '\0';
}

/* Open the directory @path, and then its subdirectory @sub when not NULL,
 * walking every component after the first @rootlen octets (the mail root,
 * the administrator's, which may be a link) with openat(O_NOFOLLOW), so a
 * symbolic link planted anywhere below the root is never followed.  With
 * @create, each missing component is made (mode 0700) and its parent
 * fsync'ed, so the new entry survives a crash (a message linked into a
 * fresh new/ must not vanish with its directory).  The fd, or -errno
 * (ELOOP or ENOTDIR for a link). */
static int open_below(const char *path, size_t rootlen, const char *sub, bool create)
{
	char buf[PATH_MAX], *save = NULL, *rest;
	const char *top = buf;
	int fd;

	if (snprintf(buf, sizeof(buf), "%s%s%s", path, sub ? "/" : "", sub ? sub : "") >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	if (rootlen == 1 && buf[0] == '/') {
		top = "/";
		rest = buf + 1;
	} else if (rootlen > 0 && rootlen < strlen(buf) && buf[rootlen] == '/') {
		buf[rootlen] = '\0';
		rest = buf + rootlen + 1;
	} else {
		return -EINVAL;	/* @path is not below its root */
	}
	fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (char *c = strtok_r(rest, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;

		if (create && mkdirat(fd, c, 0700) == 0 && fsync(fd) != 0) {
			next = -errno;
			close(fd);
			return next;
		}
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			next = -errno;
		close(fd);
		if (next < 0)
			return next;
		fd = next;
	}
	return fd;
}

int maildir_ensure(const char *root, const char *dir)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	size_t rootlen = strlen(root);
	struct stat st;
	int fd;

	/* the usual case: it is there (and no link on the way) */
	if ((fd = open_below(dir, rootlen, "new", false)) >= 0) {
		close(fd);
		return 0;
	}
	if (stat(root, &st) != 0)
		return -errno;	/* the mail root itself is never created */
	for (size_t i = 0; i < 3; i++) {
		if ((fd = open_below(dir, rootlen, subs[i], true)) < 0)
			return fd;
		close(fd);
	}
	return 0;
}

int mdfile_create(struct mdfile *f, const char *root, const char *dir)
{
	struct timeval tv;
	int tmp;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->rootlen = strlen(root);
	if (snprintf(f->dir, sizeof(f->dir), "%s", dir) >= (int)sizeof(f->dir))
		return -ENAMETOOLONG;
	if ((tmp = open_below(dir, f->rootlen, "tmp", false)) < 0)
		return tmp;
	for (int attempt = 0; attempt < 3; attempt++) {
		gettimeofday(&tv, NULL);
		snprintf(f->base, sizeof(f->base), "%lld.M%06ldP%dQ%lu.%s",
			 (long long)tv.tv_sec, (long)tv.tv_usec, (int)getpid(),
			 ++delivery_counter, host_part);
		f->fd = openat(tmp, f->base, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (f->fd >= 0 || errno != EEXIST)
			break;
	}
	if (f->fd < 0) {
		int r = -errno;

		close(tmp);
		f->base[0] = '\0';
		return r;
	}
	close(tmp);
	return 0;
}

int mdfile_reader(const struct mdfile *f)
{
	int fd = f->fd < 0 ? -1 : fcntl(f->fd, F_DUPFD_CLOEXEC, 0);

	return fd < 0 ? (f->fd < 0 ? -EBADF : -errno) : fd;
}

int mdfile_write(struct mdfile *f, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(f->fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		f->size += (uint64_t)w;
	}
	return 0;
}

int mdfile_sync(struct mdfile *f)
{
	int r = 0;

	if (f->fd < 0)
		return -EBADF;
	if (fsync(f->fd) != 0)
		r = -errno;
	if (close(f->fd) != 0 && r == 0)
		r = -errno;
	f->fd = -1;
	return r;
}

int mdfile_publish(struct mdfile *f)
{
	int md, tmp, new, r = 0;

	snprintf(f->final, sizeof(f->final), "%s,S=%llu", f->base, (unsigned long long)f->size);
	/* one walk to the maildir, then its tmp/ and new/ (no link either) */
	if ((md = open_below(f->dir, f->rootlen, NULL, false)) < 0)
		return md;
	tmp = openat(md, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	new = tmp < 0 ? -1 : openat(md, "new", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (new < 0) {
		r = -errno;
		if (tmp >= 0)
			close(tmp);
		close(md);
		return r;
	}
	close(md);
	if (linkat(tmp, f->base, new, f->final, 0) != 0) {
		r = -errno;
	} else {
		f->linked = true;
		unlinkat(tmp, f->base, 0);
		if (fsync(new) != 0)
			r = -errno;
	}
	close(tmp);
	close(new);
	if (r < 0 && f->linked)
		mdfile_unpublish(f);
	return r;
}

int mdfile_unpublish(struct mdfile *f)
{
	int new, r = 0;

	if (!f->linked)
		return 0;
	f->linked = false;
	if ((new = open_below(f->dir, f->rootlen, "new", false)) < 0)
		return new;
	/* make the withdrawal durable too, or a crash could resurrect a
	 * copy the client was told to send again */
	if (unlinkat(new, f->final, 0) != 0 || fsync(new) != 0)
		r = -errno;
	close(new);
	return r;
}

void mdfile_abort(struct mdfile *f)
{
	int tmp;

	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	if (f->base[0] && !f->linked && (tmp = open_below(f->dir, f->rootlen, "tmp", false)) >= 0) {
		unlinkat(tmp, f->base, 0);
		close(tmp);
	}
	f->base[0] = '\0';
}
