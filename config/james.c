/* james.c — see james.h.  libxml2 builds the tree (with line numbers for
 * the warnings); the walk below maps James' elements to smtpd.conf keys.
 * Element names compare case-insensitively: James versions spell the same
 * option connectionTimeout and connectiontimeout. */
#include "james.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "address.h"
#include "chain.h"

#define MAX_BIND 16
#define NAME_LEN 64
#define TLS_DIR "/etc/smtpd/tls"
/* A connectionTimeout this large is James 2's milliseconds, not seconds. */
#define TIMEOUT_MS_THRESHOLD 10000

/* The handler { } keys, in the order of the contract. */
enum hkey {
	H_HELLO, H_AUTODETECT, H_TIMEOUT, H_LIMIT, H_LIMIT_IP, H_AUTH,
	H_AUTHORIZED, H_VERIFY, H_MAXSIZE, H_HELO_ENF, H_BRACKETS, H_GREETING,
	H__COUNT
};

static const char *const hkey_name[H__COUNT] = {
	[H_HELLO] = "helloName", [H_AUTODETECT] = "helloNameAutodetect",
	[H_TIMEOUT] = "connectionTimeout", [H_LIMIT] = "connectionLimit",
	[H_LIMIT_IP] = "connectionLimitPerIP", [H_AUTH] = "authRequired",
	[H_AUTHORIZED] = "authorizedAddresses", [H_VERIFY] = "verifyIdentity",
	[H_MAXSIZE] = "maxmessagesize", [H_HELO_ENF] = "heloEhloEnforcement",
	[H_BRACKETS] = "addressBracketsEnforcement", [H_GREETING] = "smtpGreeting",
};

/* One <smtpserver> or <lmtpserver> being translated. */
struct xl {
	bool lmtp;
	const char *file;
	long line;
	char name[NAME_LEN];
	bool enabled;
	char *bind_raw[MAX_BIND];
	size_t nbind_raw;
	long port;		/* James 2 <port>, 0 = none */
	long bind_line;		/* of <bind>, for the port-0 warning */
	char *enabled_env;	/* enabled="${env:X}": written as ${X} */
	bool proxy;		/* <proxyRequired>true */
	bool auth_block;	/* an <auth> element was seen */
	char *auth_announce;	/* its values, rendered; NULL = not set */
	char *auth_required;
	char *auth_require_ssl;
	char *auth_plain;
	long backlog;		/* -1 = not set */
	bool tls_set, socket_tls, start_tls, keystore;
	char *certs, *key, *secret;
	char *hval[H__COUNT];	/* rendered values, NULL = not set */
	char *chain;		/* handler "X" { } lines */
	size_t chainlen;
	FILE *chainf;
};

struct tr {
	FILE *err;
	const char *file;	/* the file being walked */
	bool found;		/* it held something we translate */
	char **domains;
	size_t ndomains;
	bool domainlist_seen;
	struct xl **ls;		/* each apart: a memstream holds &chain */
	size_t nls;
	char **envs;		/* environment variables the output reads */
	size_t nenvs;
	char *remote;		/* remoteDelivery { } lines, NULL = none */
	size_t remotelen;
	const char *remote_file;
	long remote_line;
	char *dns;		/* dnsservice { } lines, NULL = none */
	size_t dnslen;
	const char *dns_file;
	long dns_line;
};

/* ---- diagnostics ---------------------------------------------------------- */

static void __attribute__((format(printf, 4, 5)))
diag(struct tr *t, xmlNodePtr n, const char *level, const char *fmt, ...)
{
	va_list ap;

	if (n)
		fprintf(t->err, "%s:%ld: %s: ", t->file, xmlGetLineNo(n), level);
	else
		fprintf(t->err, "%s: %s: ", t->file, level);
	va_start(ap, fmt);
	vfprintf(t->err, fmt, ap);
	va_end(ap);
	fputc('\n', t->err);
}

#define warn(t, n, ...) diag(t, n, "warning", __VA_ARGS__)
#define note(t, n, ...) diag(t, n, "note", __VA_ARGS__)

#if LIBXML_VERSION >= 21200
static void xml_error(void *ctx, const xmlError *e)
#else
static void xml_error(void *ctx, xmlErrorPtr e)
#endif
{
	struct tr *t = ctx;
	size_t len = e->message ? strlen(e->message) : 0;

	while (len > 0 && (e->message[len - 1] == '\n' || e->message[len - 1] == ' '))
		len--;
	fprintf(t->err, "%s:%d: %s: %.*s\n", e->file ? e->file : t->file, e->line,
		e->level >= XML_ERR_ERROR ? "error" : "warning", (int)len,
		e->message ? e->message : "XML error");
}

/* ---- small helpers --------------------------------------------------------- */

static const xmlChar *xs(const char *s)
{
	return (const xmlChar *)s;
}

static bool is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcasecmp(n->name, xs(name)) == 0;
}

static const char *ename(xmlNodePtr n)
{
	return (const char *)n->name;
}

/* The element's text, trimmed; "" when empty.  Caller frees. */
static char *text_of(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	const char *s = c ? (const char *)c : "";
	size_t len;
	char *r;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	r = strndup(s, len);
	xmlFree(c);
	if (!r)
		abort();
	return r;
}

/* Attribute @name, or NULL.  Caller frees. */
static char *attr_of(xmlNodePtr n, const char *name)
{
	xmlChar *c = xmlGetProp(n, xs(name));
	char *r = c ? strdup((const char *)c) : NULL;

	xmlFree(c);
	return r;
}

/* Commons Configuration's booleans. */
static int parse_bool(const char *s, bool *v)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*v = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*v = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_long(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end || *v < 0 ? -EINVAL : 0;
}

static char *xstrdup(const char *s)
{
	char *r = strdup(s);

	if (!r)
		abort();
	return r;
}

static char *__attribute__((format(printf, 1, 2))) xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&r, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return r;
}

/* @s as a libconfuse string; NULL when it holds control characters. */
static char *quote(const char *s)
{
	size_t n = 3;
	char *r, *p;

	for (const char *q = s; *q; q++) {
		if ((unsigned char)*q < 32 || *q == 127)
			return NULL;
		n += *q == '"' || *q == '\\' ? 2 : 1;
	}
	r = p = malloc(n);
	if (!r)
		abort();
	*p++ = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = '"';
	*p = '\0';
	return r;
}

/* ---- environment placeholders ----------------------------------------------
 * James' Docker and Helm configurations take values from the environment
 * with Commons Configuration's ${env:NAME} (or ${env:NAME:-default}).
 * libconfuse expands ${NAME} and ${NAME:-default} in values as it reads
 * the file, so a placeholder is carried over in that form and its name is
 * listed for the units' EnvironmentFile= (smtpd.conf(5), ENVIRONMENT). */

static bool has_placeholder(const char *v)
{
	return strstr(v, "${") != NULL;
}

static void env_note(struct tr *t, const char *name, size_t len)
{
	char **grown;

	for (size_t i = 0; i < t->nenvs; i++)
		if (strlen(t->envs[i]) == len && strncmp(t->envs[i], name, len) == 0)
			return;
	grown = realloc(t->envs, (t->nenvs + 1) * sizeof(*grown));
	if (!grown)
		abort();
	t->envs = grown;
	t->envs[t->nenvs++] = strndup(name, len);
	if (!t->envs[t->nenvs - 1])
		abort();
}

/* @v with each ${env:NAME} / ${env:NAME:-default} written as ${NAME} /
 * ${NAME:-default}; NULL (reported) when a placeholder has another form
 * (${sys:...}, a nested one, no closing brace). */
