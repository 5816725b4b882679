/* dns.c — see dns.h.  RFC 1035 (messages), RFC 3596 (AAAA), RFC 5782
 * (DNSBL query names). */
#include "dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* ---- the answer parser (pure) -------------------------------------------- */

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* RFC 1035 §4.1.4: a domain name at *@off, labels or a pointer to an
 * earlier name.  Writes it dotted into @out (control characters and dots
 * inside a label as '?'); moves *@off past it.  -1 when malformed. */
static int name_expand(const uint8_t *msg, size_t len, size_t *off, char *out, size_t size)
{
	size_t pos = *off, o = 0;
	bool jumped = false;
	unsigned hops = 0;

	for (;;) {
		unsigned c;

		if (pos >= len)
			return -1;
		c = msg[pos];
		if (c == 0) {
			if (!jumped)
				*off = pos + 1;
			break;
		}
		if ((c & 0xC0) == 0xC0) {
			/* a pointer: at most as many as could fit, and backwards
			 * only, so that a loop cannot be made */
			size_t target;

			if (pos + 1 >= len || ++hops > 64)
				return -1;
			target = (c & 0x3F) << 8 | msg[pos + 1];
			if (target >= pos)
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (c & 0xC0)
			return -1;	/* RFC 6891 extended labels: not in answers */
		if (pos + 1 + c > len)
			return -1;
		if (o && o + 1 < size)
			out[o++] = '.';
		for (unsigned i = 0; i < c; i++)
			if (o + 1 < size) {
				unsigned char b = msg[pos + 1 + i];

				out[o++] = b < 33 || b > 126 || b == '.' ? '?' : (char)b;
			}
		pos += 1 + c;
	}
	if (size)
		out[o < size ? o : size - 1] = '\0';
	return 0;
}

int dns_parse_answer(const uint8_t *msg, size_t len, int type, size_t max,
		     void (*fn)(void *ctx, const struct dns_record *r), void *ctx)
{
	size_t off = 12, qd, an, found = 0;
	char skip[256];

	if (len < 12)
		return -1;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	for (size_t i = 0; i < qd; i++) {
		if (name_expand(msg, len, &off, skip, sizeof(skip)) < 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	for (size_t i = 0; i < an; i++) {
		struct dns_record r;
		size_t rdlen, rd, end;
		unsigned rtype, rclass;

		if (name_expand(msg, len, &off, skip, sizeof(skip)) < 0 || off + 10 > len)
			return -1;
		rtype = get16(msg + off);
		rclass = get16(msg + off + 2);
		rdlen = get16(msg + off + 8);
		rd = off + 10;
		end = rd + rdlen;
		if (end > len)
			return -1;
		off = end;
		if ((int)rtype != type || rclass != 1 /* IN */ || found >= max)
			continue;
		memset(&r, 0, sizeof(r));
		r.type = type;
		switch (type) {
		case DNS_T_A:
			if (rdlen != 4)
				return -1;
			r.addr.family = AF_INET;
			memcpy(r.addr.addr, msg + rd, 4);
			break;
		case DNS_T_AAAA:
			if (rdlen != 16)
				return -1;
			r.addr.family = AF_INET6;
			memcpy(r.addr.addr, msg + rd, 16);
			break;
		case DNS_T_MX:
			if (rdlen < 3)
				return -1;
			r.pref = get16(msg + rd);
			rd += 2;
			/* fall through */
		case DNS_T_PTR:
			if (name_expand(msg, len, &rd, r.text, sizeof(r.text)) < 0 || rd > end)
				return -1;
			break;
		case DNS_T_TXT: {
			/* RFC 1035 §3.3.14: one or more <character-string>s,
			 * joined as RFC 7208 §3.3 does */
			size_t o = 0;

			while (rd < end) {
				size_t l = msg[rd++];

				if (rd + l > end)
					return -1;
				for (size_t k = 0; k < l && o + 1 < sizeof(r.text); k++) {
					unsigned char b = msg[rd + k];

					r.text[o++] = b < 32 || b == 127 ? '?' : (char)b;
				}
				rd += l;
			}
			r.text[o] = '\0';
			break;
		}
		default:
			return -1;
		}
		fn(ctx, &r);
		found++;
	}
	return (int)found;
}

bool dns_reverse_name(const struct netaddr *a, const char *zone, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int w;

	if (a->family == AF_INET) {
		w = snprintf(buf, size, "%u.%u.%u.%u.%s", a->addr[3], a->addr[2], a->addr[1], a->addr[0], zone);
		return w > 0 && (size_t)w < size;
	}
	if (a->family != AF_INET6 || size < 64 + 1)
		return false;
	for (int i = 15; i >= 0; i--) {
		buf[n++] = hex[a->addr[i] & 15];
		buf[n++] = '.';
		buf[n++] = hex[a->addr[i] >> 4];
		buf[n++] = '.';
	}
	w = snprintf(buf + n, size - n, "%s", zone);
	return w >= 0 && (size_t)w < size - n;
}

const char *dns_result_name(enum dns_result r)
{
	switch (r) {
	case DNS_FOUND: return "found";
	case DNS_NONE: return "none";
	default: return "temporary failure";
	}
}

/* ---- dnsservice { } ------------------------------------------------------- */

struct dns_settings {
	struct sockaddr_in servers[MAXNS];
	int nservers;
	int timeout;		/* seconds */
};

static cfg_opt_t dns_opts[] = {
	CFG_STR_LIST("servers", "{}", CFGF_NONE),
	CFG_INT("timeout", 5, CFGF_NONE),
	CFG_END()
};

static int dns_parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct dns_settings *d = calloc(1, sizeof(*d));
	unsigned n = cfg_size(sec, "servers");
	long t = cfg_getint(sec, "timeout");
	int rc = 0;

	(void)ctx;
	if (!d)
		return -ENOMEM;
	if (n > MAXNS) {
		config_error(sec, "servers", "dnsservice: at most %d servers (the libc resolver asks no more)", MAXNS);
		rc = -EINVAL;
	}
	for (unsigned i = 0; i < n && i < MAXNS; i++) {
		const char *v = cfg_getnstr(sec, "servers", i);
		struct in_addr in;
		struct in6_addr in6;

		if (inet_pton(AF_INET, v, &in) == 1) {
			d->servers[d->nservers].sin_family = AF_INET;
			d->servers[d->nservers].sin_port = htons(53);
			d->servers[d->nservers].sin_addr = in;
			d->nservers++;
		} else if (inet_pton(AF_INET6, v, &in6) == 1) {
			config_error(sec, "servers", "dnsservice: servers: '%s': IPv6 servers cannot be set here; name a local resolver on 127.0.0.1 or leave servers out (/etc/resolv.conf)", v);
			rc = -EINVAL;
		} else {
			config_error(sec, "servers", "dnsservice: servers: '%s' is not an IPv4 address", v);
			rc = -EINVAL;
		}
	}
	if (t < 1 || t > RES_MAXRETRANS) {
		config_error(sec, "timeout", "dnsservice: timeout must be 1 to %d seconds", RES_MAXRETRANS);
		rc = -EINVAL;
	}
	d->timeout = (int)t;
	if (rc < 0) {
		free(d);
		return rc;
	}
	*settings_r = d;
	return 0;
}

const struct config_module dnsservice_module = {
	.name = "dnsservice", .place = MODULE_GLOBAL, .opts = dns_opts,
	.parse = dns_parse, .free = free,
};

/* ---- lookups -------------------------------------------------------------- */

/* One resolver per process (a process serves one connection). */
static struct {
	bool ready, failed;
	struct __res_state rs;
} R;

static res_state resolver(const struct config *cfg)
{
	const struct dns_settings *d = config_global_settings(cfg, &dnsservice_module);

	if (R.ready)
		return R.failed ? NULL : &R.rs;
	R.ready = true;
	memset(&R.rs, 0, sizeof(R.rs));
	if (res_ninit(&R.rs) != 0) {
		log_msg(LOG_ERR, "dns: cannot initialise the resolver");
		R.failed = true;
		return NULL;
	}
	if (d && d->nservers) {
		for (int i = 0; i < d->nservers; i++)
			R.rs.nsaddr_list[i] = d->servers[i];
		R.rs.nscount = d->nservers;
	}
	/* each lookup: one try per server, timeout seconds in all (libc
	 * divides retrans among the servers) */
	R.rs.retrans = d ? d->timeout : 5;
	R.rs.retry = 1;
	R.rs.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	return &R.rs;
}

struct collect {
	struct dns_record *out;
	size_t n;
};

static void collect(void *ctx, const struct dns_record *r)
{
	struct collect *c = ctx;

	c->out[c->n++] = *r;
}

enum dns_result dns_lookup(const struct config *cfg, const char *name, int type,
			   struct dns_record *out, size_t max, size_t *n_r)
{
	res_state rs = resolver(cfg);
	uint8_t answer[4096];
	struct collect c = { out, 0 };
	int len, n;

	*n_r = 0;
	if (!rs)
		return DNS_TEMPFAIL;
	len = res_nquery(rs, name, 1 /* IN */, type, answer, sizeof(answer));
	if (len < 0) {
		switch (rs->res_h_errno) {
		case HOST_NOT_FOUND:
		case NO_DATA:
			return DNS_NONE;
		default:
			return DNS_TEMPFAIL;
		}
	}
	/* a reply larger than the buffer was cut (the length says so) */
	n = dns_parse_answer(answer, (size_t)len < sizeof(answer) ? (size_t)len : sizeof(answer),
			     type, max, collect, &c);
	if (n < 0)
		return DNS_TEMPFAIL;
	*n_r = c.n;
	return n > 0 ? DNS_FOUND : DNS_NONE;
}

enum dns_result dns_addresses(const struct config *cfg, const char *name,
			      struct dns_record *out, size_t max, size_t *n_r)
{
	size_t n4 = 0, n6 = 0;
	enum dns_result r4 = dns_lookup(cfg, name, DNS_T_A, out, max, &n4);
	enum dns_result r6 = dns_lookup(cfg, name, DNS_T_AAAA, out + n4, max - n4, &n6);

	*n_r = n4 + n6;
	if (r4 == DNS_FOUND || r6 == DNS_FOUND)
		return DNS_FOUND;
	return r4 == DNS_TEMPFAIL || r6 == DNS_TEMPFAIL ? DNS_TEMPFAIL : DNS_NONE;
}
