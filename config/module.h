/* module.h — configuration blocks owned by the module that uses them.
 *
 * config.c parses the core keys of smtpd.conf(5): the global ones, and in
 * each listener bind, tls { } and the James handler { } keys the engine
 * itself uses.  Everything else is a module: a handlerchain handler
 * (DNSRBLHandler, MilterHandler, ...), a listener feature whose keys sit in
 * the smtpserver block (PROXY: proxyRequired, ...), a block inside
 * handler { } (auth { }), or a top-level block (dnsservice { },
 * remoteDelivery { }).
 *
 * A module declares its libconfuse option table, checks its values and
 * converts them into settings of its own type, which only it reads.
 * config.c knows the places a module can hang its options on and nothing
 * of what they mean; the one list of modules is config_modules[] in
 * modules.c (adding a handler: its file, one line there, its man page
 * section).
 */
#ifndef SMTPD_MODULE_H
#define SMTPD_MODULE_H

#include <confuse.h>
#include <stdbool.h>
#include <stddef.h>

enum module_place {
	/* handlerchain { handler "NAME" { options } }: the title names the
	 * module, once per chain (a second block of the same title is a
	 * FILE:LINE error: libconfuse would merge the two silently); a module
	 * that may run several times takes a list (MilterHandler's socket). */
	MODULE_CHAIN,
	/* options directly in smtpserver/lmtpserver "NAME" { }, as James
	 * puts <proxyRequired> beside <bind>: the table is merged into the
	 * listener section, so names must not clash with core keys (a unit
	 * test checks). */
	MODULE_SERVER,
	/* a block NAME { options } in the listener's handler { } */
	MODULE_HANDLER,
	/* a top-level block NAME { options } */
	MODULE_GLOBAL,
};

struct config;

/* What parse() may look at besides its own section. */
struct module_ctx {
	const char *file;		/* the configuration file */
	bool resolve;			/* host names may be resolved */
	bool deep;			/* --check: open and parse files named */
	const struct config *cfg;	/* core keys already converted (global
					 * and listener core fields are set) */
	const char *listener;		/* its name; NULL for MODULE_GLOBAL */
	bool lmtp;			/* the listener is an lmtpserver */
};

struct config_module {
	const char *name;
	enum module_place place;
	/* CFG_END()-terminated; may be NULL for a chain handler without
	 * options.  Use CFGF_NODEFAULT or defaults freely: parse() sees
	 * the section after libconfuse applied them. */
	cfg_opt_t *opts;
	/* Check @sec and convert it.  For MODULE_SERVER @sec is the whole
	 * listener section (read only your own keys); for a block that is
	 * absent from the file, @sec is libconfuse's default section, so
	 * parse() always runs and settings always exist.  Report problems
	 * with config_error()/config_warn() and return -EINVAL after an
	 * error; otherwise 0 and *@settings_r (which may stay NULL). */
	int (*parse)(cfg_t *sec, const struct module_ctx *ctx, void **settings_r);
	void (*free)(void *settings);	/* NULL-safe; may be NULL */
};

/* Every module, NULL-terminated (modules.c). */
extern const struct config_module *const config_modules[];

/* Diagnostics with the file and line of @sec, or of option @opt in it
 * when @opt is not NULL: "FILE:LINE: message". */
void config_error(cfg_t *sec, const char *opt, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void config_warn(cfg_t *sec, const char *opt, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Where a file the configuration names is read from (a TLS key, a
 * password, a policy): $CREDENTIALS_DIRECTORY/BASENAME when that exists
 * (systemd's LoadCredential=; "smtpd-config units" writes
 * LoadCredential=key.pem:/etc/smtpd/tls/key.pem, so the file can stay
 * readable by root only), else @name itself, a relative one beside the
 * configuration file @conf.  Allocated; NULL when out of memory. */
char *config_file_path(const char *name, const char *conf);

/* The settings a module made for a listener or for the whole file; NULL
 * when it made none.  (Chain handlers are reached through the
 * listener's chain, in order.) */
struct listener;
const void *config_listener_settings(const struct listener *l, const struct config_module *m);
const void *config_global_settings(const struct config *cfg, const struct config_module *m);

#endif
