/* DNSRBLHandler (James: fastfail.DNSRBLHandler): the client's address is
 * looked up in DNS blocklists (RFC 5782).  Listed on a whitelist zone:
 * nothing else is checked.  Listed on a blacklist zone: refused where
 * checkAt says —
 *   connect  before the greeting: 521 5.7.1 and the connection closes
 *            (RFC 7504; the cheap way, as Postfix's postscreen)
 *   mail     MAIL gets 554 5.7.1
 *   rcpt     (James' place, the default) every RCPT but to postmaster
 *            or abuse gets 554 5.7.1
 * getDetail = true puts the zone's TXT record into the reply (control
 * characters replaced).  Fixed from James: IPv6 clients are looked up
 * with reversed nibbles (RFC 5782 §2.4); answers in 127.255.255.0/24 are
 * the lists' own error codes ("query refused", "typing error": Spamhaus)
 * and answers outside 127.0.0.0/8 are bogus: neither is "listed", both
 * are logged.  A lookup that times out or fails lets the client through
 * (logged).  Skipped for relaying-allowed clients. */
#include "chain.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "dns.h"
#include "log.h"
#include "session.h"

enum check_at { AT_CONNECT, AT_MAIL, AT_RCPT };

struct rbl {
	char **white, **black;
	size_t nwhite, nblack;
	bool detail;
	enum check_at at;
};

struct rbl_state {
	bool checked, listed;
	char zone[256];
	char detail[DNS_TEXT_MAX];
};

static cfg_opt_t rbl_lists[] = {
	CFG_STR_LIST("whitelist", "{}", CFGF_NONE),
	CFG_STR_LIST("blacklist", "{}", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t opts[] = {
	CFG_SEC("rblservers", rbl_lists, CFGF_NONE),
	CFG_BOOL("getDetail", cfg_false, CFGF_NONE),
	CFG_STR("checkAt", "rcpt", CFGF_NONE),
	CFG_END()
};

static void rbl_free(void *p)
{
	struct rbl *r = p;

	if (!r)
		return;
	for (size_t i = 0; i < r->nwhite; i++)
		free(r->white[i]);
	for (size_t i = 0; i < r->nblack; i++)
		free(r->black[i]);
	free(r->white);
	free(r->black);
	free(r);
}

static int zones(cfg_t *sec, const char *key, char ***v_r, size_t *n_r)
{
	unsigned n = cfg_size(sec, key);
	int rc = 0;

	if (!(*v_r = calloc(n + 1, sizeof(**v_r))))
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		const char *z = cfg_getnstr(sec, key, i);

		if (!domain_valid(z, strlen(z), 0)) {
			config_error(sec, key, "handlerchain: DNSRBLHandler: rblservers %s: '%s' is not a domain name", key, z);
			rc = -EINVAL;
			continue;
		}
		if (!((*v_r)[(*n_r)++] = strdup(z)))
			return -ENOMEM;
	}
	return rc;
}

static int parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct rbl *r = calloc(1, sizeof(*r));
	cfg_t *lists = cfg_getsec(sec, "rblservers");
	const char *at = cfg_getstr(sec, "checkAt");
	int rc = 0, e;

	(void)ctx;
	if (!r)
		return -ENOMEM;
	if ((e = zones(lists, "whitelist", &r->white, &r->nwhite)) < 0)
		rc = e;
	if ((e = zones(lists, "blacklist", &r->black, &r->nblack)) < 0 && rc != -ENOMEM)
		rc = e;
	r->detail = cfg_getbool(sec, "getDetail");
	if (strcasecmp(at, "connect") == 0)
		r->at = AT_CONNECT;
	else if (strcasecmp(at, "mail") == 0)
		r->at = AT_MAIL;
	else if (strcasecmp(at, "rcpt") == 0)
		r->at = AT_RCPT;
	else {
		config_error(sec, "checkAt", "handlerchain: DNSRBLHandler: checkAt must be connect, mail or rcpt, not '%s'", at);
		rc = rc ? rc : -EINVAL;
	}
	if (rc == 0 && r->nblack == 0)
		config_warn(sec, NULL, "handlerchain: DNSRBLHandler: no rblservers blacklist: it refuses nobody");
	if (rc < 0) {
		rbl_free(r);
		return rc;
	}
	*settings_r = r;
	return 0;
}

/* Whether @zone lists the client (an A answer in 127.0.0.0/8 outside
 * 127.255.255.0/24). */
