/* address.c — RFC 5321 §4.1.2 paths.  See address.h.
 *
 *   Reverse-path = Path / "<>"
 *   Forward-path = Path / "<Postmaster>"   (§4.1.1.3, no domain)
 *   Path         = "<" [ A-d-l ":" ] Mailbox ">"
 *   A-d-l        = At-domain *( "," At-domain )   ; source route: ignored
 *   Mailbox      = Local-part "@" ( Domain / address-literal )
 *   Local-part   = Dot-string / Quoted-string
 *   Dot-string   = Atom *("." Atom)
 *   Quoted-string = DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE
 *   qtextSMTP    = %d32-33 / %d35-91 / %d93-126
 *   quoted-pairSMTP = %d92 %d32-126
 * RFC 6531 §3.3 adds UTF8-non-ascii to atext, qtextSMTP and sub-domain.
 */
#include "address.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_atext(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Length of the well-formed UTF-8 sequence at @s (RFC 3629), 0 if bad. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n > avail)
		return 0;
	cp = s[0] & (0x3f >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
	    || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool literal_valid(const char *s, size_t len)
{
	char buf[DOMAIN_MAX + 1];

	if (len < 3 || s[0] != '[' || s[len - 1] != ']' || len - 2 >= sizeof(buf) || memchr(s, '\0', len))
		return false;
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0) {
		unsigned char a6[16];

		return inet_pton(AF_INET6, buf + 5, a6) == 1;
	}
	if (isdigit((unsigned char)buf[0])) {
		unsigned char a4[4];

		return inet_pton(AF_INET, buf, a4) == 1;
	}
	/* General-address-literal = Standardized-tag ":" 1*dcontent, and
	 * "Standardized-tag MUST be specified in a Standards-Track RFC and
	 * registered with IANA": the Address Literal Tags registry holds
	 * "IPv6" alone, handled above.  dcontent (%d33-90 / %d94-126) admits
	 * "(", ")" and ";", which open a comment or end the clause in the
	 * Received: field a HELO literal is copied into ("EHLO
	 * [x:a);by(evil.example;]"): an unregistered tag is refused. */
	return false;
}

