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

static int sync_dir(const char *dir);

/* mkdir, and when it created something, fsync the parent so the new entry
 * survives a crash (a message linked into a fresh new/ must not vanish
 * with its directory). */
static int mkdir_one(const char *path)
{
	char parent[PATH_MAX];
	char *slash;

	if (mkdir(path, 0700) != 0)
		return errno == EEXIST ? 0 : -errno;
	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return sync_dir(parent);
}

int maildir_ensure(const char *root, const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	size_t rootlen = strlen(root);
	int r;

	if (snprintf(path, sizeof(path), "%s/new", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st) == 0)
		return 0;
	if (stat(root, &st) != 0)
		return -errno;	/* the mail root itself is never created */
	/* mkdir -p for each component after the root */
	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + rootlen + 1; p && *p; p = strchr(p + 1, '/')) {
		char *slash = strchr(p, '/');

		if (slash)
			*slash = '\0';
		r = mkdir_one(path);
		if (slash)
			*slash = '/';
		if (r < 0)
			return r;
		if (!slash)
			break;
	}
	if ((r = mkdir_one(path)) < 0)
		return r;
	static const char *const subs[] = { "tmp", "new", "cur" };
	for (size_t i = 0; i < 3; i++) {
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[i]);
		if ((r = mkdir_one(sub)) < 0)
			return r;
	}
	return 0;
}

int mdfile_create(struct mdfile *f, const char *dir)
{
	char path[PATH_MAX];
	struct timeval tv;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (snprintf(f->dir, sizeof(f->dir), "%s", dir) >= (int)sizeof(f->dir))
		return -ENAMETOOLONG;
	for (int attempt = 0; attempt < 3; attempt++) {
		gettimeofday(&tv, NULL);
		snprintf(f->base, sizeof(f->base), "%lld.M%06ldP%dQ%lu.%s",
			 (long long)tv.tv_sec, (long)tv.tv_usec, (int)getpid(),
			 ++delivery_counter, host_part);
		snprintf(path, sizeof(path), "%s/tmp/%s", dir, f->base);
		f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (f->fd >= 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
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

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		r = -errno;
	close(fd);
	return r;
}

int mdfile_publish(struct mdfile *f)
{
	char from[PATH_MAX], to[PATH_MAX], newdir[PATH_MAX];
	int r;

	snprintf(f->final, sizeof(f->final), "%s,S=%llu", f->base, (unsigned long long)f->size);
	snprintf(from, sizeof(from), "%s/tmp/%s", f->dir, f->base);
	snprintf(to, sizeof(to), "%s/new/%s", f->dir, f->final);
	snprintf(newdir, sizeof(newdir), "%s/new", f->dir);
	if (link(from, to) != 0)
		return -errno;
	f->linked = true;
	unlink(from);
	r = sync_dir(newdir);
	if (r < 0) {
		mdfile_unpublish(f);
		return r;
	}
	return 0;
}

int mdfile_unpublish(struct mdfile *f)
{
	char to[PATH_MAX];

	if (!f->linked)
		return 0;
	snprintf(to, sizeof(to), "%s/new/%s", f->dir, f->final);
	f->linked = false;
	if (unlink(to) != 0)
		return -errno;
	/* make the withdrawal durable too, or a crash could resurrect a
	 * copy the client was told to send again */
	snprintf(to, sizeof(to), "%s/new", f->dir);
	return sync_dir(to);
}

void mdfile_abort(struct mdfile *f)
{
	char path[PATH_MAX];

	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	if (f->base[0] && !f->linked) {
		snprintf(path, sizeof(path), "%s/tmp/%s", f->dir, f->base);
		unlink(path);
	}
	f->base[0] = '\0';
}
