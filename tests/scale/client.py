#!/usr/bin/env python3
"""Send N messages, one per connection, each from its own client address,
the way an MTA does: a message counts as sent only when the server said
250 after DATA; a closed connection, a timeout or a 4xx is retried later
(same Message-ID), a 5xx is final.

  client.py --to HOST:PORT --sources ADDR,ADDR,... --count N --prefix P
            [--concurrency C] [--rcpt-domain D] [--relay] --out FILE

Writes one line per message to FILE: "<message-id> <source> <status>
<attempts>" (status: acked, rejected CODE, failed), and prints a summary
line: "sent=N acked=A rejected=R failed=F seconds=S rate=M/s".
"""
import argparse
import smtplib
import socket
import sys
import threading
import time


def one(args, i):
    src = args.sources[i % len(args.sources)]
    mid = "<%s-%d@scale.test>" % (args.prefix, i)
    if args.relay:
        rcpt = "someone%d@remote.example" % i
    else:
        rcpt = "u%02d@example.org" % (i % args.users)
    body = ("From: sender@client.test\r\nTo: %s\r\nMessage-ID: %s\r\n"
            "Subject: scale %s %d\r\nX-Client-Address: %s\r\n\r\n"
            "message %d from %s\r\n" % (rcpt, mid, args.prefix, i, src, i, src))
    host, port = args.to.rsplit(":", 1)
    last = "failed"
    for attempt in range(1, args.attempts + 1):
        try:
            with smtplib.SMTP(host, int(port), local_hostname="client%d.test" % i,
                              source_address=(src, 0), timeout=args.timeout) as s:
                s.sendmail("sender@client.test", [rcpt], body)
            return mid, src, "acked", attempt
        except smtplib.SMTPRecipientsRefused as e:
            code = list(e.recipients.values())[0][0]
            if code >= 500:
                return mid, src, "rejected %d" % code, attempt
            last = "failed %d" % code
        except smtplib.SMTPResponseException as e:
            if e.smtp_code >= 500:
                return mid, src, "rejected %d" % e.smtp_code, attempt
            last = "failed %d" % e.smtp_code
        except (smtplib.SMTPException, OSError) as e:
            last = "failed"
        time.sleep(min(0.05 * attempt, 0.5))
    return mid, src, last, args.attempts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--sources", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--attempts", type=int, default=40)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--relay", action="store_true")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    args.sources = args.sources.split(",")

    lock = threading.Lock()
    nexti = [0]
    out = open(args.out, "w")
    counts = {"acked": 0, "rejected": 0, "failed": 0}

    def worker():
        while True:
            with lock:
                i = nexti[0]
                if i >= args.count:
                    return
                nexti[0] += 1
            mid, src, status, attempts = one(args, i)
            with lock:
                out.write("%s %s %s %d\n" % (mid, src, status.replace(" ", ":"), attempts))
                out.flush()
                counts[status.split(" ")[0]] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    out.close()
    print("sent=%d acked=%d rejected=%d failed=%d seconds=%.2f rate=%.1f"
          % (args.count, counts["acked"], counts["rejected"], counts["failed"], secs,
             counts["acked"] / secs if secs > 0 else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
