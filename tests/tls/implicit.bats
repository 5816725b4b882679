#!/usr/bin/env bats
# Implicit TLS (RFC 8314 §3.3): conformance L5, TLS from the first byte,
# then the greeting; and L6 for each client.

load tls_helpers

setup() {
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
	write_conf "$CONF" "socketTLS = true $(tls_block)"
	start_server "$SMTPD" "$CONF"
}

@test "L5: the first bytes from the server are a TLS handshake, not a greeting" {
	run timeout 20 python3 - "$PORT" <<-'EOF'
		import socket, sys
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
		# a plaintext client waits for 220 in vain: the server waits for a ClientHello
		s.settimeout(1)
		try:
		    print("got", s.recv(100))
		except socket.timeout:
		    print("silent")
		s.sendall(b"EHLO c.example\r\n")
		s.settimeout(10)
		try:
		    data = s.recv(100)
		except ConnectionResetError:
		    data = b""
		print("not smtp" if not data.startswith(b"2") and not data.startswith(b"5") else "smtp")
	EOF
	assert_success
	assert_line 'silent'
	assert_line 'not smtp'
	run cat "$SERVER_LOG"
	assert_output --regexp 'TLS handshake failed from \[127\.0\.0\.1\]: .*(TLS|packet|record)'
	assert_output --partial 'disconnect from [127.0.0.1] commands=0'
}

@test "L5: gnutls-cli gets the greeting inside TLS and sends a message" {
	out="$BATS_TEST_TMPDIR/out"
	message_script gnutls-implicit-test | feed_until "$out" '^221' |
		timeout 30 gnutls-cli --x509cafile="$CERTS/ca.pem" -p "$PORT" 127.0.0.1 >"$out" 2>&1 || true
	run cat "$out"
	assert_line --regexp '^220 mx.example.org ESMTP smtpd ready'
	refute_line --regexp '^250[- ]STARTTLS'
	assert_line --partial '250 2.0.0 OK: queued as'
	assert_received_tls gnutls-implicit-test
}

@test "L5: openssl s_client gets the greeting inside TLS and sends a message" {
	out="$BATS_TEST_TMPDIR/out"
	message_script openssl-implicit-test |
		timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -quiet -nocommands \
			-CAfile "$CERTS/ca.pem" -verify_return_error -verify_hostname mx.example.org \
			>"$out" 2>&1 || true
	run cat "$out"
	assert_line --partial '220 mx.example.org ESMTP smtpd ready'
	assert_line --partial '250 2.0.0 OK: queued as'
	assert_received_tls openssl-implicit-test
}

@test "L5: swaks --tls-on-connect sends a message" {
	run timeout 30 swaks --server "127.0.0.1:$PORT" --tls-on-connect --tls-verify --tls-ca-path "$CERTS/ca.pem" \
		--ehlo client.example --from alice@client.example --to bob@example.org \
		--header 'Subject: swaks-implicit-test' --body 'swaks-implicit-test body'
	assert_success
	assert_output --partial '<~  220 mx.example.org ESMTP smtpd ready'
	assert_output --partial '<~  250 2.0.0 OK: queued as'
	assert_received_tls swaks-implicit-test
}

@test "L5: Python SMTP_SSL sends a message; STARTTLS inside implicit TLS is refused" {
	run timeout 30 python3 - "$PORT" "$CERTS/ca.pem" <<-'EOF'
		import smtplib, ssl, sys
		ctx = ssl.create_default_context(cafile=sys.argv[2])
		with smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), local_hostname="client.example",
		                      context=ctx, timeout=20) as s:
		    s.ehlo()
		    print("starttls offered:", s.has_extn("starttls"))
		    print("starttls:", s.docmd("STARTTLS"))
		    s.sendmail("alice@client.example", ["bob@example.org"],
		               "Subject: python-implicit-test\r\n\r\npython-implicit-test body\r\n")
		    print(s.sock.version())
	EOF
	assert_success
	assert_line 'starttls offered: False'
	assert_line "starttls: (502, b'5.5.1 Command not implemented')"
	assert_line 'TLSv1.3'
	assert_received_tls python-implicit-test
}

@test "L5: socketTLS works over pipes" {
	stop_server
	run timeout 30 python3 - "$CERTS/ca.pem" "$SMTPD" "$CONF" <<-'EOF'
		import ssl, subprocess, sys
		p = subprocess.Popen([sys.argv[2], "-c", sys.argv[3], "--log=stderr"], stdin=subprocess.PIPE,
		                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
		                     env={"REMOTE_ADDR": "127.0.0.1"})
		inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
		t = ssl.create_default_context(cafile=sys.argv[1]).wrap_bio(inc, out, server_hostname="mx.example.org")
		def pump():
		    data = out.read()
		    if data:
		        p.stdin.write(data); p.stdin.flush()
		def io(fn, *a):
		    while True:
		        try:
		            return fn(*a)
		        except ssl.SSLWantReadError:
		            pump()
		            inc.write(p.stdout.read1(65536) or sys.exit("EOF"))
		io(t.do_handshake); pump()
		print(io(t.read, 1000).decode().strip())
		t.write(b"QUIT\r\n"); pump()
		print(io(t.read, 1000).decode().strip())
	EOF
	assert_success
	assert_line '220 mx.example.org ESMTP smtpd ready'
	assert_line '221 2.0.0 mx.example.org closing connection'
}
