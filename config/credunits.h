/* credunits.h — which TLS keys a systemd unit hands a session as a
 * credential (LoadCredential=), for smtpd --check --user: such a key is
 * read by systemd as root, so the service user need not read it.
 *
 * The rule (smtpd(8), smtpd-config(8)): listener NAME's privateKey is a
 * credential when some template unit *@.service in systemd's unit
 * directories ($SYSTEMD_UNIT_PATH, colon separated, when set) runs
 * "-s NAME" (or --server=NAME) in its ExecStart= and, in the unit file or
 * one of its NAME@.service.d/ *.conf drop-ins, has
 * LoadCredential=ID[:PATH] with ID the key's file name (what the session
 * looks up in $CREDENTIALS_DIRECTORY).  An empty LoadCredential= in a
 * later drop-in cancels it, as in systemd. */
#ifndef SMTPD_CREDUNITS_H
#define SMTPD_CREDUNITS_H

#include <stdbool.h>
#include <stddef.h>

/* Whether a unit loads @key for @listener; its file name in @unit. */
bool credential_unit(const char *listener, const char *key, char *unit, size_t unitsize);

#endif
