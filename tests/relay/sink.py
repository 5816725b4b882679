#!/usr/bin/python3
"""A scripted SMTP receiver for the smtpd-relay tests (python3-aiosmtpd).

Each accepted message is written to DIR/N.eml (the bytes received) and
DIR/N.json (envelope, options, TLS).  Behaviour is chosen per run:

  --greeting "421 4.3.2 busy"   answer the connection with this and close
  --stall-greeting              never greet
  --rcpt ADDR=REPLY             reply to RCPT TO:<ADDR> with REPLY (repeatable)
  --data REPLY                  reply to the end of DATA with REPLY
  --drop-after-dot              close the connection instead of replying
  --stall-after-dot             never reply to the end of DATA
  --tls CERT KEY                offer STARTTLS with this certificate
  --implicit-tls CERT KEY       TLS from the first byte (port 465 style)
  --no-8bitmime --no-smtputf8 --pipelining
  --auth USER:PASS              AUTH PLAIN/LOGIN with this account, required
DIR/connections gets a line per connection.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult


COUNTING = False


class Handler:
    def __init__(self, args):
        self.args = args
        self.rcpt = dict(r.split("=", 1) for r in args.rcpt)
        self.n = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        out = []
        for r in responses:
            if self.args.no_8bitmime and r.endswith("8BITMIME"):
                continue
            out.append(r)
        if self.args.pipelining:
            out.insert(1, "250-PIPELINING")
        return out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.args.dir, "%d" % self.n)
        if self.args.drop_after_dot:
            with open(base + ".eml", "wb") as f:
                f.write(envelope.original_content)
            server.transport.close()
            return "250 dropped"
        if self.args.stall_after_dot:
            await asyncio.sleep(3600)
        if self.args.data:
            return self.args.data
        tls = server.transport.get_extra_info("ssl_object")
        with open(base + ".tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "mail_options": envelope.mail_options, "rcpt_options": envelope.rcpt_options,
                       "helo": session.host_name, "tls": tls.version() if tls else None}, f)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".json")
        return "250 2.0.0 OK id=%d" % self.n


class ScriptedSMTP(SMTP):
    def __init__(self, handler, args, **kw):
        self.args = args
        super().__init__(handler, **kw)

    def connection_made(self, transport):
        # not Controller.start()'s own test connection
        if COUNTING:
            with open(os.path.join(self.args.dir, "connections"), "a") as f:
                f.write("connect\n")
        super().connection_made(transport)

    async def push(self, status):
        if status.startswith("220 ") and not getattr(self, "_greeted", False):
            self._greeted = True
            if self.args.stall_greeting:
                await asyncio.sleep(3600)
            if self.args.greeting:
                await super().push(self.args.greeting)
                self.transport.close()
                return
        await super().push(status)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--ready")
    p.add_argument("--greeting")
    p.add_argument("--stall-greeting", action="store_true")
    p.add_argument("--rcpt", action="append", default=[])
    p.add_argument("--data")
    p.add_argument("--drop-after-dot", action="store_true")
    p.add_argument("--stall-after-dot", action="store_true")
    p.add_argument("--tls", nargs=2)
    p.add_argument("--implicit-tls", nargs=2)
    p.add_argument("--no-8bitmime", action="store_true")
    p.add_argument("--no-smtputf8", action="store_true")
    p.add_argument("--pipelining", action="store_true")
    p.add_argument("--auth")
    args = p.parse_args()
    host, port = args.listen.rsplit(":", 1)
    handler = Handler(args)
    kw = {"enable_SMTPUTF8": not args.no_smtputf8, "decode_data": False, "hostname": "sink.test"}
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*args.tls)
        kw["tls_context"] = ctx
    if args.auth:
        user, pw = args.auth.split(":", 1)

        def check(server, session, envelope, mechanism, data):
            ok = data.login.decode() == user and data.password.decode() == pw
            return AuthResult(success=ok, handled=False)
        kw.update(authenticator=check, auth_required=True, auth_require_tls=bool(args.tls))
    ssl_ctx = None
    if args.implicit_tls:
        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_ctx.load_cert_chain(*args.implicit_tls)

    class C(Controller):
        def factory(self):
            return ScriptedSMTP(self.handler, args, **kw)

    c = C(handler, hostname=host, port=int(port), ssl_context=ssl_ctx)
    c.start()
    global COUNTING
    COUNTING = True
    if args.ready:
        open(args.ready, "w").write("ready\n")
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    c.stop()


if __name__ == "__main__":
    main()
