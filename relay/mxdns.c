/* mxdns.c — see mxdns.h. */
#include "mxdns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#ifndef RES_TRUSTAD
#define RES_TRUSTAD 0x04000000
#endif

static bool add_server(struct mxdns *d, const char *spec)
{
	char ip[64];
	const char *colon = strchr(spec, ':');
	long port = 53;
	struct sockaddr_in *sin;

	if (d->res.nscount >= MAXNS)
		return false;
	snprintf(ip, sizeof(ip), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (colon)
		port = strtol(colon + 1, NULL, 10);
	sin = &d->res.nsaddr_list[d->res.nscount];
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1)
		return false;
	d->res.nscount++;
	return true;
}

int mxdns_init(struct mxdns *d, char *const *servers, size_t nservers, const char *resolv_conf, bool dnssec)
{
	memset(d, 0, sizeof(*d));
	if (res_ninit(&d->res) < 0)
		return -EIO;
	d->dnssec = dnssec;
	/* RFC 5321 §5.1: no search list, no default domain */
	d->res.options &= ~(unsigned long)(RES_DEFNAMES | RES_DNSRCH);
	d->res.retrans = 3;
	d->res.retry = 2;
	if (dnssec)
		d->res.options |= RES_USE_DNSSEC | RES_USE_EDNS0 | RES_TRUSTAD;
	if (nservers) {
		d->res.nscount = 0;
		for (size_t i = 0; i < nservers; i++)
			if (!add_server(d, servers[i]))
				return -EINVAL;
	} else if (resolv_conf) {
		FILE *f = fopen(resolv_conf, "re");
		char line[256], ip[64];

		if (!f)
			return -errno;
		d->res.nscount = 0;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " nameserver %63s", ip) == 1)
				add_server(d, ip);
		fclose(f);
		if (!d->res.nscount)
			return -EINVAL;
	}
	return 0;
}

void mxdns_finish(struct mxdns *d)
{
	res_nclose(&d->res);
}

const char *mxdns_status_name(enum mxdns_status s)
{
	switch (s) {
	case MXDNS_OK: return "ok";
	case MXDNS_NXDOMAIN: return "no such domain";
	case MXDNS_NODATA: return "no records";
	case MXDNS_TEMPFAIL: return "temporary DNS failure";
	}
	return "?";
}

/* One query; the answer in @ans (length in *@len_r). */
static enum mxdns_status query(struct mxdns *d, const char *name, int type, unsigned char *ans, int size,
			     int *len_r, ns_msg *msg, bool *secure_r)
{
	int n = res_nquery(&d->res, name, ns_c_in, type, ans, size);

	if (n < 0) {
		switch (d->res.res_h_errno) {
		case HOST_NOT_FOUND: return MXDNS_NXDOMAIN;
		case NO_DATA: return MXDNS_NODATA;
		default: return MXDNS_TEMPFAIL;
		}
	}
	if (ns_initparse(ans, n, msg) < 0)
		return MXDNS_TEMPFAIL;
	*len_r = n;
	if (secure_r)
		*secure_r = d->dnssec && ns_msg_getflag(*msg, ns_f_ad);
	return ns_msg_count(*msg, ns_s_an) ? MXDNS_OK : MXDNS_NODATA;
}

static int mx_cmp(const void *a, const void *b)
{
	return ((const struct mxdns_mx *)a)->pref - ((const struct mxdns_mx *)b)->pref;
}

enum mxdns_status mxdns_mx(struct mxdns *d, const char *domain, struct mxdns_mx *v, size_t max, size_t *n_r,
		       bool *secure_r)
{
	unsigned char ans[8192];
	ns_msg msg;
	ns_rr rr;
	int len;
	size_t n = 0;
	enum mxdns_status st = query(d, domain, ns_t_mx, ans, sizeof(ans), &len, &msg, secure_r);

	*n_r = 0;
	if (st != MXDNS_OK)
		return st;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an) && n < max; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return MXDNS_TEMPFAIL;
		if (ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
			continue;
		v[n].pref = ns_get16(ns_rr_rdata(rr));
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), ns_rr_rdata(rr) + 2, v[n].host,
			      sizeof(v[n].host)) < 0)
			return MXDNS_TEMPFAIL;
		/* the root ("." / "") is RFC 7505's null MX */
		n++;
	}
	if (n == 0)
		return MXDNS_NODATA;
	/* RFC 5321 §5.1: equal preferences in random order */
	for (size_t i = n; i > 1; i--) {
		unsigned r;
		size_t j;
		struct mxdns_mx t;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (unsigned)i * 2654435761u;
		j = r % i;
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
	/* then a stable sort by preference (insertion: a handful of records) */
	for (size_t i = 1; i < n; i++) {
		struct mxdns_mx t = v[i];
		size_t j = i;

		for (; j > 0 && mx_cmp(&v[j - 1], &t) > 0; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	*n_r = n;
	return MXDNS_OK;
}

enum mxdns_status mxdns_addr(struct mxdns *d, const char *host, int family, int port,
			 struct sockaddr_storage *v, size_t max, size_t *n_r, bool *secure_r)
{
	unsigned char ans[8192];
	ns_msg msg;
	ns_rr rr;
	int len;
	size_t n = 0;
	enum mxdns_status st = query(d, host, family == AF_INET ? ns_t_a : ns_t_aaaa, ans, sizeof(ans), &len,
				   &msg, secure_r);

	*n_r = 0;
	if (st != MXDNS_OK)
		return st;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an) && n < max; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return MXDNS_TEMPFAIL;
		memset(&v[n], 0, sizeof(v[n]));
		if (family == AF_INET && ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&v[n];

			sin->sin_family = AF_INET;
			sin->sin_port = htons((unsigned short)port);
			memcpy(&sin->sin_addr, ns_rr_rdata(rr), 4);
			n++;
		} else if (family == AF_INET6 && ns_rr_type(rr) == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&v[n];

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((unsigned short)port);
			memcpy(&sin6->sin6_addr, ns_rr_rdata(rr), 16);
			n++;
		}
	}
	*n_r = n;
	return n ? MXDNS_OK : MXDNS_NODATA;
}
