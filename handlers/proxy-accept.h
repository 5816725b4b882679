/* proxy-accept.h — a listener behind a load balancer that speaks the
 * PROXY protocol (HAProxy send-proxy / send-proxy-v2).
 *
 * A MODULE_SERVER module: its keys sit in the smtpserver/lmtpserver
 * block, as James puts <proxyRequired> beside <bind>:
 *   proxyRequired = true     every connection starts with a PROXY header
 *                            (James' name; no guessing: the spec forbids it)
 *   proxyFirst = true        the header comes before implicit TLS (James'
 *                            name); false: as the first bytes inside it
 *   proxyTimeout = 5         seconds for the whole header
 *   proxyTrusted = { ... }   the balancers (authorizedAddresses syntax);
 *                            a connection from anyone else is closed
 *
 * proxy_accept() reads exactly the header, nothing after it, and turns
 * the balancer's address into the client's; the session then only knows
 * "the peer is X".  Anything wrong (untrusted peer, malformed, partial or
 * late header) closes the connection without a reply, after one log line.
 */
#ifndef SMTPD_PROXY_ACCEPT_H
#define SMTPD_PROXY_ACCEPT_H

#include <stdbool.h>

#include "conn.h"
#include "module.h"
#include "netmatch.h"
#include "proxy.h"

struct proxy_settings {
	bool required;		/* proxyRequired */
	bool first;		/* proxyFirst */
	long timeout;		/* proxyTimeout, seconds */
	struct netlist trusted;	/* proxyTrusted; empty: any peer */
};

extern const struct config_module proxy_module;

/* The listener's settings when it requires a PROXY header, else NULL. */
const struct proxy_settings *proxy_listener(const struct listener *l);

struct proxy_conn {
	struct netaddr peer;		/* in: the socket's peer; out: the client */
	struct netaddr balancer;	/* the socket's peer */
	struct proxy_header hdr;
};

/* Read the header from @c within proxyTimeout: from the raw socket (before
 * TLS; looking ahead with MSG_PEEK, or reading no more than the parser
 * allows when fd 0 is not a socket), or through @c's transport once TLS
 * is up.  Returns 0 with pc->peer set to the client (unchanged for LOCAL,
 * UNKNOWN and families other than TCP), or -EPERM (untrusted peer),
 * -EPROTO (malformed), -ETIMEDOUT, -ECONNRESET (closed inside the header)
 * or -errno, after logging why. */
int proxy_accept(const struct proxy_settings *ps, struct conn *c, struct proxy_conn *pc);
/* The line that names both the client and the balancer. */
void proxy_log_accepted(const struct proxy_conn *pc);

#endif
