/* test-modules.c — the rules of config/module.h and the chain engine
 * (handlers/chain.h) that the compiler cannot check.
 *
 * - config_modules[]: unique names per place; handlerchain handlers whose
 *   option tables share a name declare one option (same type, list-ness
 *   and default), since handler "TITLE" { } is parsed with their union;
 *   chain_lookup()/chain_names() find every handler.
 * - The message splitter that feeds header/eoh/body hooks: each message
 *   whole, one byte at a time and split at every offset gives the same
 *   fields and body.
 */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "tap.h"
#include "testutil.h"

static bool same_default(const cfg_opt_t *a, const cfg_opt_t *b)
{
	if (a->flags & CFGF_LIST)
		return (!a->def.parsed && !b->def.parsed)
		       || (a->def.parsed && b->def.parsed && strcmp(a->def.parsed, b->def.parsed) == 0);
	switch (a->type) {
	case CFGT_INT: return a->def.number == b->def.number;
	case CFGT_FLOAT: return a->def.fpnumber == b->def.fpnumber;
	case CFGT_BOOL: return a->def.boolean == b->def.boolean;
	case CFGT_STR:
		return (!a->def.string && !b->def.string)
		       || (a->def.string && b->def.string && strcmp(a->def.string, b->def.string) == 0);
	case CFGT_SEC: return a->subopts == b->subopts;
	default: return true;
	}
}

static void registry(void)
{
	size_t n = 0, clashes = 0, dups = 0, chain = 0;

	while (config_modules[n])
		n++;
	ok(n >= 2, "config_modules[] lists %zu modules", n);
	for (size_t i = 0; i < n; i++) {
		const struct config_module *a = config_modules[i];

		ok(a->name && *a->name, "module %zu has a name", i);
		if (a->place == MODULE_CHAIN) {
			chain++;
			ok(chain_lookup(a->name) && &chain_lookup(a->name)->conf == a
			   && strstr(chain_names(), a->name), "%s: chain_lookup() and chain_names() find it", a->name);
		}
		for (size_t k = i + 1; k < n; k++) {
			const struct config_module *b = config_modules[k];

			if (a->place == b->place && strcmp(a->name, b->name) == 0) {
				diag("%s twice", a->name);
				dups++;
			}
			if (a->place != MODULE_CHAIN || b->place != MODULE_CHAIN)
				continue;
			for (const cfg_opt_t *x = a->opts; x && x->name; x++)
				for (const cfg_opt_t *y = b->opts; y && y->name; y++)
					if (strcmp(x->name, y->name) == 0
					    && (x->type != y->type || (x->flags & CFGF_LIST) != (y->flags & CFGF_LIST)
						|| (x->flags & CFGF_NODEFAULT) != (y->flags & CFGF_NODEFAULT)
						|| !same_default(x, y))) {
						diag("%s and %s declare %s differently", a->name, b->name, x->name);
						clashes++;
					}
		}
	}
	ok(dups == 0, "no module name twice in one place");
	ok(clashes == 0, "handlers that share an option name declare the same option");
	ok(chain_lookup("NoSuchHandler") == NULL, "chain_lookup() of an unknown name is NULL");
	ok(chain_lookup("ValidRcptHandler") == &valid_rcpt_handler, "ValidRcptHandler is registered");
}

/* ---- the message splitter ------------------------------------------------ */

static char got[8192];

static void add(const char *tag, const char *p, size_t n)
{
	size_t len = strlen(got);

	snprintf(got + len, sizeof(got) - len, "%s[%.*s]", tag, (int)n, p);
}

static enum reply_id t_header(struct hook *h, const struct header_field *f)
{
	char meta[64];

	(void)h;
	add("N", f->name, f->name_len);
	add("V", f->value, f->value_len < 64 ? f->value_len : 64);
	snprintf(meta, sizeof(meta), "%u/%zu%s", f->lines, f->size, f->truncated ? "T" : "");
	add("M", meta, strlen(meta));
	return RP_NONE;
}

static enum reply_id t_eoh(struct hook *h)
{
	(void)h;
	add("EOH", "", 0);
	return RP_NONE;
}

/* body chunks are joined: only the bytes matter */
static enum reply_id t_body(struct hook *h, const char *p, size_t n)
{
	size_t len = strlen(got);

	(void)h;
	if (len < 2 || got[len - 1] != '}')
		snprintf(got + len, sizeof(got) - len, "B{%.*s}", (int)n, p);
	else
		snprintf(got + len - 1, sizeof(got) - len + 1, "%.*s}", (int)n, p);
	return RP_NONE;
}

static const struct handler_def recorder = {
	.conf = { .name = "Recorder", .place = MODULE_CHAIN },
	.run_for_relaying = true,
	.header = t_header, .eoh = t_eoh, .body = t_body,
};

static const char *feed(const char *msg, size_t step)
{
	static struct chain_entry entry = { .mod = &recorder.conf };
	static struct listener l = { .chain = &entry, .nchain = 1 };
	static struct session s;
	size_t len = strlen(msg);

	memset(&s, 0, sizeof(s));
	s.lst = &l;
	got[0] = '\0';
	chain_connect(&s);
	chain_run_data(&s);
	for (size_t i = 0; i < len; i += step)
		chain_run_content(&s, msg + i, step < len - i ? step : len - i);
	chain_run_data_end(&s);
	chain_close(&s);
	return got;
}

static void splitter(void)
{
	static const struct {
		const char *msg, *want;
	} cases[] = {
		{ "Subject: hi\r\nFrom: a@b\r\n\r\nbody\r\n",
		  "N[Subject]V[ hi]M[1/13]N[From]V[ a@b]M[1/11]EOH[]B{body\r\n}" },
		{ "Subject: a\r\n long\r\n\tfold\r\n\r\n",
		  "N[Subject]V[ a\r\n long\r\n\tfold]M[3/26]EOH[]" },
		{ "X: 1\r\n", "N[X]V[ 1]M[1/6]EOH[]" },
		{ "\r\nonly body\r\n", "EOH[]B{only body\r\n}" },
		{ "X:\r\nnot a header\r\nmore\r\n",
		  "N[X]V[]M[1/4]EOH[]B{not a header\r\nmore\r\n}" },
		{ "X: 1\r\n\r\n\r\nbody\r\n", "N[X]V[ 1]M[1/6]EOH[]B{\r\nbody\r\n}" },
	};

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		size_t len = strlen(cases[c].msg);
		bool all = true;

		is_str(feed(cases[c].msg, len), cases[c].want, "message %zu whole", c);
		for (size_t step = 1; step < len; step++)
			if (strcmp(feed(cases[c].msg, step), cases[c].want) != 0) {
				diag("message %zu differs in chunks of %zu", c, step);
				all = false;
			}
		ok(all, "message %zu in chunks of every size", c);
	}
	{
		/* a field longer than CHAIN_HEADER_MAX is cut, counted whole */
		size_t n = CHAIN_HEADER_MAX + 100;
		char *big = malloc(n + 16), meta[64];

		memcpy(big, "X: ", 3);
		memset(big + 3, 'a', n - 3);
		memcpy(big + n, "\r\n\r\n", 5);
		feed(big, n + 4);
		snprintf(meta, sizeof(meta), "M[1/%zuT]EOH[]", n + 2);
		ok(strstr(got, meta) != NULL, "an over-long field is truncated and counted whole");
		free(big);
	}
}

int main(void)
{
	registry();
	splitter();
	return done();
}