static char *env_rewrite(struct tr *t, xmlNodePtr n, const char *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *p = v;

	if (!f)
		abort();
	while (*p) {
		const char *name, *end;
		size_t nlen;

		if (p[0] != '$' || p[1] != '{') {
			fputc(*p++, f);
			continue;
		}
		name = p + 2;
		if (strncmp(name, "env:", 4) != 0)
			goto bad;
		name += 4;
		nlen = 0;
		while (name[nlen] == '_' || isalpha((unsigned char)name[nlen]) ||
		       (nlen > 0 && isdigit((unsigned char)name[nlen])))
			nlen++;
		end = name + nlen;
		if (nlen == 0)
			goto bad;
		if (end[0] == ':' && end[1] == '-')
			end = strchr(end, '}');
		if (!end || *end != '}' || memchr(name, '$', (size_t)(end - name)))
			goto bad;
		env_note(t, name, nlen);
		fprintf(f, "${%.*s}", (int)(end - name), name);
		p = end + 1;
	}
	fclose(f);
	return buf;
bad:
	fclose(f);
	free(buf);
	warn(t, n, "<%s>%s</%s>: only ${env:NAME} and ${env:NAME:-default} placeholders are carried over; not carried over",
	     ename(n), v, ename(n));
	return NULL;
}

static void set_hval(struct xl *l, enum hkey k, char *v)
{
	free(l->hval[k]);
	l->hval[k] = v;
}

/* Element text as a boolean into @k; a bad value is reported. */
static void opt_bool(struct tr *t, struct xl *l, xmlNodePtr n, enum hkey k)
{
	char *v = text_of(n);
	bool b;

	if (parse_bool(v, &b) < 0)
		warn(t, n, "<%s>%s</%s> is not true or false; not carried over", ename(n), v, ename(n));
	else
		set_hval(l, k, xstrdup(b ? "true" : "false"));
	free(v);
}

static bool opt_long(struct tr *t, xmlNodePtr n, long *v_r)
{
	char *v = text_of(n);
	int rc = parse_long(v, v_r);

	if (rc < 0)
		warn(t, n, "<%s>%s</%s> is not a non-negative number; not carried over", ename(n), v, ename(n));
	free(v);
	return rc == 0;
}

/* ---- one listener ----------------------------------------------------------- */

/* James' core command handlers: the engine implements them, so they are
 * dropped without a word. */
static bool core_handler(const char *cls)
{
	static const char *const core[] = {
		"CoreCmdHandlerLoader", "CommandDispatcher", "WelcomeMessageHandler",
		"HeloCmdHandler", "EhloCmdHandler", "LhloCmdHandler", "AuthCmdHandler",
		"MailCmdHandler", "RcptCmdHandler", "DataCmdHandler", "RsetCmdHandler",
		"QuitCmdHandler", "NoopCmdHandler", "HelpCmdHandler", "VrfyCmdHandler",
		"ExpnCmdHandler", "StartTlsCmdHandler", "UnknownCmdHandler",
		"SendMailHandler", "DataLineFilter", "DataLineJamesMessageHookHandler",
		"DataLineLMTPHandler", "DataLineMessageHookHandler",
		"AddDefaultAttributesMessageHook", "ReceivedDataLineFilter",
		"PostmasterAbuseRcptHook", "AuthRequiredToRelayRcptHook",
		"SenderAuthIdentifyVerificationRcptHook", "MailboxDeliverToRecipientHandler",
		"SMTPCommandDispatcherLineHandler", "LMTPCommandDispatcherLineHandler",
	};

	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		if (strcmp(cls, core[i]) == 0)
			return true;
	return false;
}

/* <KEY>value</KEY> inside a chain handler, where the handler declares
 * KEY as a number, a boolean or a string (handlers/chain/): written
 * as it is.  False when the handler has no such scalar option. */
/* <NAME><KEY>v1</KEY><KEY>v2</KEY></NAME> for a handler block NAME whose
 * options are lists of strings (DNSRBLHandler's rblservers):
 * NAME { KEY = { "v1", "v2" } }. */
static void chain_section(struct tr *t, struct xl *l, const struct handler_def *def, cfg_opt_t *o,
			  xmlNodePtr n)
{
	fprintf(l->chainf, " %s {", o->name);
	for (cfg_opt_t *sub = o->subopts; sub && sub->name; sub++) {
		bool any = false;

		if (sub->type != CFGT_STR || !(sub->flags & CFGF_LIST))
			continue;
		for (xmlNodePtr c = n->children; c; c = c->next) {
			char *v, *q;

			if (c->type != XML_ELEMENT_NODE || !is(c, sub->name))
				continue;
			v = text_of(c);
			q = quote(v);
			if (!q || !*v) {
				warn(t, c, "<%s> is empty or holds control characters; not carried over", ename(c));
			} else {
				if (!any)
					fprintf(l->chainf, " %s = { %s", sub->name, q);
				else
					fprintf(l->chainf, ", %s", q);
				any = true;
			}
			free(q);
			free(v);
		}
		if (any)
			fprintf(l->chainf, " }");
	}
	for (xmlNodePtr c = n->children; c; c = c->next) {
		cfg_opt_t *sub = o->subopts;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		while (sub && sub->name && !is(c, sub->name))
			sub++;
		if (!sub || !sub->name)
			warn(t, c, "%s option <%s><%s> is not carried over", def->conf.name, ename(n), ename(c));
	}
	fprintf(l->chainf, " }");
}

static bool chain_option(struct tr *t, struct xl *l, const struct handler_def *def, xmlNodePtr c)
{
	cfg_opt_t *o = def->conf.opts;
	char *v, *q;
	long n;
	bool b;

	while (o && o->name && !is(c, o->name))
		o++;
	if (!o || !o->name || (o->flags & CFGF_LIST))
		return false;
	switch (o->type) {
	case CFGT_INT:
		/* James: maxRcpt 0 = no limit, which is the handler without
		 * the option */
		if (opt_long(t, c, &n) && !(n == 0 && strcmp(o->name, "maxRcpt") == 0))
			fprintf(l->chainf, " %s = %ld", o->name, n);
		return true;
	case CFGT_BOOL:
		v = text_of(c);
		if (v && parse_bool(v, &b) == 0)
			fprintf(l->chainf, " %s = %s", o->name, b ? "true" : "false");
		else
			warn(t, c, "<%s> is not a boolean; not carried over", ename(c));
		free(v);
		return true;
	case CFGT_STR:
		v = text_of(c);
		q = quote(v ? v : "");
		if (q)
			fprintf(l->chainf, " %s = %s", o->name, q);
		else
			warn(t, c, "<%s> holds control characters; not carried over", ename(c));
		free(q);
		free(v);
		return true;
	case CFGT_SEC:
		chain_section(t, l, def, o, c);
		return true;
	default:
		return false;
	}
}

/* Handlers James has and smtpd does not, and what to use instead: one
 * line each (matched on the class's short name). */
static const char *no_equivalent_advice(const char *shortname)
{
	static const struct {
		const char *part, *advice;
	} advice[] = {
		{ "SPFHandler", "check SPF with the rspamd milter recipe (smtpd.conf(5), SPF, DKIM AND DMARC)" },
		{ "SpamAssassin", "scan content with the rspamd milter recipe, or spamass-milter through a MilterHandler" },
		{ "Crowdsec", "block abusive clients with DNSRBLHandler (checkAt = \"connect\") and fail2ban with the shipped filter" },
		{ "FutureRelease", "FUTURERELEASE (RFC 4865) is not offered; such MAIL parameters are refused" },
		{ "AllowedUnauthenticatedSender", "list the networks that may send without AUTH in authorizedAddresses; verifyIdentity checks senders" },
		{ "RequireTls", "REQUIRETLS (RFC 8689) is not offered; tls { required = true } makes a listener refuse MAIL without TLS" },
		{ "Loader", "the engine's command handlers are built in; nothing to load" },
		{ "MailetContainer", "the engine delivers itself: local mail to maildirs, relayed mail to the spool for smtpd-relay" },
	};

	for (size_t i = 0; i < sizeof(advice) / sizeof(advice[0]); i++)
		if (strstr(shortname, advice[i].part))
			return advice[i].advice;
	return NULL;
}

