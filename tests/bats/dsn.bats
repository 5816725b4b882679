#!/usr/bin/env bats
# RFC 3461 DSN parameters on the receive side: offered when smtpd-relay is
# configured (a remoteDelivery block), checked (501 5.5.4), kept in
# canonical form on the spool file's MAIL FROM / RCPT TO lines for
# smtpd-relay; local delivery ignores them.

load helpers

setup() {
	setup_smtpd
	GLOBAL_EXTRA='remoteDelivery { }'
	write_conf
}
teardown() { teardown_smtpd; }

@test "DSN: EHLO offers DSN with a remoteDelivery block, not without (LMTP: tests/lmtp/protocol.bats)" {
	run smtp "EHLO client.test" QUIT
	assert_line "250-DSN"
	GLOBAL_EXTRA='' write_conf
	run smtp "EHLO client.test" "MAIL FROM:<s@client.test> RET=HDRS" "MAIL FROM:<s@client.test>" \
		"RCPT TO:<u@remote.test> NOTIFY=NEVER" QUIT
	refute_output --partial DSN
	assert_line --index 6 "555 5.5.4 Unsupported parameter"
	assert_line --index 8 "555 5.5.4 Unsupported parameter"
}

@test "DSN: RET/ENVID and NOTIFY/ORCPT travel on the spool file's lines, canonical" {
	run smtp "EHLO client.test" "MAIL FROM:<s@client.test> BODY=8BITMIME ret=hdrs ENVID=QQ+2B314159" \
		"RCPT TO:<u@remote.test> NOTIFY=delay,failure ORCPT=rfc822;U+2Bx@remote.test" \
		"RCPT TO:<v@remote.test> NOTIFY=NEVER" "RCPT TO:<w@remote.test>" DATA "x" . QUIT
	assert_line --index 7 "250 2.1.0 Sender OK"
	assert_line --index 8 "250 2.1.5 Recipient OK"
	assert_line --index 9 "250 2.1.5 Recipient OK"
	assert_line --index 10 "250 2.1.5 Recipient OK"
	run cat "$(spool_files)"
	assert_line --index 0 $'MAIL FROM:<s@client.test> BODY=8BITMIME RET=HDRS ENVID=QQ+2B314159\r'
	assert_line --index 1 $'RCPT TO:<u@remote.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;U+2Bx@remote.test\r'
	assert_line --index 2 $'RCPT TO:<v@remote.test> NOTIFY=NEVER\r'
	assert_line --index 3 $'RCPT TO:<w@remote.test>\r'
	assert_line --index 4 $'DATA\r'
}

@test "DSN: an alias to a remote address carries the recipient's NOTIFY" {
	echo 'fwd@example.org: far@remote.test, alice@example.org' >>"$T/aliases"
	run smtp "EHLO client.test" "MAIL FROM:<s@client.test>" "RCPT TO:<fwd@example.org> NOTIFY=SUCCESS" DATA "x" . QUIT
	assert_line --index 10 --regexp "^250 2\.0\.0 OK: queued as "
	run cat "$(spool_files)"
	assert_line --index 1 $'RCPT TO:<far@remote.test> NOTIFY=SUCCESS\r'
	# local delivery ignores DSN parameters: the maildir copy is the usual one
	run head -1 "$(one_message alice@example.org)"
	assert_output $'Return-Path: <s@client.test>\r'
}

@test "DSN: bad values are 501 5.5.4 and change nothing" {
	run smtp "EHLO client.test" \
		"MAIL FROM:<s@client.test> RET=BOTH" \
		"MAIL FROM:<s@client.test> RET=FULL RET=HDRS" \
		"MAIL FROM:<s@client.test> ENVID=a+0Db" \
		"MAIL FROM:<s@client.test> ENVID=a+2b" \
		"MAIL FROM:<s@client.test> ENVID=" \
		"MAIL FROM:<s@client.test> ENVID=1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890X" \
		QUIT
	for i in 7 8 9 10 12; do
		assert_line --index $i "501 5.5.4 Invalid parameter value"
	done
	# an empty esmtp-value is a syntax error (RFC 5321 §4.1.2)
	assert_line --index 11 "501 5.5.4 Syntax error in parameters or arguments"
	run smtp "EHLO client.test" "MAIL FROM:<s@client.test>" \
		"RCPT TO:<u@remote.test> NOTIFY=NEVER,SUCCESS" \
		"RCPT TO:<u@remote.test> NOTIFY=SOMETIMES" \
		"RCPT TO:<u@remote.test> NOTIFY" \
		"RCPT TO:<u@remote.test> ORCPT=a@b" \
		"RCPT TO:<u@remote.test> ORCPT=rfc822;a+1Bb" \
		"RCPT TO:<u@remote.test> NOTIFY=FAILURE NOTIFY=DELAY" \
		"RCPT TO:<u@remote.test> FOO=1" \
		"RCPT TO:<u@remote.test> NOTIFY=FAILURE" \
		QUIT
	assert_line --index 7 "250 2.1.0 Sender OK"
	for i in 8 9 10 11 12 13; do
		assert_line --index $i "501 5.5.4 Invalid parameter value"
	done
	assert_line --index 14 "555 5.5.4 Unsupported parameter"
	assert_line --index 15 "250 2.1.5 Recipient OK"
}
