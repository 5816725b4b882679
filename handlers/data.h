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
	bool nul;		/* latched: a NUL octet (RFC 5322 §2.3 and RFC
				 * 6152 §3 exclude it; BINARYMIME is not offered):
				 * the message is refused, 554 5.6.0 */
	unsigned linepos;	/* position in the current line (headers) */
	char head[9];		/* first octets of the current header line */
	/* The first line: a header field, or not (then the message has no
	 * header section and the store must put the empty line between our
	 * trace fields and it, as Postfix's cleanup does; a first line that
	 * starts with SP/HT would otherwise continue our Received:). */
	enum first_line { FIRST_UNKNOWN, FIRST_HEADER, FIRST_BODY } first;
	bool first_wsp;		/* field name seen, then white space */
};

enum data_result {
	DATA_MORE,		/* need more input */
	DATA_DONE,		/* final "." seen; input after it not consumed */
	DATA_BAD_EOL,		/* bare CR or LF: reject and close */
};

void data_init(struct data_decoder *d, uint64_t max_size);
/* Whether the store must write an empty line before the message's first
 * octet: known (d->first != FIRST_UNKNOWN) within the first line, at most
 * DATA_FIRST_LINE_MAX octets into it; an empty first line needs none. */
bool data_needs_separator(const struct data_decoder *d);
/* RFC 5322 §2.1.1: a line is at most 998 characters; a "field name" longer
 * than that is not one. */
#define DATA_FIRST_LINE_MAX 998
/* Decode @in.  Message bytes go to @out (room for @n bytes is enough: the
 * output never exceeds the input); *@out_len_r is how many.  *@used_r is
 * how much input was consumed (less than @n only at DATA_DONE or
 * DATA_BAD_EOL).  Once too_big is latched nothing more is output. */
enum data_result data_feed(struct data_decoder *d, const char *in, size_t n,
			   char *out, size_t *out_len_r, size_t *used_r);

#endif
