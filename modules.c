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
#include "dns.h"
#include "proxy-accept.h"
#include "remote-delivery.h"

/* handlerchain handlers (handlers/chain/) */
extern const struct handler_def max_rcpt_handler, dnsrbl_handler, max_unknown_cmd_handler,
	duplicate_rcpt_handler, resolvable_helo_handler, reverse_helo_handler,
	valid_sender_domain_handler, header_limits_handler, tarpit_handler, milter_handler;

const struct config_module *const config_modules[] = {
	&valid_rcpt_handler.conf,
	&max_rcpt_handler.conf,
	&dnsrbl_handler.conf,
	&resolvable_helo_handler.conf,
	&reverse_helo_handler.conf,
	&valid_sender_domain_handler.conf,
	&max_unknown_cmd_handler.conf,
	&duplicate_rcpt_handler.conf,
	&header_limits_handler.conf,
	&tarpit_handler.conf,
	&milter_handler.conf,
	/* listener features (MODULE_SERVER) */
	&proxy_module,
	/* handler { } blocks */
	&auth_module,
	/* top-level blocks */
	&dnsservice_module,		/* handlers/dns.c */
	&remote_delivery_module,
	NULL
};
