#!/usr/bin/env bats
# smtpd with `lmtp =`: local mail handed to lmtpd through the LMTP client
# sink, so smtpd needs no write access to the mail store.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	make_store "$T"
	SOCK=$T/lmtp.sock
	front_conf "unix:$SOCK"
}

teardown() {
	stop_activated
}

# smtpd's own configuration: same users, a mail store it cannot reach.
front_conf() {
	mkdir -p "$T/front-spool"
	cat > "$T/smtpd.conf" <<CONF
domains = { "example.org" }
users = "$T/users"
aliases = "$T/aliases"
mailboxes = "$T/no-such-dir/mail/%d/%n"
spool = "$T/front-spool"
lmtp = "$1"
smtpserver "smtp" {
  handler {
    helloName = "mx.example.org"
    authorizedAddresses = { "127.0.0.0/8" }
  }
}
CONF
}

smtp_pipe() {
	REMOTE_ADDR=127.0.0.1 "$SMTPD" -c "$T/smtpd.conf" --log=stderr 2>>"$T/smtpd.log"
}

start_lmtpd() {
	start_activated "$SOCK" "$LMTPD" -c "${1:-$T/lmtpd.conf}" --log=stderr
}

two_users() {
	crlf "EHLO client.test" "MAIL FROM:<s@sender.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.org>" DATA "Subject: handoff" "" "hello" . QUIT
}

@test "two local users delivered through lmtpd over a UNIX socket; smtpd writes no maildir" {
	start_lmtpd
	run smtp_pipe < <(two_users)
	assert_success
	assert_line --regexp '^250 2\.0\.0 OK: queued as '
	[ ! -e "$T/no-such-dir" ]
	local f
	for u in alice bob; do
		f=$(delivered "$u")
		[ -n "$f" ]
		run sed -n 1,9p "$f"
		assert_line --index 0 $'Return-Path: <s@sender.test>\r'
		assert_line --index 1 $'Delivered-To: '"$u"$'@example.org\r'
		assert_line --index 2 $'Received: from mx.example.org\r'
		assert_line --index 3 --regexp 'by lmtp\.example\.org \(smtpd\) with LMTP id'
		assert_line --index 5 $'Received: from client.test ([127.0.0.1])\r'
		assert_line --index 6 --regexp 'by mx\.example\.org \(smtpd\) with ESMTP id'
		assert_line --index 8 $'Subject: handoff\r'
	done
	grep -q 'result=delivered' "$T/ssa.log"
	grep -q 'result=queued' "$T/smtpd.log"
}

@test "over TCP: lmtp = \"127.0.0.1:PORT\"" {
	local port
	port=$(free_port)
	front_conf "127.0.0.1:$port"
	start_activated "127.0.0.1:$port" "$LMTPD" -c "$T/lmtpd.conf" --log=stderr
	run smtp_pipe < <(two_users)
	assert_line --regexp '^250 2\.0\.0 OK: queued as '
	[ "$(delivered alice | wc -l)" -eq 1 ]
	[ "$(delivered bob | wc -l)" -eq 1 ]
	grep -q $'^Received: from mx.example.org (\\[127.0.0.1\\])' "$(delivered alice)"
}

@test "one shared configuration: lmtpd ignores \`lmtp =\` and writes the maildirs" {
	sed -i '/^mailboxes/d' "$T/lmtpd.conf"
	printf 'mailboxes = "%s"\nlmtp = "unix:%s"\n' "$T/mail/%d/%n" "$SOCK" >> "$T/lmtpd.conf"
	cat >> "$T/lmtpd.conf" <<CONF
smtpserver "smtp" { handler { helloName = "mx.example.org" } }
CONF
	cp "$T/lmtpd.conf" "$T/smtpd.conf"
	start_lmtpd
	run smtp_pipe < <(two_users)
	assert_line --regexp '^250 2\.0\.0 OK: queued as '
	[ "$(delivered alice | wc -l)" -eq 1 ]
	[ "$(delivered bob | wc -l)" -eq 1 ]
}

@test "local recipients go to LMTP, a relayed one to smtpd's spool" {
	start_lmtpd
	run smtp_pipe < <(crlf "EHLO client.test" "MAIL FROM:<s@sender.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<x@remote.test>" DATA "Subject: mixed" "" "hello" . QUIT)
	assert_line --regexp '^250 2\.0\.0 OK: queued as '
	[ "$(delivered alice | wc -l)" -eq 1 ]
	local spooled
	spooled=$(find "$T/front-spool/outgoing/new" -type f)
	[ -n "$spooled" ]
	grep -q '^RCPT TO:<x@remote.test>' "$spooled"
	run grep -c '^RCPT TO:' "$spooled"
	assert_output 1
}

