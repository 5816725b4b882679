#!/usr/bin/env bats
# Transaction rows T1-T14 of the conformance list (T8/T9 relaying: relay.bats),
# over pipes.

load helpers

setup() { setup_smtpd; }
teardown() {
	# the immutable new/ directories of the end-of-data tests
	find "$T" -type d -name new -exec chattr -i {} + 2>/dev/null || true
	teardown_smtpd
}

# message_of_size N: a message of exactly N octets (N >= 40), CRLF lines.
message_of_size() {
	python3 - "$1" <<-'EOF'
		import sys
		n = int(sys.argv[1])
		head = b"Subject: size\r\n\r\n"
		full, r = divmod(n - len(head), 80)
		lines = [b"y" * 78 + b"\r\n"] * full
		if r >= 2:
		    lines.append(b"y" * (r - 2) + b"\r\n")
		elif r == 1:
		    lines[-1] = b"y" * 79 + b"\r\n"
		sys.stdout.buffer.write(head + b"".join(lines))
	EOF
}

# ---- T1 ------------------------------------------------------------------------------

@test "T1: MAIL FROM:<> is accepted and delivered with Return-Path: <>" {
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<alice@example.org>" DATA "Subject: bounce" "" "x" . QUIT
	assert_line --index 6 "250 2.1.0 Sender OK"
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	f=$(one_message alice@example.org)
	run head -1 "$f"
	assert_output $'Return-Path: <>\r'
}

# ---- T2-T4 sizes -----------------------------------------------------------------------

@test "T2: MAIL FROM SIZE= over the limit: 552 5.3.4, session goes on" {
	write_conf "maxmessagesize = 1"
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test> SIZE=1025" \
		"MAIL FROM:<a@client.test> SIZE=99999999999" \
		"MAIL FROM:<a@client.test> SIZE=1024" "RCPT TO:<alice@example.org>" QUIT
	assert_line --index 7 "552 5.3.4 Message size exceeds fixed maximum message size"
	assert_line --index 8 "552 5.3.4 Message size exceeds fixed maximum message size"
	assert_line --index 9 "250 2.1.0 Sender OK"
	assert_line --index 10 "250 2.1.5 Recipient OK"
}

@test "T2: SIZE= without a limit is accepted; a bad SIZE value is 501 5.5.4" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test> SIZE=99999999" RSET \
		"MAIL FROM:<a@client.test> SIZE=abc" "MAIL FROM:<a@client.test> SIZE=" QUIT
	assert_line --index 6 "250 2.1.0 Sender OK"
	assert_line --index 8 "501 5.5.4 Invalid parameter value"
	assert_line --index 9 --regexp "^501 5\.5\.4 "
}

@test "T3/T4: 1024 octets accepted, 1025 read to the dot then 552 5.3.4; session goes on" {
	write_conf "maxmessagesize = 1"
	message_of_size 1024 >"$T/m1024"
	message_of_size 1025 >"$T/m1025"
	assert_equal "$(stat -c %s "$T/m1024")" 1024
	assert_equal "$(stat -c %s "$T/m1025")" 1025
	{
		printf 'EHLO client.test\r\nMAIL FROM:<big@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n'
		cat "$T/m1025"
		printf '.\r\nMAIL FROM:<fits@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n'
		cat "$T/m1024"
		printf '.\r\nQUIT\r\n'
	} >"$T/dialogue"
	run smtp_file "$T/dialogue"
	assert_success
	assert_line --index 9 "354 End data with <CR><LF>.<CR><LF>"
	assert_line --index 10 "552 5.3.4 Message size exceeds fixed maximum message size"
	assert_line --index 11 "250 2.1.0 Sender OK"
	assert_line --index 12 "250 2.1.5 Recipient OK"
	assert_line --index 13 "354 End data with <CR><LF>.<CR><LF>"
	assert_line --index 14 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 15 "221 2.0.0 $HELO_NAME closing connection"
	# only the message that fits is stored, byte for byte
	f=$(one_message alice@example.org)
	run head -1 "$f"
	assert_output $'Return-Path: <fits@client.test>\r'
	strip_prefix "$f" >"$T/got"
	cmp "$T/m1024" "$T/got"
	run find "$T/mail" -path "$T/mail/*/tmp/*" -type f
	assert_output ""
	run grep -c "result=552 rejected" "$T/log"
	assert_output 1
}

