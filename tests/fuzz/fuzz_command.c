/* fuzz_command — the command side of the engine without I/O: the bounded
 * line reader (RFC 5321 §4.5.3.1.4) fed in chunks whose sizes come from
 * the input, then each line split into verb and argument as dispatch()
 * does, and the MAIL/RCPT arguments through the path and esmtp-param
 * parsers as cmd_mail()/cmd_rcpt() do, and client text through
 * log_escape().  Invariants: a line never exceeds the buffer, holds no LF,
 * and every input byte is consumed exactly once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "linereader.h"
#include "log.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_line(char *line, size_t len)
{
	char *arg = line, esc[256];
	struct mailbox mb;
	const char *params;

	log_escape(line, len, esc, sizeof(esc));
	if (strlen(esc) >= sizeof(esc))
		abort();
	while (*arg && *arg != ' ')
		arg++;
	while (*arg == ' ')
		arg++;
	if (strncasecmp(line, "MAIL FROM:", 10) == 0 || strncasecmp(line, "RCPT TO:", 8) == 0) {
		bool mail = line[0] == 'M' || line[0] == 'm';
		const char *a = line + (mail ? 10 : 8);

		for (int brackets = 0; brackets < 2; brackets++) {
			if (address_parse_path(a, mail ? ADDR_REVERSE : ADDR_FORWARD, brackets,
					       &mb, &params) != ADDR_OK)
				continue;
			while (params && *params) {
				char key[32], value[128];
				bool has_value;

				params = address_next_param(params, key, sizeof(key), value,
							    sizeof(value), &has_value);
				if (params && (strlen(key) >= sizeof(key) || strlen(value) >= sizeof(value)))
					abort();
			}
		}
	} else if (strncasecmp(line, "EHLO ", 5) == 0 || strncasecmp(line, "HELO ", 5) == 0
		   || strncasecmp(line, "LHLO ", 5) == 0) {
		(void)domain_valid(arg, strlen(arg), DOM_LITERAL | DOM_UNDERSCORE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the session's own buffer size, so the fuzzer hits the limit */
	static char buf[COMMAND_LINE_MAX];
	struct line_reader lr;
	size_t pos = 0, k = 0, consumed = 0;

	lr_init(&lr, buf, sizeof(buf));
	while (pos < size) {
		size_t chunk = (size_t)data[k++ % size] * 3 % 700 + 1, used;
		enum lr_result r;

		if (chunk > size - pos)
			chunk = size - pos;
		r = lr_feed(&lr, (const char *)data + pos, chunk, &used);
		if (used == 0 || used > chunk)
			abort();
		pos += used;
		consumed += used;
		if (r == LR_NEED_MORE) {
			if (used != chunk)
				abort();
			continue;
		}
		/* a complete line ends at the LF just consumed */
		if (data[pos - 1] != '\n')
			abort();
		if (r == LR_LINE) {
			if (lr.len >= sizeof(buf) || lr.buf[lr.len] != '\0' || memchr(lr.buf, '\n', lr.len))
				abort();
			parse_line(lr.buf, lr.len);
		}
		lr_init(&lr, buf, sizeof(buf));
	}
	if (consumed != size)
		abort();
	return 0;
}
