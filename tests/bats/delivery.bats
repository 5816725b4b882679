#!/usr/bin/env bats
# What lands in a maildir: the headers delivery adds (Return-Path,
# Delivered-To, Received), the message byte for byte, the file name, and the
# one log line per message.

load helpers

setup() { setup_smtpd; }
teardown() { teardown_smtpd; }

DATE_RE='[A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] [0-9]{4} [0-9:]{8} [-+][0-9]{4}'

# send_file PEER HELO-VERB FILE RCPT...: one transaction carrying FILE (exact
# bytes, already dot-stuffed, ending with CRLF).
send_file() {
	local verb=$2 file=$3 r
	shift 3
	{
		printf '%s client.test\r\nMAIL FROM:<sender@client.test>\r\n' "$verb"
		for r in "$@"; do printf 'RCPT TO:<%s>\r\n' "$r"; done
		printf 'DATA\r\n'
		cat "$file"
		printf '.\r\nQUIT\r\n'
	} >"$T/dialogue"
	smtp_file "$T/dialogue"
}

@test "delivery: headers on top, one recipient: Received has for <rcpt>" {
	PEER=192.0.2.1
	printf 'Subject: hi\r\n\r\nbody\r\n' >"$T/msg"
	run send_file 192.0.2.1 EHLO "$T/msg" alice+x@example.org
	assert_success
	id=$(queued_id)
	assert [ -n "$id" ]
	f=$(one_message alice@example.org)
	run cat "$f"
	assert_line --index 0 $'Return-Path: <sender@client.test>\r'
	assert_line --index 1 $'Delivered-To: alice@example.org\r'
	assert_line --index 2 $'Received: from client.test ([192.0.2.1])\r'
	assert_line --index 3 $'\tby '"$HELO_NAME"' (smtpd) with ESMTP id '"$id"$'\r'
	assert_line --index 4 $'\tfor <alice+x@example.org>;\r'
	assert_line --index 5 --regexp $'^\t'"$DATE_RE"$'\r$'
	assert_line --index 6 $'Subject: hi\r'
	assert_line --index 7 $'\r'
	assert_line --index 8 $'body\r'
	assert_equal "${#lines[@]}" 9
}

@test "delivery: HELO says SMTP; IPv6 peers get an IPv6: literal" {
	PEER=2001:db8::7
	printf 'x\r\n' >"$T/msg"
	run send_file 2001:db8::7 HELO "$T/msg" bob@example.net
	f=$(one_message bob@example.net)
	run cat "$f"
	assert_line --index 2 $'Received: from client.test ([IPv6:2001:db8::7])\r'
	assert_line --index 3 --regexp $'^\tby '"$HELO_NAME"' \(smtpd\) with SMTP id [0-9A-F]+\.1'$'\r$'
}

@test "delivery: several recipients: one copy each, own Delivered-To, no for <...>" {
	printf 'Subject: many\r\n\r\nsame body\r\n' >"$T/msg"
	run send_file 127.0.0.1 EHLO "$T/msg" alice@example.org bob@example.net postmaster@example.org
	assert_success
	a=$(one_message alice@example.org)
	b=$(one_message bob@example.net)
	p=$(one_message postmaster@example.org)
	for f in "$a" "$b" "$p"; do
		run grep -c "for <" "$f"
		assert_output 0
		strip_prefix "$f" >"$T/got"
		cmp "$T/msg" "$T/got"
	done
	run sed -n 2p "$a"
	assert_output $'Delivered-To: alice@example.org\r'
	run sed -n 2p "$b"
	assert_output $'Delivered-To: bob@example.net\r'
	run sed -n 2p "$p"
	assert_output $'Delivered-To: postmaster@example.org\r'
	# the same Received on every copy
	assert_equal "$(sed -n 3,5p "$a")" "$(sed -n 3,5p "$b")"
}

@test "delivery: the same mailbox twice in one transaction gets one copy" {
	printf 'x\r\n' >"$T/msg"
	run send_file 127.0.0.1 EHLO "$T/msg" alice@example.org Alice@Example.org alice+tag@example.org info@example.org
	assert_line --index 12 --regexp "^250 2\.0\.0 OK: queued as "
	one_message alice@example.org
}