bool domain_valid(const char *s, size_t len, unsigned flags)
{
	size_t label = 0;

	if (len == 0 || len > DOMAIN_MAX)
		return false;
	if (s[0] == '[')
		return (flags & DOM_LITERAL) && literal_valid(s, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			/* no empty label, none ending in '-' */
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (c >= 0x80) {
			size_t n;

			if (!(flags & DOM_UTF8) || !(n = utf8_seq((const unsigned char *)s + i, len - i)))
				return false;
			i += n - 1;
			label += n;
		} else if (isalnum(c) || (c == '_' && (flags & DOM_UNDERSCORE))) {
			label++;
		} else if (c == '-' && label > 0) {
			label++;
		} else {
			return false;
		}
		if (label > 63)
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Parse Mailbox at @p up to @end; fill @mb.  Lengths are wire lengths. */
static enum addr_result parse_mailbox(const char *p, const char *end, struct mailbox *mb)
{
	const char *at;
	size_t n = 0;

	if (p >= end)
		return ADDR_SYNTAX;
	if (*p == '"') {
		/* Quoted-string: unquote into mb->local */
		const char *q = p + 1;

		mb->quoted = true;
		for (;; q++) {
			unsigned char c;

			if (q >= end)
				return ADDR_SYNTAX;
			c = (unsigned char)*q;
			if (c == '"')
				break;
			if (c == '\\') {
				q++;
				if (q >= end || *q < 32 || *q > 126)
					return ADDR_SYNTAX;
				c = (unsigned char)*q;
			} else if (c >= 0x80) {
				size_t k = utf8_seq((const unsigned char *)q, (size_t)(end - q));

				if (!k || n + k >= sizeof(mb->local))
					return k ? ADDR_TOO_LONG : ADDR_SYNTAX;
				memcpy(mb->local + n, q, k);
				n += k;
				q += k - 1;
				mb->utf8 = true;
				continue;
			} else if (c < 32 || c > 126) {
				return ADDR_SYNTAX;
			}
			if (n + 1 >= sizeof(mb->local))
				return ADDR_TOO_LONG;
			mb->local[n++] = (char)c;
		}
		at = q + 1;
		if (at >= end || *at != '@')
			return ADDR_SYNTAX;
		if ((size_t)(at - p) > LOCAL_PART_MAX)
			return ADDR_TOO_LONG;
	} else {
		/* Dot-string */
		const char *q;
		bool dot_ok = false;

		for (q = p; q < end && *q != '@'; q++) {
			unsigned char c = (unsigned char)*q;

			if (c == '.') {
				if (!dot_ok)
					return ADDR_SYNTAX;
				dot_ok = false;
			} else if (c >= 0x80) {
				size_t k = utf8_seq((const unsigned char *)q, (size_t)(end - q));

				if (!k)
					return ADDR_SYNTAX;
				q += k - 1;
				mb->utf8 = true;
				dot_ok = true;
			} else if (is_atext(c)) {
				dot_ok = true;
			} else {
				return ADDR_SYNTAX;
			}
		}
		if (q >= end || !dot_ok)
			return ADDR_SYNTAX;	/* no '@', empty, or ends in '.' */
		n = (size_t)(q - p);
		if (n > LOCAL_PART_MAX)
			return ADDR_TOO_LONG;
		memcpy(mb->local, p, n);
		at = q;
	}
	mb->local[n] = '\0';
	at++;
	n = (size_t)(end - at);
	if (n > DOMAIN_MAX)
		return ADDR_TOO_LONG;
	if (!domain_valid(at, n, DOM_LITERAL | DOM_UTF8))
		return ADDR_SYNTAX;
	memcpy(mb->domain, at, n);
	mb->domain[n] = '\0';
	mb->literal = at[0] == '[';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)at[i] >= 0x80)
			mb->utf8 = true;
	lower(mb->domain);
	return ADDR_OK;
}

/* Skip an A-d-l source route "@a,@b:" (RFC 5321 §4.1.2, Appendix C: "MUST
 * accept, SHOULD ignore").  Returns the position after ':' or @p itself. */
static const char *skip_route(const char *p, const char *end, bool *bad)
{
	const char *q = p;

	*bad = false;
	if (q >= end || *q != '@')
		return p;
	while (q < end && *q == '@') {
		const char *s = ++q;

		while (q < end && *q != ',' && *q != ':')
			q++;
		if (q >= end || !domain_valid(s, (size_t)(q - s), DOM_LITERAL))
			break;
		if (*q == ':')
			return q + 1;
		q++;	/* past ',' */
	}
	*bad = true;
	return p;
}

enum addr_result address_parse_path(const char *arg, enum addr_kind kind,
				    bool brackets_required,
				    struct mailbox *mb, const char **params_r)
{
	const char *p = arg, *open, *close, *q;
	enum addr_result r;
	bool bad;

