/* tls-policy.c — see tls-policy.h. */
#include "tls-policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A bound on the file: it is read whole by every run. */
#define TLS_POLICY_MAX_BYTES (1024 * 1024)

static const char *const level_names[] = {
	[TLS_NONE] = "none", [TLS_MAY] = "may", [TLS_ENCRYPT] = "encrypt", [TLS_VERIFY] = "verify",
};

/* A domain (RFC 5321 §4.1.2 Domain, or an address literal as it appears
 * after '@'), with an optional leading '.' for "every subdomain". */
static bool domain_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > 255)
		return false;
	if (s[0] == '[')
		return n > 2 && s[n - 1] == ']' && strspn(s + 1, "0123456789abcdefABCDEF.:IPv6") == n - 2;
	if (s[0] == '.')
		i = 1;
	if (i == n)
		return false;
	for (size_t label = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (++label > 63)
			return false;
	}
	return s[n - 1] != '.';
}

static int add(struct tls_policy *p, const char *d, size_t n, enum tls_level level)
{
	struct tls_policy_entry *v = realloc(p->v, (p->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->v = v;
	for (size_t i = 0; i < n; i++)
		v[p->n].domain[i] = (char)(d[i] >= 'A' && d[i] <= 'Z' ? d[i] - 'A' + 'a' : d[i]);
	v[p->n].domain[n] = '\0';
	v[p->n].level = level;
	p->n++;
	return 0;
}

/* The next blank-separated word of @s[@i..@n): its start and length;
 * returns the index after the blanks that follow it. */
static size_t word(const char *s, size_t n, size_t i, size_t *start_r, size_t *len_r)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	*start_r = i;
	while (i < n && s[i] != ' ' && s[i] != '\t')
		i++;
	*len_r = i - *start_r;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/*   file  = *( line LF ) [ line ]
 *   line  = *WSP [ domain 1*WSP level *WSP ] [ "#" *VCHAR ]
 *   level = "none" / "may" / "encrypt" / "verify"   (case-insensitive) */
int tls_policy_parse(const char *text, size_t len, struct tls_policy *p, unsigned *line_r,
		     char *why, size_t whysize)
{
	size_t pos = 0;
	unsigned line = 0;

	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos, i = 0, d0, dn, l0, ln;
		int level = -1;

		pos += n + (nl ? 1 : 0);
		line++;
		*line_r = line;
		if (n && s[n - 1] == '\r')
			n--;
		for (size_t k = 0; k < n; k++)
			if (s[k] == '#') {
				n = k;
				break;
			}
		i = word(s, n, i, &d0, &dn);
		if (dn == 0)
			continue;
		i = word(s, n, i, &l0, &ln);
		if (!domain_ok(s + d0, dn)) {
			snprintf(why, whysize, "'%.*s' is not a domain", (int)(dn > 80 ? 80 : dn), s + d0);
			return -EINVAL;
		}
		if (ln == 0) {
			snprintf(why, whysize, "%.*s: no level (none, may, encrypt or verify)", (int)dn, s + d0);
			return -EINVAL;
		}
		for (int k = 0; k < (int)(sizeof(level_names) / sizeof(level_names[0])); k++)
			if (level_names[k] && strlen(level_names[k]) == ln && strncasecmp(s + l0, level_names[k], ln) == 0)
				level = k;
		if (level < 0) {
			snprintf(why, whysize, "%.*s: level '%.*s' is not none, may, encrypt or verify", (int)dn,
				 s + d0, (int)(ln > 40 ? 40 : ln), s + l0);
			return -EINVAL;
		}
		if (i != n) {
			snprintf(why, whysize, "%.*s: text after the level", (int)dn, s + d0);
			return -EINVAL;
		}
		for (size_t k = 0; k < p->n; k++)
			if (strlen(p->v[k].domain) == dn && strncasecmp(p->v[k].domain, s + d0, dn) == 0) {
				snprintf(why, whysize, "%.*s: listed twice", (int)dn, s + d0);
				return -EINVAL;
			}
		if (add(p, s + d0, dn, (enum tls_level)level) < 0) {
			snprintf(why, whysize, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

static int load(const char *path, struct tls_policy *p, unsigned *line_r, char *why, size_t whysize)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;
	struct stat st;
	char *buf;
	ssize_t got;
	size_t len = 0;

	*line_r = 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(why, whysize, "cannot read: %s", strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (st.st_size > TLS_POLICY_MAX_BYTES) {
		snprintf(why, whysize, "larger than %d bytes", TLS_POLICY_MAX_BYTES);
		close(fd);
		return -EFBIG;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	while ((got = read(fd, buf + len, (size_t)st.st_size - len)) > 0 && len < (size_t)st.st_size)
		len += (size_t)got;
	r = got < 0 ? -errno : 0;
	close(fd);
	if (r < 0) {
		snprintf(why, whysize, "cannot read: %s", strerror(-r));
		free(buf);
		return r;
	}
	r = tls_policy_parse(buf, len, p, line_r, why, whysize);
	free(buf);
	return r;
}

int tls_policy_load(const char *path, struct tls_policy *p, char *why, size_t whysize)
{
	char reason[256];
	unsigned line;
	int r = load(path, p, &line, reason, sizeof(reason));

	if (r < 0 && line)
		snprintf(why, whysize, "%s:%u: %s", path, line, reason);
	else if (r < 0)
		snprintf(why, whysize, "%s: %s", path, reason);
	return r;
}

bool tls_policy_lookup(const struct tls_policy *p, const char *domain, enum tls_level *level_r)
{
	if (!p)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->v[i].domain, domain) == 0) {
			*level_r = p->v[i].level;
			return true;
		}
	/* the nearest parent: a.b.example.com tries .b.example.com, then
	 * .example.com, then .com */
	for (const char *d = strchr(domain, '.'); d; d = strchr(d + 1, '.'))
		for (size_t i = 0; i < p->n; i++)
			if (p->v[i].domain[0] == '.' && strcasecmp(p->v[i].domain, d) == 0) {
				*level_r = p->v[i].level;
				return true;
			}
	return false;
}

void tls_policy_free(struct tls_policy *p)
{
	if (!p)
		return;
	free(p->v);
	p->v = NULL;
	p->n = 0;
}