static void chain_handler(struct tr *t, struct xl *l, xmlNodePtr h)
{
	char *cls = attr_of(h, "class");
	const char *shortname;
	const struct handler_def *def;

	if (!cls || !*cls) {
		warn(t, h, "<handler> without a class attribute; ignored");
		free(cls);
		return;
	}
	shortname = strrchr(cls, '.') ? strrchr(cls, '.') + 1 : cls;
	if (core_handler(shortname))
		goto out;
	if (strcmp(shortname, "JMXHandlersLoader") == 0) {
		warn(t, h, "%s: JMX statistics have no equivalent; each session is logged to the journal or syslog instead", cls);
		goto out;
	}
	def = chain_lookup(shortname);
	if (!def && no_equivalent_advice(shortname)) {
		warn(t, h, "handler %s has no equivalent here: %s; dropped", cls, no_equivalent_advice(shortname));
		goto out;
	}
	if (!def) {
		warn(t, h, "handler %s has no equivalent here (known: %s); dropped", cls, chain_names());
		goto out;
	}
	if (!l->chainf) {
		l->chainf = open_memstream(&l->chain, &l->chainlen);
		if (!l->chainf)
			abort();
	}
	fprintf(l->chainf, "      handler \"%s\" {", def->conf.name);
	for (xmlNodePtr c = h->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!chain_option(t, l, def, c))
			warn(t, c, "%s option <%s> is not carried over", def->conf.name, ename(c));
	}
	fprintf(l->chainf, " }\n");
out:
	free(cls);
}

/* "file://conf/x.pem" -> a path smtpd can open: absolute paths are kept,
 * relative ones (James' home) become TLS_DIR/basename. */
static char *pem_path(struct tr *t, xmlNodePtr n, const char *v)
{
	const char *p = v;
	const char *base;

	if (strncmp(p, "file://", 7) == 0)
		p += 7;
	else if (strncmp(p, "file:", 5) == 0)
		p += 5;
	if (p[0] == '/')
		return xstrdup(p);
	base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
	if (strncmp(base, "classpath:", 10) == 0)
		base += 10;
	warn(t, n, "<%s> %s is relative to James' home; written as %s/%s: copy the file there",
	     ename(n), v, TLS_DIR, base);
	return xasprintf("%s/%s", TLS_DIR, base);
}

static void tls_element(struct tr *t, struct xl *l, xmlNodePtr n)
{
	static const char *const attrs[] = { "socketTLS", "startTLS" };
	bool *vals[] = { &l->socket_tls, &l->start_tls };

	l->tls_set = true;
	for (size_t i = 0; i < 2; i++) {
		char *a = attr_of(n, attrs[i]);

		if (a && parse_bool(a, vals[i]) < 0)
			warn(t, n, "tls %s=\"%s\" is not true or false; taken as false", attrs[i], a);
		free(a);
	}
	for (xmlNodePtr c = n->children; c; c = c->next) {
		char *v;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		v = text_of(c);
		if (is(c, "keystore")) {
			const char *ks = strncmp(v, "file://", 7) == 0 ? v + 7 : v;

			l->keystore = true;
			warn(t, c, "keystore %s is a Java keystore, which smtpd cannot read; export the chain and key as PEM files:", v);
			note(t, c, "  keytool -importkeystore -srckeystore %s -destkeystore smtpd.p12 -deststoretype PKCS12", ks);
			note(t, c, "  openssl pkcs12 -in smtpd.p12 -nokeys -out %s/fullchain.pem", TLS_DIR);
			note(t, c, "  openssl pkcs12 -in smtpd.p12 -nocerts -nodes -out %s/privkey.pem", TLS_DIR);
			note(t, c, "  chmod 600 %s/privkey.pem && rm smtpd.p12", TLS_DIR);
		} else if (is(c, "privateKey")) {
			free(l->key);
			l->key = pem_path(t, c, v);
		} else if (is(c, "certificates")) {
			free(l->certs);
			l->certs = pem_path(t, c, v);
		} else if (is(c, "secret")) {
			free(l->secret);
			l->secret = xstrdup(v);
		} else if (is(c, "provider") || is(c, "algorithm") || is(c, "keystoreType")) {
			/* parts of the keystore, reported with it */
		} else if (is(c, "enabledCipherSuites") || is(c, "enabledProtocols")) {
			warn(t, c, "<%s> is not carried over: write a GnuTLS priority string in tls { priority = \"...\" }", ename(c));
		} else {
			warn(t, c, "tls <%s> is not carried over", ename(c));
		}
		free(v);
	}
}

static void hello_name(struct tr *t, struct xl *l, xmlNodePtr n)
{
	char *a = attr_of(n, "autodetect");
	char *v = text_of(n);
	bool autodetect = true;	/* James' default */
	char *q;

	if (a && parse_bool(a, &autodetect) < 0) {
		warn(t, n, "helloName autodetect=\"%s\" is not true or false; taken as true", a);
		autodetect = true;
	}
	if (autodetect) {
		set_hval(l, H_AUTODETECT, xstrdup("true"));
		if (*v && !a)
			warn(t, n, "helloName has no autodetect=\"false\": James announced the host's name, not '%s'; "
			     "translated as helloNameAutodetect = true", v);
	} else if (!*v || !domain_valid(v, strlen(v), DOM_LITERAL) || !(q = quote(v))) {
		warn(t, n, "helloName '%s' is not a domain name; the host's name is used", v);
		set_hval(l, H_AUTODETECT, xstrdup("true"));
	} else {
		set_hval(l, H_AUTODETECT, xstrdup("false"));
		set_hval(l, H_HELLO, q);
	}
	free(a);
	free(v);
}

static void timeout(struct tr *t, struct xl *l, xmlNodePtr n)
{
	long v;

	if (!opt_long(t, n, &v))
		return;
	if (v >= TIMEOUT_MS_THRESHOLD) {
		warn(t, n, "<%s>%ld</%s> is in milliseconds (James 2); written as %ld seconds",
		     ename(n), v, ename(n), (v + 999) / 1000);
		v = (v + 999) / 1000;
	}
	if (v == 0) {
		warn(t, n, "<%s>0</%s> (no timeout) is not possible here; written as 3600 seconds", ename(n), ename(n));
		v = 3600;
	}
	set_hval(l, H_TIMEOUT, xasprintf("%ld", v));
}

static void auth_required(struct tr *t, struct xl *l, xmlNodePtr n)
{
	char *v = text_of(n);

	if (strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "announce") == 0) {
		for (char *p = v; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		set_hval(l, H_AUTH, quote(v));
	} else {
		warn(t, n, "<authRequired>%s</authRequired> is not true, false or announce; not carried over", v);
	}
	free(v);
}

/* James 3.8+: <auth> with <announce>never|forUnauthorizedAddresses|always,
 * <required>, <requireSSL>, <plainAuthEnabled> (and <oidc>): written as
 * the handler's auth { } block with the same names (smtpd.conf(5)). */
static void auth_element(struct tr *t, struct xl *l, xmlNodePtr n)
{
	static const char *const announce[] = { "never", "forUnauthorizedAddresses", "always" };
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
		{ "required", offsetof(struct xl, auth_required) },
		{ "requireSSL", offsetof(struct xl, auth_require_ssl) },
		{ "plainAuthEnabled", offsetof(struct xl, auth_plain) },
	};

	l->auth_block = true;
	for (xmlNodePtr c = n->children; c; c = c->next) {
		char *v;
		size_t i;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, "oidc")) {
			warn(t, c, "auth <oidc>: OAUTHBEARER/XOAUTH2 are not offered (PLAIN and LOGIN against the users file are); not carried over");
			continue;
		}
		v = text_of(c);
		if (is(c, "announce")) {
			for (i = 0; i < sizeof(announce) / sizeof(announce[0]); i++)
				if (strcasecmp(v, announce[i]) == 0)
					break;
			if (i == sizeof(announce) / sizeof(announce[0])) {
				warn(t, c, "<announce>%s</announce> is not never, forUnauthorizedAddresses or always; not carried over", v);
			} else {
				free(l->auth_announce);
				l->auth_announce = quote(announce[i]);
			}
			free(v);
			continue;
		}
		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			if (is(c, flags[i].name))
				break;
		if (i == sizeof(flags) / sizeof(flags[0])) {
			warn(t, c, "auth <%s> is not carried over", ename(c));
		} else {
			char **slot = (char **)((char *)l + flags[i].off);
			bool b;

			if (has_placeholder(v)) {
				char *r = env_rewrite(t, c, v);

				if (r) {
					free(*slot);
					*slot = r;
				}
			} else if (parse_bool(v, &b) < 0) {
				warn(t, c, "<%s>%s</%s> is not true or false; not carried over", ename(c), v, ename(c));
			} else {
				free(*slot);
				*slot = xstrdup(b ? "true" : "false");
			}
		}
		free(v);
	}
}

