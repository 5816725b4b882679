/* relaytest.c — see relaytest.h. */
#include "relaytest.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "log.h"
#include "sasl.h"
#include "server.h"
#include "tls.h"

#define EXIT_NOINPUT 66
#define EXIT_UNAVAILABLE 69
#define PASSWORD_ENV "SMTPD_RELAYTEST_PASSWORD"
#define CONNECT_MS 10000
#define IDLE_MS 30000
#define LOCAL_PART "relaytest"

struct relaytest {
	const char *host, *port, *ours, *foreign, *helo, *user, *password_file, *ca_file;
	bool insecure, smtps;
	char *password;
	struct addrinfo *ai;
	struct smtp_client c;
	bool connected;
	char hostbuf[256], helobuf[256], oursbuf[256], homoglyph[300];
};

/* One trick: an RCPT argument written with {D} for our domain, {F} for
 * the foreign one. */
struct trick {
	const char *name;
	const char *rcpt;
	bool utf8;		/* send MAIL with SMTPUTF8 when offered (RFC 6531) */
};

/* The relay tricks of tests/hardening/hostile.bats, against any server:
 * each names a mailbox outside our domains, however it is dressed. */
static const struct trick tricks[] = {
	{ "plain foreign recipient", "<" LOCAL_PART "@{F}>", false },
	{ "percent hack", "<" LOCAL_PART "%{F}@{D}>", false },
	{ "percent hack, no domain", "<" LOCAL_PART "%{F}>", false },
	{ "bang path", "<{F}!" LOCAL_PART "@{D}>", false },
	{ "bang path, no domain", "<{F}!" LOCAL_PART ">", false },
	{ "source route via us", "<@{D}:" LOCAL_PART "@{F}>", false },
	{ "quoted local part with @", "<\"" LOCAL_PART "@{F}\"@{D}>", false },
	{ "quoted local part with %", "<\"" LOCAL_PART "%{F}\"@{D}>", false },
	{ "quoted, no domain", "<\"" LOCAL_PART "@{F}\">", false },
	{ "two @", "<" LOCAL_PART "@{F}@{D}>", false },
	{ "trailing dot", "<" LOCAL_PART "@{F}.>", false },
	{ "IPv4 literal", "<" LOCAL_PART "@[192.0.2.1]>", false },
	{ "IPv6 literal", "<" LOCAL_PART "@[IPv6:2001:db8::1]>", false },
	{ "our name as a prefix", "<" LOCAL_PART "@{D}.{F}>", false },
	{ "look-alike ending in our name", "<" LOCAL_PART "@relaytest-{D}>", false },
	{ "postmaster elsewhere", "<postmaster@{F}>", false },
	{ "SMTPUTF8 local part", "<r\xc3\xa9laytest@{F}>", true },
	{ "SMTPUTF8 domain", "<" LOCAL_PART "@\xc3\xa9.{F}>", true },
	{ "SMTPUTF8 homoglyph of ours", NULL, true },	/* rt->homoglyph */
};

/* The senders each trick is tried with (the same {D} and {F}).  Some
 * relays trust a sender in their own domain, or the null sender. */
static const char *const senders[] = { "<" LOCAL_PART "@{F}>", "<>", "<postmaster@{D}>" };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: smtpd-config relaytest [OPTIONS] HOST[:PORT]\n"
		"  -c, --config=FILE       take our domain from FILE's domains\n"
		"      --domain=DOMAIN     our domain (default: -c, else the greeting's host name)\n"
		"      --foreign=DOMAIN    the outside domain (default example.com, example.net)\n"
		"      --helo=NAME         EHLO name (default: this host's name)\n"
		"      --auth=USER         also check that USER, authenticated, may relay\n"
		"      --password-file=FILE  USER's password (else $" PASSWORD_ENV ")\n"
		"      --smtps             implicit TLS (port 465)\n"
		"      --ca-file=FILE      trust anchors for the server's certificate\n"
		"      --insecure          do not verify the certificate before AUTH\n");
}

/* HOST, HOST:PORT, [IPV6] or [IPV6]:PORT; default port 25. */
static int split_host(struct relaytest *rt, const char *arg)
{
	const char *colon;
	size_t n;

	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');

		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		n = (size_t)(end - arg - 1);
		colon = end[1] ? end + 1 : NULL;
		arg++;
	} else {
		colon = strchr(arg, ':');
		if (colon && strchr(colon + 1, ':'))
			return -EINVAL;	/* a bare IPv6 address: write [ADDR] */
		n = colon ? (size_t)(colon - arg) : strlen(arg);
	}
	if (n == 0 || n >= sizeof(rt->hostbuf) || (colon && !colon[1]))
		return -EINVAL;
	memcpy(rt->hostbuf, arg, n);
	rt->hostbuf[n] = '\0';
	rt->host = rt->hostbuf;
	rt->port = colon ? colon + 1 : "25";
	return 0;
}

