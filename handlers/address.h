/* address.h — RFC 5321 §4.1.2 paths, mailboxes and parameters.
 *
 * Pure: no I/O, no globals.  The session decides what a result means; this
 * module only says what the text is.  What relay policy looks at is the
 * parsed mailbox (local part, domain), never the raw text.
 */
#ifndef SMTPD_ADDRESS_H
#define SMTPD_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 §4.5.3.1.1-3 */
#define LOCAL_PART_MAX	64
#define DOMAIN_MAX	255
#define PATH_MAX_SMTP	256

struct mailbox {
	char local[LOCAL_PART_MAX * 2 + 1];	/* unquoted; case kept */
	char domain[DOMAIN_MAX + 1];		/* lower-cased ASCII; literal with [] */
	bool null;		/* <> */
	bool bare_postmaster;	/* <Postmaster> with no domain (RCPT only) */
	bool quoted;		/* local part was a quoted-string */
	bool literal;		/* domain is an address literal */
	bool utf8;		/* contains non-ASCII (needs SMTPUTF8) */
};

enum addr_result {
	ADDR_OK,
	ADDR_NO_BRACKETS,	/* addressBracketsEnforcement: 501 5.5.2 */
	ADDR_SYNTAX,		/* bad path or mailbox */
	ADDR_TOO_LONG,		/* a §4.5.3.1 limit */
	ADDR_PARAM_SYNTAX,	/* junk after the path */
};

enum addr_kind { ADDR_REVERSE, ADDR_FORWARD };

/* Parse the argument of MAIL/RCPT after "FROM:"/"TO:" (spaces after the
 * colon allowed, RFC 5321 §4.1.2 tolerance as in Postfix).  On ADDR_OK
 * *@params_r points at the parameters in @arg (or at "").  When
 * @brackets_required is false a bare mailbox without <> is accepted. */
enum addr_result address_parse_path(const char *arg, enum addr_kind kind,
				    bool brackets_required,
				    struct mailbox *mb_r, const char **params_r);

/* A mailbox "local@domain" (no brackets, no source route), as found in the
 * users and aliases files.  Same checks as a path. */
enum addr_result address_parse_mailbox(const char *text, struct mailbox *mb_r);

/* "local@domain" into @buf; "" for the null path. */
void mailbox_format(const struct mailbox *mb, char *buf, size_t size);

enum {
	DOM_LITERAL = 1,	/* allow an address-literal "[...]" */
	DOM_UTF8 = 2,		/* U-labels: non-ASCII UTF-8 (RFC 6531 §3.3) */
	DOM_UNDERSCORE = 4,	/* '_' in labels (Windows host names in HELO) */
};

/* RFC 5321 §4.1.2 Domain: LDH labels of 1..63 octets, at most 255 in all,
 * no empty label, no trailing dot; extended by @flags. */
bool domain_valid(const char *s, size_t len, unsigned flags);

/* One esmtp-param "KEY[=VALUE]" from @p: copies the keyword upper-cased
 * into @key, points @value_r at the value (NULL when absent), returns a
 * pointer past the parameter and its trailing spaces, or NULL on syntax
 * error.  RFC 5321 §4.1.2 esmtp-keyword / esmtp-value. */
const char *address_next_param(const char *p, char *key, size_t keysize,
			       char *value, size_t valuesize, bool *has_value_r);

#endif
