/* remote-delivery.c — see remote-delivery.h.  smtpd.conf(5) documents
 * every key. */
#include "remote-delivery.h"

#include <arpa/inet.h>
#include <confuse.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "config.h"
#include "tls-policy.h"

static cfg_opt_t opts[] = {
	/* Apache James RemoteDelivery */
	CFG_STR("delayTime", NULL, CFGF_NODEFAULT),
	CFG_INT("maxRetries", -1, CFGF_NONE),
	CFG_INT("maxDnsProblemRetries", 0, CFGF_NONE),
	CFG_INT("timeout", 180000, CFGF_NONE),
	CFG_INT("connectiontimeout", 60000, CFGF_NONE),
	CFG_BOOL("sendpartial", cfg_true, CFGF_NONE),
	CFG_STR("bounceProcessor", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("gateway", NULL, CFGF_NODEFAULT),
	CFG_INT("gatewayPort", 25, CFGF_NONE),
	CFG_STR("gatewayUsername", NULL, CFGF_NODEFAULT),
	CFG_BOOL("loadBalancing", cfg_true, CFGF_NONE),
	CFG_BOOL("startTLS", cfg_true, CFGF_NONE),
	CFG_BOOL("sslEnable", cfg_false, CFGF_NONE),
	CFG_BOOL("verifyServerIdentity", cfg_true, CFGF_NONE),
	CFG_STR("heloName", NULL, CFGF_NODEFAULT),
	CFG_STR("bind", NULL, CFGF_NODEFAULT),
	/* ours */
	CFG_STR("gatewayPasswordFile", NULL, CFGF_NODEFAULT),
	CFG_STR("gatewayPassword", NULL, CFGF_NODEFAULT),	/* refused: never inline */
	CFG_INT("concurrency", 4, CFGF_NONE),
	CFG_INT("maxRecipientsPerTransaction", 50, CFGF_NONE),
	CFG_INT("sessionTimeout", 600, CFGF_NONE),
	CFG_STR("inetProtocols", "all", CFGF_NONE),
	CFG_INT("mxAddressLimit", 5, CFGF_NONE),
	CFG_STR("tlsSecurityLevel", NULL, CFGF_NODEFAULT),
	CFG_STR("tlsPolicyFile", NULL, CFGF_NODEFAULT),
	CFG_STR("trustedCertificates", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("dnsServers", NULL, CFGF_NODEFAULT),
	CFG_STR("resolvConf", NULL, CFGF_NODEFAULT),
	CFG_BOOL("dnssec", cfg_false, CFGF_NONE),
	CFG_STR("smtpd", NULL, CFGF_NODEFAULT),
	CFG_STR("smtpdServer", NULL, CFGF_NODEFAULT),
	CFG_STR("delayWarning", NULL, CFGF_NODEFAULT),
	CFG_END(),
};

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void rd_free(void *p)
{
	struct relay_settings *s = p;

	if (!s)
		return;
	for (size_t i = 0; i < s->ngateway; i++)
		free(s->gateway[i]);
	for (size_t i = 0; i < s->ndns; i++)
		free(s->dns_servers[i]);
	free(s->gateway_username);
	free(s->gateway_password_file);
	free(s->gateway_password_name);
	free(s->helo_name);
	free(s->bind);
	free(s->tls_policy_file);
	free(s->trusted_certificates);
	free(s->resolv_conf);
	free(s->smtpd);
	free(s->smtpd_server);
	free(s);
}


static bool positive(cfg_t *sec, const char *key, long max)
{
	long v = cfg_getint(sec, key);

	if (v < 1 || v > max) {
		config_error(sec, key, "%s must be between 1 and %ld, not %ld", key, max, v);
		return false;
	}
	return true;
}

/* host or host:port or [v6]:port, as James' gateway list */
static bool gateway_valid(const char *g)
{
	char host[DOMAIN_MAX + 2];
	const char *colon;
	size_t len;

	if (g[0] == '[') {
		const char *end = strchr(g, ']');
		char a[INET6_ADDRSTRLEN];
		struct in6_addr in6;

		if (!end || (size_t)(end - g - 1) >= sizeof(a))
			return false;
		memcpy(a, g + 1, (size_t)(end - g - 1));
		a[end - g - 1] = '\0';
		if (inet_pton(AF_INET6, a, &in6) != 1)
			return false;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return false;
	} else {
		colon = strchr(g, ':');
		len = colon ? (size_t)(colon - g) : strlen(g);
		if (len == 0 || len > DOMAIN_MAX)
			return false;
		memcpy(host, g, len);
		host[len] = '\0';
		if (!domain_valid(host, len, 0))
			return false;
	}
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);

		if (*end || port < 1 || port > 65535)
			return false;
	}
	return true;
}

