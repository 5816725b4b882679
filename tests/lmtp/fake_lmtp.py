#!/usr/bin/env python3
"""A scripted LMTP server for checking what smtpd's LMTP client sends.

usage: fake_lmtp.py SOCKET TRANSCRIPT [--no-pipelining] [--no-8bitmime]
                    [--no-smtputf8] [--final REPLY]... [--hangup]
Listens on the UNIX socket SOCKET, serves one connection, writes every line
received to TRANSCRIPT, and exits (at most 30 s).  Each --final gives the
reply after the final dot for the next accepted recipient (default
"250 2.0.0 ok"); --hangup closes the connection after them.  Without PIPELINING, a command that arrives before the
reply to the previous one is recorded as "!PIPELINED <line>" (RFC 2920:
the client must wait).
"""
import os
import select
import socket
import sys


def main():
    args = sys.argv[1:]
    path, transcript = args[0], args[1]
    pipelining = "--no-pipelining" not in args
    eightbit = "--no-8bitmime" not in args
    smtputf8 = "--no-smtputf8" not in args
    hangup = "--hangup" in args
    finals = [args[i + 1] for i, a in enumerate(args) if a == "--final"]
    keywords = ["PIPELINING"] * pipelining + ["8BITMIME"] * eightbit \
        + ["SMTPUTF8"] * smtputf8 + ["ENHANCEDSTATUSCODES"]

    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(30)
    conn, _ = srv.accept()
    conn.settimeout(30)
    out = open(transcript, "w", encoding="utf-8", errors="surrogateescape")
    buf = b""

    def readline():
        nonlocal buf
        while b"\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return None
            buf += data
        line, buf = buf.split(b"\r\n", 1)
        return line.decode("utf-8", "surrogateescape")

    def send(text):
        if not pipelining and (buf or select.select([conn], [], [], 0.2)[0]):
            out.write("!PIPELINED\n")
        conn.sendall(text.encode() + b"\r\n")

    conn.sendall(b"220 fake LMTP\r\n")
    accepted = 0
    while True:
        line = readline()
        if line is None:
            out.write("!EOF\n")
            break
        out.write(line + "\n")
        verb = line[:4].upper()
        if verb == "LHLO":
            lines = ["fake"] + keywords
            conn.sendall("".join("250%s%s\r\n" % ("-" if i + 1 < len(lines) else " ", l)
                                 for i, l in enumerate(lines)).encode())
        elif verb == "MAIL":
            send("250 2.1.0 ok")
        elif verb == "RCPT":
            if "refuse" in line:
                send("550 5.1.1 no such user")
            else:
                accepted += 1
                send("250 2.1.5 ok")
        elif verb == "DATA":
            conn.sendall(b"354 go\r\n")
            while True:
                line = readline()
                if line is None:
                    out.write("!EOF\n")
                    return
                out.write(line + "\n")
                if line == ".":
                    break
            for i in range(accepted):
                conn.sendall((finals[i] if i < len(finals) else "250 2.0.0 ok").encode() + b"\r\n")
            if hangup:
                out.write("!HANGUP\n")
                break
        elif verb == "QUIT":
            conn.sendall(b"221 2.0.0 bye\r\n")
            out.write("!EOF\n" if conn.recv(1) == b"" else "!MORE\n")
            break
        else:
            send("500 5.5.1 what")
    out.close()


if __name__ == "__main__":
    main()
