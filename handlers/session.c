/* session.c — the SMTP/LMTP engine.  See session.h.
 *
 * RFC 5321 (SMTP), RFC 2033 (LMTP), RFC 1870 (SIZE), RFC 2920
 * (PIPELINING), RFC 3207 (STARTTLS), RFC 6152 (8BITMIME), RFC 6531
 * (SMTPUTF8), RFC 2034/3463 (enhanced status codes).
 */
#include "session.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "chain.h"
#include "data.h"
#include "heldmsg.h"
#include "linereader.h"
#include "lmtp-client.h"
#include "log.h"
#include "maildir.h"
#include "remote-delivery.h"
#include "sasl.h"
#include "sink.h"
#include "tls.h"

const char *state_name(enum state st)
{
	static const char *const names[] = {
		[ST_CONNECTED] = "connected", [ST_READY] = "ready",
		[ST_MAIL] = "mail", [ST_RCPT] = "rcpt", [ST_CLOSING] = "closing",
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* Client text for a log line, through log.c's escaper (CR, LF, NUL, ESC
 * and every other control become \xHH): returns @buf. */
static const char *esc_text(const char *in, char *buf, size_t size)
{
	log_escape(in, strlen(in), buf, size);
	return buf;
}

/* ---- replies -------------------------------------------------------------- */

static void send_reply(struct session *s, int code, const char *enh, const char *text, bool last)
{
	char buf[1024];
	int n;

	if (enh)
		n = snprintf(buf, sizeof(buf), "%d%c%s %s\r\n", code, last ? ' ' : '-', enh, text);
	else
		n = snprintf(buf, sizeof(buf), "%d%c%s\r\n", code, last ? ' ' : '-', text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	conn_write(s->conn, buf, (size_t)n);
}

void session_reply(struct session *s, enum reply_id id)
{
	const struct reply *r = reply_get(id);
	struct reply custom;

	if (id == RP_NONE)
		return;
	if (chain_take_reply(s, id, &custom))
		r = &custom;	/* a handler's own text (chain_reply()) */
	send_reply(s, r->code, r->enh, r->text, true);
	if (reply_closes(id))
		s->state = ST_CLOSING;
}

void session_reply_text(struct session *s, enum reply_id id, const char *fmt, ...)
{
	const struct reply *r = reply_get(id);
	char text[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	send_reply(s, r->code, r->enh, text, true);
	if (reply_closes(id))
		s->state = ST_CLOSING;
}

/* ---- peer ----------------------------------------------------------------- */

void session_peer_from_fd(int fd, struct netaddr *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const char *env;

	memset(peer, 0, sizeof(*peer));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			peer->family = AF_INET;
			memcpy(peer->addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		} else if (ss.ss_family == AF_INET6) {
			peer->family = AF_INET6;
			memcpy(peer->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
			netaddr_fold_mapped(peer);
		} else if (ss.ss_family == AF_UNIX) {
			/* no address, trusted for nothing; logged as "local" */
			peer->family = AF_UNIX;
		}
		return;
	}
	/* Not a socket (tests over pipes, tcpserver): what the launcher said. */
	if (((env = getenv("REMOTE_ADDR")) && *env) || ((env = getenv("TCPREMOTEIP")) && *env))
		if (!netaddr_parse(env, peer))
			memset(peer, 0, sizeof(*peer));
}

void session_set_peer(struct session *s, const struct netaddr *peer)
{
	s->peer = *peer;
	netaddr_format(peer, s->peer_text, sizeof(s->peer_text));
	s->trusted = netlist_match(&s->lst->authorized, peer);
}

/* ---- session -------------------------------------------------------------- */

void session_init(struct session *s, const struct config *cfg,
		  const struct listener *lst, struct conn *conn,
		  const struct netaddr *peer)
{
	unsigned char rnd[6];

	memset(s, 0, sizeof(*s));
	s->proto = lst->proto;
	s->state = ST_CONNECTED;
	s->cfg = cfg;
	s->lst = lst;
	s->conn = conn;
	session_set_peer(s, peer);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(rnd, &ts.tv_nsec, 4);
		rnd[4] = (unsigned char)getpid();
		rnd[5] = (unsigned char)ts.tv_sec;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->id + 2 * i, 3, "%02X", rnd[i]);
	sink_configure(cfg);
}

static void txn_reset(struct session *s)
{
	struct transaction *t = &s->txn;

	memset(&t->from, 0, sizeof(t->from));
	t->from_text[0] = '\0';
	t->params[0] = '\0';
	t->smtputf8 = false;
	t->nrcpt = 0;
	t->rcpt_attempts = 0;
	target_set_clear(&t->targets);
	if (s->state == ST_MAIL || s->state == ST_RCPT)
		s->state = ST_READY;
	chain_run_reset(s);
}

void session_finish(struct session *s)
{
	chain_close(s);
	tls_finish(s);
	free(s->txn.rcpts);
	target_set_free(&s->txn.targets);
	target_set_free(&s->pending);
	aliases_free(&s->aliases);
	userdb_index_free(&s->users);
}

/* AUTH waits for TLS: STARTTLS is offered, or auth { requireSSL }. */
static bool auth_needs_tls(const struct session *s)
{
	return !s->tls_active && (s->lst->tls.start_tls || auth_require_ssl(s->lst));
}

bool session_offers_starttls(const struct session *s)
{
	return s->lst->tls.start_tls && !s->tls_active && tls_supported();
}

/* RFC 3461 DSN: offered when smtpd-relay is configured (a remoteDelivery
 * block), the agent that honours the parameters; SMTP only.  LMTP is
 * final delivery, where no "delivered" notices are sent (smtpd(8)). */
bool session_offers_dsn(const struct session *s)
{
	const struct relay_settings *rs = relay_settings(s->cfg);

	return s->proto == PROTO_SMTP && rs && rs->configured;
}

/* authRequired or auth { announce } (James, auth.h): true offers AUTH to
 * clients outside authorizedAddresses, announce to everyone, false never.
 * Never before TLS on a listener that offers STARTTLS (RFC 4954 §4,
 * conformance A2) or with requireSSL; never without a mechanism. */
bool session_offers_auth(const struct session *s)
{
	enum auth_mode mode = auth_announce_mode(s->lst);

	if (s->proto != PROTO_SMTP || mode == AUTH_FALSE || s->auth_user[0] || !auth_plain_enabled(s->lst))
		return false;
	if (auth_needs_tls(s))
		return false;
	return mode == AUTH_ANNOUNCE || !s->trusted;
}

static const char *proto_name(const struct session *s)
{
	if (s->proto == PROTO_LMTP)
		return s->tls_active ? "LMTPS" : "LMTP";
	if (!s->esmtp)
		return "SMTP";
	return s->tls_active ? (s->auth_user[0] ? "ESMTPSA" : "ESMTPS")
			     : (s->auth_user[0] ? "ESMTPA" : "ESMTP");
}

/* ---- commands ------------------------------------------------------------- */

static enum reply_id helo_common(struct session *s, const char *arg)
{
	enum reply_id r;

	if (!*arg)
		return RP_HELO_NOARG;
	/* The argument goes into Received: accept only what cannot forge
	 * it (conformance S5/S6): a domain or an address literal. */
	if (!domain_valid(arg, strlen(arg), DOM_LITERAL | DOM_UNDERSCORE))
		return RP_HELO_BAD;
	if ((r = chain_run_helo(s, arg)) != RP_NONE)
		return r;
	txn_reset(s);
	snprintf(s->helo, sizeof(s->helo), "%s", arg);
	s->state = ST_READY;
	return RP_NONE;
}

static enum reply_id cmd_helo(struct session *s, char *arg)
{
	enum reply_id r = helo_common(s, arg);

	if (r != RP_NONE)
		return r;
	s->esmtp = false;
	send_reply(s, 250, NULL, s->lst->hello_name, true);
	return RP_NONE;
}

/* EHLO/LHLO: the keyword list, from the same predicates the gates use. */
static enum reply_id cmd_ehlo(struct session *s, char *arg)
{
	char kw[12][64];
	size_t n = 0;
	enum reply_id r = helo_common(s, arg);
	char first[DOMAIN_MAX + 96];

	if (r != RP_NONE)
		return r;
	s->esmtp = true;
	snprintf(kw[n++], sizeof(kw[0]), "PIPELINING");
	if (s->lst->max_kb > 0)
		snprintf(kw[n++], sizeof(kw[0]), "SIZE %ld", s->lst->max_kb * 1024);
	snprintf(kw[n++], sizeof(kw[0]), "8BITMIME");
	snprintf(kw[n++], sizeof(kw[0]), "ENHANCEDSTATUSCODES");
	if (session_offers_dsn(s))
		snprintf(kw[n++], sizeof(kw[0]), "DSN");	/* RFC 3461 */
	snprintf(kw[n++], sizeof(kw[0]), "SMTPUTF8");
	if (session_offers_starttls(s))
		snprintf(kw[n++], sizeof(kw[0]), "STARTTLS");
	if (session_offers_auth(s))
		snprintf(kw[n++], sizeof(kw[0]), "AUTH PLAIN LOGIN");
	snprintf(first, sizeof(first), "%s Hello %s [%s]", s->lst->hello_name, s->helo, s->peer_text);
	send_reply(s, 250, NULL, first, false);
	for (size_t i = 0; i < n; i++)
		send_reply(s, 250, NULL, kw[i], i + 1 == n);
	return RP_NONE;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static enum reply_id path_error(enum addr_result r, bool sender)
{
	switch (r) {
	case ADDR_NO_BRACKETS: return RP_NO_BRACKETS;
	case ADDR_TOO_LONG: return RP_PATH_TOO_LONG;
	case ADDR_PARAM_SYNTAX: return RP_ARG_SYNTAX;
	default: return sender ? RP_BAD_SENDER : RP_BAD_RECIPIENT;
	}
}

static bool load_aliases(struct session *s)
{
	int r;

	if (s->aliases_loaded)
		return true;
	r = aliases_load(s->cfg->aliases, &s->aliases, NULL, NULL);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot read aliases %s: %s", s->cfg->aliases, strerror(-r));
		return false;
	}
	s->aliases_loaded = true;
	return true;
}

/* verifyIdentity (James): an authenticated client sends as itself — its
 * own address in any case, with any +tag — or as an alias whose expansion
 * includes it. */
static bool sender_owned(struct session *s, const struct mailbox *from)
{
	char name[ADDR_TEXT_MAX];
	struct target_set set = { 0 };
	bool owned = false;

	if (!policy_lookup_name(from, true, name, sizeof(name)))
		return false;
	if (strcasecmp(name, s->auth_user) == 0)
		return true;
	if (from->literal || !config_is_local_domain(s->cfg, from->domain) || !load_aliases(s))
		return false;
	if (policy_resolve(s->cfg, &s->aliases, &s->users, from, &set) == RESOLVE_OK)
		for (size_t i = 0; i < set.n && !owned; i++)
			owned = set.v[i].local && strcasecmp(set.v[i].addr, s->auth_user) == 0;
	target_set_free(&set);
	return owned;
}

static enum reply_id cmd_mail(struct session *s, char *arg)
{
	struct transaction *t = &s->txn;
	const char *p, *params;
	enum addr_result ar;
	bool body8 = false, utf8 = false;
	struct dsn_mail dsn = { 0 };
	char dsn_text[DSN_PARAMS_MAX];
	enum reply_id r;

	if (!has_prefix(arg, "FROM:"))
		return RP_MAIL_SYNTAX;
	ar = address_parse_path(arg + 5, ADDR_REVERSE, s->lst->brackets_enforce, &t->from, &p);
	if (ar != ADDR_OK)
		return path_error(ar, true);
	params = p;
	/* RFC 5321 §4.1.2 Mail-parameters */
	while (*p) {
		char key[32], value[DSN_PARAMS_MAX];
		bool has_value;
		enum dsn_param_result dr;

		p = address_next_param(p, key, sizeof(key), value, sizeof(value), &has_value);
		if (!p)
			return RP_ARG_SYNTAX;
		if (session_offers_dsn(s)
		    && (dr = dsn_mail_param(&dsn, key, has_value ? value : NULL)) != DSN_PARAM_NOT_DSN) {
			if (dr == DSN_PARAM_BAD)
				return RP_PARAM_BAD;	/* RFC 3461 §4: 501 5.5.4 */
		} else if (strcmp(key, "SIZE") == 0) {
			/* RFC 1870 §6: size-value ::= 1*20DIGIT */
			char *end;
			unsigned long long size;

			if (!has_value || !isdigit((unsigned char)value[0]) || strlen(value) > 20)
				return RP_PARAM_BAD;
			errno = 0;
			size = strtoull(value, &end, 10);
			if (*end || (errno && errno != ERANGE))	/* ULLONG_MAX: over any limit */
				return RP_PARAM_BAD;
			if (s->lst->max_kb > 0 && size > (unsigned long long)s->lst->max_kb * 1024)
				return RP_SIZE_EXCEEDED;
		} else if (strcmp(key, "BODY") == 0) {
			/* RFC 6152 */
			if (!has_value)
				return RP_PARAM_BAD;
			if (strcasecmp(value, "8BITMIME") == 0)
				body8 = true;
			else if (strcasecmp(value, "7BIT") != 0)
				return RP_PARAM_BAD;
		} else if (strcmp(key, "SMTPUTF8") == 0 && !has_value) {
			utf8 = true;	/* RFC 6531 §3.4 */
		} else if (strcmp(key, "AUTH") == 0 && has_value && auth_announce_mode(s->lst) != AUTH_FALSE) {
			/* RFC 4954 §5: accepted; we trust only our own AUTH */
		} else {
			return RP_PARAM_UNKNOWN;
		}
	}
	if (t->from.utf8 && !utf8)
		return RP_UTF8_REQUIRED;
	if (s->auth_user[0] && s->lst->verify_identity && !t->from.null && !sender_owned(s, &t->from)) {
		char text[ADDR_TEXT_MAX], e_from[ADDR_TEXT_MAX * 2], e_user[ADDR_TEXT_MAX * 2];

		mailbox_format(&t->from, text, sizeof(text));
		log_msg(LOG_WARNING, "user %s may not send as <%s>",
			esc_text(s->auth_user, e_user, sizeof(e_user)), esc_text(text, e_from, sizeof(e_from)));
		return RP_SENDER_NOT_OWNED;
	}
	s->cmd_params = params;
	r = chain_run_mail(s, &t->from);
	s->cmd_params = "";
	if (r != RP_NONE)
		return r;
	t->smtputf8 = utf8;
	dsn_mail_format(&dsn, dsn_text, sizeof(dsn_text));
	snprintf(t->params, sizeof(t->params), "%s%s%s%s%s", body8 ? "BODY=8BITMIME" : "",
		 body8 && utf8 ? " " : "", utf8 ? "SMTPUTF8" : "",
		 (body8 || utf8) && dsn_text[0] ? " " : "", dsn_text);
	mailbox_format(&t->from, t->from_text, sizeof(t->from_text));
	t->nrcpt = 0;
	t->rcpt_attempts = 0;
	target_set_clear(&t->targets);
	/* every accepted RCPT may add a target: the transaction's bound is
	 * the listener's, never below one alias expansion's */
	t->targets.max = s->lst->max_rcpt_commands > ALIAS_MAX_TARGETS
		? (size_t)s->lst->max_rcpt_commands : ALIAS_MAX_TARGETS;
	s->state = ST_MAIL;
	return RP_MAIL_OK;
}

/* Every local target must have a maildir path we can make: refuse now
 * rather than accept and fail at the end of DATA. */
static enum reply_id mailboxes_storable(struct session *s)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < s->pending.n; i++) {
		if (!s->pending.v[i].local)
			continue;
		if (maildir_expand(s->cfg->mailboxes, s->pending.v[i].addr, path, sizeof(path)) < 0) {
			char esc[ADDR_TEXT_MAX * 2];

			log_escape(s->pending.v[i].addr, strlen(s->pending.v[i].addr), esc, sizeof(esc));
			log_msg(LOG_ERR, "no safe maildir path for %s under %s", esc, s->cfg->mailboxes);
			return RP_UNKNOWN_USER;
		}
	}
	return RP_NONE;
}

