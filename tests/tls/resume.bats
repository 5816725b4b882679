#!/usr/bin/env bats
# Session resumption across per-connection processes: every process uses
# the session-ticket key in the ticketKey file, created on first use
# (0600) and replaced when older than a day.

load tls_helpers

setup() {
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
	KEY="$BATS_TEST_TMPDIR/state/ticket.key"
	mkdir -p "$BATS_TEST_TMPDIR/state"
}

# gnutls-cli --resume: two connections, hence two smtpd processes.
resume_session() {
	local out="$BATS_TEST_TMPDIR/out.$RANDOM"
	printf 'EHLO client.example\r\nQUIT\r\n' | feed_until "$out" '^221' |
		timeout 30 gnutls-cli --starttls-proto=smtp --resume --x509cafile="$CERTS/ca.pem" "$@" \
			-p "$PORT" 127.0.0.1 >"$out" 2>&1 || true
	cat "$out"
}

@test "gnutls-cli --resume: the second process resumes the first one's TLS 1.3 session" {
	write_conf "$CONF" "startTLS = true $(tls_block) ticketKey = \"$KEY\""
	start_server "$SMTPD" "$CONF"
	run resume_session
	assert_line '*** This is a resumed session'
	assert_line --partial '221 2.0.0'
	run grep -c 'TLS established with \[127.0.0.1\]: TLS1.3 with cipher .* (resumed)' "$SERVER_LOG"
	assert_output 1
	run grep -c 'Spawned' "$SERVER_LOG"
	assert_output 2
}

@test "gnutls-cli --resume: TLS 1.2 session tickets (RFC 5077) resume too" {
	write_conf "$CONF" "startTLS = true $(tls_block) ticketKey = \"$KEY\""
	start_server "$SMTPD" "$CONF"
	run resume_session --priority=NORMAL:-VERS-TLS1.3
	assert_line '*** This is a resumed session'
	run grep 'TLS established' "$SERVER_LOG"
	assert_output --partial 'TLS1.2 with cipher'
	assert_output --partial '(resumed)'
}

@test "the ticket key file is created on first use with mode 0600" {
	write_conf "$CONF" "startTLS = true $(tls_block) ticketKey = \"$KEY\""
	start_server "$SMTPD" "$CONF"
	[ ! -e "$KEY" ]
	run resume_session
	assert_line '*** This is a resumed session'
	run stat -c '%a %s' "$KEY"
	assert_output '600 64'
	# and no temporary file is left behind
	run ls "$BATS_TEST_TMPDIR/state"
	assert_output 'ticket.key'
}

@test "implicit TLS resumes across processes as well" {
	write_conf "$CONF" "socketTLS = true $(tls_block) ticketKey = \"$KEY\""
	start_server "$SMTPD" "$CONF"
	out="$BATS_TEST_TMPDIR/out"
	printf 'QUIT\r\n' | feed_until "$out" '^221' |
		timeout 30 gnutls-cli --resume --x509cafile="$CERTS/ca.pem" -p "$PORT" 127.0.0.1 >"$out" 2>&1 || true
	run cat "$out"
	assert_line '*** This is a resumed session'
}

@test "without ticketKey no ticket is issued: nothing to resume" {
	write_conf "$CONF" "startTLS = true $(tls_block)"
	start_server "$SMTPD" "$CONF"
	run resume_session
	refute_line '*** This is a resumed session'
	assert_line --partial '221 2.0.0'
	run grep -c '(resumed)' "$SERVER_LOG"
	assert_output 0
}

@test "a key older than a day is replaced (atomically, mode 0600); a fresh one is kept" {
	write_conf "$CONF" "startTLS = true $(tls_block) ticketKey = \"$KEY\""
	start_server "$SMTPD" "$CONF"
	run resume_session
	assert_line '*** This is a resumed session'
	cp "$KEY" "$BATS_TEST_TMPDIR/key.1"
	run resume_session
	cmp "$KEY" "$BATS_TEST_TMPDIR/key.1"
	touch -d '2 days ago' "$KEY"
	run resume_session
	assert_line '*** This is a resumed session'
	run cmp -s "$KEY" "$BATS_TEST_TMPDIR/key.1"
	assert_failure
	run stat -c '%a %s' "$KEY"
	assert_output '600 64'
	run find "$KEY" -mmin -60
	assert_output "$KEY"
}

@test "a ticket key file that is not a key: logged, TLS still works without resumption" {
	head -c 10 /dev/zero >"$KEY"
	write_conf "$CONF" "startTLS = true $(tls_block) ticketKey = \"$KEY\""
	start_server "$SMTPD" "$CONF"
	run resume_session
	assert_line --partial '221 2.0.0'
	refute_line '*** This is a resumed session'
	run grep 'ticket key' "$SERVER_LOG"
	assert_output --partial "TLS: ticket key $KEY:"
}

@test "a ticket key readable by others is used, with a warning" {
	write_conf "$CONF" "startTLS = true $(tls_block) ticketKey = \"$KEY\""
	start_server "$SMTPD" "$CONF"
	run resume_session
	chmod 644 "$KEY"
	run resume_session
	assert_line '*** This is a resumed session'
	run grep -c "TLS: ticket key $KEY is accessible to others (mode 644): chmod 600 it" "$SERVER_LOG"
	assert_output 2
}
