/* relay.h — smtpd-relay's shared state: what one run knows. */
#ifndef SMTPD_RELAY_H
#define SMTPD_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "envelope.h"
#include "journal.h"
#include "remote-delivery.h"
#include "tls-policy.h"

/* Destinations that failed as a whole in this run (connection refused,
 * 421, TLS policy): shared by the forked children (MAP_SHARED), so the
 * other messages for them are deferred without a new connection. */
#define DEAD_MAX 256
struct dead_table {
	unsigned n;
	struct {
		volatile int ready;
		char dest[280];
		char why[300];
	} v[DEAD_MAX];
};

struct relay_ctx {
	const char *config_file;
	const struct config *cfg;
	const struct relay_settings *rs;
	char outgoing[4096];		/* SPOOL/outgoing */
	long long now;			/* the run's clock (--now for tests) */
	bool clock_set;
	char helo[256];
	char smtpd[4096];		/* the smtpd that injects notices */
	const char *log_target;		/* passed on to smtpd */
	struct dead_table *dead;
	char *password;			/* gateway password, NULL when none */
	int mx_port;			/* 25, or SMTPD_RELAY_MX_PORT for tests */
	struct tls_policy tls_policy;	/* tlsPolicyFile, read once a run */
};

/* One message, claimed by this process. */
struct message {
	char name[256];
	int fd;				/* the spool file, flock'ed */
	unsigned long long size;
	struct envelope_file env;
	struct rcpt_status *st;
	struct journal_state js;
	int jfd;
	long long arrival;		/* the file's name: <secs>.... */
};

enum deliver_result { DELIVER_SKIPPED, DELIVER_DONE, DELIVER_DEFERRED, DELIVER_ERROR };

/* Claim and deliver outgoing/{new,cur}/@name; @force: due or not (--once).
 * @from_new: found in new/. */
enum deliver_result deliver_file(struct relay_ctx *ctx, const char *name, bool from_new, bool force);

/* Record an outcome for recipient @idx and fdatasync.  0 or -errno. */
int record(struct relay_ctx *ctx, struct message *m, size_t idx, char kind, int code,
	   const char *enh, const char *host, const char *text);

/* The SMTP dialogue with one destination (deliver.c): gateway or MX. */
void deliver_gateway(struct relay_ctx *ctx, struct message *m, const size_t *idx, size_t n);
void deliver_mx(struct relay_ctx *ctx, struct message *m, const char *domain, const size_t *idx, size_t n);

/* Send the notices due for @m (bounce.c): "failed"/"relayed" when every
 * recipient is final (@final), else "delayed".  1 when a notice went to
 * smtpd (or smtpd refused it for good), 0 when none was due, -errno when
 * smtpd did not take it (try again next run). */
int bounce_send(struct relay_ctx *ctx, struct message *m, bool final);

/* Dead destinations. */
bool dead_lookup(struct relay_ctx *ctx, const char *dest, char *why, size_t size);
void dead_add(struct relay_ctx *ctx, const char *dest, const char *why);

#endif