enum reply_id session_valid_rcpt(struct session *s, const struct mailbox *to)
{
	char text[ADDR_TEXT_MAX];

	target_set_clear(&s->pending);
	if (to->bare_postmaster || (!to->literal && config_is_local_domain(s->cfg, to->domain))) {
		if (!load_aliases(s))
			return RP_STORAGE_FAIL;
		switch (policy_resolve(s->cfg, &s->aliases, &s->users, to, &s->pending)) {
		case RESOLVE_OK:
			return mailboxes_storable(s);
		case RESOLVE_TEMPFAIL:
			log_msg(LOG_ERR, "cannot read users file %s", s->cfg->users ? s->cfg->users : "(none)");
			return RP_STORAGE_FAIL;
		case RESOLVE_TOO_MANY:
			return RP_TOO_MANY_RCPTS;
		case RESOLVE_LOOP: {
			char e_text[ADDR_TEXT_MAX * 2];

			mailbox_format(to, text, sizeof(text));
			log_msg(LOG_WARNING, "aliases loop for %s", esc_text(text, e_text, sizeof(e_text)));
			return RP_UNKNOWN_USER;
		}
		case RESOLVE_UNKNOWN:
			return RP_UNKNOWN_USER;
		}
		return RP_UNKNOWN_USER;
	}
	/* Not ours: LMTP never relays (RFC 2033 §4.2: final delivery only). */
	if (s->proto == PROTO_LMTP)
		return RP_RELAY_DENIED;
	switch (policy_relay(s->trusted, s->auth_user[0] != '\0', session_offers_auth(s))) {
	case RELAY_OK:
		break;
	case RELAY_NEED_AUTH:
		return RP_RELAY_AUTH;
	case RELAY_DENIED:
		return RP_RELAY_DENIED;
	}
	mailbox_format(to, text, sizeof(text));
	return target_set_add(&s->pending, text, false) ? RP_NONE : RP_TOO_MANY_RCPTS;
}

