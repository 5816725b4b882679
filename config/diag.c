/* diag.c — where configuration diagnostics go: printed on stderr for
 * --check (the administrator reads FILE:LINE: message), logged for a
 * running session or agent (nobody reads its stderr); counted either way. */
#include "diag.h"

#include <stdio.h>

#include "log.h"

void diag_sink(void *ctx, enum diag_level level, const char *msg)
{
	struct diag_count *d = ctx;

	if (level == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->to_stderr)
		fprintf(stderr, "%s\n", msg);
	else
		log_msg(level == DIAG_ERROR ? LOG_ERR : LOG_WARNING, "config: %s", msg);
}
