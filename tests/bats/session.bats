#!/usr/bin/env bats
# Session rows S1-S18 of the conformance list, over pipes.

load helpers

setup() { setup_smtpd; }
teardown() { teardown_smtpd; }

EHLO_KEYWORDS_NOSIZE="250-$HELO_NAME Hello client.test [127.0.0.1]
250-PIPELINING
250-8BITMIME
250-ENHANCEDSTATUSCODES
250 SMTPUTF8"

# ---- S1 greeting ---------------------------------------------------------------

@test "S1: greeting names helloName" {
	run smtp QUIT
	assert_success
	assert_line --index 0 "220 $HELO_NAME ESMTP smtpd ready"
	assert_line --index 1 "221 2.0.0 $HELO_NAME closing connection"
	assert_crlf_replies
}

@test "S1: smtpGreeting replaces the generated greeting" {
	write_conf 'smtpGreeting = "Welcome to the test relay"'
	run smtp QUIT
	assert_success
	assert_line --index 0 "220 Welcome to the test relay"
}

@test "S1: helloNameAutodetect uses the host's name" {
	write_conf "helloNameAutodetect = true"
	run smtp "EHLO client.test" QUIT
	assert_success
	assert_line --index 0 "220 $(hostname) ESMTP smtpd ready"
	assert_line --index 1 "250-$(hostname) Hello client.test [127.0.0.1]"
}

# ---- S2 configuration cannot be loaded -----------------------------------------

@test "S2: missing configuration file: 421 4.3.0 and the reason in the log" {
	CONF="$T/nonexistent.conf"
	run smtp "EHLO client.test" QUIT
	assert_failure
	assert_output "421 4.3.0 Service not available: configuration error, closing connection"
	run cat "$T/log"
	assert_output --partial "$T/nonexistent.conf: cannot read: No such file or directory"
}

@test "S2: configuration is a directory: 421 4.3.0" {
	CONF="$T/mail"
	run smtp "EHLO client.test"
	assert_failure
	assert_output "421 4.3.0 Service not available: configuration error, closing connection"
	run cat "$T/log"
	assert_output --partial "$T/mail: cannot read:"
}

@test "S2: invalid configuration: 421 4.3.0, file:line in the log" {
	cat >"$CONF" <<-EOF
		domains = { "example.org" }
		mailboxes = "$T/mail/%d/%n"
		smtpserver "smtp" {
		  handler {
		    maxmessagesize = -5
		  }
		}
	EOF
	run smtp "EHLO client.test"
	assert_failure
	assert_output "421 4.3.0 Service not available: configuration error, closing connection"
	run cat "$T/log"
	assert_output --partial "config: $CONF:5: maxmessagesize must not be negative"
}

@test "S2: syntax error in configuration: 421 4.3.0" {
	printf 'domains = { "example.org"\nsmtpserver "smtp" {\n' >"$CONF"
	run smtp "EHLO client.test"
	assert_failure
	assert_output "421 4.3.0 Service not available: configuration error, closing connection"
	run grep -c "config: $CONF:" "$T/log"
	refute_output 0
}

@test "S2: no enabled smtpserver block: 421 4.3.0 and the reason" {
	sed -i 's/^smtpserver "smtp" {/smtpserver "smtp" { enabled = false/' "$CONF"
	run smtp "EHLO client.test"
	assert_failure
	assert_output "421 4.3.0 Service not available: configuration error, closing connection"
	run cat "$T/log"
	assert_output --partial "no enabled smtpserver block in $CONF"
}

@test "S2: -s names a missing block: 421 4.3.0" {
	printf 'EHLO client.test\r\n' | "$SMTPD" -c "$CONF" -s nosuch --log=stderr >"$T/out" 2>"$T/log" || true
	run tr -d '\r' <"$T/out"
	assert_output "421 4.3.0 Service not available: configuration error, closing connection"
	run cat "$T/log"
	assert_output --partial "no smtpserver \"nosuch\""
}

# ---- S3 EHLO keywords ------------------------------------------------------------