static enum reply_id cmd_rcpt(struct session *s, char *arg)
{
	struct transaction *t = &s->txn;
	struct mailbox to;
	const char *p, *params;
	enum addr_result ar;
	enum reply_id r;
	struct rcpt *rc;
	struct dsn_rcpt dsn = { 0 };

	if (!has_prefix(arg, "TO:"))
		return RP_RCPT_SYNTAX;
	ar = address_parse_path(arg + 3, ADDR_FORWARD, s->lst->brackets_enforce, &to, &p);
	if (ar != ADDR_OK)
		return path_error(ar, false);
	params = p;
	/* RFC 3461 §4.1, §4.2: the only RCPT parameters we know */
	while (*p) {
		char key[32], value[DSN_PARAMS_MAX];
		bool has_value;

		p = address_next_param(p, key, sizeof(key), value, sizeof(value), &has_value);
		if (!p)
			return RP_ARG_SYNTAX;
		if (!session_offers_dsn(s))
			return RP_PARAM_UNKNOWN;
		switch (dsn_rcpt_param(&dsn, key, has_value ? value : NULL)) {
		case DSN_PARAM_OK: break;
		case DSN_PARAM_BAD: return RP_PARAM_BAD;
		case DSN_PARAM_NOT_DSN: return RP_PARAM_UNKNOWN;
		}
	}
	if (to.utf8 && !t->smtputf8)
		return RP_UTF8_REQUIRED;
	/* RFC 5321 §4.5.3.1.10: past the bound, 452 (the client sends the
	 * rest in another transaction); every RCPT command counts, so memory
	 * and the log line stay bounded whatever is pipelined */
	if (t->rcpt_attempts >= (unsigned long)s->lst->max_rcpt_commands)
		return RP_TOO_MANY_RCPTS;
	t->rcpt_attempts++;
	s->cmd_params = params;
	r = chain_run_rcpt(s, &to);
	s->cmd_params = "";
	if (r != RP_NONE && reply_get(r)->code < 400)
		return r;	/* accepted, not added: a duplicate */
	if (r != RP_NONE) {
		char text[ADDR_TEXT_MAX], esc[ADDR_TEXT_MAX * 2];

		mailbox_format(&to, text, sizeof(text));
		log_escape(text, strlen(text), esc, sizeof(esc));
		log_msg(LOG_INFO, "reject RCPT <%s> from [%s]: %d %s", esc, s->peer_text,
			reply_get(r)->code, reply_get(r)->enh);
		return r;
	}
	if (t->nrcpt == t->rcpt_cap) {
		size_t cap = t->rcpt_cap ? t->rcpt_cap * 2 : 8;
		struct rcpt *v = realloc(t->rcpts, cap * sizeof(*v));

		if (!v)
			return RP_STORAGE_FAIL;
		t->rcpts = v;
		t->rcpt_cap = cap;
	}
	rc = &t->rcpts[t->nrcpt];
	mailbox_format(&to, rc->addr, sizeof(rc->addr));
	dsn_rcpt_format(&dsn, rc->dsn, sizeof(rc->dsn));
	rc->first_target = t->targets.n;
	for (size_t i = 0; i < s->pending.n; i++)
		if (!target_set_add(&t->targets, s->pending.v[i].addr, s->pending.v[i].local)) {
			/* a RCPT is all or nothing: the targets this one added
			 * so far (at the end of the set) leave with it */
			target_set_truncate(&t->targets, rc->first_target);
			return RP_TOO_MANY_RCPTS;
		}
	rc->ntargets = t->targets.n - rc->first_target;
	t->nrcpt++;
	s->state = ST_RCPT;
	return RP_RCPT_OK;
}

