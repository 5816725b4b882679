#!/usr/bin/env bats
# STARTTLS (RFC 3207) with real clients: conformance L1 and L6.  Each
# client verifies the server's chain against the test CA and sends one
# message, which must land in the maildir with ESMTPS in Received.

load tls_helpers

setup() {
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
	write_conf "$CONF" "startTLS = true $(tls_block)"
	start_server "$SMTPD" "$CONF"
}

@test "EHLO advertises STARTTLS when startTLS = true" {
	run bash -c "printf 'EHLO c.example\r\nQUIT\r\n' | REMOTE_ADDR=127.0.0.1 '$SMTPD' -c '$CONF' --log=stderr 2>/dev/null"
	assert_line --regexp '^250[- ]STARTTLS'
}

@test "lazy: a plain session on a STARTTLS listener never loads GnuTLS; STARTTLS does" {
	run bash -c "printf 'EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRSET\r\nQUIT\r\n' |
		LD_DEBUG=files REMOTE_ADDR=127.0.0.1 '$SMTPD' -c '$CONF' --log=stderr 2>&1"
	assert_line --partial '221 2.0.0'
	refute_output --partial 'libgnutls'
	LD_DEBUG=files timeout 30 python3 "$TLS_DIR/pipe_client.py" "$CERTS/ca.pem" lazy-test \
		env REMOTE_ADDR=127.0.0.1 "$SMTPD" -c "$CONF" --log=stderr 2>"$BATS_TEST_TMPDIR/ld.log"
	run grep -c 'file=libgnutls.so.30 \[0\];  dynamically loaded by' "$BATS_TEST_TMPDIR/ld.log"
	assert_output 1
}

@test "L1: gnutls-cli --starttls-proto=smtp sends a message" {
	out="$BATS_TEST_TMPDIR/out"
	message_script gnutls-tls-test | feed_until "$out" '^221' |
		timeout 30 gnutls-cli --starttls-proto=smtp --x509cafile="$CERTS/ca.pem" \
			-p "$PORT" 127.0.0.1 >"$out" 2>&1 || true
	run cat "$out"
	assert_line --partial '250 2.0.0 OK: queued as'
	assert_line --partial '221 2.0.0'
	assert_received_tls gnutls-tls-test
	run grep 'TLS established' "$SERVER_LOG"
	assert_output --regexp 'TLS1\.3 with cipher'
}

@test "L1: openssl s_client -starttls smtp sends a message" {
	out="$BATS_TEST_TMPDIR/out"
	message_script openssl-tls-test |
		timeout 30 openssl s_client -starttls smtp -connect "127.0.0.1:$PORT" -quiet \
			-nocommands -CAfile "$CERTS/ca.pem" -verify_return_error -verify_hostname mx.example.org \
			>"$out" 2>&1 || true
	run cat "$out"
	assert_line --partial '250 2.0.0 OK: queued as'
	assert_line --partial '221 2.0.0'
	assert_received_tls openssl-tls-test
}

@test "default priorities: an OpenSSL client's key share is taken, no HelloRetryRequest round trip" {
	run bash -c "printf 'QUIT\r\n' | timeout 30 openssl s_client -starttls smtp -connect 127.0.0.1:$PORT \
		-msg -CAfile '$CERTS/ca.pem' -verify_return_error 2>&1"
	assert_line --partial 'Server Temp Key: X25519'
	run grep -c '<<< TLS 1.3, Handshake .*, ServerHello' <<<"$output"
	assert_output 1
}

@test "L1: swaks --tls sends a message" {
	run timeout 30 swaks --server "127.0.0.1:$PORT" --tls --tls-verify --tls-ca-path "$CERTS/ca.pem" \
		--ehlo client.example --from alice@client.example --to bob@example.org \
		--header 'Subject: swaks-tls-test' --body 'swaks-tls-test body'
	assert_success
	assert_output --partial '<-  220 2.0.0 Ready to start TLS'
	assert_output --partial '<~  250 2.0.0 OK: queued as'
	assert_received_tls swaks-tls-test
}

@test "L1: Python smtplib starttls() sends a message" {
	run timeout 30 python3 - "$PORT" "$CERTS/ca.pem" <<-'EOF'
		import smtplib, ssl, sys
		ctx = ssl.create_default_context(cafile=sys.argv[2])
		with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example", timeout=20) as s:
		    s.ehlo()
		    assert s.has_extn("starttls")
		    print(s.starttls(context=ctx))
		    s.ehlo()
		    assert not s.has_extn("starttls")
		    s.sendmail("alice@client.example", ["bob@example.org"],
		               "Subject: python-tls-test\r\n\r\npython-tls-test body\r\n")
		    print(s.sock.version())
	EOF
	assert_success
	assert_line --partial "(220, b'2.0.0 Ready to start TLS')"
	assert_line 'TLSv1.3'
	assert_received_tls python-tls-test
}

@test "STARTTLS works over pipes (Python ssl over smtpd's stdin/stdout)" {
	stop_server
	run timeout 30 python3 "$TLS_DIR/pipe_client.py" "$CERTS/ca.pem" pipe-tls-test \
		env REMOTE_ADDR=127.0.0.1 "$SMTPD" -c "$CONF" --log=stderr
	assert_success
	assert_line --partial '250 2.0.0 OK: queued as'
	assert_received_tls pipe-tls-test
}

@test "lmtpd: STARTTLS with Python LMTP, Received says LMTPS" {
	stop_server
	PORT=$(free_port)
	activate "127.0.0.1:$PORT" "$SERVER_LOG" "$LMTPD" -c "$CONF" -s lmtp --log=stderr
	run timeout 30 python3 - "$PORT" "$CERTS/ca.pem" <<-'EOF'
		import smtplib, ssl, sys, time
		for i in range(50):
		    try:
		        s = smtplib.LMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example")
		        break
		    except ConnectionRefusedError:
		        time.sleep(0.1)
		s.ehlo()
		print(s.starttls(context=ssl.create_default_context(cafile=sys.argv[2])))
		print(s.sendmail("alice@client.example", ["bob@example.org"],
		                 "Subject: lmtp-tls-test\r\n\r\nlmtp-tls-test body\r\n"))
		s.quit()
	EOF
	assert_success
	assert_line --partial "(220, b'2.0.0 Ready to start TLS')"
	f=$(delivered lmtp-tls-test)
	[ -n "$f" ]
	run grep -A1 '^Received: ' "$f"
	assert_output --regexp 'with LMTPS \(TLS1\.3 with cipher'
}