@test "S3: EHLO keywords without a size limit: no SIZE, no STARTTLS, no AUTH" {
	run smtp "EHLO client.test" QUIT
	assert_success
	assert_output "220 $HELO_NAME ESMTP smtpd ready
$EHLO_KEYWORDS_NOSIZE
221 2.0.0 $HELO_NAME closing connection"
	refute_output --partial STARTTLS
	refute_output --partial AUTH
	refute_output --partial SIZE
}

@test "S3: SIZE in bytes when maxmessagesize > 0" {
	write_conf "maxmessagesize = 1"
	run smtp "EHLO client.test" QUIT
	assert_output "220 $HELO_NAME ESMTP smtpd ready
250-$HELO_NAME Hello client.test [127.0.0.1]
250-PIPELINING
250-SIZE 1024
250-8BITMIME
250-ENHANCEDSTATUSCODES
250 SMTPUTF8
221 2.0.0 $HELO_NAME closing connection"
	write_conf "maxmessagesize = 10240"
	run smtp "EHLO client.test" QUIT
	assert_line "250-SIZE 10485760"
}

@test "S3: HELO gets a single 250 line with helloName" {
	run smtp "HELO client.test" QUIT
	assert_line --index 1 "250 $HELO_NAME"
	refute_output --partial PIPELINING
}

# ---- S4-S6 HELO/EHLO argument --------------------------------------------------

@test "S4: HELO and EHLO without argument: 501 5.5.4" {
	run smtp HELO EHLO "EHLO " "HELO    " QUIT
	assert_line --index 1 "501 5.5.4 Syntax: HELO/EHLO needs a domain or address literal"
	assert_line --index 2 "501 5.5.4 Syntax: HELO/EHLO needs a domain or address literal"
	assert_line --index 3 "501 5.5.4 Syntax: HELO/EHLO needs a domain or address literal"
	assert_line --index 4 "501 5.5.4 Syntax: HELO/EHLO needs a domain or address literal"
	assert_line --index 5 "221 2.0.0 $HELO_NAME closing connection"
}

@test "S5: EHLO with an invalid argument: 501 5.5.2, then MAIL still needs HELO" {
	local bad
	for bad in "bad value" "localhost)" "127.0.0.1/24" "sub..bad" "[]" \
		"-leading.test" "a.test;b" "[999.1.1.1]" "[IPv6:zz::1]" "x\$y.test"; do
		run smtp "EHLO $bad" "MAIL FROM:<>" QUIT
		assert_line --index 1 "501 5.5.2 Invalid domain name or address literal"
		assert_line --index 2 "503 5.5.1 Send HELO or EHLO first"
		run smtp "HELO $bad"
		assert_line --index 1 "501 5.5.2 Invalid domain name or address literal"
	done
}

@test "S6: EHLO with a valid argument: 250" {
	local good
	for good in good sub.domain.test 127.0.0.1 "[127.0.0.1]" "[IPv6:::1]" 7kO2OrE \
		under_score.test "[IPv6:2001:db8::1]"; do
		run smtp "EHLO $good" "MAIL FROM:<>" QUIT
		assert_line --index 1 "250-$HELO_NAME Hello $good [127.0.0.1]"
		assert_line --index 6 "250 2.1.0 Sender OK"
		run smtp "HELO $good"
		assert_line --index 1 "250 $HELO_NAME"
	done
}

# ---- S7 heloEhloEnforcement --------------------------------------------------------

@test "S7: MAIL before HELO with heloEhloEnforcement on: 503 5.5.1" {
	write_conf "heloEhloEnforcement = true"
	run smtp "MAIL FROM:<>" "EHLO client.test" "MAIL FROM:<>" QUIT
	assert_line --index 1 "503 5.5.1 Send HELO or EHLO first"
	assert_line --index 7 "250 2.1.0 Sender OK"
}

@test "S7: heloEhloEnforcement is on by default for SMTP" {
	run smtp "MAIL FROM:<>" QUIT
	assert_line --index 1 "503 5.5.1 Send HELO or EHLO first"
}

@test "S7: MAIL before HELO with heloEhloEnforcement off: 250, and delivered" {
	write_conf "heloEhloEnforcement = false"
	run smtp "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" DATA "Subject: nohelo" "" "x" . QUIT
	assert_line --index 1 "250 2.1.0 Sender OK"
	assert_line --index 2 "250 2.1.5 Recipient OK"
	assert_line --index 4 --regexp "^250 2\.0\.0 OK: queued as "
	f=$(one_message alice@example.org)
	# no HELO: the Received line says so instead of inventing one
	run grep -c "^Received: from unknown (\[127.0.0.1\])" "$f"
	assert_output 1
}