static void format_received(struct session *s, const char *msgid, char *buf, size_t size)
{
	char date[64], from[DOMAIN_MAX + 80], forpart[ADDR_TEXT_MAX + 16] = "", tls[160] = "";
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	/* RFC 5321 §4.4: From-domain with TCP-info (address-literal) */
	if (s->peer.family == AF_INET || s->peer.family == AF_INET6)
		snprintf(from, sizeof(from), "%s ([%s%s])", s->helo[0] ? s->helo : "unknown",
			 s->peer.family == AF_INET6 ? "IPv6:" : "", s->peer_text);
	else
		snprintf(from, sizeof(from), "%s", s->helo[0] ? s->helo : "unknown");
	if (s->txn.nrcpt == 1)
		snprintf(forpart, sizeof(forpart), "\r\n\tfor <%s>", s->txn.rcpts[0].addr);
	if (s->tls_active && s->tls_info[0])
		snprintf(tls, sizeof(tls), " (%s)", s->tls_info);
	snprintf(buf, size, "Received: from %s\r\n\tby %s (smtpd) with %s%s id %s%s;\r\n\t%s\r\n",
		 from, s->lst->hello_name, proto_name(s), tls, msgid, forpart, date);
}

static bool storage_full(int err)
{
	return err == -ENOSPC || err == -EDQUOT || err == -EFBIG;
}

/* One log line per message: id, sender, recipients, size, result. */
static void log_message(struct session *s, const char *msgid, unsigned long long size, const char *result)
{
	char to[1024] = "", esc_from[ADDR_TEXT_MAX * 2], esc_to[2048], esc_user[ADDR_TEXT_MAX * 2];
	size_t n = 0;

	for (size_t i = 0; i < s->txn.nrcpt && n < sizeof(to) - 1; i++)
		n += (size_t)snprintf(to + n, sizeof(to) - n, "%s<%s>", i ? "," : "", s->txn.rcpts[i].addr);
	log_escape(s->txn.from_text, strlen(s->txn.from_text), esc_from, sizeof(esc_from));
	log_escape(to, strlen(to), esc_to, sizeof(esc_to));
	log_msg(LOG_INFO, "message id=%s from=<%s> to=%s size=%llu%s%s result=%s",
		msgid, esc_from, esc_to, size, s->auth_user[0] ? " user=" : "",
		esc_text(s->auth_user, esc_user, sizeof(esc_user)), result);
}

/* End of DATA for LMTP: one reply per accepted recipient, in RCPT order
 * (RFC 2033 §4.2), each final for that recipient alone. */
static void lmtp_replies(struct session *s, const int *status, const char *msgid)
{
	for (size_t i = 0; i < s->txn.nrcpt; i++) {
		const struct rcpt *rc = &s->txn.rcpts[i];
		int err = 0;

		for (size_t k = 0; k < rc->ntargets && !err; k++)
			err = status[rc->first_target + k];
		if (!err)
			session_reply_text(s, RP_QUEUED, "<%s> delivered, id %s", rc->addr, msgid);
		else if (storage_full(err))
			session_reply_text(s, RP_MAILBOX_FULL, "<%s> %s", rc->addr, strerror(-err));
		else
			session_reply_text(s, RP_STORAGE_FAIL, "<%s> temporary failure", rc->addr);
		if (err) {
			char e_addr[ADDR_TEXT_MAX * 2];

			log_msg(LOG_ERR, "message id=%s to=<%s>: %s", msgid,
				esc_text(rc->addr, e_addr, sizeof(e_addr)), strerror(-err));
		}
	}
}

/* Reply to the whole message, SMTP or LMTP alike, with one reply. */
static void reply_all(struct session *s, enum reply_id id)
{
	size_t n = s->proto == PROTO_LMTP ? s->txn.nrcpt : 1;

	for (size_t i = 0; i < n; i++)
		session_reply(s, id);
}

/* Local mail: smtpd hands it to the LMTP server when `lmtp` is set.  lmtpd
 * reads the same file and is that server, so it always writes maildirs. */
static const struct sink_ops *local_sink(const struct session *s)
{
	return s->proto == PROTO_SMTP && s->cfg->lmtp ? &lmtp_sink_ops : &maildir_sink_ops;
}

struct sink_set {
	struct sink *v;
	size_t n;
};

/* held_emit()'s output: every sink, as the DATA loop writes them (a
 * sink's error is latched in it and reported at commit). */
static int sinks_write(void *ctx, const char *buf, size_t n)
{
	struct sink_set *set = ctx;

	for (size_t i = 0; i < set->n; i++)
		if (!set->v[i].error)
			set->v[i].ops->write(&set->v[i], buf, n);
	return 0;
}

/* The message's bytes, after the first-line check: into the held message
 * when filters hold it (heldmsg.h), else into every sink. */
static void store(struct held_msg *hm, struct sink *sinks, size_t nsinks, const char *buf, size_t len)
{
	if (!len)
		return;
	if (hm) {
		held_write(hm, buf, len);
		return;
	}
	for (size_t i = 0; i < nsinks; i++)
		if (!sinks[i].error)
			sinks[i].ops->write(&sinks[i], buf, len);
}

static enum reply_id cmd_data(struct session *s, char *arg)
{
	/* Committed in this order: the LMTP handoff, which cannot be
	 * withdrawn, comes last. */
	const struct sink_ops *const all_sinks[] = { &spool_sink_ops, local_sink(s) };
	struct sink sinks[2];
	size_t nsinks = 0;
	struct conn *c = s->conn;
	struct data_decoder d;
	struct envelope env;
	char msgid[32], received[1024], out[CONN_BUF], hold[DATA_FIRST_LINE_MAX + 2];
	size_t first_len = 0;
	bool separated = false;
	int *status = NULL;
	const char **tparams = NULL;
	int err = 0, r;
	enum data_result dr = DATA_MORE;
	enum reply_id verdict;
	struct held_msg *held;

