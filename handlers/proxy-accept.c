/* proxy-accept.c — see proxy-accept.h. */
#include "proxy-accept.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* ---- configuration -------------------------------------------------------- */

static cfg_opt_t proxy_opts[] = {
	CFG_BOOL("proxyRequired", cfg_false, CFGF_NONE),
	CFG_BOOL("proxyFirst", cfg_true, CFGF_NONE),
	CFG_INT("proxyTimeout", 5, CFGF_NONE),
	CFG_STR_LIST("proxyTrusted", NULL, CFGF_NONE),
	CFG_END()
};

/* The spec (§2) asks for at least 3 s, to cover a TCP retransmission. */
#define PROXY_TIMEOUT_MIN 1
#define PROXY_TIMEOUT_MAX 3600

static const char *netparse_why(enum netparse r)
{
	switch (r) {
	case NETPARSE_PREFIX: return "bad prefix length or netmask";
	case NETPARSE_UNRESOLVED: return "host name does not resolve";
	case NETPARSE_NOMEM: return "out of memory";
	default: return "not an address, wildcard, CIDR, netmask or host name";
	}
}

static void proxy_free(void *settings)
{
	struct proxy_settings *ps = settings;

	if (!ps)
		return;
	netlist_free(&ps->trusted);
	free(ps);
}

static int proxy_parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct proxy_settings *ps = calloc(1, sizeof(*ps));
	unsigned n = cfg_size(sec, "proxyTrusted");
	cfg_t *tls = cfg_getsec(sec, "tls");
	bool failed = false;

	if (!ps)
		return -ENOMEM;
	ps->required = cfg_getbool(sec, "proxyRequired");
	ps->first = cfg_getbool(sec, "proxyFirst");
	ps->timeout = cfg_getint(sec, "proxyTimeout");
	if (ps->timeout < PROXY_TIMEOUT_MIN || ps->timeout > PROXY_TIMEOUT_MAX) {
		config_error(sec, "proxyTimeout", "proxyTimeout must be from %d to %d seconds",
			     PROXY_TIMEOUT_MIN, PROXY_TIMEOUT_MAX);
		failed = true;
	} else if (ps->timeout < 3 && ps->required) {
		config_warn(sec, "proxyTimeout", "proxyTimeout below 3 seconds does not cover a TCP retransmission");
	}
	for (unsigned i = 0; i < n; i++) {
		const char *e = cfg_getnstr(sec, "proxyTrusted", i);
		enum netparse r = netlist_add(&ps->trusted, e, ctx->resolve);

		/* as authorizedAddresses: DNS trouble skips the entry (it
		 * then trusts nobody) rather than stopping the service */
		if (r == NETPARSE_UNRESOLVED) {
			config_warn(sec, "proxyTrusted", "proxyTrusted: '%s': %s; entry ignored", e, netparse_why(r));
		} else if (r != NETPARSE_OK) {
			config_error(sec, "proxyTrusted", "proxyTrusted: '%s': %s", e, netparse_why(r));
			failed = true;
		}
	}
	if (!failed && ps->required && n == 0)
		config_warn(sec, "proxyRequired", "proxyRequired without proxyTrusted: anyone who can connect "
			    "can claim any address; list the balancers in proxyTrusted");
	if (!failed && !ps->required && n > 0)
		config_warn(sec, "proxyTrusted", "proxyTrusted has no effect without proxyRequired = true");
	if (!failed && ps->required && !ps->first && !(tls && cfg_getbool(tls, "socketTLS")))
		config_warn(sec, "proxyFirst", "proxyFirst = false only matters with tls { socketTLS = true }");
	if (failed) {
		proxy_free(ps);
		return -EINVAL;
	}
	*settings_r = ps;
	return 0;
}

const struct config_module proxy_module = {
	.name = "proxy",
	.place = MODULE_SERVER,
	.opts = proxy_opts,
	.parse = proxy_parse,
	.free = proxy_free,
};

const struct proxy_settings *proxy_listener(const struct listener *l)
{
	const struct proxy_settings *ps = config_listener_settings(l, &proxy_module);

	return ps && ps->required ? ps : NULL;
}

/* ---- reading the header --------------------------------------------------- */

/* Before TLS the bytes after the header belong to GnuTLS, which reads the
 * socket itself: look ahead with MSG_PEEK and consume only what the
 * parser took.  Without a socket (tests over pipes), read no more than
 * proxy_want(). */
