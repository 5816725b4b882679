/* linereader.h — bounded command-line reader, fed from any byte source.
 *
 * Pure: the caller owns the buffer and feeds bytes; the reader never
 * allocates.  A line longer than the buffer is drained to its end and
 * reported once as LR_TOO_LONG, so the session stays in sync (RFC 5321
 * §4.5.3.1.4: command line 512 octets including CRLF).  Lines end at LF;
 * a CR before it is dropped (commands are tolerant, as in Postfix; DATA is
 * strict and has its own decoder).  The part of an over-long line that
 * was copied before the overflow is wiped at once (explicit_bzero): an
 * over-long AUTH line holds a password.
 */
#ifndef SMTPD_LINEREADER_H
#define SMTPD_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>

struct line_reader {
	char *buf;		/* caller's; holds the line without CR LF, NUL-terminated */
	size_t cap;		/* buffer size; the longest line is cap - 1 octets */
	size_t len;
	bool overflow;
	bool complete;		/* buf holds a finished line: the next feed starts anew */
};

enum lr_result {
	LR_NEED_MORE,		/* consumed everything, no line yet */
	LR_LINE,		/* buf/len hold a line */
	LR_TOO_LONG,		/* a line was too long; its rest was drained */
};

void lr_init(struct line_reader *lr, char *buf, size_t cap);
/* Consume bytes from @in up to and including the first LF.  *@used_r is
 * how many bytes were taken.  After LR_LINE/LR_TOO_LONG the next call
 * starts a new line. */
enum lr_result lr_feed(struct line_reader *lr, const char *in, size_t n, size_t *used_r);

#endif