@test "the message arrives byte for byte: dot-stuffing, 8-bit, a body larger than the buffers" {
	start_lmtpd
	local body=$T/body
	{
		printf 'Subject: big\r\n\r\n'
		printf '.\r\n..\r\n.leading\r\n'
		printf 'caf\xc3\xa9 8-bit line\r\n'
		for i in $(seq 8000); do printf 'line %05d .. some text to fill the message up\r\n' "$i"; done
		printf '.last\r\n'
	} > "$body"
	run smtp_pipe < <(crlf "EHLO client.test" "MAIL FROM:<s@sender.test> BODY=8BITMIME" \
		"RCPT TO:<alice@example.org>" "RCPT TO:<bob@example.org>" DATA
		sed 's/^\./../' "$body"
		crlf . QUIT)
	assert_line --regexp '^250 2\.0\.0 OK: queued as '
	local size f
	size=$(stat -c %s "$body")
	[ "$size" -gt 300000 ]
	for f in $(delivered alice) $(delivered bob); do
		tail -c "$size" "$f" | cmp - "$body"
	done
}

@test "SMTPUTF8 is passed on: a UTF-8 sender reaches the mailbox" {
	start_lmtpd
	run smtp_pipe < <(crlf "EHLO client.test" $'MAIL FROM:<j\xc3\xb6s\xc3\xa9@sender.test> SMTPUTF8 BODY=8BITMIME' \
		"RCPT TO:<alice@example.org>" DATA "Subject: utf8" "" "hello" . QUIT)
	assert_line --regexp '^250 2\.0\.0 OK: queued as '
	grep -q $'^Return-Path: <j\xc3\xb6s\xc3\xa9@sender.test>\r$' "$(delivered alice)"
}

@test "LMTP server down: 451 4.3.0 to DATA, nothing accepted" {
	run smtp_pipe < <(two_users)
	assert_line $'451 4.3.0 Temporary local problem, try again later\r'
	refute_output --partial 354
	grep -q "lmtp unix:$SOCK: cannot connect" "$T/smtpd.log"
}

@test "a recipient the LMTP server refuses fails the message before 354" {
	grep -v '^bob@' "$T/users" > "$T/lmtpd-users"
	sed -i "s|^users = .*|users = \"$T/lmtpd-users\"|" "$T/lmtpd.conf"
	start_lmtpd
	run smtp_pipe < <(two_users)
	assert_line $'451 4.3.0 Temporary local problem, try again later\r'
	refute_output --partial 354
	[ -z "$(find "$T/mail" -type f)" ]
	grep -q 'RCPT <bob@example.org>: 550 5.1.1' "$T/smtpd.log"
}

@test "one recipient failing at end of data: 451 to the client, the spool copy withdrawn" {
	mkdir -p "$T/mail/example.org"
	: > "$T/mail/example.org/bob"
	start_lmtpd
	run smtp_pipe < <(crlf "EHLO client.test" "MAIL FROM:<s@sender.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.org>" "RCPT TO:<x@remote.test>" DATA "Subject: partial" "" "hello" . QUIT)
	assert_line --index 10 --regexp '^354 '
	assert_line --index 11 $'451 4.3.0 Temporary local problem, try again later\r'
	# alice's copy is delivered and stays: the client's retry duplicates it
	[ "$(delivered alice | wc -l)" -eq 1 ]
	[ -z "$(find "$T/front-spool" -type f)" ]
	grep -q '<bob@example.org>: 451 4.3.0' "$T/smtpd.log"
	grep -q 'cannot be withdrawn' "$T/smtpd.log"
}

@test "a message rejected by smtpd never reaches the LMTP server" {
	sed -i 's/helloName = "mx.example.org"/helloName = "mx.example.org"\n    maxmessagesize = 1/' "$T/smtpd.conf"
	start_lmtpd
	run smtp_pipe < <(crlf "EHLO client.test" "MAIL FROM:<s@sender.test>" "RCPT TO:<alice@example.org>" \
		DATA "Subject: big" "" "$(head -c 3000 /dev/zero | tr '\0' x)" . QUIT)
	assert_line $'552 5.3.4 Message size exceeds fixed maximum message size\r'
	[ -z "$(find "$T/mail" -type f)" ]
}
