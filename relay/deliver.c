/* deliver.c — one message: claim, the SMTP dialogue per destination,
 * per-recipient outcomes in the journal, the next try or the end. */
#include "relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "mxdns.h"
#include "log.h"
#include "sasl.h"
#include "tls.h"

/* ---- dead destinations ---------------------------------------------------- */

bool dead_lookup(struct relay_ctx *ctx, const char *dest, char *why, size_t size)
{
	unsigned n = __atomic_load_n(&ctx->dead->n, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n && i < DEAD_MAX; i++)
		if (__atomic_load_n(&ctx->dead->v[i].ready, __ATOMIC_ACQUIRE)
		    && strcasecmp(ctx->dead->v[i].dest, dest) == 0) {
			snprintf(why, size, "%s", ctx->dead->v[i].why);
			return true;
		}
	return false;
}

void dead_add(struct relay_ctx *ctx, const char *dest, const char *why)
{
	unsigned i = __atomic_fetch_add(&ctx->dead->n, 1, __ATOMIC_ACQ_REL);

	if (i >= DEAD_MAX)
		return;
	snprintf(ctx->dead->v[i].dest, sizeof(ctx->dead->v[i].dest), "%s", dest);
	snprintf(ctx->dead->v[i].why, sizeof(ctx->dead->v[i].why), "%s", why);
	__atomic_store_n(&ctx->dead->v[i].ready, 1, __ATOMIC_RELEASE);
}

/* ---- journal -------------------------------------------------------------- */

int record(struct relay_ctx *ctx, struct message *m, size_t idx, char kind, int code,
	   const char *enh, const char *host, const char *text)
{
	char line[JOURNAL_TEXT_MAX + JOURNAL_HOST_MAX + 128], esc[JOURNAL_TEXT_MAX], ehost[JOURNAL_HOST_MAX];
	int r;

	/* the server's words reach the journal, the log and the DSN only
	 * escaped: printable ASCII, nothing else */
	log_escape(text ? text : "", text ? strlen(text) : 0, esc, sizeof(esc));
	log_escape(host ? host : "", host ? strlen(host) : 0, ehost, sizeof(ehost));
	for (char *p = ehost; *p; p++)
		if (*p == ' ')
			*p = '_';
	journal_format_rcpt(line, sizeof(line), idx, kind, code, enh, ctx->now, ehost, esc);
	r = journal_append(m->jfd, line);
	if (r < 0) {
		log_msg(LOG_ERR, "message %s: cannot write its journal: %s", m->name, strerror(-r));
		return r;
	}
	journal_feed(&m->js, line, strlen(line));
	log_msg(kind == 'F' ? LOG_NOTICE : LOG_INFO, "message %s to=<%s> relay=%s status=%s %d %s %s",
		m->name, m->env.rcpt[idx].addr, ehost[0] ? ehost : "none",
		kind == 'F' ? "bounced" : kind == 'T' ? "deferred" : "sent", code, enh && *enh ? enh : "", esc);
	return 0;
}

/* ---- the SMTP dialogue ---------------------------------------------------- */

enum stage { STAGE_CONNECT, STAGE_SESSION, STAGE_TXN };

struct dest {
	const char *name;		/* for logs and the dead table */
	const char *tls_name;		/* the name the certificate must hold */
	enum tls_level tls;
	bool implicit_tls;
	bool auth;
};

/* The outcome of one reply for recipients @idx: 2xx delivered (D when
 * the next hop took over DSN), 4xx deferred, 5xx failed. */
static void record_reply(struct relay_ctx *ctx, struct message *m, const size_t *idx, size_t n,
			 const struct smtp_reply *r, const char *host, bool dsn_passed)
{
	char kind = r->code < 300 ? (dsn_passed ? 'D' : 'd') : r->code < 500 ? 'T' : 'F';

	for (size_t i = 0; i < n; i++)
		record(ctx, m, idx[i], kind, r->code, r->enh, host, r->text);
}

static void defer_all(struct relay_ctx *ctx, struct message *m, const size_t *idx, size_t n, int code,
		      const char *enh, const char *host, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (m->st[idx[i]].state == RS_PENDING)
			record(ctx, m, idx[i], code >= 500 ? 'F' : 'T', code, enh, host, text);
}