	memset(mb, 0, sizeof(*mb));
	*params_r = "";
	while (*p == ' ')
		p++;
	if (*p != '<') {
		if (brackets_required)
			return *p ? ADDR_NO_BRACKETS : ADDR_SYNTAX;
		/* Bare mailbox up to the first space. */
		for (q = p; *q && *q != ' '; q++)
			;
		if (q == p)
			return ADDR_SYNTAX;
		if ((size_t)(q - p) > PATH_MAX_SMTP)
			return ADDR_TOO_LONG;
		if (kind == ADDR_FORWARD && (size_t)(q - p) == 10
		    && strncasecmp(p, "postmaster", 10) == 0) {
			mb->bare_postmaster = true;
			strcpy(mb->local, "postmaster");
			r = ADDR_OK;
		} else {
			r = parse_mailbox(p, q, mb);
		}
		close = q - 1;
	} else {
		open = p;
		close = strchr(open, '>');
		if (!close)
			return ADDR_SYNTAX;
		if ((size_t)(close - open + 1) > PATH_MAX_SMTP)
			return ADDR_TOO_LONG;
		p = open + 1;
		if (p == close) {
			if (kind != ADDR_REVERSE)
				return ADDR_SYNTAX;
			mb->null = true;
			r = ADDR_OK;
		} else if (kind == ADDR_FORWARD && close - p == 10
			   && strncasecmp(p, "postmaster", 10) == 0) {
			mb->bare_postmaster = true;
			strcpy(mb->local, "postmaster");
			r = ADDR_OK;
		} else {
			p = skip_route(p, close, &bad);
			if (bad)
				return ADDR_SYNTAX;
			/* A '>' inside a quoted local part ends nothing: find
			 * the real closing bracket after the quotes. */
			if (*p == '"') {
				const char *e = p + 1;

				while (*e && *e != '"') {
					if (*e == '\\' && e[1])
						e++;
					e++;
				}
				if (!*e || !(close = strchr(e, '>')))
					return ADDR_SYNTAX;
				if ((size_t)(close - open + 1) > PATH_MAX_SMTP)
					return ADDR_TOO_LONG;
			}
			r = parse_mailbox(p, close, mb);
		}
	}
	if (r != ADDR_OK)
		return r;
	q = close + 1;
	if (*q && *q != ' ')
		return ADDR_PARAM_SYNTAX;
	while (*q == ' ')
		q++;
	*params_r = q;
	return ADDR_OK;
}

enum addr_result address_parse_mailbox(const char *text, struct mailbox *mb)
{
	size_t n = strlen(text);

	memset(mb, 0, sizeof(*mb));
	if (n > PATH_MAX_SMTP)
		return ADDR_TOO_LONG;
	return parse_mailbox(text, text + n, mb);
}

static bool dot_string(const char *s)
{
	bool dot_ok = false;

	for (; *s; s++) {
		if (*s == '.') {
			if (!dot_ok)
				return false;
			dot_ok = false;
		} else if (is_atext((unsigned char)*s) || (unsigned char)*s >= 0x80) {
			dot_ok = true;
		} else {
			return false;
		}
	}
	return dot_ok;
}

void mailbox_format(const struct mailbox *mb, char *buf, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (mb->null)
		return;
	if (mb->bare_postmaster) {
		snprintf(buf, size, "%s", mb->local);
		return;
	}
	if (dot_string(mb->local)) {
		snprintf(buf, size, "%s@%s", mb->local, mb->domain);
		return;
	}
	/* Re-quote (RFC 5321 §4.1.2: quoted-pairSMTP for '"' and '\'). */
	buf[n++] = '"';
	for (const char *s = mb->local; *s && n + 3 < size; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	if (n + 1 < size)
		buf[n++] = '"';
	buf[n] = '\0';
	snprintf(buf + n, size - n, "@%s", mb->domain);
}

const char *address_next_param(const char *p, char *key, size_t keysize,
			       char *value, size_t valuesize, bool *has_value_r)
{
	size_t n = 0;

	*has_value_r = false;
	value[0] = '\0';
	/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	if (!isalnum((unsigned char)*p))
		return NULL;
	while (isalnum((unsigned char)*p) || *p == '-') {
		if (n + 1 >= keysize)
			return NULL;
		key[n++] = (char)toupper((unsigned char)*p++);
	}
	key[n] = '\0';
	if (*p == '=') {
		/* esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 allowed (RFC 6531) */
		p++;
		n = 0;
		while (*p && *p != ' ') {
			unsigned char c = (unsigned char)*p;

			if (c == '=' || (c < 33) || c == 127 || n + 1 >= valuesize)
				return NULL;
			value[n++] = *p++;
		}
		if (n == 0)
			return NULL;
		value[n] = '\0';
		*has_value_r = true;
	}
	if (*p && *p != ' ')
		return NULL;
	while (*p == ' ')
		p++;
	return p;
}
