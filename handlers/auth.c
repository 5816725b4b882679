/* auth.c — the auth { } block.  See auth.h. */
#include "auth.h"

#include <errno.h>
#include <stdlib.h>
#include <strings.h>

struct auth_settings {
	bool decides;		/* announce or required was set */
	enum auth_mode announce;
	bool require_ssl;
	bool plain;
};

static cfg_opt_t auth_opts[] = {
	CFG_STR("announce", NULL, CFGF_NODEFAULT),
	CFG_BOOL("required", cfg_false, CFGF_NODEFAULT),
	CFG_BOOL("requireSSL", cfg_false, CFGF_NONE),
	CFG_BOOL("plainAuthEnabled", cfg_true, CFGF_NONE),
	CFG_END()
};

/* James' AuthenticationAnnounceMode, compared case-insensitively as James
 * does. */
static int parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct auth_settings *a = calloc(1, sizeof(*a));
	const char *v;

	(void)ctx;
	if (!a)
		return -ENOMEM;
	a->require_ssl = cfg_getbool(sec, "requireSSL");
	a->plain = cfg_getbool(sec, "plainAuthEnabled");
	if (cfg_size(sec, "required") > 0 && cfg_getbool(sec, "required")) {
		a->decides = true;
		a->announce = AUTH_TRUE;
	}
	if (cfg_size(sec, "announce") > 0) {
		v = cfg_getstr(sec, "announce");
		a->decides = true;
		if (strcasecmp(v, "never") == 0) {
			a->announce = AUTH_FALSE;
		} else if (strcasecmp(v, "forUnauthorizedAddresses") == 0) {
			a->announce = AUTH_TRUE;
		} else if (strcasecmp(v, "always") == 0) {
			a->announce = AUTH_ANNOUNCE;
		} else {
			config_error(sec, "announce", "auth: announce must be never, forUnauthorizedAddresses or always, not '%s'", v);
			free(a);
			return -EINVAL;
		}
	}
	*settings_r = a;
	return 0;
}

const struct config_module auth_module = {
	.name = "auth",
	.place = MODULE_HANDLER,
	.opts = auth_opts,
	.parse = parse,
	.free = free,
};

static const struct auth_settings *settings(const struct listener *l)
{
	return config_listener_settings(l, &auth_module);
}

enum auth_mode auth_announce_mode(const struct listener *l)
{
	const struct auth_settings *a = settings(l);

	return a && a->decides ? a->announce : l->auth;
}

bool auth_require_ssl(const struct listener *l)
{
	const struct auth_settings *a = settings(l);

	return a && a->require_ssl;
}

bool auth_plain_enabled(const struct listener *l)
{
	const struct auth_settings *a = settings(l);

	return !a || a->plain;
}
