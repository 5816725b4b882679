# Shared by the TLS bats files: certificates made at test time (never a
# committed key), a configuration, and smtpd behind systemd-socket-activate
# on a free 127.0.0.1 port.

load ../lib/common

TLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Defaults for a TLS .bats file (one that defines its own replaces them):
# certificates once per file in $CERTS, the listener stopped after each
# test.
setup_file() {
	export CERTS="$BATS_FILE_TMPDIR/certs"
	make_certs "$CERTS"
}

teardown() {
	stop_server
}

# A CA and a leaf for mx.example.org and 127.0.0.1 signed by it, in $1;
# the leaf's key type $2 (certtool --key-type: ecdsa, the default, or
# rsa).  certificates.pem is the chain, leaf first.
make_certs() {
	local d=$1 type=${2:-ecdsa}
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
	certtool --generate-privkey --key-type="$type" --outfile "$d/key.pem" 2>/dev/null
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
	conf_store "$BATS_TEST_TMPDIR" 'bob@example.org:{PLAIN}secret'
	{
		conf_head "$BATS_TEST_TMPDIR" example.org
		cat <<-EOF
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
	} >"$file"
}

# The tls { } body for a listener with the test certificates.
tls_block() {
	echo "certificates = \"$CERTS/certificates.pem\" privateKey = \"$CERTS/key.pem\" $*"
}

# start_server BINARY CONF [VAR=VALUE...]: smtpd (or lmtpd) per connection
# on $PORT, with those environment variables; its log (stderr) in
# $SERVER_LOG.
start_server() {
	local bin=$1 conf=$2 v env=()
	shift 2
	for v in "$@"; do
		env+=(-E "$v")
	done
	PORT=$(free_port)
	SERVER_LOG="$BATS_TEST_TMPDIR/server.log"
	activate "${env[@]}" "127.0.0.1:$PORT" "$SERVER_LOG" "$bin" -c "$conf" --log=stderr
}

# Stop the listener; fail when a server process exited non-zero or a
# sanitizer spoke (SANITIZE=1 runs), which the client would not notice.
stop_server() {
	[ ${#ACTIVATED_PIDS[@]} -gt 0 ] || return 0
	activate_stop
	if grep -E 'died with (code [1-9]|signal)|Sanitizer|runtime error' "$SERVER_LOG"; then
		echo "a server process failed, see above" >&2
		return 1
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

# assert_received_tls MARKER: the delivered message with MARKER says
# ESMTPS with the TLS version and cipher in its Received: line.
assert_received_tls() {
	local f
	f=$(delivered "$1")
	[ -n "$f" ] || fail "no message with '$1' in the maildir"
	run grep -A1 '^Received: ' "$f"
	assert_output --regexp 'with ESMTPS \(TLS1\.[23] with cipher [A-Z0-9-]+\)'
}
