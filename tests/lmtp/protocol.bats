#!/usr/bin/env bats
# lmtpd over pipes: the LMTP dialogue (RFC 2033, conformance M1-M4).

load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	make_store "$T"
}

@test "greeting says LMTP; LHLO offers smtpd's keywords minus AUTH (M1)" {
	LMTP_HANDLER='maxmessagesize = 10
    authRequired = announce' make_store "$T"
	run lmtp_pipe < <(crlf "LHLO client.test" QUIT)
	assert_success
	assert_line --index 0 --regexp $'^220 lmtp\\.example\\.org LMTP .*\r$'
	assert_line --index 1 $'250-lmtp.example.org Hello client.test [unknown]\r'
	assert_line --index 2 $'250-PIPELINING\r'
	assert_line --index 3 $'250-SIZE 10240\r'
	assert_line --index 4 $'250-8BITMIME\r'
	assert_line --index 5 $'250-ENHANCEDSTATUSCODES\r'
	assert_line --index 6 $'250 SMTPUTF8\r'
	refute_output --partial AUTH
	refute_output --partial STARTTLS
}

@test "no AUTH in LMTP, whatever authRequired says" {
	LMTP_HANDLER='authRequired = true' make_store "$T"
	run lmtp_pipe < <(crlf "LHLO client.test" "AUTH PLAIN AGFsaWNlAHg=" "MAIL FROM:<s@sender.test>" \
		"RCPT TO:<alice@example.org>" QUIT)
	refute_output --partial AUTH
	refute_line --regexp '^235 '
	assert_line --index 6 --regexp '^50[0-3] 5\.5\.1 '
	assert_line --index 8 $'250 2.1.5 Recipient OK\r'
}

@test "smtpGreeting replaces the generated greeting" {
	LMTP_HANDLER='smtpGreeting = "delivery agent here"' make_store "$T"
	run lmtp_pipe < <(crlf QUIT)
	assert_line --index 0 $'220 delivery agent here\r'
}

@test "HELO and EHLO get 500 5.5.1; LHLO then works (M1)" {
	run lmtp_pipe < <(crlf "HELO client.test" "EHLO client.test" "LHLO client.test" QUIT)
	assert_line --index 1 $'500 5.5.1 This is LMTP: use LHLO\r'
	assert_line --index 2 $'500 5.5.1 This is LMTP: use LHLO\r'
	assert_line --index 3 --partial '250-lmtp.example.org Hello client.test'
}

@test "unknown local user 550 5.1.1; non-local domain 550 5.7.1, even for an authorized peer (M2)" {
	LMTP_HANDLER='authorizedAddresses = { "127.0.0.0/8" }' make_store "$T"
	run env REMOTE_ADDR=127.0.0.1 "$LMTPD" -c "$T/lmtpd.conf" --log=stderr < <(crlf "LHLO client.test" \
		"MAIL FROM:<s@sender.test>" "RCPT TO:<nobody@example.org>" "RCPT TO:<x@remote.test>" \
		"RCPT TO:<alice%remote.test@example.org>" "RCPT TO:<@example.org:x@remote.test>" QUIT)
	assert_line $'550 5.1.1 Mailbox unavailable: no such user here\r'
	assert_line $'550 5.7.1 Relaying denied\r'
	refute_line --partial '250 2.1.5'
	refute_output --partial '354'
}

@test "heloEhloEnforcement and addressBracketsEnforcement are off by default (James)" {
	run lmtp_pipe < <(crlf "MAIL FROM:s@sender.test" "RCPT TO:alice@example.org" RSET QUIT)
	assert_line --index 1 $'250 2.1.0 Sender OK\r'
	assert_line --index 2 $'250 2.1.5 Recipient OK\r'
}

@test "heloEhloEnforcement = true asks for LHLO" {
	LMTP_HANDLER='heloEhloEnforcement = true
    addressBracketsEnforcement = true' make_store "$T"
	run lmtp_pipe < <(crlf "MAIL FROM:<s@sender.test>" "LHLO client.test" "MAIL FROM:s@sender.test" QUIT)
	assert_line --index 1 $'503 5.5.1 Send LHLO first\r'
	assert_line $'501 5.5.2 Address must be enclosed in angle brackets\r'
}

