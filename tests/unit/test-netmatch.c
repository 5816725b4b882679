/* test-netmatch.c — authorizedAddresses entries and peer matching
 * (config/netmatch.h), in the forms James' NetMatcher accepts.
 */
#include "netmatch.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tap.h"
#include "testutil.h"

static const char *netparse_name(enum netparse r)
{
	switch (r) {
	case NETPARSE_OK: return "OK";
	case NETPARSE_SYNTAX: return "SYNTAX";
	case NETPARSE_PREFIX: return "PREFIX";
	case NETPARSE_UNRESOLVED: return "UNRESOLVED";
	case NETPARSE_NOMEM: return "NOMEM";
	}
	return "?";
}

static const struct {
	const char *entry;
	enum netparse want;
} parses[] = {
	{ "192.0.2.7", NETPARSE_OK },
	{ "2001:db8::1", NETPARSE_OK },
	{ "127.*", NETPARSE_OK },
	{ "10.1.*.*", NETPARSE_OK },
	{ "10.1.*", NETPARSE_OK },
	{ "*", NETPARSE_OK },
	{ "127.0.0.0/8", NETPARSE_OK },
	{ "127.0.0.0/255.0.0.0", NETPARSE_OK },
	{ "10.0.0.0/0", NETPARSE_OK },
	{ "10.0.0.1/32", NETPARSE_OK },
	{ "2001:db8::/32", NETPARSE_OK },
	{ "::1/128", NETPARSE_OK },
	{ "::ffff:10.0.0.0/104", NETPARSE_OK },
	{ "::ffff:10.0.0.1", NETPARSE_OK },
	/* wildcard syntax */
	{ "10.*.1.*", NETPARSE_SYNTAX },
	{ "1.2.3.4.*", NETPARSE_SYNTAX },
	{ "256.*", NETPARSE_SYNTAX },
	{ "10.**", NETPARSE_SYNTAX },
	{ "10.1.2.3*", NETPARSE_SYNTAX },
	{ "2001:db8::*", NETPARSE_SYNTAX },
	/* addresses */
	{ "", NETPARSE_SYNTAX },
	{ "1.2.3", NETPARSE_SYNTAX },
	{ "1.2.3.256", NETPARSE_SYNTAX },
	{ "2001:db8:::1", NETPARSE_SYNTAX },
	{ "[::1]", NETPARSE_SYNTAX },
	{ "localhost", NETPARSE_SYNTAX },	/* host names only with resolve */
	{ "localhost/8", NETPARSE_SYNTAX },
	/* bad prefixes and masks */
	{ "10.0.0.0/33", NETPARSE_PREFIX },
	{ "10.0.0.0/", NETPARSE_PREFIX },
	{ "10.0.0.0/x", NETPARSE_PREFIX },
	{ "10.0.0.0/8x", NETPARSE_PREFIX },
	{ "10.0.0.0/-1", NETPARSE_PREFIX },
	{ "10.0.0.0/+8", NETPARSE_PREFIX },
	{ "10.0.0.0/99999999999999999999", NETPARSE_PREFIX },
	{ "10.0.0.0/255.0.255.0", NETPARSE_PREFIX },
	{ "10.0.0.0/0.255.255.255", NETPARSE_PREFIX },
	{ "10.0.0.0/255.255.0", NETPARSE_PREFIX },
	{ "2001:db8::/129", NETPARSE_PREFIX },
	{ "::ffff:10.0.0.0/95", NETPARSE_PREFIX },
	{ "::ffff:10.0.0.0/129", NETPARSE_PREFIX },
};