static int read_raw(struct conn *c, struct proxy_parser *p)
{
	unsigned char buf[512];
	bool peek = true;

	for (;;) {
		size_t used, k;
		ssize_t n;
		int r;

		if ((r = conn_wait(c, c->rfd, POLLIN)) < 0)
			return r;
		n = peek ? recv(c->rfd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT) : -1;
		if (n < 0 && peek && errno == ENOTSOCK)
			peek = false;
		if (!peek) {
			k = proxy_want(p);
			n = read(c->rfd, buf, k < sizeof(buf) ? k : sizeof(buf));
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		r = proxy_feed(p, buf, (size_t)n, &used);
		/* take what the parser consumed off the socket: it is there
		 * already, so read() returns it at once */
		for (k = 0; peek && k < used;) {
			ssize_t m = read(c->rfd, buf, used - k);

			if (m < 0 && errno == EINTR)
				continue;
			if (m <= 0)
				return m < 0 ? -errno : -ECONNRESET;
			k += (size_t)m;
		}
		c->bytes_in += used;
		if (r != PROXY_MORE)
			return 0;
	}
}

/* After TLS: through the connection's buffer, where what follows the
 * header stays for the session. */
static int read_conn(struct conn *c, struct proxy_parser *p)
{
	for (;;) {
		size_t used;
		int r;

		if (c->in_pos == c->in_len) {
			r = conn_fill(c);
			if (r <= 0)
				return r == 0 ? -ECONNRESET : r;
		}
		r = proxy_feed(p, c->in + c->in_pos, c->in_len - c->in_pos, &used);
		c->in_pos += used;
		if (r != PROXY_MORE)
			return 0;
	}
}

int proxy_accept(const struct proxy_settings *ps, struct conn *c, struct proxy_conn *pc)
{
	struct proxy_parser p;
	char who[64];
	int saved = c->timeout_ms, r;

	pc->balancer = pc->peer;
	netaddr_format(&pc->balancer, who, sizeof(who));
	if (ps->trusted.n > 0 && !netlist_match(&ps->trusted, &pc->balancer)) {
		log_msg(LOG_WARNING, "connection from [%s], not in proxyTrusted: closing", who);
		return -EPERM;
	}
	proxy_init(&p);
	/* the whole header within proxyTimeout, however it is cut */
	c->timeout_ms = (int)ps->timeout * 1000;
	conn_set_deadline(c);
	r = c->tr ? read_conn(c, &p) : read_raw(c, &p);
	c->timeout_ms = saved;
	c->deadline_ms = 0;
	if (r == -ETIMEDOUT) {
		log_msg(LOG_INFO, "no complete PROXY header from [%s] within %ld s: closing", who, ps->timeout);
		return r;
	}
	if (r == -ECONNRESET) {
		log_msg(LOG_INFO, "connection from [%s] closed %s the PROXY header: closing", who,
			p.n ? "inside" : "before");
		return r;
	}
	if (r < 0) {
		log_msg(LOG_INFO, "reading the PROXY header from [%s]: %s", who, strerror(-r));
		return r;
	}
	if (p.result == PROXY_BAD) {
		log_msg(LOG_WARNING, "bad PROXY header from [%s]: %s: closing", who, p.error);
		return -EPROTO;
	}
	pc->hdr = p.hdr;
	if (p.hdr.has_addr) {
		pc->peer = p.hdr.src;
		netaddr_fold_mapped(&pc->peer);
	}
	return 0;
}

void proxy_log_accepted(const struct proxy_conn *pc)
{
	const struct proxy_header *h = &pc->hdr;
	char client[64], server[64], bal[64];

	netaddr_format(&pc->balancer, bal, sizeof(bal));
	if (!h->has_addr) {
		log_msg(LOG_INFO, "PROXY v%u %s from [%s]: the connection's own addresses are kept", h->version,
			h->version == 1 ? "UNKNOWN" : h->command == PROXY_CMD_LOCAL ? "LOCAL" : "without TCP addresses",
			bal);
		return;
	}
	netaddr_format(&pc->peer, client, sizeof(client));
	netaddr_format(&h->dst, server, sizeof(server));
	log_msg(LOG_INFO, "client [%s]:%u to [%s]:%u via PROXY v%u from [%s]", client, h->src_port, server,
		h->dst_port, h->version, bal);
}
