/* linereader.c — see linereader.h. */
#include "linereader.h"

#include <string.h>

void lr_init(struct line_reader *lr, char *buf, size_t cap)
{
	lr->buf = buf;
	lr->cap = cap;
	lr->len = 0;
	lr->overflow = false;
	lr->complete = false;
	buf[0] = '\0';
}

enum lr_result lr_feed(struct line_reader *lr, const char *in, size_t n, size_t *used_r)
{
	const char *nl = memchr(in, '\n', n);
	size_t take = nl ? (size_t)(nl - in) : n;

	if (lr->complete) {
		lr->len = 0;
		lr->complete = false;
	}
	*used_r = nl ? take + 1 : n;
	if (!lr->overflow) {
		if (lr->len + take < lr->cap) {
			memcpy(lr->buf + lr->len, in, take);
			lr->len += take;
		} else {
			/* what was kept is never read: wipe it now, it may
			 * be part of a secret (an over-long AUTH line) */
			explicit_bzero(lr->buf, lr->len);
			lr->len = 0;
			lr->overflow = true;
		}
	}
	if (!nl)
		return LR_NEED_MORE;
	if (lr->overflow) {
		lr->overflow = false;
		lr->len = 0;
		lr->buf[0] = '\0';
		return LR_TOO_LONG;
	}
	if (lr->len > 0 && lr->buf[lr->len - 1] == '\r')
		lr->len--;
	lr->buf[lr->len] = '\0';
	lr->complete = true;
	return LR_LINE;
}
