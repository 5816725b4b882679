/* ValidSenderDomainHandler (James: fastfail.ValidSenderDomainHandler):
 * MAIL FROM's domain must be able to receive the bounce: an MX record
 * other than the null MX (RFC 7505), or else an address record (the
 * implicit MX of RFC 5321 §5.1).  Otherwise 501 5.1.7, James' reply.
 * The null sender and address literals pass; a lookup that times out or
 * fails passes (logged).  Skipped for authenticated clients, and for
 * clients in authorizedAddresses unless checkAuthNetworks = true. */
#include "chain.h"

#include <errno.h>
#include <stdlib.h>

#include "dns.h"
#include "log.h"
#include "session.h"

static enum dns_result domain_ok(struct session *s, const char *domain)
{
	struct dns_record rec[16];
	size_t n;
	enum dns_result r = dns_lookup(s->cfg, domain, DNS_T_MX, rec, 16, &n);

	if (r == DNS_FOUND) {
		for (size_t i = 0; i < n; i++)
			if (rec[i].text[0])	/* "." is the null MX */
				return DNS_FOUND;
		return DNS_NONE;
	}
	if (r == DNS_TEMPFAIL)
		return r;
	return dns_addresses(s->cfg, domain, rec, 16, &n);
}

static enum reply_id mail(struct hook *h, const struct mailbox *from)
{
	const struct check_auth_networks *c = h->settings;
	char text[ADDR_TEXT_MAX];
	enum dns_result r;

	if (from->null || from->literal || chain_skip_relaying(h, c->check_auth_networks))
		return RP_NONE;
	r = domain_ok(h->s, from->domain);
	if (r == DNS_TEMPFAIL)
		log_msg(LOG_WARNING, "sender domain check: lookup of %s failed (%s): accepted", from->domain,
			dns_result_name(r));
	if (r != DNS_NONE)
		return RP_NONE;
	mailbox_format(from, text, sizeof(text));
	return chain_reply(h, RP_SENDER_DOMAIN, 0, NULL, "Sender <%s> contains a domain with no valid MX records", text);
}

const struct handler_def valid_sender_domain_handler = {
	.conf = { .name = "ValidSenderDomainHandler", .place = MODULE_CHAIN, .opts = chain_check_auth_networks_opts,
		  .parse = chain_parse_check_auth_networks, .free = free },
	.run_for_relaying = true,	/* checkAuthNetworks decides */
	.mail = mail,
};
