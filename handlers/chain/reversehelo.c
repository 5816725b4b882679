/* ReverseEqualsEhloHeloHandler (James: fastfail.ReverseEqualsEhloHeloHandler):
 * the HELO/EHLO name must be the client's forward-confirmed reverse DNS
 * name: a PTR name of its address whose A/AAAA records include that
 * address (James only resolves the name, so it behaves like
 * ResolvableEhloHeloHandler; this is the real check).  If not, every RCPT
 * gets 501 5.5.4.  No PTR record, or a literal as HELO, is a mismatch; a
 * lookup that times out or fails accepts (logged).  Skipped for
 * authenticated clients, and for clients in authorizedAddresses unless
 * checkAuthNetworks = true. */
#include "chain.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "log.h"
#include "session.h"

struct helo_state {
	bool bad;
};

/* RFC 1035 §3.5 / RFC 3596 §2.5: the PTR name of @a. */
static bool ptr_name(const struct netaddr *a, char *buf, size_t size)
{
	return dns_reverse_name(a, a->family == AF_INET ? "in-addr.arpa" : "ip6.arpa", buf, size);
}

static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	la -= la && a[la - 1] == '.';
	lb -= lb && b[lb - 1] == '.';
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* DNS_FOUND: @name is a PTR name of the peer that resolves back to it. */
static enum dns_result confirmed(struct session *s, const char *name)
{
	struct dns_record ptr[8], addr[16];
	char q[128];
	size_t n, m;
	enum dns_result r, worst = DNS_NONE;

	if (!ptr_name(&s->peer, q, sizeof(q)))
		return DNS_NONE;
	if ((r = dns_lookup(s->cfg, q, DNS_T_PTR, ptr, 8, &n)) != DNS_FOUND)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (!same_name(ptr[i].text, name))
			continue;
		r = dns_addresses(s->cfg, ptr[i].text, addr, 16, &m);
		if (r == DNS_TEMPFAIL)
			worst = r;
		for (size_t k = 0; k < m; k++)
			if (addr[k].addr.family == s->peer.family
			    && memcmp(addr[k].addr.addr, s->peer.addr, s->peer.family == AF_INET ? 4 : 16) == 0)
				return DNS_FOUND;
	}
	return worst;
}

static enum reply_id helo(struct hook *h, const char *name)
{
	const struct check_auth_networks *c = h->settings;
	struct helo_state *st = h->state;
	enum dns_result r;

	st->bad = false;
	if (chain_skip_relaying(h, c->check_auth_networks) || !h->s->peer.family)
		return RP_NONE;
	if (name[0] == '[') {
		st->bad = true;
		return RP_NONE;
	}
	r = confirmed(h->s, name);
	if (r == DNS_TEMPFAIL)
		log_msg(LOG_WARNING, "helo check: reverse DNS of [%s] failed (%s): accepted", h->s->peer_text,
			dns_result_name(r));
	st->bad = r == DNS_NONE;
	return RP_NONE;
}

static enum reply_id rcpt(struct hook *h, const struct mailbox *to)
{
	const struct check_auth_networks *c = h->settings;
	const struct helo_state *st = h->state;

	(void)to;
	if (!st->bad || chain_skip_relaying(h, c->check_auth_networks))
		return RP_NONE;
	return chain_reply(h, RP_HELO_NOT_REVERSE, 0, NULL,
			   "Provided EHLO/HELO %s does not match the reverse DNS of [%s]", h->s->helo, h->s->peer_text);
}

const struct handler_def reverse_helo_handler = {
	.conf = { .name = "ReverseEqualsEhloHeloHandler", .place = MODULE_CHAIN, .opts = chain_check_auth_networks_opts,
		  .parse = chain_parse_check_auth_networks, .free = free },
	.run_for_relaying = true,	/* checkAuthNetworks decides */
	.state_size = sizeof(struct helo_state),
	.helo = helo,
	.rcpt = rcpt,
};
