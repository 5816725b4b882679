#!/usr/bin/env python3
"""STARTTLS over the pipes of a spawned smtpd: the TLS transport must not
need a socket.  Usage: pipe_client.py CA.pem MARKER COMMAND ARGS...
Sends one message whose subject and body carry MARKER; prints every reply.
"""
import select
import ssl
import subprocess
import sys

import smtptest  # tests/lib (PYTHONPATH from tests/lib/common.bash)

TIMEOUT = 20


class Pipe:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.replies = smtptest.Replies(self.read)
        self.tls = None

    def raw_read(self):
        r, _, _ = select.select([self.p.stdout], [], [], TIMEOUT)
        if not r:
            sys.exit("timeout")
        data = self.p.stdout.read1(65536)
        if not data:
            sys.exit("EOF from server")
        return data

    def raw_write(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def flush_tls(self):
        out = self.outgoing.read()
        if out:
            self.raw_write(out)

    def start_tls(self, cafile):
        ctx = ssl.create_default_context(cafile=cafile)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_hostname="mx.example.org")
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush_tls()
                self.incoming.write(self.raw_read())
        self.flush_tls()

    def read(self):
        if not self.tls:
            return self.raw_read()
        while True:
            try:
                return self.tls.read(65536)
            except ssl.SSLWantReadError:
                self.flush_tls()
                self.incoming.write(self.raw_read())

    def write(self, data):
        if self.tls:
            self.tls.write(data)
            self.flush_tls()
        else:
            self.raw_write(data)

    def reply(self):
        """One complete (possibly multi-line) reply: prints it, returns its code."""
        code, text = self.replies.next()
        print(text)
        return code

    def cmd(self, line, want):
        self.write(line.encode() + b"\r\n")
        code = self.reply()
        if code != want:
            sys.exit(f"{line}: expected {want}, got {code}")


def main():
    cafile, marker, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    c = Pipe(argv)
    if c.reply() != 220:
        sys.exit("no greeting")
    c.cmd("EHLO client.example", 250)
    c.cmd("STARTTLS", 220)
    c.start_tls(cafile)
    print(c.tls.version(), c.tls.cipher()[0])
    c.cmd("EHLO client.example", 250)
    c.cmd("MAIL FROM:<alice@client.example>", 250)
    c.cmd("RCPT TO:<bob@example.org>", 250)
    c.cmd("DATA", 354)
    c.cmd(f"Subject: {marker}\r\n\r\n{marker} body\r\n.", 250)
    c.cmd("QUIT", 221)
    c.p.stdin.close()
    if c.p.wait(timeout=TIMEOUT) != 0:
        sys.exit("server exit status %d" % c.p.returncode)


if __name__ == "__main__":
    main()
