#!/usr/bin/env python3
"""probe.py — the measurements bench/run makes besides throughput.

  probe.py wait HOST:PORT [SECONDS]      until the server greets (then QUIT)
  probe.py latency N HOST:PORT...        connect-to-greeting latency, the
                                         targets interleaved connection by
                                         connection; prints "p50 p99" in ms
                                         per target, one line each
  probe.py cpu PID...                    CPU seconds of the process trees
                                         rooted at PIDs, reaped children
                                         included
  probe.py machine                       busy and total CPU seconds of the
                                         machine (/proc/stat)
  probe.py exec N 'BINARY [ARGS]'...    spawn+exec+exit of each command N
                                         times, interleaved; prints "cpu_us
                                         wall_us" per run, one line each
  probe.py tls N HOST:PORT RCPT full|resume
                                         N serial sessions with STARTTLS and
                                         one 1 KiB message; prints "seconds
                                         resumed_sessions"
  probe.py session SIZE RCPT             a pipelined plain session with a
                                         SIZE-byte message, on stdout
  probe.py memory SIZE RCPT -- CMD...    run CMD on pipes, send one message
                                         of SIZE bytes, sample its memory;
                                         prints "rss_kib private_dirty_kib
                                         hwm_kib" (maxima over the session)
"""
import os
import shlex
import socket
import subprocess
import sys
import time

CLK = os.sysconf("SC_CLK_TCK")
LINE = b"x" * 76 + b"\r\n"


def target(spec):
    host, port = spec.rsplit(":", 1)
    return host, int(port)


def read_reply(f):
    """One SMTP reply (all its lines); returns the last line."""
    while True:
        line = f.readline()
        if not line:
            raise EOFError("connection closed")
        if len(line) < 4 or line[3:4] != b"-":
            return line


def cmd_wait(spec, seconds="10"):
    deadline = time.monotonic() + float(seconds)
    while True:
        try:
            with socket.create_connection(target(spec), timeout=2) as s:
                f = s.makefile("rb")
                if read_reply(f).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    read_reply(f)
                    return 0
        except (OSError, EOFError):
            pass
        if time.monotonic() > deadline:
            print(f"probe: {spec} does not greet", file=sys.stderr)
            return 1
        time.sleep(0.1)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def cmd_latency(n, *specs):
    samples = {s: [] for s in specs}
    for _ in range(int(n)):
        for spec in specs:
            t0 = time.perf_counter()
            with socket.create_connection(target(spec), timeout=10) as s:
                f = s.makefile("rb")
                line = f.readline()
                t1 = time.perf_counter()
                if not line.startswith(b"220"):
                    print(f"probe: {spec}: bad greeting {line!r}", file=sys.stderr)
                    return 1
                while line[3:4] == b"-":
                    line = f.readline()
                s.sendall(b"QUIT\r\n")
                read_reply(f)
            samples[spec].append((t1 - t0) * 1000)
    for spec in specs:
        v = samples[spec]
        print(f"{pct(v, 50):.3f} {pct(v, 99):.3f}")
    return 0


def proc_table():
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        # fields after the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15)
        table[int(d)] = (int(rest[1]), sum(int(x) for x in rest[11:15]))
    return table


def cmd_cpu(*pids):
    table = proc_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [int(p) for p in pids]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
        todo.extend(children.get(pid, []))
    print(f"{total / CLK:.2f}")
    return 0


def cmd_machine():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    busy = sum(v) - v[3] - v[4]
    print(f"{busy / CLK:.2f} {sum(v) / CLK:.2f}")
    return 0


