#!/usr/bin/python3
"""fakedns.py -- a scripted DNS server for tests, on loopback (dnslib).

    fakedns.py --zone FILE [--address 127.0.0.1] [--port 53] [--log FILE]

Answers UDP and TCP queries from a zone given as a text file, one record
a line (a line starting with '#' is a comment):

    NAME TYPE VALUE            e.g.  2.0.0.127.bl.test A 127.0.0.2
                                     2.0.0.127.bl.test TXT "listed, see x"
                                     mail.test MX 10 mx.mail.test
                                     5.0.0.127.in-addr.arpa PTR client.test
    NAME SERVFAIL                    answer SERVFAIL for NAME
    NAME DELAY SECONDS               wait before answering NAME (timeouts)
    NAME DROP                        never answer NAME
    *.SUFFIX TYPE VALUE              any name under SUFFIX

Names are absolute with or without the final dot and compared without
case.  A name with no record of the asked type is NOERROR with no answer
(NODATA); a name with no record at all is NXDOMAIN.  The record value is
in zone-file syntax (dnslib's RR.fromZone), TTL 60.

Once both sockets are bound it prints "ready ADDRESS PORT" on stdout
and flushes: wait for that line (tests/lib/fakedns.bash does).  Every
query is logged as "QNAME QTYPE -> RCODE" to --log (for tests that
check what was asked).  SIGTERM stops it.
"""
import argparse
import signal
import sys
import threading
import time

from dnslib import QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer


def norm(name):
    return str(name).rstrip('.').lower()


class Zone(BaseResolver):
    def __init__(self, path, log):
        self.records = {}   # name -> [RR]
        self.special = {}   # name -> ('SERVFAIL'|'DROP'|'DELAY', arg)
        self.log = log
        self.lock = threading.Lock()
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                parts = line.split(None, 2)
                name = norm(parts[0])
                kind = parts[1].upper()
                if kind in ('SERVFAIL', 'DROP'):
                    self.special[name] = (kind, None)
                elif kind == 'DELAY':
                    self.special[name] = (kind, float(parts[2]))
                else:
                    if len(parts) < 3:
                        sys.exit('%s:%d: NAME TYPE VALUE expected' % (path, n))
                    value = parts[2]
                    if kind in ('MX', 'PTR', 'CNAME', 'NS') and not value.endswith('.'):
                        value += '.'
                    rr = RR.fromZone('%s. 60 IN %s %s' % (name, kind, value))
                    self.records.setdefault(name, []).extend(rr)

    def lookup(self, table, name):
        if name in table:
            return table[name]
        labels = name.split('.')
        for i in range(1, len(labels)):
            wild = '*.' + '.'.join(labels[i:])
            if wild in table:
                return table[wild]
        return None

    def resolve(self, request, handler):
        q = request.q
        name = norm(q.qname)
        qtype = QTYPE[q.qtype]
        reply = request.reply()
        special = self.lookup(self.special, name)
        if special and special[0] == 'DELAY':
            time.sleep(special[1])
        if special and special[0] == 'DROP':
            self.note(name, qtype, 'DROP')
            return None
        if special and special[0] == 'SERVFAIL':
            reply.header.rcode = RCODE.SERVFAIL
        else:
            rrs = self.lookup(self.records, name)
            if rrs is None:
                reply.header.rcode = RCODE.NXDOMAIN
            for rr in rrs or []:
                if rr.rtype == q.qtype or q.qtype == QTYPE.ANY:
                    a = RR(q.qname, rr.rtype, rr.rclass, rr.ttl, rr.rdata)
                    reply.add_answer(a)
        self.note(name, qtype, RCODE[reply.header.rcode])
        return reply

    def note(self, name, qtype, result):
        if not self.log:
            return
        with self.lock, open(self.log, 'a') as f:
            f.write('%s %s -> %s\n' % (name, qtype, result))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--zone', required=True)
    ap.add_argument('--address', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=53)
    ap.add_argument('--log')
    a = ap.parse_args()
    zone = Zone(a.zone, a.log)
    quiet = DNSLogger(log='-request,-reply,-truncated,-error,-recv,-send,-data', prefix=False)
    servers = [DNSServer(zone, address=a.address, port=a.port, tcp=tcp, logger=quiet)
               for tcp in (False, True)]
    for s in servers:
        s.start_thread()
    print('ready %s %d' % (a.address, a.port), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for s in servers:
        s.stop()


if __name__ == '__main__':
    main()
