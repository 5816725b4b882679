#!/usr/bin/env bats
# SMTP AUTH (RFC 4954, 4616): conformance rows A1-A8, authRequired modes,
# verifyIdentity, brute-force delays, smtpd-passwd, the fail2ban filter.

load ../lib/common

setup() {
	T=$BATS_TEST_TMPDIR
	conf_store "$T" "$(printf 'secret\n' | "$SMTPD_PASSWD" alice@example.org)" \
		'bob@example.org:{PLAIN}bobpw' 'carol@example.org:!locked' 'dave@example.org:'
	echo 'sales@example.org: alice@example.org, bob@example.org' > "$T/aliases"
	conf true
}

teardown() {
	activate_stop
}

# conf KEY VALUE...: write $T/c.conf with one smtpserver "sub"
conf() {
	local auth=$1 tls=${2:-}
	{
		conf_head "$T" example.org
		cat <<CONF
smtpserver "sub" {
  $tls
  handler {
    helloName = "mx.test"
    authRequired = $auth
    authorizedAddresses = { "127.0.0.1/32" }
  }
}
CONF
	} > "$T/c.conf"
}

# dialogue PEER: the session over pipes, replies in $output, log in $T/log
dialogue() {
	local peer=$1
	shift
	run bash -c 'printf "$1" | REMOTE_ADDR="$2" "$SMTPD" -c "$3" --log=stderr 2>"$4" | tr -d "\r"' _ "$*" "$peer" "$T/c.conf" "$T/log"
}

b64() { printf '%b' "$1" | base64 -w0; }

@test "A1: authRequired=true offers AUTH to untrusted clients only" {
	dialogue 192.0.2.1 'EHLO c\r\nQUIT\r\n'
	assert_output --partial '250 AUTH PLAIN LOGIN'
	dialogue 127.0.0.1 'EHLO c\r\nQUIT\r\n'
	refute_output --partial 'AUTH'
}

@test "A1: announce offers AUTH to everyone; false never, and AUTH is unknown" {
	conf announce
	dialogue 127.0.0.1 'EHLO c\r\nQUIT\r\n'
	assert_output --partial '250 AUTH PLAIN LOGIN'
	conf false
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 '\0alice@example.org\0secret')\r\nQUIT\r\n"
	refute_output --partial 'AUTH'
	assert_line --index 6 '500 5.5.1 Command unrecognized'
}

@test "A2: cleartext AUTH on a STARTTLS listener is refused with 538, not advertised" {
	conf true 'tls { startTLS = true certificates = "/nonexistent/cert.pem" privateKey = "/nonexistent/key.pem" }'
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 '\0alice@example.org\0secret')\r\nQUIT\r\n"
	refute_output --partial 'AUTH PLAIN LOGIN'
	assert_output --partial '538 5.7.11 '
}

@test "A3: AUTH PLAIN good credentials (yescrypt) -> 235, relay then allowed" {
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 '\0alice@example.org\0secret')\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<x@remote.test>\r\nQUIT\r\n"
	assert_output --partial '235 2.7.0 Authentication successful'
	assert_output --partial '250 2.1.5 Recipient OK'
	grep -q 'authenticated user=alice@example.org mechanism=PLAIN from \[192.0.2.1\]' "$T/log"
}

@test "A3: bad credentials -> 535 with growing delays, 421 after the third" {
	local bad
	bad=$(b64 '\0alice@example.org\0wrong')
	SECONDS=0
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $bad\r\nAUTH PLAIN $bad\r\nAUTH PLAIN $bad\r\nNOOP\r\n"
	assert_line --index 7 '535 5.7.8 Authentication credentials invalid'
	assert_line --index 8 '535 5.7.8 Authentication credentials invalid'
	assert_line --index 9 '421 4.7.0 Too many authentication failures, closing connection'
	refute_output --partial '250 2.0.0 OK'
	# 1 s + 2 s + 4 s of delays
	[ "$SECONDS" -ge 6 ]
	[ "$(grep -c 'authentication failed from \[192.0.2.1\] mechanism=PLAIN user=alice@example.org' "$T/log")" -eq 3 ]
}

@test "A3: {PLAIN}, locked, empty and unknown entries" {
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 '\0bob@example.org\0bobpw')\r\nQUIT\r\n"
	assert_output --partial '235 2.7.0'
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 '\0carol@example.org\0locked')\r\nQUIT\r\n"
	assert_output --partial '535 5.7.8'
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 '\0dave@example.org\0x')\r\nQUIT\r\n"
	assert_output --partial '535 5.7.8'
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 '\0nobody@example.org\0x')\r\nQUIT\r\n"
	assert_output --partial '535 5.7.8'
}

