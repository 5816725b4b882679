#!/usr/bin/env python3
"""A TLS client that sends commands and never reads the replies.

  tls_deaf.py implicit|starttls PORT SECONDS

Connects to 127.0.0.1:PORT (a small receive buffer), does TLS (from the
first byte, or after EHLO + STARTTLS), then pushes pipelined HELP commands
without reading, for at most SECONDS, and then holds the connection open,
still not reading, until SECONDS have passed.  Prints "sent N".
"""
import socket
import ssl
import sys
import time

mode, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
raw = socket.socket()
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
raw.settimeout(10)
raw.connect(("127.0.0.1", port))
if mode == "starttls":
    f = raw.makefile("rb")
    f.readline()
    raw.sendall(b"EHLO deaf.example\r\n")
    while not f.readline().startswith(b"250 "):
        pass
    raw.sendall(b"STARTTLS\r\n")
    assert f.readline().startswith(b"220")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(raw)
s.setblocking(False)
cmd = b"HELP\r\n" * 500
sent = 0
t0 = time.monotonic()
while time.monotonic() - t0 < seconds:
    try:
        sent += s.send(cmd)
    except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
        time.sleep(0.05)
    except OSError:
        break
print("sent", sent, flush=True)
while time.monotonic() - t0 < seconds:
    time.sleep(0.2)
