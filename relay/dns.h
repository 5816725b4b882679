/* dns.h — the lookups smtpd-relay needs: MX, A/AAAA (RFC 5321 §5.1),
 * null MX (RFC 7505), TLSA (RFC 6698), through the libc resolver
 * (res_nquery) with a server list of our choosing.  With dnssec, the AD
 * bit of a validating resolver is trusted (RES_TRUSTAD: glibc clears it
 * otherwise), as Postfix does; the resolver must then be on loopback. */
#ifndef SMTPD_DNS_H
#define SMTPD_DNS_H

#include <resolv.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum dns_status {
	DNS_OK,
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA,		/* it exists, without records of that type */
	DNS_TEMPFAIL,		/* SERVFAIL, timeout, refused: try later */
};

struct dns {
	struct __res_state res;
	bool dnssec;
};

struct dns_mx {
	char host[256];
	int pref;
};

/* @servers: "IPv4[:port]" (NULL or none: @resolv_conf's nameserver
 * lines, else the system's).  0 or -errno. */
int dns_init(struct dns *d, char *const *servers, size_t nservers, const char *resolv_conf, bool dnssec);
void dns_finish(struct dns *d);

const char *dns_status_name(enum dns_status s);

/* MX records of @domain sorted by preference, equal ones shuffled. */
enum dns_status dns_mx(struct dns *d, const char *domain, struct dns_mx *v, size_t max, size_t *n_r,
		       bool *secure_r);
/* Addresses of @host (@family AF_INET or AF_INET6), with @port. */
enum dns_status dns_addr(struct dns *d, const char *host, int family, int port,
			 struct sockaddr_storage *v, size_t max, size_t *n_r, bool *secure_r);

#endif
