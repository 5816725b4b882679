/* chain.c — runs the handlerchain at the session's hook points.  See
 * chain.h; the handlers themselves are in handlers/chain/. */
#include "chain.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heldmsg.h"
#include "log.h"
#include "session.h"

/* The chain's state in one session. */
struct chain_run {
	void **state;		/* per chain entry */
	bool content;		/* a handler has a header/eoh/body hook */
	/* chain_reply() */
	enum reply_id reply_id;
	short reply_code;
	char reply_enh[16];
	char reply_text[512];
	/* the message being received: RFC 5322 §2.1 header section, blank
	 * line, body */
	enum { C_HEADERS, C_BODY } phase;
	bool line_start;	/* at the start of a physical line */
	bool blank_cr;		/* a CR at the start of a line: end of headers? */
	enum reply_id latched;
	/* chain_hold(), chain_discard(): this transaction */
	struct held_msg *held;
	bool discard;
	char field[CHAIN_HEADER_MAX + 2];
	size_t flen;		/* bytes kept in field */
	size_t fsize;		/* bytes of the whole field */
	unsigned flines;
};

const struct handler_def *chain_def(const struct config_module *m)
{
	/* conf is the first member (chain.h) */
	return (const struct handler_def *)(const void *)m;
}

const struct handler_def *chain_lookup(const char *name)
{
	for (size_t i = 0; config_modules[i]; i++)
		if (config_modules[i]->place == MODULE_CHAIN && strcmp(config_modules[i]->name, name) == 0)
			return chain_def(config_modules[i]);
	return NULL;
}

const char *chain_names(void)
{
	static char names[1024];
	size_t n = 0;

	if (names[0])
		return names;
	for (size_t i = 0; config_modules[i] && n < sizeof(names); i++)
		if (config_modules[i]->place == MODULE_CHAIN)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "",
					      config_modules[i]->name);
	return names;
}

static bool has_content_hooks(const struct handler_def *d)
{
	return d->header || d->eoh || d->body;
}

static struct chain_run *run_get(struct session *s)
{
	const struct listener *l = s->lst;
	struct chain_run *run = s->chain;

	if (run || l->nchain == 0)
		return run;
	run = calloc(1, sizeof(*run));
	if (!run || !(run->state = calloc(l->nchain, sizeof(*run->state)))) {
		free(run);
		return NULL;
	}
	for (size_t i = 0; i < l->nchain; i++) {
		const struct handler_def *d = chain_def(l->chain[i].mod);

		run->content |= has_content_hooks(d);
		if (d->state_size && !(run->state[i] = calloc(1, d->state_size))) {
			for (size_t k = 0; k < i; k++)
				free(run->state[k]);
			free(run->state);
			free(run);
			return NULL;
		}
	}
	run->line_start = true;
	s->chain = run;
	return run;
}

bool chain_relaying(const struct hook *h)
{
	return h->s->trusted || h->s->auth_user[0];
}

bool chain_authenticated(const struct hook *h)
{
	return h->s->auth_user[0] != '\0';
}

bool chain_skip_relaying(const struct hook *h, bool check_auth_networks)
{
	return chain_authenticated(h) || (h->s->trusted && !check_auth_networks);
}

/* Entry @i's handler, with *@h ready; NULL when it is skipped. */
static const struct handler_def *entry(struct session *s, size_t i, struct hook *h)
{
	const struct chain_entry *e = &s->lst->chain[i];
	const struct handler_def *d = chain_def(e->mod);

	*h = (struct hook){ .s = s, .settings = e->settings,
			    .state = s->chain ? s->chain->state[i] : NULL };
	if (!d->run_for_relaying && chain_relaying(h))
		return NULL;
	if (d->state_size && !h->state)
		return NULL;	/* out of memory at connect: fail open */
	return d;
}

/* Run hook member @fn of every handler in order with the arguments
 * after (struct hook *); the first reply wins. */
