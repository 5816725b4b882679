/* fuzz_dns — the DNS reply parser (handlers/dns.c, RFC 1035 §4.1) for
 * every record type the handlers ask, with the invariants the handlers
 * rely on: never more records than asked, and every name or TXT text a
 * NUL-terminated string without control characters (they reach reply
 * lines and logs). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t seen;

static void check(void *ctx, const struct dns_record *r)
{
	size_t n = strnlen(r->text, sizeof(r->text));

	(void)ctx;
	if (n == sizeof(r->text))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r->text[i] < 32 || r->text[i] == 127)
			abort();
	seen++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_PTR, DNS_T_TXT };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int r;

		seen = 0;
		r = dns_parse_answer(data, size, types[i], 4, check, NULL);
		if (r > 4 || (r >= 0 && (size_t)r != seen))
			abort();
	}
	return 0;
}