/* Our domain with its first a, c, e, o or p in Cyrillic: looks the same,
 * is another domain (UTS #39 confusables). */
static void make_homoglyph(struct relaytest *rt)
{
	static const struct { char ascii; const char *cyr; } conf[] = {
		{ 'a', "\xd0\xb0" }, { 'c', "\xd1\x81" }, { 'e', "\xd0\xb5" },
		{ 'o', "\xd0\xbe" }, { 'p', "\xd1\x80" },
	};
	const char *d = rt->ours;

	for (const char *p = d; *p; p++)
		for (size_t i = 0; i < sizeof(conf) / sizeof(conf[0]); i++)
			if (*p == conf[i].ascii) {
				snprintf(rt->homoglyph, sizeof(rt->homoglyph), "<" LOCAL_PART "@%.*s%s%s>",
					 (int)(p - d), d, conf[i].cyr, p + 1);
				return;
			}
	snprintf(rt->homoglyph, sizeof(rt->homoglyph), "<" LOCAL_PART "@\xd0\xb0%s>", d);
}

/* @tmpl with {D} replaced by our domain and {F} by the foreign one. */
static void expand(const struct relaytest *rt, const char *tmpl, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = tmpl; *p && n + 1 < size; p++) {
		const char *sub = NULL;

		if (strncmp(p, "{D}", 3) == 0)
			sub = rt->ours;
		else if (strncmp(p, "{F}", 3) == 0)
			sub = rt->foreign;
		if (!sub) {
			out[n++] = *p;
			continue;
		}
		n += (size_t)snprintf(out + n, size - n, "%s", sub);
		if (n >= size)
			n = size - 1;
		p += 2;
	}
	out[n] = '\0';
}

static void show_reply(const char *what, const struct smtp_reply *r)
{
	char esc[REPLY_TEXT_MAX * 4];

	log_escape(r->text, strlen(r->text), esc, sizeof(esc));
	printf("%s%d%s%s %s", what, r->code, r->enh[0] ? " " : "", r->enh, esc);
}

static void disconnect(struct relaytest *rt, bool quit)
{
	struct smtp_reply r;

	if (!rt->connected)
		return;
	if (quit && smtp_send(&rt->c, "QUIT") == 0)
		smtp_read(&rt->c, &r);
	smtp_close(&rt->c);
	rt->connected = false;
}

static int ehlo(struct relaytest *rt, struct smtp_reply *r)
{
	int e;

	r->ext = 0;
	r->auth[0] = '\0';
	if ((e = smtp_send(&rt->c, "EHLO %s", rt->helo)) < 0 || (e = smtp_read(&rt->c, r)) < 0)
		return e;
	rt->c.ext = r->code == 250 ? r->ext : 0;
	snprintf(rt->c.auth, sizeof(rt->c.auth), "%s", r->code == 250 ? r->auth : "");
	return r->code == 250 ? 0 : -EPROTO;
}

/* The server's certificate: valid for the name we connected to, unless
 * --insecure. */
static struct tls_client_opts tls_opts(const struct relaytest *rt)
{
	return (struct tls_client_opts){ .server_name = rt->host, .verify = !rt->insecure, .ca_file = rt->ca_file };
}

/* --smtps: TLS from the first byte (RFC 8314). */
static int start_tls(struct relaytest *rt, char *why, size_t size)
{
	struct tls_client_opts o = tls_opts(rt);
	char tls_why[256];

	if (tls_client_start(&rt->c.conn, &o, rt->c.tls_info, sizeof(rt->c.tls_info), tls_why, sizeof(tls_why)) < 0) {
		snprintf(why, size, "TLS: %s", tls_why);
		return -EPROTO;
	}
	rt->c.tls = true;
	return 0;
}

/* Connect, read the greeting, EHLO; with @tls, STARTTLS when offered and
 * EHLO again.  0 or -errno with the reason in @why. */
