/* config.h — the libconfuse configuration (the contract: smtpd.conf(5)).
 *
 * One file, global keys (domains, users, aliases, mailboxes, spool, lmtp)
 * and one block per listener: smtpserver "NAME" { } or lmtpserver "NAME"
 * { }, as <smtpserver>/<lmtpserver> in James' XML.  Loading parses the
 * whole file, validates every value, and reports each problem as
 * "FILE:LINE: message" through a diagnostics callback.
 */
#ifndef SMTPD_CONFIG_H
#define SMTPD_CONFIG_H

/* maxRcptCommands: its upper bound (issue 12: memory stays flat). */
#define RCPT_COMMANDS_MAX 100000

#include <stdbool.h>
#include <stddef.h>

#include "netmatch.h"

enum auth_mode { AUTH_FALSE, AUTH_TRUE, AUTH_ANNOUNCE };

enum listener_proto { PROTO_SMTP, PROTO_LMTP };

struct config_module;

/* One handlerchain entry: a handler (a MODULE_CHAIN module, see
 * handlers/chain.h) and the settings its parse() made of its block. */
struct chain_entry {
	const struct config_module *mod;
	void *settings;
};

struct tls_conf {
	bool socket_tls;	/* implicit TLS (RFC 8314) */
	bool start_tls;		/* STARTTLS (RFC 3207) */
	bool required;		/* MAIL needs TLS first */
	/* PEM files; a relative name is resolved at load time: in
	 * $CREDENTIALS_DIRECTORY (systemd LoadCredential=), else beside
	 * the configuration file. */
	char *certificates;	/* chain, leaf first */
	char *private_key;
	char *secret;
	char *priority;
	char *ticket_key;
};

struct listener {
	char *name;
	enum listener_proto proto;
	bool enabled;
	char **bind;
	size_t nbind;
	long backlog;
	struct tls_conf tls;
	/* handler { } */
	char *hello_name;
	long timeout;		/* seconds */
	long conn_limit;
	long conn_limit_per_ip;
	enum auth_mode auth;
	struct netlist authorized;
	bool verify_identity;
	long max_kb;		/* 0 = unlimited */
	long max_rcpt_commands;	/* RCPT commands per transaction */
	bool helo_enforce;
	bool brackets_enforce;
	char *greeting;		/* NULL or "" = generated */
	struct chain_entry *chain;
	size_t nchain;
	/* MODULE_SERVER and MODULE_HANDLER settings, indexed like
	 * config_modules[] (config_listener_settings()) */
	void **settings;
};

struct config {
	char *file;
	char **domains;		/* lower-cased */
	size_t ndomains;
	char *users;
	char *aliases;
	char *mailboxes;
	char *spool;
	char *lmtp;
	struct listener *listeners;
	size_t nlisteners;
	/* MODULE_GLOBAL settings, indexed like config_modules[]
	 * (config_global_settings()) */
	void **settings;
};

enum diag_level { DIAG_WARNING, DIAG_ERROR };

/* Receives "FILE:LINE: message" (or "FILE: message") lines. */
typedef void diag_fn(void *ctx, enum diag_level level, const char *msg);

/* Load and validate @path.  Returns 0 and *@cfg_r, or -EINVAL after
 * reporting every problem through @diag (-errno when the file cannot be
 * read).  Warnings do not fail the load.  @resolve: resolve host names in
 * authorizedAddresses (false only in tests). */
int config_load(const char *path, bool resolve, diag_fn *diag, void *ctx,
		struct config **cfg_r);
void config_free(struct config *cfg);
/* Make the next config_load() also parse certificates, keys and TLS
 * priority strings (--check; a session pays for that only when it uses
 * TLS). */
void config_check_deep(bool on);
/* Make the next config_load() (that one only) serve one listener (a
 * session): the
 * listener @name of @proto (NULL: every one of @proto) and the global
 * keys are checked as usual; inside any other listener's block no file
 * is looked at, no host name resolved, warnings are dropped and errors
 * become warnings.  The syntax of the whole file is still checked. */
void config_scope(enum listener_proto proto, const char *name);
/* Make the next config_load() (run as root: --check --user) also report,
 * as errors, each file a session reads that @user cannot read (the
 * configuration, users, aliases, certificates, privateKey unless a unit
 * loads it as a credential: credunits.h, ticketKey) and each directory it
 * writes that @user cannot write (mail store, spool, the ticketKey's).
 * NULL: no such check.  0, or -errno with the reason in @why (no such
 * user; not root and not @user). */
int config_check_user(const char *user, char *why, size_t whysize);

/* The listener of @proto named @name, or when @name is NULL the only
 * enabled one.  On failure NULL, and @why holds the reason (with the
 * choices, when there are several). */
const struct listener *config_listener(const struct config *cfg,
				       enum listener_proto proto,
				       const char *name, char *why, size_t whysize);

/* Whether @domain (lower-case, no trailing dot) is one of ours. */
bool config_is_local_domain(const struct config *cfg, const char *domain);

#endif
