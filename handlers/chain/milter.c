/* MilterHandler (no James equivalent): a milter protocol client, as
 * Postfix's smtpd_milters — rspamd, OpenDKIM, OpenDMARC, clamav-milter,
 * spamass-milter plug in here.  One connection per SMTP session and
 * filter; several sockets are several filters, run in order, each seeing
 * the header edits of the ones before it.
 *
 *   handler "MilterHandler" {
 *     socket = "inet:127.0.0.1:11332"      # or { "unix:/a.sock", "unix:/b.sock" }
 *     connectTimeout = 30  commandTimeout = 30  contentTimeout = 300
 *     defaultAction = "tempfail"           # accept | reject | tempfail | shutdown
 *     macros = { "j", "{daemon_name}", "i", "{auth_authen}", ... }
 *   }
 *
 * The events: connect (before the greeting; a refusal there is sent to
 * every later command but QUIT, RSET and NOOP), HELO, MAIL, RCPT, DATA
 * (before 354), the message at the end of DATA (header fields, end of
 * header, body chunks, end of message, from the held message: see
 * heldmsg.h), abort when a transaction ends, quit.  It runs for relaying
 * clients too (a signing OpenDKIM needs exactly those; the filter sees
 * {auth_authen}).  See smtpd.conf(5) for the replies.
 */
#include "chain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dsn.h"
#include "heldmsg.h"
#include "log.h"
#include "milter.h"
#include "session.h"

/* Filters in one MilterHandler (Postfix has no limit; 8 is plenty). */
#define MILTER_HANDLER_MAX 8

/* ---- configuration ------------------------------------------------------- */

static cfg_opt_t opts[] = {
	CFG_STR_LIST("socket", NULL, CFGF_NODEFAULT),
	CFG_INT("connectTimeout", 30, CFGF_NONE),
	CFG_INT("commandTimeout", 30, CFGF_NONE),
	CFG_INT("contentTimeout", 300, CFGF_NONE),
	CFG_STR("defaultAction", "tempfail", CFGF_NONE),
	CFG_STR_LIST("macros", NULL, CFGF_NODEFAULT),
	CFG_END()
};

/* A handler's filters: the sockets of `socket`, in order, each with the
 * block's timeouts, default action and macros. */
struct milter_handler {
	size_t n;
	struct milter_settings f[MILTER_HANDLER_MAX];
};

static void settings_free(void *p)
{
	struct milter_handler *mh = p;

	if (!mh)
		return;
	for (size_t k = 0; k < MILTER_HANDLER_MAX; k++) {
		free(mh->f[k].socket);
		if (k == 0)
			for (int i = 0; i < SMFIM__COUNT; i++)
				free(mh->f[0].macros[i]);	/* shared by all */
	}
	free(mh);
}

static int timeout_ms(cfg_t *sec, const char *key, int *ms_r)
{
	long v = cfg_getint(sec, key);

	if (v < 1 || v > 3600) {
		config_error(sec, key, "handlerchain: MilterHandler: %s must be 1-3600 seconds", key);
		return -EINVAL;
	}
	*ms_r = (int)v * 1000;
	return 0;
}

/* Append @name to the lists of the stages it belongs to. */
static int add_macro(struct milter_settings *set, const char *name, unsigned stages)
{
	for (int i = 0; i < SMFIM__COUNT; i++) {
		size_t old;
		char *p;

		if (!(stages & (1u << i)))
			continue;
		old = set->macros[i] ? strlen(set->macros[i]) : 0;
		if (!(p = realloc(set->macros[i], old + strlen(name) + 2)))
			return -ENOMEM;
		snprintf(p + old, strlen(name) + 2, "%s%s", old ? " " : "", name);
		set->macros[i] = p;
	}
	return 0;
}

