/* fuzz_address — the RFC 5321 §4.1.2 path parser, both kinds, with and
 * without addressBracketsEnforcement; address_parse_mailbox (users and
 * aliases files); domain_valid under every flag set; and, for what parses,
 * the invariants the rest of the server relies on:
 *   - mailbox_format() of a parsed mailbox parses back to the same mailbox
 *     (the spool replays it as RCPT TO:<...>);
 *   - a maildir path expanded from it never leaves the template's root
 *     (maildir_expand's promise: no "..", no leading ".", no "/");
 *   - an address literal domain_valid() accepts (a HELO argument, copied
 *     into Received:) holds no "(", ")", ";", quote, backslash, white
 *     space or line end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "maildir.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path_safe(const char *path, const char *root)
{
	size_t rl = strlen(root);

	if (strncmp(path, root, rl) != 0 || path[rl] != '/')
		abort();
	/* no component may start with '.' below the root */
	for (const char *p = path + rl; (p = strchr(p, '/')); p++)
		if (p[1] == '.' || p[1] == '/' || p[1] == '\0')
			abort();
}

static void check_mailbox(const struct mailbox *mb)
{
	char text[ADDR_TEXT_MAX], name[ADDR_TEXT_MAX], path[4096];
	struct mailbox again;
	enum addr_result r;

	if (mb->null || mb->bare_postmaster)
		return;
	mailbox_format(mb, text, sizeof(text));
	r = address_parse_mailbox(text, &again);
	/* re-quoting may make a local part longer than the wire one */
	if (r == ADDR_TOO_LONG)
		return;
	if (r != ADDR_OK || strcmp(again.local, mb->local) != 0
	    || strcmp(again.domain, mb->domain) != 0 || again.literal != mb->literal)
		abort();
	if (!policy_lookup_name(mb, true, name, sizeof(name)))
		return;
	if (maildir_expand("/var/mail/%d/%n", name, path, sizeof(path)) == 0)
		check_path_safe(path, "/var/mail");
	if (maildir_expand("/srv/mail/%u", name, path, sizeof(path)) == 0)
		check_path_safe(path, "/srv/mail");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct mailbox mb;
	const char *params;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (int kind = 0; kind < 2; kind++)
		for (int brackets = 0; brackets < 2; brackets++) {
			enum addr_result r = address_parse_path(s, kind ? ADDR_FORWARD : ADDR_REVERSE,
								brackets, &mb, &params);

			if (r != ADDR_OK)
				continue;
			if (params < s || params > s + strlen(s))
				abort();
			check_mailbox(&mb);
			/* the parameters as cmd_mail walks them */
			while (params && *params) {
				char key[32], value[128];
				bool has_value;

				params = address_next_param(params, key, sizeof(key), value,
							    sizeof(value), &has_value);
			}
		}
	if (address_parse_mailbox(s, &mb) == ADDR_OK)
		check_mailbox(&mb);
	/* A valid HELO argument is copied into our Received: field: it may
	 * hold nothing that opens a comment, ends a clause or a line. */
	for (unsigned flags = 0; flags < 8; flags++)
		if (domain_valid((const char *)data, size, flags) && memchr(data, '[', size))
			for (size_t i = 0; i < size; i++)
				if (memchr("();\"\\ \t\r\n", data[i], 9))
					abort();
	free(s);
	return 0;
}