@test "T3: a much larger message is drained, rejected, nothing stored" {
	write_conf "maxmessagesize = 1"
	message_of_size 300000 >"$T/big"
	{
		printf 'EHLO client.test\r\nMAIL FROM:<big@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n'
		cat "$T/big"
		printf '.\r\nNOOP\r\nQUIT\r\n'
	} >"$T/dialogue"
	run smtp_file "$T/dialogue"
	assert_line --index 10 "552 5.3.4 Message size exceeds fixed maximum message size"
	assert_line --index 11 "250 2.0.0 OK"
	assert_line --index 12 "221 2.0.0 $HELO_NAME closing connection"
	run all_mail_files
	assert_output ""
}

# ---- T5-T7 recipients --------------------------------------------------------------

@test "T5: local users: 250 2.1.5, delivered to their maildirs" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.net>" DATA "Subject: two" "" "x" . QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "250 2.1.5 Recipient OK"
	assert_line --index 10 --regexp "^250 2\.0\.0 OK: queued as "
	one_message alice@example.org
	one_message bob@example.net
}

@test "T5: user+tag delivers to user's maildir" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice+lists@example.org>" \
		DATA "Subject: tag" "" "x" . QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	f=$(one_message alice@example.org)
	run ls "$T/mail/example.org"
	assert_output alice
	run grep -c $'^Delivered-To: alice@example.org\r$' "$f"
	assert_output 1
	run grep -c "for <alice+lists@example.org>" "$f"
	assert_output 1
}

@test "T5: an alias delivers to its targets" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<team@example.org>" \
		DATA "Subject: alias" "" "x" . QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	a=$(one_message alice@example.org)
	b=$(one_message bob@example.net)
	run grep -c $'^Delivered-To: alice@example.org\r$' "$a"
	assert_output 1
	run grep -c $'^Delivered-To: bob@example.net\r$' "$b"
	assert_output 1
	run ls "$T/mail/example.org"
	assert_output alice
}

@test "T5: local part and domain in any case reach the same maildir" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<Alice@EXAMPLE.Org>" \
		DATA "x" . "MAIL FROM:<a@client.test>" "RCPT TO:<INFO@example.ORG>" DATA "y" . QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 11 "250 2.1.5 Recipient OK"
	assert_line --index 13 --regexp "^250 2\.0\.0 OK: queued as "
	assert_equal "$(maildir_count alice@example.org)" 2
	run ls "$T/mail"
	assert_output example.org
	run ls "$T/mail/example.org"
	assert_output alice
}

@test "T6: unknown local user: 550 5.1.1, nothing created" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<nobody@example.org>" \
		"RCPT TO:<nobody+tag@example.net>" "RCPT TO:<alice@example.net>" QUIT
	assert_line --index 7 "550 5.1.1 Mailbox unavailable: no such user here"
	assert_line --index 8 "550 5.1.1 Mailbox unavailable: no such user here"
	assert_line --index 9 "550 5.1.1 Mailbox unavailable: no such user here"
	run cat "$T/log"
	assert_output --partial "reject RCPT <nobody@example.org> from [127.0.0.1]: 550 5.1.1"
}

@test "T7: <postmaster> and <postmaster@LOCAL> accepted without a users entry" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<postmaster>" \
		DATA "x" . "MAIL FROM:<a@client.test>" "RCPT TO:<postmaster@example.org>" DATA "y" . \
		"MAIL FROM:<a@client.test>" "RCPT TO:<PostMaster@Example.NET>" DATA "z" . \
		"MAIL FROM:<>" "RCPT TO:<Postmaster>" QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 11 "250 2.1.5 Recipient OK"
	assert_line --index 13 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 15 "250 2.1.5 Recipient OK"
	assert_line --index 17 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 19 "250 2.1.5 Recipient OK"
	# all three stored somewhere under mail/, in new/
	run bash -c "find '$T/mail' -path '*/new/*' -type f | wc -l"
	assert_output 3
}

@test "T7: postmaster even with an empty users file and no aliases" {
	: >"$T/users"
	rm "$T/aliases"
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<postmaster@example.org>" \
		"RCPT TO:<alice@example.org>" DATA "x" . QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "550 5.1.1 Mailbox unavailable: no such user here"
	assert_line --index 10 --regexp "^250 2\.0\.0 OK: queued as "
	one_message postmaster@example.org
}

# ---- T10 MaxRcptHandler --------------------------------------------------------------

