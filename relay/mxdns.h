/* mxdns.h — the lookups smtpd-relay needs: MX, A/AAAA (RFC 5321 §5.1),
 * null MX (RFC 7505), TLSA (RFC 6698), through the libc resolver
 * (res_nquery) with a server list of our choosing.  With dnssec, the AD
 * bit of a validating resolver is trusted (RES_TRUSTAD: glibc clears it
 * otherwise), as Postfix does; the resolver must then be on loopback.
 *
 * Beside handlers/dns.c (the inbound handlers' lookups, dnsservice { })
 * because delivery needs what that API folds together: NXDOMAIN (a
 * permanent failure) apart from NODATA (the implicit MX, RFC 5321 §5.1),
 * and the AD bit. */
#ifndef SMTPD_MXDNS_H
#define SMTPD_MXDNS_H

#include <resolv.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum mxdns_status {
	MXDNS_OK,
	MXDNS_NXDOMAIN,		/* the name does not exist */
	MXDNS_NODATA,		/* it exists, without records of that type */
	MXDNS_TEMPFAIL,		/* SERVFAIL, timeout, refused: try later */
};

struct mxdns {
	struct __res_state res;
	bool dnssec;
};

struct mxdns_mx {
	char host[256];
	int pref;
};

/* @servers: "IPv4[:port]" (NULL or none: @resolv_conf's nameserver
 * lines, else the system's).  0 or -errno. */
int mxdns_init(struct mxdns *d, char *const *servers, size_t nservers, const char *resolv_conf, bool dnssec);
void mxdns_finish(struct mxdns *d);

const char *mxdns_status_name(enum mxdns_status s);

/* MX records of @domain sorted by preference, equal ones shuffled. */
enum mxdns_status mxdns_mx(struct mxdns *d, const char *domain, struct mxdns_mx *v, size_t max, size_t *n_r,
		       bool *secure_r);
/* Addresses of @host (@family AF_INET or AF_INET6), with @port. */
enum mxdns_status mxdns_addr(struct mxdns *d, const char *host, int family, int port,
			 struct sockaddr_storage *v, size_t max, size_t *n_r, bool *secure_r);

#endif