static int parse(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	static const char *const actions[] = { "accept", "reject", "tempfail", "shutdown" };
	struct milter_handler *mh = calloc(1, sizeof(*mh));
	struct milter_settings *set;
	unsigned nsock = cfg_size(sec, "socket");
	const char *why, *act;
	int err = 0;

	if (!mh)
		return -ENOMEM;
	set = &mh->f[0];	/* the common settings, copied to the others below */
	if (nsock == 0) {
		config_error(sec, NULL, "handlerchain: MilterHandler needs socket = \"unix:/PATH\" or \"inet:HOST:PORT\"");
		err = -EINVAL;
	} else if (nsock > MILTER_HANDLER_MAX) {
		config_error(sec, "socket", "handlerchain: MilterHandler: at most %d sockets", MILTER_HANDLER_MAX);
		err = -EINVAL;
	}
	for (unsigned k = 0; k < nsock && k < MILTER_HANDLER_MAX; k++) {
		const char *spec = cfg_getnstr(sec, "socket", k);

		if ((why = milter_parse_socket(spec, ctx->resolve, &mh->f[k].addr, &mh->f[k].addrlen))) {
			config_error(sec, "socket", "handlerchain: MilterHandler: socket \"%s\": %s", spec, why);
			err = -EINVAL;
		} else if (!(mh->f[k].socket = strdup(spec))) {
			err = -ENOMEM;
		}
	}
	if (timeout_ms(sec, "connectTimeout", &set->connect_timeout_ms) < 0
	    || timeout_ms(sec, "commandTimeout", &set->command_timeout_ms) < 0
	    || timeout_ms(sec, "contentTimeout", &set->content_timeout_ms) < 0)
		err = -EINVAL;
	act = cfg_getstr(sec, "defaultAction");
	set->default_action = MILTER_TEMPFAIL;
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (act && strcmp(act, actions[i]) == 0)
			set->default_action = (enum milter_default)i, act = NULL;
	if (act) {
		config_error(sec, "defaultAction",
			     "handlerchain: MilterHandler: defaultAction must be accept, reject, tempfail or shutdown");
		err = -EINVAL;
	}
	if (cfg_size(sec, "macros")) {
		for (unsigned i = 0; i < cfg_size(sec, "macros"); i++) {
			const char *name = cfg_getnstr(sec, "macros", i);
			unsigned stages = milter_macro_stages(name);

			if (!stages) {
				config_error(sec, "macros", "handlerchain: MilterHandler: unknown macro \"%s\" (known: %s)",
					     name, milter_macro_names());
				err = -EINVAL;
			} else if (add_macro(set, name, stages) < 0) {
				err = -ENOMEM;
			}
		}
	} else {
		char all[512], *save = NULL;

		snprintf(all, sizeof(all), "%s", milter_macro_names());
		for (char *name = strtok_r(all, " ", &save); name && !err; name = strtok_r(NULL, " ", &save))
			err = add_macro(set, name, milter_macro_stages(name));
	}
	if (err) {
		settings_free(mh);
		return err;
	}
	mh->n = nsock;
	for (size_t k = 1; k < mh->n; k++) {
		mh->f[k].connect_timeout_ms = set->connect_timeout_ms;
		mh->f[k].command_timeout_ms = set->command_timeout_ms;
		mh->f[k].content_timeout_ms = set->content_timeout_ms;
		mh->f[k].default_action = set->default_action;
		memcpy(mh->f[k].macros, set->macros, sizeof(set->macros));
	}
	*settings_r = mh;
	return 0;
}

/* ---- hooks --------------------------------------------------------------- */

struct filter {
	struct milter *m;
	/* refused at connect: the greeting goes out and every later command
	 * but QUIT, RSET and NOOP gets this (Postfix does the same) */
	bool denied;
	struct milter_verdict deny;
};

struct milter_state {
	struct filter f[MILTER_HANDLER_MAX];
	size_t n;
	struct session *s;
	char mail_addr[ADDR_TEXT_MAX];
	char auth_author[ADDR_TEXT_MAX];	/* MAIL's AUTH=, decoded; "" if none */
	char rcpt_addr[ADDR_TEXT_MAX];
	char client_port[8], daemon_addr[64], daemon_port[8];
	char msgid[32];			/* the id the transaction's message gets */
	bool discard;
};

static const char *macro(void *ctx, const char *name, char *buf, size_t size)
{
	struct milter_state *st = ctx;
	struct session *s = st->s;

	if (strcmp(name, "j") == 0)
		return s->lst->hello_name;
	if (strcmp(name, "_") == 0) {
		snprintf(buf, size, "unknown [%s]", s->peer_text);
		return buf;
	}
	if (strcmp(name, "v") == 0)
		return "smtpd " PROJECT_VERSION;
	if (strcmp(name, "{daemon_name}") == 0)
		return s->lst->name;
	if (strcmp(name, "{daemon_addr}") == 0)
		return st->daemon_addr[0] ? st->daemon_addr : NULL;
	if (strcmp(name, "{daemon_port}") == 0)
		return st->daemon_port[0] ? st->daemon_port : NULL;
	if (strcmp(name, "{client_addr}") == 0)
		return s->peer.family ? s->peer_text : NULL;
	if (strcmp(name, "{client_port}") == 0)
		return st->client_port[0] ? st->client_port : NULL;
	if (strcmp(name, "{client_name}") == 0 || strcmp(name, "{client_ptr}") == 0)
		return "unknown";	/* no reverse lookup here */
	if (strcmp(name, "{tls_version}") == 0) {
		if (!s->tls_active)
			return NULL;
		snprintf(buf, size, "%.*s", (int)strcspn(s->tls_info, " "), s->tls_info);
		return buf;
	}
	if (strcmp(name, "{cipher}") == 0) {
		/* tls.c writes "VERSION with cipher NAME" */
		const char *c = s->tls_active ? strstr(s->tls_info, " with cipher ") : NULL;

		return c ? c + strlen(" with cipher ") : NULL;
	}
	if (strcmp(name, "i") == 0)
		return st->msgid[0] ? st->msgid : NULL;
	if (strcmp(name, "{auth_type}") == 0)
		return s->auth_user[0] ? s->auth_mech : NULL;
	if (strcmp(name, "{auth_authen}") == 0)
		return s->auth_user[0] ? s->auth_user : NULL;
	if (strcmp(name, "{auth_author}") == 0)
		return s->auth_user[0] && st->auth_author[0] ? st->auth_author : NULL;
	if (strcmp(name, "{mail_addr}") == 0)
		return st->mail_addr;
	if (strcmp(name, "{rcpt_addr}") == 0)
		return st->rcpt_addr;
	return NULL;
}

