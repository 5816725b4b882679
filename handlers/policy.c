/* policy.c — see policy.h. */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "userdb.h"

/* RFC 5321 §2.4: only the destination may fold a local part's case; a
 * remote one is compared exactly, its domain (after the last '@') without
 * case. */
static size_t domain_at(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? (size_t)(at - addr) : strlen(addr);
}

static bool same_target(const struct target *t, const char *addr, bool local)
{
	size_t d;

	if (t->local != local)
		return false;
	if (local)
		return strcasecmp(t->addr, addr) == 0;
	d = domain_at(addr);
	return domain_at(t->addr) == d && strncmp(t->addr, addr, d) == 0
		&& strcasecmp(t->addr + d, addr + d) == 0;
}

/* FNV-1a over the normalized address. */
static size_t target_hash(const char *addr, bool local)
{
	size_t d = local ? 0 : domain_at(addr);
	uint32_t h = local ? 2166136261u : 2166136261u ^ 0x5bd1e995u;

	for (size_t i = 0; addr[i]; i++) {
		unsigned char c = (unsigned char)addr[i];

		h = (h ^ (i >= d ? (unsigned char)tolower(c) : c)) * 16777619u;
	}
	return h;
}

static size_t target_max(const struct target_set *set)
{
	return set->max ? set->max : ALIAS_MAX_TARGETS;
}

/* The slot holding @addr, or the free slot where it goes. */
static size_t slot_find(const struct target_set *set, const char *addr, bool local)
{
	size_t mask = set->nslot - 1, i = target_hash(addr, local) & mask;

	while (set->slot[i] && !same_target(&set->v[set->slot[i] - 1], addr, local))
		i = (i + 1) & mask;
	return i;
}

/* Rebuild the slots for v[0..n) in a table of @nslot (a power of 2, more
 * than twice n): on growth and after a truncation. */
static bool slots_rebuild(struct target_set *set, size_t nslot)
{
	unsigned *slot = nslot == set->nslot ? set->slot : calloc(nslot, sizeof(*slot));

	if (!slot)
		return false;
	if (slot == set->slot)
		memset(slot, 0, nslot * sizeof(*slot));
	else
		free(set->slot);
	set->slot = slot;
	set->nslot = nslot;
	for (size_t k = 0; k < set->n; k++)
		set->slot[slot_find(set, set->v[k].addr, set->v[k].local)] = (unsigned)k + 1;
	return true;
}

bool target_set_add(struct target_set *set, const char *addr, bool local)
{
	size_t i;

	if (set->nslot && set->slot[i = slot_find(set, addr, local)])
		return true;
	if (set->n >= target_max(set))
		return false;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 4;
		struct target *v;

		if (cap > target_max(set))
			cap = target_max(set);
		v = realloc(set->v, cap * sizeof(*v));
		if (!v)
			return false;
		set->v = v;
		set->cap = cap;
	}
	if (2 * (set->n + 1) > set->nslot) {
		/* load at most 1/2: probes stay short */
		size_t nslot = set->nslot ? set->nslot : 8;

		while (2 * (set->n + 1) > nslot)
			nslot *= 2;
		if (!slots_rebuild(set, nslot))
			return false;
	}
	i = slot_find(set, addr, local);
	snprintf(set->v[set->n].addr, sizeof(set->v[set->n].addr), "%s", addr);
	set->v[set->n].local = local;
	set->slot[i] = (unsigned)++set->n;
	return true;
}

void target_set_truncate(struct target_set *set, size_t n)
{
	if (n >= set->n)
		return;
	set->n = n;
	if (set->nslot)
		slots_rebuild(set, set->nslot);	/* same size: cannot fail */
}

void target_set_clear(struct target_set *set)
{
	set->n = 0;
	if (set->nslot)
		memset(set->slot, 0, set->nslot * sizeof(*set->slot));
}

void target_set_free(struct target_set *set)
{
	free(set->v);
	free(set->slot);
	set->v = NULL;
	set->slot = NULL;
	set->n = set->cap = set->nslot = 0;
}