	(void)arg;
	if ((verdict = chain_run_data(s)) != RP_NONE)
		return verdict;
	/* a content filter asked to hold the message (heldmsg.h): it goes
	 * to the sinks after the data_end hooks, not as it streams */
	held = chain_held(s);
	s->ntxn++;
	snprintf(msgid, sizeof(msgid), "%s.%u", s->id, s->ntxn);
	format_received(s, msgid, received, sizeof(received));
	env = (struct envelope){
		.id = msgid, .sender = s->txn.from_text, .mail_params = s->txn.params,
		.targets = &s->txn.targets, .received = received, .helo = s->helo,
		.local_name = s->lst->hello_name, .per_target = s->proto == PROTO_LMTP,
	};
	status = calloc(s->txn.targets.n + 1, sizeof(*status));
	tparams = calloc(s->txn.targets.n + 1, sizeof(*tparams));
	if (!status || !tparams)
		err = -ENOMEM;
	/* RFC 3461 NOTIFY/ORCPT follow the recipient to each of its targets
	 * (the relay uses them; local delivery ignores them) */
	for (size_t i = 0; !err && i < s->txn.nrcpt; i++)
		for (size_t k = 0; k < s->txn.rcpts[i].ntargets; k++)
			tparams[s->txn.rcpts[i].first_target + k] = s->txn.rcpts[i].dsn;
	env.target_params = tparams;
	for (size_t i = 0; i < 2 && !err; i++) {
		bool wanted = false;

		for (size_t k = 0; k < s->txn.targets.n; k++)
			wanted |= all_sinks[i]->wants(&s->txn.targets.v[k]);
		if (!wanted)
			continue;
		sinks[nsinks] = (struct sink){ .ops = all_sinks[i] };
		err = all_sinks[i]->open(&sinks[nsinks], &env);
		nsinks++;
	}
	if (err) {
		for (size_t i = 0; i < nsinks; i++)
			sinks[i].ops->close(&sinks[i]);
		free(status);
		free(tparams);
		log_msg(LOG_ERR, "message id=%s: cannot open storage: %s", msgid, strerror(-err));
		txn_reset(s);
		return storage_full(err) ? RP_NO_SPACE : RP_STORAGE_FAIL;
	}
	session_reply(s, RP_DATA_GO);
	data_init(&d, (uint64_t)s->lst->max_kb * 1024);
	conn_set_deadline(c);
	while (dr == DATA_MORE) {
		size_t olen, used;

		if (c->in_pos == c->in_len) {
			r = conn_fill(c);
			if (r <= 0) {
				if (r == -ETIMEDOUT)
					session_reply(s, c->lifetime_over ? RP_LIFETIME : RP_TIMEOUT);
				log_msg(LOG_INFO, "message id=%s: %s during DATA from [%s], nothing stored", msgid,
					r == 0 ? "connection lost" : strerror(-r), s->peer_text);
				log_message(s, msgid, d.size, r == -ETIMEDOUT ? "timeout" : "connection lost");
				s->state = ST_CLOSING;
				break;
			}
		}
		dr = data_feed(&d, c->in + c->in_pos, c->in_len - c->in_pos, out, &olen, &used);
		/* the deadline is per line: a message may take long, a line not */
		if (memchr(c->in + c->in_pos, '\n', used))
			conn_set_deadline(c);
		c->in_pos += used;
		/* content filters see the message as the client sent it */
		if (olen && chain_wants_content(s))
			chain_run_content(s, out, olen);
		if (d.first == FIRST_UNKNOWN && dr == DATA_MORE && first_len + olen <= sizeof(hold)) {
			/* the start of the first line, until it is known to be a
			 * header field or not: under DATA_FIRST_LINE_MAX octets */
			memcpy(hold + first_len, out, olen);
			first_len += olen;
			continue;
		}
		/* RFC 5321 §4.4: our trace fields are ours.  A first line that is
		 * no header field (one starting with SP/HT would continue our
		 * Received:) gets the empty line that ends the header section,
		 * as Postfix's cleanup does. */
		if (!separated && data_needs_separator(&d))
			store(held, sinks, nsinks, "\r\n", 2);
		separated = true;
		store(held, sinks, nsinks, hold, first_len);
		first_len = 0;
		store(held, sinks, nsinks, out, olen);
	}
	verdict = RP_NONE;
	if (s->state == ST_CLOSING) {
		verdict = RP_NONE;
	} else if (dr == DATA_BAD_EOL) {
		/* SMTP smuggling: nothing of this transaction is kept, and the
		 * rest of the stream is not trusted either. */
		log_msg(LOG_WARNING, "message id=%s: bare CR or LF in DATA from [%s], rejected",
			msgid, s->peer_text);
		verdict = RP_BARE_EOL;
	} else if (d.too_big) {
		verdict = RP_SIZE_EXCEEDED;
	} else if (d.loop) {
		verdict = RP_LOOP;
	} else if (d.nul) {
		/* RFC 5322 §2.3, RFC 6152 §3: no NUL in message text (only
		 * BINARYMIME, not offered, carries it); readers disagree on
		 * what it means, so it is refused, never stored */
		log_msg(LOG_NOTICE, "message id=%s: NUL octet in DATA from [%s], rejected", msgid, s->peer_text);
		verdict = RP_NUL_IN_DATA;
	} else if (held && (r = held_end(held)) < 0) {
		log_msg(LOG_ERR, "message id=%s: cannot hold it for filters: %s", msgid, strerror(-r));
		verdict = storage_full(r) ? RP_NO_SPACE : RP_STORAGE_FAIL;
	} else {
		verdict = chain_run_data_end(s);
	}
	/* the held message, as the filters left it, into the sinks */
	if (s->state != ST_CLOSING && verdict == RP_NONE && held && !chain_discarded(s)
	    && (r = held_emit(held, sinks_write, &(struct sink_set){ sinks, nsinks })) < 0) {
		log_msg(LOG_ERR, "message id=%s: cannot read the held message: %s", msgid, strerror(-r));
		verdict = RP_STORAGE_FAIL;
	}
	if (s->state != ST_CLOSING && verdict == RP_NONE && chain_discarded(s)) {
		/* a filter took the message to drop it: the client is told it
		 * was queued, nothing is stored */
		log_message(s, msgid, d.size, "discarded by a filter");
		if (s->proto == PROTO_LMTP)
			lmtp_replies(s, status, msgid);
		else
			session_reply_text(s, RP_QUEUED, "OK: queued as %s", msgid);
	} else if (s->state != ST_CLOSING && verdict == RP_NONE) {
		/* SMTP is all or nothing: after a failure the later sinks
		 * are not committed, and closing them drops their copies. */
		for (size_t i = 0; i < nsinks && !(err && !env.per_target); i++) {
			r = sinks[i].ops->commit(&sinks[i], status);
			if (r && !err)
				err = r;
		}
		if (s->proto == PROTO_LMTP) {
			lmtp_replies(s, status, msgid);
			log_message(s, msgid, d.size, err ? "partial" : "delivered");
		} else if (err) {
			for (size_t i = 0; i < nsinks; i++)
				sinks[i].ops->rollback(&sinks[i]);
			log_msg(LOG_ERR, "message id=%s: storage failed: %s", msgid, strerror(-err));
			log_message(s, msgid, d.size, storage_full(err) ? "452 not stored" : "451 not stored");
			session_reply(s, storage_full(err) ? RP_NO_SPACE : RP_STORAGE_FAIL);
		} else {
			log_message(s, msgid, d.size, "queued");
			session_reply_text(s, RP_QUEUED, "OK: queued as %s", msgid);
		}
	} else if (s->state != ST_CLOSING) {
		char result[64];

		snprintf(result, sizeof(result), "%d rejected", reply_get(verdict)->code);
		log_message(s, msgid, d.size, result);
		if (verdict == RP_BARE_EOL)
			session_reply(s, verdict);
		else
			reply_all(s, verdict);
	}
	for (size_t i = 0; i < nsinks; i++)
		sinks[i].ops->close(&sinks[i]);
	free(status);
	free(tparams);
	txn_reset(s);
	return RP_NONE;
}