static int session_open(struct relaytest *rt, bool tls, char *why, size_t size)
{
	struct smtp_reply r;
	int e = -ECONNREFUSED;

	why[0] = '\0';
	for (const struct addrinfo *a = rt->ai; a; a = a->ai_next) {
		e = smtp_connect(&rt->c, a->ai_addr, a->ai_addrlen, NULL, 0, CONNECT_MS, IDLE_MS, 0, why, size);
		if (e == 0)
			break;
	}
	if (e < 0)
		return e;
	rt->connected = true;
	rt->c.tls = false;
	if (rt->smtps && (e = start_tls(rt, why, size)) < 0)
		goto fail;
	if ((e = smtp_read(&rt->c, &r)) < 0 || r.code != 220) {
		snprintf(why, size, "no greeting: %s", e < 0 ? strerror(-e) : r.text);
		goto fail;
	}
	if (!rt->ours) {
		/* RFC 5321 §4.2: "220 " Domain; the server's name stands in for ours */
		size_t n = strcspn(r.text, " ");

		snprintf(rt->oursbuf, sizeof(rt->oursbuf), "%.*s", (int)n, r.text);
		rt->ours = rt->oursbuf;
		make_homoglyph(rt);
	}
	if ((e = ehlo(rt, &r)) < 0) {
		snprintf(why, size, "EHLO refused: %d %s", r.code, r.text);
		goto fail;
	}
	if (tls && !rt->c.tls && (rt->c.ext & EXT_STARTTLS)) {
		struct tls_client_opts o = tls_opts(rt);

		if ((e = smtp_starttls(&rt->c, &o, &r, why, size)) != 0) {
			if (e == 1)
				snprintf(why, size, "STARTTLS refused: %s", r.text);
			goto fail;
		}
		if ((e = ehlo(rt, &r)) < 0) {
			if (!why[0])
				snprintf(why, size, "EHLO after STARTTLS refused");
			goto fail;
		}
	}
	return 0;
fail:
	disconnect(rt, false);
	return e < 0 ? e : -EPROTO;
}

/* One command and its reply; a lost connection or 421 closes our side. */
static int command(struct relaytest *rt, struct smtp_reply *r, const char *line)
{
	int e;

	if ((e = smtp_send(&rt->c, "%s", line)) < 0 || (e = smtp_read(&rt->c, r)) < 0) {
		disconnect(rt, false);
		return e;
	}
	if (r->code == 421)
		disconnect(rt, false);
	return 0;
}

/* MAIL FROM @from, RCPT TO @rcpt, RSET (never DATA).  Returns 1 when the
 * recipient was accepted, 0 when not, -errno when the server could not
 * be asked.  The session survives the server's error budget: a 421 or a
 * closed connection reconnects and asks again once. */
static int try_one(struct relaytest *rt, const char *name, const char *from, const char *rcpt, bool utf8)
{
	struct smtp_reply r;
	char why[256], line[640];
	int e = 0, accepted;

	for (int attempt = 0; attempt < 2; attempt++) {
		bool smtputf8;

		if (!rt->connected && (e = session_open(rt, false, why, sizeof(why))) < 0) {
			printf("ERROR     %-30s %s from %s: %s\n", name, rcpt, from, why);
			return e;
		}
		smtputf8 = utf8 && (rt->c.ext & EXT_SMTPUTF8);
		snprintf(line, sizeof(line), "MAIL FROM:%s%s", from, smtputf8 ? " SMTPUTF8" : "");
		if ((e = command(rt, &r, line)) < 0
		    || !rt->connected)
			continue;
		if (r.code / 100 != 2) {
			printf("ok        %-30s %s from %s: ", name, rcpt, from);
			show_reply("MAIL refused: ", &r);
			printf("\n");
			return 0;
		}
		snprintf(line, sizeof(line), "RCPT TO:%s", rcpt);
		if ((e = command(rt, &r, line)) < 0 || r.code == 421)
			continue;	/* the error budget spent: ask again */
		accepted = r.code / 100 == 2;
		printf("%-9s %-30s %s from %s: ", accepted ? "ACCEPTED" : "ok", name, rcpt, from);
		show_reply("", &r);
		printf("\n");
		if (rt->connected && command(rt, &r, "RSET") == 0 && r.code != 250)
			disconnect(rt, true);
		return accepted;
	}
	printf("ERROR     %-30s %s from %s: the server closed the connection twice\n", name, rcpt, from);
	return e < 0 ? e : -ECONNRESET;
}

/* --auth: the authenticated path relays a foreign recipient.  Returns 0
 * when it does. */
