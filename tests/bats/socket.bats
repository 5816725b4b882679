#!/usr/bin/env bats
# Over a real TCP socket: systemd-socket-activate --accept --inetd starts one
# smtpd per connection, as the socket units do.  Clients: netcat-openbsd and
# Python sockets.

load helpers

setup() { setup_smtpd; }
teardown() { teardown_smtpd; }

@test "socket: greeting, EHLO; the peer comes from getpeername, not REMOTE_ADDR" {
	REMOTE_ADDR=192.0.2.1 start_socket
	run nc_session 'EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<u@remote.test>\r\nQUIT\r\n'
	assert_success
	assert_line --index 0 "220 $HELO_NAME ESMTP smtpd ready"
	assert_line --index 1 "250-$HELO_NAME Hello client.test [127.0.0.1]"
	# 127.0.0.1 is authorized: the relay is allowed
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "221 2.0.0 $HELO_NAME closing connection"
}

@test "S16: GET, POST, CONNECT, USER as first line over TCP: closed with no reply" {
	start_socket
	local first
	for first in "GET / HTTP/1.1" "POST / HTTP/1.1" "CONNECT 127.0.0.1:25 HTTP/1.1" "USER alice"; do
		run nc_session '%s\r\nHost: x\r\n\r\nEHLO client.test\r\n' "$first"
		assert_success
		assert_output "220 $HELO_NAME ESMTP smtpd ready"
	done
	wait_log "$T/sa.log" 'foreign protocol from \[127.0.0.1\]: "USER alice"'
}

@test "S16: a TLS ClientHello on the plaintext port: closed with no reply" {
	start_socket
	run bash -c "printf '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n' | nc -N -w 10 127.0.0.1 $PORT | tr -d '\r'"
	assert_output "220 $HELO_NAME ESMTP smtpd ready"
}

@test "S17: everything pipelined in one write over TCP: every reply, in order" {
	start_socket
	run py_session < <(printf 'EHLO client.test\r\nMAIL FROM:<p@client.test>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\nRCPT TO:<u@remote.test>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: one write\r\n\r\n..dot\r\n.\r\nMAIL FROM:<q@client.test>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: second\r\n\r\ny\r\n.\r\nRSET\r\nVRFY bob\r\nNOOP\r\nQUIT\r\n')
	assert_success
	assert_output --regexp "^220 $HELO_NAME ESMTP smtpd ready
250-$HELO_NAME Hello client.test \[127.0.0.1\]
250-PIPELINING
250-8BITMIME
250-ENHANCEDSTATUSCODES
250 SMTPUTF8
250 2.1.0 Sender OK
250 2.1.5 Recipient OK
550 5.1.1 Mailbox unavailable: no such user here
250 2.1.5 Recipient OK
250 2.1.5 Recipient OK
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 OK: queued as [0-9A-F]+\.1
250 2.1.0 Sender OK
250 2.1.5 Recipient OK
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 OK: queued as [0-9A-F]+\.2
250 2.0.0 Flushed
252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery
250 2.0.0 OK
221 2.0.0 $HELO_NAME closing connection\$"
	one_message alice@example.org
	assert_equal "$(maildir_count bob@example.net)" 2
	run spool_files
	assert_equal "${#lines[@]}" 1
	f=$(one_message alice@example.org)
	run grep -c $'^\\.dot\r$' "$f"
	assert_output 1
}

@test "S17: pipelining with netcat: many transactions in one write" {
	start_socket
	local input="EHLO client.test\r\n" i
	for i in $(seq 20); do
		input+="MAIL FROM:<s$i@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: n$i\r\n\r\nbody $i\r\n.\r\n"
	done
	input+="QUIT\r\n"
	run nc_session "$input"
	assert_success
	run grep -c "^250 2.0.0 OK: queued as " <<<"$output"
	assert_output 20
	assert_equal "$(maildir_count alice@example.org)" 20
	for i in 1 7 20; do
		# shellcheck disable=SC2046 # one argument per file
		grep -l "^Subject: n$i"$'\r' $(maildir_files alice@example.org) | xargs grep -q "^Return-Path: <s$i@client.test>"
	done
}