@test "delivery: a duplicate RCPT among 150 others, in another case, is stored once" {
	local i rcpts=()
	MAXRCPT=400 write_conf
	for i in $(seq 1 150); do
		printf 'u%d@example.org:{PLAIN}x\n' "$i" >>"$T/users"
		rcpts+=("u$i@example.org")
	done
	printf 'x\r\n' >"$T/msg"
	run send_file 127.0.0.1 EHLO "$T/msg" alice@example.org "${rcpts[@]}" ALICE@EXAMPLE.ORG U75@Example.Org
	assert_success
	assert_equal "$(grep -c '^250 2\.1\.5' <<<"$output")" 153
	assert_output --regexp "250 2\.0\.0 OK: queued as "
	one_message alice@example.org
	one_message u75@example.org
	one_message u150@example.org
	assert_equal "$(all_mail_files | grep -c /new/)" 151
}

@test "delivery: body byte for byte: 8-bit octets, dot-unstuffing, long lines, tabs" {
	python3 - "$T" <<-'EOF'
		import sys
		t = sys.argv[1]
		msg = (b"From: =?utf-8?q?J=C3=B6rg?= <j@client.test>\r\n"
		       b"Subject: bytes\r\n"
		       b"X-Tab:\tvalue\r\n"
		       b"\r\n"
		       + bytes(range(0x80, 0x100)) + b"\r\n"
		       + b"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7\r\n"
		       + b".leading dot\r\n"
		       + b".\r\n"
		       + b"..\r\n"
		       + b" .space dot\r\n"
		       + b"\x01\x02\x1b[0m controls\r\n"
		       + b"z" * 998 + b"\r\n"
		       + b"\r\n"
		       + b"last line\r\n")
		open(t + "/msg", "wb").write(msg)
		# dot-stuffing as a client does (RFC 5321 4.5.2)
		stuffed = b"".join((b"." + l if l.startswith(b".") else l)
		                   for l in msg.splitlines(keepends=True))
		open(t + "/stuffed", "wb").write(stuffed)
	EOF
	run send_file 127.0.0.1 EHLO "$T/stuffed" alice@example.org bob@example.net
	assert_line --index 10 --regexp "^250 2\.0\.0 OK: queued as "
	for r in alice@example.org bob@example.net; do
		f=$(one_message "$r")
		strip_prefix "$f" >"$T/got"
		cmp "$T/msg" "$T/got"
	done
}

@test "delivery: an empty message is stored with the headers only" {
	: >"$T/msg"
	run send_file 127.0.0.1 EHLO "$T/msg" alice@example.org
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	f=$(one_message alice@example.org)
	run strip_prefix "$f"
	assert_output ""
	run grep -c "^Received: " "$f"
	assert_output 1
}

@test "delivery: maildir file name carries S=size, mode 0600, tmp/ left empty" {
	printf 'Subject: name\r\n\r\nx\r\n' >"$T/msg"
	run send_file 127.0.0.1 EHLO "$T/msg" alice@example.org
	f=$(one_message alice@example.org)
	size=$(stat -c %s "$f")
	assert_regex "$(basename "$f")" "^[0-9]+\.M[0-9]+P[0-9]+Q[0-9]+\..*,S=$size\$"
	assert_equal "$(stat -c %a "$f")" 600
	run find "$T/mail/example.org/alice/tmp" "$T/mail/example.org/alice/cur" -type f
	assert_output ""
}

