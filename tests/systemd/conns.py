#!/usr/bin/env python3
"""Connection patterns for tests/systemd and bench/systemd-cpu, run in the
container's network namespace (127.0.0.0/8 is all local there, so any
127.0.0.x is a source address of its own).

  conns.py greet PORT               connect, print the greeting line
  conns.py per-source PORT N SRC    hold N sessions from SRC (greeted), then
                                    try one more: prints "greeted N", then
                                    "extra: greeted" or "extra: closed"
  conns.py park PORT SECONDS        one session that says EHLO and waits
  conns.py flood PORT SECONDS NSRC  NSRC processes, each from its own
                                    127.0.0.x, connect and close as fast as
                                    they can; prints the connections made
  conns.py sessions PORT N          N sequential one-message sessions
                                    (EHLO, MAIL, RCPT, DATA, QUIT); every
                                    reply is checked
"""
import os
import socket
import sys
import time


def connect(port, src=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def readreply(f):
    """One SMTP reply (all its lines); '' at EOF."""
    out = b""
    while True:
        line = f.readline()
        if not line:
            return out.decode(errors="replace")
        out += line
        if len(line) < 4 or line[3:4] != b"-":
            return out.decode(errors="replace")


def greet(port):
    s = connect(port)
    f = s.makefile("rb")
    print(readreply(f).strip())
    s.sendall(b"QUIT\r\n")
    readreply(f)
    s.close()


def per_source(port, n, src):
    held = []
    for _ in range(n):
        s = connect(port, src)
        r = readreply(s.makefile("rb"))
        if not r.startswith("220"):
            print("not greeted: %r" % r)
            return 1
        held.append(s)
    print("greeted %d" % len(held))
    s = connect(port, src)
    try:
        r = readreply(s.makefile("rb"))
    except (ConnectionResetError, socket.timeout) as e:
        r = ""
    print("extra: " + ("greeted" if r.startswith("220") else "closed"))
    for h in held + [s]:
        h.close()
    return 0


def park(port, seconds):
    s = connect(port)
    f = s.makefile("rb")
    readreply(f)
    s.sendall(b"EHLO park.example.net\r\n")
    readreply(f)
    print("parked", flush=True)
    time.sleep(seconds)
    s.close()


def flooder(port, src, until):
    n = 0
    while time.monotonic() < until:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((src, 0))
            s.settimeout(1)
            s.connect(("127.0.0.1", port))
            n += 1
        except OSError:
            pass
        finally:
            s.close()
    return n


def flood(port, seconds, nsrc):
    until = time.monotonic() + seconds
    r, w = os.pipe()
    kids = []
    for i in range(nsrc):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            n = flooder(port, "127.0.0.%d" % (10 + i), until)
            os.write(w, b"%d\n" % n)
            os._exit(0)
        kids.append(pid)
    os.close(w)
    with os.fdopen(r) as f:
        total = sum(int(x) for x in f)
    for pid in kids:
        os.waitpid(pid, 0)
    print("connections %d" % total)


def expect(f, code, what):
    r = readreply(f)
    if not r.startswith(code):
        raise SystemExit("%s: expected %s, got %r" % (what, code, r))


def sessions(port, n):
    msg = (b"From: alice@example.net\r\nTo: bob@example.org\r\nSubject: bench\r\n\r\n"
           + b"x" * 70 + b"\r\n") * 1
    for i in range(n):
        s = connect(port, timeout=30)
        f = s.makefile("rb")
        expect(f, "220", "greeting")
        s.sendall(b"EHLO bench.example.net\r\n")
        expect(f, "250", "EHLO")
        s.sendall(b"MAIL FROM:<alice@example.net>\r\n")
        expect(f, "250", "MAIL")
        s.sendall(b"RCPT TO:<bob@example.org>\r\n")
        expect(f, "250", "RCPT")
        s.sendall(b"DATA\r\n")
        expect(f, "354", "DATA")
        s.sendall(msg + b".\r\n")
        expect(f, "250", "end of data")
        s.sendall(b"QUIT\r\n")
        expect(f, "221", "QUIT")
        # wait for the server to close: the session is over
        f.read()
        s.close()
    print("sessions %d" % n)


def main(argv):
    cmd, port = argv[1], int(argv[2])
    if cmd == "greet":
        greet(port)
    elif cmd == "per-source":
        return per_source(port, int(argv[3]), argv[4])
    elif cmd == "park":
        park(port, float(argv[3]))
    elif cmd == "flood":
        flood(port, float(argv[3]), int(argv[4]))
    elif cmd == "sessions":
        sessions(port, int(argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
