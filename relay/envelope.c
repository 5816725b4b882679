/* envelope.c — see envelope.h. */
#include "envelope.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void envelope_init(struct envelope_file *e)
{
	memset(e, 0, offsetof(struct envelope_file, lr));
	e->off = 0;
	e->have_mail = false;
	lr_init(&e->lr, e->line, sizeof(e->line));
}

void envelope_free(struct envelope_file *e)
{
	free(e->rcpt);
	e->rcpt = NULL;
	e->nrcpt = e->cap = 0;
}

static enum env_result mail_line(struct envelope_file *e, const char *arg)
{
	struct mailbox mb;
	const char *p;

	if (address_parse_path(arg, ADDR_REVERSE, true, &mb, &p) != ADDR_OK)
		return ENV_BAD;
	mailbox_format(&mb, e->sender, sizeof(e->sender));
	while (*p) {
		char key[32], value[DSN_PARAMS_MAX];
		bool has;

		p = address_next_param(p, key, sizeof(key), value, sizeof(value), &has);
		if (!p)
			return ENV_BAD;
		if (strcmp(key, "BODY") == 0 && has && strcasecmp(value, "8BITMIME") == 0)
			e->body8 = true;
		else if (strcmp(key, "SMTPUTF8") == 0 && !has)
			e->smtputf8 = true;
		else if (dsn_mail_param(&e->dsn, key, has ? value : NULL) != DSN_PARAM_OK)
			return ENV_BAD;
	}
	e->have_mail = true;
	return ENV_MORE;
}

static enum env_result rcpt_line(struct envelope_file *e, const char *arg)
{
	struct mailbox mb;
	struct env_rcpt *r;
	const char *p;

	if (address_parse_path(arg, ADDR_FORWARD, true, &mb, &p) != ADDR_OK || mb.bare_postmaster)
		return ENV_BAD;
	if (e->nrcpt == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 4;
		struct env_rcpt *v = realloc(e->rcpt, cap * sizeof(*v));

		if (!v)
			return ENV_NOMEM;
		e->rcpt = v;
		e->cap = cap;
	}
	r = &e->rcpt[e->nrcpt];
	memset(r, 0, sizeof(*r));
	mailbox_format(&mb, r->addr, sizeof(r->addr));
	memcpy(r->domain, mb.domain, sizeof(r->domain));
	while (*p) {
		char key[32], value[DSN_PARAMS_MAX];
		bool has;

		p = address_next_param(p, key, sizeof(key), value, sizeof(value), &has);
		if (!p || dsn_rcpt_param(&r->dsn, key, has ? value : NULL) != DSN_PARAM_OK)
			return ENV_BAD;
	}
	e->nrcpt++;
	return ENV_MORE;
}

enum env_result envelope_feed(struct envelope_file *e, const char *buf, size_t n, size_t *used_r)
{
	size_t done = 0;

	while (done < n) {
		size_t used;
		enum lr_result lr = lr_feed(&e->lr, buf + done, n - done, &used);
		enum env_result r;

		done += used;
		e->off += used;
		if (lr == LR_NEED_MORE)
			break;
		if (lr == LR_TOO_LONG)
			return ENV_BAD;
		if (strncasecmp(e->line, "MAIL FROM:", 10) == 0 && !e->have_mail)
			r = mail_line(e, e->line + 10);
		else if (strncasecmp(e->line, "RCPT TO:", 8) == 0 && e->have_mail)
			r = rcpt_line(e, e->line + 8);
		else if (strcmp(e->line, "DATA") == 0 && e->nrcpt > 0)
			r = ENV_DONE;
		else
			r = ENV_BAD;
		if (r != ENV_MORE) {
			*used_r = done;
			if (r == ENV_DONE)
				e->body_off = e->off;
			return r;
		}
	}
	*used_r = done;
	return ENV_MORE;
}