static int rd_parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct relay_settings *s = calloc(1, sizeof(*s));
	const char *v;
	char why[256];
	bool bad = false;

	if (!s)
		return -ENOMEM;
	s->configured = sec->line > 0;
	if (!schedule_parse(cfg_getstr(sec, "delayTime"), cfg_getint(sec, "maxRetries"), &s->schedule,
			    why, sizeof(why))) {
		config_error(sec, "delayTime", "delayTime: %s", why);
		bad = true;
	}
	s->max_dns_problem_retries = cfg_getint(sec, "maxDnsProblemRetries");
	if (s->max_dns_problem_retries < 0) {
		config_error(sec, "maxDnsProblemRetries", "maxDnsProblemRetries must not be negative");
		bad = true;
	}
	bad |= !positive(sec, "timeout", 3600000) || !positive(sec, "connectiontimeout", 3600000)
	       || !positive(sec, "concurrency", 256) || !positive(sec, "maxRecipientsPerTransaction", 1000)
	       || !positive(sec, "sessionTimeout", 86400) || !positive(sec, "gatewayPort", 65535)
	       || !positive(sec, "mxAddressLimit", 100);
	s->timeout_ms = cfg_getint(sec, "timeout");
	s->connect_timeout_ms = cfg_getint(sec, "connectiontimeout");
	s->session_timeout = cfg_getint(sec, "sessionTimeout");
	s->concurrency = cfg_getint(sec, "concurrency");
	s->max_rcpt = cfg_getint(sec, "maxRecipientsPerTransaction");
	s->gateway_port = cfg_getint(sec, "gatewayPort");
	s->mx_address_limit = cfg_getint(sec, "mxAddressLimit");
	s->send_partial = cfg_getbool(sec, "sendpartial");
	if (!s->send_partial)
		config_warn(sec, "sendpartial", "sendpartial = false is not supported: each recipient is "
			    "delivered, deferred or bounced on its own (as with true)");
	if (cfg_getstr(sec, "bounceProcessor"))
		config_warn(sec, "bounceProcessor", "bounceProcessor is ignored: bounces are sent "
			    "through smtpd (smtpd-relay(8))");
	for (unsigned i = 0; i < cfg_size(sec, "gateway"); i++) {
		/* James: a comma-separated list in one value */
		char *copy = strdup(cfg_getnstr(sec, "gateway", i)), *save = NULL;

		for (char *g = copy ? strtok_r(copy, ", \t", &save) : NULL; g; g = strtok_r(NULL, ", \t", &save)) {
			if (!gateway_valid(g)) {
				config_error(sec, "gateway", "gateway: '%s' is not host, host:port or [IPv6]:port", g);
				bad = true;
			} else if (s->ngateway == RELAY_MAX_GATEWAYS) {
				config_error(sec, "gateway", "gateway: more than %d hosts", RELAY_MAX_GATEWAYS);
				bad = true;
			} else {
				s->gateway[s->ngateway++] = strdup(g);
			}
		}
		free(copy);
	}
	s->gateway_username = dup_or_null(cfg_getstr(sec, "gatewayUsername"));
	if (cfg_getstr(sec, "gatewayPassword")) {
		config_error(sec, "gatewayPassword", "gatewayPassword: a password is never written in "
			     "smtpd.conf (every smtpd reads it); use gatewayPasswordFile or a systemd credential");
		bad = true;
	}
	if ((v = cfg_getstr(sec, "gatewayPasswordFile")) && *v) {
		s->gateway_password_file = config_file_path(v, ctx->file);
		s->gateway_password_name = strdup(v);
		if (s->gateway_password_file && ctx->deep && access(s->gateway_password_file, R_OK) != 0)
			config_warn(sec, "gatewayPasswordFile", "gatewayPasswordFile %s cannot be read: %s",
				    s->gateway_password_file, strerror(errno));
	}
	if (s->gateway_username && !s->gateway_password_file) {
		config_error(sec, "gatewayUsername", "gatewayUsername needs gatewayPasswordFile");
		bad = true;
	}
	if (s->gateway_username && !s->ngateway) {
		config_error(sec, "gatewayUsername", "gatewayUsername without gateway");
		bad = true;
	}
	s->load_balancing = cfg_getbool(sec, "loadBalancing");
	s->start_tls = cfg_getbool(sec, "startTLS");
	s->ssl_enable = cfg_getbool(sec, "sslEnable");
	s->verify_server_identity = cfg_getbool(sec, "verifyServerIdentity");
	if ((v = cfg_getstr(sec, "heloName")) && !domain_valid(v, strlen(v), DOM_LITERAL)) {
		config_error(sec, "heloName", "heloName: '%s' is not a domain name", v);
		bad = true;
	}
	s->helo_name = dup_or_null(v);
	if ((v = cfg_getstr(sec, "bind"))) {
		struct in6_addr a;

		if (inet_pton(AF_INET, v, &a) != 1 && inet_pton(AF_INET6, v, &a) != 1) {
			config_error(sec, "bind", "bind: '%s' is not an IPv4 or IPv6 address", v);
			bad = true;
		}
		s->bind = dup_or_null(v);
	}
	v = cfg_getstr(sec, "inetProtocols");
	if (strcasecmp(v, "all") == 0)
		s->inet = INET_ALL;
	else if (strcasecmp(v, "ipv4") == 0)
		s->inet = INET_IPV4;
	else if (strcasecmp(v, "ipv6") == 0)
		s->inet = INET_IPV6;
	else {
		config_error(sec, "inetProtocols", "inetProtocols must be all, ipv4 or ipv6, not '%s'", v);
		bad = true;
	}
	s->dnssec = cfg_getbool(sec, "dnssec");
	if ((v = cfg_getstr(sec, "tlsSecurityLevel"))) {
		static const char *const names[] = { "none", "may", "encrypt", "verify", "dane" };
		bool found = false;

		for (int i = 0; i < 5; i++)
			if (strcasecmp(v, names[i]) == 0) {
				s->tls_level = (enum tls_level)i;
				found = true;
			}
		if (!found) {
			config_error(sec, "tlsSecurityLevel",
				     "tlsSecurityLevel must be none, may, encrypt, verify or dane, not '%s'", v);
			bad = true;
		}
		s->tls_level_set = true;
		if (found && s->tls_level == TLS_DANE && !s->dnssec) {
			config_error(sec, "tlsSecurityLevel", "tlsSecurityLevel = dane needs dnssec = true");
			bad = true;
		}
	} else if (s->ngateway) {
		/* a smarthost gets our users' passwords: verified TLS */
		s->tls_level = s->start_tls || s->ssl_enable ? (s->verify_server_identity ? TLS_VERIFY : TLS_ENCRYPT)
							    : TLS_NONE;
	} else {
		/* DANE (RFC 7672) is not implemented yet: dnssec does not raise the default */
		s->tls_level = !s->start_tls ? TLS_NONE : TLS_MAY;
	}
	s->tls_policy_file = (v = cfg_getstr(sec, "tlsPolicyFile")) && *v ? config_file_path(v, ctx->file) : NULL;
	if (s->tls_policy_file && ctx->deep) {
		/* smtpd-relay reads it at every run; --check reports its lines */
		struct tls_policy pol = { 0 };
		char pwhy[PATH_MAX + 300];

		if (tls_policy_load(s->tls_policy_file, &pol, pwhy, sizeof(pwhy)) < 0) {
			config_error(sec, "tlsPolicyFile", "tlsPolicyFile: %s", pwhy);
			bad = true;
		}
		tls_policy_free(&pol);
	}
	s->trusted_certificates = (v = cfg_getstr(sec, "trustedCertificates")) && *v ? config_file_path(v, ctx->file) : NULL;
	for (unsigned i = 0; i < cfg_size(sec, "dnsServers"); i++) {
		struct in6_addr a;

		v = cfg_getnstr(sec, "dnsServers", i);
		if (inet_pton(AF_INET, v, &a) != 1 && inet_pton(AF_INET6, v, &a) != 1) {
			config_error(sec, "dnsServers", "dnsServers: '%s' is not an IP address", v);
			bad = true;
		} else if (s->ndns == RELAY_MAX_DNS) {
			config_error(sec, "dnsServers", "dnsServers: at most %d servers", RELAY_MAX_DNS);
			bad = true;
		} else {
			s->dns_servers[s->ndns++] = strdup(v);
		}
	}
	s->resolv_conf = dup_or_null(cfg_getstr(sec, "resolvConf"));
	s->smtpd = dup_or_null(cfg_getstr(sec, "smtpd"));
	s->smtpd_server = dup_or_null(cfg_getstr(sec, "smtpdServer"));
	if ((v = cfg_getstr(sec, "delayWarning"))) {
		struct schedule one;

		/* one James duration */
		if (!schedule_parse(v, -1, &one, why, sizeof(why)) || one.n != 1 || one.item[0].attempts != 1) {
			config_error(sec, "delayWarning", "delayWarning: '%s' is not a duration", v);
			bad = true;
		} else {
			s->delay_warning = one.item[0].ms / 1000;
		}
	}
	*settings_r = s;
	if (bad)
		return -EINVAL;
	return 0;
}

const struct config_module remote_delivery_module = {
	.name = "remoteDelivery",
	.place = MODULE_GLOBAL,
	.opts = opts,
	.parse = rd_parse,
	.free = rd_free,
};

const struct relay_settings *relay_settings(const struct config *cfg)
{
	return config_global_settings(cfg, &remote_delivery_module);
}
