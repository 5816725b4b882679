#!/usr/bin/env bats
# STARTTLS gates: conformance L2 (no plaintext survives STARTTLS), L3 (all
# state forgotten after the handshake), L4 (not configured), tls.required
# (530), and a key that cannot be loaded (454, before any 220).

load tls_helpers

setup() {
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
	LOG="$BATS_TEST_TMPDIR/smtpd.log"
}

# smtpd over pipes with $1 as the whole input.
pipe_session() {
	printf "$1" | REMOTE_ADDR=127.0.0.1 timeout 20 "$SMTPD" -c "$CONF" --log=stderr 2>"$LOG" | tr -d '\r'
}

@test "L2: STARTTLS with a pipelined command in the same write: closed, the command never runs (pipe)" {
	write_conf "$CONF" "startTLS = true $(tls_block)"
	run pipe_session 'EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<x@y.example>\r\n'
	assert_success
	assert_line '554 5.5.1 Commands pipelined after STARTTLS, closing connection'
	refute_line --partial '220 2.0.0'
	refute_line --partial '250 2.1.0'
	# nothing after the refusal: the connection is closed
	assert_equal "${lines[-1]}" '554 5.5.1 Commands pipelined after STARTTLS, closing connection'
	run cat "$LOG"
	assert_output --partial 'commands pipelined after STARTTLS from [127.0.0.1], closing'
}

@test "L2: STARTTLS and MAIL in one TCP write: refused and closed" {
	write_conf "$CONF" "startTLS = true $(tls_block)"
	start_server "$SMTPD" "$CONF"
	run timeout 30 python3 - "$PORT" <<-'EOF'
		import socket, sys
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
		f = s.makefile("rb")
		print(f.readline().decode().rstrip())
		s.sendall(b"EHLO c.example\r\n")
		while True:
		    line = f.readline().decode().rstrip()
		    if line[3:4] == " ":
		        break
		s.sendall(b"STARTTLS\r\nMAIL FROM:<x@y.example>\r\n")
		rest = f.read()		# until the server closes
		print(rest.decode(errors="replace").replace("\r", ""))
		print("closed")
	EOF
	assert_success
	assert_line '554 5.5.1 Commands pipelined after STARTTLS, closing connection'
	assert_line 'closed'
	refute_output --partial '250 2.1.0'
	refute_output --partial '220 2.0.0'
}

@test "L3: after the handshake MAIL needs EHLO, STARTTLS is gone, a second STARTTLS gets 503" {
	write_conf "$CONF" "startTLS = true $(tls_block)"
	start_server "$SMTPD" "$CONF"
	run timeout 30 python3 - "$PORT" "$CERTS/ca.pem" <<-'EOF'
		import smtplib, ssl, sys
		s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example", timeout=20)
		s.ehlo()
		print("before:", s.has_extn("starttls"))
		s.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
		print("mail:", s.docmd("MAIL FROM:<alice@client.example>"))
		print("rcpt:", s.docmd("RCPT TO:<bob@example.org>"))
		s.ehlo()
		print("after:", s.has_extn("starttls"))
		print("starttls:", s.docmd("STARTTLS"))
		print("mail2:", s.docmd("MAIL FROM:<alice@client.example>"))
		s.quit()
	EOF
	assert_success
	assert_line 'before: True'
	assert_line "mail: (503, b'5.5.1 Send HELO or EHLO first')"
	assert_line "rcpt: (503, b'5.5.1 Need MAIL command first')"
	assert_line 'after: False'
	assert_line "starttls: (503, b'5.5.1 TLS already active')"
	assert_line "mail2: (250, b'2.1.0 Sender OK')"
}

