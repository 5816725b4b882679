/* netmatch.c — see netmatch.h. */
#include "netmatch.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void netaddr_fold_mapped(struct netaddr *a)
{
	if (a->family == AF_INET6 && memcmp(a->addr, mapped_prefix, 12) == 0) {
		memmove(a->addr, a->addr + 12, 4);
		memset(a->addr + 4, 0, 12);
		a->family = AF_INET;
	}
}

bool netaddr_parse(const char *text, struct netaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->addr) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, a->addr) == 1) {
		a->family = AF_INET6;
		netaddr_fold_mapped(a);
		return true;
	}
	return false;
}

void netaddr_format(const struct netaddr *a, char *buf, size_t size)
{
	if (a->family == AF_UNIX)
		snprintf(buf, size, "local");
	else if (a->family == 0 || !inet_ntop(a->family, a->addr, buf, (socklen_t)size))
		snprintf(buf, size, "unknown");
}

static enum netparse push(struct netlist *l, const struct netaddr *a, unsigned prefix)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct netrange *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NETPARSE_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].net = *a;
	l->v[l->n].prefix = prefix;
	l->n++;
	return NETPARSE_OK;
}

/* "10.1.*" or "10.1.*.*": leading octets fixed, the rest wild. */
static bool parse_wildcard(const char *s, struct netaddr *a, unsigned *prefix_r)
{
	unsigned fixed = 0;
	bool wild = false;

	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	for (int octet = 0; octet < 4 && *s; octet++) {
		if (*s == '*') {
			wild = true;
			s++;
		} else {
			char *end;
			unsigned long v;

			if (wild || !isdigit((unsigned char)*s))
				return false;
			v = strtoul(s, &end, 10);
			if (v > 255 || end - s > 3)
				return false;
			a->addr[octet] = (uint8_t)v;
			fixed++;
			s = end;
		}
		if (*s == '.')
			s++;
		else if (*s)
			return false;
	}
	if (*s || !wild)
		return false;
	*prefix_r = fixed * 8;
	return true;
}

/* Netmask "255.255.0.0" to a prefix length; contiguous masks only. */
static bool mask_to_prefix(const char *s, unsigned *prefix_r)
{
	struct in_addr m;
	uint32_t v;
	unsigned n = 0;

	if (inet_pton(AF_INET, s, &m) != 1)
		return false;
	v = ntohl(m.s_addr);
	while (v & 0x80000000u) {
		n++;
		v <<= 1;
	}
	if (v != 0)
		return false;
	*prefix_r = n;
	return true;
}

static bool is_hostname(const char *s)
{
	if (!*s || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
			return false;
	return true;
}

static enum netparse add_resolved(struct netlist *l, const char *host, int prefix)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	enum netparse r = NETPARSE_OK;

	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return NETPARSE_UNRESOLVED;
	for (ai = res; ai && r == NETPARSE_OK; ai = ai->ai_next) {
		struct netaddr a = { 0 };
		unsigned p;

		if (ai->ai_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
			p = prefix < 0 ? 32 : (unsigned)prefix;
			if (p > 32)
				p = 32;
		} else if (ai->ai_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
			netaddr_fold_mapped(&a);
			/* A /bits meant for IPv4 ("localhost/8") does not apply
			 * to the host's IPv6 addresses: take those exactly. */
			p = a.family == AF_INET ? (prefix < 0 ? 32 : (unsigned)prefix) : 128;
		} else {
			continue;
		}
		r = push(l, &a, p);
	}
	freeaddrinfo(res);
	return r;
}

enum netparse netlist_add(struct netlist *l, const char *entry, bool resolve)
{
	char buf[300];
	char *slash;
	struct netaddr a;
	unsigned prefix;
	int given = -1;

	if (strlen(entry) >= sizeof(buf) || !*entry)
		return NETPARSE_SYNTAX;
	strcpy(buf, entry);
	if (strchr(buf, '*')) {
		if (!parse_wildcard(buf, &a, &prefix))
			return NETPARSE_SYNTAX;
		return push(l, &a, prefix);
	}
	slash = strchr(buf, '/');
	if (slash) {
		char *end;
		unsigned long v;

		*slash++ = '\0';
		if (strchr(slash, '.')) {
			if (!mask_to_prefix(slash, &prefix))
				return NETPARSE_PREFIX;
			given = (int)prefix;
		} else {
			if (!isdigit((unsigned char)*slash))
				return NETPARSE_PREFIX;
			errno = 0;
			v = strtoul(slash, &end, 10);
			if (*end || errno || v > 128)
				return NETPARSE_PREFIX;
			given = (int)v;
		}
	}
	if (netaddr_parse(buf, &a)) {
		unsigned max = a.family == AF_INET ? 32 : 128;

		/* "::ffff:10.0.0.0/104" was folded: shift the prefix too. */
		if (given >= 0 && a.family == AF_INET && strchr(buf, ':')) {
			if (given < 96)
				return NETPARSE_PREFIX;
			given -= 96;
		}
		if (given > (int)max)
			return NETPARSE_PREFIX;
		return push(l, &a, given < 0 ? max : (unsigned)given);
	}
	if (!resolve || !is_hostname(buf))
		return NETPARSE_SYNTAX;
	return add_resolved(l, buf, given);
}

void netlist_free(struct netlist *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff00 >> rest)) == 0;
}

bool netlist_match(const struct netlist *l, const struct netaddr *peer)
{
	struct netaddr p = *peer;

	if (p.family == 0)
		return false;
	netaddr_fold_mapped(&p);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].net.family == p.family
		    && prefix_equal(l->v[i].net.addr, p.addr, l->v[i].prefix))
			return true;
	return false;
}
