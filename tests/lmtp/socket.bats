#!/usr/bin/env bats
# lmtpd on real sockets (UNIX and TCP) started by systemd-socket-activate,
# with real LMTP clients: Python's smtplib.LMTP and swaks.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	make_store "$T"
	SOCK=$T/lmtp.sock
}

teardown() {
	stop_activated
}

message() {
	printf 'Subject: over a socket\r\n\r\nline one\r\n.starts with a dot\r\n'
}

@test "UNIX socket, smtplib.LMTP: LHLO, several recipients, one reply each after DATA" {
	start_activated "$SOCK" "$LMTPD" -c "$T/lmtpd.conf" --log=stderr
	run python3 "$HERE/lmtp_client.py" "$SOCK" s@sender.test \
		alice@example.org nobody@example.org x@remote.test bob@example.org carol@example.org < <(message)
	assert_success
	assert_line --index 0 'LHLO 250 8bitmime enhancedstatuscodes pipelining smtputf8'
	assert_line 'RCPT nobody@example.org 550 5.1.1 Mailbox unavailable: no such user here'
	assert_line 'RCPT x@remote.test 550 5.7.1 Relaying denied'
	assert_line --regexp '^DATA alice@example\.org 250 2\.0\.0 <alice@example\.org> delivered'
	assert_line --regexp '^DATA bob@example\.org 250 2\.0\.0 <bob@example\.org> delivered'
	assert_line --regexp '^DATA carol@example\.org 250 2\.0\.0 <carol@example\.org> delivered'
	[ "$(grep -c '^DATA ' <<<"$output")" -eq 3 ]
	local f
	for u in alice bob carol; do
		f=$(delivered "$u")
		[ -n "$f" ]
		grep -q $'^\\.starts with a dot\r$' "$f"
	done
	# a UNIX peer has no address: the session says local
	grep -q 'connect from \[local\]' "$T/ssa.log"
}

@test "UNIX socket: per-recipient failure reaches the right recipient" {
	mkdir -p "$T/mail/example.org"
	: > "$T/mail/example.org/bob"
	start_activated "$SOCK" "$LMTPD" -c "$T/lmtpd.conf" --log=stderr
	run python3 "$HERE/lmtp_client.py" "$SOCK" s@sender.test \
		alice@example.org bob@example.org carol@example.org < <(message)
	assert_success
	assert_line --regexp '^DATA alice@example\.org 250 '
	assert_line 'DATA bob@example.org 451 4.3.0 <bob@example.org> temporary failure'
	assert_line --regexp '^DATA carol@example\.org 250 '
}

@test "TCP, smtplib.LMTP: delivered, Received names the peer and LMTP" {
	local port
	port=$(free_port)
	start_activated "127.0.0.1:$port" "$LMTPD" -c "$T/lmtpd.conf" --log=stderr
	run python3 "$HERE/lmtp_client.py" "127.0.0.1:$port" s@sender.test alice@example.org bob@example.org < <(message)
	assert_success
	assert_line --regexp '^DATA alice@example\.org 250 '
	assert_line --regexp '^DATA bob@example\.org 250 '
	run cat "$(delivered alice)"
	assert_line --index 0 $'Return-Path: <s@sender.test>\r'
	assert_line --index 1 $'Delivered-To: alice@example.org\r'
	assert_line --index 2 $'Received: from client.test ([127.0.0.1])\r'
	assert_output --partial 'with LMTP id'
}

@test "TCP: HELO/EHLO refused, non-local refused, with swaks speaking LMTP" {
	local port
	port=$(free_port)
	start_activated "127.0.0.1:$port" "$LMTPD" -c "$T/lmtpd.conf" --log=stderr
	run swaks --server 127.0.0.1 --port "$port" --protocol SMTP --from s@sender.test --to alice@example.org \
		--timeout 20 --helo client.test
	assert_failure
	assert_output --partial '500 5.5.1 This is LMTP: use LHLO'
	run swaks --server 127.0.0.1 --port "$port" --protocol LMTP --from s@sender.test \
		--to alice@example.org,carol@example.org --timeout 20 --helo client.test --header 'Subject: swaks'
	assert_success
	assert_output --regexp '<-  250 2\.0\.0 <alice@example\.org> delivered'
	assert_output --regexp '<-  250 2\.0\.0 <carol@example\.org> delivered'
	[ "$(delivered alice | wc -l)" -eq 1 ]
	[ "$(delivered carol | wc -l)" -eq 1 ]
	run swaks --server 127.0.0.1 --port "$port" --protocol LMTP --from s@sender.test \
		--to x@remote.test --timeout 20 --helo client.test
	assert_failure
	assert_output --partial '550 5.7.1 Relaying denied'
}

@test "UNIX socket with swaks: a message to an unknown user only is refused at RCPT" {
	start_activated "$SOCK" "$LMTPD" -c "$T/lmtpd.conf" --log=stderr
	run swaks --socket "$SOCK" --protocol LMTP --from s@sender.test --to nobody@example.org \
		--timeout 20 --helo client.test
	assert_failure
	assert_output --partial '550 5.1.1 Mailbox unavailable: no such user here'
	[ -z "$(find "$T/mail" -type f)" ]
}
