/* tls.c — see tls.h.  GnuTLS through dlopen(), over the conn's fds with
 * custom push/pull functions so that pipes work as well as sockets, and
 * every wait is bounded by the connection timeout (conn_wait).
 *
 * Session resumption across per-connection processes: every process
 * loads the same session-ticket master key from the ticketKey file
 * (RFC 5077 tickets for TLS 1.2, RFC 8446 §4.6.1 PSK tickets for 1.3).
 * The file is created on first use (mode 0600, written to a temporary
 * file and linked into place, so concurrent first uses agree on one key)
 * and replaced by the first process that finds it older than
 * TICKET_KEY_MAX_AGE (rename over it).
 */
#include "tls.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "conn.h"
#include "log.h"
#include "session.h"

#ifndef GNUTLS_SONAME
#define GNUTLS_SONAME "libgnutls.so.30"
#endif

/* Forward secrecy of tickets: a leaked master key opens the sessions of
 * at most this long (GnuTLS also rotates the keys it derives from it). */
#define TICKET_KEY_MAX_AGE (24 * 3600)
/* GnuTLS's defaults, the server's order, nothing older than TLS 1.2
 * (RFC 8996).  X25519 first: it is the one key share OpenSSL, Python and
 * Go clients send, and with NORMAL's P-256 first server precedence made
 * each of them pay a HelloRetryRequest round trip (RFC 8446 §4.1.4).
 * "@SYSTEM" is not valid with Debian 12's GnuTLS. */
#define GROUPS ":-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-X448:+GROUP-SECP384R1:+GROUP-SECP521R1" \
	":+GROUP-FFDHE2048:+GROUP-FFDHE3072:+GROUP-FFDHE4096:+GROUP-FFDHE6144:+GROUP-FFDHE8192"
/* Port 25 (and the client side): broadly compatible, static-RSA key
 * exchange and CBC included on TLS 1.2 — a sender that cannot negotiate
 * falls back to plaintext, which is worse (RFC 7435). */
#define DEFAULT_PRIORITY "NORMAL:%SERVER_PRECEDENCE:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS1.0" GROUPS
/* Listeners that require TLS or take AUTH (submission, smtps): their
 * clients are mail user agents of this decade, which have no reason to
 * fall back.  Forward secrecy (ECDHE/DHE key exchange only) and AEAD
 * ciphers only (no CBC: Lucky13 and friends), as RFC 9325 §4.2 and
 * Mozilla's "intermediate" profile recommend; TLS 1.3 is all of that. */
#define STRICT_PRIORITY "NORMAL:%SERVER_PRECEDENCE:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS-ALL" \
	":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA" \
	":-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:-MAC-ALL:+AEAD" GROUPS

#define GNUTLS_FUNCTIONS(X) \
	X(gnutls_global_init) \
	X(gnutls_global_deinit) \
	X(gnutls_strerror) \
	X(gnutls_error_is_fatal) \
	X(gnutls_certificate_allocate_credentials) \
	X(gnutls_certificate_free_credentials) \
	X(gnutls_certificate_set_x509_key_file2) \
	X(gnutls_certificate_set_flags) \
	X(gnutls_priority_init2) \
	X(gnutls_priority_deinit) \
	X(gnutls_priority_set) \
	X(gnutls_init) \
	X(gnutls_deinit) \
	X(gnutls_credentials_set) \
	X(gnutls_session_ticket_enable_server) \
	X(gnutls_session_ticket_key_generate) \
	X(gnutls_transport_set_ptr) \
	X(gnutls_transport_set_push_function) \
	X(gnutls_transport_set_pull_function) \
	X(gnutls_transport_set_pull_timeout_function) \
	X(gnutls_transport_set_errno) \
	X(gnutls_handshake_set_timeout) \
	X(gnutls_handshake) \
	X(gnutls_record_recv) \
	X(gnutls_record_send) \
	X(gnutls_record_check_pending) \
	X(gnutls_bye) \
	X(gnutls_protocol_get_version) \
	X(gnutls_protocol_get_name) \
	X(gnutls_cipher_get) \
	X(gnutls_cipher_get_name) \
	X(gnutls_session_is_resumed) \
	X(gnutls_load_file) \
	X(gnutls_x509_crt_list_import2) \
	X(gnutls_x509_crt_deinit) \
	X(gnutls_x509_crt_get_expiration_time) \
	X(gnutls_x509_crt_get_activation_time) \
	X(gnutls_x509_crt_get_dn3) \
	X(gnutls_certificate_set_x509_system_trust) \
	X(gnutls_certificate_set_x509_trust_file) \
	X(gnutls_server_name_set) \
	X(gnutls_session_set_verify_cert) \
	X(gnutls_session_get_verify_cert_status) \
	X(gnutls_certificate_verification_status_print)

