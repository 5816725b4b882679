/* sasl.h — SASL PLAIN (RFC 4616) and LOGIN decoding, and base64
 * (RFC 4648 §4) as SMTP AUTH (RFC 4954) uses it.
 *
 * Pure: no I/O, no globals.  Callers wipe the buffers after use: they hold
 * passwords.
 */
#ifndef SMTPD_SASL_H
#define SMTPD_SASL_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 4616 §2: each of authzid, authcid, passwd is at most 255 octets. */
#define SASL_FIELD_MAX 255

/* Decode strict base64 (padding required, no whitespace) into @out
 * (NUL-terminated).  Returns the decoded length, or -EINVAL on bad input,
 * -ENOBUFS when it does not fit.  "=" alone decodes to the empty string
 * (RFC 4954 §4: an empty initial response). */
int sasl_base64_decode(const char *in, char *out, size_t outsize);
/* Encode @n bytes of @in; @out needs 4 * ((n + 2) / 3) + 1 bytes. */
void sasl_base64_encode(const void *in, size_t n, char *out);

struct sasl_plain {
	char authzid[SASL_FIELD_MAX + 1];
	char authcid[SASL_FIELD_MAX + 1];
	char passwd[SASL_FIELD_MAX + 1];
};

/* Split the decoded PLAIN message authzid NUL authcid NUL passwd.
 * Returns 0, -EMSGSIZE when a field is longer than SASL_FIELD_MAX (a
 * protocol limit, not a wrong password: the session answers 501 5.5.2 and
 * does not count a failed login), or -EINVAL when malformed (missing NULs,
 * empty authcid or passwd, a NUL inside passwd). */
int sasl_plain_parse(const char *msg, size_t len, struct sasl_plain *r);

#endif