@test "A3: PLAIN with an authzid other than the user is refused; the same one is fine" {
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 'bob@example.org\0alice@example.org\0secret')\r\nQUIT\r\n"
	assert_output --partial '535 5.7.8'
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 'alice@example.org\0alice@example.org\0secret')\r\nQUIT\r\n"
	assert_output --partial '235 2.7.0'
}

@test "A3: PLAIN with an empty 334 continuation" {
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN\r\n$(b64 '\0alice@example.org\0secret')\r\nQUIT\r\n"
	assert_line --index 7 '334 '
	assert_line --index 8 '235 2.7.0 Authentication successful'
}

@test "A4: AUTH LOGIN prompts Username: and Password:" {
	dialogue 192.0.2.1 "EHLO c\r\nAUTH LOGIN\r\n$(b64 alice@example.org)\r\n$(b64 secret)\r\nQUIT\r\n"
	assert_line --index 7 '334 VXNlcm5hbWU6'
	assert_line --index 8 '334 UGFzc3dvcmQ6'
	assert_line --index 9 '235 2.7.0 Authentication successful'
	dialogue 192.0.2.1 "EHLO c\r\nAUTH LOGIN $(b64 alice@example.org)\r\n$(b64 secret)\r\nQUIT\r\n"
	assert_line --index 7 '334 UGFzc3dvcmQ6'
	assert_line --index 8 '235 2.7.0 Authentication successful'
}

@test "A5: unknown mechanism 504, '*' cancels 501 5.7.0, bad base64 501 5.5.2" {
	dialogue 192.0.2.1 "EHLO c\r\nAUTH FOO\r\nAUTH LOGIN\r\n*\r\nAUTH PLAIN !!!!\r\nAUTH PLAIN\r\nnot base64\r\nQUIT\r\n"
	assert_line --index 7 '504 5.5.4 Unrecognized authentication mechanism'
	assert_line --index 8 '334 VXNlcm5hbWU6'
	assert_line --index 9 '501 5.7.0 Authentication cancelled'
	assert_line --index 10 '501 5.5.2 Invalid base64 data'
	assert_line --index 11 '334 '
	assert_line --index 12 '501 5.5.2 Invalid base64 data'
}

@test "a SASL field over 255 octets: 501 5.5.2, not a failed login (no delay, no fail2ban line, not counted)" {
	local p255 p256 u256
	p255=$(printf 'p%.0s' {1..255})
	p256=${p255}p
	u256=$(printf 'u%.0s' {1..247})@example.org
	printf 'erin@example.org:{PLAIN}%s\nfrank@example.org:{PLAIN}%s\n' "$p256" "$p255" >>"$T/users"
	# four too-long attempts (PLAIN initial response, PLAIN after 334,
	# LOGIN password, LOGIN user name), then the right password: had they
	# counted, the third would have ended the session with 421
	SECONDS=0
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 "\\0erin@example.org\\0$p256")\r\nAUTH PLAIN\r\n$(b64 "\\0erin@example.org\\0$p256")\r\nAUTH LOGIN $(b64 erin@example.org)\r\n$(b64 "$p256")\r\nAUTH LOGIN\r\n$(b64 "$u256")\r\nAUTH PLAIN $(b64 "\\0frank@example.org\\0$p255")\r\nQUIT\r\n"
	assert_line --index 7 '501 5.5.2 Authentication field longer than 255 octets'
	assert_line --index 8 '334 '
	assert_line --index 9 '501 5.5.2 Authentication field longer than 255 octets'
	assert_line --index 10 '334 UGFzc3dvcmQ6'
	assert_line --index 11 '501 5.5.2 Authentication field longer than 255 octets'
	assert_line --index 12 '334 VXNlcm5hbWU6'
	assert_line --index 13 '501 5.5.2 Authentication field longer than 255 octets'
	# a 255-octet password is still checked, and it is right
	assert_line --index 14 '235 2.7.0 Authentication successful'
	refute_output --partial '535'
	refute_output --partial '421'
	[ "$SECONDS" -lt 3 ]
	run grep -c 'authentication failed' "$T/log"
	assert_output 0
	[ "$(grep -c 'AUTH PLAIN field longer than 255 octets from \[192.0.2.1\]' "$T/log")" -eq 2 ]
	[ "$(grep -c 'AUTH LOGIN field longer than 255 octets from \[192.0.2.1\]' "$T/log")" -eq 2 ]
}

@test "AUTH lines leave no trace in memory: the input buffer and an over-long line are wiped" {
	local pass
	pass=right-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf 'gina@example.org:{PLAIN}%s\n' "$pass" >>"$T/users"
	# each step, then NOOP; while smtpd waits, its writable memory is
	# searched for the base64 it was sent (tests/auth/memscan.py)
	run python3 "$BATS_TEST_DIRNAME/memscan.py" "$SMTPD" "$T/c.conf" gina@example.org "$pass"
	assert_success
	assert_line 'plain-initial clean (reply 535 5.7.8)'
	assert_line 'overlong-cmd clean (reply 500 5.5.2)'
	assert_line 'overlong-334 clean (reply 500 5.5.6)'
	assert_line 'login clean (reply 535 5.7.8)'
	assert_line 'plain-334 clean (reply 235 2.7.0)'
}

