/* envelope.h — the envelope at the top of an outgoing spool file.
 *
 * Pure.  The spool sink (handlers/delivery.c) writes batch SMTP (RFC
 * 2442): "MAIL FROM:<s>[ params]", one "RCPT TO:<r>[ params]" per
 * recipient, "DATA", then the dot-stuffed message.  This stream parser
 * reads those lines with the same path, parameter and DSN parsers smtpd
 * used to accept them, and says where the message starts.
 */
#ifndef SMTPD_ENVELOPE_H
#define SMTPD_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "address.h"
#include "dsn.h"
#include "linereader.h"
#include "policy.h"

struct env_rcpt {
	char addr[ADDR_TEXT_MAX];
	char domain[DOMAIN_MAX + 1];	/* lower case; literal with [] */
	struct dsn_rcpt dsn;
};

struct envelope_file {
	char sender[ADDR_TEXT_MAX];	/* "" for <> */
	bool body8, smtputf8;
	struct dsn_mail dsn;
	struct env_rcpt *rcpt;
	size_t nrcpt, cap;
	unsigned long long body_off;	/* offset of the message (after DATA) */
	/* the parser's state */
	struct line_reader lr;
	char line[ADDR_TEXT_MAX + DSN_PARAMS_MAX + 64];
	unsigned long long off;
	bool have_mail;
};

enum env_result { ENV_MORE, ENV_DONE, ENV_BAD, ENV_NOMEM };

void envelope_init(struct envelope_file *e);
void envelope_free(struct envelope_file *e);
/* Feed bytes from the start of the file.  ENV_DONE once the DATA line
 * was read (*@used_r bytes were taken: the message starts there);
 * ENV_BAD when a line is not what smtpd writes. */
enum env_result envelope_feed(struct envelope_file *e, const char *buf, size_t n, size_t *used_r);

#endif
