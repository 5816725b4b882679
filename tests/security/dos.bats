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
	pgrep -P "$ACTIVATED_PID" || true
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

# ---- item 2 ---------------------------------------------------------------

# rcpt_flood N: one transaction of N pipelined RCPT TO:<alice+tagI@...>,
# then DATA; prints smtpd's peak RSS in KB; replies in $T/out, log in $T/log.
rcpt_flood() {
	python3 - "$1" >"$T/in" <<-'EOF'
		import sys
		n = int(sys.argv[1])
		out = [b"EHLO c\r\n", b"MAIL FROM:<x@client.test>\r\n"]
		out += [b"RCPT TO:<alice+t%d@example.org>\r\n" % i for i in range(n)]
		out += [b"DATA\r\n", b"Subject: x\r\n\r\nb\r\n.\r\n", b"QUIT\r\n"]
		sys.stdout.buffer.write(b"".join(out))
	EOF
	# shellcheck disable=SC2002 # a pipe, as a connection
	cat "$T/in" | REMOTE_ADDR=192.0.2.1 /usr/bin/time -f %M -o "$T/rss" \
		"$SMTPD" -c "$CONF" --log=stderr >"$T/out" 2>"$T/log"
	cat "$T/rss"
}

@test "2: RCPT commands per transaction are bounded (452 4.5.3 past 1000 by default), memory flat" {
	local small big
	# MaxRcptHandler off (maxRcpt = 0: James' "no limit"): the bound holds
	MAXRCPT=0 write_conf
	small=$(rcpt_flood 2000)
	big=$(rcpt_flood 40000)
	assert_equal "$(grep -c '^250 2.1.5' "$T/out")" 1000
	assert_equal "$(grep -c '^452 4.5.3' "$T/out")" 39000
	grep -q '^250 2.0.0 OK: queued' "$T/out"
	echo "# peak RSS: 2000 RCPT ${small} KB, 40000 RCPT ${big} KB" >&3
	(( big - small < 1024 ))
	# the message's log line stays bounded
	run awk 'length > 4096' "$T/log"
	assert_output ''
	# and the bound is configurable
	MAXRCPT=0 write_conf 'maxRcptCommands = 3'
	run smtp 'EHLO c' 'MAIL FROM:<x@client.test>' 'RCPT TO:<alice@example.org>' 'RCPT TO:<nobody@example.org>' \
		'RCPT TO:<alice+a@example.org>' 'RCPT TO:<alice+b@example.org>' QUIT
	assert_line --index 7 '250 2.1.5 Recipient OK'
	assert_line --index 8 --partial '550 5.1.1'
	assert_line --index 9 '250 2.1.5 Recipient OK'
	assert_line --index 10 '452 4.5.3 Too many recipients'
}