def cmd_exec(n, *binaries):
    import resource
    devnull = os.open(os.devnull, os.O_RDWR)
    quiet = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
    cpu = {b: 0.0 for b in binaries}
    wall = {b: 0.0 for b in binaries}
    for _ in range(int(n)):
        for b in binaries:
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            argv = shlex.split(b)
            pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet)
            os.waitpid(pid, 0)
            wall[b] += time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[b] += (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    for b in binaries:
        print(f"{cpu[b] / int(n) * 1e6:.0f} {wall[b] / int(n) * 1e6:.0f}")
    return 0


def cmd_tls(n, spec, rcpt, mode):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    head, lines = message(1024)
    body = head + LINE * lines + b".\r\n"
    saved, reused = None, 0
    t0 = time.perf_counter()
    for _ in range(int(n)):
        with socket.create_connection(target(spec), timeout=10) as raw:
            # as MTAs do: no Nagle delay on our small writes
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            f = raw.makefile("rb")
            read_reply(f)
            raw.sendall(b"EHLO client.test\r\n")
            read_reply(f)
            raw.sendall(b"STARTTLS\r\n")
            if not read_reply(f).startswith(b"220"):
                print("probe: STARTTLS refused", file=sys.stderr)
                return 1
            s = ctx.wrap_socket(raw, server_hostname="mx.bench.test",
                                session=saved if mode == "resume" else None)
            reused += s.session_reused
            f = s.makefile("rb")
            for c in (b"EHLO client.test\r\n", b"MAIL FROM:<sender@client.test>\r\n",
                      f"RCPT TO:<{rcpt}>\r\n".encode(), b"DATA\r\n"):
                s.sendall(c)
                line = read_reply(f)
            s.sendall(body)
            line = read_reply(f)
            if not line.startswith(b"250"):
                print(f"probe: message refused: {line!r}", file=sys.stderr)
                return 1
            s.sendall(b"QUIT\r\n")
            read_reply(f)
            if mode == "resume" and s.session is not None:
                saved = s.session  # TLS 1.3 tickets arrive after the handshake
    print(f"{time.perf_counter() - t0:.4f} {reused}")
    return 0


def message(size):
    head = b"From: <sender@client.test>\r\nTo: <user@bench.test>\r\nSubject: bench\r\n\r\n"
    n = max(0, int(size) - len(head)) // len(LINE) + 1
    return head, n


def cmd_session(size, rcpt):
    head, n = message(size)
    out = sys.stdout.buffer
    out.write(b"EHLO client.test\r\nMAIL FROM:<sender@client.test>\r\n")
    out.write(f"RCPT TO:<{rcpt}>\r\nDATA\r\n".encode())
    out.write(head + LINE * n + b".\r\nQUIT\r\n")
    return 0


def sample(pid, peak):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, v = line.split(":", 1)
                if k in ("Rss", "Private_Dirty"):
                    peak[k] = max(peak.get(k, 0), int(v.split()[0]))
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    peak["VmHWM"] = max(peak.get("VmHWM", 0), int(line.split()[1]))
    except OSError:
        pass


def cmd_memory(size, rcpt, dash, *argv):
    env = dict(os.environ, REMOTE_ADDR="127.0.0.1")
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    peak = {}
    w, r = p.stdin, p.stdout
    chat = [b"EHLO client.test\r\n", b"MAIL FROM:<sender@client.test>\r\n",
            f"RCPT TO:<{rcpt}>\r\n".encode(), b"DATA\r\n"]
    read_reply(r)
    for c in chat:
        w.write(c)
        w.flush()
        line = read_reply(r)
        sample(p.pid, peak)
    if not line.startswith(b"354"):
        print(f"probe: DATA refused: {line!r}", file=sys.stderr)
        return 1
    head, n = message(size)
    w.write(head)
    chunk = LINE * 4096  # 320 KiB
    sent = 0
    while sent < n:
        k = min(4096, n - sent)
        w.write(chunk if k == 4096 else LINE * k)
        sent += k
        w.flush()
        sample(p.pid, peak)
    w.write(b".\r\n")
    w.flush()
    line = read_reply(r)
    sample(p.pid, peak)
    w.write(b"QUIT\r\n")
    w.flush()
    read_reply(r)
    p.wait(timeout=30)
    if not line.startswith(b"250"):
        print(f"probe: message refused: {line!r}", file=sys.stderr)
        return 1
    print(f"{peak.get('Rss', 0)} {peak.get('Private_Dirty', 0)} {peak.get('VmHWM', 0)}")
    return 0


def main(argv):
    cmds = {"wait": cmd_wait, "latency": cmd_latency, "cpu": cmd_cpu,
            "machine": cmd_machine, "exec": cmd_exec, "tls": cmd_tls, "session": cmd_session, "memory": cmd_memory}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 64
    return cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