@test "A6: a second AUTH after success is 503; AUTH inside a transaction is 503" {
	local good
	good=$(b64 '\0alice@example.org\0secret')
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $good\r\nAUTH PLAIN $good\r\nQUIT\r\n"
	assert_line --index 8 '503 5.5.1 Already authenticated'
	dialogue 192.0.2.1 "EHLO c\r\nMAIL FROM:<a@example.org>\r\nAUTH PLAIN $good\r\nQUIT\r\n"
	assert_line --index 8 '503 5.5.1 AUTH not allowed during a mail transaction'
}

@test "A7: verifyIdentity: own address in any case, +tag, alias and <> are fine; others 503 5.7.1" {
	local good
	good=$(b64 '\0alice@example.org\0secret')
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $good\r\nMAIL FROM:<ALICE@Example.ORG>\r\nRSET\r\nMAIL FROM:<alice+list@example.org>\r\nRSET\r\nMAIL FROM:<sales@example.org>\r\nRSET\r\nMAIL FROM:<>\r\nRSET\r\nMAIL FROM:<bob@example.org>\r\nMAIL FROM:<alice@remote.test>\r\nQUIT\r\n"
	[ "$(grep -c '^250 2.1.0 Sender OK' <<<"$output")" -eq 4 ]
	[ "$(grep -c '^503 5.7.1 Sender address not owned by authenticated user' <<<"$output")" -eq 2 ]
}

@test "A7: verifyIdentity = false lets an authenticated user send as anyone" {
	sed -i 's/authRequired = true/authRequired = true\n    verifyIdentity = false/' "$T/c.conf"
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 '\0alice@example.org\0secret')\r\nMAIL FROM:<bob@example.org>\r\nQUIT\r\n"
	assert_output --partial '250 2.1.0 Sender OK'
}

@test "A8 / T8: relay before AUTH is 530 while AUTH is offered, 550 when it is not" {
	dialogue 192.0.2.1 'EHLO c\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<x@remote.test>\r\nQUIT\r\n'
	assert_output --partial '530 5.7.0 Authentication required'
	conf false
	dialogue 192.0.2.1 'EHLO c\r\nMAIL FROM:<a@remote.test>\r\nRCPT TO:<x@remote.test>\r\nQUIT\r\n'
	assert_output --partial '550 5.7.1 Relaying denied'
	[ -z "$(ls "$T/spool/outgoing/new" 2>/dev/null)" ]
}

@test "A8: swaks --auth PLAIN and LOGIN over a socket: relayed message spooled, Received says ESMTPA" {
	command -v swaks
	start_socket
	for mech in PLAIN LOGIN; do
		run swaks --server 127.0.0.2:$PORT --local-interface 127.0.0.2 --helo c.test \
			--from alice@example.org --to friend@remote.test \
			--auth $mech --auth-user alice@example.org --auth-password secret --timeout 10
		assert_success
		assert_output --partial '235 2.7.0 Authentication successful'
	done
	run bash -c "cat '$T'/spool/outgoing/new/*"
	assert_output --partial 'RCPT TO:<friend@remote.test>'
	assert_output --partial 'with ESMTPA id'
	[ "$(ls "$T/spool/outgoing/new" | wc -l)" -eq 2 ]
	grep -q 'user=alice@example.org result=queued' "$T/log"
}

@test "A8: Python smtplib login() and sendmail over a socket" {
	start_socket
	run python3 - "$PORT" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.2", int(sys.argv[1]), source_address=("127.0.0.2", 0), timeout=10)
s.ehlo("py.test")
assert s.has_extn("auth"), s.esmtp_features
s.login("alice@example.org", "secret")
s.sendmail("alice@example.org", ["out@remote.test", "bob@example.org"], b"Subject: t\r\n\r\nhello\r\n")
s.quit()
PY
	assert_success
	[ "$(ls "$T/spool/outgoing/new" | wc -l)" -eq 1 ]
	[ "$(ls "$T/mail/example.org/bob/new" | wc -l)" -eq 1 ]
}