# ---- S8 addressBracketsEnforcement ------------------------------------------------

@test "S8: no brackets with addressBracketsEnforcement on: 501 5.5.2 (MAIL and RCPT)" {
	write_conf "addressBracketsEnforcement = true"
	run smtp "EHLO client.test" "MAIL FROM:a@client.test" "MAIL FROM:<a@client.test>" \
		"RCPT TO:alice@example.org" "RCPT TO:<alice@example.org>" QUIT
	assert_line --index 6 "501 5.5.2 Address must be enclosed in angle brackets"
	assert_line --index 7 "250 2.1.0 Sender OK"
	assert_line --index 8 "501 5.5.2 Address must be enclosed in angle brackets"
	assert_line --index 9 "250 2.1.5 Recipient OK"
}

@test "S8: no brackets with addressBracketsEnforcement off: 250 (MAIL and RCPT)" {
	write_conf "addressBracketsEnforcement = false"
	run smtp "EHLO client.test" "MAIL FROM:a@client.test" "RCPT TO:alice@example.org" \
		DATA "x" . QUIT
	assert_line --index 6 "250 2.1.0 Sender OK"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	f=$(one_message alice@example.org)
	run head -2 "$f"
	assert_line --index 0 $'Return-Path: <a@client.test>\r'
	assert_line --index 1 $'Delivered-To: alice@example.org\r'
}

# ---- S9 sequence errors ----------------------------------------------------------------

@test "S9: nested MAIL, RCPT before MAIL, DATA before RCPT: 503 5.5.1" {
	run smtp "EHLO client.test" "RCPT TO:<alice@example.org>" DATA "MAIL FROM:<>" \
		"MAIL FROM:<>" DATA "RCPT TO:<alice@example.org>" "MAIL FROM:<x@client.test>" RSET \
		"RCPT TO:<alice@example.org>" QUIT
	assert_line --index 6 "503 5.5.1 Need MAIL command first"
	assert_line --index 7 "503 5.5.1 Need MAIL command first"
	assert_line --index 8 "250 2.1.0 Sender OK"
	assert_line --index 9 "503 5.5.1 Nested MAIL command"
	assert_line --index 10 "503 5.5.1 Need RCPT before DATA"
	assert_line --index 11 "250 2.1.5 Recipient OK"
	assert_line --index 12 "503 5.5.1 Nested MAIL command"
	assert_line --index 13 "250 2.0.0 Flushed"
	assert_line --index 14 "503 5.5.1 Need MAIL command first"
	assert_line --index 15 "221 2.0.0 $HELO_NAME closing connection"
}

@test "S9: DATA after only rejected recipients: 554 5.5.1" {
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<nobody@example.org>" DATA QUIT
	assert_line --index 7 "550 5.1.1 Mailbox unavailable: no such user here"
	assert_line --index 8 "554 5.5.1 No valid recipients"
	run all_mail_files
	assert_output ""
}

# ---- S10-S12 ---------------------------------------------------------------------------

@test "S10: unknown verb: 500 5.5.1, session goes on" {
	run smtp "EHLO client.test" "FOO bar" "XYZZY" "MAILFROM:<>" NOOP QUIT
	assert_line --index 6 "500 5.5.1 Command unrecognized"
	assert_line --index 7 "500 5.5.1 Command unrecognized"
	assert_line --index 8 "500 5.5.1 Command unrecognized"
	assert_line --index 9 "250 2.0.0 OK"
}

@test "S11: VRFY never confirms users: 252 2.5.0" {
	run smtp "EHLO client.test" "VRFY alice@example.org" "VRFY nobody@example.org" "VRFY alice" QUIT
	assert_line --index 6 "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"
	assert_line --index 7 "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"
	assert_line --index 8 "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"
}

