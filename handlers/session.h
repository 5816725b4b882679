/* session.h — one SMTP or LMTP session on one connection.
 *
 * One engine for both protocols: the listener's protocol decides HELO/EHLO
 * or LHLO, and one reply or one reply per recipient after DATA.  The
 * dispatcher checks command order and the TLS/AUTH gates in one place;
 * handlers never repeat those checks.
 */
#ifndef SMTPD_SESSION_H
#define SMTPD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "address.h"
#include "config.h"
#include "conn.h"
#include "dsn.h"
#include "netmatch.h"
#include "policy.h"
#include "reply.h"
#include "userdb.h"

/* RFC 5321 §4.5.3.1.4: 512 octets including CRLF; RFC 4954 §4: AUTH
 * lines up to 12288 octets. */
#define COMMAND_LINE_MAX 512
#define AUTH_LINE_MAX 12288
/* Conformance S15 */
#define ERROR_BUDGET 10
/* Conformance A3: the third failed AUTH closes the connection. */
#define AUTH_MAX_FAILURES 3

enum state {
	ST_CONNECTED,		/* greeting sent, no HELO yet */
	ST_READY,		/* after HELO/EHLO/LHLO, no transaction */
	ST_MAIL,		/* MAIL accepted, no recipient yet */
	ST_RCPT,		/* at least one recipient accepted */
	ST_CLOSING,		/* QUIT, 421 or fatal error: leave the loop */
};

const char *state_name(enum state st);

struct rcpt {
	char addr[ADDR_TEXT_MAX];	/* as given in RCPT */
	char dsn[DSN_PARAMS_MAX];	/* RFC 3461 NOTIFY/ORCPT, canonical; "" when none */
	size_t first_target;		/* its targets in txn.targets */
	size_t ntargets;
};

/* One mail transaction: reset by RSET, HELO/EHLO/LHLO, STARTTLS and the
 * end of DATA. */
struct transaction {
	struct mailbox from;
	char from_text[ADDR_TEXT_MAX];
	/* kept for the spool: BODY=8BITMIME SMTPUTF8 RET=.. ENVID=.. */
	char params[DSN_PARAMS_MAX + 64];
	bool smtputf8;
	struct rcpt *rcpts;
	size_t nrcpt, rcpt_cap;
	unsigned rcpt_attempts;
	struct target_set targets;
};

struct session {
	enum listener_proto proto;
	enum state state;
	const struct config *cfg;
	const struct listener *lst;
	struct conn *conn;
	struct netaddr peer;
	char peer_text[64];		/* "192.0.2.1" or "unknown" */
	bool trusted;			/* peer in authorizedAddresses */
	char helo[DOMAIN_MAX + 1];
	bool esmtp;
	bool tls_active;
	char tls_info[128];		/* "TLS1.3 ..." for Received */
	char auth_user[ADDR_TEXT_MAX];	/* "" unless authenticated */
	const char *auth_mech;		/* its SASL mechanism, or NULL */
	/* The ESMTP parameters of the MAIL or RCPT command whose hooks run,
	 * as the client sent them (milters get them); "" otherwise. */
	const char *cmd_params;
	unsigned errors;
	unsigned auth_failures;
	unsigned commands;
	char id[16];			/* connection id, in every log line */
	unsigned ntxn;
	struct aliases aliases;
	bool aliases_loaded;
	struct userdb_index users;	/* the users file, read once (RCPT) */
	struct transaction txn;
	struct target_set pending;	/* targets of the RCPT being checked */
	struct chain_run *chain;	/* the handlers' state (chain.c) */
	char line[AUTH_LINE_MAX + 1];
};

/* Initialise for a connection on @conn from @peer.  Generates the id. */
void session_init(struct session *s, const struct config *cfg,
		  const struct listener *lst, struct conn *conn,
		  const struct netaddr *peer);
/* Run the dialogue until QUIT, EOF, timeout or a closing reply. */
void session_run(struct session *s);
void session_finish(struct session *s);

/* Predicates shared by the EHLO keyword list and the gates, so what is
 * advertised cannot drift from what is enforced. */
bool session_offers_starttls(const struct session *s);
bool session_offers_auth(const struct session *s);
bool session_offers_dsn(const struct session *s);

/* Send a reply from the table; for RP_GREETING etc. the text is built by
 * the caller with session_reply_text(). */
void session_reply(struct session *s, enum reply_id id);
void session_reply_text(struct session *s, enum reply_id id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ValidRcptHandler's work: resolve @to into s->pending, or say why not. */
enum reply_id session_valid_rcpt(struct session *s, const struct mailbox *to);

/* Resolve the peer of fd 0: getpeername, else $REMOTE_ADDR, else
 * $TCPREMOTEIP, else unknown (trusted for nothing). */
void session_peer_from_fd(int fd, struct netaddr *peer_r);
/* The peer is @peer from now on: its text, and whether it is in
 * authorizedAddresses (a load balancer's PROXY header names it, see
 * proxy-accept.h). */
void session_set_peer(struct session *s, const struct netaddr *peer);

#endif