static bool listed_in(struct hook *h, const char *zone)
{
	struct session *s = h->s;
	struct dns_record rec[8];
	char name[300], text[64];
	size_t n;
	bool listed = false;
	enum dns_result r;

	if (!dns_reverse_name(&s->peer, zone, name, sizeof(name)))
		return false;
	r = dns_lookup(s->cfg, name, DNS_T_A, rec, 8, &n);
	if (r == DNS_TEMPFAIL)
		log_msg(LOG_WARNING, "dnsrbl: lookup of [%s] in %s failed (%s): not listed", s->peer_text, zone,
			dns_result_name(r));
	for (size_t i = 0; i < n; i++) {
		const uint8_t *a = rec[i].addr.addr;

		netaddr_format(&rec[i].addr, text, sizeof(text));
		if (a[0] != 127)
			log_msg(LOG_WARNING, "dnsrbl: %s answered %s for [%s], not a 127.0.0.0/8 code: ignored",
				zone, text, s->peer_text);
		else if (a[1] == 255 && a[2] == 255)
			log_msg(LOG_WARNING, "dnsrbl: %s answered %s for [%s], an error code of the list (query refused?): not listed",
				zone, text, s->peer_text);
		else
			listed = true;
	}
	if (listed)
		log_msg(LOG_INFO, "dnsrbl: [%s] listed in %s", s->peer_text, zone);
	return listed;
}

static void check(struct hook *h)
{
	const struct rbl *r = h->settings;
	struct rbl_state *st = h->state;
	struct dns_record txt;
	char name[300];
	size_t n;

	if (st->checked)
		return;
	st->checked = true;
	if (!h->s->peer.family)
		return;	/* a UNIX socket: no address to look up */
	for (size_t i = 0; i < r->nwhite; i++)
		if (listed_in(h, r->white[i])) {
			log_msg(LOG_INFO, "dnsrbl: [%s] whitelisted by %s", h->s->peer_text, r->white[i]);
			return;
		}
	for (size_t i = 0; i < r->nblack && !st->listed; i++)
		if (listed_in(h, r->black[i])) {
			st->listed = true;
			snprintf(st->zone, sizeof(st->zone), "%s", r->black[i]);
		}
	if (st->listed && r->detail && dns_reverse_name(&h->s->peer, st->zone, name, sizeof(name))
	    && dns_lookup(h->s->cfg, name, DNS_T_TXT, &txt, 1, &n) == DNS_FOUND)
		snprintf(st->detail, sizeof(st->detail), "%s", txt.text);
}

static enum reply_id refuse(struct hook *h)
{
	const struct rbl_state *st = h->state;

	if (st->detail[0])
		return chain_reply(h, RP_RBL_REJECT, 0, NULL, "%s", st->detail);
	return chain_reply(h, RP_RBL_REJECT, 0, NULL,
			   "Rejected: unauthenticated e-mail from [%s] is restricted.  Contact the postmaster for details.",
			   h->s->peer_text);
}

static enum reply_id connect_hook(struct hook *h)
{
	const struct rbl *r = h->settings;
	const struct rbl_state *st = h->state;

	if (r->at != AT_CONNECT)
		return RP_NONE;
	check(h);
	if (!st->listed)
		return RP_NONE;
	return chain_reply(h, RP_RBL_CONNECT, 0, NULL, "Service unavailable; client [%s] blocked using %s%s%s",
			   h->s->peer_text, st->zone, st->detail[0] ? ": " : "", st->detail);
}

static enum reply_id mail(struct hook *h, const struct mailbox *from)
{
	const struct rbl *r = h->settings;

	(void)from;
	if (r->at != AT_MAIL)
		return RP_NONE;
	check(h);
	return ((const struct rbl_state *)h->state)->listed ? refuse(h) : RP_NONE;
}

/* RFC 5321 §4.5.1, RFC 2142: postmaster and abuse stay reachable. */
static bool role_address(const struct mailbox *to)
{
	return to->bare_postmaster || strcasecmp(to->local, "postmaster") == 0
	       || strcasecmp(to->local, "abuse") == 0;
}

static enum reply_id rcpt(struct hook *h, const struct mailbox *to)
{
	const struct rbl *r = h->settings;

	if (r->at != AT_RCPT)
		return RP_NONE;
	check(h);
	if (!((const struct rbl_state *)h->state)->listed || role_address(to))
		return RP_NONE;
	return refuse(h);
}

const struct handler_def dnsrbl_handler = {
	.conf = { .name = "DNSRBLHandler", .place = MODULE_CHAIN, .opts = opts,
		  .parse = parse, .free = rbl_free },
	.state_size = sizeof(struct rbl_state),
	.connect = connect_hook,
	.mail = mail,
	.rcpt = rcpt,
};