/* One entry, peers that must match and peers that must not. */
static const struct {
	const char *entry;
	const char *yes[5], *no[5];
} matches[] = {
	{ "192.0.2.7", { "192.0.2.7", "::ffff:192.0.2.7" }, { "192.0.2.8", "192.0.2.6", "::192.0.2.7", "2001:db8::1" } },
	{ "2001:db8::1", { "2001:db8::1", "2001:DB8:0:0:0:0:0:1" }, { "2001:db8::2", "192.0.2.1", "::1" } },
	{ "127.*", { "127.0.0.1", "127.255.1.2", "::ffff:127.0.0.5" }, { "128.0.0.1", "126.255.255.255", "::1" } },
	{ "10.1.*.*", { "10.1.0.0", "10.1.200.3" }, { "10.2.0.1", "10.0.255.255", "11.1.0.0" } },
	{ "10.1.*", { "10.1.2.3" }, { "10.11.2.3" } },
	{ "*", { "1.2.3.4", "255.255.255.255" }, { "2001:db8::1", "::1" } },
	{ "127.0.0.0/8", { "127.0.0.1", "127.9.9.9", "::ffff:127.0.0.1" }, { "128.0.0.1", "::1" } },
	{ "192.168.1.0/24", { "192.168.1.0", "192.168.1.255" }, { "192.168.2.1", "192.168.0.255" } },
	{ "192.168.1.128/25", { "192.168.1.128", "192.168.1.200" }, { "192.168.1.127" } },
	{ "10.0.0.1/32", { "10.0.0.1" }, { "10.0.0.0", "10.0.0.2" } },
	{ "0.0.0.0/0", { "1.2.3.4", "::ffff:8.8.8.8" }, { "::1" } },
	{ "172.16.0.0/12", { "172.16.0.1", "172.31.255.255" }, { "172.32.0.0", "172.15.255.255" } },
	{ "192.168.0.0/255.255.0.0", { "192.168.0.1", "192.168.255.254" }, { "192.169.0.1" } },
	{ "10.0.0.0/255.255.255.252", { "10.0.0.3" }, { "10.0.0.4" } },
	{ "2001:db8::/32", { "2001:db8::1", "2001:db8:ffff::1" }, { "2001:db9::1", "2001:db7:ffff::1" } },
	{ "2001:db8:a::/47", { "2001:db8:b::1" }, { "2001:db8:c::1" } },
	{ "::1", { "::1" }, { "127.0.0.1", "::2" } },
	{ "::ffff:10.0.0.0/104", { "10.1.2.3", "::ffff:10.255.0.1" }, { "11.0.0.1" } },
	{ "::ffff:192.0.2.1", { "192.0.2.1" }, { "192.0.2.2" } },
};

static void parse_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(parses); i++) {
		struct netlist l = { 0 };
		enum netparse r = netlist_add(&l, parses[i].entry, false);

		is_str(netparse_name(r), netparse_name(parses[i].want), "parse '%s': %s",
		       parses[i].entry, netparse_name(parses[i].want));
		if (r != NETPARSE_OK && l.n != 0)
			ok(false, "parse '%s': nothing added on failure", parses[i].entry);
		netlist_free(&l);
	}
}

static void match_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(matches); i++) {
		struct netlist l = { 0 };

		if (netlist_add(&l, matches[i].entry, false) != NETPARSE_OK) {
			ok(false, "entry '%s' parses", matches[i].entry);
			continue;
		}
		for (size_t j = 0; j < 5 && matches[i].yes[j]; j++) {
			struct netaddr a;

			ok(netaddr_parse(matches[i].yes[j], &a) && netlist_match(&l, &a),
			   "'%s' matches %s", matches[i].entry, matches[i].yes[j]);
		}
		for (size_t j = 0; j < 5 && matches[i].no[j]; j++) {
			struct netaddr a;

			ok(netaddr_parse(matches[i].no[j], &a) && !netlist_match(&l, &a),
			   "'%s' does not match %s", matches[i].entry, matches[i].no[j]);
		}
		netlist_free(&l);
	}
}

/* Peers as getpeername() gives them: a raw IPv6-mapped address must be
 * folded by netlist_match itself. */
