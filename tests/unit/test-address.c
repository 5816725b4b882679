/* test-address.c — paths, mailboxes, domains and parameters
 * (handlers/address.h): RFC 5321 §4.1.2, §4.1.3, §4.5.3.1, RFC 6531 §3.3.
 */
#include "address.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

enum { R = ADDR_REVERSE, F = ADDR_FORWARD };
/* flags expected on the parsed mailbox */
enum { NUL = 1, PM = 2, QUO = 4, LIT = 8, U8 = 16 };

static const char *addr_result_name(enum addr_result r)
{
	switch (r) {
	case ADDR_OK: return "OK";
	case ADDR_NO_BRACKETS: return "NO_BRACKETS";
	case ADDR_SYNTAX: return "SYNTAX";
	case ADDR_TOO_LONG: return "TOO_LONG";
	case ADDR_PARAM_SYNTAX: return "PARAM_SYNTAX";
	}
	return "?";
}

struct path_case {
	const char *arg;
	int kind;
	bool brackets;
	enum addr_result want;
	const char *local, *domain;	/* checked on ADDR_OK */
	unsigned flags;
	const char *params;
};

static const struct path_case paths[] = {
	/* plain forms */
	{ "<user@example.org>", F, true, ADDR_OK, "user", "example.org", 0, "" },
	{ "<User.Name+tag@Example.ORG>", F, true, ADDR_OK, "User.Name+tag", "example.org", 0, "" },
	{ "  <user@example.org>", R, true, ADDR_OK, "user", "example.org", 0, "" },
	{ "<a@b>", R, true, ADDR_OK, "a", "b", 0, "" },
	{ "<a%b@c>", F, true, ADDR_OK, "a%b", "c", 0, "" },
	{ "<b!a@c>", F, true, ADDR_OK, "b!a", "c", 0, "" },
	{ "<!#$%&'*+-/=?^_`{|}~@x.example>", F, true, ADDR_OK, "!#$%&'*+-/=?^_`{|}~", "x.example", 0, "" },
	{ "<a.b.c@x>", F, true, ADDR_OK, "a.b.c", "x", 0, "" },
	{ "<a@sub.domain.test>", F, true, ADDR_OK, "a", "sub.domain.test", 0, "" },
	{ "<a@xn--bcher-kva.example>", F, true, ADDR_OK, "a", "xn--bcher-kva.example", 0, "" },
	{ "<a@127.0.0.1>", F, true, ADDR_OK, "a", "127.0.0.1", 0, "" },

	/* null path and postmaster (RFC 5321 §4.1.1.2, §4.1.1.3) */
	{ "<>", R, true, ADDR_OK, "", "", NUL, "" },
	{ "<>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<> SIZE=5", R, true, ADDR_OK, "", "", NUL, "SIZE=5" },
	{ "<Postmaster>", F, true, ADDR_OK, "postmaster", "", PM, "" },
	{ "<postmaster>", F, true, ADDR_OK, "postmaster", "", PM, "" },
	{ "<POSTMASTER> NOTIFY=NEVER", F, true, ADDR_OK, "postmaster", "", PM, "NOTIFY=NEVER" },
	{ "<Postmaster>", R, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "Postmaster", F, false, ADDR_OK, "postmaster", "", PM, "" },
	{ "<postmaster@Example.org>", F, true, ADDR_OK, "postmaster", "example.org", 0, "" },
	{ "<postmasterx>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },

	/* source routes: accepted and ignored (RFC 5321 §4.1.2, App. C) */
	{ "<@a,@b:u@c>", F, true, ADDR_OK, "u", "c", 0, "" },
	{ "<@relay.example:u@c.example>", F, true, ADDR_OK, "u", "c.example", 0, "" },
	{ "<@[1.2.3.4],@b.example:u@c>", F, true, ADDR_OK, "u", "c", 0, "" },
	{ "<@a,b:u@c>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<@:u@c>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<@a,@b u@c>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<@a..b:u@c>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<@a:>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },

	/* quoted local parts */
	{ "<\"a@b\"@x>", F, true, ADDR_OK, "a@b", "x", QUO, "" },
	{ "<\"a\\\"b\"@x>", F, true, ADDR_OK, "a\"b", "x", QUO, "" },
	{ "<\"a\\\\b\"@x>", F, true, ADDR_OK, "a\\b", "x", QUO, "" },
	{ "<\"a b\"@x>", F, true, ADDR_OK, "a b", "x", QUO, "" },
	{ "<\"a>b\"@x> SIZE=1", F, true, ADDR_OK, "a>b", "x", QUO, "SIZE=1" },
	{ "<\"\"@x>", F, true, ADDR_OK, "", "x", QUO, "" },
	{ "<\"abc\"@x>", F, true, ADDR_OK, "abc", "x", QUO, "" },
	{ "<@r:\"a b\"@x>", F, true, ADDR_OK, "a b", "x", QUO, "" },
	{ "<\"a\\\x01\"@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\"a\x01\"@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\"a\tb\"@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\"unterminated@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\"a\"b@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\"a\"@>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },

	/* dot-string and domain syntax */
	{ "<a..b@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<.a@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a.@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@x.>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@example.org.>", R, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@.x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@x..y>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@-x.y>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@x-.y>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@x_y.z>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@b@c>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a b@c>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a(b)@c>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<<a@b>>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@b", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "   ", R, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "", F, false, ADDR_SYNTAX, NULL, NULL, 0, NULL },

	/* address literals (RFC 5321 §4.1.3) */
	{ "<a@[1.2.3.4]>", F, true, ADDR_OK, "a", "[1.2.3.4]", LIT, "" },
	{ "<a@[IPv6:::1]>", F, true, ADDR_OK, "a", "[ipv6:::1]", LIT, "" },
	{ "<a@[IPv6:2001:db8::1]>", F, true, ADDR_OK, "a", "[ipv6:2001:db8::1]", LIT, "" },
	{ "<a@[IPv6:::ffff:1.2.3.4]>", F, true, ADDR_OK, "a", "[ipv6:::ffff:1.2.3.4]", LIT, "" },
	/* General-address-literal: only IANA-registered tags, i.e. IPv6 */
	{ "<a@[x-tag:content]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[x:a);by(evil.example;]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[1.2.3]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[1.2.3.256]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[1.2.3.4.5]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[IPv6:::g]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[IPv6:1.2.3.4]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[::1]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[foo]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[:x]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[tag:]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[1.2.3.4>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@1.2.3.4]>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@[1.2.3.4].x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },

	/* UTF-8 (RFC 6531 §3.3): flagged; malformed sequences rejected */
	{ "<\xc3\xbcser@example.org>", F, true, ADDR_OK, "\xc3\xbcser", "example.org", U8, "" },
	{ "<u@b\xc3\xbc" "cher.example>", F, true, ADDR_OK, "u", "b\xc3\xbc" "cher.example", U8, "" },
	{ "<\"\xc3\xa9 x\"@x>", F, true, ADDR_OK, "\xc3\xa9 x", "x", U8 | QUO, "" },
	{ "<\xe2\x82\xac.\xf0\x9f\x98\x80@x>", F, true, ADDR_OK, "\xe2\x82\xac.\xf0\x9f\x98\x80", "x", U8, "" },
	{ "<\xc3(@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\xc0\xaf@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\xe0\x80\xaf@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\xed\xa0\x80@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\xf4\x90\x80\x80@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\xff@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\x80@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<u@\xc3x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<\"\xc3\"@x>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "<u@x\xe2\x82>", F, true, ADDR_SYNTAX, NULL, NULL, 0, NULL },

	/* brackets required or not (addressBracketsEnforcement) */
	{ "user@example.org", F, true, ADDR_NO_BRACKETS, NULL, NULL, 0, NULL },
	{ "user@example.org", R, true, ADDR_NO_BRACKETS, NULL, NULL, 0, NULL },
	{ "user@example.org", F, false, ADDR_OK, "user", "example.org", 0, "" },
	{ " user@example.org SIZE=10", R, false, ADDR_OK, "user", "example.org", 0, "SIZE=10" },
	{ "<user@example.org>", F, false, ADDR_OK, "user", "example.org", 0, "" },
	{ "user@", F, false, ADDR_SYNTAX, NULL, NULL, 0, NULL },
	{ "user", R, false, ADDR_SYNTAX, NULL, NULL, 0, NULL },

	/* parameters after the path */
	{ "<a@b> SIZE=100 BODY=8BITMIME", R, true, ADDR_OK, "a", "b", 0, "SIZE=100 BODY=8BITMIME" },
	{ "<a@b>   X", F, true, ADDR_OK, "a", "b", 0, "X" },
	{ "<a@b>   ", F, true, ADDR_OK, "a", "b", 0, "" },
	{ "<a@b>X", F, true, ADDR_PARAM_SYNTAX, NULL, NULL, 0, NULL },
	{ "<a@b>>", F, true, ADDR_PARAM_SYNTAX, NULL, NULL, 0, NULL },
	{ "<>SIZE=1", R, true, ADDR_PARAM_SYNTAX, NULL, NULL, 0, NULL },
};

static void check_path(const char *label, const struct path_case *c)
{
	struct mailbox mb;
	const char *params = NULL;
	enum addr_result r = address_parse_path(c->arg, (enum addr_kind)c->kind, c->brackets, &mb, &params);
	unsigned flags = (mb.null ? NUL : 0) | (mb.bare_postmaster ? PM : 0) | (mb.quoted ? QUO : 0)
		| (mb.literal ? LIT : 0) | (mb.utf8 ? U8 : 0);

	if (r != c->want || c->want != ADDR_OK) {
		is_str(addr_result_name(r), addr_result_name(c->want), "%s: %s", label,
		       addr_result_name(c->want));
		return;
	}
	ok(strcmp(mb.local, c->local) == 0 && strcmp(mb.domain, c->domain) == 0 && flags == c->flags
	   && params && strcmp(params, c->params) == 0 && params >= c->arg
	   && params <= c->arg + strlen(c->arg),
	   "%s: OK, local/domain/flags/params", label);
	if (strcmp(mb.local, c->local) || strcmp(mb.domain, c->domain) || flags != c->flags
	    || !params || strcmp(params, c->params)) {
		is_str(mb.local, c->local, "  local");
		is_str(mb.domain, c->domain, "  domain");
		is_int(flags, c->flags, "  flags");
		is_str(params, c->params, "  params");
	}
}

static void escaped_label(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s && o + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 32 && c < 127)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	buf[o] = '\0';
}

static void path_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		char label[256], esc[200];

		escaped_label(paths[i].arg, esc, sizeof(esc));
		snprintf(label, sizeof(label), "path '%s' (%s%s)", esc,
			 paths[i].kind == R ? "MAIL" : "RCPT",
			 paths[i].brackets ? "" : ", brackets optional");
		check_path(label, &paths[i]);
	}
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* A valid domain of exactly @len octets: labels of 63 and dots. */
static char *domain_of(size_t len)
{
	char *s = repeat('d', len);

	for (size_t i = 63; i < len; i += 64)
		s[i] = '.';
	if (len > 2 && s[len - 1] == '.') {
		s[len - 1] = 'd';
		s[len - 2] = '.';
	}
	return s;
}

/* RFC 5321 §4.5.3.1.1-3: local part 64, domain 255, path 256 octets. */
static void lengths(void)
{
	char *l64 = repeat('l', 64), *l65 = repeat('l', 65), *q62 = repeat('q', 62), *q63 = repeat('q', 63);
	char *lab63 = repeat('a', 63), *lab64 = repeat('a', 64);
	char *d189 = domain_of(189), *d190 = domain_of(190), *d255 = domain_of(255), *d256 = domain_of(256);
	char buf[1024];
	struct mailbox mb;
	const char *params;

	ok(domain_valid(d189, strlen(d189), 0) && domain_valid(d255, 255, 0),
	   "test domains of 189 and 255 octets are valid");
	ok(!domain_valid(d256, 256, 0), "domain of 256 octets invalid");
	ok(domain_valid(lab63, 63, 0), "label of 63 octets valid");
	ok(!domain_valid(lab64, 64, 0), "label of 64 octets invalid");

	snprintf(buf, sizeof(buf), "<%s@x>", l64);
	is_int(address_parse_path(buf, ADDR_FORWARD, true, &mb, &params), ADDR_OK, "local part of 64 octets");
	is_int(strlen(mb.local), 64, "  kept whole");
	snprintf(buf, sizeof(buf), "<%s@x>", l65);
	is_int(address_parse_path(buf, ADDR_FORWARD, true, &mb, &params), ADDR_TOO_LONG, "local part of 65 octets: TOO_LONG");
	snprintf(buf, sizeof(buf), "<\"%s\"@x>", q62);
	is_int(address_parse_path(buf, ADDR_FORWARD, true, &mb, &params), ADDR_OK, "quoted local part of 64 octets with quotes");
	snprintf(buf, sizeof(buf), "<\"%s\"@x>", q63);
	is_int(address_parse_path(buf, ADDR_FORWARD, true, &mb, &params), ADDR_TOO_LONG, "quoted local part of 65 octets: TOO_LONG");
	snprintf(buf, sizeof(buf), "%s@x", l65);
	is_int(address_parse_mailbox(buf, &mb), ADDR_TOO_LONG, "mailbox with 65-octet local part: TOO_LONG");

	snprintf(buf, sizeof(buf), "<u@%s.%s>", lab63, lab63);
	is_int(address_parse_path(buf, ADDR_FORWARD, true, &mb, &params), ADDR_OK, "domain with 63-octet labels");
	snprintf(buf, sizeof(buf), "<u@%s.x>", lab64);
	is_int(address_parse_path(buf, ADDR_FORWARD, true, &mb, &params), ADDR_SYNTAX, "domain with a 64-octet label: SYNTAX");

	snprintf(buf, sizeof(buf), "<%s@%s>", l64, d189);
	is_int(strlen(buf), 256, "(path of 256 octets built)");
	is_int(address_parse_path(buf, ADDR_FORWARD, true, &mb, &params), ADDR_OK, "path of 256 octets");
	snprintf(buf, sizeof(buf), "<%s@%s>", l64, d190);
	is_int(address_parse_path(buf, ADDR_FORWARD, true, &mb, &params), ADDR_TOO_LONG, "path of 257 octets: TOO_LONG");
	snprintf(buf, sizeof(buf), "<\"%s\"@%s>", q62, d190);
	is_int(address_parse_path(buf, ADDR_FORWARD, true, &mb, &params), ADDR_TOO_LONG, "quoted path of 259 octets: TOO_LONG");
	snprintf(buf, sizeof(buf), "%s@%s", l64, d190);
	is_int(address_parse_path(buf, ADDR_FORWARD, false, &mb, &params), ADDR_OK, "bare mailbox of 255 octets");
	snprintf(buf, sizeof(buf), "%s@%s.dd", l64, d190);
	is_int(address_parse_path(buf, ADDR_FORWARD, false, &mb, &params), ADDR_TOO_LONG, "bare mailbox of 258 octets: TOO_LONG");
	snprintf(buf, sizeof(buf), "u@%s", d255);
	is_int(address_parse_mailbox(buf, &mb), ADDR_TOO_LONG, "mailbox with a 255-octet domain (257 in all): TOO_LONG");
	snprintf(buf, sizeof(buf), "u@%s", d256);
	is_int(address_parse_mailbox(buf, &mb), ADDR_TOO_LONG, "mailbox with a 256-octet domain: TOO_LONG");

	free(l64);
	free(l65);
	free(q62);
	free(q63);
	free(lab63);
	free(lab64);
	free(d189);
	free(d190);
	free(d255);
	free(d256);
}

static void mailboxes(void)
{
	static const struct {
		const char *text;
		enum addr_result want;
		const char *local, *domain;
	} rows[] = {
		{ "alice@example.org", ADDR_OK, "alice", "example.org" },
		{ "Alice@EXAMPLE.org", ADDR_OK, "Alice", "example.org" },
		{ "\"a b\"@x", ADDR_OK, "a b", "x" },
		{ "a@[10.0.0.1]", ADDR_OK, "a", "[10.0.0.1]" },
		{ "<a@b>", ADDR_SYNTAX, NULL, NULL },
		{ "@a:b@c", ADDR_SYNTAX, NULL, NULL },
		{ "alice", ADDR_SYNTAX, NULL, NULL },
		{ "alice@", ADDR_SYNTAX, NULL, NULL },
		{ "", ADDR_SYNTAX, NULL, NULL },
		{ "a@b c", ADDR_SYNTAX, NULL, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct mailbox mb;
		enum addr_result r = address_parse_mailbox(rows[i].text, &mb);

		if (rows[i].want != ADDR_OK || r != ADDR_OK)
			is_str(addr_result_name(r), addr_result_name(rows[i].want), "mailbox '%s': %s",
			       rows[i].text, addr_result_name(rows[i].want));
		else
			ok(strcmp(mb.local, rows[i].local) == 0 && strcmp(mb.domain, rows[i].domain) == 0,
			   "mailbox '%s': local '%s', domain '%s'", rows[i].text, rows[i].local, rows[i].domain);
	}
}

enum { NONE = 0, LT = DOM_LITERAL, UT = DOM_UTF8, US = DOM_UNDERSCORE, HELO = DOM_LITERAL | DOM_UNDERSCORE };

static void domains(void)
{
	static const struct {
		const char *s;
		unsigned flags;
		bool want;
	} rows[] = {
		/* conformance S5: EHLO arguments refused */
		{ "bad value", HELO, false },
		{ "localhost)", HELO, false },
		{ "127.0.0.1/24", HELO, false },
		{ "sub..bad", HELO, false },
		{ "[]", HELO, false },
		/* conformance S6: accepted */
		{ "good", HELO, true },
		{ "sub.domain.test", HELO, true },
		{ "127.0.0.1", HELO, true },
		{ "[127.0.0.1]", HELO, true },
		{ "[IPv6:::1]", HELO, true },
		{ "7kO2OrE", HELO, true },
		/* flags */
		{ "my_host", NONE, false },
		{ "my_host", US, true },
		{ "[127.0.0.1]", NONE, false },
		{ "[127.0.0.1]", UT | US, false },
		{ "b\xc3\xbc" "cher.de", NONE, false },
		{ "b\xc3\xbc" "cher.de", UT, true },
		{ "b\xc3\xbc" "cher.de", HELO, false },
		{ "b\xc3(cher.de", UT, false },
		{ "\xc3\xbc", UT, true },
		/* LDH rules */
		{ "a", NONE, true },
		{ "a-b.c", NONE, true },
		{ "a--b.c", NONE, true },
		{ "xn--bcher-kva.example", NONE, true },
		{ "-a", NONE, false },
		{ "a-", NONE, false },
		{ "a-.b", NONE, false },
		{ "a.-b", NONE, false },
		{ "a.", NONE, false },
		{ "example.org.", NONE, false },
		{ ".a", NONE, false },
		{ ".", NONE, false },
		{ "", NONE, false },
		{ "a b", NONE, false },
		{ "a\tb", NONE, false },
		{ "a/b", NONE, false },
		{ "a:b", NONE, false },
		{ "a@b", NONE, false },
		/* literals */
		{ "[1.2.3.4]", LT, true },
		{ "[IPv6:2001:db8::1]", LT, true },
		{ "[ipv6:::1]", LT, true },
		{ "[x-tag:content]", LT, false },	/* tag not registered */
		{ "[x:a);by(evil.example;]", LT, false },
		{ "[IPv6:::1);by(x]", LT, false },
		{ "[1.2.3]", LT, false },
		{ "[01.2.3.4]", LT, false },
		{ "[1.2.3.4", LT, false },
		{ "[1.2.3.4]x", LT, false },
		{ "[IPv6:zz::1]", LT, false },
		{ "[IPv6:]", LT, false },
		{ "[tag:con[tent]", LT, false },
		{ "[tag:con tent]", LT, false },
		{ "[ta g:x]", LT, false },
		{ "[", LT, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char esc[128];

		escaped_label(rows[i].s, esc, sizeof(esc));
		ok(domain_valid(rows[i].s, strlen(rows[i].s), rows[i].flags) == rows[i].want,
		   "domain_valid('%s', %s%s%s) is %s", esc,
		   rows[i].flags & DOM_LITERAL ? "LITERAL " : "",
		   rows[i].flags & DOM_UTF8 ? "UTF8 " : "",
		   rows[i].flags & DOM_UNDERSCORE ? "UNDERSCORE" : "",
		   rows[i].want ? "valid" : "invalid");
	}
	/* the length argument, not the NUL, bounds the check */
	ok(domain_valid("example.org junk", 11, 0), "domain_valid honours the length");
	ok(!domain_valid("example.", 8, 0), "domain_valid: trailing dot within the length");
}

static void params(void)
{
	static const struct {
		const char *in;
		const char *key, *value;	/* key NULL: syntax error */
		bool has_value;
		const char *rest;
	} rows[] = {
		{ "SIZE=100", "SIZE", "100", true, "" },
		{ "size=100 BODY=8BITMIME", "SIZE", "100", true, "BODY=8BITMIME" },
		{ "SMTPUTF8", "SMTPUTF8", "", false, "" },
		{ "SMTPUTF8   AUTH=<>", "SMTPUTF8", "", false, "AUTH=<>" },
		{ "AUTH=<>", "AUTH", "<>", true, "" },
		{ "X-Foo-1=bar", "X-FOO-1", "bar", true, "" },
		{ "ENVID=\xc3\xa9t\xc3\xa9", "ENVID", "\xc3\xa9t\xc3\xa9", true, "" },
		{ "RET=HDRS ", "RET", "HDRS", true, "" },
		{ "=x", NULL, NULL, false, NULL },
		{ "-X", NULL, NULL, false, NULL },
		{ "", NULL, NULL, false, NULL },
		{ " SIZE=1", NULL, NULL, false, NULL },
		{ "SIZE=", NULL, NULL, false, NULL },
		{ "SIZE= 1", NULL, NULL, false, NULL },
		{ "SIZE=1=2", NULL, NULL, false, NULL },
		{ "SIZE=1\x01", NULL, NULL, false, NULL },
		{ "SIZE=1\t", NULL, NULL, false, NULL },
		{ "SIZE=1\x7f", NULL, NULL, false, NULL },
		{ "SIZ\xc3\xa9=1", NULL, NULL, false, NULL },
		{ "SIZE:1", NULL, NULL, false, NULL },
		{ "ABCDEFGHIJKLMNOPQ", NULL, NULL, false, NULL },	/* key over keysize */
		{ "V=0123456789abcdef", NULL, NULL, false, NULL },	/* value over valuesize */
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char key[16] = "junk", value[16] = "junk", esc[64];
		bool has = true;
		const char *rest = address_next_param(rows[i].in, key, sizeof(key), value, sizeof(value), &has);

		escaped_label(rows[i].in, esc, sizeof(esc));
		if (!rows[i].key) {
			ok(rest == NULL, "param '%s': syntax error", esc);
			continue;
		}
		ok(rest && strcmp(key, rows[i].key) == 0 && strcmp(value, rows[i].value) == 0
		   && has == rows[i].has_value && strcmp(rest, rows[i].rest) == 0,
		   "param '%s': %s%s%s, then '%s'", esc, rows[i].key, rows[i].has_value ? "=" : "",
		   rows[i].has_value ? rows[i].value : "", rows[i].rest);
	}

	/* walking a parameter list as the session does */
	{
		const char *p = "SIZE=1000 body=8BITMIME  SMTPUTF8";
		char key[32], value[32], seen[128] = "";
		bool has;
		unsigned n = 0;

		while (p && *p) {
			p = address_next_param(p, key, sizeof(key), value, sizeof(value), &has);
			if (!p)
				break;
			n++;
			strcat(seen, key);
			strcat(seen, has ? "=" : "");
			strcat(seen, value);
			strcat(seen, ";");
		}
		ok(p && n == 3, "param list: three parameters");
		is_str(seen, "SIZE=1000;BODY=8BITMIME;SMTPUTF8;", "param list: keys upper-cased, values kept");
	}
}

/* mailbox_format, and parsing its output gives the same mailbox. */
static void formatting(void)
{
	static const struct {
		const char *path;
		int kind;
		const char *want;
	} rows[] = {
		{ "<user@example.org>", F, "user@example.org" },
		{ "<User.Name@EXAMPLE.Org>", F, "User.Name@example.org" },
		{ "<@a,@b:u@c>", F, "u@c" },
		{ "<\"abc\"@x>", F, "abc@x" },
		{ "<\"a b\"@x>", F, "\"a b\"@x" },
		{ "<\"a@b\"@x>", F, "\"a@b\"@x" },
		{ "<\"a\\\"b\"@x>", F, "\"a\\\"b\"@x" },
		{ "<\"a\\\\b\"@x>", F, "\"a\\\\b\"@x" },
		{ "<\"a..b\"@x>", F, "\"a..b\"@x" },
		{ "<\".a\"@x>", F, "\".a\"@x" },
		{ "<\"a.\"@x>", F, "\"a.\"@x" },
		{ "<\"\"@x>", F, "\"\"@x" },
		{ "<\"\\a\"@x>", F, "a@x" },
		{ "<\"a>b\"@x>", F, "\"a>b\"@x" },
		{ "<\xc3\xbcser@x>", F, "\xc3\xbcser@x" },
		{ "<a@[IPv6:::1]>", F, "a@[ipv6:::1]" },
		{ "<a@[1.2.3.4]>", F, "a@[1.2.3.4]" },
		{ "<>", R, "" },
		{ "<Postmaster>", F, "postmaster" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct mailbox mb, again;
		const char *params;
		char buf[512], esc[128];

		escaped_label(rows[i].path, esc, sizeof(esc));
		if (address_parse_path(rows[i].path, (enum addr_kind)rows[i].kind, true, &mb, &params) != ADDR_OK) {
			ok(false, "format '%s': parses", esc);
			continue;
		}
		mailbox_format(&mb, buf, sizeof(buf));
		is_str(buf, rows[i].want, "format '%s'", esc);
		if (mb.null || mb.bare_postmaster)
			continue;
		ok(address_parse_mailbox(buf, &again) == ADDR_OK && strcmp(again.local, mb.local) == 0
		   && strcmp(again.domain, mb.domain) == 0,
		   "format '%s': output parses back to the same mailbox", esc);
	}

	/* a short buffer truncates, always terminated, never overflows */
	{
		struct mailbox mb;
		const char *params;
		char small[6];

		address_parse_path("<\"a b c d\"@example.org>", ADDR_FORWARD, true, &mb, &params);
		memset(small, 'X', sizeof(small));
		mailbox_format(&mb, small, sizeof(small));
		ok(memchr(small, '\0', sizeof(small)) != NULL, "format into 6 octets: terminated");
		address_parse_path("<user@example.org>", ADDR_FORWARD, true, &mb, &params);
		memset(small, 'X', sizeof(small));
		mailbox_format(&mb, small, sizeof(small));
		is_str(small, "user@", "format plain into 6 octets: truncated");
		mailbox_format(&mb, small, 0);
		ok(small[0] == 'u', "format into 0 octets writes nothing");
	}
}

int main(void)
{
	path_table();
	lengths();
	mailboxes();
	domains();
	params();
	formatting();
	return done();
}
