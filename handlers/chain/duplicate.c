/* SupressDuplicateRcptHandler (James: fastfail.SupressDuplicateRcptHandler,
 * spelled as James spells it): a recipient given twice in one
 * transaction gets 250 again but is not added a second time — one copy,
 * one LMTP reply, one count against maxRcpt.  Put it before
 * MaxRcptHandler.  Runs for relaying clients too, as in James. */
#include "chain.h"

#include <string.h>
#include <strings.h>

#include "session.h"

/* RFC 5321 §2.4: the local part is compared exactly (only its own
 * domain may fold case), the domain without case. */
static bool same_mailbox(const char *a, const char *b)
{
	const char *at_a = strrchr(a, '@'), *at_b = strrchr(b, '@');

	if (!at_a || !at_b)
		return strcasecmp(a, b) == 0;
	return at_a - a == at_b - b && strncmp(a, b, (size_t)(at_a - a)) == 0
	       && strcasecmp(at_a, at_b) == 0;
}

static enum reply_id rcpt(struct hook *h, const struct mailbox *to)
{
	const struct transaction *t = &h->s->txn;
	char text[ADDR_TEXT_MAX];

	mailbox_format(to, text, sizeof(text));
	for (size_t i = 0; i < t->nrcpt; i++)
		if (same_mailbox(t->rcpts[i].addr, text))
			return chain_reply(h, RP_DUPLICATE_RCPT, 0, NULL, "Recipient <%s> OK", text);
	return RP_NONE;
}

const struct handler_def duplicate_rcpt_handler = {
	.conf = { .name = "SupressDuplicateRcptHandler", .place = MODULE_CHAIN },
	.run_for_relaying = true,
	.rcpt = rcpt,
};
