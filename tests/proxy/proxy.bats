#!/usr/bin/env bats
# A listener behind a load balancer: proxyRequired, proxyTrusted,
# proxyTimeout, proxyFirst (handlers/proxy-accept.c) over a real socket
# (systemd-socket-activate on 127.0.0.1) and over pipes.  The socket's
# peer is always 127.0.0.1, the "balancer"; the header names the client.

load ../tls/tls_helpers
load ../bats/helpers

PP="$BATS_TEST_DIRNAME/pp_client.py"
V1_AUTH='PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\r\n'
V1_OTHER='PROXY TCP4 203.0.113.9 198.51.100.1 56324 25\r\n'
# v2 PROXY TCP4 192.0.2.7:56324 -> 198.51.100.1:25 with a CRC32C TLV (not verified)
V2_AUTH='\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x13\xc0\x00\x02\x07\xc6\x33\x64\x01\xdc\x04\x00\x19\x03\x00\x04\x12\x34\x56\x78'
V2_LOCAL='\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00'

setup() {
	setup_smtpd
	# 127.0.0.1 (the balancer) is NOT authorised; the client 192.0.2.7 is
	SERVER_EXTRA='proxyRequired = true
		proxyTrusted = { "127.0.0.1" }
		proxyTimeout = 3'
	write_conf 'authorizedAddresses = { "192.0.2.0/24" }'
}

teardown() {
	teardown_smtpd
}

pp() {	# HEADER [COMMAND...]
	timeout 20 python3 "$PP" "$PORT" "$@"
}

@test "v1: the header's client is the peer: greeting, EHLO, relay allowed by its address" {
	start_socket
	run pp "$V1_AUTH" "EHLO c.example" "MAIL FROM:<a@client.example>" "RCPT TO:<x@remote.example>" QUIT
	assert_success
	assert_line --index 0 --partial "220 $HELO_NAME"
	assert_line --partial "250-$HELO_NAME Hello c.example [192.0.2.7]"
	assert_line "250 2.1.5 Recipient OK"
	assert_line --partial "221 2.0.0"
	wait_log "$T/sa.log" 'disconnect from \[192\.0\.2\.7\]'
	run grep -E 'client \[192\.0\.2\.7\]:56324 to \[198\.51\.100\.1\]:25 via PROXY v1 from \[127\.0\.0\.1\]' "$T/sa.log"
	assert_success
	run grep -F 'connect from [192.0.2.7] (authorized)' "$T/sa.log"
	assert_success
}

@test "v1: relay refused for an unauthorised client although the balancer's connection is the same" {
	start_socket
	run pp "$V1_OTHER" "EHLO c.example" "MAIL FROM:<a@client.example>" "RCPT TO:<x@remote.example>" QUIT
	assert_success
	assert_line --partial "Hello c.example [203.0.113.9]"
	assert_line "550 5.7.1 Relaying denied"
	wait_log "$T/sa.log" 'reject RCPT <x@remote\.example> from \[203\.0\.113\.9\]'
}

@test "v2 with a TLV: message delivered, Received: names the client, bytes after the header kept" {
	start_socket
	# header, EHLO, the whole transaction: one write, one TCP segment
	run pp "$V2_AUTH" "EHLO c.example" "MAIL FROM:<a@client.example>" "RCPT TO:<alice@example.org>" DATA \
		"Subject: via haproxy" "" "hello" "." QUIT
	assert_success
	assert_line --partial "250 2.0.0"
	f=$(one_message alice@example.org)
	run grep -A1 '^Received: ' "$f"
	assert_output --partial "from c.example ([192.0.2.7])"
	wait_log "$T/sa.log" 'via PROXY v2 from \[127\.0\.0\.1\]'
}

@test "v2 LOCAL (a health check) and v1 UNKNOWN keep the socket's own address" {
	start_socket
	run pp "$V2_LOCAL" "EHLO check.example" QUIT
	assert_line --partial "Hello check.example [127.0.0.1]"
	run pp 'PROXY UNKNOWN\r\n' "EHLO check.example" QUIT
	assert_line --partial "Hello check.example [127.0.0.1]"
	wait_log "$T/sa.log" 'PROXY v2 LOCAL from \[127\.0\.0\.1\]: the connection.s own addresses are kept'
	wait_log "$T/sa.log" 'PROXY v1 UNKNOWN from \[127\.0\.0\.1\]'
}

