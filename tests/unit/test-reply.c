/* test-reply.c — the reply table (handlers/reply.h) is complete and
 * consistent: every id has a code and a text, the enhanced code (RFC 3463
 * §2: class.subject.detail) agrees with the reply's class digit (RFC 5321
 * §4.2.1), and only replies that RFC 2034 §3 exempts (the 220 greeting,
 * 334 AUTH challenges, 354 DATA go-ahead) go without one.
 */
#include "reply.h"

#include <ctype.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

/* RFC 3463 §2: class "." subject "." detail; class 2, 4 or 5; subject
 * 1-3 digits; detail 1-3 digits. */
static bool enh_syntax(const char *e)
{
	size_t n;

	if (!(e[0] == '2' || e[0] == '4' || e[0] == '5') || e[1] != '.')
		return false;
	e += 2;
	for (int part = 0; part < 2; part++) {
		for (n = 0; isdigit((unsigned char)e[n]); n++)
			;
		if (n < 1 || n > 3 || (e[0] == '0' && n > 1))
			return false;
		e += n;
		if (part == 0 && *e++ != '.')
			return false;
	}
	return *e == '\0';
}

static bool text_clean(const char *t)
{
	for (; *t; t++)
		if ((unsigned char)*t < 32 || (unsigned char)*t >= 127)
			return false;
	return true;
}

int main(void)
{
	unsigned missing = 0, bad_code = 0, bad_enh = 0, class_mismatch = 0, bad_text = 0;
	unsigned unexpected_bare = 0;

	is_int(reply_table[RP_NONE].code, 0, "RP_NONE sends nothing");
	for (int id = 1; id < RP__COUNT; id++) {
		const struct reply *r = &reply_table[id];

		if (r->code == 0 || !r->text) {
			missing++;
			diag("id %d has no entry", id);
			continue;
		}
		if (r->code < 200 || r->code > 599 || (r->code / 10) % 10 > 5) {
			bad_code++;
			diag("id %d: code %d", id, r->code);
		}
		if (!*r->text || !text_clean(r->text) || r->text[strlen(r->text) - 1] == ' ') {
			bad_text++;
			diag("id %d: text '%s'", id, r->text);
		}
		if (!r->enh) {
			if (r->code != 220 && r->code != 334 && r->code != 354) {
				unexpected_bare++;
				diag("id %d: %d without an enhanced code", id, r->code);
			}
			continue;
		}
		if (!enh_syntax(r->enh)) {
			bad_enh++;
			diag("id %d: enhanced code '%s'", id, r->enh);
		} else if (r->enh[0] - '0' != r->code / 100) {
			class_mismatch++;
			diag("id %d: %d with %s", id, r->code, r->enh);
		}
	}
	is_int(missing, 0, "every id 1..RP__COUNT-1 has a code and a text");
	is_int(bad_code, 0, "every code is a valid reply code 2xx-5xx");
	is_int(bad_text, 0, "every text is non-empty printable ASCII, no CR/LF, no trailing space");
	is_int(bad_enh, 0, "every enhanced code is class.subject.detail (RFC 3463)");
	is_int(class_mismatch, 0, "the class digit of the code equals the enhanced code's class");
	is_int(unexpected_bare, 0, "only 220, 334 and 354 replies may lack an enhanced code");

	/* the exemptions are used where the protocol needs them */
	ok(reply_table[RP_GREETING].code == 220 && !reply_table[RP_GREETING].enh,
	   "greeting: 220 without an enhanced code");
	ok(reply_table[RP_DATA_GO].code == 354 && !reply_table[RP_DATA_GO].enh,
	   "DATA go-ahead: 354 without an enhanced code");
	ok(reply_table[RP_STARTTLS_GO].code == 220 && reply_table[RP_STARTTLS_GO].enh
	   && strcmp(reply_table[RP_STARTTLS_GO].enh, "2.0.0") == 0,
	   "STARTTLS go-ahead: 220 2.0.0");

	/* reply_get and reply_closes */
	ok(reply_get(RP_OK) == &reply_table[RP_OK], "reply_get returns the table entry");
	ok(reply_get((enum reply_id)RP__COUNT) != NULL && reply_get((enum reply_id)RP__COUNT)->code >= 400,
	   "reply_get out of range: a temporary failure, never NULL");
	ok(reply_get((enum reply_id)-1) != NULL, "reply_get(-1): never NULL");
	{
		unsigned wrong = 0;

		for (int id = 1; id < RP__COUNT; id++) {
			int code = reply_table[id].code;
			bool want = code == 421 || code == 221 || code == 521 || id == RP_STARTTLS_PIPELINED;

			if (reply_closes((enum reply_id)id) != want) {
				wrong++;
				diag("reply_closes(%d) for %d", id, code);
			}
		}
		is_int(wrong, 0, "reply_closes: exactly 421, 221, 521 (bare EOL, RFC 7504) and pipelined STARTTLS close");
	}
	ok(reply_closes(RP_QUIT) && reply_closes(RP_TIMEOUT) && !reply_closes(RP_OK)
	   && !reply_closes(RP_UNKNOWN_USER), "reply_closes: QUIT and timeout close; OK and 550 do not");

	/* conformance codes that clients rely on */
	{
		static const struct {
			enum reply_id id;
			int code;
			const char *enh;
		} contract[] = {
			{ RP_CONFIG_ERROR, 421, "4.3.0" },	/* S2 */
			{ RP_HELO_NOARG, 501, "5.5.4" },	/* S4 */
			{ RP_HELO_BAD, 501, "5.5.2" },		/* S5 */
			{ RP_NEED_HELO, 503, "5.5.1" },		/* S7 */
			{ RP_NO_BRACKETS, 501, "5.5.2" },	/* S8 */
			{ RP_UNKNOWN_CMD, 500, "5.5.1" },	/* S10 */
			{ RP_VRFY, 252, "2.5.0" },		/* S11 */
			{ RP_LINE_TOO_LONG, 500, "5.5.2" },	/* S13 */
			{ RP_TIMEOUT, 421, "4.4.2" },		/* S14 */
			{ RP_TOO_MANY_ERRORS, 421, "4.7.0" },	/* S15 */
			{ RP_SIZE_EXCEEDED, 552, "5.3.4" },	/* T2, T3 */
			{ RP_UNKNOWN_USER, 550, "5.1.1" },	/* T6 */
			{ RP_RELAY_DENIED, 550, "5.7.1" },
			{ RP_TOO_MANY_RCPTS, 452, "4.5.3" },
			{ RP_LOOP, 554, "5.4.6" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(contract); i++) {
			const struct reply *r = reply_get(contract[i].id);

			ok(r->code == contract[i].code && r->enh && strcmp(r->enh, contract[i].enh) == 0,
			   "reply %d: %d %s", (int)contract[i].id, contract[i].code, contract[i].enh);
		}
	}
	return done();
}