static bool open_relay_entry(const char *e)
{
	static const char *const all[] = {
		"0.0.0.0/0", "0.0.0.0/0.0.0.0", "::/0", "*", "*.*.*.*", "0/0",
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(e, all[i]) == 0)
			return true;
	return false;
}

/* "127.0.0.0/8, 192.168.0.0/16" -> { "127.0.0.0/8", "192.168.0.0/16" } */
static void authorized(struct tr *t, struct xl *l, xmlNodePtr n)
{
	char *v = text_of(n), *save = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool first = true;

	if (!f)
		abort();
	fputc('{', f);
	for (char *e = strtok_r(v, ", \t\r\n", &save); e; e = strtok_r(NULL, ", \t\r\n", &save)) {
		char *q;

		if (open_relay_entry(e)) {
			warn(t, n, "authorizedAddresses %s would make an open relay; dropped", e);
			continue;
		}
		if (!(q = quote(e))) {
			warn(t, n, "authorizedAddresses entry with control characters; dropped");
			continue;
		}
		fprintf(f, "%s %s", first ? "" : ",", q);
		free(q);
		first = false;
	}
	fprintf(f, " }");
	fclose(f);
	set_hval(l, H_AUTHORIZED, buf);
	free(v);
}

enum kind {
	K_IGNORE, K_NAME, K_BIND, K_PORT, K_BACKLOG, K_TLS, K_USETLS, K_HELLO,
	K_TIMEOUT, K_LONG, K_BOOL, K_STR, K_AUTHREQ, K_AUTH, K_AUTHORIZED,
	K_CHAIN, K_HANDLER, K_THREADS, K_PROXY, K_DISABLED, K_HELO_TYPO,
};

static const struct {
	const char *name;
	enum kind kind;
	enum hkey key;
} options[] = {
	{ "jmxName", K_NAME, 0 },
	{ "bind", K_BIND, 0 },
	{ "port", K_PORT, 0 },
	{ "connectionBacklog", K_BACKLOG, 0 },
	{ "connectBacklog", K_BACKLOG, 0 },
	{ "tls", K_TLS, 0 },
	{ "useTLS", K_USETLS, 0 },
	{ "helloName", K_HELLO, 0 },
	{ "heloName", K_HELO_TYPO, 0 },
	{ "connectionTimeout", K_TIMEOUT, 0 },
	{ "connectionLimit", K_LONG, H_LIMIT },
	{ "connectionLimitPerIP", K_LONG, H_LIMIT_IP },
	{ "authRequired", K_AUTHREQ, 0 },
	{ "auth", K_AUTH, 0 },
	{ "authorizedAddresses", K_AUTHORIZED, 0 },
	{ "verifyIdentity", K_BOOL, H_VERIFY },
	{ "maxmessagesize", K_LONG, H_MAXSIZE },
	{ "heloEhloEnforcement", K_BOOL, H_HELO_ENF },
	{ "addressBracketsEnforcement", K_BOOL, H_BRACKETS },
	{ "smtpGreeting", K_STR, H_GREETING },
	{ "handlerchain", K_CHAIN, 0 },
	{ "handler", K_HANDLER, 0 },
	{ "ioWorkerCount", K_THREADS, 0 },
	{ "bossWorkerCount", K_THREADS, 0 },
	{ "maxExecutorCount", K_THREADS, 0 },
	{ "threadpool", K_THREADS, 0 },
	{ "thread-group", K_THREADS, 0 },
	/* each session is its own process: stopping the socket never cuts one */
	{ "gracefulShutdown", K_IGNORE, 0 },
	{ "proxyRequired", K_PROXY, 0 },
	{ "disabledFeatures", K_DISABLED, 0 },
};

static void listener_options(struct tr *t, struct xl *l, xmlNodePtr parent);

/* A leaf option whose value is an environment placeholder: numbers and
 * booleans are written bare (libconfuse expands before it converts),
 * strings quoted.  Bind addresses and ports become socket units, which
 * cannot read the environment. */
static void placeholder_option(struct tr *t, struct xl *l, xmlNodePtr n, enum kind kind, enum hkey key,
			       const char *v)
{
	char *r, *q;

	switch (kind) {
	case K_LONG:
	case K_BOOL:
	case K_TIMEOUT:
		if (!(r = env_rewrite(t, n, v)))
			return;
		set_hval(l, kind == K_TIMEOUT ? H_TIMEOUT : key, r);
		return;
	case K_STR:
	case K_HELLO:
	case K_HELO_TYPO:
	case K_AUTHREQ:
	case K_AUTHORIZED:
		if (!(r = env_rewrite(t, n, v)))
			return;
		q = quote(r);
		free(r);
		if (!q) {
			warn(t, n, "<%s> contains control characters; not carried over", ename(n));
			return;
		}
		if (kind == K_HELLO || kind == K_HELO_TYPO) {
			set_hval(l, H_AUTODETECT, xstrdup("false"));
			set_hval(l, H_HELLO, q);
		} else if (kind == K_AUTHORIZED) {
			set_hval(l, H_AUTHORIZED, xasprintf("{ %s }", q));
			free(q);
		} else {
			set_hval(l, kind == K_AUTHREQ ? H_AUTH : key, q);
		}
		return;
	default:
		warn(t, n, "<%s>%s</%s>: a placeholder here is not carried over (bind addresses and ports go into "
		     "socket units, which cannot read the environment); write the value", ename(n), v, ename(n));
		return;
	}
}

static bool leaf_kind(enum kind k)
{
	return k != K_TLS && k != K_AUTH && k != K_CHAIN && k != K_HANDLER && k != K_IGNORE && k != K_THREADS &&
	       k != K_DISABLED;
}

