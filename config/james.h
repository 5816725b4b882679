/* james.h — translate Apache James' XML configuration into smtpd.conf.
 *
 * Reads smtpserver.xml, lmtpserver.xml, domainlist.xml, dnsservice.xml
 * and mailetcontainer.xml's RemoteDelivery (James 2's config.xml too)
 * with libxml2, in any order: each file is recognised by its elements.  Both layouts are understood: options under <handler>
 * (James 2 and early 3.x: connectBacklog, helloName autodetect=...) and
 * options directly under <smtpserver> (James 3: connectionBacklog,
 * connectiontimeout, <auth><announce>).  What cannot be carried over is
 * reported as "FILE:LINE: warning: ..." with what to do instead.
 */
#ifndef SMTPD_JAMES_H
#define SMTPD_JAMES_H

#include <stddef.h>
#include <stdio.h>

/* Global keys James keeps elsewhere (usersrepository, mailbox store):
 * NULL writes the smtpd.conf defaults. */
struct james_globals {
	const char *users;
	const char *aliases;
	const char *mailboxes;
	const char *spool;
};

/* Translate @files into a configuration written to @out; warnings and
 * errors go to @err.  Returns 0 (warnings do not fail), -EINVAL when a
 * file is not well-formed XML or holds no James listener or domain list
 * (reported), -ENOENT/-errno when a file cannot be read. */
int james_translate(const char *const *files, size_t nfiles,
		    const struct james_globals *g, FILE *out, FILE *err);

#endif