@test "smtpd-passwd: reads stdin, prints a yescrypt users line that authenticates" {
	run bash -c 'printf "hunter2\n" | "$SMTPD_PASSWD" eve@example.org'
	assert_success
	assert_output --regexp '^eve@example\.org:\{CRYPT\}\$y\$[^:]+$'
	echo "$output" >> "$T/users"
	dialogue 192.0.2.1 "EHLO c\r\nAUTH PLAIN $(b64 '\0eve@example.org\0hunter2')\r\nQUIT\r\n"
	assert_output --partial '235 2.7.0'
	run "$SMTPD_PASSWD" not-an-address
	assert_failure 64
	run bash -c 'printf "\n" | "$SMTPD_PASSWD"'
	assert_failure 65
}

@test "--check warns about cleartext AUTH and {PLAIN} passwords" {
	run "$SMTPD" -c "$T/c.conf" --check
	assert_success
	assert_output --partial "c.conf:2: warning: users: $T/users line 2: {PLAIN} password stored in clear; use smtpd-passwd"
	assert_output --partial 'warning: smtpserver "sub": authRequired = true without TLS: passwords would cross the network in clear'
}

@test "the fail2ban filter matches the failure line and nothing else" {
	command -v fail2ban-regex
	dialogue 192.0.2.77 "EHLO c\r\nAUTH PLAIN $(b64 '\0alice@example.org\0bad')\r\nAUTH PLAIN $(b64 '\0alice@example.org\0secret')\r\nQUIT\r\n"
	# as syslog would write it
	sed 's/^/Nov 25 03:00:00 mx /' "$T/log" > "$T/syslog"
	# the filter includes fail2ban's own common.conf, looked up beside it
	mkdir -p "$T/f2b/filter.d"
	cp "$SRCDIR/units/fail2ban/filter.d/smtpd.conf" "$T/f2b/filter.d/"
	ln -s /etc/fail2ban/filter.d/common.conf "$T/f2b/filter.d/common.conf"
	run fail2ban-regex "$T/syslog" "$T/f2b/filter.d/smtpd.conf"
	assert_success
	assert_output --partial '192.0.2.77'
	assert_output --regexp 'Failregex: 1 total'
}

# start_socket: smtpd behind systemd-socket-activate on 127.0.0.2:$PORT
start_socket() {
	PORT=$(free_port 127.0.0.2)
	activate "127.0.0.2:$PORT" "$T/log" "$SMTPD" -c "$T/c.conf" --log=stderr
}

# A self-signed certificate for 127.0.0.2, made now (never a committed key).
make_cert() {
	certtool --generate-privkey --key-type=ecdsa --outfile "$T/key.pem" 2>/dev/null
	printf 'cn = "mx.test"\nip_address = "127.0.0.2"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >"$T/cert.tmpl"
	certtool --generate-self-signed --load-privkey "$T/key.pem" --template "$T/cert.tmpl" \
		--outfile "$T/cert.pem" 2>/dev/null
}

@test "A2, A8: submission over STARTTLS: no AUTH before TLS, AUTH after it, relayed with ESMTPSA (swaks)" {
	make_cert
	conf true "tls { startTLS = true certificates = \"$T/cert.pem\" privateKey = \"$T/key.pem\" }"
	start_socket
	# before TLS: AUTH neither offered nor accepted
	run swaks --server 127.0.0.2:$PORT --local-interface 127.0.0.2 --quit-after EHLO --timeout 10
	refute_output --partial 'AUTH PLAIN'
	assert_output --partial 'STARTTLS'
	run swaks --server 127.0.0.2:$PORT --local-interface 127.0.0.2 --helo c.test --tls \
		--from alice@example.org --to friend@remote.test \
		--auth PLAIN --auth-user alice@example.org --auth-password secret --timeout 10
	assert_success
	assert_output --partial '250 AUTH PLAIN LOGIN'
	assert_output --partial '235 2.7.0 Authentication successful'
	run bash -c "cat '$T'/spool/outgoing/new/*"
	assert_output --partial 'RCPT TO:<friend@remote.test>'
	assert_output --regexp 'with ESMTPSA \(TLS1\.[23] '
}

@test "A2: STARTTLS forgets an AUTH attempted in clear; Python starttls() then login()" {
	make_cert
	conf true "tls { startTLS = true certificates = \"$T/cert.pem\" privateKey = \"$T/key.pem\" }"
	start_socket
	run python3 - "$PORT" <<'PY'
import smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.2", int(sys.argv[1]), source_address=("127.0.0.2", 0), timeout=10)
s.ehlo("py.test")
assert not s.has_extn("auth"), s.esmtp_features
code, _ = s.docmd("AUTH", "PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==")
assert code == 538, code
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s.starttls(context=ctx)
s.ehlo("py.test")
assert s.has_extn("auth"), s.esmtp_features
s.login("alice@example.org", "secret")
s.sendmail("alice@example.org", ["out@remote.test"], b"Subject: t\r\n\r\nhello\r\n")
s.quit()
PY
	assert_success
	[ "$(ls "$T/spool/outgoing/new" | wc -l)" -eq 1 ]
}
