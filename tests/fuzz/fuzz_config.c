/* fuzz_config — the configuration loader on arbitrary file contents.
 *
 * The input is written to a temporary file and loaded with resolve=false
 * (no DNS).  Every diagnostic goes through the callback: it must be one
 * NUL-terminated line that names the file.  A successful load is walked
 * the way a session uses it, then freed (LeakSanitizer checks both
 * paths). */
#include "fuzz_util.h"

#include <errno.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char conf_path[512];

struct diag_count {
	unsigned errors, warnings;
};

static void diag(void *ctx, enum diag_level level, const char *msg)
{
	struct diag_count *d = ctx;

	if (strncmp(msg, conf_path, strlen(conf_path)) != 0 || strchr(msg, '\n'))
		abort();
	if (level == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(conf_path, sizeof(conf_path), "%s/smtpd.conf", fuzz_make_dir("fuzz_config"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_count dc = { 0 };
	struct config *cfg = NULL;
	char why[512];
	FILE *f = fopen(conf_path, "w");
	int r;

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	r = config_load(conf_path, false, diag, &dc, &cfg);
	if (r == 0) {
		if (!cfg || dc.errors)
			abort();	/* an error reported must fail the load */
		for (int p = 0; p < 2; p++) {
			const struct listener *l = config_listener(cfg, p ? PROTO_LMTP : PROTO_SMTP,
								   NULL, why, sizeof(why));

			if (l && (!l->hello_name || l->timeout <= 0))
				abort();
		}
		(void)config_is_local_domain(cfg, "example.org");
	} else if (cfg || (r == -EINVAL && dc.errors == 0)) {
		abort();	/* a rejected file always says why */
	}
	config_free(cfg);
	return 0;
}
