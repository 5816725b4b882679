/* dsn.h — RFC 3461 DSN parameters of MAIL and RCPT, and xtext.
 *
 * Pure: no I/O, no globals.  smtpd checks what a client sends with these
 * functions and keeps the canonical form (re-encoded xtext, keywords
 * upper-case) in the spool file's MAIL FROM / RCPT TO lines; smtpd-relay
 * reads them back with the same functions.
 */
#ifndef SMTPD_DSN_H
#define SMTPD_DSN_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 3461 §4.4: an ENVID is at most 100 characters; §4.2: an ORCPT
 * parameter at most 500. */
#define DSN_ENVID_MAX 100
#define DSN_ORCPT_MAX 500
/* The canonical parameters of one MAIL or RCPT, as text: room for
 * "RET=HDRS ENVID=" + 3 * 100, or "NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=" +
 * 3 * 500 (every octet encoded). */
#define DSN_PARAMS_MAX 1600

enum dsn_notify {
	DSN_NOTIFY_SUCCESS = 1,
	DSN_NOTIFY_FAILURE = 2,
	DSN_NOTIFY_DELAY = 4,
	DSN_NOTIFY_NEVER = 8,
};

enum dsn_ret { DSN_RET_NONE, DSN_RET_FULL, DSN_RET_HDRS };

/* An incremental xtext decoder (RFC 3461 §4):
 *   xtext   = *( xchar / hexchar )
 *   xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive,
 *             except for "+" and "="
 *   hexchar = ASCII "+" immediately followed by two upper case
 *             hexadecimal digits
 * Decoded octets go into @out (NUL-terminated); an octet that does not
 * fit, or one outside printable ASCII (0x20-0x7E: an ENVID and an
 * address must be printable, §4.2/§4.4), makes the input bad. */
struct xtext_decoder {
	char *out;
	size_t size, len;
	unsigned pending;	/* hex digits seen after '+' (0-2) */
	unsigned value;
	bool bad;
};

void xtext_init(struct xtext_decoder *d, char *out, size_t size);
/* Feed @n more octets; false once the input is known to be bad. */
bool xtext_feed(struct xtext_decoder *d, const char *in, size_t n);
/* End of input: true when the whole input was good xtext. */
bool xtext_finish(struct xtext_decoder *d);
/* Decode @in whole; the decoded length or -1 when it is not good xtext. */
int xtext_decode(const char *in, char *out, size_t size);
/* Encode @in (printable ASCII) as xtext into @out; false when it does not
 * fit. */
bool xtext_encode(const char *in, char *out, size_t size);

/* The DSN parameters of one transaction. */
struct dsn_mail {
	enum dsn_ret ret;
	char envid[DSN_ENVID_MAX + 1];	/* decoded; "" when absent */
};

struct dsn_rcpt {
	unsigned notify;		/* DSN_NOTIFY_* ; 0 when absent */
	char orcpt_type[32];		/* "rfc822"; "" when absent */
	char orcpt[DSN_ORCPT_MAX + 1];	/* decoded address */
};

enum dsn_param_result {
	DSN_PARAM_OK,
	DSN_PARAM_NOT_DSN,	/* not one of RET/ENVID/NOTIFY/ORCPT */
	DSN_PARAM_BAD,		/* a DSN keyword with a bad value, or twice: 501 5.5.4 */
};

/* Take one MAIL parameter (keyword upper-case, @value NULL when it has
 * none) into @m. */
enum dsn_param_result dsn_mail_param(struct dsn_mail *m, const char *key, const char *value);
/* Take one RCPT parameter into @r. */
enum dsn_param_result dsn_rcpt_param(struct dsn_rcpt *r, const char *key, const char *value);

/* The canonical text of the parameters ("" when none): "RET=HDRS
 * ENVID=xtext", "NOTIFY=FAILURE,DELAY ORCPT=rfc822;xtext". */
void dsn_mail_format(const struct dsn_mail *m, char *buf, size_t size);
void dsn_rcpt_format(const struct dsn_rcpt *r, char *buf, size_t size);

#endif