static void listener_option(struct tr *t, struct xl *l, xmlNodePtr n)
{
	size_t i;
	long v;
	char *s;

	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (is(n, options[i].name))
			break;
	if (i == sizeof(options) / sizeof(options[0])) {
		warn(t, n, "<%s> has no equivalent in smtpd.conf; not carried over", ename(n));
		return;
	}
	if (leaf_kind(options[i].kind)) {
		s = text_of(n);
		if (has_placeholder(s)) {
			placeholder_option(t, l, n, options[i].kind, options[i].key, s);
			free(s);
			return;
		}
		free(s);
	}
	switch (options[i].kind) {
	case K_IGNORE:
		break;
	case K_NAME:
		s = text_of(n);
		/* the name becomes unit file names: keep it to [A-Za-z0-9_.-] */
		snprintf(l->name, sizeof(l->name), "%s", s);
		for (char *p = l->name; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
				*p = '-';
		if (strcmp(l->name, s) != 0)
			warn(t, n, "jmxName '%s' written as '%s' (it names the systemd units)", s, l->name);
		free(s);
		break;
	case K_BIND: {
		char *save = NULL;

		l->bind_line = xmlGetLineNo(n);
		s = text_of(n);
		for (char *e = strtok_r(s, ", \t\r\n", &save); e; e = strtok_r(NULL, ", \t\r\n", &save)) {
			if (l->nbind_raw == MAX_BIND) {
				warn(t, n, "more than %d bind addresses; %s and later dropped", MAX_BIND, e);
				break;
			}
			l->bind_raw[l->nbind_raw++] = xstrdup(e);
		}
		free(s);
		break;
	}
	case K_PORT:
		if (opt_long(t, n, &v)) {
			l->bind_line = xmlGetLineNo(n);
			if (v == 0)
				l->port = -1;	/* any free port: see write_listener */
			else if (v > 65535)
				warn(t, n, "<port>%ld</port> is not a port; ignored", v);
			else
				l->port = v;
		}
		break;
	case K_BACKLOG:
		if (opt_long(t, n, &v))
			l->backlog = v;
		break;
	case K_TLS:
		tls_element(t, l, n);
		break;
	case K_USETLS: {
		bool b;

		s = text_of(n);
		if (parse_bool(s, &b) == 0) {
			l->tls_set = true;
			l->start_tls = b;
		} else {
			warn(t, n, "<useTLS>%s</useTLS> is not true or false; not carried over", s);
		}
		free(s);
		break;
	}
	case K_HELLO:
		hello_name(t, l, n);
		break;
	case K_HELO_TYPO:
		/* James' LMTP files sometimes say <heloName>, which James
		 * does not read (it announces the host's name): the intent
		 * is carried over */
		s = text_of(n);
		{
			char *q = quote(s);

			if (*s && q && domain_valid(s, strlen(s), DOM_LITERAL)) {
				note(t, n, "<heloName> is not read by James (the element is helloName); carried over as helloName = %s", q);
				set_hval(l, H_AUTODETECT, xstrdup("false"));
				set_hval(l, H_HELLO, q);
				q = NULL;
			} else {
				warn(t, n, "<heloName>%s</heloName> is not a domain name; not carried over", s);
			}
			free(q);
		}
		free(s);
		break;
	case K_TIMEOUT:
		timeout(t, l, n);
		break;
	case K_LONG:
		if (opt_long(t, n, &v))
			set_hval(l, options[i].key, xasprintf("%ld", v));
		break;
	case K_BOOL:
		opt_bool(t, l, n, options[i].key);
		break;
	case K_STR:
		s = text_of(n);
		{
			char *q = quote(s);

			if (!q)
				warn(t, n, "<%s> contains control characters; not carried over", ename(n));
			else
				set_hval(l, options[i].key, q);
		}
		free(s);
		break;
	case K_AUTHREQ:
		auth_required(t, l, n);
		break;
	case K_AUTH:
		auth_element(t, l, n);
		break;
	case K_AUTHORIZED:
		authorized(t, l, n);
		break;
	case K_CHAIN: {
		char *jmx = attr_of(n, "enableJmx");
		bool b;

		if (jmx && parse_bool(jmx, &b) == 0 && b)
			warn(t, n, "handlerchain enableJmx: JMX statistics have no equivalent; sessions are logged instead");
		free(jmx);
		for (xmlNodePtr c = n->children; c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			if (is(c, "handler"))
				chain_handler(t, l, c);
			else
				warn(t, c, "<%s> in handlerchain is not a handler; ignored", ename(c));
		}
		break;
	}
	case K_HANDLER:
		/* the older layout: the options live under <handler> */
		listener_options(t, l, n);
		break;
	case K_THREADS:
		warn(t, n, "<%s>: there are no threads here, one process per connection; "
		     "limit concurrency with connectionLimit", ename(n));
		break;
	case K_PROXY: {
		bool b;

		s = text_of(n);
		if (parse_bool(s, &b) < 0)
			warn(t, n, "<proxyRequired>%s</proxyRequired> is not true or false; not carried over", s);
		else
			l->proxy = b;
		free(s);
		break;
	}
	case K_DISABLED:
		s = text_of(n);
		if (*s)
			warn(t, n, "<disabledFeatures>%s</disabledFeatures> is not carried over: smtpd advertises only what "
			     "a listener enables (STARTTLS with tls { startTLS }, AUTH with authRequired or auth { })", s);
		free(s);
		break;
	}
}

static void listener_options(struct tr *t, struct xl *l, xmlNodePtr parent)
{
	for (xmlNodePtr n = parent->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			listener_option(t, l, n);
}

/* One James bind entry as ADDRESS:PORT / [IPV6]:PORT; @defport when it
 * names none (or James 2's <port> is absent or 0). */
static char *bind_entry(struct tr *t, struct xl *l, const char *e, long defport)
{
	const char *colon = strrchr(e, ':');
	long port = l->port > 0 ? l->port : defport;

	if (e[0] == '[') {
		const char *close = strchr(e, ']');

		if (!close)
			return NULL;
		if (close[1] == ':')
			return xstrdup(e);
		return close[1] ? NULL : xasprintf("%s:%ld", e, port);
	}
	if (!colon)
		return xasprintf("%s:%ld", e, port);
	if (memchr(e, ':', (size_t)(colon - e)) == NULL)
		return xstrdup(e);
	/* a bare IPv6 address: with <port>, all of it is the address;
	 * otherwise James takes what follows the last colon as the port */
	if (l->port > 0)
		return xasprintf("[%s]:%ld", e, l->port);
	return xasprintf("[%.*s]:%s", (int)(colon - e), e, colon + 1);
}

/* The protocol's standard port for a listener bound to port 0: 24 for
 * LMTP, 465 with implicit TLS, 587 when AUTH is required, else 25. */
static long standard_port(const struct xl *l)
{
	if (l->lmtp)
		return 24;
	if (l->socket_tls)
		return 465;
	if ((l->hval[H_AUTH] && strcmp(l->hval[H_AUTH], "\"true\"") == 0) ||
	    (l->auth_required && strcmp(l->auth_required, "true") == 0))
		return 587;
	return 25;
}

/* James' test configurations bind port 0 (any free port), which a socket
 * unit cannot do: @b (ADDRESS:PORT) gets the standard port instead. */
static char *port_zero(struct tr *t, struct xl *l, char *b)
{
	char *colon = strrchr(b, ':');
	char *r;

	if (!colon || strcmp(colon + 1, "0") != 0)
		return b;
	r = xasprintf("%.*s:%ld", (int)(colon - b), b, standard_port(l));
	fprintf(t->err, "%s:%ld: warning: bind %s: port 0 (any free port) cannot be socket-activated; written as %s\n",
		l->file, l->bind_line ? l->bind_line : l->line, b, r);
	free(b);
	return r;
}

static bool name_taken(const struct tr *t, const char *name)
{
	for (size_t i = 0; i < t->nls; i++)
		if (strcmp(t->ls[i]->name, name) == 0)
			return true;
	return false;
}

static void listener(struct tr *t, xmlNodePtr n, bool lmtp)
{
	struct xl *l = calloc(1, sizeof(*l));
	char *en = attr_of(n, "enabled");
	struct xl **grown = realloc(t->ls, (t->nls + 1) * sizeof(*t->ls));

	if (!grown || !l)
		abort();
	t->ls = grown;
	t->ls[t->nls] = l;
	l->lmtp = lmtp;
	l->file = t->file;
	l->line = xmlGetLineNo(n);
	l->enabled = true;
	l->backlog = -1;
	if (en && has_placeholder(en)) {
		l->enabled_env = env_rewrite(t, n, en);
	} else if (en && parse_bool(en, &l->enabled) < 0) {
		warn(t, n, "enabled=\"%s\" is not true or false; taken as true", en);
		l->enabled = true;
	}
	free(en);
	listener_options(t, l, n);

	/* the name: jmxName, else the kind and the first port */
	if (!l->name[0]) {
		char *b = l->nbind_raw ? bind_entry(t, l, l->bind_raw[0], lmtp ? 24 : 25) : NULL;
		const char *port = b ? strrchr(b, ':') + 1 : NULL;

		if (port && strcmp(port, "0") != 0)
			snprintf(l->name, sizeof(l->name), "%s-%s", lmtp ? "lmtp" : "smtp", port);
		else
			snprintf(l->name, sizeof(l->name), "%s-%ld", lmtp ? "lmtp" : "smtp",
				 l->port > 0 ? l->port : standard_port(l));
		free(b);
	}
	if (name_taken(t, l->name)) {
		char base[NAME_LEN];
		int k = 2;

		snprintf(base, sizeof(base), "%s", l->name);
		do
			snprintf(l->name, sizeof(l->name), "%.*s-%d", NAME_LEN - 8, base, k++);
		while (name_taken(t, l->name));
		warn(t, n, "a listener named '%s' exists already; this one is '%s'", base, l->name);
	}
	if (!l->hval[H_AUTHORIZED] && !lmtp) {
		bool auth_on = (l->hval[H_AUTH] && strcmp(l->hval[H_AUTH], "\"false\"") != 0) ||
			       (l->auth_announce && strcmp(l->auth_announce, "\"never\"") != 0) ||
			       (l->auth_required && strcmp(l->auth_required, "false") != 0);

		if (auth_on) {
			set_hval(l, H_AUTHORIZED, xstrdup("{ }"));
		} else {
			warn(t, n, "no <authorizedAddresses>: James relays for every address when authRequired is false; "
			     "written as 127.0.0.0/8 and ::1, list the networks that may relay");
			set_hval(l, H_AUTHORIZED, xstrdup("{ \"127.0.0.0/8\", \"::1\" }"));
		}
	}
	t->nls++;
	t->found = true;
}

/* ---- domains ------------------------------------------------------------------ */

static void add_domain(struct tr *t, xmlNodePtr n)
{
	char *d = text_of(n);
	char **grown;

	if (!*d || !domain_valid(d, strlen(d), DOM_UTF8)) {
		warn(t, n, "'%s' is not a domain name; dropped", d);
		free(d);
		return;
	}
	for (size_t i = 0; i < t->ndomains; i++)
		if (strcasecmp(t->domains[i], d) == 0) {
			free(d);
			return;
		}
	grown = realloc(t->domains, (t->ndomains + 1) * sizeof(*grown));
	if (!grown)
		abort();
	t->domains = grown;
	t->domains[t->ndomains++] = d;
}

static void domain_walk(struct tr *t, xmlNodePtr parent)
{
	for (xmlNodePtr n = parent->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "domainname") || is(n, "servername") || is(n, "defaultDomain")) {
			add_domain(t, n);
		} else if (is(n, "domainnames")) {
			domain_walk(t, n);
		} else if (is(n, "autodetect") || is(n, "autodetectIP")) {
			char *v = text_of(n);
			bool b;

			if (parse_bool(v, &b) == 0 && b)
				warn(t, n, "<%s>: James added the host's %s as local domains; list them in domains",
				     ename(n), is(n, "autodetect") ? "names" : "IP addresses");
			free(v);
		} else {
			warn(t, n, "<%s> has no equivalent in smtpd.conf; not carried over", ename(n));
		}
	}
}