@test "malformed headers: closed without a reply, one log line each" {
	start_socket
	run pp 'PROXY TCP4 192.0.2.7 198.51.100.1 56324 25\n' "EHLO c.example"
	assert_success
	assert_output ""
	run pp 'PROXY TCP4 192.0.2.07 198.51.100.1 56324 25\r\n' "EHLO c.example"
	assert_output ""
	run pp '\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0b\xc0\x00\x02\x07\xc6\x33\x64\x01\xdc\x04\x00\x19' "EHLO c.example"
	assert_output ""
	# a client that does not know it is behind a balancer
	run pp '' "EHLO c.example" QUIT
	assert_output ""
	wait_log "$T/sa.log" 'bad PROXY header from \[127\.0\.0\.1\]: v1 line ends in a bare LF: closing'
	wait_log "$T/sa.log" 'bad PROXY header from \[127\.0\.0\.1\]: v1 TCP4 address is not a dotted quad'
	wait_log "$T/sa.log" 'bad PROXY header from \[127\.0\.0\.1\]: v2 length is shorter than the address block'
	wait_log "$T/sa.log" 'bad PROXY header from \[127\.0\.0\.1\]: not a PROXY protocol header'
	run grep -c 'connect from' "$T/sa.log"
	assert_output 0
}

@test "a header that stops half-way: closed after proxyTimeout, no reply" {
	start_socket
	start=$SECONDS
	run timeout 20 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"PROXY TCP4 192.0.2.7 198.51")
print(repr(s.recv(100)))' "$PORT"
	assert_success
	assert_output "b''"
	[ $((SECONDS - start)) -ge 2 ]
	# python is killed at 20 s: a reply of b'' before that is smtpd closing
	[ $((SECONDS - start)) -lt 20 ]
	wait_log "$T/sa.log" 'no complete PROXY header from \[127\.0\.0\.1\] within 3 s: closing'
}

@test "a peer outside proxyTrusted is closed without a reply, whatever it sends" {
	SERVER_EXTRA='proxyRequired = true
		proxyTrusted = { "192.0.2.1" }'
	write_conf 'authorizedAddresses = { "192.0.2.0/24" }'
	start_socket
	run pp "$V1_AUTH" "EHLO c.example" QUIT
	assert_output ""
	wait_log "$T/sa.log" 'connection from \[127\.0\.0\.1\], not in proxyTrusted: closing'
}

@test "over pipes (no MSG_PEEK): the header is read without taking the SMTP bytes after it" {
	run smtp_raw "${V1_AUTH}EHLO c.example\r\nQUIT\r\n"
	assert_success
	assert_line --partial "Hello c.example [192.0.2.7]"
	run smtp_raw "${V2_AUTH}EHLO c.example\r\nQUIT\r\n"
	assert_line --partial "Hello c.example [192.0.2.7]"
	assert_line --partial "221 2.0.0"
}

@test "proxyFirst = true: the header, then implicit TLS in the same segment" {
	make_certs "$T/certs"
	SERVER_EXTRA="proxyRequired = true
		proxyTrusted = { \"127.0.0.1\" }
		tls { socketTLS = true certificates = \"$T/certs/certificates.pem\" privateKey = \"$T/certs/key.pem\" }"
	write_conf 'authorizedAddresses = { "192.0.2.0/24" }'
	start_socket
	run pp "$V2_AUTH" --tls first "EHLO c.example" QUIT
	assert_success
	assert_line --partial "Hello c.example [192.0.2.7]"
	wait_log "$T/sa.log" 'TLS established with \[192\.0\.2\.7\]'
}

@test "proxyFirst = false: implicit TLS first, the header as its first bytes" {
	make_certs "$T/certs"
	SERVER_EXTRA="proxyRequired = true
		proxyFirst = false
		proxyTrusted = { \"127.0.0.1\" }
		tls { socketTLS = true certificates = \"$T/certs/certificates.pem\" privateKey = \"$T/certs/key.pem\" }"
	write_conf 'authorizedAddresses = { "192.0.2.0/24" }'
	start_socket
	run pp "$V1_AUTH" --tls inside "EHLO c.example" "MAIL FROM:<a@client.example>" "RCPT TO:<x@remote.example>" QUIT
	assert_success
	assert_line --partial "Hello c.example [192.0.2.7]"
	assert_line "250 2.1.5 Recipient OK"
	wait_log "$T/sa.log" 'TLS established with \[127\.0\.0\.1\]'
	wait_log "$T/sa.log" 'connect from \[192\.0\.2\.7\] \(authorized\)'
}
