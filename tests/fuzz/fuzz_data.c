/* fuzz_data — the DATA decoder (RFC 5321 §4.1.1.4, §4.5.2).
 *
 * The input is decoded twice: whole, and cut at split points drawn from
 * the input itself.  Both runs must agree on the result, the output bytes,
 * the consumed length and the latches (a stream parser must not depend on
 * how the network cut the stream), and the output never exceeds the input.
 * The first octet picks a size limit so the too_big latch is exercised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	enum data_result res;
	size_t used, outlen;
	struct data_decoder d;
	char *out;
};

static void decode(const char *in, size_t n, uint64_t max, const uint8_t *cuts, size_t ncuts,
		   struct run *r)
{
	size_t pos = 0, k = 0;

	data_init(&r->d, max);
	r->res = DATA_MORE;
	r->outlen = 0;
	while (pos < n && r->res == DATA_MORE) {
		size_t chunk = n - pos, olen = 0, used = 0;

		if (cuts && ncuts) {
			chunk = (size_t)cuts[k++ % ncuts] % 17 + 1;
			if (chunk > n - pos)
				chunk = n - pos;
		}
		r->res = data_feed(&r->d, in + pos, chunk, r->out + r->outlen, &olen, &used);
		if (used > chunk || olen > used)
			abort();
		if (r->res == DATA_MORE && used != chunk)
			abort();
		r->outlen += olen;
		pos += used;
	}
	r->used = pos;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, split;
	uint64_t max;
	const char *in;
	size_t n;

	if (size < 1)
		return 0;
	max = data[0] < 128 ? 0 : (uint64_t)(data[0] - 127) * 8;
	in = (const char *)data + 1;
	n = size - 1;
	whole.out = malloc(n + 1);
	split.out = malloc(n + 1);
	if (!whole.out || !split.out)
		abort();
	decode(in, n, max, NULL, 0, &whole);
	/* the cuts come from the input, so the fuzzer explores them too */
	decode(in, n, max, data, size, &split);
	if (whole.res != split.res || whole.used != split.used || whole.outlen != split.outlen
	    || memcmp(whole.out, split.out, whole.outlen) != 0
	    || whole.d.size != split.d.size || whole.d.too_big != split.d.too_big
	    || whole.d.received != split.d.received || whole.d.loop != split.d.loop)
		abort();
	if (whole.outlen > whole.used || (max && whole.outlen > max))
		abort();
	if (whole.d.too_big != (max && whole.d.size > max))
		abort();
	free(whole.out);
	free(split.out);
	return 0;
}
