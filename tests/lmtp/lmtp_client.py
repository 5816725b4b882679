#!/usr/bin/env python3
"""A real LMTP client for the tests: Python's smtplib.LMTP.

usage: lmtp_client.py SERVER SENDER RCPT... < message
SERVER is /path/to/socket or host:port.  Prints the LHLO keywords, one line
per RCPT reply, then one line per reply after the final dot: smtplib's
data() reads the first one and getreply() the others (RFC 2033 §4.2: one
per accepted recipient, in RCPT order).
"""
import smtplib
import sys


def main():
    server, sender, rcpts = sys.argv[1], sys.argv[2], sys.argv[3:]
    message = sys.stdin.buffer.read()
    if server.startswith("/"):
        client = smtplib.LMTP(server, timeout=30)
    else:
        host, port = server.rsplit(":", 1)
        client = smtplib.LMTP(host, int(port), timeout=30)
    code, _ = client.ehlo("client.test")  # LMTP.ehlo sends LHLO
    print("LHLO", code, " ".join(sorted(client.esmtp_features)))
    code, text = client.mail(sender)
    print("MAIL", code, text.decode())
    accepted = []
    for rcpt in rcpts:
        code, text = client.rcpt(rcpt)
        print("RCPT", rcpt, code, text.decode())
        if code // 100 == 2:
            accepted.append(rcpt)
    if accepted:
        code, text = client.data(message)
        print("DATA", accepted[0], code, text.decode())
        for rcpt in accepted[1:]:
            code, text = client.getreply()
            print("DATA", rcpt, code, text.decode())
    client.quit()


if __name__ == "__main__":
    main()