@test "L3: a transaction started before STARTTLS is gone after it, even with heloEhloEnforcement = false" {
	write_conf "$CONF" "startTLS = true $(tls_block)" "heloEhloEnforcement = false"
	start_server "$SMTPD" "$CONF"
	run timeout 30 python3 - "$PORT" "$CERTS/ca.pem" <<-'EOF'
		import smtplib, ssl, sys
		s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example", timeout=20)
		s.ehlo()
		print("mail0:", s.docmd("MAIL FROM:<alice@client.example>"))
		s.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
		print("rcpt:", s.docmd("RCPT TO:<bob@example.org>"))
		print("mail:", s.docmd("MAIL FROM:<alice@client.example>"))
		s.quit()
	EOF
	assert_success
	assert_line "mail0: (250, b'2.1.0 Sender OK')"
	assert_line "rcpt: (503, b'5.5.1 Need MAIL command first')"
	assert_line "mail: (503, b'5.5.1 Send HELO or EHLO first')"
}

@test "L3: the HELO name given before STARTTLS does not reach Received" {
	write_conf "$CONF" "startTLS = true $(tls_block)"
	start_server "$SMTPD" "$CONF"
	run timeout 30 python3 - "$PORT" "$CERTS/ca.pem" <<-'EOF'
		import smtplib, ssl, sys
		s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="before.example", timeout=20)
		s.ehlo()
		s.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
		s.ehlo("after.example")
		s.sendmail("alice@client.example", ["bob@example.org"], "Subject: helo-reset\r\n\r\nx\r\n")
		s.quit()
	EOF
	assert_success
	f=$(delivered helo-reset)
	run grep '^Received: ' "$f"
	assert_output --partial 'Received: from after.example ([127.0.0.1])'
	refute_output --partial 'before.example'
}

@test "L4: STARTTLS when not configured gets 502 5.5.1 and is not advertised" {
	write_conf "$CONF" ""
	run pipe_session 'EHLO c.example\r\nSTARTTLS\r\nQUIT\r\n'
	assert_success
	refute_line --regexp '^250[- ]STARTTLS'
	assert_line '502 5.5.1 Command not implemented'
	assert_line --partial '221 2.0.0'
}

@test "required = true: MAIL before STARTTLS gets 530 5.7.0, after it 250" {
	write_conf "$CONF" "startTLS = true required = true $(tls_block)"
	run pipe_session 'EHLO c.example\r\nMAIL FROM:<alice@client.example>\r\nQUIT\r\n'
	assert_line '530 5.7.0 Must issue a STARTTLS command first'
	start_server "$SMTPD" "$CONF"
	run timeout 30 python3 - "$PORT" "$CERTS/ca.pem" <<-'EOF'
		import smtplib, ssl, sys
		s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example", timeout=20)
		s.ehlo()
		print("plain:", s.docmd("MAIL FROM:<alice@client.example>"))
		s.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
		s.ehlo()
		print("tls:", s.docmd("MAIL FROM:<alice@client.example>"))
		s.quit()
	EOF
	assert_success
	assert_line "plain: (530, b'5.7.0 Must issue a STARTTLS command first')"
	assert_line "tls: (250, b'2.1.0 Sender OK')"
}

@test "a key that cannot be loaded: 454 4.7.0 instead of 220, reason logged, session goes on" {
	echo "not a key" >"$BATS_TEST_TMPDIR/broken.pem"
	write_conf "$CONF" "startTLS = true certificates = \"$CERTS/certificates.pem\" privateKey = \"$BATS_TEST_TMPDIR/broken.pem\""
	start_server "$SMTPD" "$CONF"
	run timeout 30 python3 - "$PORT" <<-'EOF'
		import smtplib, sys
		s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example", timeout=20)
		s.ehlo()
		print("starttls:", s.docmd("STARTTLS"))
		print("noop:", s.docmd("NOOP"))
		s.quit()
	EOF
	assert_success
	assert_line "starttls: (454, b'4.7.0 TLS not available due to temporary reason')"
	assert_line "noop: (250, b'2.0.0 OK')"
	run cat "$SERVER_LOG"
	assert_output --regexp "TLS: cannot load certificate .*/certificates.pem and key .*/broken.pem: "
}