@test "end of data: one reply per accepted recipient, in RCPT order (M3)" {
	run lmtp_pipe < <(crlf "LHLO client.test" "MAIL FROM:<s@sender.test>" \
		"RCPT TO:<carol@example.org>" "RCPT TO:<nobody@example.org>" \
		"RCPT TO:<alice@example.org>" "RCPT TO:<Bob+tag@Example.ORG>" \
		DATA "Subject: three" "" "hello" . QUIT)
	assert_success
	# between 354 and 221: exactly the three accepted recipients
	local replies
	replies=$(printf '%s\n' "$output" | sed -n '/^354 /,/^221 /p' | sed '1d;$d')
	[ "$(printf '%s\n' "$replies" | wc -l)" -eq 3 ]
	[[ $(sed -n 1p <<<"$replies") == "250 2.0.0 <carol@example.org> delivered, id "* ]]
	[[ $(sed -n 2p <<<"$replies") == "250 2.0.0 <alice@example.org> delivered, id "* ]]
	[[ $(sed -n 3p <<<"$replies") == "250 2.0.0 <Bob+tag@example.org> delivered, id "* ]]
	[ "$(delivered alice | wc -l)" -eq 1 ]
	[ "$(delivered bob | wc -l)" -eq 1 ]
	[ "$(delivered carol | wc -l)" -eq 1 ]
}

@test "an alias is one recipient: one reply, a copy for each target (M3)" {
	run lmtp_pipe < <(crlf "LHLO client.test" "MAIL FROM:<s@sender.test>" "RCPT TO:<team@example.org>" \
		DATA "Subject: team" "" "hello" . QUIT)
	[ "$(printf '%s\n' "$output" | sed -n '/^354 /,/^221 /p' | sed '1d;$d' | wc -l)" -eq 1 ]
	assert_line --regexp '^250 2\.0\.0 <team@example\.org> delivered'
	[ "$(delivered alice | wc -l)" -eq 1 ]
	[ "$(delivered bob | wc -l)" -eq 1 ]
}

@test "a rejected message gets one reply per recipient too (M3)" {
	LMTP_HANDLER='maxmessagesize = 1' make_store "$T"
	run lmtp_pipe < <(crlf "LHLO client.test" "MAIL FROM:<s@sender.test>" \
		"RCPT TO:<alice@example.org>" "RCPT TO:<bob@example.org>" DATA \
		"Subject: big" "" "$(head -c 2000 /dev/zero | tr '\0' x)" . QUIT)
	[ "$(printf '%s\n' "$output" | grep -c '^552 5.3.4 ')" -eq 2 ]
	[ -z "$(delivered alice)" ]
	[ -z "$(delivered bob)" ]
}

@test "delivered copy: Return-Path and Delivered-To first, then Received with LMTP (M4)" {
	run lmtp_pipe < <(crlf "LHLO client.test" "MAIL FROM:<s@sender.test>" "RCPT TO:<alice@example.org>" \
		DATA "Subject: m4" "" "..leading dot" "body" . QUIT)
	assert_success
	local f
	f=$(delivered alice)
	[ -n "$f" ]
	run sed -n 1,3p "$f"
	assert_line --index 0 $'Return-Path: <s@sender.test>\r'
	assert_line --index 1 $'Delivered-To: alice@example.org\r'
	assert_line --index 2 $'Received: from client.test\r'
	run cat "$f"
	assert_output --regexp $'by lmtp\\.example\\.org \\(smtpd\\) with LMTP id [0-9A-F]+\\.1'
	assert_line $'.leading dot\r'
	assert_line $'Subject: m4\r'
}

@test "RSET, NOOP, two transactions on one connection" {
	run lmtp_pipe < <(crlf "LHLO client.test" "MAIL FROM:<s@sender.test>" "RCPT TO:<alice@example.org>" \
		RSET NOOP "MAIL FROM:<s@sender.test>" "RCPT TO:<alice@example.org>" DATA "Subject: 1" "" a . \
		"MAIL FROM:<>" "RCPT TO:<bob@example.org>" DATA "Subject: 2" "" b . QUIT)
	assert_line $'250 2.0.0 Flushed\r'
	assert_line $'250 2.0.0 OK\r'
	assert_line --regexp '^250 2\.0\.0 <alice@example\.org> delivered, id [0-9A-F]+\.1'
	assert_line --regexp '^250 2\.0\.0 <bob@example\.org> delivered, id [0-9A-F]+\.2'
	assert_line --regexp '^221 2\.0\.0 '
	[ "$(delivered alice | wc -l)" -eq 1 ]
	grep -q '^Return-Path: <>' "$(delivered bob)"
}

@test "running as root is logged as a warning, once" {
	run lmtp_pipe < <(crlf "LHLO client.test" NOOP QUIT)
	if [ "$(id -u)" -eq 0 ]; then
		[ "$(grep -c 'running as root' "$T/lmtpd.log")" -eq 1 ]
	else
		run grep -c 'running as root' "$T/lmtpd.log"
		assert_output 0
	fi
}

@test "smtpd does not warn about root" {
	smtpd_conf
	run "$SMTPD" -c "$T/smtpd.conf" --log=stderr < <(crlf "EHLO client.test" QUIT)
	assert_success
	refute_output --partial 'running as root'
}
