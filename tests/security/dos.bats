#!/usr/bin/env bats
# Denial of service (issue 12, items 1-3): every write under TLS is bounded
# by connectionTimeout, RCPT commands per transaction are bounded, and an
# alias expansion that overflows takes nothing into the transaction.

load "$BATS_TEST_DIRNAME/../bats/helpers"

setup() {
	setup_smtpd
}

teardown() {
	teardown_smtpd
}

# the smtpd processes systemd-socket-activate started (one per connection)
children() {
	pgrep -P "$SA_PID" || true
}

# deaf_tls MODE TLS-KEYS: a TLS client that never reads, against a listener
# with connectionTimeout = 2; the handler must be gone within 2 x the
# timeout + 4 s (the client holds the connection 30 s).
deaf_tls() {
	local i took start
	CERTS="$T/certs"
	# tls_helpers' make_certs (its write_conf is not ours: a subshell)
	(
		# shellcheck source=tests/tls/tls_helpers.bash
		source "$BATS_TEST_DIRNAME/../tls/tls_helpers.bash"
		make_certs "$CERTS"
	)
	SERVER_EXTRA="tls { certificates = \"$CERTS/certificates.pem\" privateKey = \"$CERTS/key.pem\" $2 }"
	write_conf 'connectionTimeout = 2'
	start_socket
	python3 "$BATS_TEST_DIRNAME/tls_deaf.py" "$1" "$PORT" 30 >"$T/client.out" 2>&1 &
	local client=$!
	for i in $(seq 100); do
		[ -n "$(children)" ] && break
		sleep 0.1
	done
	[ -n "$(children)" ]
	start=$(date +%s%N)
	for i in $(seq 300); do
		[ -z "$(children)" ] && break
		sleep 0.1
	done
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	kill "$client" 2>/dev/null || true
	wait "$client" 2>/dev/null || true
	echo "# deaf TLS client ($1): handler gone after ${took} ms (connectionTimeout = 2 s)" >&3
	[ -z "$(children)" ]
	(( took <= 8000 ))
	grep -q 'timeout after .* (client not reading)\|TLS: send failed\|Connection timed out' "$T/sa.log"
}

@test "1: a client that stops reading under implicit TLS cannot hold the process" {
	deaf_tls implicit 'socketTLS = true'
}

@test "1: a client that stops reading after STARTTLS cannot hold the process" {
	deaf_tls starttls 'startTLS = true'
}

# ---- item 3 ---------------------------------------------------------------

@test "3: a RCPT whose alias expansion overflows the transaction adds nothing" {
	local i
	{
		printf 'first@example.org: r1@remote.test'
		for i in $(seq 2 600); do printf ', r%d@remote.test' "$i"; done
		printf '\nsecond@example.org: s1@remote.test'
		for i in $(seq 2 600); do printf ', s%d@remote.test' "$i"; done
		printf '\n'
	} >"$T/aliases"
	PEER=192.0.2.1
	run smtp 'EHLO c' 'MAIL FROM:<x@client.test>' 'RCPT TO:<first@example.org>' 'RCPT TO:<second@example.org>' \
		DATA 'Subject: x' '' 'b' . QUIT
	assert_line --index 7 '250 2.1.5 Recipient OK'
	assert_line --index 8 '452 4.5.3 Too many recipients'
	assert_line --partial '250 2.0.0 OK: queued'
	f=$(spool_files)
	[ -n "$f" ]
	assert_equal "$(grep -c '^RCPT TO:<r[0-9]*@remote.test>' "$f")" 600
	assert_equal "$(grep -c '^RCPT TO:<s' "$f")" 0
}
