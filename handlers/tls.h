/* tls.h — STARTTLS (RFC 3207) and implicit TLS (RFC 8314) on the
 * connection's fds, through the conn transport hooks. */
#ifndef SMTPD_TLS_H
#define SMTPD_TLS_H

#include <stdbool.h>

struct session;

/* Whether this build can do TLS at all. */
bool tls_supported(void);
/* Handshake on the session's connection (after "220 2.0.0" for STARTTLS,
 * at once for socketTLS).  On success the conn reads and writes through
 * TLS and s->tls_info describes the session.  0 or -errno; the reason is
 * logged. */
int tls_start(struct session *s);
/* Send close_notify and free.  Safe when TLS never started. */
void tls_finish(struct session *s);

#endif