static int try_auth(struct relaytest *rt)
{
	struct smtp_reply r;
	char why[256], from[300], rcpt[300], line[320];
	int e;

	disconnect(rt, true);
	if ((e = session_open(rt, true, why, sizeof(why))) < 0) {
		printf("FAILED    authenticated relay as %s: %s\n", rt->user, why);
		return RELAYTEST_AUTH_FAILED;
	}
	if (!(rt->c.ext & EXT_AUTH) || !strcasestr(rt->c.auth, "PLAIN")) {
		printf("FAILED    authenticated relay as %s: no AUTH PLAIN offered%s (AUTH %s)\n", rt->user,
		       rt->c.tls ? "" : ", and no STARTTLS", rt->c.auth);
		disconnect(rt, true);
		return RELAYTEST_AUTH_FAILED;
	}
	if (!rt->c.tls)
		fprintf(stderr, "smtpd-config relaytest: warning: %s offers no TLS: the password goes in clear\n",
			rt->host);
	if ((e = smtp_auth_plain(&rt->c, rt->user, rt->password, &r)) == 0 && r.code != 235)
		e = -EACCES;
	if (e < 0) {
		printf("FAILED    authenticated relay as %s: ", rt->user);
		if (e == -EACCES)
			show_reply("AUTH refused: ", &r);
		else
			printf("AUTH: %s", strerror(-e));
		printf("\n");
		disconnect(rt, e == -EACCES);
		return RELAYTEST_AUTH_FAILED;
	}
	/* verifyIdentity: send as the user's own address */
	snprintf(from, sizeof(from), strchr(rt->user, '@') ? "<%s>" : "<%s@%s>", rt->user, rt->ours);
	snprintf(rcpt, sizeof(rcpt), "<" LOCAL_PART "@%s>", rt->foreign);
	snprintf(line, sizeof(line), "MAIL FROM:%s", from);
	if ((e = command(rt, &r, line)) < 0 || r.code != 250) {
		printf("FAILED    authenticated relay as %s: MAIL FROM:%s: ", rt->user, from);
		if (e < 0)
			printf("%s", strerror(-e));
		else
			show_reply("", &r);
		printf("\n");
		disconnect(rt, e == 0);
		return RELAYTEST_AUTH_FAILED;
	}
	snprintf(line, sizeof(line), "RCPT TO:%s", rcpt);
	e = command(rt, &r, line);
	printf("%-9s authenticated relay as %s: %s from %s: ", e == 0 && r.code / 100 == 2 ? "ok" : "FAILED",
	       rt->user, rcpt, from);
	if (e < 0)
		printf("%s", strerror(-e));
	else
		show_reply("", &r);
	printf("\n");
	if (e == 0 && r.code / 100 == 2) {
		if (rt->connected)
			command(rt, &r, "RSET");
		disconnect(rt, true);
		return 0;
	}
	disconnect(rt, true);
	return RELAYTEST_AUTH_FAILED;
}

/* The first line of @file, or $SMTPD_RELAYTEST_PASSWORD: never argv,
 * which every user of the machine can read in /proc. */
