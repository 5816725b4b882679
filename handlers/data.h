/* data.h — the DATA decoder: a byte state machine (RFC 5321 §4.1.1.4,
 * §4.5.2).
 *
 * Pure.  Input is the raw stream after "354"; output is the message with
 * dot-stuffing removed, ready to store.  Lines must end in CRLF: a bare CR
 * or bare LF anywhere stops decoding at once (SMTP smuggling, see
 * https://www.postfix.org/smtp-smuggling.html), and the session answers
 * and closes.  Size and hop-count limits only latch: the decoder keeps
 * reading to the final dot, and the session replies once.
 */
#ifndef SMTPD_DATA_H
#define SMTPD_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5321 §6.3: a loop is assumed past this many Received: headers. */
#define DATA_MAX_RECEIVED 100

enum data_state {
	DS_LINE_START, DS_TEXT, DS_CR, DS_DOT, DS_DOT_CR, DS_END, DS_BAD_EOL
};

struct data_decoder {
	enum data_state state;
	uint64_t size;		/* octets of message output so far */
	uint64_t max_size;	/* 0: unlimited */
	bool too_big;		/* latched: size exceeded max_size */
	bool in_headers;	/* still in the header section */
	unsigned received;	/* Received: headers seen */
	bool loop;		/* latched: received > DATA_MAX_RECEIVED */
	unsigned linepos;	/* position in the current line (headers) */
	char head[9];		/* first octets of the current header line */
};

enum data_result {
	DATA_MORE,		/* need more input */
	DATA_DONE,		/* final "." seen; input after it not consumed */
	DATA_BAD_EOL,		/* bare CR or LF: reject and close */
};

void data_init(struct data_decoder *d, uint64_t max_size);
/* Decode @in.  Message bytes go to @out (room for @n bytes is enough: the
 * output never exceeds the input); *@out_len_r is how many.  *@used_r is
 * how much input was consumed (less than @n only at DATA_DONE or
 * DATA_BAD_EOL).  Once too_big is latched nothing more is output. */
enum data_result data_feed(struct data_decoder *d, const char *in, size_t n,
			   char *out, size_t *out_len_r, size_t *used_r);

#endif
