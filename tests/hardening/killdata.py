#!/usr/bin/env python3
"""SIGKILL the handler at random points of DATA; check the maildir after.

  killdata.py SMTPD CONF MAILROOT ITERATIONS SEED [LOCAL-PART...]

Each iteration runs one smtpd over pipes (REMOTE_ADDR=127.0.0.1, log
appended to $LOG), sends EHLO/MAIL/RCPT/DATA (one RCPT per LOCAL-PART at
example.org, default alice; the maildir of each is
MAILROOT/example.org/LOCAL-PART), waits for 354, then streams
a message with a unique Subject (random size, dot-stuffed lines) and kills
the handler with SIGKILL at one of:
  data   a random byte offset before the final "." was sent;
  eod    a random short time after the final ".\\r\\n" was sent;
  acked  after the 250 reply was read.
Whatever the handler wrote before it died is in the pipe, so "the client
got a 250" is exact.  Then every recipient's maildir is checked:
  - every file in new/ is a message whose final dot was sent ("data" kills
    leave nothing), complete: byte for byte what was sent, dot-unstuffed,
    after our Return-Path/Delivered-To/Received lines, with the size in
    its name (",S=") equal to its length;
  - every message that got a 250 is in new/ exactly once;
  - cur/ is empty; tmp/ may hold stale files (counted and printed).
An "eod" kill may land between the rename into new/ and the write of the
250: the message is then delivered although the client saw no 250 (it
retries: a duplicate, never a loss; RFC 1047).  Those are counted.
Exit status 1 on any violation, with the reasons.
"""
import os
import random
import re
import signal
import sys
import time

import smtptest  # tests/lib (PYTHONPATH from tests/lib/common.bash)


TEXT = bytes(random.Random(1).choice(b'abcdefghijklmnopqrstuvwxyz .') for _ in range(1 << 16))


def make_message(rng, i):
    lines = [b'Subject: kill-test %d' % i, b'Message-ID: <%d@kill.test>' % i, b'']
    size = rng.randint(1, 300) * 1024
    n = 0
    while n < size:
        k = rng.randint(0, 200)
        at = rng.randrange(0, len(TEXT) - k)
        line = TEXT[at:at + k]
        if rng.random() < 0.05:
            line = b'.' + line          # needs dot-stuffing
        lines.append(line)
        n += len(line) + 2
    body = b''.join(l + b'\r\n' for l in lines)
    wire = b''.join((b'.' + l if l.startswith(b'.') else l) + b'\r\n' for l in lines)
    return body, wire


def main():
    smtpd, conf, mailroot, iterations, seed = sys.argv[1:6]
    users = sys.argv[6:] or ['alice']
    iterations = int(iterations)
    rng = random.Random(int(seed))
    sent = {}        # i -> decoded message
    state = {}       # i -> 'data' | 'eod' | 'acked'
    acked = set()
    for i in range(iterations):
        body, wire = make_message(rng, i)
        sent[i] = body
        mode = rng.choice(['data', 'data', 'eod', 'eod', 'acked'])
        p = smtptest.spawn(smtpd, conf, log=os.environ['LOG'], peer='127.0.0.1')
        p.stdin.write(b'EHLO kill.test\r\nMAIL FROM:<k@kill.test>\r\n'
                      + b''.join(b'RCPT TO:<%s@example.org>\r\n' % u.encode() for u in users)
                      + b'DATA\r\n')
        p.stdin.flush()
        out = smtptest.read_until(p.stdout, b'354 ')
        if mode == 'data':
            cut = rng.randrange(0, len(wire) + 1)   # may be just before the dot
            p.stdin.write(wire[:cut])
            p.stdin.flush()
            time.sleep(rng.random() * 0.003)
        elif mode == 'eod':
            p.stdin.write(wire + b'.\r\n')
            p.stdin.flush()
            time.sleep(rng.random() * 0.02)
        else:
            p.stdin.write(wire + b'.\r\n')
            p.stdin.flush()
            out += smtptest.read_until(p.stdout, b'250 2.0.0 OK', 60)
        p.send_signal(signal.SIGKILL)
        p.wait()
        out += p.stdout.read()
        p.stdin.close()
        p.stdout.close()
        state[i] = mode
        if b'250 2.0.0 OK' in out:
            acked.add(i)
    errors = []
    residue = 0
    window = set()
    in_new = 0
    for user in users:
        maildir = os.path.join(mailroot, 'example.org', user)
        found = {}
        new = os.path.join(maildir, 'new')
        for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
            data = open(os.path.join(new, name), 'rb').read()
            m = re.search(rb'\r\nSubject: kill-test (\d+)\r\n', data)
            if not m:
                errors.append('%s/%s: not one of ours' % (user, name))
                continue
            i = int(m.group(1))
            found[i] = found.get(i, 0) + 1
            if state[i] == 'data':
                errors.append('%s: message %d delivered although killed before its end of data' % (user, i))
            if not data.endswith(sent[i]):
                errors.append('%s: message %d incomplete or altered in new/ (%d octets)' % (user, i, len(data)))
            head = data[:len(data) - len(sent[i])]
            want = b'Return-Path: <k@kill.test>\r\nDelivered-To: %s@example.org\r\nReceived: ' % user.encode()
            if not head.startswith(want):
                errors.append('%s: message %d: unexpected prefix %r' % (user, i, head[:80]))
            sm = re.search(r',S=(\d+)', name)
            if not sm or int(sm.group(1)) != len(data):
                errors.append('%s: message %d: name %s does not give its size %d' % (user, i, name, len(data)))
        for i in acked:
            if found.get(i, 0) != 1:
                errors.append('%s: message %d got a 250 but is in new/ %d times' % (user, i, found.get(i, 0)))
        cur = os.path.join(maildir, 'cur')
        if os.path.isdir(cur) and os.listdir(cur):
            errors.append('%s: cur/ is not empty' % user)
        tmp = os.path.join(maildir, 'tmp')
        residue += len(os.listdir(tmp)) if os.path.isdir(tmp) else 0
        window |= {i for i in found if i not in acked}
        in_new += len(found)
    print('recipients=%d iterations=%d killed_in_data=%d killed_after_eod=%d killed_after_250=%d acked=%d '
          'copies_in_new=%d delivered_without_250=%d stale_tmp=%d'
          % (len(users), iterations, sum(1 for s in state.values() if s == 'data'),
             sum(1 for s in state.values() if s == 'eod'),
             sum(1 for s in state.values() if s == 'acked'), len(acked), in_new, len(window), residue))
    for e in errors:
        print('FAIL:', e)
    sys.exit(1 if errors else 0)


if __name__ == '__main__':
    main()