#define RUN(s, fn, ...)								\
	do {									\
		struct hook h_;							\
		const struct handler_def *d_;					\
		enum reply_id r_;						\
										\
		run_get(s);							\
		for (size_t i_ = 0; i_ < (s)->lst->nchain; i_++)		\
			if ((d_ = entry((s), i_, &h_)) && d_->fn		\
			    && (r_ = d_->fn(&h_, ##__VA_ARGS__)) != RP_NONE)	\
				return r_;					\
	} while (0)

enum reply_id chain_connect(struct session *s)
{
	RUN(s, connect);
	return RP_NONE;
}

enum reply_id chain_run_helo(struct session *s, const char *name)
{
	RUN(s, helo, name);
	return RP_NONE;
}

enum reply_id chain_run_mail(struct session *s, const struct mailbox *from)
{
	RUN(s, mail, from);
	return RP_NONE;
}

enum reply_id chain_run_rcpt(struct session *s, const struct mailbox *to)
{
	struct hook h = { .s = s };

	for (size_t i = 0; i < s->lst->nchain; i++)
		if (s->lst->chain[i].mod == &valid_rcpt_handler.conf) {
			RUN(s, rcpt, to);
			return RP_NONE;
		}
	RUN(s, rcpt, to);
	return valid_rcpt_handler.rcpt(&h, to);
}

enum reply_id chain_run_data(struct session *s)
{
	struct chain_run *run = run_get(s);

	if (run) {
		run->phase = C_HEADERS;
		run->line_start = true;
		run->blank_cr = false;
		run->latched = RP_NONE;
		run->flen = run->fsize = 0;
		run->flines = 0;
	}
	RUN(s, data);
	return RP_NONE;
}

enum reply_id chain_run_unknown(struct session *s, const char *verb)
{
	RUN(s, unknown, verb);
	return RP_NONE;
}

bool chain_wants_content(const struct session *s)
{
	return s->chain && s->chain->content;
}

static enum reply_id run_header(struct session *s, const struct header_field *f)
{
	RUN(s, header, f);
	return RP_NONE;
}

static enum reply_id run_eoh(struct session *s)
{
	RUN(s, eoh);
	return RP_NONE;
}

static enum reply_id run_body(struct session *s, const char *buf, size_t len)
{
	RUN(s, body, buf, len);
	return RP_NONE;
}

static void latch(struct chain_run *run, enum reply_id r)
{
	if (run->latched == RP_NONE)
		run->latched = r;
}

/* The header section ends: a blank line, a line that is no header field
 * (the body began without the blank line: its bytes go to the body
 * hooks), or the end of the message. */
static void end_headers(struct session *s, const char *body, size_t len)
{
	struct chain_run *run = s->chain;

	run->phase = C_BODY;
	if (run->latched == RP_NONE)
		latch(run, run_eoh(s));
	if (len && run->latched == RP_NONE)
		latch(run, run_body(s, body, len));
}

/* RFC 5322 §3.6.8: field-name = 1*ftext, ftext = %d33-57 / %d59-126 */
static size_t field_name_len(const char *f, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)f[i] >= 33 && (unsigned char)f[i] <= 126 && f[i] != ':')
		i++;
	return i < n && f[i] == ':' ? i : 0;
}

/* The field in run->field is complete (its final CRLF included). */
static void emit_field(struct session *s)
{
	struct chain_run *run = s->chain;
	size_t name = field_name_len(run->field, run->flen), vlen;
	struct header_field f;

	if (run->fsize == 0)
		return;
	if (!name) {
		end_headers(s, run->field, run->flen);
	} else if (run->latched == RP_NONE) {
		vlen = run->flen - name - 1;
		if (run->flen == run->fsize && vlen >= 2)
			vlen -= 2;	/* the final CRLF */
		f = (struct header_field){
			.name = run->field, .name_len = name,
			.value = run->field + name + 1, .value_len = vlen,
			.lines = run->flines, .size = run->fsize,
			.truncated = run->flen < run->fsize,
		};
		latch(run, run_header(s, &f));
	}
	run->flen = run->fsize = 0;
	run->flines = 0;
}

static void field_add(struct chain_run *run, const char *p, size_t n)
{
	size_t room = CHAIN_HEADER_MAX - run->flen;

	memcpy(run->field + run->flen, p, n < room ? n : room);
	run->flen += n < room ? n : room;
	run->fsize += n;
}

void chain_run_content(struct session *s, const char *buf, size_t len)
{
	struct chain_run *run = s->chain;
	const char *end = buf + len;

	if (!run || !run->content)
		return;
	while (buf < end && run->phase == C_HEADERS) {
		const char *nl;
		size_t n;

		if (run->blank_cr) {
			/* "\r" began a line: the blank line ("\r\n") ends the
			 * headers (the data decoder lets no bare CR through) */
			run->blank_cr = false;
			emit_field(s);
			buf++;	/* the LF */
			if (run->phase == C_HEADERS)
				end_headers(s, NULL, 0);
			break;
		}
		if (run->line_start) {
			if (*buf == '\r') {
				run->blank_cr = true;
				buf++;
				continue;
			}
			if (*buf != ' ' && *buf != '\t')
				emit_field(s);	/* not a continuation */
			if (run->phase != C_HEADERS)
				break;
			run->flines++;
			run->line_start = false;
		}
		nl = memchr(buf, '\n', (size_t)(end - buf));
		n = nl ? (size_t)(nl - buf) + 1 : (size_t)(end - buf);
		field_add(run, buf, n);
		buf += n;
		run->line_start = nl != NULL;
	}
	if (buf < end && run->phase == C_BODY && run->latched == RP_NONE)
		latch(run, run_body(s, buf, (size_t)(end - buf)));
}

enum reply_id chain_run_data_end(struct session *s)
{
	struct chain_run *run = s->chain;

	if (run && run->content && run->phase == C_HEADERS) {
		emit_field(s);
		if (run->phase == C_HEADERS)
			end_headers(s, NULL, 0);
	}
	if (run && run->latched != RP_NONE)
		return run->latched;
	RUN(s, data_end);
	return RP_NONE;
}

static void drop_held(struct chain_run *run)
{
	if (run->held) {
		held_close(run->held);
		free(run->held);
		run->held = NULL;
	}
	run->discard = false;
}

struct held_msg *chain_hold(struct hook *h)
{
	struct chain_run *run = h->s->chain;
	int r;

	if (!run)
		return NULL;
	if (run->held)
		return run->held;
	if (!(run->held = malloc(sizeof(*run->held))))
		return NULL;
	if ((r = held_open(run->held, h->s->cfg->spool)) < 0) {
		log_msg(LOG_ERR, "cannot hold the message for filters in %s: %s", h->s->cfg->spool, strerror(-r));
		free(run->held);
		run->held = NULL;
	}
	return run->held;
}

struct held_msg *chain_held(const struct session *s)
{
	return s->chain ? s->chain->held : NULL;
}

void chain_discard(struct hook *h)
{
	if (h->s->chain)
		h->s->chain->discard = true;
}

bool chain_discarded(const struct session *s)
{
	return s->chain && s->chain->discard;
}

void chain_run_reset(struct session *s)
{
	struct hook h;
	const struct handler_def *d;

	if (!s->chain)
		return;
	drop_held(s->chain);
	for (size_t i = 0; i < s->lst->nchain; i++)
		if ((d = entry(s, i, &h)) && d->reset)
			d->reset(&h);
}

void chain_close(struct session *s)
{
	struct chain_run *run = s->chain;
	struct hook h;
	const struct handler_def *d;

	if (!run)
		return;
	for (size_t i = 0; i < s->lst->nchain; i++) {
		d = chain_def(s->lst->chain[i].mod);
		h = (struct hook){ .s = s, .settings = s->lst->chain[i].settings, .state = run->state[i] };
		/* close runs for every handler with state, skipped or not:
		 * the session may have become relaying-allowed after a hook
		 * opened something */
		if (d->close && (!d->state_size || h.state))
			d->close(&h);
		free(run->state[i]);
	}
	drop_held(run);
	free(run->state);
	free(run);
	s->chain = NULL;
}

enum reply_id chain_reply(struct hook *h, enum reply_id id, int code, const char *enh,
			  const char *fmt, ...)
{
	struct chain_run *run = h->s->chain;
	const struct reply *t = reply_get(id);
	va_list ap;

	if (!run)
		return id;	/* no memory for the text: the table's */
	if ((code && code / 100 != t->code / 100) || (code && (code < 200 || code > 599))
	    || (enh && (!t->enh || enh[0] != t->enh[0] || strlen(enh) >= sizeof(run->reply_enh)))) {
		log_msg(LOG_ERR, "handler reply %d %s for a %d reply refused", code, enh ? enh : "", t->code);
		return RP_STORAGE_FAIL;
	}
	run->reply_id = id;
	run->reply_code = (short)(code ? code : t->code);
	snprintf(run->reply_enh, sizeof(run->reply_enh), "%s", enh ? enh : t->enh ? t->enh : "");
	va_start(ap, fmt);
	vsnprintf(run->reply_text, sizeof(run->reply_text), fmt, ap);
	va_end(ap);
	for (char *p = run->reply_text; *p; p++)
		if ((unsigned char)*p < 32 || *p == 127)
			*p = '?';
	return id;
}

bool chain_take_reply(struct session *s, enum reply_id id, struct reply *r)
{
	struct chain_run *run = s->chain;

	if (!run || run->reply_id != id || id == RP_NONE)
		return false;
	run->reply_id = RP_NONE;
	r->code = run->reply_code;
	r->enh = run->reply_enh[0] ? run->reply_enh : NULL;
	r->text = run->reply_text;
	return true;
}

cfg_opt_t chain_check_auth_networks_opts[] = {
	CFG_BOOL("checkAuthNetworks", cfg_false, CFGF_NONE),
	CFG_END()
};

int chain_parse_check_auth_networks(cfg_t *sec, const struct module_ctx *ctx, void **settings_r)
{
	struct check_auth_networks *c = malloc(sizeof(*c));

	(void)ctx;
	if (!c)
		return -ENOMEM;
	c->check_auth_networks = cfg_getbool(sec, "checkAuthNetworks");
	*settings_r = c;
	return 0;
}