static void sockname(int fd, bool peer, char *addr, size_t asize, char *port, size_t psize)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len)) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		if (addr)
			inet_ntop(AF_INET, &in->sin_addr, addr, (socklen_t)asize);
		snprintf(port, psize, "%u", ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		if (addr)
			inet_ntop(AF_INET6, &in6->sin6_addr, addr, (socklen_t)asize);
		snprintf(port, psize, "%u", ntohs(in6->sin6_port));
	}
}

/* A verdict as the reply to a command. */
static enum reply_id reply(struct hook *h, const struct milter_verdict *v)
{
	struct milter_state *st = h->state;

	switch (v->kind) {
	case MV_CONTINUE:
	case MV_ACCEPT:
		return RP_NONE;
	case MV_DISCARD:
		st->discard = true;
		return RP_NONE;
	case MV_SHUTDOWN:
		if (v->code)
			return chain_reply(h, RP_MILTER_SHUTDOWN, v->code, v->enh[0] ? v->enh : NULL, "%s",
					   v->text[0] ? v->text : reply_get(RP_MILTER_SHUTDOWN)->text);
		return RP_MILTER_SHUTDOWN;
	case MV_REJECT:
		if (v->code)
			return chain_reply(h, RP_MILTER_REJECT, v->code, v->enh[0] ? v->enh : NULL, "%s",
					   v->text[0] ? v->text : reply_get(RP_MILTER_REJECT)->text);
		return RP_MILTER_REJECT;
	case MV_TEMPFAIL:
		if (v->code)
			return chain_reply(h, RP_MILTER_TEMPFAIL, v->code, v->enh[0] ? v->enh : NULL, "%s",
					   v->text[0] ? v->text : reply_get(RP_MILTER_TEMPFAIL)->text);
		return RP_MILTER_TEMPFAIL;
	}
	return RP_NONE;
}

static enum reply_id on_connect(struct hook *h)
{
	const struct milter_handler *mh = h->settings;
	struct milter_state *st = h->state;
	struct session *s = h->s;
	char host[80];

	st->s = s;
	sockname(0, true, NULL, 0, st->client_port, sizeof(st->client_port));
	sockname(0, false, st->daemon_addr, sizeof(st->daemon_addr), st->daemon_port, sizeof(st->daemon_port));
	snprintf(host, sizeof(host), "[%s]", s->peer_text);
	for (size_t k = 0; k < mh->n; k++) {
		struct filter *f = &st->f[k];
		struct milter_verdict v;

		if (!(f->m = milter_open(&mh->f[k], s->id, macro, st)))
			return RP_MILTER_SHUTDOWN;	/* out of memory */
		st->n = k + 1;
		milter_connect(f->m, host,
			       s->peer.family == AF_INET || s->peer.family == AF_INET6 ? s->peer.family : AF_UNSPEC,
			       s->peer_text, (uint16_t)atoi(st->client_port), &v);
		if (v.kind == MV_REJECT || v.kind == MV_TEMPFAIL) {
			f->denied = true;
			f->deny = v;
		} else if (v.kind == MV_SHUTDOWN) {
			return reply(h, &v);
		}
	}
	return RP_NONE;
}

/* Run @event on every filter in order; the first refusal is the reply.
 * A filter refused at connect answers every command with that. */
#define EACH_FILTER(h, call)							\
	do {									\
		struct milter_state *st_ = (h)->state;				\
		struct milter_verdict v_;					\
		enum reply_id r_;						\
										\
		for (size_t k_ = 0; k_ < st_->n; k_++) {			\
			struct milter *m = st_->f[k_].m;			\
										\
			if (st_->f[k_].denied)					\
				return reply((h), &st_->f[k_].deny);		\
			call;							\
			if ((r_ = reply((h), &v_)) != RP_NONE)			\
				return r_;					\
		}								\
	} while (0)