@test "S14: idle TCP client: 421 4.4.2 after connectionTimeout, then close" {
	write_conf "connectionTimeout = 1"
	start_socket
	run py_session < <(printf 'EHLO client.test\r\n')
	assert_success
	assert_line --index 6 "421 4.4.2 Timeout exceeded, closing connection"
	assert_equal "${#lines[@]}" 7
	run py_session 3 </dev/null
	assert_output "220 $HELO_NAME ESMTP smtpd ready
421 4.4.2 Timeout exceeded, closing connection"
}

@test "S14: timeout in the middle of DATA: 421 4.4.2, nothing stored" {
	write_conf "connectionTimeout = 1"
	start_socket
	run py_session < <(printf 'EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: half\r\n\r\nno end')
	assert_line --index 9 "421 4.4.2 Timeout exceeded, closing connection"
	wait_log "$T/sa.log" "nothing stored"
	run all_mail_files
	assert_output ""
}

@test "T11: bare LF over TCP: 521 5.5.2 and the server closes" {
	start_socket
	run py_session < <(printf 'EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: x\r\n\r\nsmuggle\n.\nMAIL FROM:<>\r\n')
	assert_success
	assert_line --index 9 "521 5.5.2 Bare CR or LF in message data, closing connection"
	assert_equal "${#lines[@]}" 10
	run all_mail_files
	assert_output ""
}

@test "socket: client gone in the middle of DATA: nothing stored, nothing in tmp/" {
	start_socket
	printf 'EHLO client.test\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<u@remote.test>\r\nDATA\r\nSubject: cut\r\n\r\npartial' |
		nc -N -w 10 127.0.0.1 "$PORT" >/dev/null
	wait_log "$T/sa.log" "connection lost during DATA"
	wait_log "$T/sa.log" "Child [0-9]+ died"
	run all_mail_files
	assert_output ""
	run all_spool_files
	assert_output ""
}

@test "socket: two clients at once are two independent sessions" {
	start_socket
	python3 - "$PORT" <<-'EOF'
		import socket, sys
		port = int(sys.argv[1])
		def conn():
		    s = socket.create_connection(("127.0.0.1", port), timeout=15)
		    f = s.makefile("rb")
		    assert f.readline().startswith(b"220 ")
		    return s, f
		def cmd(c, line, expect):
		    s, f = c
		    s.sendall(line)
		    while True:
		        r = f.readline()
		        if r[3:4] != b"-":
		            break
		    assert r.startswith(expect), (line, r)
		a, b = conn(), conn()
		cmd(a, b"EHLO a.test\r\n", b"250 ")
		cmd(b, b"EHLO b.test\r\n", b"250 ")
		cmd(a, b"MAIL FROM:<a@a.test>\r\n", b"250 2.1.0")
		cmd(b, b"MAIL FROM:<b@b.test>\r\n", b"250 2.1.0")
		cmd(b, b"RCPT TO:<bob@example.net>\r\n", b"250 2.1.5")
		cmd(a, b"RCPT TO:<alice@example.org>\r\n", b"250 2.1.5")
		cmd(a, b"DATA\r\n", b"354 ")
		cmd(b, b"DATA\r\n", b"354 ")
		cmd(b, b"from b\r\n.\r\n", b"250 2.0.0")
		cmd(a, b"from a\r\n.\r\n", b"250 2.0.0")
		cmd(a, b"QUIT\r\n", b"221 ")
		cmd(b, b"QUIT\r\n", b"221 ")
	EOF
	a=$(one_message alice@example.org)
	b=$(one_message bob@example.net)
	run tail -1 "$a"
	assert_output $'from a\r'
	run tail -1 "$b"
	assert_output $'from b\r'
	grep -q "^Received: from a.test (\[127.0.0.1\])" "$a"
	grep -q "^Received: from b.test (\[127.0.0.1\])" "$b"
}

@test "socket: a complete message is stored even if the client hangs up right after the dot" {
	start_socket
	python3 - "$PORT" <<-'EOF'
		import socket, sys
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
		s.recv(1024)
		s.sendall(b"EHLO client.test\r\nMAIL FROM:<h@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"
		          b"Subject: hang up\r\n\r\ncomplete\r\n.\r\n")
		s.close()
	EOF
	wait_log "$T/sa.log" "Child [0-9]+ died"
	f=$(one_message alice@example.org)
	run tail -1 "$f"
	assert_output $'complete\r'
	run grep -c "result=queued" "$T/sa.log"
	assert_output 1
}
