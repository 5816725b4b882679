#!/usr/bin/env bats
# Identity and authentication (issue 12, items 4-8): bare user names stay in
# our domains, client text reaches the log only escaped, AUTH failures cost
# the same whatever the user, over-long SASL fields, secrets wiped.
# The client is 192.0.2.1 (outside authorizedAddresses), over pipes.

load "$BATS_TEST_DIRNAME/../bats/helpers"

setup() {
	setup_smtpd
	PEER=192.0.2.1
	echo 'carol:{PLAIN}carolpw' >>"$T/users"
	write_conf 'authRequired = true' 'verifyIdentity = true'
}

teardown() {
	teardown_smtpd
}

b64() { printf '%b' "$1" | base64 -w0; }

# Every line of the log is one of ours: "smtpd[PID]: " first, and no CR,
# NUL or ESC anywhere (an LF in client text would start a line without
# the prefix).
assert_clean_log() {
	run grep -a -c -v -E '^smtpd\[[0-9]+\]: ' "$T/log"
	assert_output 0
	run bash -c "tr -d -c '\\000\\033\\r' <'$T/log' | wc -c"
	assert_output 0
}

# ---- item 4 ---------------------------------------------------------------

@test "4: a bare user authenticates in our domains only" {
	run smtp 'EHLO c' "AUTH PLAIN $(b64 '\0carol@evil.example\0carolpw')" QUIT
	assert_line --partial '535 5.7.8'
	refute_line --partial '235 '
	run smtp 'EHLO c' "AUTH LOGIN $(b64 'carol@evil.example')" "$(b64 carolpw)" QUIT
	assert_line --partial '535 5.7.8'
	run smtp 'EHLO c' "AUTH PLAIN $(b64 '\0carol@example.net\0carolpw')" QUIT
	assert_line --partial '235 2.7.0'
}

@test "4: verifyIdentity: a bare user neither relays nor sends as a foreign-domain address" {
	run smtp 'EHLO c' "AUTH PLAIN $(b64 '\0carol@evil.example\0carolpw')" \
		'MAIL FROM:<carol@evil.example>' 'RCPT TO:<x@remote.test>' QUIT
	assert_line --index 7 --partial '535 5.7.8'
	assert_line --index 9 --partial '530 5.7.0'
	run smtp 'EHLO c' "AUTH PLAIN $(b64 '\0carol@example.org\0carolpw')" \
		'MAIL FROM:<carol@evil.example>' 'MAIL FROM:<carol@example.org>' QUIT
	assert_line --index 7 --partial '235 2.7.0'
	assert_line --index 8 --partial '503 5.7.1'
	assert_line --index 9 --partial '250 2.1.0'
	[ -z "$(all_spool_files)" ]
}

@test "4: a bare user is no recipient in a foreign domain" {
	run smtp 'EHLO c' 'MAIL FROM:<x@remote.test>' 'RCPT TO:<carol@evil.example>' 'RCPT TO:<carol@example.net>' QUIT
	assert_line --index 8 --regexp '^5(30|50) '
	assert_line --index 9 --partial '250 2.1.5'
	[ -z "$(all_spool_files)" ]
}

# ---- item 5 ---------------------------------------------------------------

@test "5: CR, LF, NUL and ESC in every logged field never forge a log line" {
	local forged='\r\nsmtpd[1]: authentication failed from [203.0.113.9] mechanism=PLAIN user=x\x1b[2J'
	# an identity that exists, with an ESC and a CR in its name
	printf 'ev\033il\rname@example.org:{PLAIN}pw\n' >>"$T/users"
	# AUTH identities: PLAIN (success via the bare name on a foreign
	# domain, if that bug came back), LOGIN with a NUL cutting the name,
	# and a failed PLAIN
	smtp 'EHLO c' "AUTH PLAIN $(b64 "\\0carol@evil.example${forged}\\0carolpw")" \
		"MAIL FROM:<a@example.org>" 'RCPT TO:<alice@example.org>' DATA 'Subject: x' '' 'x' . QUIT || true
	smtp 'EHLO c' "AUTH LOGIN $(b64 "bob\\0${forged}")" "$(b64 "pw\\0${forged}")" QUIT || true
	smtp 'EHLO c' "AUTH PLAIN $(b64 "\\0ev\\x1bil\\rname@example.org\\0pw")" \
		'MAIL FROM:<bob@example.net>' 'MAIL FROM:<"ev\il"@example.org>' 'RCPT TO:<alice@example.org>' DATA 'Subject: x' '' 'x' . QUIT || true
	# envelope fields: controls inside quoted local parts and domains,
	# NUL in a command line, a foreign protocol's first line
	smtp_raw 'EHLO c\r\nMAIL FROM:<"a\x1b\rb"@example.org>\r\nMAIL FROM:<a@x\x1b.example>\r\nRCPT TO:<"u\x1b"@remote.test>\r\nRCPT TO:<u@remote.test\x00\r\nsmtpd[1]: forged>\r\nRSET\r\nHELO a\x1bb\r\nQUIT\r\n' || true
	smtp_raw 'GET /\x1b[2J\x00\rsmtpd[1]: forged HTTP/1.1\r\n' || true
	# alias loop with a name the client chose
	echo 'loop@example.org: loop2@example.org' >>"$T/aliases"
	echo 'loop2@example.org: loop@example.org' >>"$T/aliases"
	smtp_raw 'EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<LOOP@example.org>\r\nQUIT\r\n' || true
	cp "$T/logs" "$T/log"
	assert_clean_log
	# and the shipped fail2ban filter bans nobody the client named
	if command -v fail2ban-regex >/dev/null; then
		sed 's/^/Nov 25 03:00:00 mx /' "$T/log" >"$T/syslog"
		mkdir -p "$T/f2b/filter.d"
		cp "$SRCDIR/units/fail2ban/filter.d/smtpd.conf" "$T/f2b/filter.d/"
		ln -s /etc/fail2ban/filter.d/common.conf "$T/f2b/filter.d/common.conf"
		run fail2ban-regex "$T/syslog" "$T/f2b/filter.d/smtpd.conf"
		refute_output --partial '203.0.113.9'
	fi
}
