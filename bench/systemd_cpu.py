#!/usr/bin/env python3
"""The measuring half of bench/systemd-cpu (which boots the container and
installs each variant).

  systemd_cpu.py measure LABEL PORT N PID1 CGROUP [UNIT-CGROUP...]

runs N sequential one-message SMTP sessions against PORT of the container
and appends one tab-separated line of raw sums (ms of CPU over the N
sessions) to stdout.  It runs in the container's network namespace
(nsenter -n) with the host's /proc and cgroup file system, so its own CPU
is not counted.  PID1 is the host pid of the container's systemd, CGROUP
the container's cgroup v2 directory on the host (its processes are under
CGROUP/payload); UNIT-CGROUPs (below payload/, e.g.
system.slice/xinetd.service) are the launcher's own cgroups.

  systemd_cpu.py table ROWS BASELINE

sums the lines of ROWS by label (bench/systemd-cpu measures in rounds,
every variant once per round, so that the machine's noise hits them
alike) and prints ms of CPU per connection:

  pid1      PID 1's own CPU (schedstat of its threads)
  sessions  PID 1's reaped children (cutime + cstime of /proc/1/stat):
            every session process, from fork through sandbox set-up,
            exec, the session and exit
  journald  systemd-journald (schedstat)
  dbus      dbus-daemon (schedstat)
  launcher  the UNIT-CGROUPs' cpu.stat (xinetd, systemd-socket-activate,
            Postfix: the daemon and the children it reaps)
  total     the sum of the columns
  cgroup    the container's whole cgroup (cpu.stat usage_usec of
            payload/): a cross-check that the columns miss nothing
  x base    total / total of the BASELINE label
"""
import os
import socket
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def sched_ns(pid):
    """CPU time of every thread of pid, in ns (schedstat: first field)."""
    total = 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                    total += int(f.read().split()[0])
            except FileNotFoundError:
                pass
    except FileNotFoundError:
        pass
    return total


def stat_children_ms(pid):
    """cutime + cstime of pid in ms."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): cutime is field 16, cstime 17
    return (int(fields[13]) + int(fields[14])) * 1000.0 / HZ


def cg_usec(path):
    try:
        with open(os.path.join(path, "cpu.stat")) as f:
            for line in f:
                k, v = line.split()
                if k == "usage_usec":
                    return int(v)
    except FileNotFoundError:
        pass
    return 0


def unit_pids(cg, unit):
    try:
        with open(os.path.join(cg, "payload", unit, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def snapshot(pid1, cg, units):
    s = {
        "pid1": sched_ns(pid1) / 1e6,
        "sessions": stat_children_ms(pid1),
        "journald": sum(sched_ns(p) for p in unit_pids(cg, "system.slice/systemd-journald.service")) / 1e6,
        "dbus": sum(sched_ns(p) for p in unit_pids(cg, "system.slice/dbus.service")) / 1e6,
        "launcher": sum(cg_usec(os.path.join(cg, "payload", u)) for u in units) / 1e3,
        "cgroup": cg_usec(os.path.join(cg, "payload")) / 1e3,
    }
    return s


def readreply(f):
    out = b""
    while True:
        line = f.readline()
        if not line:
            return out
        out += line
        if len(line) < 4 or line[3:4] != b"-":
            return out


def expect(f, code, what):
    r = readreply(f)
    if not r.startswith(code):
        raise SystemExit("%s: expected %s, got %r" % (what, code.decode(), r))


MSG = (b"From: alice@example.net\r\nTo: bob@example.org\r\nSubject: bench\r\n\r\n"
       + b"x" * 70 + b"\r\n")


def session(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    expect(f, b"220", "greeting")
    s.sendall(b"EHLO bench.example.net\r\n")
    expect(f, b"250", "EHLO")
    s.sendall(b"MAIL FROM:<alice@example.net>\r\n")
    expect(f, b"250", "MAIL")
    s.sendall(b"RCPT TO:<bob@example.org>\r\n")
    expect(f, b"250", "RCPT")
    s.sendall(b"DATA\r\n")
    expect(f, b"354", "DATA")
    s.sendall(MSG + b".\r\n")
    expect(f, b"250", "end of data")
    s.sendall(b"QUIT\r\n")
    expect(f, b"221", "QUIT")
    f.read()  # until the server closes: the session is over
    s.close()


COLS = ["pid1", "sessions", "journald", "dbus", "launcher"]
FIELDS = COLS + ["cgroup"]


def measure(argv):
    label, port, n, pid1, cg = argv[0], int(argv[1]), int(argv[2]), int(argv[3]), argv[4]
    units = argv[5:]
    session(port)  # warm the page cache and the launcher
    time.sleep(0.3)
    a = snapshot(pid1, cg, units)
    t0 = time.monotonic()
    for _ in range(n):
        session(port)
    wall = time.monotonic() - t0
    time.sleep(1.0)  # let the last units be collected and journald drain
    b = snapshot(pid1, cg, units)
    print("\t".join([label, str(n)] + ["%.3f" % (b[k] - a[k]) for k in FIELDS] + ["%.3f" % wall]),
          flush=True)
    return 0


def table(rows_file, baseline):
    sums, order = {}, []
    with open(rows_file) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            label, n, vals = parts[0], int(parts[1]), [float(x) for x in parts[2:]]
            if label not in sums:
                sums[label] = [0, [0.0] * len(vals)]
                order.append(label)
            sums[label][0] += n
            sums[label][1] = [x + y for x, y in zip(sums[label][1], vals)]
    per = {}
    for label in order:
        n, vals = sums[label]
        d = dict(zip(FIELDS + ["wall"], [v / n for v in vals]))
        d["total"] = sum(d[k] for k in COLS)
        d["n"] = n
        per[label] = d
    base = per.get(baseline, {}).get("total") or float("nan")
    print("%-34s %6s %8s %8s %8s %8s %8s %8s %8s %7s" % (
        "ms CPU per connection", "n", "pid1", "sessions", "journald", "dbus", "launcher",
        "total", "cgroup", "x " + baseline[:5]))
    for label in order:
        d = per[label]
        print("%-34s %6d " % (label, d["n"]) + " ".join("%8.2f" % d[k] for k in COLS)
              + " %8.2f %8.2f %7.2f" % (d["total"], d["cgroup"], d["total"] / base))
    return 0


def main(argv):
    if len(argv) >= 7 and argv[1] == "measure":
        return measure(argv[2:])
    if len(argv) == 4 and argv[1] == "table":
        return table(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