@test "S12: RSET and NOOP: 250 2.0.0; QUIT: 221 2.0.0 and close" {
	run smtp "EHLO client.test" RSET NOOP "NOOP ignored parameter" QUIT NOOP "MAIL FROM:<>"
	assert_success
	assert_line --index 6 "250 2.0.0 Flushed"
	assert_line --index 7 "250 2.0.0 OK"
	assert_line --index 8 "250 2.0.0 OK"
	assert_line --index 9 "221 2.0.0 $HELO_NAME closing connection"
	# nothing answered after QUIT
	assert_equal "${#lines[@]}" 10
}

@test "S12: RSET ends the transaction" {
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<alice@example.org>" RSET DATA QUIT
	assert_line --index 8 "250 2.0.0 Flushed"
	assert_line --index 9 "503 5.5.1 Need MAIL command first"
}

# ---- S13 long lines -------------------------------------------------------------------

@test "S13: a command line over 512 octets: 500 5.5.2, the next command works" {
	local long512 long513
	# 512 octets with CRLF is the limit (RFC 5321 §4.5.3.1.4)
	long512="NOOP $(printf 'x%.0s' $(seq 505))"
	long513="NOOP $(printf 'x%.0s' $(seq 506))"
	assert_equal "${#long512}" 510
	run smtp "EHLO client.test" "$long512" "$long513" NOOP "MAIL FROM:<>" QUIT
	assert_line --index 6 "250 2.0.0 OK"
	assert_line --index 7 "500 5.5.2 Line too long"
	assert_line --index 8 "250 2.0.0 OK"
	assert_line --index 9 "250 2.1.0 Sender OK"
	assert_line --index 10 "221 2.0.0 $HELO_NAME closing connection"
}

@test "S13: a 5000-octet line is one error, the session stays in sync" {
	local huge
	huge="RCPT TO:<$(printf 'a%.0s' $(seq 5000))@example.org>"
	run smtp "EHLO client.test" "MAIL FROM:<>" "$huge" "RCPT TO:<alice@example.org>" QUIT
	assert_line --index 7 "500 5.5.2 Line too long"
	assert_line --index 8 "250 2.1.5 Recipient OK"
	assert_equal "${#lines[@]}" 10
}

# ---- S14 timeout ----------------------------------------------------------------------

@test "S14: idle longer than connectionTimeout: 421 4.4.2 and close" {
	write_conf "connectionTimeout = 1"
	{ printf 'EHLO client.test\r\n'; sleep 3; printf 'NOOP\r\n'; } |
		REMOTE_ADDR=127.0.0.1 "$SMTPD" -c "$CONF" --log=stderr >"$T/out" 2>"$T/log"
	run tr -d '\r' <"$T/out"
	assert_line --index 6 "421 4.4.2 Timeout exceeded, closing connection"
	assert_equal "${#lines[@]}" 7
	run cat "$T/log"
	assert_output --partial "timeout after ready from [127.0.0.1]"
}

# ---- S15 error budget ------------------------------------------------------------------

@test "S15: ten errors in one session: 421 4.7.0 and close" {
	local cmds=("EHLO client.test")
	for i in $(seq 9); do cmds+=("BOGUS$i"); done
	cmds+=(NOOP "RCPT TO:<alice@example.org>" NOOP QUIT)
	run smtp "${cmds[@]}"
	assert_line --index 14 "500 5.5.1 Command unrecognized"
	assert_line --index 15 "250 2.0.0 OK"
	assert_line --index 16 "503 5.5.1 Need MAIL command first"
	assert_line --index 17 "421 4.7.0 Too many errors, closing connection"
	assert_equal "${#lines[@]}" 18
	run cat "$T/log"
	assert_output --partial "too many errors from [127.0.0.1], closing"
}

@test "S15: long lines count as errors too" {
	local cmds=("EHLO client.test") long
	long="NOOP $(printf 'x%.0s' $(seq 600))"
	for i in $(seq 10); do cmds+=("$long"); done
	cmds+=(NOOP)
	run smtp "${cmds[@]}"
	assert_line --index 15 "500 5.5.2 Line too long"
	assert_line --index 16 "421 4.7.0 Too many errors, closing connection"
	assert_equal "${#lines[@]}" 17
}

# ---- S16 cross-protocol ------------------------------------------------------------