static bool read_password(struct relay_ctx *ctx, char *why, size_t size)
{
	char buf[1024];
	ssize_t n;
	int fd;

	if (ctx->password)
		return true;
	fd = open(ctx->rs->gateway_password_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, size, "cannot read gatewayPasswordFile %s: %s", ctx->rs->gateway_password_file,
			 strerror(errno));
		return false;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		snprintf(why, size, "gatewayPasswordFile %s is empty", ctx->rs->gateway_password_file);
		return false;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	ctx->password = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return ctx->password != NULL;
}

/* AUTH PLAIN, else LOGIN (RFC 4954, RFC 4616).  0, or the reply's code
 * when refused (535: logged loudly, a temporary failure for the
 * message), or -errno. */
static int authenticate(struct relay_ctx *ctx, struct smtp_client *c, struct smtp_reply *r,
			char *why, size_t size)
{
	const char *user = ctx->rs->gateway_username;
	char b64[4 * ((SASL_FIELD_MAX + 2) / 3) + 1];
	size_t ul, pl;
	int e;

	if (!read_password(ctx, why, size))
		return -EACCES;
	ul = strlen(user);
	pl = strlen(ctx->password);
	if (ul > SASL_FIELD_MAX || pl > SASL_FIELD_MAX) {
		snprintf(why, size, "gatewayUsername or password too long");
		return -EINVAL;
	}
	if (strcasestr(c->auth, "PLAIN")) {
		if ((e = smtp_auth_plain(c, user, ctx->password, r)) < 0)
			return e;
	} else if (strcasestr(c->auth, "LOGIN")) {
		sasl_base64_encode(user, ul, b64);
		if ((e = smtp_send(c, "AUTH LOGIN %s", b64)) < 0 || (e = smtp_read(c, r)) < 0)
			return e;
		if (r->code == 334) {
			sasl_base64_encode(ctx->password, pl, b64);
			e = smtp_send(c, "%s", b64);
			explicit_bzero(b64, sizeof(b64));
			if (e < 0 || (e = smtp_read(c, r)) < 0)
				return e;
		}
	} else {
		snprintf(why, size, "the server offers neither AUTH PLAIN nor LOGIN (AUTH %s)", c->auth);
		return -EPROTONOSUPPORT;
	}
	if (r->code == 235)
		return 0;
	snprintf(why, size, "AUTH as %s refused: %d %s %s", user, r->code, r->enh, r->text);
	/* a wrong password stops all outgoing mail: say so loudly */
	log_msg(r->code == 535 ? LOG_CRIT : LOG_ERR, "%s", why);
	return r->code;
}

static int ehlo(struct relay_ctx *ctx, struct smtp_client *c, struct smtp_reply *r)
{
	int e;

	if ((e = smtp_send(c, "EHLO %s", ctx->helo)) < 0 || (e = smtp_read(c, r)) < 0)
		return e;
	if (r->code != 250) {
		/* RFC 5321 §3.2: fall back to HELO */
		if ((e = smtp_send(c, "HELO %s", ctx->helo)) < 0 || (e = smtp_read(c, r)) < 0)
			return e;
		c->ext = 0;
		c->auth[0] = '\0';
		return 0;
	}
	c->ext = r->ext;
	snprintf(c->auth, sizeof(c->auth), "%s", r->auth);
	return 0;
}

/* One transaction for recipients @idx (at most maxRecipientsPerTransaction).
 * Returns 0 when the session can go on, -1 when it is broken (the
 * recipients still pending in it were deferred). */
