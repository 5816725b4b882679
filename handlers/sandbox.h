/* sandbox.h — a session confines itself once its configuration is loaded.
 *
 * Before the first byte from the client is read, smtpd and lmtpd give up
 * what a session never needs, in this order:
 *
 *   1. no_new_privs (prctl): nothing executed later could gain privileges
 *      (and the two steps below need it when not root);
 *   2. capabilities: a non-root process keeps none (AmbientCapabilities=
 *      and inherited sets are cleared);
 *   3. Landlock (the file system): read only the system libraries (GnuTLS
 *      and the NSS modules are dlopen()ed later), the few /etc files libc
 *      and GnuTLS read, the users and aliases files, this listener's TLS
 *      files and $CREDENTIALS_DIRECTORY; write only the mail store (the
 *      mailboxes template up to its first %), the spool and the directory
 *      of the TLS ticketKey; execute nothing; bind no TCP port; signal and
 *      reach abstract UNIX sockets of no process outside the sandbox;
 *   4. seccomp: a fixed allow-list of the system calls a session makes;
 *      socket() only for AF_UNIX, AF_INET and AF_INET6 (LMTP hand-off,
 *      DNS, journald, filters); anything else fails with EPERM.
 *
 * This is what the systemd units' mount-namespace options protected, for
 * microseconds instead of the tens of milliseconds a new mount namespace
 * per connection costs (bench/RESULTS.md).  Best effort: on a kernel
 * without Landlock (or with ABI 1, which cannot allow the cross-directory
 * link of a maildir delivery) or without seccomp the session goes on and
 * says once, in its log, what it could not apply.
 */
#ifndef SMTPD_SANDBOX_H
#define SMTPD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* What sandbox_enter() managed to apply. */
struct sandbox_state {
	bool no_new_privs;
	int landlock_abi;	/* 0: not applied */
	bool seccomp;
};

/* The paths a session of @lst may use.  Fixed-size tables of pointers
 * into @cfg, static strings or @buf; no I/O.  Exposed for the tests. */
#define SANDBOX_MAX_PATHS 48
struct sandbox_paths {
	const char *read[SANDBOX_MAX_PATHS];	/* read-only, files or trees */
	size_t nread;
	const char *write[SANDBOX_MAX_PATHS];	/* read-write trees */
	size_t nwrite;
	char buf[3][4096];			/* derived directories */
};

void sandbox_paths(const struct config *cfg, const struct listener *lst,
		   struct sandbox_paths *p);

/* Confine the calling process for a session of @lst.  Returns 0 when
 * everything was applied, -EOPNOTSUPP when the kernel lacked a part
 * (logged; the rest is applied), -errno on another failure (logged).
 * @st_r (may be NULL) says what was applied. */
int sandbox_enter(const struct config *cfg, const struct listener *lst,
		  struct sandbox_state *st_r);

#endif