@test "T10: more recipients than maxRcpt: 452 4.5.3 for each extra" {
	MAXRCPT=2 write_conf
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.net>" "RCPT TO:<postmaster@example.org>" "RCPT TO:<info@example.org>" \
		DATA "x" . QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "250 2.1.5 Recipient OK"
	assert_line --index 9 "452 4.5.3 Too many recipients"
	assert_line --index 10 "452 4.5.3 Too many recipients"
	assert_line --index 12 --regexp "^250 2\.0\.0 OK: queued as "
	one_message alice@example.org
	one_message bob@example.net
	run ls "$T/mail/example.org"
	assert_output alice
}

@test "T10: the limit is per transaction" {
	MAXRCPT=1 write_conf
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<alice@example.org>" "RCPT TO:<bob@example.net>" \
		RSET "MAIL FROM:<>" "RCPT TO:<bob@example.net>" QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "452 4.5.3 Too many recipients"
	assert_line --index 11 "250 2.1.5 Recipient OK"
}

# ---- T11 bare CR / LF (SMTP smuggling) ----------------------------------------------

@test "T11: bare LF in DATA: 5xx and close, nothing stored" {
	run smtp_raw 'EHLO client.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: x\r\n\r\nline one\nline two\r\n.\r\nNOOP\r\nQUIT\r\n'
	assert_line --index 9 "521 5.5.2 Bare CR or LF in message data, closing connection"
	assert_equal "${#lines[@]}" 10
	run all_mail_files
	assert_output ""
	run cat "$T/log"
	assert_output --partial "bare CR or LF in DATA from [127.0.0.1], rejected"
}

@test "T11: bare CR in DATA: 5xx and close, nothing stored" {
	run smtp_raw 'EHLO client.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: x\r\n\r\nline one\rline two\r\n.\r\nNOOP\r\nQUIT\r\n'
	assert_line --index 9 "521 5.5.2 Bare CR or LF in message data, closing connection"
	assert_equal "${#lines[@]}" 10
	run all_mail_files
	assert_output ""
}

