/* heldmsg.h — a message held back from the sinks while content filters
 * (MilterHandler) look at it and edit its header.
 *
 * Without a filter the message streams from the DATA decoder straight
 * into the sinks' tmp files.  A filter may add, insert, change and delete
 * header fields at the end of DATA, when the message is already written,
 * and the next filter must see the previous one's edits (OpenDMARC reads
 * the Authentication-Results: OpenDKIM added).  So while a filter is
 * active the message is held:
 *
 *   - the header section in memory, bounded by HELD_HEADER_MAX (a header
 *     section past it is not refused: from the line that crosses the limit
 *     on, the rest is kept as body, byte for byte, and filters see those
 *     lines as body — as Postfix does past header_size_limit);
 *   - the body in an unnamed file (O_TMPFILE) in the spool directory, so
 *     memory does not grow with the message and nothing is ever visible
 *     under a name;
 *
 * and at the end the sinks get the edited header section and the body,
 * copied from the held file.  Fields no filter touched are written back
 * byte for byte (a DKIM signature over them stays valid); the separating
 * empty line and the body are never changed (body replacement is not
 * offered to filters).  Sessions without a filter never create one.
 */
#ifndef SMTPD_HELDMSG_H
#define SMTPD_HELDMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Postfix's header_size_limit default is 102400; a little more. */
#define HELD_HEADER_MAX (128 * 1024)
/* Fields past this many in the section go to the body, like bytes past
 * HELD_HEADER_MAX (RFC 5322 sets no limit; this bounds the index). */
#define HELD_FIELDS_MAX 2048

struct held_field {
	char *text;		/* "Name: value\r\n" (folding CRLFs inside) */
	size_t len;		/* with the final CRLF */
	size_t name_len;
	size_t value_off;	/* the value: text[value_off .. len - 2) */
	bool own;		/* malloc'ed (added or changed by a filter) */
};

struct held_msg {
	/* the header section as received (bounded) */
	char *head;
	size_t head_len, head_cap, line_start;
	size_t *starts;			/* offset of each field's first line */
	size_t nstarts;
	bool in_body;
	size_t sep_len;			/* 2 when an empty line ended the section */
	/* the body */
	int fd;
	uint64_t body_len;
	char *buf;			/* write buffer for the body */
	size_t buflen;
	int error;			/* first error, latched (-errno) */
	/* after held_end(): the fields, edits applied in place */
	struct held_field *f;
	size_t nf, capf;
	bool edited;
};

/* Hold a message; the body file is made in @dir.  0 or -errno. */
int held_open(struct held_msg *m, const char *dir);
/* Message bytes as the DATA decoder produced them (CRLF lines, any cut).
 * 0 or the latched -errno. */
int held_write(struct held_msg *m, const char *buf, size_t n);
/* The message is complete: flush the body, index the fields. */
int held_end(struct held_msg *m);
void held_close(struct held_msg *m);

/* ---- for filters, after held_end() ------------------------------------- */

size_t held_count(const struct held_msg *m);
/* Field @i: name and value (after the colon, leading white space and
 * folding as received, final CRLF removed). */
void held_field(const struct held_msg *m, size_t i, const char **name, size_t *name_len,
		const char **value, size_t *value_len);
/* The body, from @off: like pread(2). */
long held_body_read(const struct held_msg *m, uint64_t off, char *buf, size_t n);

/* Edits, as milter asks for them (SMFIR_ADDHEADER, SMFIR_INSHEADER,
 * SMFIR_CHGHEADER).  @name and @value were checked by the milter codec
 * (milter_header_name_valid/milter_header_value_valid); folding LFs are
 * written as CRLF.  @leadspc: @value carries its own leading white space
 * ("Name:" @value); otherwise "Name: " @value.  0 or -errno. */
int held_insert(struct held_msg *m, size_t index, const char *name, const char *value, bool leadspc);
int held_append(struct held_msg *m, const char *name, const char *value, bool leadspc);
/* The @occurrence-th (from 1) field called @name (case-insensitive): its
 * value replaced, or the field removed when @value is "".  A field that
 * does not exist is added when @value is not empty (libmilter's
 * smfi_chgheader semantics).  0 or -errno. */
int held_change(struct held_msg *m, const char *name, uint32_t occurrence, const char *value,
		bool leadspc);

/* Write the message to @out: the fields in order, the empty line, the
 * body.  @out returns 0 or -errno; the first error stops the copy. */
int held_emit(struct held_msg *m, int (*out)(void *ctx, const char *buf, size_t n), void *ctx);

#endif