static int read_password(struct relaytest *rt)
{
	char buf[SASL_FIELD_MAX + 2];
	const char *env = getenv(PASSWORD_ENV);
	ssize_t n = 0;

	if (!rt->password_file) {
		if (!env) {
			fprintf(stderr, "smtpd-config relaytest: --auth needs --password-file or $%s\n", PASSWORD_ENV);
			return EXIT_USAGE;
		}
		rt->password = strdup(env);
		return rt->password ? 0 : EXIT_UNAVAILABLE;
	}
	int fd = open(rt->password_file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) < 0) {
		fprintf(stderr, "%s: cannot read: %s\n", rt->password_file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_NOINPUT;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	rt->password = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return rt->password ? 0 : EXIT_UNAVAILABLE;
}

static void diag_stderr(void *ctx, enum diag_level level, const char *msg)
{
	(void)ctx;
	if (level != DIAG_WARNING)
		fprintf(stderr, "%s\n", msg);
}

/* -c FILE: our first domain. */
static int domain_from_config(struct relaytest *rt, const char *file)
{
	struct config *cfg;

	if (config_load(file, true, diag_stderr, NULL, &cfg) < 0)
		return EXIT_CONFIG;
	if (cfg->ndomains == 0) {
		fprintf(stderr, "%s: no domains: give --domain\n", file);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	snprintf(rt->oursbuf, sizeof(rt->oursbuf), "%s", cfg->domains[0]);
	rt->ours = rt->oursbuf;
	config_free(cfg);
	return 0;
}

enum { OPT_DOMAIN = 256, OPT_FOREIGN, OPT_HELO, OPT_AUTH, OPT_PASSWORD_FILE, OPT_SMTPS, OPT_CA_FILE, OPT_INSECURE };

static int parse_args(struct relaytest *rt, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "foreign", required_argument, NULL, OPT_FOREIGN },
		{ "helo", required_argument, NULL, OPT_HELO },
		{ "auth", required_argument, NULL, OPT_AUTH },
		{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
		{ "smtps", no_argument, NULL, OPT_SMTPS },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case OPT_DOMAIN: rt->ours = optarg; break;
		case OPT_FOREIGN: rt->foreign = optarg; break;
		case OPT_HELO: rt->helo = optarg; break;
		case OPT_AUTH: rt->user = optarg; break;
		case OPT_PASSWORD_FILE: rt->password_file = optarg; break;
		case OPT_SMTPS: rt->smtps = true; break;
		case OPT_CA_FILE: rt->ca_file = optarg; break;
		case OPT_INSECURE: rt->insecure = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || split_host(rt, argv[optind]) < 0) {
		if (argc - optind == 1)
			fprintf(stderr, "smtpd-config relaytest: '%s' is not HOST, HOST:PORT or [IPV6]:PORT\n",
				argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (rt->password_file && !rt->user) {
		fprintf(stderr, "smtpd-config relaytest: --password-file without --auth\n");
		return EXIT_USAGE;
	}
	if (!rt->ours && config && (rc = domain_from_config(rt, config)) != 0)
		return rc;
	if (rt->user && (rc = read_password(rt)) != 0)
		return rc;
	if (!rt->helo) {
		if (gethostname(rt->helobuf, sizeof(rt->helobuf) - 1) < 0 || !rt->helobuf[0])
			snprintf(rt->helobuf, sizeof(rt->helobuf), "localhost");
		rt->helo = rt->helobuf;
	}
	return 0;
}

int relaytest_main(int argc, char **argv)
{
	static struct relaytest rt;	/* the conn buffers: 32 KB */
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	char why[256], from[300], rcpt[300];
	int rc, e, accepted = 0, asked = 0, errors = 0;

	if ((rc = parse_args(&rt, argc, argv)) != 0)
		return rc;
	log_open("smtpd-config", LOG_TARGET_STDERR);
	if ((e = getaddrinfo(rt.host, rt.port, &hints, &rt.ai)) != 0) {
		fprintf(stderr, "smtpd-config relaytest: %s:%s: %s\n", rt.host, rt.port, gai_strerror(e));
		return EXIT_UNAVAILABLE;
	}
	if ((e = session_open(&rt, false, why, sizeof(why))) < 0) {
		fprintf(stderr, "smtpd-config relaytest: %s:%s: %s\n", rt.host, rt.port, why);
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	if (!rt.foreign)
		rt.foreign = strcasecmp(rt.ours, "example.com") == 0 ? "example.net" : "example.com";
	if (!rt.homoglyph[0])
		make_homoglyph(&rt);
	printf("relaytest %s:%s: our domain %s, foreign domain %s\n", rt.host, rt.port, rt.ours, rt.foreign);
	for (size_t i = 0; i < sizeof(tricks) / sizeof(tricks[0]); i++)
		for (size_t j = 0; j < sizeof(senders) / sizeof(senders[0]); j++) {
			const struct trick *t = &tricks[i];

			expand(&rt, senders[j], from, sizeof(from));
			expand(&rt, t->rcpt ? t->rcpt : rt.homoglyph, rcpt, sizeof(rcpt));
			e = try_one(&rt, t->name, from, rcpt, t->utf8);
			if (e < 0)
				errors++;
			else
				asked++;
			if (e > 0)
				accepted++;
		}
	disconnect(&rt, true);
	if (accepted)
		printf("relaytest %s:%s: OPEN RELAY: %d of %d foreign recipients accepted\n", rt.host, rt.port,
		       accepted, asked);
	else
		printf("relaytest %s:%s: no foreign recipient accepted (%d tried%s)\n", rt.host, rt.port, asked,
		       errors ? ", some could not be asked" : "");
	rc = accepted ? RELAYTEST_OPEN : errors ? EXIT_UNAVAILABLE : 0;
	if (rt.user) {
		e = try_auth(&rt);
		if (rc == 0)
			rc = e;
	}
out:
	disconnect(&rt, true);
	freeaddrinfo(rt.ai);
	if (rt.password) {
		explicit_bzero(rt.password, strlen(rt.password));
		free(rt.password);
	}
	fflush(stdout);
	return rc;
}
