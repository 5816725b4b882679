#!/usr/bin/env bats
# smtpd's LMTP client on the wire, against a scripted LMTP server
# (fake_lmtp.py) that records every line it receives.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	make_store "$T"
	SOCK=$T/fake.sock
	cat > "$T/smtpd.conf" <<CONF
domains = { "example.org" }
users = "$T/users"
aliases = "$T/aliases"
mailboxes = "$T/no-such-dir/%d/%n"
spool = "$T/spool"
lmtp = "unix:$SOCK"
smtpserver "smtp" { handler { helloName = "mx.example.org" } }
CONF
}

teardown() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
}

# start_fake OPTIONS...: the scripted server, listening when this returns.
start_fake() {
	python3 "$HERE/fake_lmtp.py" "$SOCK" "$T/transcript" "$@" 2>"$T/fake.err" &
	FAKE_PID=$!
	local i
	for i in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		sleep 0.05
	done
	cat "$T/fake.err" >&2
	return 1
}

# Wait (bounded by the server's own 30 s limit) until it has finished.
fake_done() {
	wait "$FAKE_PID"
	FAKE_PID=
}

smtp_pipe() {
	REMOTE_ADDR=127.0.0.1 "$SMTPD" -c "$T/smtpd.conf" --log=stderr 2>>"$T/smtpd.log"
}

message_to_team_and_carol() {
	crlf "EHLO client.test" "MAIL FROM:<s@sender.test> BODY=8BITMIME" "RCPT TO:<team@example.org>" \
		"RCPT TO:<carol@example.org>" DATA "Subject: wire" "" "..dot" "." QUIT
}

@test "LHLO our name, MAIL with BODY=8BITMIME, one RCPT per target, Received first, dot-stuffed, QUIT" {
	start_fake
	run smtp_pipe < <(message_to_team_and_carol)
	assert_line --regexp '^250 2\.0\.0 OK: queued as '
	fake_done
	run cat "$T/transcript"
	assert_line --index 0 'LHLO mx.example.org'
	assert_line --index 1 'MAIL FROM:<s@sender.test> BODY=8BITMIME'
	assert_line --index 2 'RCPT TO:<alice@example.org>'
	assert_line --index 3 'RCPT TO:<bob@example.org>'
	assert_line --index 4 'RCPT TO:<carol@example.org>'
	assert_line --index 5 'DATA'
	assert_line --index 6 'Received: from client.test ([127.0.0.1])'
	assert_line --index 9 'Subject: wire'
	# (bats drops empty lines from $lines: the blank line is checked below)
	assert_line --index 10 '..dot'
	assert_line --index 11 '.'
	assert_line --index 12 'QUIT'
	assert_line --index 13 '!EOF'		# closed after the 221, not before
	[ "${#lines[@]}" -eq 14 ]
	[ -z "$(sed -n 11p "$T/transcript")" ]
	refute_output --partial '!PIPELINED'
}

@test "a server without PIPELINING gets one command at a time" {
	start_fake --no-pipelining
	run smtp_pipe < <(message_to_team_and_carol)
	assert_line --regexp '^250 2\.0\.0 OK: queued as '
	fake_done
	run cat "$T/transcript"
	refute_output --partial '!PIPELINED'
	assert_line 'RCPT TO:<carol@example.org>'
	assert_line 'QUIT'
}

@test "a server without 8BITMIME gets no BODY parameter" {
	start_fake --no-8bitmime
	run smtp_pipe < <(message_to_team_and_carol)
	assert_line --regexp '^250 2\.0\.0 OK: queued as '
	fake_done
	run cat "$T/transcript"
	assert_line --index 1 'MAIL FROM:<s@sender.test>'
}

@test "SMTPUTF8 asked for, server without it: 451, no MAIL sent" {
	start_fake --no-smtputf8
	run smtp_pipe < <(crlf "EHLO client.test" "MAIL FROM:<s@sender.test> SMTPUTF8" \
		"RCPT TO:<alice@example.org>" DATA QUIT)
	assert_line $'451 4.3.0 Temporary local problem, try again later\r'
	refute_output --partial 354
	fake_done
	run cat "$T/transcript"
	refute_output --partial 'MAIL FROM'
	grep -q 'SMTPUTF8 needed, not offered' "$T/smtpd.log"
}

@test "one recipient failing after the dot fails the SMTP message" {
	start_fake --final '250 2.0.0 ok' --final '451 4.3.0 try later' --final '250 2.0.0 ok'
	run smtp_pipe < <(message_to_team_and_carol)
	assert_line $'451 4.3.0 Temporary local problem, try again later\r'
	refute_line --regexp '^250 2\.0\.0 OK: queued'
	fake_done
	grep -q '<bob@example.org>: 451 4.3.0 try later' "$T/smtpd.log"
}

@test "a full mailbox on the LMTP server (452 4.2.2) is a temporary failure for the client" {
	start_fake --final '452 4.2.2 mailbox full'
	run smtp_pipe < <(message_to_team_and_carol)
	assert_line --regexp '^452 4\.3\.1 '
	fake_done
}

@test "an LMTP server that goes away mid-reply: 451, never 250" {
	start_fake --final '250-2.0.0 ok but' --hangup
	run smtp_pipe < <(message_to_team_and_carol)
	assert_line $'451 4.3.0 Temporary local problem, try again later\r'
	fake_done
}
