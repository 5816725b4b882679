/* lmtp-client.h — the LMTP client sink: smtpd hands local mail to an LMTP
 * server (RFC 2033), our lmtpd or Dovecot's, instead of writing maildirs.
 *
 * The session is opened in open() (connect, LHLO, MAIL, one RCPT per local
 * target, DATA), the message is streamed dot-stuffed in write(), and
 * commit() sends the final dot and reads one reply per accepted RCPT: the
 * status of each target is 0 for 2xx, -errno otherwise.  A copy the server
 * has accepted cannot be withdrawn (rollback() only logs): the session
 * commits this sink last.  Every wait is bounded (RFC 5321 §4.5.3.2).
 */
#ifndef SMTPD_LMTP_CLIENT_H
#define SMTPD_LMTP_CLIENT_H

#include <stddef.h>

#include "sink.h"

/* Takes the local targets; the server is config->lmtp (sink_config()). */
extern const struct sink_ops lmtp_sink_ops;

/* Map an LMTP/SMTP reply that is not 2xx to -errno for a target status:
 * x.2.2 (mailbox full) -EDQUOT, x.3.1 (system full) -ENOSPC, x.3.4 (too
 * big) -EFBIG, anything else -EIO.  @enh may be NULL or "". */
int lmtp_reply_errno(int code, const char *enh);

#endif