static int transaction(struct relay_ctx *ctx, struct message *m, struct smtp_client *c,
		       const size_t *idx, size_t n)
{
	const struct envelope_file *e = &m->env;
	struct smtp_reply r;
	char params[DSN_PARAMS_MAX + 64] = "", dsn[DSN_PARAMS_MAX];
	bool pipelining = c->ext & EXT_PIPELINING, dsn_ok = c->ext & EXT_DSN;
	size_t *accepted = calloc(n, sizeof(*accepted)), nacc = 0;
	int err = 0, mail_code = 0;
	struct smtp_reply mail_reply;

	if (!accepted)
		return -1;
	/* RFC 6531 §3.5: no SMTPUTF8 at the next hop, no delivery */
	if (e->smtputf8 && !(c->ext & EXT_SMTPUTF8)) {
		for (size_t i = 0; i < n; i++)
			record(ctx, m, idx[i], 'F', 553, "5.6.7", c->host,
			       "the next hop does not support SMTPUTF8, which this message needs");
		free(accepted);
		return 0;
	}
	/* 8BITMIME to a server without it: sent as is, without the BODY
	 * parameter (no downgrade; what Postfix does by default) */
	if (e->body8 && (c->ext & EXT_8BITMIME))
		strcat(params, " BODY=8BITMIME");
	if (e->smtputf8)
		strcat(params, " SMTPUTF8");
	if (dsn_ok) {
		dsn_mail_format(&e->dsn, dsn, sizeof(dsn));
		if (dsn[0])
			snprintf(params + strlen(params), sizeof(params) - strlen(params), " %s", dsn);
	}
	if ((err = smtp_send(c, "MAIL FROM:<%s>%s", e->sender, params)) < 0)
		goto broken;
	if (!pipelining) {
		if ((err = smtp_read(c, &mail_reply)) < 0)
			goto broken;
		mail_code = mail_reply.code;
		if (mail_code != 250)
			goto mail_refused;
	}
	for (size_t i = 0; i < n; i++) {
		const struct env_rcpt *rc = &e->rcpt[idx[i]];

		dsn[0] = '\0';
		if (dsn_ok)
			dsn_rcpt_format(&rc->dsn, dsn, sizeof(dsn));
		if ((err = smtp_send(c, "RCPT TO:<%s>%s%s", rc->addr, dsn[0] ? " " : "", dsn)) < 0)
			goto broken;
		if (!pipelining) {
			if ((err = smtp_read(c, &r)) < 0)
				goto broken;
			if (r.code == 250 || r.code == 251)
				accepted[nacc++] = idx[i];
			else
				record_reply(ctx, m, &idx[i], 1, &r, c->host, false);
		}
	}
	if (pipelining) {
		/* RFC 2920 §3.1: DATA may close the batch */
		if ((err = smtp_send(c, "DATA")) < 0 || (err = smtp_read(c, &mail_reply)) < 0)
			goto broken;
		mail_code = mail_reply.code;
		for (size_t i = 0; i < n; i++) {
			if ((err = smtp_read(c, &r)) < 0)
				goto broken;
			if (mail_code != 250)
				continue;
			if (r.code == 250 || r.code == 251)
				accepted[nacc++] = idx[i];
			else
				record_reply(ctx, m, &idx[i], 1, &r, c->host, false);
		}
		if ((err = smtp_read(c, &r)) < 0)	/* DATA's */
			goto broken;
		if (mail_code != 250)
			goto mail_refused;
		if (r.code != 354) {
			if (nacc) {
				record_reply(ctx, m, accepted, nacc, &r, c->host, false);
			}
			free(accepted);
			if (r.code < 400 && (err = smtp_send(c, "RSET")) == 0)
				err = smtp_read(c, &r);
			return err < 0 ? -1 : 0;
		}
		if (!nacc) {
			/* 354 with no recipient: end it empty (RFC 2920 §3.1) */
			if ((err = smtp_send(c, ".")) < 0 || (err = smtp_read(c, &r)) < 0)
				goto broken;
			free(accepted);
			return 0;
		}
	} else {
		if (!nacc) {
			free(accepted);
			if ((err = smtp_send(c, "RSET")) < 0 || (err = smtp_read(c, &r)) < 0)
				return -1;
			return 0;
		}
		if ((err = smtp_send(c, "DATA")) < 0 || (err = smtp_read(c, &r)) < 0)
			goto broken;
		if (r.code != 354) {
			record_reply(ctx, m, accepted, nacc, &r, c->host, false);
			free(accepted);
			return r.code >= 400 && r.code < 500 ? 0 : 0;
		}
	}
	/* the spool file holds the message dot-stuffed, CRLF, ending with
	 * ".\r\n": sent as it stands */
	if ((err = smtp_send_file(c, m->fd, e->body_off)) < 0 || (err = smtp_read(c, &r)) < 0) {
		/* lost after the dot, maybe after the server took it: the
		 * documented duplicate window (smtpd-relay(8)) */
		goto broken_accepted;
	}
	record_reply(ctx, m, accepted, nacc, &r, c->host, dsn_ok);
	free(accepted);
	return 0;

mail_refused:
	for (size_t i = 0; i < n; i++)
		record(ctx, m, idx[i], mail_code >= 500 ? 'F' : 'T', mail_code, mail_reply.enh, c->host,
		       mail_reply.text);
	free(accepted);
	if (smtp_send(c, "RSET") < 0 || smtp_read(c, &r) < 0)
		return -1;
	return 0;
broken_accepted:
broken:
	{
		char why[128];

		snprintf(why, sizeof(why), "lost connection with %s during the transaction: %s", c->host,
			 strerror(-err));
		defer_all(ctx, m, idx, n, 451, "4.4.2", c->host, why);
	}
	free(accepted);
	return -1;
}

