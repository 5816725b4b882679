#!/usr/bin/env bash
# Try smtpd: build it, start it on 127.0.0.1 with a demo configuration whose
# mail lands under ./demo/, and print how to send it a message.  Ctrl-C stops.
set -euo pipefail
cd "$(dirname "$0")"
port=${PORT:-2525}

bash .ci/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

demo=$PWD/demo
mkdir -p "$demo/mail" "$demo/spool"
cat > "$demo/users" <<USERS
# user@domain:password  (an empty password never logs in: these are mailboxes)
alice@example.org:
bob@example.org:
USERS
cat > "$demo/aliases" <<ALIASES
info@example.org: alice@example.org, bob@example.org
ALIASES
cat > "$demo/smtpd.conf" <<CONF
domains   = { "example.org" }
users     = "$demo/users"
aliases   = "$demo/aliases"
mailboxes = "$demo/mail/%d/%n"
spool     = "$demo/spool"

smtpserver "demo" {
  bind = { "127.0.0.1:$port" }
  handler {
    helloName = "mx.example.org"
    authorizedAddresses = { "127.0.0.0/8", "::1" }   # may relay: goes to the spool
    maxmessagesize = 10240                            # KB
    handlerchain {
      handler "MaxRcptHandler" { maxRcpt = 100 }
    }
  }
}
CONF
./build/smtpd -c "$demo/smtpd.conf" --check

cat <<HOWTO

smtpd is listening on 127.0.0.1:$port (one process per connection; logs below).
Send it a message, from another terminal:

  swaks --server 127.0.0.1:$port --from you@example.net --to alice@example.org
  printf 'EHLO me\r\nMAIL FROM:<you@example.net>\r\nRCPT TO:<info@example.org>\r\nDATA\r\nSubject: hi\r\n\r\nHello.\r\n.\r\nQUIT\r\n' | nc -N 127.0.0.1 $port

Delivered mail:  $demo/mail/example.org/<user>/new/
Relayed mail:    $demo/spool/outgoing/new/   (try --to someone@example.net)
Configuration:   $demo/smtpd.conf

HOWTO
exec systemd-socket-activate -l "127.0.0.1:$port" --accept --inetd \
	"$PWD/build/smtpd" -c "$demo/smtpd.conf" --log=stderr
