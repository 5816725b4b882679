#!/usr/bin/python3
"""Parse a delivery status notification (RFC 3464) with Python's email
package and print its fields, one "name=value" a line, for the tests:
the top-level headers, then per-message and per-recipient fields of the
delivery-status part (recipients numbered), then the returned part's
type and its Subject/Message-ID."""
import email
import email.policy
import sys

raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
print("content-type=%s" % m.get_content_type())
print("report-type=%s" % m.get_param("report-type"))
for h in ("From", "To", "Subject", "Auto-Submitted"):
    print("%s=%s" % (h.lower(), m[h]))
parts = list(m.iter_parts())
print("parts=%d" % len(parts))
print("part1=%s" % parts[0].get_content_type())
print("part2=%s" % parts[1].get_content_type())
# message/delivery-status: header blocks (per message, then one per
# recipient).  The email package parses message/delivery-status into
# them, but not message/global-delivery-status (RFC 6533): split the raw
# text the same way for both.
raw_status = parts[1].as_string(policy=email.policy.default.clone(linesep="\n"))
body = raw_status.split("\n\n", 1)[1]
blocks = [email.message_from_string(b.strip("\n") + "\n", policy=email.policy.default)
          for b in body.split("\n\n") if b.strip()]
for k, v in blocks[0].items():
    print("msg.%s=%s" % (k.lower(), v))
for i, b in enumerate(blocks[1:], 1):
    for k, v in b.items():
        print("rcpt%d.%s=%s" % (i, k.lower(), v))
if len(parts) > 2:
    print("part3=%s" % parts[2].get_content_type())
    orig = parts[2]
    if orig.get_content_type() in ("message/rfc822", "message/global"):
        inner = orig.get_payload()[0]
        print("original.subject=%s" % inner["Subject"])
        print("original.body=%s" % inner.get_payload().strip())
    else:
        text = orig.get_payload()
        if not isinstance(text, str):
            text = text[0].as_string()
        print("original.headers-only=%s" % ("\n\n" not in text.strip()))