static void raw_peers(void)
{
	struct netlist l = { 0 };
	struct netaddr raw = { .family = AF_INET6 }, unknown = { 0 }, v6;

	netlist_add(&l, "127.0.0.0/8", false);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", raw.addr);
	ok(netlist_match(&l, &raw), "raw ::ffff:127.0.0.1 peer matches 127.0.0.0/8");
	ok(raw.family == AF_INET6, "matching does not modify the peer");
	netaddr_fold_mapped(&raw);
	ok(raw.family == AF_INET && memcmp(raw.addr, "\x7f\0\0\x01", 4) == 0
	   && memcmp(raw.addr + 4, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0,
	   "netaddr_fold_mapped gives 127.0.0.1, rest zeroed");
	netaddr_parse("::1", &v6);
	netaddr_fold_mapped(&v6);
	ok(v6.family == AF_INET6, "::1 is not folded");

	netlist_add(&l, "*", false);
	netlist_add(&l, "::/0", false);
	ok(!netlist_match(&l, &unknown), "unknown peer (family 0) never matches, not even * or ::/0");
	netlist_free(&l);

	ok(!netlist_match(&l, &raw), "empty list matches nothing");
	netlist_free(&l);
	netlist_free(NULL);
	ok(true, "netlist_free is NULL-safe and idempotent");
}

static void many_entries(void)
{
	struct netlist l = { 0 };
	struct netaddr a;
	char buf[32];
	unsigned bad = 0;

	for (unsigned i = 0; i < 100; i++) {
		snprintf(buf, sizeof(buf), "10.%u.0.0/16", i);
		if (netlist_add(&l, buf, false) != NETPARSE_OK)
			bad++;
	}
	is_int(bad, 0, "100 entries added");
	is_int(l.n, 100, "list holds 100 ranges");
	netaddr_parse("10.99.3.4", &a);
	ok(netlist_match(&l, &a), "the last of 100 entries matches");
	netaddr_parse("10.100.3.4", &a);
	ok(!netlist_match(&l, &a), "outside all 100 entries");
	netlist_free(&l);
}

static void formatting(void)
{
	struct netaddr a, unknown = { 0 };
	char buf[64];

	netaddr_parse("192.0.2.1", &a);
	netaddr_format(&a, buf, sizeof(buf));
	is_str(buf, "192.0.2.1", "format IPv4");
	netaddr_parse("2001:DB8:0::1", &a);
	netaddr_format(&a, buf, sizeof(buf));
	is_str(buf, "2001:db8::1", "format IPv6, canonical");
	netaddr_parse("::ffff:10.0.0.1", &a);
	netaddr_format(&a, buf, sizeof(buf));
	is_str(buf, "10.0.0.1", "mapped address formats as IPv4");
	netaddr_format(&unknown, buf, sizeof(buf));
	is_str(buf, "unknown", "family 0 formats as unknown");
	a = (struct netaddr){ .family = AF_UNIX };
	netaddr_format(&a, buf, sizeof(buf));
	is_str(buf, "local", "a UNIX socket peer formats as local");
	ok(!netaddr_parse("not-an-address", &a) && a.family == 0, "netaddr_parse rejects text, family 0");
}

/* Host names resolve at load: "localhost/8" covers 127.0.0.0/8 through
 * the host's 127.0.0.1 (its IPv6 ::1, if any, is taken exactly). */
static void resolved(void)
{
	struct netlist l = { 0 };
	struct netaddr a;
	enum netparse r = netlist_add(&l, "localhost/8", true);

	is_str(netparse_name(r), "OK", "localhost/8 resolves");
	netaddr_parse("127.0.0.5", &a);
	ok(netlist_match(&l, &a), "localhost/8 matches 127.0.0.5");
	netaddr_parse("128.0.0.1", &a);
	ok(!netlist_match(&l, &a), "localhost/8 does not match 128.0.0.1");
	netaddr_parse("::2", &a);
	ok(!netlist_match(&l, &a), "localhost/8 does not widen to IPv6 ::/8");
	netlist_free(&l);

	r = netlist_add(&l, "localhost", true);
	netaddr_parse("127.0.0.1", &a);
	ok(r == NETPARSE_OK && netlist_match(&l, &a), "localhost (no prefix) matches 127.0.0.1");
	netaddr_parse("127.0.0.5", &a);
	ok(!netlist_match(&l, &a), "localhost (no prefix) is exact: not 127.0.0.5");
	netlist_free(&l);

	is_str(netparse_name(netlist_add(&l, "bad_name!", true)), "SYNTAX", "a non-hostname is SYNTAX even with resolve");
	is_str(netparse_name(netlist_add(&l, "localhost/33x", true)), "PREFIX", "bad prefix on a host name");
	is_int(l.n, 0, "nothing added by failed entries");
	netlist_free(&l);
}

int main(void)
{
	parse_table();
	match_table();
	raw_peers();
	many_entries();
	formatting();
	resolved();
	return done();
}
