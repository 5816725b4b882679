/* fuzz_sasl — the SMTP AUTH decoders (RFC 4954, RFC 4616): strict base64
 * and the PLAIN message.  Invariants checked:
 *   - decoding never writes past the buffer and NUL-terminates;
 *   - what decodes re-encodes to the same text (base64 is canonical here:
 *     no whitespace, padding only at the end) unless it was "=";
 *   - a PLAIN message that parses has a non-empty authcid and password with
 *     no NUL inside, each within SASL_FIELD_MAX. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), out[1024], again[1400];
	struct sasl_plain p;
	int n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = sasl_base64_decode(text, out, sizeof(out));
	if (n >= 0) {
		if ((size_t)n >= sizeof(out) || out[n] != '\0')
			abort();
		if (strcmp(text, "=") != 0) {
			sasl_base64_encode(out, (size_t)n, again);
			if (strcmp(again, text) != 0 && strlen(text) == size)
				abort();
		}
		if (sasl_plain_parse(out, (size_t)n, &p) == 0) {
			if (!p.authcid[0] || !p.passwd[0] || strlen(p.authcid) > SASL_FIELD_MAX
			    || strlen(p.passwd) > SASL_FIELD_MAX || strlen(p.authzid) > SASL_FIELD_MAX)
				abort();
		}
	}
	/* the raw bytes as a PLAIN message too */
	if (sasl_plain_parse((const char *)data, size, &p) == 0 && (!p.authcid[0] || !p.passwd[0]))
		abort();
	free(text);
	return 0;
}
