/* diag.h — a diag_fn (config.h) for programs: stderr or the log. */
#ifndef SMTPD_DIAG_H
#define SMTPD_DIAG_H

#include <stdbool.h>

#include "config.h"

struct diag_count {
	bool to_stderr;		/* --check: print; a session or agent: log */
	unsigned errors, warnings;
};

/* config_load()'s diag_fn; @ctx is a struct diag_count. */
void diag_sink(void *ctx, enum diag_level level, const char *msg);

#endif