@test "delivery: one final log line per message: id, from, to, size, result" {
	printf 'Subject: log\r\n\r\n0123456789\r\n' >"$T/msg"
	{
		printf 'EHLO client.test\r\nMAIL FROM:<sender@client.test>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n'
		cat "$T/msg"
		printf '.\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nshort\r\n.\r\nQUIT\r\n'
	} >"$T/dialogue"
	run smtp_file "$T/dialogue"
	id1=$(queued_id 1)
	id2=$(queued_id 2)
	run grep -c "message id=" "$T/log"
	assert_output 2
	run grep "message id=" "$T/log"
	assert_line --index 0 --regexp "^smtpd\[[0-9]+\]: [0-9A-F]+: message id=$id1 from=<sender@client.test> to=<alice@example.org>,<bob@example.net> size=$(stat -c %s "$T/msg") result=queued\$"
	assert_line --index 1 --regexp "^smtpd\[[0-9]+\]: [0-9A-F]+: message id=$id2 from=<> to=<alice@example.org> size=7 result=queued\$"
	run cat "$T/log"
	assert_line --index 0 --regexp "connect from \[127\.0\.0\.1\] \(authorized\)$"
	assert_line --regexp "disconnect from \[127\.0\.0\.1\] commands=[0-9]+ errors=0$"
}

@test "delivery: a rejected message is logged once with its reply" {
	write_conf "maxmessagesize = 1"
	python3 -c 'import sys; sys.stdout.write("x" * 2000 + "\r\n")' >"$T/msg"
	run send_file 127.0.0.1 EHLO "$T/msg" alice@example.org
	run grep -c "message id=" "$T/log"
	assert_output 1
	run grep "message id=" "$T/log"
	assert_output --regexp "from=<sender@client.test> to=<alice@example.org> size=[0-9]+ result=552 rejected$"
}

@test "delivery: client text in log lines is escaped" {
	PEER=192.0.2.1
	run smtp_raw 'EHLO client.test\r\nMAIL FROM:<a@client.test> SMTPUTF8\r\nRCPT TO:<j\xc3\xb6rg@remote.test>\r\nQUIT\r\n'
	assert_line --index 7 "550 5.7.1 Relaying denied"
	run cat "$T/log"
	assert_output --partial 'reject RCPT <j\xc3\xb6rg@remote.test> from [192.0.2.1]: 550 5.7.1'
	run smtp_raw 'GET /\x1b[31m HTTP/1.0\r\n'
	run cat "$T/log"
	assert_output --partial 'foreign protocol from [192.0.2.1]: "GET /\x1b[31m HTTP/1.0", closing'
	refute_output --partial $'\x1b'
}

@test "delivery: a 600 KB message to two maildirs and the spool, byte for byte" {
	python3 - "$T" <<-'EOF'
		import random, sys
		t = sys.argv[1]
		rnd = random.Random(5321)
		lines = [b"Subject: large\r\n", b"\r\n"]
		size = 0
		while size < 600 * 1024:
		    n = rnd.randrange(0, 300)
		    l = bytes(rnd.choice(b"abc .\t\x80\xe9\xff") for _ in range(n)) + b"\r\n"
		    if rnd.random() < 0.1:
		        l = b"." + l
		    lines.append(l)
		    size += len(l)
		msg = b"".join(lines)
		open(t + "/msg", "wb").write(msg)
		stuffed = b"".join((b"." + l if l.startswith(b".") else l) for l in lines)
		open(t + "/stuffed", "wb").write(stuffed)
	EOF
	run send_file 127.0.0.1 EHLO "$T/stuffed" alice@example.org bob@example.net u@remote.test
	assert_success
	assert_line --index 11 --regexp "^250 2\.0\.0 OK: queued as "
	for r in alice@example.org bob@example.net; do
		f=$(one_message "$r")
		strip_prefix "$f" >"$T/got"
		cmp "$T/msg" "$T/got"
		assert_regex "$f" ",S=$(stat -c %s "$f")\$"
	done
	# the spool copy is the message dot-stuffed again, then .CRLF
	run spool_files
	assert_equal "${#lines[@]}" 1
	LC_ALL=C awk 'NR <= 3 { next }
		NR == 4 && /^Received:/ { inr = 1; next }
		inr && /^\t/ { next }
		{ inr = 0; print }' "${lines[0]}" >"$T/got"
	{ cat "$T/stuffed"; printf '.\r\n'; } >"$T/want"
	cmp "$T/want" "$T/got"
	grep -q "size=$(stat -c %s "$T/msg") result=queued" "$T/log"
}