/* Everything with one server address; the recipients @idx that are
 * still pending afterwards go on to the next address.  Returns the
 * stage reached: STAGE_TXN once a transaction ran (the destination is
 * alive), with the reason of a failure before that in @why. */
static enum stage one_server(struct relay_ctx *ctx, struct message *m, const struct dest *d,
			     const struct sockaddr *sa, socklen_t salen, const char *host,
			     const size_t *idx, size_t n, char *why, size_t size, int *code_r)
{
	const struct relay_settings *rs = ctx->rs;
	struct smtp_client c = { .fd = -1 };
	struct smtp_reply r;
	struct sockaddr_storage bind_ss;
	socklen_t bind_len = 0;
	char tls_why[512];
	size_t *pend = NULL, npend = 0;
	int e;

	*code_r = 451;
	snprintf(c.host, sizeof(c.host), "%s", host);
	if (rs->bind) {
		memset(&bind_ss, 0, sizeof(bind_ss));
		if (sa->sa_family == AF_INET && inet_pton(AF_INET, rs->bind, &((struct sockaddr_in *)&bind_ss)->sin_addr) == 1) {
			bind_ss.ss_family = AF_INET;
			bind_len = sizeof(struct sockaddr_in);
		} else if (sa->sa_family == AF_INET6
			   && inet_pton(AF_INET6, rs->bind, &((struct sockaddr_in6 *)&bind_ss)->sin6_addr) == 1) {
			bind_ss.ss_family = AF_INET6;
			bind_len = sizeof(struct sockaddr_in6);
		}
	}
	if (smtp_connect(&c, sa, salen, bind_len ? (struct sockaddr *)&bind_ss : NULL, bind_len,
			 (int)rs->connect_timeout_ms, (int)rs->timeout_ms, rs->session_timeout * 1000,
			 why, size) < 0)
		return STAGE_CONNECT;
	if (d->implicit_tls) {
		struct tls_client_opts o = { .server_name = d->tls_name, .verify = d->tls >= TLS_VERIFY,
					     .ca_file = rs->trusted_certificates };

		if ((e = tls_client_start(&c.conn, &o, c.tls_info, sizeof(c.tls_info), tls_why, sizeof(tls_why))) < 0) {
			snprintf(why, size, "%s: %s", host, tls_why);
			goto out;
		}
		c.tls = true;
	}
	if ((e = smtp_read(&c, &r)) < 0) {
		snprintf(why, size, "%s: no greeting: %s", host, strerror(-e));
		goto out;
	}
	if (r.code != 220) {
		/* RFC 5321 §3.1: 554 (or 421) instead of a greeting */
		snprintf(why, size, "%s greeted with %d %s %s", host, r.code, r.enh, r.text);
		*code_r = r.code >= 500 ? 554 : 451;
		smtp_send(&c, "QUIT");
		smtp_flush(&c);
		goto out;
	}
	if ((e = ehlo(ctx, &c, &r)) < 0 || r.code != 250) {
		snprintf(why, size, "%s: EHLO/HELO failed: %s", host, e < 0 ? strerror(-e) : r.text);
		goto out;
	}
	if (!c.tls && d->tls != TLS_NONE && (c.ext & EXT_STARTTLS)) {
		struct tls_client_opts o = { .server_name = d->tls_name, .verify = d->tls >= TLS_VERIFY,
					     .ca_file = rs->trusted_certificates };

		if ((e = smtp_starttls(&c, &o, &r, tls_why, sizeof(tls_why))) < 0) {
			snprintf(why, size, "%s: %s", host, tls_why);
			goto out;
		}
		if (e == 1) {
			if (d->tls >= TLS_ENCRYPT) {
				snprintf(why, size, "%s refused STARTTLS: %d %s", host, r.code, r.text);
				goto out;
			}
		} else {
			if ((e = ehlo(ctx, &c, &r)) < 0 || r.code != 250) {
				snprintf(why, size, "%s: EHLO after STARTTLS failed", host);
				goto out;
			}
		}
	}
	if (!c.tls && d->tls >= TLS_ENCRYPT) {
		snprintf(why, size, "%s offers no STARTTLS, and TLS is required (tlsSecurityLevel)", host);
		goto out;
	}
	if (c.tls)
		log_msg(LOG_INFO, "message %s: TLS with %s: %s", m->name, host, c.tls_info);
	if (d->auth) {
		if (!(c.ext & EXT_AUTH)) {
			snprintf(why, size, "%s offers no AUTH%s", host, c.tls ? "" : " (before TLS?)");
			goto out;
		}
		if ((e = authenticate(ctx, &c, &r, why, size)) != 0) {
			if (e < 0 && e != -EACCES && e != -EINVAL && e != -EPROTONOSUPPORT)
				snprintf(why, size, "%s: AUTH: %s", host, strerror(-e));
			goto out;
		}
	}
	/* transactions of at most maxRecipientsPerTransaction */
	pend = malloc(n * sizeof(*pend));
	if (!pend)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (m->st[idx[i]].state == RS_PENDING)
			pend[npend++] = idx[i];
	for (size_t off = 0; off < npend; off += (size_t)rs->max_rcpt) {
		size_t k = npend - off < (size_t)rs->max_rcpt ? npend - off : (size_t)rs->max_rcpt;

		if (transaction(ctx, m, &c, pend + off, k) < 0)
			break;
	}
	free(pend);
	smtp_send(&c, "QUIT");
	if (smtp_read(&c, &r) < 0) {
		/* nothing depends on it */
	}
	smtp_close(&c);
	return STAGE_TXN;
out:
	smtp_close(&c);
	return STAGE_SESSION;
}

