#!/usr/bin/env python3
"""Server CPU time of a STARTTLS session: full handshake versus one resumed
with a session ticket (a benchmark, not a test: it prints figures).

Usage: bench_handshake.py N CA.pem SMTPD ARGS...
Runs N sessions with a full handshake and N resuming the first one's
session, each in a fresh smtpd over pipes (as per connection in service),
and prints the mean user+system CPU time of the smtpd processes.
The configuration must set ticketKey.
"""
import os
import select
import ssl
import subprocess
import sys
import time


def reply(p, buf):
    while True:
        lines = buf.split(b"\r\n")
        for i, line in enumerate(lines[:-1]):
            if line[3:4] == b" ":
                return line, b"\r\n".join(lines[i + 1 :])
        r, _, _ = select.select([p.stdout], [], [], 20)
        if not r:
            sys.exit("timeout")
        buf += p.stdout.read1(65536) or sys.exit("EOF")


def session(argv, ctx, saved):
    env = dict(os.environ, REMOTE_ADDR="127.0.0.1")
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env)
    buf = b""
    _, buf = reply(p, buf)
    p.stdin.write(b"EHLO bench.example\r\n"); p.stdin.flush()
    _, buf = reply(p, buf)
    p.stdin.write(b"STARTTLS\r\n"); p.stdin.flush()
    _, buf = reply(p, buf)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    t = ctx.wrap_bio(inc, out, server_hostname="mx.example.org", session=saved)

    def io(fn, *a):
        while True:
            try:
                r = fn(*a)
                data = out.read()
                if data:
                    p.stdin.write(data); p.stdin.flush()
                return r
            except ssl.SSLWantReadError:
                data = out.read()
                if data:
                    p.stdin.write(data); p.stdin.flush()
                inc.write(p.stdout.read1(65536) or sys.exit("EOF"))

    io(t.do_handshake)
    io(t.write, b"EHLO bench.example\r\n")
    got = b""
    while b"\r\n250 " not in b"\r\n" + got:
        got += io(t.read, 65536)
    io(t.write, b"QUIT\r\n")
    got = b""
    while b"221 " not in got:
        got += io(t.read, 65536)
    resumed, sess = t.session_reused, t.session
    p.stdin.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = status
    return ru.ru_utime + ru.ru_stime, resumed, sess


def main():
    n, cafile, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    ctx = ssl.create_default_context(cafile=cafile)
    _, _, first = session(argv, ctx, None)
    results = {}
    for kind, saved in (("full", None), ("resumed", first)):
        cpu, count = 0.0, 0
        t0 = time.monotonic()
        for _ in range(n):
            c, resumed, _ = session(argv, ctx, saved)
            if resumed != (saved is not None):
                sys.exit(f"{kind}: session_reused={resumed}")
            cpu += c
            count += 1
        results[kind] = (cpu / count, (time.monotonic() - t0) / count)
    for kind, (cpu, wall) in results.items():
        print(f"{kind:8} handshake: smtpd CPU {cpu * 1000:.2f} ms/session, "
              f"client+server wall {wall * 1000:.2f} ms/session")
    print(f"resumed/full CPU: {results['resumed'][0] / results['full'][0]:.2f}")


if __name__ == "__main__":
    main()