@test "T11: smuggled end of data (\\n.\\r\\n and \\r\\n.\\n) never starts a second message" {
	local seq
	for seq in '\n.\r\n' '\r\n.\n' '\r.\r\n' '\n.\n'; do
		rm -rf "$T/mail"/*
		run smtp_raw "EHLO client.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: outer\r\n\r\nx${seq}MAIL FROM:<evil@client.test>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\ny\r\n.\r\nQUIT\r\n"
		assert_line --index 9 "521 5.5.2 Bare CR or LF in message data, closing connection"
		assert_equal "${#lines[@]}" 10
		run all_mail_files
		assert_output ""
	done
}

@test "T11: bare LF in a relayed message: nothing spooled" {
	run smtp_raw 'EHLO client.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<u@remote.test>\r\nDATA\r\nSubject: x\r\n\r\nbad\nline\r\n.\r\n'
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 9 "521 5.5.2 Bare CR or LF in message data, closing connection"
	run all_spool_files
	assert_output ""
}

# ---- T12 mail loop -------------------------------------------------------------------

@test "T12: 101 Received headers: 554 5.4.6; 100 are accepted" {
	for i in $(seq 100); do
		printf 'Received: from hop%d.test by hop%d.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n' "$i" "$((i + 1))"
	done >"$T/hops"
	{
		printf 'EHLO client.test\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n'
		cat "$T/hops"
		printf 'received: from hop0.test by hop1.test; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: loop\r\n\r\nx\r\n.\r\n'
		printf 'MAIL FROM:<a@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n'
		cat "$T/hops"
		printf 'Subject: no loop\r\n\r\nReceived: in the body does not count\r\n.\r\nQUIT\r\n'
	} >"$T/dialogue"
	run smtp_file "$T/dialogue"
	assert_line --index 9 "554 5.4.6 Too many Received headers: mail loop detected"
	assert_line --index 13 --regexp "^250 2\.0\.0 OK: queued as "
	f=$(one_message alice@example.org)
	run grep -c "^Subject: no loop" "$f"
	assert_output 1
}

# ---- T13 storage failure -------------------------------------------------------------

@test "T13: maildir cannot be created: 451 4.3.0, nothing stored, session goes on" {
	# the domain directory is a regular file: mkdir fails, even for root
	echo "not a directory" >"$T/mail/example.org"
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
		DATA "MAIL FROM:<a@client.test>" "RCPT TO:<bob@example.net>" DATA "x" . QUIT
	assert_line --index 8 "451 4.3.0 Temporary local problem, try again later"
	assert_line --index 9 "250 2.1.0 Sender OK"
	assert_line --index 12 --regexp "^250 2\.0\.0 OK: queued as "
	one_message bob@example.net
	run cat "$T/mail/example.org"
	assert_output "not a directory"
}

@test "T13: failure at the end of data: 451 4.3.0 after the dot, no copy left in new/" {
	# bob's new/ is immutable: it is a directory (opening the maildir at
	# DATA works, O_NOFOLLOW and all), but the final link into it fails,
	# even for root.  (A regular file there is refused at DATA already.)
	mkdir -p "$T/mail/example.net/bob/tmp" "$T/mail/example.net/bob/cur" "$T/mail/example.net/bob/new"
	chattr +i "$T/mail/example.net/bob/new"
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<bob@example.net>" DATA "Subject: half" "" "x" . \
		"MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" DATA "Subject: whole" "" "y" . QUIT
	assert_line --index 9 "354 End data with <CR><LF>.<CR><LF>"
	assert_line --index 10 "451 4.3.0 Temporary local problem, try again later"
	assert_line --index 14 --regexp "^250 2\.0\.0 OK: queued as "
	# alice got only the second message: the first was taken back
	f=$(one_message alice@example.org)
	run grep -c "^Subject: whole" "$f"
	assert_output 1
	run find "$T/mail" -path "$T/mail/*/tmp/*" -type f
	assert_output ""
	run cat "$T/log"
	assert_output --partial "result=451 not stored"
}

@test "T13: spool cannot be written: 451 4.3.0, nothing delivered locally either" {
	rm -rf "$T/spool"
	echo "not a directory" >"$T/spool"
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<u@remote.test>" DATA QUIT
	assert_line --index 9 "451 4.3.0 Temporary local problem, try again later"
	run all_mail_files
	assert_output ""
}

# ---- T14 two transactions ------------------------------------------------------------

@test "T14: two transactions on one connection, each with its own envelope" {
	run smtp "EHLO client.test" "MAIL FROM:<first@client.test>" "RCPT TO:<alice@example.org>" \
		DATA "Subject: one" "" "1" . \
		"MAIL FROM:<second@client.test>" "RCPT TO:<bob@example.net>" \
		DATA "Subject: two" "" "2" . QUIT
	assert_success
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 13 --regexp "^250 2\.0\.0 OK: queued as "
	id1=$(queued_id 1)
	id2=$(queued_id 2)
	assert [ "$id1" != "$id2" ]
	a=$(one_message alice@example.org)
	b=$(one_message bob@example.net)
	run head -2 "$a"
	assert_output $'Return-Path: <first@client.test>\r\nDelivered-To: alice@example.org\r'
	run head -2 "$b"
	assert_output $'Return-Path: <second@client.test>\r\nDelivered-To: bob@example.net\r'
	grep -q "id $id1"$'\r' "$a"
	grep -q "id $id2"$'\r' "$b"
	grep -q "^Subject: one" "$a"
	grep -q "^Subject: two" "$b"
	run grep -c "message id=" "$T/log"
	assert_output 2
}

@test "T4: the size limit counts the message, not the dot-stuffed transfer" {
	write_conf "maxmessagesize = 1"
	# 1024 octets, 40 lines starting with a dot: 1064 octets on the wire
	python3 - "$T" <<-'EOF'
		import sys
		head = b"Subject: dots\r\n\r\n"
		body = b"".join(b"." + b"d" * 22 + b"\r\n" for _ in range(40))
		pad = 1024 - len(head) - len(body)
		msg = head + body + b"p" * (pad - 2) + b"\r\n"
		assert len(msg) == 1024
		open(sys.argv[1] + "/msg", "wb").write(msg)
		stuffed = b"".join((b"." + l if l.startswith(b".") else l) for l in msg.splitlines(True))
		open(sys.argv[1] + "/stuffed", "wb").write(stuffed)
	EOF
	{
		printf 'EHLO client.test\r\nMAIL FROM:<a@client.test> SIZE=1024\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n'
		cat "$T/stuffed"
		printf '.\r\nQUIT\r\n'
	} >"$T/dialogue"
	run smtp_file "$T/dialogue"
	assert_line --index 10 --regexp "^250 2\.0\.0 OK: queued as "
	strip_prefix "$(one_message alice@example.org)" >"$T/got"
	cmp "$T/msg" "$T/got"
}

@test "T14: HELO/EHLO in the middle of a transaction resets it (RFC 5321 4.1.4)" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
		"EHLO again.test" DATA "RCPT TO:<bob@example.net>" "MAIL FROM:<b@client.test>" \
		"RCPT TO:<bob@example.net>" DATA "x" . QUIT
	assert_line --index 13 "503 5.5.1 Need MAIL command first"
	assert_line --index 14 "503 5.5.1 Need MAIL command first"
	assert_line --index 15 "250 2.1.0 Sender OK"
	assert_line --index 18 --regexp "^250 2\.0\.0 OK: queued as "
	run all_mail_files
	assert_equal "${#lines[@]}" 1
	run head -3 "$(one_message bob@example.net)"
	assert_line --index 0 $'Return-Path: <b@client.test>\r'
	assert_line --index 2 $'Received: from again.test ([127.0.0.1])\r'
}

@test "T2: unknown MAIL/RCPT parameters: 555 5.5.4; DATA/QUIT with arguments: 501 5.5.4" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test> FOO=bar" "MAIL FROM:<a@client.test> BODY=8BITMIME" \
		"RCPT TO:<alice@example.org> NOTIFY=NEVER" "RCPT TO:<alice@example.org>" "DATA now" "QUIT now" QUIT
	assert_line --index 6 "555 5.5.4 Unsupported parameter"
	assert_line --index 7 "250 2.1.0 Sender OK"
	assert_line --index 8 "555 5.5.4 Unsupported parameter"
	assert_line --index 9 "250 2.1.5 Recipient OK"
	assert_line --index 10 "501 5.5.4 Syntax error in parameters or arguments"
	assert_line --index 11 "501 5.5.4 Syntax error in parameters or arguments"
	assert_line --index 12 "221 2.0.0 $HELO_NAME closing connection"
}

@test "T6: a dictionary attack ends after ten unknown recipients (S15)" {
	local cmds=("EHLO client.test" "MAIL FROM:<a@client.test>")
	for i in $(seq 12); do cmds+=("RCPT TO:<guess$i@example.org>"); done
	run smtp "${cmds[@]}"
	assert_line --index 16 "550 5.1.1 Mailbox unavailable: no such user here"
	assert_line --index 17 "421 4.7.0 Too many errors, closing connection"
	assert_equal "${#lines[@]}" 18
}

@test "T13: spool publish fails after the dot: 451 4.3.0, the local copy is taken back" {
	# outgoing/new/ is immutable: the spool opens at DATA, publishing fails
	mkdir -p "$T/spool/outgoing/tmp" "$T/spool/outgoing/cur" "$T/spool/outgoing/new"
	chattr +i "$T/spool/outgoing/new"
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<u@remote.test>" DATA "Subject: both" "" "x" . QUIT
	assert_line --index 9 "354 End data with <CR><LF>.<CR><LF>"
	assert_line --index 10 "451 4.3.0 Temporary local problem, try again later"
	assert_line --index 11 "221 2.0.0 $HELO_NAME closing connection"
	run all_mail_files
	assert_output ""
	run find "$T/spool/outgoing/tmp" -type f
	assert_output ""
}

@test "T13: mail root or spool root missing: 451 4.3.0, and the root is never created" {
	rmdir "$T/mail"
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" DATA QUIT
	assert_line --index 8 "451 4.3.0 Temporary local problem, try again later"
	assert [ ! -e "$T/mail" ]
	rmdir "$T/spool"
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<u@remote.test>" DATA QUIT
	assert_line --index 8 "451 4.3.0 Temporary local problem, try again later"
	assert [ ! -e "$T/spool" ]
}

@test "T5/T13: users file unreadable: 451 4.3.0 at RCPT, never 550" {
	rm "$T/users"
	mkdir "$T/users"
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<nobody@example.org>" QUIT
	assert_line --index 7 "451 4.3.0 Temporary local problem, try again later"
	assert_line --index 8 "451 4.3.0 Temporary local problem, try again later"
	run cat "$T/log"
	assert_output --partial "cannot read users file $T/users"
}

@test "T2: a SIZE= too big for 64 bits is still over the limit: 552 5.3.4 (RFC 1870: 1*20DIGIT)" {
	write_conf "maxmessagesize = 1"
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test> SIZE=18446744073709551615" \
		"MAIL FROM:<a@client.test> SIZE=99999999999999999999" "MAIL FROM:<a@client.test> SIZE=1x" QUIT
	assert_line --index 7 "552 5.3.4 Message size exceeds fixed maximum message size"
	assert_line --index 8 "552 5.3.4 Message size exceeds fixed maximum message size"
	assert_line --index 9 "501 5.5.4 Invalid parameter value"
}