static void try_addresses(struct relay_ctx *ctx, struct message *m, const struct dest *d,
			  const struct sockaddr_storage *addrs, const char *const *hosts, size_t naddr,
			  const size_t *idx, size_t n)
{
	char why[600] = "no address to try", dead_why[300];
	int code = 451;

	if (dead_lookup(ctx, d->name, dead_why, sizeof(dead_why))) {
		snprintf(why, sizeof(why), "%s (failed earlier in this run)", dead_why);
		defer_all(ctx, m, idx, n, 451, "4.4.1", "", why);
		return;
	}
	for (size_t i = 0; i < naddr; i++) {
		socklen_t len = addrs[i].ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		char host[300], a[64];
		bool pending = false;

		inet_ntop(addrs[i].ss_family, addrs[i].ss_family == AF_INET
			  ? (const void *)&((const struct sockaddr_in *)&addrs[i])->sin_addr
			  : (const void *)&((const struct sockaddr_in6 *)&addrs[i])->sin6_addr, a, sizeof(a));
		snprintf(host, sizeof(host), "%s[%s]", hosts[i], a);
		struct dest dd = *d;

		/* the certificate must name the server we asked DNS (or the
		 * admin) for, RFC 7672 §3.2.2 / RFC 6125 */
		dd.tls_name = hosts[i];
		if (one_server(ctx, m, &dd, (const struct sockaddr *)&addrs[i], len, host, idx, n, why, sizeof(why),
			       &code) == STAGE_TXN)
			return;
		log_msg(LOG_INFO, "message %s: %s", m->name, why);
		for (size_t k = 0; k < n; k++)
			pending |= m->st[idx[k]].state == RS_PENDING;
		if (!pending)
			return;
	}
	/* the destination failed as a whole: no more tries in this run */
	dead_add(ctx, d->name, why);
	defer_all(ctx, m, idx, n, code >= 500 ? 451 : code, "4.4.1", "", why);
}

