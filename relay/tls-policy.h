/* tls-policy.h — the per-domain TLS policy file of remoteDelivery
 * (tlsPolicyFile, smtpd.conf(5)): one "DOMAIN LEVEL" a line, overriding
 * tlsSecurityLevel for mail to that recipient domain.  Pure: parsed from
 * a buffer, no I/O but tls_policy_load(). */
#ifndef SMTPD_TLS_POLICY_H
#define SMTPD_TLS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "remote-delivery.h"

struct tls_policy_entry {
	char domain[256];	/* lower case; ".example.com": its subdomains */
	enum tls_level level;
};

struct tls_policy {
	struct tls_policy_entry *v;
	size_t n;
};

/* Parse @len bytes of @text into @p (appending).  0, or -EINVAL with the
 * 1-based line in *@line_r and the reason in @why (then @p holds the
 * lines before it; tls_policy_free it either way). */
int tls_policy_parse(const char *text, size_t len, struct tls_policy *p, unsigned *line_r,
		     char *why, size_t whysize);

/* Read and parse the file @path: 0, -EINVAL as above, or -errno when it
 * cannot be read; @why says where, "PATH:LINE: reason" (or "PATH:
 * reason" when no line is at fault), for the log and for --check. */
int tls_policy_load(const char *path, struct tls_policy *p, char *why, size_t whysize);

/* The level for mail to @domain: an exact entry, else the entry
 * ".PARENT" of the nearest parent domain.  false when none matches. */
bool tls_policy_lookup(const struct tls_policy *p, const char *domain, enum tls_level *level_r);

void tls_policy_free(struct tls_policy *p);

#endif