bool policy_lookup_name(const struct mailbox *mb, bool strip_tag, char *buf, size_t size)
{
	size_t n = strlen(mb->local);
	const char *plus = strip_tag ? strchr(mb->local, '+') : NULL;
	int w;

	if (plus && plus != mb->local)
		n = (size_t)(plus - mb->local);
	w = snprintf(buf, size, "%.*s@%s", (int)n, mb->local, mb->domain);
	if (w < 0 || (size_t)w >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	return true;
}

struct expansion {
	const struct config *cfg;
	const struct aliases *al;
	struct userdb_index *users;
	struct target_set *out;
	const char *path[ALIAS_MAX_DEPTH + 1];	/* aliases being expanded */
	unsigned depth;
	bool loop, full, tempfail;
};

static bool on_path(const struct expansion *x, const char *name)
{
	for (unsigned i = 0; i < x->depth; i++)
		if (strcasecmp(x->path[i], name) == 0)
			return true;
	return false;
}

static bool resolve(struct expansion *x, const struct mailbox *mb);

/* The mailbox @name ("user@domain") if the users file has it. */
static bool add_user(struct expansion *x, const char *name)
{
	const char *at = strrchr(name, '@');
	bool local = at && config_is_local_domain(x->cfg, at + 1);
	int rc = x->users ? userdb_lookup(x->users, x->cfg->users, name, local)
		: userdb_find(x->cfg->users, name, local, NULL, 0);

	if (rc > 0) {
		if (!target_set_add(x->out, name, true))
			x->full = true;
		return true;
	}
	if (rc < 0)
		x->tempfail = true;
	return false;
}

/* Expand an alias's target list. */
static bool expand(struct expansion *x, const char *name, const char *targets)
{
	char *copy = strdup(targets), *save = NULL, *tok;
	bool any = false;

	if (!copy) {
		x->tempfail = true;
		return false;
	}
	x->path[x->depth++] = name;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct mailbox t;
		char text[ADDR_TEXT_MAX];

		tok = aliases_target_trim(tok);
		if (!*tok || address_parse_mailbox(tok, &t) != ADDR_OK)
			continue;	/* reported by --check */
		if (!config_is_local_domain(x->cfg, t.domain)) {
			mailbox_format(&t, text, sizeof(text));
			if (!target_set_add(x->out, text, false))
				x->full = true;
			any = true;
			continue;
		}
		if (!policy_lookup_name(&t, false, text, sizeof(text)))
			continue;
		if (on_path(x, text)) {
			/* "a: a, b" keeps a copy in a's own mailbox, as in
			 * Postfix; a longer cycle with no mailbox is a loop. */
			if (add_user(x, text))
				any = true;
			else
				x->loop = true;
			continue;
		}
		if (x->depth >= ALIAS_MAX_DEPTH) {
			x->loop = true;
			continue;
		}
		if (resolve(x, &t))
			any = true;
	}
	x->depth--;
	free(copy);
	return any;
}

static bool resolve(struct expansion *x, const struct mailbox *mb)
{
	char full[ADDR_TEXT_MAX], base[ADDR_TEXT_MAX];
	const char *targets;

	if (!policy_lookup_name(mb, false, full, sizeof(full))
	    || !policy_lookup_name(mb, true, base, sizeof(base)))
		return false;
	targets = aliases_get(x->al, full);
	if (targets)
		return expand(x, full, targets);
	if (strcmp(full, base) != 0 && (targets = aliases_get(x->al, base)))
		return expand(x, base, targets);
	return add_user(x, base);
}

enum resolve_result policy_resolve(const struct config *cfg, const struct aliases *al,
				   struct userdb_index *users, const struct mailbox *mb,
				   struct target_set *out)
{
	struct expansion x = { .cfg = cfg, .al = al, .users = users, .out = out };
	struct mailbox pm;
	bool postmaster = mb->bare_postmaster || strcasecmp(mb->local, "postmaster") == 0;
	bool found;

	if (mb->bare_postmaster) {
		/* <Postmaster> (RFC 5321 §4.1.1.3): the first local domain's. */
		pm = *mb;
		snprintf(pm.domain, sizeof(pm.domain), "%s", cfg->ndomains ? cfg->domains[0] : "localhost");
		mb = &pm;
	}
	found = resolve(&x, mb);
	if (x.tempfail)
		return RESOLVE_TEMPFAIL;
	if (x.full)
		return RESOLVE_TOO_MANY;
	if (found)
		return RESOLVE_OK;
	if (postmaster) {
		/* RFC 5321 §4.5.1: postmaster must always be accepted; with
		 * no alias or user for it, the mailbox postmaster of the
		 * first local domain. */
		char name[ADDR_TEXT_MAX];

		snprintf(name, sizeof(name), "postmaster@%s", cfg->ndomains ? cfg->domains[0] : "localhost");
		return target_set_add(out, name, true) ? RESOLVE_OK : RESOLVE_TOO_MANY;
	}
	return x.loop ? RESOLVE_LOOP : RESOLVE_UNKNOWN;
}

enum relay_verdict policy_relay(bool authorized_peer, bool authenticated, bool auth_offered)
{
	if (authorized_peer || authenticated)
		return RELAY_OK;
	return auth_offered ? RELAY_NEED_AUTH : RELAY_DENIED;
}
