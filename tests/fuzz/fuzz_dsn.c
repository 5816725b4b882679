/* fuzz_dsn — RFC 3461 xtext and the DSN parameters (handlers/dsn.h).
 * Input: a key, '=', a value.  Invariants checked:
 *   - the decoder agrees with itself fed whole and one byte at a time;
 *   - what decodes is printable ASCII, fits, and re-encodes to xtext
 *     that decodes back to the same text;
 *   - a parameter that parses formats to canonical text that parses
 *     again to the same settings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), out[600], again[600], enc[1800], canon[DSN_PARAMS_MAX];
	struct xtext_decoder d;
	int n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = xtext_decode(text, out, sizeof(out));
	xtext_init(&d, again, sizeof(again));
	for (size_t i = 0; i < strlen(text); i++)
		xtext_feed(&d, text + i, 1);
	if (xtext_finish(&d) != (n >= 0) || (n >= 0 && strcmp(again, out) != 0))
		abort();
	if (n >= 0) {
		for (int i = 0; i < n; i++)
			if (out[i] < 0x20 || out[i] > 0x7e)
				abort();
		if (!xtext_encode(out, enc, sizeof(enc)) || xtext_decode(enc, again, sizeof(again)) != n
		    || strcmp(again, out) != 0)
			abort();
	}
	char *eq = strchr(text, '=');
	if (eq) {
		struct dsn_mail m = { 0 }, m2 = { 0 };
		struct dsn_rcpt r = { 0 }, r2 = { 0 };

		*eq = '\0';
		if (dsn_mail_param(&m, text, eq + 1) == DSN_PARAM_OK) {
			dsn_mail_format(&m, canon, sizeof(canon));
			char *v = strchr(canon, '=');
			if (!v)
				abort();
			*v = '\0';
			if (dsn_mail_param(&m2, canon, v + 1) != DSN_PARAM_OK || memcmp(&m, &m2, sizeof(m)) != 0)
				abort();
		}
		if (dsn_rcpt_param(&r, text, eq + 1) == DSN_PARAM_OK) {
			dsn_rcpt_format(&r, canon, sizeof(canon));
			char *v = strchr(canon, '=');
			if (!v)
				abort();
			*v = '\0';
			if (dsn_rcpt_param(&r2, canon, v + 1) != DSN_PARAM_OK || memcmp(&r, &r2, sizeof(r)) != 0)
				abort();
		}
	}
	free(text);
	return 0;
}
