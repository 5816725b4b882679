#!/usr/bin/env python3
"""memscan.py SMTPD CONF USER PASS: are AUTH secrets left in smtpd's memory?

Runs one smtpd session over pipes (REMOTE_ADDR 192.0.2.1), one step at a
time, and after each step, while smtpd waits for the next command, reads
every writable mapping of the process through /proc/PID/mem and looks for
the base64 text the client sent.  Steps:

  plain-initial  AUTH PLAIN <b64> (initial response), a wrong password
  overlong-cmd   AUTH PLAIN <13000 octets of base64>  (500 5.5.2)
  overlong-334   AUTH PLAIN, then 13000 octets after 334  (500 5.5.6)
  login          AUTH LOGIN, user and a wrong password after 334
  plain-334      AUTH PLAIN, then USER's right PASS after 334 (235)

Each step prints "STEP clean" or "STEP found N copies"; the exit status is
1 when anything was found.  Needs permission to read /proc/PID/mem (root,
or the parent of the process under Yama scope 1).
"""
import base64
import os
import re
import secrets
import subprocess
import sys

smtpd, conf = sys.argv[1], sys.argv[2]
good_user, good_pass = sys.argv[3].encode(), sys.argv[4].encode()
env = dict(os.environ, REMOTE_ADDR="192.0.2.1")
proc = subprocess.Popen([smtpd, "-c", conf, "--log=stderr"], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


def reply():
    """One whole reply (the last line has a space after the code)."""
    lines = []
    while True:
        line = proc.stdout.readline()
        if not line:
            sys.exit("smtpd closed the connection")
        lines.append(line.decode(errors="replace").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            return lines[-1]


def send(data):
    proc.stdin.write(data + b"\r\n")
    proc.stdin.flush()
    return reply()


def chunks(text, size=24):
    """Needles: pieces of @text long enough never to occur by chance (24
    base64 octets of random data are 144 bits), past its first 8 octets
    (the NOOP that follows may overwrite those in place)."""
    return [text[i:i + size] for i in range(8, len(text) - size + 1, size)]


def scan(needles):
    found = 0
    with open("/proc/%d/maps" % proc.pid) as maps, open("/proc/%d/mem" % proc.pid, "rb", 0) as mem:
        for m in maps:
            f = m.split()
            start, end = (int(x, 16) for x in f[0].split("-"))
            # writable memory only; not the ASan shadow (terabytes, sparse)
            if f[1][1] != "w" or end - start > 256 << 20:
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                continue
            for n in needles:
                found += data.count(n)
    return found


def b64(raw):
    return base64.b64encode(raw)


status = 0


def step(name, needles, want_prefix):
    global status
    last = send(b"NOOP")
    if not last.startswith("250"):
        sys.exit("%s: NOOP answered %r" % (name, last))
    n = scan(needles)
    print("%s %s (reply %s)" % (name, "clean" if n == 0 else "found %d copies" % n, want_prefix))
    if n:
        status = 1


def pw():
    return ("pw-" + secrets.token_hex(24)).encode()


reply()                                   # greeting
send(b"EHLO client.test")

# a wrong password: its base64 must go, whatever the outcome
tok = b64(b"\0alice@example.org\0" + pw())
r = send(b"AUTH PLAIN " + tok)
step("plain-initial", chunks(tok), r[:9])

big = base64.b64encode(secrets.token_bytes(9750))      # 13000 octets
r = send(b"AUTH PLAIN " + big)
step("overlong-cmd", chunks(big), r[:9])

big = base64.b64encode(secrets.token_bytes(9750))
r = send(b"AUTH PLAIN")
r = send(big) if r.startswith("334") else r
step("overlong-334", chunks(big), r[:9])

r = send(b"AUTH LOGIN")
user = b64(b"alice@example.org")
r = send(user) if r.startswith("334") else r
tok = b64(pw())
r = send(tok) if r.startswith("334") else r
step("login", chunks(tok), r[:9])

# the last try, a right one (the users line GOOD_USER:{PLAIN}GOOD_PASS)
r = send(b"AUTH PLAIN")
tok = b64(b"\0" + good_user + b"\0" + good_pass)
r = send(tok) if r.startswith("334") else r
step("plain-334", chunks(tok), r[:9])

proc.stdin.write(b"QUIT\r\n")
proc.stdin.flush()
proc.wait(timeout=30)
sys.exit(status)
