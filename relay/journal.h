/* journal.h — per-recipient delivery state of one outgoing message.
 *
 * outgoing/state/NAME beside outgoing/cur/NAME: an append-only text
 * file, one line per event, each written with one write(2) and
 * fdatasync'ed before the agent does anything else (QUIT included).  A
 * recipient with a final outcome is never sent again; a crash between
 * the server's 250 and the fdatasync is the one window in which a
 * recipient can get the message twice (smtpd-relay(8)).  A last line
 * without its LF (torn by a crash) is ignored, and cut off before the
 * next append.
 *
 *   R idx D|d|F|T code enh time host text   a server's answer for
 *        recipient idx (0-based, spool file order): D delivered to a
 *        server that took over DSN duty, d delivered (no DSN there),
 *        F failed for good, T deferred.  enh is "-" when none; host
 *        "-" when no server answered; text escaped (log_escape).
 *   N tries time      a try of the whole message ended (tries so far)
 *   W time            the "delayed" notice was sent
 *   B time            the final notice was sent (or none was due)
 */
#ifndef SMTPD_JOURNAL_H
#define SMTPD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "linereader.h"

#define JOURNAL_TEXT_MAX 512
#define JOURNAL_HOST_MAX 300

enum rcpt_state {
	RS_PENDING,		/* nothing final yet (maybe deferred) */
	RS_DELIVERED,		/* D or d */
	RS_FAILED,		/* F */
};

struct rcpt_status {
	enum rcpt_state state;
	bool deferred;		/* last answer was temporary */
	bool dsn_passed;	/* D: the next hop handles NOTIFY */
	int code;
	char enh[16];
	long long when;
	char host[JOURNAL_HOST_MAX];
	char text[JOURNAL_TEXT_MAX];
};

struct journal_state {
	struct rcpt_status *st;		/* caller's, nrcpt entries */
	size_t nrcpt;
	unsigned tries;
	long long first, last;		/* times of the first and last events */
	bool warned, bounced;
	unsigned bad_lines;
	struct line_reader lr;
	char line[JOURNAL_TEXT_MAX + JOURNAL_HOST_MAX + 128];
};

/* Pure: replay a journal's bytes into @js (st zeroed by the caller). */
void journal_state_init(struct journal_state *js, struct rcpt_status *st, size_t nrcpt);
void journal_feed(struct journal_state *js, const char *buf, size_t n);

/* The line for recipient @idx's answer, into @buf. */
void journal_format_rcpt(char *buf, size_t size, size_t idx, char kind, int code,
			 const char *enh, long long when, const char *host, const char *text);

/* Open (creating) @path for appending, cut a torn last line off, and
 * replay it into @js.  The fd or -errno. */
int journal_open(const char *path, struct journal_state *js);
/* Append @line (ending in LF) and fdatasync.  0 or -errno. */
int journal_append(int fd, const char *line);

#endif
