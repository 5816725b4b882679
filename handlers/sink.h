/* sink.h — where an accepted message goes.
 *
 * The session streams the decoded message into every sink of the
 * transaction, then commits them.  A sink handles some of the
 * transaction's targets (the maildir sink the local ones, the spool sink
 * the remote ones, the LMTP client sink the local ones when smtpd hands
 * off to an LMTP server) and reports a status per target, so SMTP can be
 * all-or-nothing and LMTP per recipient.
 */
#ifndef SMTPD_SINK_H
#define SMTPD_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

struct envelope {
	const char *id;			/* message id, for logs */
	const char *sender;		/* "" for the null sender */
	const char *mail_params;	/* ESMTP parameters to keep: "BODY=8BITMIME SMTPUTF8" */
	const struct target_set *targets;
	/* per target: RCPT parameters to keep (RFC 3461 NOTIFY/ORCPT), or
	 * NULL; the array itself may be NULL */
	const char *const *target_params;
	const char *received;		/* our Received: field, CRLF-terminated */
	const char *helo;		/* for sinks that talk SMTP/LMTP onward */
	const char *local_name;		/* our helloName: LHLO to an LMTP server */
	/* LMTP (RFC 2033 §4.2): one target's failure is its own, so open()
	 * fails only when no target can be stored.  SMTP (false): the
	 * message is all or nothing, so a sink may fail at open() as soon
	 * as one of its targets cannot be stored, before 354. */
	bool per_target;
};

struct sink;

struct sink_ops {
	const char *name;
	/* Does this sink take target @t? */
	bool (*wants)(const struct target *t);
	/* Prepare storage for the wanted targets of @env.  0 or -errno. */
	int (*open)(struct sink *s, const struct envelope *env);
	/* Message bytes, dot-unstuffed, CRLF lines.  0 or -errno (latched). */
	int (*write)(struct sink *s, const char *buf, size_t n);
	/* Make every copy durable and visible.  Sets @status[i] (0 or
	 * -errno) for each wanted target i; returns 0 when all succeeded,
	 * else the first error.  Copies that succeeded stay committed. */
	int (*commit)(struct sink *s, int *status);
	/* Withdraw committed copies (all-or-nothing SMTP).  Best effort. */
	void (*rollback)(struct sink *s);
	/* Drop everything not committed and free the sink's state. */
	void (*close)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	const struct envelope *env;
	void *priv;
	int error;			/* first write error, latched */
};

struct config;

/* Local maildirs, from config->mailboxes. */
extern const struct sink_ops maildir_sink_ops;
/* The outgoing spool: one batch SMTP file (RFC 2442) per message. */
extern const struct sink_ops spool_sink_ops;

/* Sinks read their settings from here (set once per process). */
void sink_configure(const struct config *cfg);
const struct config *sink_config(void);

#endif