static enum reply_id cmd_rset(struct session *s, char *arg)
{
	(void)arg;
	txn_reset(s);
	return RP_RSET;
}

static enum reply_id cmd_noop(struct session *s, char *arg)
{
	(void)s;
	(void)arg;	/* RFC 5321 §4.1.1.9: a parameter is ignored */
	return RP_OK;
}

static enum reply_id cmd_quit(struct session *s, char *arg)
{
	(void)arg;
	session_reply_text(s, RP_QUIT, "%s closing connection", s->lst->hello_name);
	return RP_NONE;
}

static enum reply_id cmd_vrfy(struct session *s, char *arg)
{
	(void)s;
	/* Never confirm users (RFC 5321 §3.5.3: 252 is the honest reply). */
	return *arg ? RP_VRFY : RP_ARG_SYNTAX;
}

static enum reply_id cmd_help(struct session *s, char *arg)
{
	(void)s;
	(void)arg;
	return RP_HELP;
}

static enum reply_id cmd_expn(struct session *s, char *arg)
{
	(void)s;
	(void)arg;
	return RP_NOT_IMPLEMENTED;	/* lists are not disclosed */
}

static enum reply_id cmd_starttls(struct session *s, char *arg)
{
	(void)arg;
	if (!s->lst->tls.start_tls)
		return RP_NOT_IMPLEMENTED;	/* conformance L4 */
	if (s->tls_active)
		return RP_TLS_ACTIVE;
	if (!tls_supported())
		return RP_TLS_UNAVAILABLE;
	/* RFC 3207 §4.2 / CVE-2011-0411: plaintext pipelined behind
	 * STARTTLS must never be executed inside the TLS session. */
	if (conn_buffered(s->conn) > 0) {
		log_msg(LOG_WARNING, "commands pipelined after STARTTLS from [%s], closing", s->peer_text);
		return RP_STARTTLS_PIPELINED;
	}
	/* A key that cannot be loaded is our problem, said before 220. */
	if (tls_prepare(s) < 0)
		return RP_TLS_UNAVAILABLE;
	session_reply(s, RP_STARTTLS_GO);
	if (conn_flush(s->conn) < 0 || tls_start(s) < 0) {
		s->state = ST_CLOSING;
		return RP_NONE;
	}
	/* RFC 3207 §4.2: forget everything learned before TLS. */
	txn_reset(s);
	s->helo[0] = '\0';
	s->esmtp = false;
	s->auth_user[0] = '\0';
	s->auth_mech = NULL;
	s->state = ST_CONNECTED;
	return RP_NONE;
}

/* Read one line into lr (s->line), bounded by lr's capacity.  Returns
 * LR_LINE or LR_TOO_LONG, or -1 when the session ends (EOF, error,
 * timeout: logged, and 421 sent on timeout). */
static int read_line(struct session *s, struct line_reader *lr)
{
	struct conn *c = s->conn;
	enum lr_result res = LR_NEED_MORE;
	size_t used;
	int r;

	/* the whole line must arrive within connectionTimeout: a client
	 * trickling one byte at a time is no less idle */
	conn_set_deadline(c);
	while (res == LR_NEED_MORE) {
		if (c->in_pos < c->in_len) {
			res = lr_feed(lr, c->in + c->in_pos, c->in_len - c->in_pos, &used);
			/* the raw bytes are consumed: a command line may be
			 * an AUTH line (RFC 4954 initial response, 334
			 * answers), so none stays in the input buffer */
			explicit_bzero(c->in + c->in_pos, used);
			c->in_pos += used;
			continue;
		}
		r = conn_fill(c);
		if (r > 0)
			continue;
		if (r == -ETIMEDOUT && c->lifetime_over) {
			log_msg(LOG_INFO, "session lifetime exceeded after %s from [%s]", state_name(s->state),
				s->peer_text);
			session_reply(s, RP_LIFETIME);
		} else if (r == -ETIMEDOUT) {
			log_msg(LOG_INFO, "timeout after %s from [%s]%s", state_name(s->state), s->peer_text,
				c->write_error ? " (client not reading)" : "");
			session_reply(s, RP_TIMEOUT);
		} else if (r < 0) {
			log_msg(LOG_INFO, "read error from [%s]: %s", s->peer_text, strerror(-r));
		} else {
			log_msg(LOG_INFO, "lost connection after %s from [%s]", state_name(s->state), s->peer_text);
		}
		s->state = ST_CLOSING;
		return -1;
	}
	return (int)res;
}

/* ---- AUTH (RFC 4954) ------------------------------------------------------ */

/* Decode a client's base64 into @out: -ENOBUFS (more than the mechanism's
 * fields can hold) is a field too long, not bad base64. */
static enum reply_id auth_decode(const char *b64, char *out, size_t size, int *len_r)
{
	*len_r = sasl_base64_decode(b64, out, size);
	if (*len_r == -ENOBUFS)
		return RP_AUTH_FIELD_TOO_LONG;
	return *len_r < 0 ? RP_AUTH_BASE64 : RP_NONE;
}

/* One SASL continuation: send "334 challenge", read the client's line
 * (up to AUTH_LINE_MAX octets), base64-decode it into @out.  A line that
 * does not fit in @out is RP_AUTH_FIELD_TOO_LONG: @size is what the
 * mechanism's fields can take.  The line is wiped whatever came of it. */
static enum reply_id auth_step(struct session *s, const char *challenge, char *out, size_t size, int *len_r)
{
	struct line_reader lr;
	enum reply_id rp = RP_NONE;
	int r;

	send_reply(s, 334, NULL, challenge, true);
	lr_init(&lr, s->line, sizeof(s->line));
	r = read_line(s, &lr);
	if (r < 0)
		return RP_NONE;
	if (r == LR_TOO_LONG)
		rp = RP_AUTH_LINE_TOO_LONG;
	else if (strcmp(lr.buf, "*") == 0)
		rp = RP_AUTH_CANCELLED;
	else
		rp = auth_decode(lr.buf, out, size, len_r);
	explicit_bzero(s->line, lr.len);
	return rp;
}

static enum reply_id auth_result(struct session *s, const char *mech, const char *user, const char *pass)
{
	char name[ADDR_TEXT_MAX], esc[ADDR_TEXT_MAX * 2];
	const char *at;
	int r;

	snprintf(name, sizeof(name), "%s", user);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	/* a bare "user" line is that user in our domains only (userdb.h) */
	at = strrchr(name, '@');
	r = userdb_verify(s->cfg->users, name, at && config_is_local_domain(s->cfg, at + 1), pass);
	log_escape(name, strlen(name), esc, sizeof(esc));
	if (r == 0) {
		snprintf(s->auth_user, sizeof(s->auth_user), "%s", name);
		s->auth_mech = mech;	/* a literal */
		log_msg(LOG_INFO, "authenticated user=%s mechanism=%s from [%s]", esc, mech, s->peer_text);
		return RP_AUTH_OK;
	}
	if (r != -EACCES) {
		log_msg(LOG_ERR, "cannot read users file %s: %s", s->cfg->users ? s->cfg->users : "(none)", strerror(-r));
		return RP_STORAGE_FAIL;
	}
	/* One stable line per failure, for fail2ban (units/fail2ban): the
	 * client address comes before any client-supplied text. */
	log_msg(LOG_WARNING, "authentication failed from [%s] mechanism=%s user=%s", s->peer_text, mech, esc);
	s->auth_failures++;
	/* Each failure waits longer (1 s, 2 s, 4 s); the third ends it. */
	sleep(1u << (s->auth_failures - 1));
	return s->auth_failures >= AUTH_MAX_FAILURES ? RP_AUTH_TOO_MANY : RP_AUTH_FAILED;
}

