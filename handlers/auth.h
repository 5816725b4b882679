/* auth.h — who is offered SMTP AUTH, under which conditions.
 *
 * Two ways to say it, both James': the seed's authRequired (a core key of
 * handler { }) and James 3.8's auth { } block (announce, required,
 * requireSSL, plainAuthEnabled), which this module owns.  The block
 * decides when it sets announce or required; requireSSL and
 * plainAuthEnabled apply whatever decides (smtpd.conf(5)).
 */
#ifndef SMTPD_AUTH_H
#define SMTPD_AUTH_H

#include <stdbool.h>

#include "config.h"
#include "module.h"

extern const struct config_module auth_module;

/* Who is offered AUTH on @l: AUTH_FALSE nobody, AUTH_TRUE clients outside
 * authorizedAddresses, AUTH_ANNOUNCE everyone. */
enum auth_mode auth_announce_mode(const struct listener *l);
/* AUTH only under TLS (538 5.7.11 before). */
bool auth_require_ssl(const struct listener *l);
/* PLAIN and LOGIN may be used. */
bool auth_plain_enabled(const struct listener *l);

#endif