static void domainlist(struct tr *t, xmlNodePtr n)
{
	char *cls = attr_of(n, "class");
	size_t before = t->ndomains;

	t->domainlist_seen = true;
	t->found = true;
	/* James 2 <servernames autodetect="true"> */
	for (const char *a = "autodetect"; a; a = strcmp(a, "autodetect") == 0 ? "autodetectIP" : NULL) {
		char *v = attr_of(n, a);
		bool b;

		if (v && parse_bool(v, &b) == 0 && b)
			warn(t, n, "%s=\"true\": James added the host's %s as local domains; list them in domains",
			     a, strcmp(a, "autodetect") == 0 ? "names" : "IP addresses");
		free(v);
	}
	domain_walk(t, n);
	if (cls && (strstr(cls, "JPA") || strstr(cls, "Jdbc") || strstr(cls, "Cassandra")) && t->ndomains == before)
		warn(t, n, "the domains live in James' database (%s): list them with 'james-cli ListDomains' "
		     "and write them in domains", cls);
	free(cls);
}

/* ---- the RemoteDelivery mailet (mailetcontainer.xml) ---------------------------
 * James' outgoing half: <mailet class="RemoteDelivery"> with its
 * parameters as child elements.  smtpd-relay reads the same names from
 * remoteDelivery { } (smtpd.conf(5)), with the same value syntax. */

enum rkind { R_STR, R_INT, R_BOOL, R_LIST, R_PASSWORD, R_NONE };

static const struct {
	const char *name;
	enum rkind kind;
	const char *why;	/* R_NONE: what to do instead */
} remote_keys[] = {
	{ "delayTime", R_STR, NULL },
	{ "maxRetries", R_INT, NULL },
	{ "maxDnsProblemRetries", R_INT, NULL },
	{ "timeout", R_INT, NULL },
	{ "connectiontimeout", R_INT, NULL },
	{ "sendpartial", R_BOOL, NULL },
	{ "bounceProcessor", R_STR, NULL },
	{ "gateway", R_LIST, NULL },
	{ "gatewayPort", R_INT, NULL },
	{ "gatewayUsername", R_STR, NULL },
	{ "gatewayusername", R_STR, NULL },
	{ "gatewayPassword", R_PASSWORD, NULL },
	{ "loadBalancing", R_BOOL, NULL },
	{ "startTLS", R_BOOL, NULL },
	{ "sslEnable", R_BOOL, NULL },
	{ "verifyServerIdentity", R_BOOL, NULL },
	{ "heloName", R_STR, NULL },
	{ "bind", R_STR, NULL },
	{ "outgoing", R_NONE, "the queue is the spool's outgoing/ directory (spool = ...)" },
	{ "outgoingQueue", R_NONE, "the queue is the spool's outgoing/ directory (spool = ...)" },
	{ "deliveryThreads", R_NONE, "smtpd-relay delivers up to concurrency messages at once (remoteDelivery { concurrency })" },
	{ "debug", R_NONE, "smtpd-relay logs every attempt to the journal or syslog" },
	{ "usePriority", R_NONE, "messages are sent in the order they are due" },
	{ "maxRcpt", R_NONE, "use maxRecipientsPerTransaction" },
};

#define GATEWAY_PASSWORD_FILE "/etc/smtpd/gateway-password"

static void remote_delivery(struct tr *t, xmlNodePtr m)
{
	FILE *f;

	if (t->remote) {
		warn(t, m, "a second RemoteDelivery mailet: only the first is translated (smtpd-relay has one remoteDelivery { })");
		return;
	}
	f = open_memstream(&t->remote, &t->remotelen);
	if (!f)
		abort();
	t->found = true;
	t->remote_file = t->file;
	t->remote_line = xmlGetLineNo(m);
	for (xmlNodePtr c = m->children; c; c = c->next) {
		size_t i;
		char *v, *q;
		long n;
		bool b;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < sizeof(remote_keys) / sizeof(remote_keys[0]); i++)
			if (strcmp(ename(c), remote_keys[i].name) == 0)
				break;
		if (i == sizeof(remote_keys) / sizeof(remote_keys[0])) {
			warn(t, c, "RemoteDelivery <%s> has no equivalent in remoteDelivery { }; not carried over", ename(c));
			continue;
		}
		if (remote_keys[i].kind == R_NONE) {
			if (remote_keys[i].why)
				warn(t, c, "RemoteDelivery <%s> is not carried over: %s", ename(c), remote_keys[i].why);
			continue;
		}
		v = text_of(c);
		switch (remote_keys[i].kind) {
		case R_INT:
			if (parse_long(v, &n) < 0)
				warn(t, c, "RemoteDelivery <%s>%s</%s> is not a number; not carried over", ename(c), v, ename(c));
			else
				fprintf(f, "  %s = %ld\n", remote_keys[i].name, n);
			break;
		case R_BOOL:
			if (parse_bool(v, &b) < 0)
				warn(t, c, "RemoteDelivery <%s>%s</%s> is not true or false; not carried over", ename(c), v, ename(c));
			else
				fprintf(f, "  %s = %s\n", remote_keys[i].name, b ? "true" : "false");
			break;
		case R_STR:
			if (!(q = quote(v))) {
				warn(t, c, "RemoteDelivery <%s> contains control characters; not carried over", ename(c));
			} else {
				fprintf(f, "  %s = %s\n",
					strcmp(remote_keys[i].name, "gatewayusername") == 0 ? "gatewayUsername"
											   : remote_keys[i].name, q);
				free(q);
			}
			break;
		case R_LIST: {
			/* James: "host1:port, host2" */
			char *save = NULL;
			bool first = true;

			fprintf(f, "  %s = {", remote_keys[i].name);
			for (char *e = strtok_r(v, ", \t\r\n", &save); e; e = strtok_r(NULL, ", \t\r\n", &save)) {
				if (!(q = quote(e)))
					continue;
				fprintf(f, "%s %s", first ? "" : ",", q);
				free(q);
				first = false;
			}
			fprintf(f, " }\n");
			break;
		}
		case R_PASSWORD:
			/* never inline in a file every session reads */
			warn(t, c, "RemoteDelivery <gatewayPassword> is not written into smtpd.conf, which every session reads: "
			     "put the password in %s (mode 0600, owner root; smtpd-relay.service loads it as a credential)",
			     GATEWAY_PASSWORD_FILE);
			fprintf(f, "  gatewayPasswordFile = \"%s\"\n", GATEWAY_PASSWORD_FILE);
			break;
		case R_NONE:
			break;
		}
		free(v);
	}
	fclose(f);
}

