/* policy.h — who may send to whom: recipient resolution and relay policy.
 *
 * A recipient whose domain is in `domains` is local: it must resolve,
 * through the aliases file and the users file, to at least one mailbox (or
 * to remote addresses an alias forwards to).  Anything else is relay, and
 * only trusted clients relay.  Decisions are made on the parsed mailbox,
 * never on raw text, so address tricks (percent hack, bang paths, source
 * routes, quoted local parts) cannot turn a local address into a relay or
 * a relay into a local one.
 */
#ifndef SMTPD_POLICY_H
#define SMTPD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "address.h"

struct config;
struct aliases;
struct userdb_index;

/* An address as text: local part (quoted if needed) @ domain. */
#define ADDR_TEXT_MAX (LOCAL_PART_MAX * 2 + DOMAIN_MAX + 8)

/* Bounds on alias expansion (Postfix: 1000 recipients, depth 100; we keep
 * depth small: chains longer than this are configuration mistakes). */
#define ALIAS_MAX_DEPTH 10
#define ALIAS_MAX_TARGETS 1000

struct target {
	char addr[ADDR_TEXT_MAX];	/* local: "user@domain" lower-case, no +tag */
	bool local;
};

/* The targets in the order added (v[0..n)), de-duplicated through an
 * open-addressing hash over the normalized address (local: all lower
 * case; remote: the local part exact, the domain lower case), so adding
 * costs the same whatever the set holds.  Both arrays grow geometrically
 * up to the bound: @max targets, ALIAS_MAX_TARGETS when 0. */
struct target_set {
	struct target *v;
	size_t n, cap;
	size_t max;		/* bound on n; 0: ALIAS_MAX_TARGETS */
	unsigned *slot;		/* index + 1 into v, 0 free; nslot a power of 2 */
	size_t nslot;
};

enum resolve_result {
	RESOLVE_OK,
	RESOLVE_UNKNOWN,	/* no such user: 550 5.1.1 */
	RESOLVE_LOOP,		/* aliases loop with no mailbox: 550 5.1.1, logged */
	RESOLVE_TOO_MANY,	/* expansion over ALIAS_MAX_TARGETS */
	RESOLVE_TEMPFAIL,	/* users file unreadable: 451 4.3.0 */
};

/* Resolve the local recipient @mb (domain local, or bare postmaster) into
 * @out (appending, without duplicates).  postmaster always resolves.
 * Users are looked up through @users (userdb_lookup: the file read once
 * per session) or, when it is NULL, by a scan of the file. */
enum resolve_result policy_resolve(const struct config *cfg, const struct aliases *al,
				   struct userdb_index *users, const struct mailbox *mb,
				   struct target_set *out);

/* Add one target unless already present.  Returns false when full (or
 * out of memory). */
bool target_set_add(struct target_set *set, const char *addr, bool local);
/* Drop the targets from index @n on (the ones added last). */
void target_set_truncate(struct target_set *set, size_t n);
void target_set_clear(struct target_set *set);
void target_set_free(struct target_set *set);

/* "local@domain" for lookups: local part lower-cased, +tag removed when
 * @strip_tag.  Returns false when it does not fit. */
bool policy_lookup_name(const struct mailbox *mb, bool strip_tag, char *buf, size_t size);

enum relay_verdict { RELAY_OK, RELAY_DENIED, RELAY_NEED_AUTH };

/* Relay to a non-local domain: allowed for authorized addresses and
 * authenticated clients; otherwise 530 when AUTH is on offer (the client
 * can fix it), else 550 5.7.1. */
enum relay_verdict policy_relay(bool authorized_peer, bool authenticated, bool auth_offered);

#endif
