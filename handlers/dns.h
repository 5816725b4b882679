/* dns.h — DNS lookups for the handlers (DNSRBL, HELO checks, sender
 * domains).
 *
 * The libc stub resolver (res_nquery) with the servers and timeout of
 * dnsservice { } (James' dnsservice.xml; none given: /etc/resolv.conf).
 * A process serves one connection and keeps no cache: a local caching
 * resolver is the deployment smtpd.conf(5) documents.  Every lookup is
 * bounded by the timeout; DNS_TEMPFAIL (timeout, SERVFAIL, no server)
 * lets the caller fail open, which each handler logs.
 *
 * The answer parser (dns_parse_answer) is pure and fuzzed.
 */
#ifndef SMTPD_DNS_H
#define SMTPD_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"
#include "netmatch.h"

struct config;

/* RFC 1035 §3.2.2 */
enum { DNS_T_A = 1, DNS_T_PTR = 12, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28 };

enum dns_result {
	DNS_FOUND,		/* at least one record of the type */
	DNS_NONE,		/* NXDOMAIN, or the name has no such record */
	DNS_TEMPFAIL,		/* timeout, SERVFAIL, malformed answer */
};

/* One record of an answer: for A/AAAA the address, for PTR/MX the name
 * (MX: with its preference), for TXT the character-strings joined, each
 * control character replaced by '?'. */
#define DNS_TEXT_MAX 512
struct dns_record {
	int type;
	struct netaddr addr;
	unsigned pref;
	char text[DNS_TEXT_MAX];	/* names without the final dot */
};

/* Parse a reply (RFC 1035 §4.1) and call @fn for each answer record of
 * @type (CNAMEs are followed by the resolver and skipped here), at most
 * @max of them.  Returns the number passed to @fn, or -1 when the
 * message is malformed. */
int dns_parse_answer(const uint8_t *msg, size_t len, int type, size_t max,
		     void (*fn)(void *ctx, const struct dns_record *r), void *ctx);

/* The DNSBL query name for @a in @zone (RFC 5782 §2.1 IPv4: reversed
 * octets; §2.4 IPv6: reversed nibbles).  False if it does not fit. */
bool dns_reverse_name(const struct netaddr *a, const char *zone, char *buf, size_t size);

/* Look up @name's records of @type, up to @max into @out (*@n_r of
 * them). */
enum dns_result dns_lookup(const struct config *cfg, const char *name, int type,
			   struct dns_record *out, size_t max, size_t *n_r);
/* A and AAAA together: FOUND if either has an address. */
enum dns_result dns_addresses(const struct config *cfg, const char *name,
			      struct dns_record *out, size_t max, size_t *n_r);
/* Text for logs. */
const char *dns_result_name(enum dns_result r);

/* dnsservice { servers = { "IP", ... } timeout = SECONDS } */
extern const struct config_module dnsservice_module;

#endif