static enum reply_id on_helo(struct hook *h, const char *name)
{
	EACH_FILTER(h, milter_helo(m, name, &v_));
	return RP_NONE;
}

/* The strings of a MAIL or RCPT event, as Postfix sends them: the path
 * in angle brackets, then each ESMTP parameter as the client wrote it
 * (session.c has checked their syntax: no control characters).  The
 * strings point into @buf. */
#define ESMTP_PARAMS_MAX 16
static void event_args(const char *addr, const char *params, char *buf, size_t size,
		       const char *args[ESMTP_PARAMS_MAX + 2])
{
	size_t n = 0, used;

	used = (size_t)snprintf(buf, size, "<%s>", addr) + 1;
	args[n++] = buf;
	for (const char *p = params ? params : ""; *p && n <= ESMTP_PARAMS_MAX; ) {
		size_t len;

		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (len == 0 || used + len + 1 > size)
			break;
		memcpy(buf + used, p, len);
		buf[used + len] = '\0';
		args[n++] = buf + used;
		used += len + 1;
		p += len;
	}
	args[n] = NULL;
}

static enum reply_id on_mail(struct hook *h, const struct mailbox *from)
{
	struct milter_state *st = h->state;
	char buf[ADDR_TEXT_MAX + COMMAND_LINE_MAX];
	const char *args[ESMTP_PARAMS_MAX + 2];

	/* session.c numbers the message at DATA: id.(ntxn + 1) */
	snprintf(st->msgid, sizeof(st->msgid), "%s.%u", h->s->id, h->s->ntxn + 1);
	mailbox_format(from, st->mail_addr, sizeof(st->mail_addr));
	event_args(st->mail_addr, h->s->cmd_params, buf, sizeof(buf), args);
	st->auth_author[0] = '\0';
	for (size_t i = 1; args[i]; i++)
		if (strncasecmp(args[i], "AUTH=", 5) == 0)
			if (xtext_decode(args[i] + 5, st->auth_author, sizeof(st->auth_author)) < 0)
				st->auth_author[0] = '\0';
	st->discard = false;
	EACH_FILTER(h, milter_mail(m, args, &v_));
	return RP_NONE;
}

static enum reply_id on_rcpt(struct hook *h, const struct mailbox *to)
{
	struct milter_state *st = h->state;
	char buf[ADDR_TEXT_MAX + COMMAND_LINE_MAX];
	const char *args[ESMTP_PARAMS_MAX + 2];

	mailbox_format(to, st->rcpt_addr, sizeof(st->rcpt_addr));
	event_args(st->rcpt_addr, h->s->cmd_params, buf, sizeof(buf), args);
	EACH_FILTER(h, milter_rcpt(m, args, &v_));
	return RP_NONE;
}

static enum reply_id on_data(struct hook *h)
{
	struct milter_state *st = h->state;

	EACH_FILTER(h, milter_data(m, &v_));
	/* a filter will look at the message: hold it (heldmsg.h) */
	for (size_t k = 0; k < st->n; k++)
		if (milter_wants_message(st->f[k].m))
			return chain_hold(h) ? RP_NONE : RP_STORAGE_FAIL;
	return RP_NONE;
}

/* The message, filter after filter, each seeing the edits of the ones
 * before it. */
static enum reply_id on_data_end(struct hook *h)
{
	struct milter_state *st = h->state;
	struct held_msg *msg = chain_held(h->s);
	enum reply_id r;

	for (size_t k = 0; k < st->n && msg; k++) {
		struct milter_verdict v;

		milter_message(st->f[k].m, msg, &v);
		if ((r = reply(h, &v)) != RP_NONE)
			return r;
		if (st->discard)
			break;		/* no filter after a discard */
	}
	if (st->discard)
		chain_discard(h);
	return RP_NONE;
}

static void on_reset(struct hook *h)
{
	struct milter_state *st = h->state;

	st->discard = false;
	for (size_t k = 0; k < st->n; k++)
		milter_abort(st->f[k].m);
}

static void on_close(struct hook *h)
{
	struct milter_state *st = h->state;

	for (size_t k = 0; k < st->n; k++) {
		milter_close(st->f[k].m);
		st->f[k].m = NULL;
	}
	st->n = 0;
}

const struct handler_def milter_handler = {
	.conf = { .name = "MilterHandler", .place = MODULE_CHAIN, .opts = opts,
		  .parse = parse, .free = settings_free },
	.run_for_relaying = true,
	.state_size = sizeof(struct milter_state),
	.connect = on_connect,
	.helo = on_helo,
	.mail = on_mail,
	.rcpt = on_rcpt,
	.data = on_data,
	.data_end = on_data_end,
	.reset = on_reset,
	.close = on_close,
};
