/* tls.h — STARTTLS (RFC 3207) and implicit TLS (RFC 8314) on the
 * connection's fds, through the conn transport hooks.
 *
 * GnuTLS is loaded with dlopen() on first use: linking it would run its
 * constructor and relocate a dozen libraries in every process, which
 * costs a plain session more than the whole SMTP dialogue.  A session
 * that never uses TLS never loads it.
 */
#ifndef SMTPD_TLS_H
#define SMTPD_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct session;

struct listener;

/* The priority string a listener's server side uses: its tls { priority }
 * when set; else forward-secret AEAD only when TLS is required there
 * (socketTLS, required) or it takes AUTH; else the compatible default
 * (smtpd.conf(5)). */
const char *tls_server_priority(const struct listener *l);
/* Whether this build can do TLS at all. */
bool tls_supported(void);
/* Load GnuTLS, the certificate, key and session-ticket key of the
 * session's listener, before STARTTLS is answered with 220 (so that a
 * broken setup gets 454 rather than a failed handshake).  Idempotent.
 * 0 or -errno; the reason is logged. */
int tls_prepare(struct session *s);
/* Handshake on the session's connection (after "220 2.0.0" for STARTTLS,
 * at once for socketTLS), bounded by the connection timeout.  On success
 * the conn reads and writes through TLS and s->tls_info describes the
 * session.  0 or -errno; the reason is logged. */
int tls_start(struct session *s);
/* Send close_notify and free.  Safe when TLS never started. */
void tls_finish(struct session *s);

/* Client side (smtpd-relay): STARTTLS or implicit TLS to a server. */
struct conn;
struct tls_client_opts {
	const char *server_name;	/* SNI and the name to verify; NULL: none */
	bool verify;			/* the chain and the name must check */
	const char *ca_file;		/* PEM trust anchors; NULL: the system's */
	const char *priority;		/* NULL: the default */
};
/* Handshake on @c; on success @c reads and writes through TLS and @info
 * describes the session.  -EKEYREJECTED when the certificate does not
 * verify, -ETIMEDOUT, -EPROTO, ...; the reason in @why. */
int tls_client_start(struct conn *c, const struct tls_client_opts *o, char *info, size_t infosize,
		     char *why, size_t whysize);
/* close_notify and free; safe when TLS never started. */
void tls_client_finish(struct conn *c);

/* --check: what is wrong with a TLS setting, as a message for
 * "FILE:LINE: message" in @why. */
enum tls_check { TLS_CHECK_OK, TLS_CHECK_WARNING, TLS_CHECK_ERROR };

/* A GnuTLS priority string. */
enum tls_check tls_check_priority(const char *priority, char *why, size_t whysize);
/* A PEM certificate chain: parsable (error), leaf not expired (warning). */
enum tls_check tls_check_certificates(const char *file, char *why, size_t whysize);
/* The private key loads (with @secret when encrypted) and matches the
 * certificate. */
enum tls_check tls_check_key(const char *certificates, const char *key,
			     const char *secret, char *why, size_t whysize);

#endif