static enum reply_id auth_plain(struct session *s, const char *initial)
{
	/* three fields at their limit and two NULs fit: longer is too long */
	char buf[3 * SASL_FIELD_MAX + 8];
	struct sasl_plain p;
	enum reply_id r;
	int len;

	if (*initial) {
		r = auth_decode(initial, buf, sizeof(buf), &len);
	} else {
		r = auth_step(s, "", buf, sizeof(buf), &len);
		if (r == RP_NONE && s->state == ST_CLOSING)
			return RP_NONE;
	}
	if (r == RP_NONE) {
		int pr = sasl_plain_parse(buf, (size_t)len, &p);

		/* RFC 4616 §2: an authzid other than the authcid is refused */
		if (pr == -EMSGSIZE)
			r = RP_AUTH_FIELD_TOO_LONG;
		else if (pr < 0 || (p.authzid[0] && strcasecmp(p.authzid, p.authcid)))
			r = auth_result(s, "PLAIN", p.authcid[0] ? p.authcid : "(malformed)", "");
		else
			r = auth_result(s, "PLAIN", p.authcid, p.passwd);
	}
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(&p, sizeof(p));
	return r;
}

static enum reply_id auth_login(struct session *s, const char *initial)
{
	/* room for one octet past the limit: a longer field is seen as such */
	char user[SASL_FIELD_MAX + 4], pass[SASL_FIELD_MAX + 4];
	enum reply_id r;
	int len;

	/* RFC 4954 allows an initial response: the user name */
	if (*initial)
		r = auth_decode(initial, user, sizeof(user), &len);
	else if ((r = auth_step(s, "VXNlcm5hbWU6", user, sizeof(user), &len)) == RP_NONE && s->state == ST_CLOSING)
		return RP_NONE;
	if (r == RP_NONE && len > SASL_FIELD_MAX)
		r = RP_AUTH_FIELD_TOO_LONG;
	if (r == RP_NONE) {
		r = auth_step(s, "UGFzc3dvcmQ6", pass, sizeof(pass), &len);
		if (r == RP_NONE && s->state != ST_CLOSING)
			r = len > SASL_FIELD_MAX ? RP_AUTH_FIELD_TOO_LONG : auth_result(s, "LOGIN", user, pass);
	}
	explicit_bzero(user, sizeof(user));
	explicit_bzero(pass, sizeof(pass));
	return r;
}

static enum reply_id cmd_auth(struct session *s, char *arg)
{
	char *initial = arg;
	const char *mech;
	enum reply_id r;

	if (s->state == ST_CONNECTED)
		return RP_NEED_HELO;	/* AUTH is an ESMTP extension */
	if (s->auth_user[0])
		return RP_AUTH_ALREADY;
	if (s->state == ST_MAIL || s->state == ST_RCPT)
		return RP_AUTH_IN_TXN;
	while (*initial && *initial != ' ')
		initial++;
	if (*initial)
		*initial++ = '\0';
	while (*initial == ' ')
		initial++;
	if ((strcasecmp(arg, "PLAIN") == 0 || strcasecmp(arg, "LOGIN") == 0) && !auth_plain_enabled(s->lst))
		return RP_AUTH_MECH;	/* auth { plainAuthEnabled = false } */
	/* @arg is in s->line, which the exchange reuses and wipes */
	if (strcasecmp(arg, "PLAIN") == 0)
		mech = "PLAIN";
	else if (strcasecmp(arg, "LOGIN") == 0)
		mech = "LOGIN";
	else
		return *arg ? RP_AUTH_MECH : RP_ARG_SYNTAX;
	r = mech[0] == 'P' ? auth_plain(s, initial) : auth_login(s, initial);
	/* a protocol error, not a failed login: no "authentication failed"
	 * line (units/fail2ban), no delay, not one of AUTH_MAX_FAILURES */
	if (r == RP_AUTH_FIELD_TOO_LONG)
		log_msg(LOG_INFO, "AUTH %s field longer than %d octets from [%s]", mech, SASL_FIELD_MAX, s->peer_text);
	return r;
}

/* ---- the command table and dispatcher ------------------------------------- */

enum phase {
	PH_ANY,		/* any time */
	PH_NO_TXN,	/* after HELO (if enforced), outside a transaction */
	PH_TXN,		/* after MAIL */
	PH_RCPT,	/* after a RCPT */
};

enum {
	P_SMTP = 1 << PROTO_SMTP,
	P_LMTP = 1 << PROTO_LMTP,
	P_BOTH = P_SMTP | P_LMTP,
	F_NOARGS = 1,		/* argument is a syntax error */
	F_TLS_GATE = 2,		/* needs TLS when tls.required */
	F_AUTH = 4,		/* exists only when authRequired != false;
				 * needs TLS where STARTTLS is offered */
};

struct command {
	const char *verb;
	unsigned protos;
	enum phase phase;
	unsigned flags;
	enum reply_id (*fn)(struct session *s, char *arg);
};

static const struct command commands[] = {
	{ "HELO", P_SMTP, PH_ANY, 0, cmd_helo },
	{ "EHLO", P_SMTP, PH_ANY, 0, cmd_ehlo },
	{ "LHLO", P_LMTP, PH_ANY, 0, cmd_ehlo },
	{ "MAIL", P_BOTH, PH_NO_TXN, F_TLS_GATE, cmd_mail },
	{ "RCPT", P_BOTH, PH_TXN, F_TLS_GATE, cmd_rcpt },
	{ "DATA", P_BOTH, PH_RCPT, F_NOARGS | F_TLS_GATE, cmd_data },
	{ "RSET", P_BOTH, PH_ANY, F_NOARGS, cmd_rset },
	{ "NOOP", P_BOTH, PH_ANY, 0, cmd_noop },
	{ "QUIT", P_BOTH, PH_ANY, F_NOARGS, cmd_quit },
	{ "VRFY", P_BOTH, PH_ANY, 0, cmd_vrfy },
	{ "EXPN", P_BOTH, PH_ANY, 0, cmd_expn },
	{ "HELP", P_BOTH, PH_ANY, 0, cmd_help },
	{ "STARTTLS", P_BOTH, PH_ANY, F_NOARGS, cmd_starttls },
	{ "AUTH", P_SMTP, PH_ANY, F_AUTH, cmd_auth },
};

/* The order gate: which reply a command gets in the wrong state. */
static enum reply_id order_check(const struct session *s, const struct command *cmd)
{
	/* After STARTTLS the client must EHLO again whatever the
	 * enforcement setting (RFC 3207 §4.2; conformance L3). */
	bool after_starttls = s->tls_active && s->lst->tls.start_tls;
	bool greeted = s->state != ST_CONNECTED || (!s->lst->helo_enforce && !after_starttls);

