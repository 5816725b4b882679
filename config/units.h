/* units.h — launchers for the listeners of a configuration: a systemd
 * socket unit and service template per listener (socket activation with
 * Accept=yes, one process per connection), or xinetd service blocks. */
#ifndef SMTPD_UNITS_H
#define SMTPD_UNITS_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

struct launch_opts {
	const char *config;	/* absolute path, passed as -c */
	const char *smtpd;	/* absolute paths of the binaries */
	const char *lmtpd;
	const char *user;	/* the service user and group */
	const char *group;
};

/* Whether @s can appear in a unit file or xinetd line as it is: a
 * conservative set ([A-Za-z0-9/._+:@,=-]) that needs no quoting or
 * specifier escaping. */
bool launch_word_ok(const char *s);

/* Whether listener @l can be launched with @o: its name can name units
 * (NAME.socket, NAME@.service) and every path and bind entry passes
 * launch_word_ok.  0, or -EINVAL with the reason in @why. */
int launch_check(const struct config *cfg, const struct listener *l,
		 const struct launch_opts *o, char *why, size_t whysize);

/* NAME.socket for listener @l. */
void units_write_socket(const struct config *cfg, const struct listener *l,
			const struct launch_opts *o, FILE *out);
/* NAME@.service for listener @l. */
void units_write_service(const struct config *cfg, const struct listener *l,
			 const struct launch_opts *o, FILE *out);

/* Whether @cfg makes smtpd-relay's units: 1 when it has a remoteDelivery
 * block they can be written for (smtpd-relay found beside o->smtpd), 0
 * when it has none, -EINVAL with the reason on @err when the
 * configuration cannot make them. */
int units_relay_check(const struct config *cfg, const struct launch_opts *o, FILE *err);
/* smtpd-relay@suffix, @suffix one of UNITS_RELAY_SUFFIXES; after
 * units_relay_check() said 1. */
#define UNITS_RELAY_SUFFIXES { ".service", ".path", ".timer" }
void units_write_relay(const struct config *cfg, const struct launch_opts *o, const char *suffix, FILE *out);

/* xinetd service blocks for @l, one per TCP bind entry (xinetd listens on
 * one address per service).  Returns the number written; UNIX socket
 * entries are reported on @err and skipped. */
int xinetd_write(const struct config *cfg, const struct listener *l,
		 const struct launch_opts *o, FILE *out, FILE *err);

#endif
