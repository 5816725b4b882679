#!/usr/bin/env bats
# Real clients over a real socket: swaks, Python smtplib, netcat.

load helpers

setup() {
	setup_smtpd
	start_socket
}
teardown() { teardown_smtpd; }

swaks_to() {
	swaks --server 127.0.0.1 --port "$PORT" --timeout 10 --helo client.test \
		--from sender@client.test "$@"
}

# ---- swaks ------------------------------------------------------------------------

@test "swaks: a message to a local user lands in new/" {
	run swaks_to --to alice@example.org --header "Subject: from swaks" --body "Hello from swaks"
	assert_success
	assert_output --partial "<-  250 2.0.0 OK: queued as "
	f=$(one_message alice@example.org)
	run cat "$f"
	assert_line --index 0 $'Return-Path: <sender@client.test>\r'
	assert_line --index 1 $'Delivered-To: alice@example.org\r'
	assert_line --index 2 $'Received: from client.test ([127.0.0.1])\r'
	assert_line $'Subject: from swaks\r'
	assert_line $'Hello from swaks\r'
}

@test "swaks --pipeline: several recipients in one go" {
	run swaks_to --pipeline --to alice@example.org,bob@example.net,info@example.org \
		--header "Subject: pipelined swaks"
	assert_success
	assert_output --partial "<-  250 2.0.0 OK: queued as "
	one_message alice@example.org
	one_message bob@example.net
}

@test "swaks: an unknown user is refused with 550 5.1.1 and nothing is stored" {
	run swaks_to --to nobody@example.org
	assert_failure
	assert_output --partial "<** 550 5.1.1 Mailbox unavailable: no such user here"
	run all_mail_files
	assert_output ""
}

@test "swaks: relaying from 127.0.0.1 goes to the spool" {
	run swaks_to --to someone@remote.test --header "Subject: relayed"
	assert_success
	run spool_files
	assert_equal "${#lines[@]}" 1
	run cat "${lines[0]}"
	assert_line --index 0 $'MAIL FROM:<sender@client.test>\r'
	assert_line --index 1 $'RCPT TO:<someone@remote.test>\r'
	assert_line --index 2 $'DATA\r'
	assert_line $'Subject: relayed\r'
	assert_line --index $((${#lines[@]} - 1)) $'.\r'
}

@test "swaks: a message over maxmessagesize is refused at MAIL (SIZE) or after the dot" {
	write_conf "maxmessagesize = 1"
	python3 -c 'print("x" * 70)' >"$T/line"
	for i in $(seq 40); do cat "$T/line"; done >"$T/body"
	run swaks_to --to alice@example.org --body "$T/body"
	assert_failure
	assert_output --partial "552 5.3.4 Message size exceeds fixed maximum message size"
	run all_mail_files
	assert_output ""
}

# ---- Python smtplib ------------------------------------------------------------------

@test "smtplib: EHLO features as smtplib parses them" {
	run python3 - "$PORT" <<-'EOF'
		import smtplib, sys
		with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
		    code, _ = s.ehlo("client.test")
		    print(code)
		    for k in sorted(s.esmtp_features):
		        print(k, s.esmtp_features[k])
	EOF
	assert_success
	assert_output "250
8bitmime 
enhancedstatuscodes 
pipelining 
smtputf8 "
}

@test "smtplib: sendmail to several recipients, one refused" {
	run python3 - "$PORT" <<-'EOF'
		import smtplib, sys
		msg = b"From: s@client.test\r\nSubject: smtplib\r\n\r\nhello \xc3\xa9\r\n.dot line\r\n"
		with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
		    refused = s.sendmail("s@client.test",
		                         ["alice@example.org", "nobody@example.org", "bob@example.net"],
		                         msg, mail_options=["BODY=8BITMIME"])
		    for k, v in refused.items():
		        print(k, v[0], v[1].decode())
	EOF
	assert_success
	assert_output "nobody@example.org 550 5.1.1 Mailbox unavailable: no such user here"
	printf 'From: s@client.test\r\nSubject: smtplib\r\n\r\nhello \xc3\xa9\r\n.dot line\r\n' >"$T/msg"
	for r in alice@example.org bob@example.net; do
		strip_prefix "$(one_message $r)" >"$T/got"
		cmp "$T/msg" "$T/got"
	done
}

@test "smtplib: every recipient refused raises SMTPRecipientsRefused" {
	run python3 - "$PORT" <<-'EOF'
		import smtplib, sys
		with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
		    try:
		        s.sendmail("s@client.test", ["nobody@example.org", "ghost@example.net"], b"x\r\n")
		    except smtplib.SMTPRecipientsRefused as e:
		        for k in sorted(e.recipients):
		            print(k, e.recipients[k][0])
	EOF
	assert_success
	assert_output "ghost@example.net 550
nobody@example.org 550"
}

@test "smtplib: send_message with SIZE over the limit: SMTPSenderRefused 552" {
	write_conf "maxmessagesize = 1"
	run python3 - "$PORT" <<-'EOF'
		import smtplib, sys
		from email.message import EmailMessage
		m = EmailMessage()
		m["From"] = "s@client.test"
		m["To"] = "alice@example.org"
		m["Subject"] = "big"
		m.set_content("y" * 5000)
		with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
		    try:
		        s.send_message(m)
		    except smtplib.SMTPSenderRefused as e:
		        print(e.smtp_code, e.smtp_error.decode())
		    # the session goes on
		    m.set_content("small")
		    print(s.send_message(m))
	EOF
	assert_success
	assert_line --index 0 "552 5.3.4 Message size exceeds fixed maximum message size"
	assert_line --index 1 "{}"
	f=$(one_message alice@example.org)
	grep -q "^small" "$f"
}

@test "smtplib: two messages on one connection (smtplib's lower-case verbs)" {
	run python3 - "$PORT" <<-'EOF'
		import smtplib, sys
		with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
		    s.set_debuglevel(0)
		    s.ehlo("client.test")
		    s.sendmail("one@client.test", ["alice@example.org"], b"Subject: 1\r\n\r\none\r\n")
		    s.rset()
		    s.sendmail("two@client.test", ["bob@example.net"], b"Subject: 2\r\n\r\ntwo\r\n")
		    print(s.noop()[0])
	EOF
	assert_success
	assert_output 250
	run head -1 "$(one_message alice@example.org)"
	assert_output $'Return-Path: <one@client.test>\r'
	run head -1 "$(one_message bob@example.net)"
	assert_output $'Return-Path: <two@client.test>\r'
}

# ---- netcat ---------------------------------------------------------------------------

@test "netcat: a hand-typed transaction" {
	run nc_session 'HELO client.test\r\nMAIL FROM:<n@client.test>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: nc\r\n\r\nvia netcat\r\n.\r\nQUIT\r\n'
	assert_success
	assert_line --index 1 "250 $HELO_NAME"
	assert_line --index 4 "354 End data with <CR><LF>.<CR><LF>"
	assert_line --index 5 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 6 "221 2.0.0 $HELO_NAME closing connection"
	run cat "$(one_message bob@example.net)"
	assert_line --index 3 --regexp $'^\tby '"$HELO_NAME"' \(smtpd\) with SMTP id '
}
