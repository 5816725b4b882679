#!/usr/bin/env bats
# MaxUnknownCmdHandler, SupressDuplicateRcptHandler,
# EnforceHeaderLimitationsMessageHook, TarpitHandler: no DNS involved.

load common

setup_file() { handlers_setup_file; }
teardown_file() { handlers_teardown_file; }
setup() { handlers_setup; }
teardown() { teardown_smtpd; }

@test "MaxUnknownCmdHandler: the 3rd unknown command of 2 allowed gets 521 5.5.1 and the connection closes" {
	write_chain 'handler "MaxUnknownCmdHandler" { maxUnknownCmdCount = 2 }'
	PEER=127.0.0.1 run smtp "EHLO client.test" FOO BAR BAZ NOOP
	assert_line --index 6 "500 5.5.1 Command unrecognized"
	assert_line --index 7 "500 5.5.1 Command unrecognized"
	assert_line --index 8 "521 5.5.1 Closing connection as too many unknown commands received"
	[ "${#lines[@]}" -eq 9 ]	# NOOP never answered: closed
	grep -q 'too many unknown commands (3) from \[127.0.0.1\], closing' "$T/log"
}

@test "MaxUnknownCmdHandler: default 5" {
	write_chain 'handler "MaxUnknownCmdHandler" { }'
	PEER=127.0.0.9 run smtp "EHLO client.test" A B C D E F NOOP
	assert_line --index 10 "500 5.5.1 Command unrecognized"
	assert_line --index 11 "521 5.5.1 Closing connection as too many unknown commands received"
}

@test "SupressDuplicateRcptHandler: a repeated recipient gets 250 and is not counted again" {
	export MAXRCPT=1
	write_chain 'handler "SupressDuplicateRcptHandler" { } handler "MaxRcptHandler" { maxRcpt = 1 }'
	PEER=127.0.0.9 run smtp "EHLO client.test" "MAIL FROM:<a@example.net>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<alice@EXAMPLE.org>" DATA "Subject: dup" "" "x" . QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "250 2.1.5 Recipient <alice@example.org> OK"
	assert_line --index 10 --partial "250 2.0.0 OK: queued as"
	[ "$(maildir_count alice@example.org)" -eq 1 ]
	# one recipient in the transaction: Received names it (RFC 5321 §4.4)
	grep -q 'for <alice@example.org>' "$(one_message alice@example.org)"
	grep -q 'to=<alice@example.org> ' "$T/log"
}

@test "without SupressDuplicateRcptHandler the repeated recipient counts (the same dialogue gets 452)" {
	write_chain 'handler "MaxRcptHandler" { maxRcpt = 1 }'
	PEER=127.0.0.9 run smtp "EHLO client.test" "MAIL FROM:<a@example.net>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<alice@EXAMPLE.org>" QUIT
	assert_line --index 8 "452 4.5.3 Too many recipients"
}

@test "EnforceHeaderLimitationsMessageHook: more fields than maxLines: 552 5.3.4, nothing stored" {
	write_chain 'handler "EnforceHeaderLimitationsMessageHook" { maxLines = 3 }'
	PEER=127.0.0.9 run smtp "EHLO client.test" "MAIL FROM:<a@example.net>" "RCPT TO:<alice@example.org>" \
		DATA "A: 1" "B: 2" "C: 3" "  folded, still C" "" "body" . \
		"MAIL FROM:<a@example.net>" "RCPT TO:<alice@example.org>" \
		DATA "A: 1" "B: 2" "C: 3" "D: 4" "" "body" . QUIT
	assert_line --index 9 --partial "250 2.0.0 OK: queued as"
	assert_line --index 13 "552 5.3.4 Header Lines are too many"
	[ "$(maildir_count alice@example.org)" -eq 1 ]
}

@test "EnforceHeaderLimitationsMessageHook: a header section over maxSize KiB: 552 5.3.4" {
	write_chain 'handler "EnforceHeaderLimitationsMessageHook" { maxSize = 1 }'
	long=$(printf 'x%.0s' $(seq 1100))
	PEER=127.0.0.9 run smtp "EHLO client.test" "MAIL FROM:<a@example.net>" "RCPT TO:<alice@example.org>" \
		DATA "X-Long: $long" "" "body" . QUIT
	assert_line --index 9 "552 5.3.4 Header size is too large"
	[ "$(maildir_count alice@example.org)" -eq 0 ]
}

@test "EnforceHeaderLimitationsMessageHook: applies to relaying clients too" {
	write_chain 'handler "EnforceHeaderLimitationsMessageHook" { maxLines = 1 }'
	PEER=127.0.0.1 run smtp "EHLO client.test" "MAIL FROM:<a@example.net>" "RCPT TO:<alice@example.org>" \
		DATA "A: 1" "B: 2" "" "body" . QUIT
	assert_line --index 9 "552 5.3.4 Header Lines are too many"
}

@test "TarpitHandler: RCPTs after tarpitRcptCount wait tarpitSleepTime (socket, client 127.0.0.9)" {
	write_chain 'handler "TarpitHandler" { tarpitRcptCount = 1 tarpitSleepTime = 1500 }'
	start_socket
	start=$(date +%s%N)
	run nc_from 127.0.0.9 'EHLO client.test\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\nRCPT TO:<info@example.org>\r\nQUIT\r\n'
	elapsed=$((($(date +%s%N) - start) / 1000000))
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "550 5.1.1 Mailbox unavailable: no such user here"
	assert_line --index 9 "250 2.1.5 Recipient OK"
	[ "$elapsed" -ge 3000 ]
	wait_log "$T/sa.log" 'tarpit: RCPT 3 from \[127.0.0.9\] waits 1500 ms'
	grep -q 'tarpit: RCPT 2 from \[127.0.0.9\] waits 1500 ms' "$T/sa.log"
	run grep -c 'tarpit: RCPT 1 ' "$T/sa.log"
	assert_output 0
}

@test "TarpitHandler: relaying clients are not slowed" {
	write_chain 'handler "TarpitHandler" { tarpitRcptCount = 1 tarpitSleepTime = 1500 }'
	PEER=127.0.0.1 run smtp "EHLO client.test" "MAIL FROM:<a@example.net>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<info@example.org>" QUIT
	assert_line --index 8 "250 2.1.5 Recipient OK"
	run grep -c 'tarpit:' "$T/log"
	assert_output 0
}
