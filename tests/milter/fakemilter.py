#!/usr/bin/env python3
"""A scripted milter filter for the tests: speaks the filter side of the
milter protocol (libmilter's wire format) on a UNIX socket, one thread per
connection, and does what a JSON script says.

    fakemilter.py --socket PATH --script FILE --log FILE

The script is read again for every connection, so a test rewrites it and
connects again.  Keys:

  "optneg":  {"version": 6, "actions": 0x1ff, "protocol": 0,
              "macros": {"2": "{mail_addr} i"}}   our negotiation answer
  "replies": {"C": ACTIONS, "H": ..., "M", "R", "T", "L", "N", "B", "E"}
             ACTIONS is a list sent in order for each such event, or a
             list of lists: one per occurrence (the last one repeats).
             Events without an entry get ["c"] (unless the negotiated
             protocol says no reply).
  "split":   true: every reply packet is written one byte at a time.

An action is a verdict letter ("a", "c", "r", "t", "d", "p", "s", "4",
"f"), "y:TEXT" (reply code), "h:NAME:VALUE" (add header), "i:IDX:NAME:VALUE"
(insert), "m:IDX:NAME:VALUE" (change), "b:TEXT" (replace body), "+:RCPT",
"q:REASON", "close", "sleep:SECONDS", "raw:HEX" (bytes as they are).
"\\n" in a value is a newline.

The log gets one JSON line per packet received:
  {"conn": N, "cmd": "M", "strs": [...]}      strings of the packet
  {"conn": N, "cmd": "D", "stage": "M", "macros": {...}}
  {"conn": N, "cmd": "O", "version": 6, "actions": A, "protocol": P}
  {"conn": N, "cmd": "B", "len": n, "text": "..."}
and {"conn": N, "event": "eof"} when the MTA closes.
"""
import argparse
import json
import os
import socket
import struct
import sys
import threading
import time

NR = {"C": 0x1000, "H": 0x2000, "M": 0x4000, "R": 0x8000, "T": 0x10000,
      "L": 0x80, "N": 0x40000, "B": 0x80000}

lock = threading.Lock()
counter = [0]


def packet(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def action_bytes(a):
    if a in ("a", "c", "r", "t", "d", "p", "s", "4", "f"):
        return packet(a.encode())
    kind, _, rest = a.partition(":")
    rest = rest.replace("\\n", "\n").replace("\\r", "\r")
    if kind == "y":
        return packet(b"y", rest.encode("latin-1") + b"\0")
    if kind == "h":
        name, _, value = rest.partition(":")
        return packet(b"h", name.encode() + b"\0" + value.encode("latin-1") + b"\0")
    if kind in ("i", "m"):
        idx, _, nv = rest.partition(":")
        name, _, value = nv.partition(":")
        return packet(kind.encode(), struct.pack(">I", int(idx)) + name.encode() + b"\0"
                      + value.encode("latin-1") + b"\0")
    if kind == "b":
        return packet(b"b", rest.encode())
    if kind in ("+", "q"):
        return packet(kind.encode(), rest.encode() + b"\0")
    if kind == "raw":
        return bytes.fromhex(rest)
    raise ValueError("unknown action " + a)


def log(logf, rec):
    with lock:
        with open(logf, "a") as f:
            f.write(json.dumps(rec) + "\n")


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def strings(data):
    parts = data.split(b"\0")
    if parts and parts[-1] == b"":
        parts = parts[:-1]
    return [p.decode("latin-1") for p in parts]


def serve(conn, n, args):
    try:
        with open(args.script) as f:
            script = json.load(f)
    except (OSError, ValueError):
        script = {}
    replies = script.get("replies", {})
    split = script.get("split", False)
    seen = {}
    protocol = 0

    def send(b):
        if split:
            for i in range(len(b)):
                conn.sendall(b[i:i + 1])
                time.sleep(0.001)
        else:
            conn.sendall(b)

    def act(actions):
        for a in actions:
            if a == "close":
                conn.close()
                return False
            if a.startswith("sleep:"):
                time.sleep(float(a[6:]))
                continue
            send(action_bytes(a))
        return True

    while True:
        head = recv_exact(conn, 4)
        if head is None:
            log(args.log, {"conn": n, "event": "eof"})
            return
        (length,) = struct.unpack(">I", head)
        body = recv_exact(conn, length)
        if body is None:
            log(args.log, {"conn": n, "event": "eof"})
            return
        cmd, data = chr(body[0]), body[1:]
        if cmd == "O":
            version, actions, proto = struct.unpack(">III", data[:12])
            log(args.log, {"conn": n, "cmd": "O", "version": version, "actions": actions, "protocol": proto})
            o = script.get("optneg", {})
            protocol = o.get("protocol", 0)
            extra = b""
            for stage, names in sorted(o.get("macros", {}).items()):
                extra += struct.pack(">I", int(stage)) + names.encode() + b"\0"
            if not act(o.get("before", [])):
                return
            send(packet(b"O", struct.pack(">III", o.get("version", 6), o.get("actions", 0x1ff), protocol) + extra))
            continue
        if cmd == "D":
            s = strings(data[1:])
            log(args.log, {"conn": n, "cmd": "D", "stage": chr(data[0]),
                           "macros": dict(zip(s[0::2], s[1::2]))})
            continue
        if cmd == "B":
            log(args.log, {"conn": n, "cmd": "B", "len": len(data), "text": data.decode("latin-1")})
        elif cmd == "C":
            host, rest = data.split(b"\0", 1)
            rec = {"conn": n, "cmd": "C", "host": host.decode(), "family": chr(rest[0])}
            if rest[0:1] in (b"4", b"6"):
                rec["port"] = struct.unpack(">H", rest[1:3])[0]
                rec["addr"] = rest[3:].rstrip(b"\0").decode()
            log(args.log, rec)
        else:
            log(args.log, {"conn": n, "cmd": cmd, "strs": strings(data)})
        if cmd in ("A", "Q", "K"):
            if cmd == "Q":
                conn.close()
                log(args.log, {"conn": n, "event": "quit"})
                return
            continue
        if cmd in NR and protocol & NR[cmd]:
            continue
        spec = replies.get(cmd, ["c"])
        k = seen.get(cmd, 0)
        seen[cmd] = k + 1
        if spec and isinstance(spec[0], list):
            spec = spec[min(k, len(spec) - 1)]
        if not act(spec):
            log(args.log, {"conn": n, "event": "closed"})
            return


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--log", required=True)
    args = p.parse_args()
    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(args.socket)
    srv.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = srv.accept()
        with lock:
            counter[0] += 1
            n = counter[0]
        threading.Thread(target=serve, args=(conn, n, args), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
