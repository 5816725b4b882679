/* relaytest.h — `smtpd-config relaytest`: try the open-relay tricks
 * against a running server, as an outside client, and (with --auth)
 * check that an authenticated client may relay.  See smtpd-config(8).
 *
 * The SMTP client is smtpd-relay's (relay/client.c over handlers/conn.c,
 * TLS through handlers/tls.c): no second client.
 */
#ifndef SMTPD_RELAYTEST_H
#define SMTPD_RELAYTEST_H

/* Exit status, as documented in smtpd-config(8). */
#define RELAYTEST_OPEN 1		/* a foreign recipient was accepted */
#define RELAYTEST_AUTH_FAILED 2		/* --auth: the authenticated path does not relay */

/* argv[0] is "relaytest".  Returns the exit status. */
int relaytest_main(int argc, char **argv);

#endif
