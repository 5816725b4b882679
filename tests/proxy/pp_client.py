#!/usr/bin/env python3
"""A client behind a pretend load balancer: sends a PROXY header, then SMTP.

  pp_client.py PORT HEADER [--tls first|inside] [COMMAND...]

HEADER is the header's bytes as a Python bytes literal body (escapes
allowed, e.g. 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 25\\r\\n'); the
COMMANDs follow, each with CRLF.  Without --tls the header and every
command go out in ONE write, so the server must stop reading exactly at
the end of the header.  --tls first: the header, then a TLS handshake
whose ClientHello is corked into the same TCP segment as the header
(proxyFirst = true); --tls inside: the handshake first, then the header
as the first bytes inside TLS (proxyFirst = false).  Prints what the
server sent, with CR removed; nothing when it closed without a word.
"""
import argparse
import ast
import socket
import ssl
import sys


def read_all(s):
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except (socket.timeout, ConnectionResetError, ssl.SSLError):
            break
        if not b:
            break
        out += b
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("header")
    ap.add_argument("commands", nargs="*")
    ap.add_argument("--tls", choices=["first", "inside"])
    args = ap.parse_intermixed_args()
    header = ast.literal_eval("b'" + args.header.replace("'", "\\'") + "'")
    cmds = b"".join(c.encode() + b"\r\n" for c in args.commands)
    s = socket.create_connection(("127.0.0.1", args.port), timeout=10)
    if not args.tls:
        s.sendall(header + cmds)
        out = read_all(s)
    else:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if args.tls == "first":
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            s.sendall(header)
            t = ctx.wrap_socket(s, do_handshake_on_connect=False)
            t.do_handshake()    # the kernel sends the corked header with the ClientHello
            t.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        else:
            t = ctx.wrap_socket(s)
            t.sendall(header)
        t.sendall(cmds)
        out = read_all(t)
    sys.stdout.write(out.decode("utf-8", "replace").replace("\r", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
