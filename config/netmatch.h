/* netmatch.h — authorizedAddresses: parse entries, match a peer.
 *
 * Entry forms, as James' NetMatcher accepts them:
 *   192.0.2.7            IPv4 exact          2001:db8::1        IPv6 exact
 *   127.*  10.1.*.*      IPv4 wildcard       2001:db8::/32      IPv6 prefix
 *   127.0.0.0/8          IPv4 CIDR           ::ffff:10.0.0.0/104 (mapped)
 *   127.0.0.0/255.0.0.0  IPv4 netmask        localhost/8        host name
 * Host names are resolved when parsed (config load); each address found
 * becomes an entry with the given prefix.  IPv4-mapped IPv6 addresses are
 * folded to IPv4 on both sides, so ::ffff:127.0.0.1 matches 127.0.0.0/8.
 */
#ifndef SMTPD_NETMATCH_H
#define SMTPD_NETMATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netaddr {
	int family;		/* AF_INET, AF_INET6, AF_UNIX (a local peer:
				 * no address), or 0 for unknown */
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
};

struct netrange {
	struct netaddr net;
	unsigned prefix;	/* bits */
};

struct netlist {
	struct netrange *v;
	size_t n, cap;
};

enum netparse {
	NETPARSE_OK,
	NETPARSE_SYNTAX,	/* not an address, wildcard, CIDR or name */
	NETPARSE_PREFIX,	/* prefix or netmask out of range / not contiguous */
	NETPARSE_UNRESOLVED,	/* a host name that did not resolve */
	NETPARSE_NOMEM,
};

/* Parse one entry and append what it denotes to @list.  @resolve allows
 * host names (getaddrinfo); without it they are NETPARSE_SYNTAX. */
enum netparse netlist_add(struct netlist *list, const char *entry, bool resolve);
void netlist_free(struct netlist *list);
bool netlist_match(const struct netlist *list, const struct netaddr *peer);

/* Text to address; IPv4-mapped IPv6 folded to IPv4.  Returns false on bad
 * syntax. */
bool netaddr_parse(const char *text, struct netaddr *addr_r);
/* Address to text (no brackets); "local" for AF_UNIX, "unknown" for
 * family 0. */
void netaddr_format(const struct netaddr *addr, char *buf, size_t size);
/* Fold ::ffff:a.b.c.d to a.b.c.d in place. */
void netaddr_fold_mapped(struct netaddr *addr);

#endif