	switch (cmd->phase) {
	case PH_ANY:
		return RP_NONE;
	case PH_NO_TXN:
		if (!greeted)
			return s->proto == PROTO_LMTP ? RP_NEED_LHLO : RP_NEED_HELO;
		return s->state == ST_MAIL || s->state == ST_RCPT ? RP_NESTED_MAIL : RP_NONE;
	case PH_TXN:
		return s->state == ST_MAIL || s->state == ST_RCPT ? RP_NONE : RP_NEED_MAIL;
	case PH_RCPT:
		if (s->state == ST_RCPT)
			return RP_NONE;
		if (s->state == ST_MAIL)
			return s->txn.rcpt_attempts ? RP_NO_VALID_RCPT : RP_NEED_RCPT;
		return RP_NEED_MAIL;
	}
	return RP_NONE;
}

/* Cross-protocol attacks (HTTP, POP3, IMAP, TLS to a plaintext port): a
 * first line like these closes the connection without a reply. */
static bool foreign_protocol(const char *line)
{
	static const char *const verbs[] = {
		"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ",
		"TRACE ", "PATCH ", "USER ", "PASS ", "CAPA", "STLS", "APOP ",
	};

	if ((unsigned char)line[0] == 0x16 || strstr(line, " HTTP/"))
		return true;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (has_prefix(line, verbs[i]))
			return true;
	return false;
}

/* Send @r; a 4xx/5xx counts against the error budget (conformance S15),
 * and the last one allowed closes the session with 421. */
static void reply_counted(struct session *s, enum reply_id r)
{
	session_reply(s, r);
	/* 452 4.5.3 is flow control, not a client error (RFC 5321
	 * §4.5.3.1.10): the client sends the rest in another transaction. */
	if (reply_get(r)->code >= 400 && r != RP_TOO_MANY_RCPTS && s->state != ST_CLOSING
	    && ++s->errors >= ERROR_BUDGET) {
		log_msg(LOG_WARNING, "too many errors from [%s], closing", s->peer_text);
		session_reply(s, RP_TOO_MANY_ERRORS);
	}
}

static void dispatch(struct session *s, char *line)
{
	char *arg = line;
	const struct command *cmd = NULL;
	enum reply_id r;
	size_t vlen;

	while (*arg && *arg != ' ')
		arg++;
	vlen = (size_t)(arg - line);
	while (*arg == ' ')
		arg++;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strlen(commands[i].verb) == vlen && strncasecmp(commands[i].verb, line, vlen) == 0) {
			cmd = &commands[i];
			break;
		}
	if (!cmd || ((cmd->flags & F_AUTH) && auth_announce_mode(s->lst) == AUTH_FALSE)) {
		char verb[32];

		snprintf(verb, sizeof(verb), "%.*s", (int)vlen, line);
		if ((r = chain_run_unknown(s, verb)) == RP_NONE)
			r = RP_UNKNOWN_CMD;
	} else if (!(cmd->protos & (1u << s->proto))) {
		/* RFC 2033 §4.1: HELO/EHLO are not LMTP; anything else
		 * SMTP-only (AUTH) is simply unknown there. */
		r = s->proto == PROTO_LMTP && (cmd->fn == cmd_helo || cmd->fn == cmd_ehlo)
			? RP_LMTP_NO_HELO : RP_UNKNOWN_CMD;
	} else if ((r = order_check(s, cmd)) != RP_NONE) {
		;
	} else if ((cmd->flags & F_TLS_GATE) && s->lst->tls.required && !s->tls_active) {
		r = RP_TLS_REQUIRED;
	} else if ((cmd->flags & F_AUTH) && auth_needs_tls(s)) {
		r = RP_AUTH_NEEDS_TLS;	/* conformance A2; auth { requireSSL } */
	} else if ((cmd->flags & F_NOARGS) && *arg) {
		r = RP_ARG_SYNTAX;
	} else {
		r = cmd->fn(s, arg);
	}
	if (r == RP_NONE)
		return;
	reply_counted(s, r);
}

static void greet(struct session *s)
{
	const struct listener *l = s->lst;

	if (l->greeting && *l->greeting)
		session_reply_text(s, RP_GREETING, "%s", l->greeting);
	else
		session_reply_text(s, RP_GREETING, "%s %s smtpd ready", l->hello_name,
				   s->proto == PROTO_LMTP ? "LMTP" : "ESMTP");
}

/* RFC 5321 §4.5.3.1.4 for commands; RFC 4954 §4 lets AUTH lines reach
 * AUTH_LINE_MAX, so the reader's buffer is that large and the shorter
 * limit is applied to every other verb. */
static bool line_too_long(const struct line_reader *lr)
{
	return lr->len > COMMAND_LINE_MAX - 2 && !has_prefix(lr->buf, "AUTH ");
}

void session_run(struct session *s)
{
	struct line_reader lr;
	struct conn *c = s->conn;

	log_msg(LOG_INFO, "connect from [%s]%s", s->peer_text, s->trusted ? " (authorized)" : "");
	/* RFC 8314 §3.3: TLS from the first byte, then the greeting */
	if (s->lst->tls.socket_tls && !s->tls_active && tls_start(s) < 0) {
		s->state = ST_CLOSING;
	} else {
		enum reply_id r = chain_connect(s);

		if (r == RP_NONE) {
			greet(s);
		} else {
			/* refused before the greeting: the reply, then close */
			session_reply(s, r);
			s->state = ST_CLOSING;
		}
	}
	while (s->state != ST_CLOSING) {
		size_t raw_len;
		int res;

		lr_init(&lr, s->line, sizeof(s->line));
		res = read_line(s, &lr);
		if (res < 0)
			break;
		s->commands++;
		if (res == LR_TOO_LONG || line_too_long(&lr)) {
			reply_counted(s, RP_LINE_TOO_LONG);
			continue;
		}
		if (s->commands == 1 && foreign_protocol(lr.buf)) {
			char esc[128];

			log_escape(lr.buf, lr.len, esc, sizeof(esc));
			log_msg(LOG_WARNING, "foreign protocol from [%s]: \"%s\", closing", s->peer_text, esc);
			break;
		}
		if (memchr(lr.buf, '\0', lr.len)) {
			/* a NUL would cut the line short for us but not for a
			 * filter in front of us: refuse the whole line */
			reply_counted(s, RP_NUL_IN_COMMAND);
			continue;
		}
		/* trailing white space is a common client slip (RFC 5321
		 * §4.1.1 has none); it must not turn "EHLO name " into 501 */
		raw_len = lr.len;
		while (lr.len > 0 && (lr.buf[lr.len - 1] == ' ' || lr.buf[lr.len - 1] == '\t'))
			lr.buf[--lr.len] = '\0';
		dispatch(s, lr.buf);
		/* the line may have held a password (AUTH PLAIN initial response) */
		explicit_bzero(s->line, raw_len);
	}
	conn_flush(c);
	log_msg(LOG_INFO, "disconnect from [%s] commands=%u errors=%u", s->peer_text, s->commands, s->errors);
}
