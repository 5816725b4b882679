# Shared by the TLS bats files: certificates made at test time (never a
# committed key), a configuration, and smtpd behind systemd-socket-activate
# on a free 127.0.0.1 port.

bats_load_library bats-support
bats_load_library bats-assert

TLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# A CA and a leaf for mx.example.org and 127.0.0.1 signed by it, in $1.
# certificates.pem is the chain, leaf first.
make_certs() {
	local d=$1
	mkdir -p "$d"
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/ca.key" 2>/dev/null
	cat >"$d/ca.tmpl" <<-EOF
		cn = "smtpd test CA"
		ca
		cert_signing_key
		expiration_days = 2
	EOF
	certtool --generate-self-signed --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
		--outfile "$d/ca.pem" 2>/dev/null
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/key.pem" 2>/dev/null
	cat >"$d/leaf.tmpl" <<-EOF
		cn = "mx.example.org"
		dns_name = "mx.example.org"
		ip_address = "127.0.0.1"
		tls_www_server
		signing_key
		encryption_key
		expiration_days = 2
	EOF
	certtool --generate-certificate --load-privkey "$d/key.pem" --load-ca-certificate "$d/ca.pem" \
		--load-ca-privkey "$d/ca.key" --template "$d/leaf.tmpl" --outfile "$d/leaf.pem" 2>/dev/null
	cat "$d/leaf.pem" "$d/ca.pem" >"$d/certificates.pem"
	chmod 600 "$d"/*.key "$d/key.pem"
}

# write_conf FILE TLS-BLOCK-BODY [HANDLER-BODY]: local domain example.org,
# user bob, mail under $BATS_TEST_TMPDIR/mail.
write_conf() {
	local file=$1 tls=$2 handler=${3:-}
	mkdir -p "$BATS_TEST_TMPDIR/mail" "$BATS_TEST_TMPDIR/spool"
	echo 'bob@example.org:{PLAIN}secret' >"$BATS_TEST_TMPDIR/users"
	cat >"$file" <<-EOF
		domains = { "example.org" }
		users = "$BATS_TEST_TMPDIR/users"
		mailboxes = "$BATS_TEST_TMPDIR/mail/%d/%n"
		spool = "$BATS_TEST_TMPDIR/spool"
		smtpserver "smtp" {
		  tls {
		    $tls
		  }
		  handler {
		    helloName = "mx.example.org"
		    connectionTimeout = 10
		    $handler
		  }
		}
		lmtpserver "lmtp" {
		  tls {
		    $tls
		  }
		  handler { helloName = "mx.example.org" }
		}
	EOF
}

# The tls { } body for a listener with the test certificates.
tls_block() {
	echo "certificates = \"$CERTS/certificates.pem\" privateKey = \"$CERTS/key.pem\" $*"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server BINARY CONF [VAR=VALUE...]: smtpd (or lmtpd) per connection
# on $PORT, with those environment variables; its log (stderr) in
# $SERVER_LOG.
start_server() {
	local bin=$1 conf=$2 i env=()
	shift 2
	for i in "$@"; do
		env+=(-E "$i")
	done
	PORT=$(free_port)
	SERVER_LOG="$BATS_TEST_TMPDIR/server.log"
	systemd-socket-activate -l "127.0.0.1:$PORT" --accept --inetd "${env[@]}" \
		"$bin" -c "$conf" --log=stderr 2>>"$SERVER_LOG" &
	SERVER_PID=$!
	for i in $(seq 50); do
		grep -q "Listening on" "$SERVER_LOG" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "server did not start" >&2
	return 1
}

# Stop the listener; fail when a server process exited non-zero or a
# sanitizer spoke (SANITIZE=1 runs), which the client would not notice.
stop_server() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
		if grep -E 'died with (code [1-9]|signal)|Sanitizer|runtime error' "$SERVER_LOG"; then
			echo "a server process failed, see above" >&2
			return 1
		fi
	fi
}

# feed_until OUT PATTERN: print stdin's lines, then keep the pipe open
# until OUT matches PATTERN (at most 15 s): clients that quit at EOF on
# stdin (gnutls-cli) must see the server's last reply first.
feed_until() {
	local out=$1 pattern=$2 i
	cat
	for i in $(seq 150); do
		grep -q -- "$pattern" "$out" 2>/dev/null && return 0
		sleep 0.1
	done
}

# The message in bob's maildir that contains $1.
delivered() {
	grep -rl -- "$1" "$BATS_TEST_TMPDIR/mail/example.org/bob/new" 2>/dev/null | head -1
}

# SMTP commands of one message after the client's own EHLO+STARTTLS,
# with CRLF already (gnutls-cli --crlf converts only the first line of
# each read).
message_script() {
	printf 'EHLO client.example\r\nMAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n'
	printf 'Subject: %s\r\n\r\n%s body\r\n.\r\nQUIT\r\n' "$1" "$1"
}
