#!/usr/bin/env python3
"""CLIENTS simultaneous SMTP sessions (smtplib, one thread each) to
127.0.0.1:PORT, each sending MESSAGES messages to alice@example.org and
r@remote.test (the maildir and the spool sinks at once).  All clients
connect and say EHLO, then start sending together.

  load.py PORT CLIENTS MESSAGES ACKED-FILE

Writes the Subject of every message that got its 250 to ACKED-FILE, one a
line; prints a summary; exit status 1 when any client failed.
"""
import smtplib
import sys
import threading
import time

port, clients, messages, acked_file = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
barrier = threading.Barrier(clients, timeout=120)
acked = []
errors = []
lock = threading.Lock()


def client(c):
    try:
        s = smtplib.SMTP('127.0.0.1', port, local_hostname='load%d.test' % c, timeout=120)
        s.ehlo()
        barrier.wait()
        for m in range(messages):
            subject = 'load-%d-%d' % (c, m)
            msg = ('From: <c%d@load.test>\r\nTo: <alice@example.org>\r\nSubject: %s\r\n'
                   'Message-ID: <%s@load.test>\r\n\r\n' % (c, subject, subject)
                   + ''.join('line %d of %s\r\n' % (i, subject) for i in range(200)))
            s.sendmail('c%d@load.test' % c, ['alice@example.org', 'r@remote.test'], msg)
            with lock:
                acked.append(subject)
        s.quit()
    except Exception as e:  # noqa: BLE001 - every failure is reported
        with lock:
            errors.append('client %d: %r' % (c, e))


t0 = time.monotonic()
threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
took = time.monotonic() - t0
with open(acked_file, 'w') as f:
    f.write(''.join(s + '\n' for s in sorted(acked)))
print('clients=%d messages=%d acked=%d errors=%d seconds=%.1f msgs_per_s=%.0f'
      % (clients, clients * messages, len(acked), len(errors), took, len(acked) / took))
for e in errors[:10]:
    print('ERROR', e)
sys.exit(1 if errors else 0)