/* ---- dnsservice.xml (James 2: <dnsserver> in config.xml) ------------------------
 * James' DNSJavaService: <servers><server>, <autodiscover> (default true:
 * the servers of /etc/resolv.conf first, then the listed ones), a cache
 * and its TTLs.  smtpd's dnsservice { } has servers (up to 3 IPv4
 * addresses; empty = /etc/resolv.conf) and timeout (handlers/dns.c). */

#define DNS_SERVERS_MAX 3	/* MAXNS: what the libc resolver asks */
#define DNS_TIMEOUT_MAX 30	/* RES_MAXRETRANS */

static const struct {
	const char *name;
	const char *why;
} dns_dropped[] = {
	{ "maxcachesize", "a process serves one connection and keeps no DNS cache: run a caching resolver (unbound) and name it in servers" },
	{ "inheritTTL", NULL }, { "inheritNegativeTTL", NULL }, { "cacheFallbackTTL", NULL },
	{ "cacheMinTTL", NULL }, { "cacheMaxTTL", NULL }, { "negativeCacheFallbackTTL", NULL },
	{ "negativeCacheMinTTL", NULL }, { "negativeCacheMaxTTL", NULL },
	{ "authoritative", "answers are taken as the resolver gives them" },
	{ "searchpaths", "names are looked up as given, without a search path" },
	{ "singleIPperMX", "smtpd-relay tries the addresses of every MX, up to remoteDelivery { mxAddressLimit }" },
	{ "verbose", "each failed lookup is logged" },
	{ "setAsDNSJavaDefault", "there is no Java here" },
};

static void dns_servers(struct tr *t, xmlNodePtr servers, FILE *f, size_t *n)
{
	for (xmlNodePtr c = servers->children; c; c = c->next) {
		struct in_addr a;
		char *v;

		if (!is(c, "server"))
			continue;
		v = text_of(c);
		if (inet_pton(AF_INET, v, &a) != 1) {
			warn(t, c, "DNS server '%s' is not an IPv4 address, which is all the libc resolver's settings take; "
			     "dropped (name a local resolver on 127.0.0.1, or leave servers empty for /etc/resolv.conf)", v);
		} else if (*n == DNS_SERVERS_MAX) {
			warn(t, c, "DNS server %s: the libc resolver asks at most %d servers; dropped", v, DNS_SERVERS_MAX);
		} else {
			fprintf(f, "%s \"%s\"", *n ? "," : "", v);
			++*n;
		}
		free(v);
	}
}

static void dns_service(struct tr *t, xmlNodePtr d)
{
	char *list = NULL;
	size_t listlen, n = 0, i;
	long timeout = 0;
	bool autodiscover = true;
	xmlNodePtr servers_el = NULL, auto_el = NULL;
	FILE *f;

	if (t->dns) {
		warn(t, d, "a second <%s>: only the first is translated", ename(d));
		return;
	}
	t->found = true;
	t->dns_file = t->file;
	t->dns_line = xmlGetLineNo(d);
	if (!(f = open_memstream(&list, &listlen)))
		abort();
	for (xmlNodePtr c = d->children; c; c = c->next) {
		char *v;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, "servers")) {
			servers_el = c;
			dns_servers(t, c, f, &n);
			continue;
		}
		if (is(c, "autodiscover") || is(c, "timeout")) {
			v = text_of(c);
			if (is(c, "timeout")) {
				if (parse_long(v, &timeout) < 0 || timeout < 1 || timeout > DNS_TIMEOUT_MAX) {
					warn(t, c, "<timeout>%s</timeout>: dnsservice { timeout } is 1 to %d seconds; "
					     "not carried over (default 5)", v, DNS_TIMEOUT_MAX);
					timeout = 0;
				}
			} else if (parse_bool(v, &autodiscover) < 0) {
				warn(t, c, "<autodiscover>%s</autodiscover> is not true or false; taken as James' default, true", v);
				autodiscover = true;
			} else {
				auto_el = c;
			}
			free(v);
			continue;
		}
		for (i = 0; i < sizeof(dns_dropped) / sizeof(dns_dropped[0]); i++)
			if (strcasecmp(ename(c), dns_dropped[i].name) == 0)
				break;
		if (i == sizeof(dns_dropped) / sizeof(dns_dropped[0]))
			warn(t, c, "<%s> has no equivalent in dnsservice { }; not carried over", ename(c));
		else
			warn(t, c, "<%s> is not carried over: %s", ename(c),
			     dns_dropped[i].why ? dns_dropped[i].why : dns_dropped[0].why);
	}
	/* James without servers: /etc/resolv.conf's (autodiscover), else
	 * 127.0.0.1; with servers and autodiscover, both */
	if (n == 0 && !autodiscover) {
		note(t, auto_el, "<autodiscover>false</autodiscover> and no servers: James asked 127.0.0.1; written so");
		fprintf(f, " \"127.0.0.1\"");
	} else if (n > 0 && autodiscover) {
		warn(t, servers_el, "James asked the servers of /etc/resolv.conf first, then these (<autodiscover> %s); "
		     "here the listed servers replace /etc/resolv.conf: leave servers empty to keep the system's",
		     auto_el ? "is true" : "defaults to true");
	}
	if (n > 0)
		note(t, servers_el, "dnsservice { } serves the handlers; smtpd-relay asks remoteDelivery { dnsServers } "
		     "(default /etc/resolv.conf): name these there too for James' RemoteDelivery");
	fclose(f);
	if (asprintf(&t->dns, "  servers = {%s }%s\n", list ? list : "", n == 0 && autodiscover ? "  # /etc/resolv.conf" : "") < 0)
		abort();
	free(list);
	if (timeout) {
		char *p = t->dns;

		if (asprintf(&t->dns, "%s  timeout = %ld\n", p, timeout) < 0)
			abort();
		free(p);
	}
}

static bool is_remote_delivery(xmlNodePtr n)
{
	char *cls;
	bool r;

	if (!is(n, "mailet"))
		return false;
	cls = attr_of(n, "class");
	r = cls && (strcmp(cls, "RemoteDelivery") == 0 || strcmp(cls, "org.apache.james.transport.mailets.RemoteDelivery") == 0);
	free(cls);
	return r;
}

static void walk(struct tr *t, xmlNodePtr parent)
{
	for (xmlNodePtr n = parent; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "smtpserver"))
			listener(t, n, false);
		else if (is(n, "lmtpserver"))
			listener(t, n, true);
		else if (is(n, "domainlist") || is(n, "servernames"))
			domainlist(t, n);
		else if (is_remote_delivery(n))
			remote_delivery(t, n);
		else if (is(n, "dnsservice") || is(n, "dnsserver"))
			dns_service(t, n);
		else if (is(n, "smtpservers") || is(n, "lmtpservers")) {
			/* an empty list is a valid configuration: no listener
			 * of that kind (James' LMTP-off files) */
			t->found = true;
			walk(t, n->children);
		} else
			walk(t, n->children);
	}
}

/* ---- output --------------------------------------------------------------------- */

static void write_global(FILE *out, const char *key, const char *v)
{
	char *q = quote(v);

	fprintf(out, "%-9s = %s\n", key, q ? q : "\"\"");
	free(q);
}

