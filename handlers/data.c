/* data.c — see data.h.
 *
 * States, from RFC 5321 §4.1.1.4 (end of data is CRLF "." CRLF; the
 * message starts at a line start) and §4.5.2 (transparency: a leading
 * "." is removed):
 *   LINE_START  '.' -> DOT   CR -> CR (emit)   LF -> bad   other -> TEXT (emit)
 *   TEXT        CR -> CR (emit)   LF -> bad   other -> TEXT (emit)
 *   CR          LF -> LINE_START (emit)   other -> bad
 *   DOT         CR -> DOT_CR   LF -> bad   other -> TEXT (emit; dot dropped)
 *   DOT_CR      LF -> END   other -> bad
 */
#include "data.h"

#include <string.h>
#include <strings.h>

void data_init(struct data_decoder *d, uint64_t max_size)
{
	memset(d, 0, sizeof(*d));
	d->state = DS_LINE_START;
	d->max_size = max_size;
	d->in_headers = true;
}

bool data_needs_separator(const struct data_decoder *d)
{
	return d->first == FIRST_BODY;
}

/* RFC 5322 §2.2 / §4.5.3 (obsolete: white space before the colon):
 *   field = field-name *WSP ":" ...    field-name = 1*ftext
 *   ftext = %d33-57 / %d59-126         ; printable, not ":"
 * Decide on one output octet of the first line whether it is a header
 * field.  An empty first line (CR first) needs no separator: it is one. */
static void classify_first(struct data_decoder *d, unsigned char c)
{
	bool name = d->linepos > 0 && !d->first_wsp;

	if (c == ':' && (name || d->first_wsp))
		d->first = FIRST_HEADER;
	else if (c == '\r' && d->linepos == 0)
		d->first = FIRST_HEADER;
	else if ((c == ' ' || c == '\t') && (name || d->first_wsp))
		d->first_wsp = true;
	else if (c >= 33 && c <= 126 && c != ':' && !d->first_wsp)
		;	/* more of the name */
	else
		d->first = FIRST_BODY;	/* SP/HT first, a colon first, CR, ... */
	if (d->first == FIRST_UNKNOWN && d->linepos + 1 >= DATA_FIRST_LINE_MAX)
		d->first = FIRST_BODY;
}

/* Header bookkeeping for one output byte: counts Received: fields
 * (RFC 5322 §3.6.7) until the empty line that ends the header section. */
static void track_header(struct data_decoder *d, char c)
{
	if (d->first == FIRST_UNKNOWN)
		classify_first(d, (unsigned char)c);
	if (c == '\n') {
		if (d->linepos == 1)	/* the line was just CR LF */
			d->in_headers = false;
		d->linepos = 0;
		return;
	}
	if (d->linepos < sizeof(d->head)) {
		d->head[d->linepos] = c;
		if (d->linepos + 1 == sizeof(d->head)
		    && strncasecmp(d->head, "Received:", sizeof(d->head)) == 0
		    && ++d->received > DATA_MAX_RECEIVED)
			d->loop = true;
	}
	d->linepos++;
}

enum data_result data_feed(struct data_decoder *d, const char *in, size_t n,
			   char *out, size_t *out_len_r, size_t *used_r)
{
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		char c;
		bool emit = false;

		/* Past the headers, the rest of a line up to its CR (or a bare
		 * LF) is copied in one piece, counted and size-latched as the
		 * byte path below would: most of a large message goes here. */
		if (d->state == DS_TEXT && !d->in_headers) {
			size_t j = i;

			while (j < n && in[j] != '\r' && in[j] != '\n')
				j++;
			if (j > i) {
				uint64_t run = j - i, take = run;

				if (d->too_big)
					take = 0;
				else if (d->max_size && d->size + run > d->max_size)
					take = d->max_size - d->size;
				if (!d->nul && memchr(in + i, '\0', (size_t)run))
					d->nul = true;
				memcpy(out + o, in + i, (size_t)take);
				o += (size_t)take;
				d->size += run;
				if (d->max_size && d->size > d->max_size)
					d->too_big = true;
				i = j;
				if (i == n)
					break;
			}
		}
		c = in[i];
		switch (d->state) {
		case DS_LINE_START:
			if (c == '.') {
				d->state = DS_DOT;
				break;
			}
			/* fall through */
		case DS_TEXT:
			if (c == '\n')
				goto bad;
			d->state = c == '\r' ? DS_CR : DS_TEXT;
			emit = true;
			break;
		case DS_CR:
			if (c != '\n')
				goto bad;
			d->state = DS_LINE_START;
			emit = true;
			break;
		case DS_DOT:
			if (c == '\n')
				goto bad;
			if (c == '\r') {
				d->state = DS_DOT_CR;
				break;
			}
			d->state = DS_TEXT;
			emit = true;
			break;
		case DS_DOT_CR:
			if (c != '\n')
				goto bad;
			d->state = DS_END;
			*out_len_r = o;
			*used_r = i + 1;
			return DATA_DONE;
		case DS_END:
			*out_len_r = o;
			*used_r = i;
			return DATA_DONE;
		case DS_BAD_EOL:
			goto bad;
		}
		if (!emit)
			continue;
		if (c == '\0')
			d->nul = true;
		if (d->in_headers)
			track_header(d, c);
		d->size++;
		if (d->max_size && d->size > d->max_size)
			d->too_big = true;
		if (!d->too_big)
			out[o++] = c;
	}
	*out_len_r = o;
	*used_r = n;
	return DATA_MORE;
bad:
	d->state = DS_BAD_EOL;
	*out_len_r = o;
	*used_r = i;
	return DATA_BAD_EOL;
}