@test "S16: HTTP, CONNECT, POP3 as first line: closed with no reply" {
	local first
	for first in "GET / HTTP/1.1" "POST /submit HTTP/1.0" "CONNECT mx.test.example:25 HTTP/1.1" \
		"USER alice" "HEAD / HTTP/1.0" "get / HTTP/1.0"; do
		run smtp "$first" "Host: mx.test.example" "" "EHLO client.test" QUIT
		assert_output "220 $HELO_NAME ESMTP smtpd ready"
		run cat "$T/log"
		assert_output --partial "foreign protocol from [127.0.0.1]"
	done
}

@test "S16: the same verbs later in a session are ordinary unknown commands" {
	run smtp "EHLO client.test" "GET / HTTP/1.1" "USER alice" QUIT
	assert_line --index 6 "500 5.5.1 Command unrecognized"
	assert_line --index 7 "500 5.5.1 Command unrecognized"
	assert_line --index 8 "221 2.0.0 $HELO_NAME closing connection"
}

# ---- S18 letter case -----------------------------------------------------------------

@test "S18: commands in lower and mixed case behave as upper case" {
	run smtp "ehlo client.test" "mail from:<carol@client.test>" "Rcpt To:<alice@example.org>" \
		"DaTa" "Subject: case" "" "body" . "noop" "rset" "vrfy alice" "QuIt"
	assert_success
	assert_line --index 1 "250-$HELO_NAME Hello client.test [127.0.0.1]"
	assert_line --index 6 "250 2.1.0 Sender OK"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "354 End data with <CR><LF>.<CR><LF>"
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 10 "250 2.0.0 OK"
	assert_line --index 11 "250 2.0.0 Flushed"
	assert_line --index 12 --regexp "^252 2\.5\.0 "
	assert_line --index 13 "221 2.0.0 $HELO_NAME closing connection"
	one_message alice@example.org
}

@test "S18: lower-case helo is HELO" {
	run smtp "helo client.test" "Mail From:<>" QUIT
	assert_line --index 1 "250 $HELO_NAME"
	assert_line --index 2 "250 2.1.0 Sender OK"
}

# ---- S17 over pipes (the socket case is in socket.bats) -----------------------------

@test "S17: a whole pipelined transaction in one write: every reply, in order" {
	run smtp_raw 'EHLO client.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: pipelined\r\n\r\nhello\r\n.\r\nNOOP\r\nQUIT\r\n'
	assert_success
	assert_line --index 6 "250 2.1.0 Sender OK"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "550 5.1.1 Mailbox unavailable: no such user here"
	assert_line --index 9 "250 2.1.5 Recipient OK"
	assert_line --index 10 "354 End data with <CR><LF>.<CR><LF>"
	assert_line --index 11 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 12 "250 2.0.0 OK"
	assert_line --index 13 "221 2.0.0 $HELO_NAME closing connection"
	one_message alice@example.org
	one_message bob@example.net
}

# ---- hostile or sloppy command lines ---------------------------------------

@test "a NUL inside a command line: 500 5.5.2 for the whole line, the session goes on" {
	run smtp_raw 'EHLO client.test\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.org>\0<u@remote.test>\r\nEHLO good\0bad\r\nNOOP\r\nQUIT\r\n'
	assert_line --index 7 "500 5.5.2 NUL character in command line"
	assert_line --index 8 "500 5.5.2 NUL character in command line"
	assert_line --index 9 "250 2.0.0 OK"
	# the RCPT was not taken for alice: DATA has no recipient
	refute_output --partial "250 2.1.5"
}

@test "trailing white space after a command is ignored" {
	run smtp_raw 'EHLO client.test  \r\nMAIL FROM:<>\t\r\nRCPT TO:<alice@example.org> \r\nQUIT \r\n'
	assert_line --index 1 "250-$HELO_NAME Hello client.test [127.0.0.1]"
	assert_line --index 6 "250 2.1.0 Sender OK"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "221 2.0.0 $HELO_NAME closing connection"
}

@test "a message cut off during DATA gets its final log line, nothing stored" {
	run smtp_raw 'EHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a mess'
	run grep -E 'message id=[0-9A-F]{12}\.1 from=<s@remote.test> to=<alice@example.org> size=[0-9]+ result=connection lost' "$T/log"
	assert_success
	[ -z "$(maildir_files alice@example.org)" ]
}