static void write_listener(struct tr *t, struct xl *l, FILE *out)
{
	long defport = l->lmtp ? 24 : 25;

	fprintf(out, "\n%s \"%s\" {  # %s:%ld\n", l->lmtp ? "lmtpserver" : "smtpserver", l->name, l->file, l->line);
	if (l->enabled_env)
		fprintf(out, "  enabled = %s\n", l->enabled_env);
	else
		fprintf(out, "  enabled = %s\n", l->enabled ? "true" : "false");
	fprintf(out, "  bind = {");
	if (l->port < 0) {
		defport = standard_port(l);
		fprintf(t->err, "%s:%ld: warning: <port>0</port> (any free port) cannot be socket-activated; "
			"written as port %ld\n", l->file, l->bind_line, defport);
	}
	if (l->nbind_raw == 0) {
		/* James 2 without <bind>: every address, on <port> */
		fprintf(out, " \"0.0.0.0:%ld\"", l->port > 0 ? l->port : defport);
	}
	for (size_t i = 0; i < l->nbind_raw; i++) {
		char *b = bind_entry(t, l, l->bind_raw[i], defport);
		char *q;

		if (b)
			b = port_zero(t, l, b);
		q = b ? quote(b) : NULL;

		if (!q)
			fprintf(t->err, "%s:%ld: warning: bind '%s' is not ADDRESS:PORT; dropped\n",
				l->file, l->line, l->bind_raw[i]);
		else
			fprintf(out, "%s %s", i ? "," : "", q);
		free(q);
		free(b);
	}
	fprintf(out, " }\n");
	if (l->backlog >= 0)
		fprintf(out, "  connectBacklog = %ld\n", l->backlog);
	if (l->proxy) {
		/* James trusts a PROXY header from anyone who can connect;
		 * proxyTrusted (smtpd.conf(5)) narrows that to the balancers */
		fprintf(t->err, "%s:%ld: warning: proxyRequired: list the load balancers that may send the PROXY header "
			"in proxyTrusted = { ... }; until then anyone who can connect may claim any address\n",
			l->file, l->line);
		fprintf(out, "  proxyRequired = true\n");
	}
	if (l->tls_set) {
		bool on = l->socket_tls || l->start_tls;

		if (on && !l->keystore && (!l->certs || !l->key))
			fprintf(t->err, "%s:%ld: warning: TLS is on but no PEM key and chain are given; "
				"written as %s/fullchain.pem and %s/privkey.pem\n", l->file, l->line, TLS_DIR, TLS_DIR);
		fprintf(out, "  tls {\n    socketTLS = %s\n    startTLS = %s\n",
			l->socket_tls ? "true" : "false", l->start_tls ? "true" : "false");
		if (on || l->certs)
			write_global(out, "    certificates", l->certs ? l->certs : TLS_DIR "/fullchain.pem");
		if (on || l->key)
			write_global(out, "    privateKey", l->key ? l->key : TLS_DIR "/privkey.pem");
		if (l->secret && l->key && !l->keystore)
			write_global(out, "    secret", l->secret);
		fprintf(out, "  }\n");
	}
	if (!l->hval[H_AUTODETECT])
		l->hval[H_AUTODETECT] = xstrdup("true");	/* James' default */
	fprintf(out, "  handler {\n");
	for (size_t k = 0; k < H__COUNT; k++)
		if (l->hval[k])
			fprintf(out, "    %s = %s\n", hkey_name[k], l->hval[k]);
	if (l->auth_block) {
		fprintf(out, "    auth {\n");
		if (l->auth_announce)
			fprintf(out, "      announce = %s\n", l->auth_announce);
		if (l->auth_required)
			fprintf(out, "      required = %s\n", l->auth_required);
		if (l->auth_require_ssl)
			fprintf(out, "      requireSSL = %s\n", l->auth_require_ssl);
		if (l->auth_plain)
			fprintf(out, "      plainAuthEnabled = %s\n", l->auth_plain);
		fprintf(out, "    }\n");
	}
	if (l->chainf) {
		fclose(l->chainf);
		l->chainf = NULL;
		fprintf(out, "    handlerchain {\n%s    }\n", l->chain);
	}
	fprintf(out, "  }\n}\n");
}

static void xl_free(struct xl *l)
{
	for (size_t i = 0; i < l->nbind_raw; i++)
		free(l->bind_raw[i]);
	for (size_t k = 0; k < H__COUNT; k++)
		free(l->hval[k]);
	if (l->chainf)
		fclose(l->chainf);
	free(l->chain);
	free(l->certs);
	free(l->key);
	free(l->secret);
	free(l->enabled_env);
	free(l->auth_announce);
	free(l->auth_required);
	free(l->auth_require_ssl);
	free(l->auth_plain);
}

static int read_one(struct tr *t, const char *path)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (access(path, R_OK) != 0) {
		int e = errno;

		fprintf(t->err, "%s: cannot read: %s\n", path, strerror(e));
		return -e;
	}
	t->file = path;
	t->found = false;
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return -ENOMEM;
	xmlSetStructuredErrorFunc(t, xml_error);
	/* no network, no external entities (XXE): James' files need neither */
	doc = xmlCtxtReadFile(ctxt, path, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!doc || !ctxt->wellFormed) {
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		fprintf(t->err, "%s: not well-formed XML; nothing translated\n", path);
		return -EINVAL;
	}
	walk(t, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (!t->found) {
		fprintf(t->err, "%s: no <smtpservers>, <lmtpservers>, <domainlist>, <dnsservice> or RemoteDelivery mailet: not a James configuration file\n", path);
		return -EINVAL;
	}
	return 0;
}

int james_translate(const char *const *files, size_t nfiles, const struct james_globals *g, FILE *out, FILE *err)
{
	struct tr t = { .err = err };
	int rc = 0;

	LIBXML_TEST_VERSION
	for (size_t i = 0; i < nfiles && rc == 0; i++)
		rc = read_one(&t, files[i]);
	if (rc == 0) {
		fprintf(out, "# smtpd.conf: translated by smtpd-config translate from");
		for (size_t i = 0; i < nfiles; i++)
			fprintf(out, " %s", files[i]);
		fprintf(out, "\n# See smtpd.conf(5); check it with: smtpd-config check -c FILE\n\n");
		if (t.domainlist_seen) {
			fprintf(out, "domains   = {");
			for (size_t i = 0; i < t.ndomains; i++) {
				char *q = quote(t.domains[i]);

				fprintf(out, "%s %s", i ? "," : "", q);
				free(q);
			}
			fprintf(out, " }\n");
		} else {
			fprintf(err, "smtpd-config: warning: no domainlist.xml given: write the local domains in domains = { }\n");
			fprintf(out, "domains   = { }  # no domainlist.xml given: the local domains go here\n");
		}
		/* James keeps users in its usersrepository: the users file is
		 * written by hand */
		fprintf(out, "# users: James' usersrepository is not translated; write one line per user,\n"
			"#   user@domain:{SCHEME}hash   (Dovecot passwd-file, see smtpd.conf(5))\n");
		write_global(out, "users", g && g->users ? g->users : "/etc/smtpd/users");
		write_global(out, "aliases", g && g->aliases ? g->aliases : "/etc/smtpd/aliases");
		write_global(out, "mailboxes", g && g->mailboxes ? g->mailboxes : "/var/mail/vhosts/%d/%n");
		write_global(out, "spool", g && g->spool ? g->spool : "/var/spool/smtpd");
		if (t.dns)
			fprintf(out, "\ndnsservice {  # %s:%ld\n%s}\n", t.dns_file, t.dns_line, t.dns);
		for (int lmtp = 0; lmtp < 2; lmtp++)
			for (size_t i = 0; i < t.nls; i++)
				if (t.ls[i]->lmtp == (lmtp == 1))
					write_listener(&t, t.ls[i], out);
		if (t.remote) {
			fprintf(out, "\nremoteDelivery {  # %s:%ld\n%s}\n", t.remote_file, t.remote_line, t.remote);
		}
		if (t.nenvs > 0) {
			fprintf(err, "smtpd-config: note: the configuration reads the environment variables");
			for (size_t i = 0; i < t.nenvs; i++)
				fprintf(err, " %s", t.envs[i]);
			fprintf(err, ": smtpd must be started with them set (the units generated by "
				"'smtpd-config units' read them from an EnvironmentFile=)\n");
		}
	}
	for (size_t i = 0; i < t.nenvs; i++)
		free(t.envs[i]);
	free(t.envs);
	free(t.remote);
	free(t.dns);
	for (size_t i = 0; i < t.nls; i++) {
		xl_free(t.ls[i]);
		free(t.ls[i]);
	}
	free(t.ls);
	for (size_t i = 0; i < t.ndomains; i++)
		free(t.domains[i]);
	free(t.domains);
	xmlCleanupParser();
	return rc;
}
