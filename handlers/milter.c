/* milter.c — see milter.h.  The wire format is milter-proto.h. */
#include "milter.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "heldmsg.h"
#include "log.h"

/* ---- settings ------------------------------------------------------------ */

const char *milter_parse_socket(const char *spec, bool resolve, struct sockaddr_storage *addr,
				socklen_t *len)
{
	memset(addr, 0, sizeof(*addr));
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)addr;
		const char *path = spec + 5;

		if (path[0] != '/')
			return "a unix socket needs an absolute path (unix:/PATH)";
		if (strlen(path) >= sizeof(un->sun_path))
			return "the socket path is too long";
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
		return NULL;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		char host[256];
		const char *p = spec + 5, *colon;
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *res;
		char *end;
		long port;
		size_t hl;

		if (*p == '[') {
			const char *close = strchr(p, ']');

			if (!close || close[1] != ':')
				return "expected inet:[IPv6]:PORT";
			hl = (size_t)(close - p - 1);
			p++;
			colon = close + 1;
		} else {
			colon = strrchr(p, ':');
			if (!colon)
				return "expected inet:HOST:PORT";
			hl = (size_t)(colon - p);
		}
		if (hl == 0 || hl >= sizeof(host))
			return "expected inet:HOST:PORT";
		memcpy(host, p, hl);
		host[hl] = '\0';
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || port < 1 || port > 65535)
			return "the port must be 1-65535";
		if (!resolve)
			hints.ai_flags |= AI_NUMERICHOST;
		if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
			return resolve ? "the host does not resolve" : "the host must be an IP address";
		memcpy(addr, res->ai_addr, res->ai_addrlen);
		*len = res->ai_addrlen;
		freeaddrinfo(res);
		return NULL;
	}
	return "expected unix:/PATH or inet:HOST:PORT";
}

static const struct {
	const char *name;
	unsigned stages;
} known_macros[] = {
#define ST(x) (1u << SMFIM_##x)
	{ "j", ST(CONNECT) },			/* our helloName */
	{ "_", ST(CONNECT) },			/* "name [addr]" of the client */
	{ "v", ST(CONNECT) },			/* "smtpd VERSION" */
	{ "{daemon_name}", ST(CONNECT) },	/* the listener's name */
	{ "{daemon_addr}", ST(CONNECT) },
	{ "{daemon_port}", ST(CONNECT) },
	{ "{client_addr}", ST(CONNECT) },
	{ "{client_port}", ST(CONNECT) },
	{ "{client_name}", ST(CONNECT) },
	{ "{client_ptr}", ST(CONNECT) },
	{ "{tls_version}", ST(HELO) },		/* "TLS1.3" (GnuTLS' names) */
	{ "{cipher}", ST(HELO) },		/* "AES-256-GCM" */
	{ "i", ST(ENVFROM) | ST(ENVRCPT) | ST(DATA) | ST(EOH) | ST(EOM) },	/* message id */
	{ "{auth_type}", ST(ENVFROM) },		/* the SASL mechanism */
	{ "{auth_authen}", ST(ENVFROM) },	/* the SASL user */
	{ "{auth_author}", ST(ENVFROM) },	/* MAIL's AUTH=, xtext decoded */
	{ "{mail_addr}", ST(ENVFROM) },
	{ "{rcpt_addr}", ST(ENVRCPT) },
#undef ST
};

unsigned milter_macro_stages(const char *name)
{
	for (size_t i = 0; i < sizeof(known_macros) / sizeof(known_macros[0]); i++)
		if (strcmp(known_macros[i].name, name) == 0)
			return known_macros[i].stages;
	return 0;
}

const char *milter_macro_names(void)
{
	return "j _ v {daemon_name} {daemon_addr} {daemon_port} {client_addr} {client_port} "
	       "{client_name} {client_ptr} {tls_version} {cipher} i {auth_type} {auth_authen} "
	       "{auth_author} {mail_addr} {rcpt_addr}";
}

/* ---- the connection ------------------------------------------------------ */

enum mstate {
	M_OPEN,			/* events flow */
	M_SKIP_MSG,		/* accepted or refused this transaction: until abort */
	M_SKIP_CONN,		/* accepted the session: nothing more */
	M_BROKEN,		/* default action for every event */
};

