/* ResolvableEhloHeloHandler (James: fastfail.ResolvableEhloHeloHandler):
 * the HELO/EHLO name must resolve (an A or AAAA record); if it does not,
 * the session goes on but every RCPT gets 501 5.5.4, as in James.  An
 * address literal needs no lookup.  A lookup that times out or fails
 * counts as resolvable (logged).  Skipped for authenticated clients, and
 * for clients in authorizedAddresses unless checkAuthNetworks = true. */
#include "chain.h"

#include <errno.h>
#include <stdlib.h>

#include "dns.h"
#include "log.h"
#include "session.h"

struct helo_state {
	bool bad;
};

static enum reply_id helo(struct hook *h, const char *name)
{
	const struct check_auth_networks *c = h->settings;
	struct helo_state *st = h->state;
	struct dns_record rec[4];
	size_t n;
	enum dns_result r;

	st->bad = false;
	if (chain_skip_relaying(h, c->check_auth_networks) || name[0] == '[')
		return RP_NONE;
	r = dns_addresses(h->s->cfg, name, rec, 4, &n);
	if (r == DNS_TEMPFAIL)
		log_msg(LOG_WARNING, "helo check: lookup of %s failed (%s): accepted", name, dns_result_name(r));
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
	return chain_reply(h, RP_HELO_UNRESOLVABLE, 0, NULL, "Provided EHLO/HELO %s can not be resolved", h->s->helo);
}

const struct handler_def resolvable_helo_handler = {
	.conf = { .name = "ResolvableEhloHeloHandler", .place = MODULE_CHAIN, .opts = chain_check_auth_networks_opts,
		  .parse = chain_parse_check_auth_networks, .free = free },
	.run_for_relaying = true,	/* checkAuthNetworks decides */
	.state_size = sizeof(struct helo_state),
	.helo = helo,
	.rcpt = rcpt,
};
