#!/usr/bin/env bats
# A failed handshake is logged with GnuTLS's reason and closes; the
# handshake is bounded by connectionTimeout as a whole, and so is idleness
# inside TLS.

load tls_helpers

setup() {
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
	write_conf "$CONF" "startTLS = true $(tls_block)" "connectionTimeout = 2"
	sed -i 's/connectionTimeout = 10$//' "$CONF"
	start_server "$SMTPD" "$CONF"
}

# Plain SMTP up to "220 2.0.0", then the Python code in $1 with the
# socket s; prints what the server sent after 220 and "closed" at EOF.
after_starttls() {
	timeout 40 python3 - "$PORT" "$CERTS/ca.pem" <<-EOF
		import socket, ssl, sys, time
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
		f = s.makefile("rb")
		f.readline()
		s.sendall(b"EHLO c.example\r\n")
		while f.readline()[3:4] != b" ":
		    pass
		s.sendall(b"STARTTLS\r\n")
		print(f.readline().decode().strip())
		$1
	EOF
}

@test "garbage instead of a ClientHello: closed, GnuTLS's reason logged" {
	run after_starttls '
s.sendall(b"MAIL FROM:<x@y.example>\r\n" * 4)
try:
    data = s.recv(1000)
    data = data and s.recv(1000)	# an alert, then EOF
except ConnectionResetError:
    data = b""
print("closed" if not data else "open")'
	assert_success
	assert_line '220 2.0.0 Ready to start TLS'
	assert_line 'closed'
	run grep 'TLS handshake failed' "$SERVER_LOG"
	assert_output --regexp 'TLS handshake failed from \[127\.0\.0\.1\]: .*(TLS|packet|record)'
	run grep -c '250 2.1.0\|message id=' "$SERVER_LOG"
	assert_output 0
}

@test "a client that verifies against the wrong CA aborts; the server logs the alert" {
	other="$BATS_TEST_TMPDIR/other"
	make_certs "$other"
	run after_starttls "
ctx = ssl.create_default_context(cafile='$other/ca.pem')
try:
    ctx.wrap_socket(s, server_hostname='mx.example.org')
    print('verified')
except ssl.SSLCertVerificationError:
    print('refused')"
	assert_line 'refused'
	for i in $(seq 50); do
		grep -q 'TLS handshake failed' "$SERVER_LOG" && break
		sleep 0.1
	done
	run grep 'TLS handshake failed' "$SERVER_LOG"
	assert_output --regexp 'TLS handshake failed from \[127\.0\.0\.1\]: [A-Za-z].+'
}

@test "silence after 220 2.0.0: the handshake times out and the connection closes" {
	run after_starttls '
s.settimeout(30)
print("closed" if not s.recv(1000) else "data")'
	assert_success
	assert_line 'closed'
	run grep 'TLS handshake failed' "$SERVER_LOG"
	assert_output --regexp 'TLS handshake failed from \[127\.0\.0\.1\]: .*(timed out|Timeout)'
}

@test "a ClientHello trickled byte by byte cannot hold the handshake open beyond connectionTimeout" {
	# each byte comes well within the idle limit; only the bound on the
	# whole handshake ends it, long before the client has sent everything
	run after_starttls '
hello = bytes([0x16, 0x03, 0x01, 0x02, 0x00]) + bytes(512)
sent = 0
try:
    for b in hello[:60]:
        s.sendall(bytes([b]))
        sent += 1
        time.sleep(0.5)
    print("server still waiting after %d bytes" % sent)
except (BrokenPipeError, ConnectionResetError):
    print("closed after %d bytes" % sent)'
	assert_success
	assert_line --regexp '^closed after [0-9]+ bytes$'
	run grep 'TLS handshake failed' "$SERVER_LOG"
	assert_output --regexp '(timed out|Timeout)'
}

@test "idle inside TLS: 421 4.4.2 through TLS, then close" {
	run after_starttls "
t = ssl.create_default_context(cafile=sys.argv[2]).wrap_socket(s, server_hostname='mx.example.org')
t.settimeout(30)
t.sendall(b'EHLO c.example\r\n')
got = b''
while True:
    d = t.recv(1000)
    if not d:
        break
    got += d
print(got.decode().replace('\r', ''))
print('closed')"
	assert_success
	assert_line '421 4.4.2 Timeout exceeded, closing connection'
	assert_line 'closed'
}