/* "host", "host:port", "[v6]:port" */
static void split_host_port(const char *spec, long defport, char *host, size_t size, int *port_r)
{
	const char *colon;

	*port_r = (int)defport;
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		snprintf(host, size, "%.*s", (int)(end - spec - 1), spec + 1);
		if (end[1] == ':')
			*port_r = atoi(end + 2);
		return;
	}
	colon = strchr(spec, ':');
	snprintf(host, size, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (colon)
		*port_r = atoi(colon + 1);
}

/* getaddrinfo for a gateway: it is named by the admin, the system's
 * resolver and /etc/hosts apply. */
void deliver_gateway(struct relay_ctx *ctx, struct message *m, const size_t *idx, size_t n)
{
	const struct relay_settings *rs = ctx->rs;
	struct sockaddr_storage addrs[RELAY_MAX_GATEWAYS * 4];
	const char *hosts[RELAY_MAX_GATEWAYS * 4];
	char names[RELAY_MAX_GATEWAYS][300];
	size_t naddr = 0, order[RELAY_MAX_GATEWAYS];
	char why[400] = "";
	struct dest d = {
		.tls = rs->tls_level, .implicit_tls = rs->ssl_enable, .auth = rs->gateway_username != NULL,
	};
	char destname[300];

	for (size_t i = 0; i < rs->ngateway; i++)
		order[i] = i;
	/* loadBalancing: start at a random gateway */
	if (rs->load_balancing && rs->ngateway > 1) {
		unsigned r = 0;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (unsigned)getpid();
		for (size_t i = 0; i < rs->ngateway; i++)
			order[i] = (i + r) % rs->ngateway;
	}
	for (size_t k = 0; k < rs->ngateway; k++) {
		size_t i = order[k];
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
		char host[256], port[16];
		int p, e;

		split_host_port(rs->gateway[i], rs->gateway_port, host, sizeof(host), &p);
		snprintf(port, sizeof(port), "%d", p);
		snprintf(names[i], sizeof(names[i]), "%s", host);
		hints.ai_family = rs->inet == INET_IPV4 ? AF_INET : rs->inet == INET_IPV6 ? AF_INET6 : AF_UNSPEC;
		if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
			snprintf(why, sizeof(why), "gateway %s: %s", host, gai_strerror(e));
			log_msg(LOG_WARNING, "message %s: %s", m->name, why);
			continue;
		}
		for (ai = res; ai && naddr < sizeof(addrs) / sizeof(addrs[0]); ai = ai->ai_next) {
			memcpy(&addrs[naddr], ai->ai_addr, ai->ai_addrlen);
			hosts[naddr++] = names[i];
		}
		freeaddrinfo(res);
	}
	if (!naddr) {
		defer_all(ctx, m, idx, n, 451, "4.4.3", "", why[0] ? why : "no gateway address");
		return;
	}
	snprintf(destname, sizeof(destname), "gateway:%s", rs->gateway[0]);
	d.name = destname;
	try_addresses(ctx, m, &d, addrs, hosts, naddr, idx, n);
}

static int family_of(int i, enum inet_protocols p)
{
	if (p == INET_IPV4)
		return i == 0 ? AF_INET : 0;
	if (p == INET_IPV6)
		return i == 0 ? AF_INET6 : 0;
	return i == 0 ? AF_INET6 : AF_INET;	/* RFC 6724: IPv6 first */
}