/* A header edit, kept until the filter accepts the message. */
struct edit {
	char kind;		/* SMFIR_ADDHEADER, SMFIR_INSHEADER, SMFIR_CHGHEADER */
	uint32_t index;
	char *name, *value;
};

struct milter {
	const struct milter_settings *set;
	const char *sid;
	milter_macro_fn *macro;
	void *ctx;
	int fd;
	enum mstate state;
	bool discard;			/* a DISCARD earlier in the transaction */
	bool in_txn;			/* MAIL sent: abort at its end */
	bool in_body;			/* sending body chunks: SMFIR_SKIP allowed */
	bool quarantine;		/* SMFIR_QUARANTINE at this end of message */
	bool skip_body;			/* SMFIR_SKIP: no more body chunks */
	uint32_t actions, protocol;	/* negotiated: what we offered ∩ what it wants */
	const char *stage_macros[SMFIM__COUNT];
	char *neg_macros;		/* storage for the lists the filter asked for */
	long long deadline;		/* CLOCK_MONOTONIC ms */
	struct milter_reader rd;
	char in[4096];
	size_t in_pos, in_len;
	struct edit *edits;
	size_t nedits, capedits;
	char rbuf[MILTER_REPLY_MAX];
	struct milter_frame out;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_deadline(struct milter *m, int ms)
{
	m->deadline = now_ms() + ms;
}

/* poll() until @events or the deadline.  0, -ETIMEDOUT or -errno. */
static int wait_fd(struct milter *m, short events)
{
	struct pollfd p = { .fd = m->fd, .events = events };
	int r;

	do {
		long long left = m->deadline - now_ms();

		if (left < 0)
			left = 0;
		r = poll(&p, 1, (int)left);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

static void drop_edits(struct milter *m)
{
	for (size_t i = 0; i < m->nedits; i++) {
		free(m->edits[i].name);
		free(m->edits[i].value);
	}
	m->nedits = 0;
}

/* The filter is gone or broken: close it, and from now on every event
 * gets the default action. */
static void broken(struct milter *m, const char *why)
{
	log_msg(LOG_WARNING, "milter %s: %s; default action %s from now on", m->set->socket, why,
		(const char *[]){ "accept", "reject", "tempfail", "shutdown" }[m->set->default_action]);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->state = M_BROKEN;
	drop_edits(m);
}

static int send_frame(struct milter *m)
{
	size_t off = 0;

	if (milter_frame_end(&m->out) < 0)
		return -EMSGSIZE;
	while (off < m->out.len) {
		ssize_t w = send(m->fd, m->out.buf + off, m->out.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		int r;

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((r = wait_fd(m, POLLOUT)) < 0)
				return r;
			continue;
		}
		return w < 0 ? -errno : -EPIPE;
	}
	return 0;
}

/* One reply packet, parsed.  0, or -errno (-ETIMEDOUT, -EPROTO for a
 * malformed or unknown packet, -ECONNRESET when the filter closed). */
static int read_reply(struct milter *m, struct milter_reply *r, const char **why)
{
	for (;;) {
		size_t used;
		enum milter_read_result res;
		int w;

		if (m->in_pos < m->in_len) {
			res = milter_reader_feed(&m->rd, m->in + m->in_pos, m->in_len - m->in_pos, &used);
			m->in_pos += used;
			if (res == MR_PACKET) {
				switch (milter_reply_parse(m->rd.cmd, m->rbuf, milter_reader_datalen(&m->rd), r)) {
				case MP_OK:
					return 0;
				case MP_UNKNOWN:
					*why = "unknown reply";
					return -EPROTO;
				case MP_MALFORMED:
					*why = "malformed reply";
					return -EPROTO;
				case MP_BAD_REPLY:
					*why = "invalid SMTP reply text (not 4xx/5xx, CR/LF or control characters)";
					return -EPROTO;
				}
			}
			if (res != MR_MORE) {
				*why = res == MR_EMPTY ? "empty packet" : "reply longer than allowed";
				return -EPROTO;
			}
			continue;
		}
		if ((w = wait_fd(m, POLLIN)) < 0) {
			*why = w == -ETIMEDOUT ? "timed out" : "read error";
			return w;
		}
		ssize_t n = read(m->fd, m->in, sizeof(m->in));

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			*why = n == 0 ? "closed the connection" : "read error";
			return n == 0 ? -ECONNRESET : -errno;
		}
		m->in_pos = 0;
		m->in_len = (size_t)n;
	}
}

static void set_verdict(struct milter_verdict *v, enum milter_verdict_kind kind)
{
	memset(v, 0, sizeof(*v));
	v->kind = kind;
}

static void default_verdict(const struct milter *m, struct milter_verdict *v)
{
	static const enum milter_verdict_kind map[] = {
		[MILTER_ACCEPT] = MV_CONTINUE, [MILTER_REJECT] = MV_REJECT,
		[MILTER_TEMPFAIL] = MV_TEMPFAIL, [MILTER_SHUTDOWN] = MV_SHUTDOWN,
	};

	set_verdict(v, map[m->set->default_action]);
	v->broken = true;
}

/* "xyz[ -]d.d.d text" lines: the code, the enhanced code of the first
 * line, the texts joined by "; " (the session sends one line). */
static void custom_reply(const char *text, int code, struct milter_verdict *v)
{
	size_t o = 0;

	v->code = code;
	for (const char *line = text; line; ) {
		const char *eol = strstr(line, "\r\n"), *p = line + 3;
		size_t n;

		if (*p)
			p++;
		if (isdigit((unsigned char)*p) && p[1] == '.') {
			const char *sp = p;

			while (*sp && *sp != ' ' && sp != eol)
				sp++;
			if (!v->enh[0] && (size_t)(sp - p) < sizeof(v->enh))
				memcpy(v->enh, p, (size_t)(sp - p));
			p = *sp == ' ' ? sp + 1 : sp;
		}
		n = eol ? (size_t)(eol - p) : strlen(p);
		if (o && n && o + 2 < sizeof(v->text)) {
			memcpy(v->text + o, "; ", 2);
			o += 2;
		}
		if (o + n >= sizeof(v->text))
			n = sizeof(v->text) - 1 - o;
		memcpy(v->text + o, p, n);
		o += n;
		line = eol ? eol + 2 : NULL;
	}
	v->text[o] = '\0';
}

static int keep_edit(struct milter *m, const struct milter_reply *r)
{
	struct edit *e;

	if (m->nedits == m->capedits) {
		size_t cap = m->capedits ? m->capedits * 2 : 8;
		struct edit *v = realloc(m->edits, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->edits = v;
		m->capedits = cap;
	}
	e = &m->edits[m->nedits];
	e->kind = r->cmd;
	e->index = r->index;
	e->name = strdup(r->name);
	e->value = strdup(r->value);
	if (!e->name || !e->value) {
		free(e->name);
		free(e->value);
		return -ENOMEM;
	}
	m->nedits++;
	return 0;
}

/* What a verdict ends, by stage. */
enum stage_kind {
	SK_CONN,		/* connect: accept or refusal ends the session's filtering */
	SK_HELO,		/* a refused HELO may be sent again */
	SK_MAIL,		/* a refused MAIL: the transaction never started */
	SK_RCPT,		/* a refused RCPT refuses that recipient only */
	SK_MSG,			/* DATA, header, body: the message */
	SK_EOM,			/* end of message: header edits allowed */
};

static void send_abort(struct milter *m)
{
	milter_frame_begin(&m->out, SMFIC_ABORT);
	set_deadline(m, m->set->command_timeout_ms);
	if (send_frame(m) < 0)
		broken(m, "write error");	/* no reply to abort */
	m->in_txn = false;
}

/* After a refusal at @kind: what the filter sees next. */
static void refused(struct milter *m, enum stage_kind kind)
{
	switch (kind) {
	case SK_CONN: m->state = M_SKIP_CONN; break;
	case SK_HELO: case SK_RCPT: break;
	case SK_MAIL: send_abort(m); break;
	case SK_MSG: case SK_EOM: m->state = M_SKIP_MSG; break;
	}
}

/* Send the frame in m->out, and unless @noreply read replies until a
 * verdict. */
static void exchange(struct milter *m, bool noreply, enum stage_kind kind, int timeout_ms,
		     struct milter_verdict *v)
{
	struct milter_reply r;
	const char *why = "write error";
	char reason[160];
	int e;

	set_verdict(v, MV_CONTINUE);
	set_deadline(m, timeout_ms);
	if ((e = send_frame(m)) < 0) {
		broken(m, e == -ETIMEDOUT ? "timed out" : "write error");
		default_verdict(m, v);
		return;
	}
	if (noreply)
		return;
	for (;;) {
		if ((e = read_reply(m, &r, &why)) < 0)
			break;
		switch (r.kind) {
		case MRK_CONTINUE:
			return;
		case MRK_ACCEPT:
			v->kind = MV_ACCEPT;
			m->state = kind <= SK_HELO ? M_SKIP_CONN : M_SKIP_MSG;
			return;
		case MRK_REJECT:
		case MRK_TEMPFAIL:
			v->kind = r.kind == MRK_REJECT ? MV_REJECT : MV_TEMPFAIL;
			refused(m, kind);
			return;
		case MRK_REPLYCODE:
			v->kind = r.code == 421 ? MV_SHUTDOWN : r.code / 100 == 5 ? MV_REJECT : MV_TEMPFAIL;
			custom_reply(r.text, r.code, v);
			if (v->kind == MV_SHUTDOWN)
				m->state = M_SKIP_CONN;
			else
				refused(m, kind);
			return;
		case MRK_DISCARD:
			if (kind <= SK_HELO)
				goto unexpected;	/* no message to discard */
			v->kind = MV_DISCARD;
			m->discard = true;
			m->state = M_SKIP_MSG;
			return;
		case MRK_SHUTDOWN:
			v->kind = MV_SHUTDOWN;
			m->state = M_SKIP_CONN;
			return;
		case MRK_PROGRESS:
			set_deadline(m, timeout_ms);	/* still working */
			continue;
		case MRK_SKIP:
			/* for body chunks only, and only when offered */
			if (!m->in_body || !(m->protocol & SMFIP_SKIP))
				goto unexpected;
			m->skip_body = true;
			return;
		case MRK_ADDHEADER:
		case MRK_INSHEADER:
		case MRK_CHGHEADER:
			if (kind != SK_EOM)
				goto unexpected;
			if (!(m->actions & (r.kind == MRK_CHGHEADER ? SMFIF_CHGHDRS : SMFIF_ADDHDRS)))
				goto unexpected;
			if (keep_edit(m, &r) < 0) {
				why = "out of memory";
				goto fail;
			}
			continue;
		case MRK_QUARANTINE:
			if (kind != SK_EOM || !(m->actions & SMFIF_QUARANTINE))
				goto unexpected;
			log_escape(r.text, strlen(r.text), reason, sizeof(reason));
			log_msg(LOG_WARNING, "milter %s: quarantine asked (%s): there is none here, the message is refused",
				m->set->socket, reason);
			m->quarantine = true;
			continue;
		case MRK_OPTNEG:
		case MRK_UNSUPPORTED:
			goto unexpected;
		}
	}
fail:
	broken(m, why);
	default_verdict(m, v);
	return;
unexpected:
	snprintf(reason, sizeof(reason), "unexpected or not negotiated reply '%c'", r.cmd);
	broken(m, reason);
	default_verdict(m, v);
}

/* SMFIC_MACRO for @stage, before the event, if it has any to send. */
static int send_macros(struct milter *m, enum milter_stage stage, char cmd)
{
	const char *list = m->stage_macros[stage];
	char name[64], value[1024];
	bool any = false;

	if (!list || !*list)
		return 0;
	milter_frame_begin(&m->out, SMFIC_MACRO);
	milter_put_bytes(&m->out, &cmd, 1);
	for (const char *p = list; *p; ) {
		size_t n = strcspn(p, " \t,");
		const char *val;

		if (n > 0 && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			val = m->macro ? m->macro(m->ctx, name, value, sizeof(value)) : NULL;
			if (val) {
				milter_put_str(&m->out, name);
				milter_put_str(&m->out, val);
				any = true;
			}
		}
		p += n;
		p += strspn(p, " \t,");
	}
	if (!any)
		return 0;
	set_deadline(m, m->set->command_timeout_ms);
	return send_frame(m);	/* no reply to macros */
}

static bool active(const struct milter *m)
{
	return m && m->state == M_OPEN;
}

/* A pre-verdict for an event: NULL when the event is to be sent. */
static bool skip_event(struct milter *m, struct milter_verdict *v)
{
	set_verdict(v, MV_CONTINUE);
	if (!m)
		return true;
	if (m->state == M_BROKEN) {
		default_verdict(m, v);
		return true;
	}
	return m->state != M_OPEN;
}

/* Send the macros and an event that carries only strings. */
static void event(struct milter *m, enum milter_stage stage, char cmd, unsigned no, unsigned nr,
		  enum stage_kind kind, const char *const *strs, struct milter_verdict *v)
{
	if (skip_event(m, v))
		return;
	if (m->protocol & no)
		return;
	if (send_macros(m, stage, cmd) < 0) {
		broken(m, "write error");
		default_verdict(m, v);
		return;
	}
	milter_frame_begin(&m->out, cmd);
	for (size_t i = 0; strs && strs[i]; i++)
		milter_put_str(&m->out, strs[i]);
	exchange(m, (m->protocol & nr) != 0, kind, m->set->command_timeout_ms, v);
}

struct milter *milter_open(const struct milter_settings *set, const char *session_id,
			   milter_macro_fn *macro, void *ctx)
{
	struct milter *m = calloc(1, sizeof(*m));
	struct milter_reply r;
	const char *why = "connect failed";
	int e;
	size_t total = 0;

	if (!m)
		return NULL;
	m->set = set;
	m->sid = session_id;
	m->macro = macro;
	m->ctx = ctx;
	milter_reader_init(&m->rd, m->rbuf);
	m->fd = socket(set->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (m->fd < 0) {
		broken(m, "cannot make a socket");
		return m;
	}
	set_deadline(m, set->connect_timeout_ms);
	if (connect(m->fd, (const struct sockaddr *)&set->addr, set->addrlen) < 0) {
		socklen_t len = sizeof(e);

		if (errno != EINPROGRESS && errno != EAGAIN) {
			char reason[160];

			snprintf(reason, sizeof(reason), "cannot connect: %s", strerror(errno));
			broken(m, reason);
			return m;
		}
		if ((e = wait_fd(m, POLLOUT)) < 0
		    || getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e != 0) {
			char reason[160];

			snprintf(reason, sizeof(reason), "cannot connect: %s",
				 e == -ETIMEDOUT ? "timed out (connectTimeout)" : strerror(e < 0 ? -e : e));
			broken(m, reason);
			return m;
		}
	}
	/* negotiation */
	milter_frame_begin(&m->out, SMFIC_OPTNEG);
	milter_put_u32(&m->out, MILTER_VERSION);
	milter_put_u32(&m->out, MILTER_OFFER_ACTIONS);
	milter_put_u32(&m->out, MILTER_OFFER_PROTOCOL);
	set_deadline(m, set->command_timeout_ms);
	if ((e = send_frame(m)) < 0 || (e = read_reply(m, &r, &why)) < 0) {
		broken(m, e == -ETIMEDOUT ? "timed out in negotiation" : why);
		return m;
	}
	if (r.kind != MRK_OPTNEG || r.version < 2) {
		broken(m, r.kind != MRK_OPTNEG ? "no negotiation reply" : "protocol version below 2");
		return m;
	}
	/* Real filters answer with more than was offered (rspamd 3.4 asks
	 * for every action): take what both sides can do. */
	m->actions = r.actions & MILTER_OFFER_ACTIONS;
	m->protocol = r.protocol & MILTER_OFFER_PROTOCOL;
	/* per-stage macro lists: the filter's, when it asked and we offered */
	for (int i = 0; i < SMFIM__COUNT; i++)
		if (r.macros[i] && (m->actions & SMFIF_SETSYMLIST))
			total += strlen(r.macros[i]) + 1;
	if (total && (m->neg_macros = malloc(total))) {
		char *p = m->neg_macros;

		for (int i = 0; i < SMFIM__COUNT; i++)
			if (r.macros[i] && (m->actions & SMFIF_SETSYMLIST)) {
				strcpy(p, r.macros[i]);
				m->stage_macros[i] = p;
				p += strlen(p) + 1;
			}
	}
	for (int i = 0; i < SMFIM__COUNT; i++)
		if (!m->stage_macros[i])
			m->stage_macros[i] = set->macros[i];
	m->state = M_OPEN;
	return m;
}

void milter_connect(struct milter *m, const char *host, int family, const char *addr, uint16_t port,
		    struct milter_verdict *v)
{
	if (skip_event(m, v) || (m->protocol & SMFIP_NOCONNECT))
		return;
	if (send_macros(m, SMFIM_CONNECT, SMFIC_CONNECT) < 0) {
		broken(m, "write error");
		default_verdict(m, v);
		return;
	}
	milter_frame_begin(&m->out, SMFIC_CONNECT);
	milter_put_str(&m->out, host);
	if (family == AF_INET || family == AF_INET6) {
		milter_put_bytes(&m->out, family == AF_INET ? "4" : "6", 1);
		milter_put_u16(&m->out, port);
		milter_put_str(&m->out, addr);
	} else {
		milter_put_bytes(&m->out, "U", 1);	/* unknown: no port, no address */
	}
	exchange(m, (m->protocol & SMFIP_NR_CONN) != 0, SK_CONN, m->set->command_timeout_ms, v);
}

void milter_helo(struct milter *m, const char *name, struct milter_verdict *v)
{
	const char *strs[] = { name, NULL };

	event(m, SMFIM_HELO, SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO, SK_HELO, strs, v);
}

void milter_mail(struct milter *m, const char *const *args, struct milter_verdict *v)
{
	if (m && m->state == M_OPEN)
		m->in_txn = true;
	event(m, SMFIM_ENVFROM, SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL, SK_MAIL, args, v);
}

void milter_rcpt(struct milter *m, const char *const *args, struct milter_verdict *v)
{
	event(m, SMFIM_ENVRCPT, SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT, SK_RCPT, args, v);
}

void milter_data(struct milter *m, struct milter_verdict *v)
{
	event(m, SMFIM_DATA, SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA, SK_MSG, NULL, v);
}

bool milter_wants_message(const struct milter *m)
{
	return active(m);
}

/* The header fields: name\0 value\0, the value without its leading white
 * space unless the filter asked for it (SMFIP_HDR_LEADSPC), folding
 * CRLFs sent as LF, as Sendmail and Postfix send them. */
static void send_headers(struct milter *m, struct held_msg *msg, struct milter_verdict *v)
{
	for (size_t i = 0; i < held_count(msg) && v->kind == MV_CONTINUE && active(m); i++) {
		const char *name, *value;
		size_t nl, vl;
		char zero = '\0';

		held_field(msg, i, &name, &nl, &value, &vl);
		if (!(m->protocol & SMFIP_HDR_LEADSPC))
			while (vl > 0 && (*value == ' ' || *value == '\t'))
				value++, vl--;
		milter_frame_begin(&m->out, SMFIC_HEADER);
		milter_put_bytes(&m->out, name, nl);
		milter_put_bytes(&m->out, &zero, 1);
		for (size_t k = 0; k < vl; k++)
			if (!(value[k] == '\r' && k + 1 < vl && value[k + 1] == '\n'))
				milter_put_bytes(&m->out, value + k, 1);
		milter_put_bytes(&m->out, &zero, 1);
		if (m->out.overflow)
			continue;	/* a field past the packet size: not sent */
		exchange(m, (m->protocol & SMFIP_NR_HDR) != 0, SK_MSG, m->set->content_timeout_ms, v);
	}
}

static void send_body(struct milter *m, struct held_msg *msg, struct milter_verdict *v)
{
	uint64_t off = 0;

	m->in_body = true;
	m->skip_body = false;
	while (off < msg->body_len && v->kind == MV_CONTINUE && active(m) && !m->skip_body) {
		long n;

		milter_frame_begin(&m->out, SMFIC_BODY);
		n = held_body_read(msg, off, (char *)m->out.buf + m->out.len, MILTER_CHUNK);
		if (n <= 0) {
			broken(m, "cannot read the held message");
			default_verdict(m, v);
			return;
		}
		m->out.len += (size_t)n;
		off += (uint64_t)n;
		exchange(m, (m->protocol & SMFIP_NR_BODY) != 0, SK_MSG, m->set->content_timeout_ms, v);
	}
	m->in_body = false;
}

static int apply_edits(struct milter *m, struct held_msg *msg)
{
	bool lead = (m->protocol & SMFIP_HDR_LEADSPC) != 0;
	int r = 0;

	for (size_t i = 0; i < m->nedits && r == 0; i++) {
		const struct edit *e = &m->edits[i];

		if (e->kind == SMFIR_ADDHEADER)
			r = held_append(msg, e->name, e->value, lead);
		else if (e->kind == SMFIR_INSHEADER)
			r = held_insert(msg, e->index, e->name, e->value, lead);
		else
			r = held_change(msg, e->name, e->index, e->value, lead);
	}
	drop_edits(m);
	return r;
}

void milter_message(struct milter *m, struct held_msg *msg, struct milter_verdict *v)
{
	if (skip_event(m, v)) {
		if (m && m->discard)
			v->kind = MV_DISCARD;
		return;
	}
	if (!(m->protocol & SMFIP_NOHDRS))
		send_headers(m, msg, v);
	if (v->kind == MV_CONTINUE && active(m) && !(m->protocol & SMFIP_NOEOH)) {
		if (send_macros(m, SMFIM_EOH, SMFIC_EOH) < 0) {
			broken(m, "write error");
			default_verdict(m, v);
			return;
		}
		milter_frame_begin(&m->out, SMFIC_EOH);
		exchange(m, (m->protocol & SMFIP_NR_EOH) != 0, SK_MSG, m->set->content_timeout_ms, v);
	}
	if (v->kind == MV_CONTINUE && active(m) && !(m->protocol & SMFIP_NOBODY))
		send_body(m, msg, v);
	if (v->kind == MV_CONTINUE && active(m)) {
		/* end of message: always answered, edits come before the verdict */
		if (send_macros(m, SMFIM_EOM, SMFIC_BODYEOB) < 0) {
			broken(m, "write error");
			default_verdict(m, v);
			return;
		}
		milter_frame_begin(&m->out, SMFIC_BODYEOB);
		m->quarantine = false;
		exchange(m, false, SK_EOM, m->set->content_timeout_ms, v);
		if (m->quarantine && !v->broken && (v->kind == MV_CONTINUE || v->kind == MV_ACCEPT)) {
			/* no quarantine to put it in: not taken at all */
			set_verdict(v, MV_REJECT);
			v->code = 550;
			snprintf(v->enh, sizeof(v->enh), "5.7.1");
			snprintf(v->text, sizeof(v->text), "Message quarantined by a filter, refused");
			drop_edits(m);
		}
		if ((v->kind == MV_CONTINUE || v->kind == MV_ACCEPT) && !v->broken && apply_edits(m, msg) < 0) {
			log_msg(LOG_ERR, "milter %s: cannot apply header edits: out of memory", m->set->socket);
			set_verdict(v, MV_TEMPFAIL);
		}
		if (m->state == M_OPEN)
			m->state = M_SKIP_MSG;	/* nothing more until abort */
	}
	drop_edits(m);
	if (m->discard && v->kind != MV_REJECT && v->kind != MV_TEMPFAIL && v->kind != MV_SHUTDOWN)
		v->kind = MV_DISCARD;
}

void milter_abort(struct milter *m)
{
	if (!m)
		return;
	m->discard = false;
	drop_edits(m);
	if (m->state == M_SKIP_MSG)
		m->state = M_OPEN;
	if (m->state == M_OPEN && m->in_txn)
		send_abort(m);
}

void milter_close(struct milter *m)
{
	if (!m)
		return;
	if (m->fd >= 0) {
		milter_frame_begin(&m->out, SMFIC_QUIT);
		set_deadline(m, m->set->command_timeout_ms);
		send_frame(m);
		close(m->fd);
	}
	drop_edits(m);
	free(m->edits);
	free(m->neg_macros);
	free(m);
}
