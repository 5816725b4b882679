#!/usr/bin/env python3
"""Slow and deaf clients for timeouts.bats.

  slowclient.py trickle SMTPD CONF PREFIX INTERVAL SECONDS
      Run SMTPD over pipes (REMOTE_ADDR from the environment), send PREFIX
      (printf-style escapes already expanded by the caller, read from the
      file PREFIX), then one byte of "NOOP xxxx..." every INTERVAL seconds,
      no line end, for at most SECONDS.  Prints "closed AFTER" or "open
      AFTER" and the replies.
  slowclient.py lines SMTPD CONF INTERVAL COUNT
      Send COUNT complete NOOP lines, one every INTERVAL seconds; print the
      replies.
  slowclient.py busy SMTPD CONF PREFIX INTERVAL SECONDS
      Send PREFIX, then one complete line ("NOOP" or, inside DATA, a line
      of text) every INTERVAL seconds: never idle, until the server closes
      or SECONDS pass.  Prints "closed AFTER" or "open AFTER" and the
      replies.
  slowclient.py deaf PORT SECONDS
      Connect to 127.0.0.1:PORT, send pipelined HELP commands without ever
      reading the replies, until the server closes or SECONDS pass.
      Prints "closed AFTER SENT" or "open AFTER SENT".
"""
import os
import socket
import sys
import time

import smtptest  # tests/lib (PYTHONPATH from tests/lib/common.bash)


def spawn(smtpd, conf):
    return smtptest.spawn(smtpd, conf, log=os.environ['LOG'])


def finish(p, t0):
    state = 'closed' if p.poll() is not None else 'open'
    print(state, round(time.monotonic() - t0, 1))
    if p.poll() is None:
        p.kill()
    p.wait()
    sys.stdout.write(p.stdout.read().decode('ascii', 'replace'))


def trickle(smtpd, conf, prefix_file, interval, seconds):
    p = spawn(smtpd, conf)
    with open(prefix_file, 'rb') as f:
        p.stdin.write(f.read())
    p.stdin.flush()
    t0 = time.monotonic()
    body = b'NOOP ' + b'x' * 500
    i = 0
    while time.monotonic() - t0 < seconds and p.poll() is None:
        if interval > seconds:
            time.sleep(0.05)
            continue
        try:
            p.stdin.write(body[i % len(body):i % len(body) + 1])
            p.stdin.flush()
        except BrokenPipeError:
            break
        i += 1
        until = time.monotonic() + interval
        while time.monotonic() < until and p.poll() is None:
            time.sleep(0.05)
    finish(p, t0)


def lines(smtpd, conf, interval, count):
    p = spawn(smtpd, conf)
    t0 = time.monotonic()
    for i in range(count):
        p.stdin.write(b'NOOP %d\r\n' % i)
        p.stdin.flush()
        time.sleep(interval)
    p.stdin.write(b'QUIT\r\n')
    p.stdin.close()
    p.wait(timeout=30)
    finish(p, t0)


def busy(smtpd, conf, prefix_file, interval, seconds):
    p = spawn(smtpd, conf)
    with open(prefix_file, 'rb') as f:
        prefix = f.read()
    p.stdin.write(prefix)
    p.stdin.flush()
    line = b'a line of text\r\n' if prefix.endswith(b'\r\n\r\n') else b'NOOP\r\n'
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds and p.poll() is None:
        try:
            p.stdin.write(line)
            p.stdin.flush()
        except BrokenPipeError:
            break
        until = time.monotonic() + interval
        while time.monotonic() < until and p.poll() is None:
            time.sleep(0.05)
    finish(p, t0)


def deaf(port, seconds):
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setblocking(False)
    cmd = b'HELP\r\n' * 1000
    sent = 0
    t0 = time.monotonic()
    closed = False
    while time.monotonic() - t0 < seconds:
        try:
            sent += s.send(cmd)
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            closed = True
            break
    print('closed' if closed else 'open', round(time.monotonic() - t0, 1), sent)


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'trickle':
        trickle(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6]))
    elif mode == 'lines':
        lines(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    elif mode == 'busy':
        busy(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6]))
    elif mode == 'deaf':
        deaf(int(sys.argv[2]), float(sys.argv[3]))