void deliver_mx(struct relay_ctx *ctx, struct message *m, const char *domain, const size_t *idx, size_t n)
{
	const struct relay_settings *rs = ctx->rs;
	struct mxdns dns;
	struct mxdns_mx mx[32];
	size_t nmx = 0, naddr = 0;
	struct sockaddr_storage addrs[100];
	const char *hosts[100];
	bool secure = false, tempfail = false;
	enum mxdns_status st;
	char why[400];
	struct dest d = { .name = domain, .tls = rs->tls_level, .implicit_tls = false, .auth = false };
	size_t limit = (size_t)rs->mx_address_limit < 100 ? (size_t)rs->mx_address_limit : 100;

	/* tlsPolicyFile: this recipient domain's own level */
	tls_policy_lookup(&ctx->tls_policy, domain, &d.tls);

	if (dead_lookup(ctx, domain, why, sizeof(why))) {
		try_addresses(ctx, m, &d, NULL, NULL, 0, idx, n);
		return;
	}
	/* an address literal: no DNS (RFC 5321 §4.1.3) */
	if (domain[0] == '[') {
		char a[64];
		const char *lit = domain + 1;
		struct sockaddr_storage ss = { 0 };

		if (strncasecmp(lit, "IPv6:", 5) == 0)
			lit += 5;
		snprintf(a, sizeof(a), "%.*s", (int)strcspn(lit, "]"), lit);
		if (inet_pton(AF_INET, a, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
			ss.ss_family = AF_INET;
			((struct sockaddr_in *)&ss)->sin_port = htons((unsigned short)ctx->mx_port);
		} else if (inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
			ss.ss_family = AF_INET6;
			((struct sockaddr_in6 *)&ss)->sin6_port = htons((unsigned short)ctx->mx_port);
		} else {
			defer_all(ctx, m, idx, n, 550, "5.1.2", "", "bad address literal");
			return;
		}
		hosts[0] = domain;
		try_addresses(ctx, m, &d, &ss, hosts, 1, idx, n);
		return;
	}
	if (mxdns_init(&dns, rs->dns_servers, rs->ndns, rs->resolv_conf, rs->dnssec) < 0) {
		defer_all(ctx, m, idx, n, 451, "4.4.3", "", "cannot set up the DNS resolver");
		return;
	}
	st = mxdns_mx(&dns, domain, mx, 32, &nmx, &secure);
	switch (st) {
	case MXDNS_NXDOMAIN:
		snprintf(why, sizeof(why), "domain %s does not exist (DNS NXDOMAIN)", domain);
		defer_all(ctx, m, idx, n, 550, "5.1.2", "", why);
		mxdns_finish(&dns);
		return;
	case MXDNS_TEMPFAIL:
		tempfail = true;
		nmx = 0;
		break;
	case MXDNS_NODATA:
		/* RFC 5321 §5.1: no MX, the domain itself is the implicit MX */
		snprintf(mx[0].host, sizeof(mx[0].host), "%s", domain);
		mx[0].pref = 0;
		nmx = 1;
		break;
	case MXDNS_OK:
		/* RFC 7505 §3: a single MX with the root as host */
		if (nmx == 1 && (mx[0].host[0] == '\0' || strcmp(mx[0].host, ".") == 0)) {
			snprintf(why, sizeof(why), "domain %s accepts no mail (null MX, RFC 7505)", domain);
			defer_all(ctx, m, idx, n, 556, "5.1.10", "", why);
			mxdns_finish(&dns);
			return;
		}
		break;
	}
	for (size_t i = 0; i < nmx && naddr < limit; i++) {
		for (int f = 0; f < 2 && naddr < limit; f++) {
			int fam = family_of(f, rs->inet);
			size_t got = 0;
			enum mxdns_status as;

			if (!fam)
				continue;
			as = mxdns_addr(&dns, mx[i].host, fam, ctx->mx_port, addrs + naddr, limit - naddr, &got, NULL);
			if (as == MXDNS_TEMPFAIL)
				tempfail = true;
			for (size_t k = 0; k < got; k++)
				hosts[naddr + k] = mx[i].host;
			naddr += got;
		}
	}
	if (!naddr) {
		bool give_up = !tempfail
			|| (rs->max_dns_problem_retries > 0 && m->js.tries + 1 >= (unsigned)rs->max_dns_problem_retries);

		snprintf(why, sizeof(why), "no address for the mail servers of %s%s", domain,
			 tempfail ? " (DNS temporary failure)" : "");
		if (give_up)
			defer_all(ctx, m, idx, n, 550, "5.4.4", "", why);
		else
			defer_all(ctx, m, idx, n, 451, "4.4.3", "", why);
		mxdns_finish(&dns);
		return;
	}
	mxdns_finish(&dns);
	/* the hosts point into mx[], alive until we return */
	try_addresses(ctx, m, &d, addrs, hosts, naddr, idx, n);
}