/* The resolved entry points, called as gt.gnutls_xxx(...). */
static struct {
	void *handle;
	bool failed, deinit;
	gnutls_free_function *free_ptr;	/* the gnutls_free variable */
#define X(fn) __typeof__(fn) *fn;
	GNUTLS_FUNCTIONS(X)
#undef X
} gt;

/* Process-wide: one listener per process. */
static struct {
	bool ready;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	gnutls_datum_t ticket_key;
} srv;

struct tls_conn {
	gnutls_session_t gs;
	struct conn *conn;
	int err;		/* errno of the last failed push/pull */
	long long deadline;	/* ms, CLOCK_MONOTONIC: end of the handshake */
};

static const struct conn_transport tls_transport;

static void gt_free(void *p)
{
	if (p)
		(*gt.free_ptr)(p);
}

/* 0 or -ENOTSUP with the reason logged. */
static int gt_load(void)
{
	if (gt.handle)
		return 0;
	if (gt.failed)
		return -ENOTSUP;
	gt.handle = dlopen(GNUTLS_SONAME, RTLD_LAZY | RTLD_LOCAL);
	if (!gt.handle) {
		log_msg(LOG_ERR, "TLS: cannot load %s: %s", GNUTLS_SONAME, dlerror());
		gt.failed = true;
		return -ENOTSUP;
	}
	gt.free_ptr = (gnutls_free_function *)dlsym(gt.handle, "gnutls_free");
#define X(fn) *(void **)&gt.fn = dlsym(gt.handle, #fn); \
	if (!gt.fn) { log_msg(LOG_ERR, "TLS: %s lacks %s", GNUTLS_SONAME, #fn); goto fail; }
	GNUTLS_FUNCTIONS(X)
#undef X
	if (!gt.free_ptr)
		goto fail;
	if (gt.gnutls_global_init() < 0) {
		log_msg(LOG_ERR, "TLS: cannot initialise GnuTLS");
		goto fail;
	}
	return 0;
fail:
	dlclose(gt.handle);
	memset(&gt, 0, sizeof(gt));
	gt.failed = true;
	return -ENOTSUP;
}

bool tls_supported(void)
{
	return true;
}

/* ---- transport ------------------------------------------------------------ */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The longest the next wait may take: the idle limit, during the
 * handshake what is left of it, and what is left of the connection's
 * deadline (conn_set_deadline: the current line and its replies).
 * GnuTLS's own handshake timeout does not count the time spent waiting
 * for data, so a client trickling a byte at a time would hold it open for
 * ever; a client that stops reading would hold a write for ever. */
static int wait_limit(const struct tls_conn *t)
{
	long long limit = t->conn->timeout_ms, now = 0;

	if (t->deadline || t->conn->deadline_ms)
		now = now_ms();
	if (t->deadline && t->deadline - now < limit)
		limit = t->deadline - now;
	if (t->conn->deadline_ms && t->conn->deadline_ms - now < limit)
		limit = t->conn->deadline_ms - now;
	return limit > 0 ? (int)limit : 0;
}

/* 0 when @fd is ready, -ETIMEDOUT, or -errno. */
static int wait_fd(const struct tls_conn *t, int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r, limit = wait_limit(t);

	/* past the deadline: still take what is ready, wait no more */
	do
		r = poll(&p, 1, limit);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* Never block in write(2), as conn.c's raw_send: the launcher's socket is
 * blocking, and a client that stops reading would hold the process in the
 * kernel past every timeout (records, the handshake and the close alert
 * all come through here).  A socket is written with MSG_DONTWAIT; a pipe
 * only after poll() said it has room, at most PIPE_BUF octets.  Waits are
 * bounded by wait_limit(): past it, -1 with ETIMEDOUT. */
static ssize_t push_once(struct tls_conn *t, const void *buf, size_t n)
{
	struct conn *c = t->conn;
	ssize_t w;
	int r;

	if (!c->wfd_not_socket) {
		w = send(c->wfd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w >= 0 || errno != ENOTSOCK)
			return w;
		c->wfd_not_socket = true;
	}
	if ((r = wait_fd(t, c->wfd, POLLOUT)) < 0) {
		errno = -r;
		return -1;
	}
	return write(c->wfd, buf, n < PIPE_BUF ? n : PIPE_BUF);
}

static ssize_t push(gnutls_transport_ptr_t ptr, const void *buf, size_t n)
{
	struct tls_conn *t = ptr;
	ssize_t w;
	int r;

	for (;;) {
		w = push_once(t, buf, n);
		if (w >= 0)
			return w;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		if ((r = wait_fd(t, t->conn->wfd, POLLOUT)) < 0) {
			errno = -r;
			break;
		}
	}
	t->err = errno;
	gt.gnutls_transport_set_errno(t->gs, errno);
	return -1;
}

static ssize_t pull(gnutls_transport_ptr_t ptr, void *buf, size_t n)
{
	struct tls_conn *t = ptr;
	ssize_t k;
	int r;

	for (;;) {
		if ((r = wait_fd(t, t->conn->rfd, POLLIN)) < 0) {
			errno = -r;
			break;
		}
		k = read(t->conn->rfd, buf, n);
		if (k >= 0)
			return k;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
	}
	t->err = errno;
	gt.gnutls_transport_set_errno(t->gs, errno);
	return -1;
}

/* GnuTLS asks before reading during the handshake: >0 ready, 0 timed
 * out, -1 error. */
static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tls_conn *t = ptr;
	struct pollfd p = { .fd = t->conn->rfd, .events = POLLIN };
	int limit = wait_limit(t), r;

	if (ms != GNUTLS_INDEFINITE_TIMEOUT && ms < (unsigned)INT_MAX && (int)ms < limit)
		limit = (int)ms;
	if (limit == 0)
		return 0;
	do
		r = poll(&p, 1, limit);
	while (r < 0 && errno == EINTR);
	return r;
}

static ssize_t tls_recv(struct conn *c, void *buf, size_t n)
{
	struct tls_conn *t = c->tr_data;
	ssize_t r = gt.gnutls_record_recv(t->gs, buf, n);

	if (r >= 0)
		return r;
	switch (r) {
	case GNUTLS_E_AGAIN:
	case GNUTLS_E_INTERRUPTED:
		errno = EAGAIN;
		return -1;
	case GNUTLS_E_PREMATURE_TERMINATION:
		return 0;	/* EOF without close_notify: a lost connection */
	case GNUTLS_E_PULL_ERROR:
		errno = t->err ? t->err : EIO;
		return -1;
	}
	if (!gt.gnutls_error_is_fatal((int)r)) {
		errno = EAGAIN;
		return -1;
	}
	log_msg(LOG_INFO, "TLS: receive failed: %s", gt.gnutls_strerror((int)r));
	errno = EPROTO;
	return -1;
}

static ssize_t tls_send(struct conn *c, const void *buf, size_t n)
{
	struct tls_conn *t = c->tr_data;
	ssize_t r = gt.gnutls_record_send(t->gs, buf, n);

	if (r >= 0)
		return r;
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		errno = EAGAIN;
		return -1;
	}
	if (r == GNUTLS_E_PUSH_ERROR) {
		errno = t->err ? t->err : EIO;
		return -1;
	}
	log_msg(LOG_INFO, "TLS: send failed: %s", gt.gnutls_strerror((int)r));
	errno = EPROTO;
	return -1;
}

static size_t tls_pending(const struct conn *c)
{
	const struct tls_conn *t = c->tr_data;

	return gt.gnutls_record_check_pending(t->gs);
}

static const struct conn_transport tls_transport = {
	.recv = tls_recv,
	.send = tls_send,
	.pending = tls_pending,
};

/* ---- session-ticket key --------------------------------------------------- */

/* Read the key into srv.ticket_key.  0, -ENOENT, -ESTALE when older than
 * TICKET_KEY_MAX_AGE (the key is still loaded), or -errno. */
static int ticket_key_read(const char *path)
{
	unsigned char buf[512];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (n = read(fd, buf, sizeof(buf))) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	close(fd);
	if (n == 0 || (size_t)n == sizeof(buf))
		return -EINVAL;
	srv.ticket_key.data = malloc((size_t)n);
	if (!srv.ticket_key.data)
		return -ENOMEM;
	memcpy(srv.ticket_key.data, buf, (size_t)n);
	srv.ticket_key.size = (unsigned)n;
	explicit_bzero(buf, sizeof(buf));
	/* whoever reads it can decrypt every resumed session's keys */
	if (st.st_mode & 077)
		log_msg(LOG_WARNING, "TLS: ticket key %s is accessible to others (mode %03o): chmod 600 it",
			path, (unsigned)(st.st_mode & 0777));
	if (time(NULL) - st.st_mtime > TICKET_KEY_MAX_AGE)
		r = -ESTALE;
	return r;
}

/* Write a new key beside @path, then link it into place (@replace false:
 * the first writer wins, EEXIST) or rename it over the old one. */
static int ticket_key_write(const char *path, bool replace)
{
	gnutls_datum_t key = { NULL, 0 };
	char tmp[PATH_MAX];
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if (gt.gnutls_session_ticket_key_generate(&key) < 0)
		return -EIO;
	fd = mkostemp(tmp, O_CLOEXEC);	/* mode 0600 */
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (write(fd, key.data, key.size) != (ssize_t)key.size || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && (replace ? rename(tmp, path) : link(tmp, path)) < 0)
		r = -errno;
	if (r || !replace)
		unlink(tmp);
out:
	explicit_bzero(key.data, key.size);
	gt_free(key.data);
	return r;
}

static void ticket_key_free(void)
{
	if (srv.ticket_key.data)
		explicit_bzero(srv.ticket_key.data, srv.ticket_key.size);
	free(srv.ticket_key.data);
	srv.ticket_key.data = NULL;
	srv.ticket_key.size = 0;
}

/* Resumption is an optimisation: any failure here is logged and the
 * session goes on without tickets. */
static void ticket_key_load(const char *path)
{
	int r = ticket_key_read(path);

	if (r == -ENOENT) {
		r = ticket_key_write(path, false);
		if (r == 0 || r == -EEXIST)
			r = ticket_key_read(path);
		else
			log_msg(LOG_ERR, "TLS: cannot create ticket key %s: %s", path, strerror(-r));
	} else if (r == -ESTALE) {
		ticket_key_free();
		r = ticket_key_write(path, true);
		if (r < 0)
			log_msg(LOG_WARNING, "TLS: cannot rotate ticket key %s: %s", path, strerror(-r));
		r = ticket_key_read(path);
		if (r == -ESTALE)
			r = 0;	/* could not rotate: the old key still resumes */
	}
	if (r < 0 && r != -ENOENT && r != -EEXIST)
		log_msg(LOG_ERR, "TLS: cannot read ticket key %s: %s", path,
			r == -EINVAL ? "not a key" : strerror(-r));
	if (r < 0)
		ticket_key_free();
}

/* ---- server credentials --------------------------------------------------- */

static void srv_free(void)
{
	if (srv.cred)
		gt.gnutls_certificate_free_credentials(srv.cred);
	if (srv.prio)
		gt.gnutls_priority_deinit(srv.prio);
	ticket_key_free();
	memset(&srv, 0, sizeof(srv));
}

const char *tls_server_priority(const struct listener *l)
{
	if (l->tls.priority)
		return l->tls.priority;
	if (l->tls.socket_tls || l->tls.required || auth_announce_mode(l) != AUTH_FALSE)
		return STRICT_PRIORITY;
	return DEFAULT_PRIORITY;
}

int tls_prepare(struct session *s)
{
	const struct tls_conf *tc = &s->lst->tls;
	const char *err_pos = NULL;
	int r;

	if (srv.ready)
		return 0;
	if ((r = gt_load()) < 0)
		return r;
	if (!tc->certificates || !tc->private_key) {
		log_msg(LOG_ERR, "TLS: no certificates or privateKey configured");
		return -EINVAL;
	}
	r = gt.gnutls_certificate_allocate_credentials(&srv.cred);
	/* The pair check signs and verifies (a fifth of a resumed session's
	 * CPU with ECDSA, more with RSA) in every process: --check does it. */
	if (r >= 0)
		gt.gnutls_certificate_set_flags(srv.cred, GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
	if (r >= 0)
		r = gt.gnutls_certificate_set_x509_key_file2(srv.cred, tc->certificates, tc->private_key,
							     GNUTLS_X509_FMT_PEM, tc->secret, 0);
	if (r < 0) {
		log_msg(LOG_ERR, "TLS: cannot load certificate %s and key %s: %s",
			tc->certificates, tc->private_key, gt.gnutls_strerror(r));
		goto fail;
	}
	r = gt.gnutls_priority_init2(&srv.prio, tls_server_priority(s->lst), &err_pos, 0);
	if (r < 0) {
		log_msg(LOG_ERR, "TLS: bad priority string at '%s': %s", err_pos ? err_pos : "",
			gt.gnutls_strerror(r));
		goto fail;
	}
	if (tc->ticket_key)
		ticket_key_load(tc->ticket_key);
	srv.ready = true;
	return 0;
fail:
	srv_free();
	return -EINVAL;
}

/* ---- the session ---------------------------------------------------------- */

static void tls_conn_free(struct tls_conn *t)
{
	if (!t)
		return;
	if (t->gs)
		gt.gnutls_deinit(t->gs);
	free(t);
}

/* Both sides: our push/pull on the conn's fds, and the whole handshake
 * within the connection timeout, not each read.  GnuTLS's result. */
static int handshake(struct tls_conn *t)
{
	struct conn *c = t->conn;
	int r;

	gt.gnutls_transport_set_ptr(t->gs, t);
	gt.gnutls_transport_set_push_function(t->gs, push);
	gt.gnutls_transport_set_pull_function(t->gs, pull);
	gt.gnutls_transport_set_pull_timeout_function(t->gs, pull_timeout);
	gt.gnutls_handshake_set_timeout(t->gs, (unsigned)c->timeout_ms);
	t->deadline = now_ms() + c->timeout_ms;
	conn_set_deadline(c);	/* the handshake's writes too */
	do
		r = gt.gnutls_handshake(t->gs);
	while (r < 0 && !gt.gnutls_error_is_fatal(r));
	t->deadline = 0;
	return r;
}

int tls_start(struct session *s)
{
	struct conn *c = s->conn;
	struct tls_conn *t;
	unsigned flags = GNUTLS_SERVER;
	int r;

	if ((r = tls_prepare(s)) < 0)
		return r;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->conn = c;
	/* Tickets under a per-process random key could never be redeemed:
	 * issue none unless the key is shared. */
	if (!srv.ticket_key.data)
		flags |= GNUTLS_NO_TICKETS;
	r = gt.gnutls_init(&t->gs, flags);
	if (r >= 0)
		r = gt.gnutls_priority_set(t->gs, srv.prio);
	if (r >= 0)
		r = gt.gnutls_credentials_set(t->gs, GNUTLS_CRD_CERTIFICATE, srv.cred);
	if (r >= 0 && srv.ticket_key.data) {
		r = gt.gnutls_session_ticket_enable_server(t->gs, &srv.ticket_key);
		if (r < 0) {
			log_msg(LOG_ERR, "TLS: ticket key %s: %s", s->lst->tls.ticket_key, gt.gnutls_strerror(r));
			r = 0;
		}
	}
	if (r < 0) {
		log_msg(LOG_ERR, "TLS: cannot set up a session: %s", gt.gnutls_strerror(r));
		tls_conn_free(t);
		return -ENOMEM;
	}
	r = handshake(t);
	if (r < 0) {
		bool io = r == GNUTLS_E_PULL_ERROR || r == GNUTLS_E_PUSH_ERROR;
		int err = io ? (t->err ? t->err : EIO) : r == GNUTLS_E_TIMEDOUT ? ETIMEDOUT : EPROTO;

		log_msg(LOG_INFO, "TLS handshake failed from [%s]: %s", s->peer_text,
			io ? strerror(err) : gt.gnutls_strerror(r));
		tls_conn_free(t);
		return -err;
	}
	c->tr = &tls_transport;
	c->tr_data = t;
	s->tls_active = true;
	snprintf(s->tls_info, sizeof(s->tls_info), "%s with cipher %s",
		 gt.gnutls_protocol_get_name(gt.gnutls_protocol_get_version(t->gs)),
		 gt.gnutls_cipher_get_name(gt.gnutls_cipher_get(t->gs)));
	log_msg(LOG_INFO, "TLS established with [%s]: %s%s", s->peer_text, s->tls_info,
		gt.gnutls_session_is_resumed(t->gs) ? " (resumed)" : "");
	return 0;
}

void tls_finish(struct session *s)
{
	struct conn *c = s->conn;

	if (c && c->tr == &tls_transport) {
		struct tls_conn *t = c->tr_data;

		conn_flush(c);
		/* close_notify (RFC 8446 §6.1); the client's is not awaited */
		gt.gnutls_bye(t->gs, GNUTLS_SHUT_WR);
		tls_conn_free(t);
		c->tr = NULL;
		c->tr_data = NULL;
	}
	if (srv.ready || srv.cred || srv.prio)
		srv_free();
	if (gt.handle && !gt.deinit) {
		gt.gnutls_global_deinit();
		gt.deinit = true;
	}
}

/* ---- client side (smtpd-relay) -------------------------------------------- */

static gnutls_certificate_credentials_t client_cred;

int tls_client_start(struct conn *c, const struct tls_client_opts *o, char *info, size_t infosize,
		     char *why, size_t whysize)
{
	struct tls_conn *t;
	const char *err_pos = NULL;
	gnutls_priority_t prio = NULL;
	int r;

	snprintf(why, whysize, "TLS unavailable");
	if ((r = gt_load()) < 0)
		return r;
	if (!client_cred) {
		r = gt.gnutls_certificate_allocate_credentials(&client_cred);
		if (r >= 0)
			r = o->ca_file ? gt.gnutls_certificate_set_x509_trust_file(client_cred, o->ca_file,
										   GNUTLS_X509_FMT_PEM)
				       : gt.gnutls_certificate_set_x509_system_trust(client_cred);
		if (r < 0) {
			snprintf(why, whysize, "cannot load trusted certificates %s: %s",
				 o->ca_file ? o->ca_file : "(system)", gt.gnutls_strerror(r));
			return -EINVAL;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->conn = c;
	r = gt.gnutls_init(&t->gs, GNUTLS_CLIENT);
	if (r >= 0)
		r = gt.gnutls_priority_init2(&prio, o->priority ? o->priority : DEFAULT_PRIORITY, &err_pos, 0);
	if (r >= 0)
		r = gt.gnutls_priority_set(t->gs, prio);
	if (r >= 0)
		r = gt.gnutls_credentials_set(t->gs, GNUTLS_CRD_CERTIFICATE, client_cred);
	/* SNI, and the name the certificate must hold (RFC 6125) */
	if (r >= 0 && o->server_name)
		r = gt.gnutls_server_name_set(t->gs, GNUTLS_NAME_DNS, o->server_name, strlen(o->server_name));
	if (r >= 0 && o->verify)
		gt.gnutls_session_set_verify_cert(t->gs, o->server_name, 0);
	if (prio)
		gt.gnutls_priority_deinit(prio);
	if (r < 0) {
		snprintf(why, whysize, "cannot set up TLS: %s", gt.gnutls_strerror(r));
		tls_conn_free(t);
		return -EINVAL;
	}
	r = handshake(t);
	if (r < 0) {
		bool io = r == GNUTLS_E_PULL_ERROR || r == GNUTLS_E_PUSH_ERROR;
		int err = io ? (t->err ? t->err : EIO) : r == GNUTLS_E_TIMEDOUT ? ETIMEDOUT : EPROTO;

		if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			gnutls_datum_t out = { NULL, 0 };
			unsigned status = gt.gnutls_session_get_verify_cert_status(t->gs);

			gt.gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0);
			snprintf(why, whysize, "certificate of %s not trusted: %s",
				 o->server_name ? o->server_name : "server", out.data ? (char *)out.data : "?");
			gt_free(out.data);
			err = EKEYREJECTED;
		} else {
			snprintf(why, whysize, "TLS handshake failed: %s", io ? strerror(err) : gt.gnutls_strerror(r));
		}
		tls_conn_free(t);
		return -err;
	}
	c->tr = &tls_transport;
	c->tr_data = t;
	snprintf(info, infosize, "%s with cipher %s",
		 gt.gnutls_protocol_get_name(gt.gnutls_protocol_get_version(t->gs)),
		 gt.gnutls_cipher_get_name(gt.gnutls_cipher_get(t->gs)));
	return 0;
}

void tls_client_finish(struct conn *c)
{
	if (c && c->tr == &tls_transport) {
		struct tls_conn *t = c->tr_data;

		gt.gnutls_bye(t->gs, GNUTLS_SHUT_WR);
		tls_conn_free(t);
		c->tr = NULL;
		c->tr_data = NULL;
	}
}

/* ---- --check -------------------------------------------------------------- */

static enum tls_check check_load(char *why, size_t whysize)
{
	if (gt_load() < 0) {
		snprintf(why, whysize, "TLS: cannot load %s", GNUTLS_SONAME);
		return TLS_CHECK_ERROR;
	}
	return TLS_CHECK_OK;
}

enum tls_check tls_check_priority(const char *priority, char *why, size_t whysize)
{
	gnutls_priority_t p;
	const char *err_pos = NULL;
	int r;

	if (check_load(why, whysize) != TLS_CHECK_OK)
		return TLS_CHECK_ERROR;
	r = gt.gnutls_priority_init2(&p, priority, &err_pos, 0);
	if (r < 0) {
		snprintf(why, whysize, "priority: invalid GnuTLS priority string '%s' (error at '%s')",
			 priority, err_pos ? err_pos : "");
		return TLS_CHECK_ERROR;
	}
	gt.gnutls_priority_deinit(p);
	return TLS_CHECK_OK;
}

static void format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

enum tls_check tls_check_certificates(const char *file, char *why, size_t whysize)
{
	gnutls_datum_t data = { NULL, 0 }, dn = { NULL, 0 };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	enum tls_check res = TLS_CHECK_OK;
	time_t now = time(NULL), t;
	char when[64];
	int r;

	if (check_load(why, whysize) != TLS_CHECK_OK)
		return TLS_CHECK_ERROR;
	if ((r = gt.gnutls_load_file(file, &data)) < 0) {
		snprintf(why, whysize, "certificates: cannot read %s: %s", file, gt.gnutls_strerror(r));
		return TLS_CHECK_ERROR;
	}
	r = gt.gnutls_x509_crt_list_import2(&crts, &n, &data, GNUTLS_X509_FMT_PEM, 0);
	gt_free(data.data);
	if (r < 0 || n == 0) {
		snprintf(why, whysize, "certificates: %s holds no PEM certificate: %s", file,
			 r < 0 ? gt.gnutls_strerror(r) : "empty");
		return TLS_CHECK_ERROR;
	}
	gt.gnutls_x509_crt_get_dn3(crts[0], &dn, 0);
	if ((t = gt.gnutls_x509_crt_get_expiration_time(crts[0])) != (time_t)-1 && t < now) {
		format_time(t, when, sizeof(when));
		snprintf(why, whysize, "certificates: the certificate in %s (%s) expired on %s",
			 file, dn.data ? (char *)dn.data : "?", when);
		res = TLS_CHECK_WARNING;
	} else if ((t = gt.gnutls_x509_crt_get_activation_time(crts[0])) != (time_t)-1 && t > now) {
		format_time(t, when, sizeof(when));
		snprintf(why, whysize, "certificates: the certificate in %s (%s) is not valid before %s",
			 file, dn.data ? (char *)dn.data : "?", when);
		res = TLS_CHECK_WARNING;
	}
	gt_free(dn.data);
	for (unsigned i = 0; i < n; i++)
		gt.gnutls_x509_crt_deinit(crts[i]);
	gt_free(crts);
	return res;
}

enum tls_check tls_check_key(const char *certificates, const char *key, const char *secret,
			     char *why, size_t whysize)
{
	gnutls_certificate_credentials_t cred;
	int r;

	if (check_load(why, whysize) != TLS_CHECK_OK)
		return TLS_CHECK_ERROR;
	if (gt.gnutls_certificate_allocate_credentials(&cred) < 0) {
		snprintf(why, whysize, "privateKey: out of memory");
		return TLS_CHECK_ERROR;
	}
	r = gt.gnutls_certificate_set_x509_key_file2(cred, certificates, key, GNUTLS_X509_FMT_PEM, secret, 0);
	gt.gnutls_certificate_free_credentials(cred);
	if (r >= 0)
		return TLS_CHECK_OK;
	if (r == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
		snprintf(why, whysize, "privateKey: %s does not match the certificate in %s", key, certificates);
	else if (r == GNUTLS_E_DECRYPTION_FAILED || r == GNUTLS_E_PK_INVALID_PRIVKEY
		 || r == GNUTLS_E_PKCS1_WRONG_PAD)
		snprintf(why, whysize, "privateKey: cannot decrypt %s: %s", key,
			 secret ? "wrong secret" : "encrypted, and no secret is set");
	else
		snprintf(why, whysize, "privateKey: cannot load %s with %s: %s", key, certificates,
			 gt.gnutls_strerror(r));
	return TLS_CHECK_ERROR;
}
