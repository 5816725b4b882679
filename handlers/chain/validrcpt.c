/* ValidRcptHandler: local recipients must exist, others are relayed only
 * for relaying-allowed clients.  session.c does the work, since it owns
 * the transaction; the chain only decides when it runs (chain.h). */
#include "chain.h"

#include "session.h"

static enum reply_id rcpt(struct hook *h, const struct mailbox *to)
{
	return session_valid_rcpt(h->s, to);
}

const struct handler_def valid_rcpt_handler = {
	.conf = { .name = "ValidRcptHandler", .place = MODULE_CHAIN },
	.run_for_relaying = true,
	.rcpt = rcpt,
};
