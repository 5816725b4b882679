/* modules.c — every configuration module (config/module.h), once.
 *
 * Adding a handler: its file in handlers/chain/, its extern line and its
 * entry below, and its section in smtpd.conf(5).  The order of the
 * MODULE_CHAIN entries is the order `smtpd-config` and error messages
 * list them in; a chain runs in the order the configuration names them.
 */
#include "module.h"

#include <stddef.h>

#include "auth.h"
#include "chain.h"
#include "proxy-accept.h"
#include "remote-delivery.h"

/* handlerchain handlers (handlers/chain/) */
extern const struct handler_def max_rcpt_handler;

const struct config_module *const config_modules[] = {
	&valid_rcpt_handler.conf,
	&max_rcpt_handler.conf,
	/* listener features (MODULE_SERVER) */
	&proxy_module,
	/* handler { } blocks */
	&auth_module,
	/* top-level blocks */
	&remote_delivery_module,
	NULL
};
