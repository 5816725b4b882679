/* config-validators.c — every validator is installed where the parser
 * will call it: top level, inside smtpserver and lmtpserver, in their tls
 * and handler sections and on handlerchain handlers.  (set_validators()
 * walks the option tree itself instead of calling
 * cfg_set_validate_func() 36 times.) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tests, failed;
static char seen[4096];

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tests, what);
}

static void collect(void *ctx, enum diag_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	strncat(seen, msg, sizeof(seen) - strlen(seen) - 2);
	strcat(seen, "\n");
}

/* Load @body (after a valid preamble); true if it fails with @want. */
static bool rejects(const char *body, const char *want)
{
	char path[] = "/tmp/config-validators.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct config *cfg = NULL;
	int rc;

	fprintf(f, "domains = { \"example.org\" }\nmailboxes = \"/var/mail/%%d/%%n\"\n%s\n", body);
	fclose(f);
	seen[0] = '\0';
	rc = config_load(path, false, collect, NULL, &cfg);
	config_free(cfg);
	unlink(path);
	if (rc == 0 || !strstr(seen, want)) {
		printf("# got: %s", seen);
		return false;
	}
	return true;
}

int main(void)
{
	printf("1..9\n");
	ok(rejects("mailboxes = \"/var/mail/%d\"", "has neither %n nor %u"), "top level: mailboxes");
	ok(rejects("smtpserver \"a\" { bind = { \"1.2.3.4\" } }", "is not ADDRESS:PORT"), "smtpserver: bind");
	ok(rejects("lmtpserver \"l\" { bind = { \"::1:24\" } }", "write IPv6 addresses in brackets"), "lmtpserver: bind");
	ok(rejects("smtpserver \"a\" { tls { startTLS = true } }", "certificates and privateKey are needed"), "smtpserver: tls");
	ok(rejects("lmtpserver \"l\" { tls { ticketKey = \"rel.key\" } }", "must be an absolute path"), "lmtpserver: tls|ticketKey");
	ok(rejects("smtpserver \"a\" { handler { connectionTimeout = 0 } }", "must be a positive number"), "smtpserver: handler");
	ok(rejects("lmtpserver \"l\" { handler { maxmessagesize = -5 } }", "must not be negative"), "lmtpserver: handler");
	ok(rejects("smtpserver \"a\" { handler { handlerchain { handler \"Nope\" { } } } }", "unknown handler 'Nope'"),
	   "smtpserver: handler|handlerchain|handler");
	/* libconfuse would merge the second block into the first, silently */
	ok(rejects("smtpserver \"a\" { handler { handlerchain { handler \"MaxRcptHandler\" { maxRcpt = 4 }"
		   " handler \"MaxRcptHandler\" { maxRcpt = 5 } } } }", "found duplicate title 'MaxRcptHandler'"),
	   "a handler named twice in one chain");
	return failed ? 1 : 0;
}
