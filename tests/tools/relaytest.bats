#!/usr/bin/env bats
# smtpd-config relaytest against smtpd behind systemd-socket-activate on a
# free 127.0.0.1 port: a deliberately open configuration (every address
# authorized) fails, naming the trick; a default-like one (127.0.0.1 not
# authorized) passes; --auth shows that an authenticated user relays.
# relaytest never sends DATA, so nothing is ever stored or spooled.

load common

setup() {
	T=$BATS_TEST_TMPDIR
	conf_store "$T" 'alice@example.org:{PLAIN}secret'
}

teardown() {
	activate_stop
}

# serve HANDLER-LINE...: the listener "smtp" with those handler keys.
serve() {
	{
		conf_head "$T" example.org
		echo 'smtpserver "smtp" {'
		echo '  handler {'
		echo '    helloName = "mx.example.org"'
		conf_indent "$@"
		echo '  }'
		echo '}'
	} >"$T/smtpd.conf"
	CONF=$T/smtpd.conf smtpd_socket "$T/smtpd.log"
}

nothing_stored() {
	[ -z "$(find "$T/mail" "$T/spool" -type f)" ]
}

@test "an open relay (authorizedAddresses 0.0.0.0/0): exit 1, the accepted tricks named" {
	serve 'authorizedAddresses = { "0.0.0.0/0" }'
	run --separate-stderr "$SMTPD_CONFIG" relaytest --domain example.org "127.0.0.1:$PORT"
	assert_failure 1
	assert_line --regexp '^ACCEPTED +plain foreign recipient +<relaytest@example\.com> from <relaytest@example\.com>: 250 2\.1\.5'
	assert_line --regexp '^ACCEPTED +plain foreign recipient +<relaytest@example\.com> from <>: 250'
	assert_line --regexp '^ACCEPTED +source route via us +<@example\.org:relaytest@example\.com>'
	assert_line --regexp '^relaytest 127\.0\.0\.1:[0-9]+: OPEN RELAY: [0-9]+ of 57 foreign recipients accepted$'
	# never DATA (RSET after each RCPT): nothing spooled
	nothing_stored
}

@test "a default-like configuration: every trick refused, exit 0" {
	serve 'authorizedAddresses = { "192.0.2.0/24" }' \
		'handlerchain { handler "ValidRcptHandler" { } }'
	run --separate-stderr "$SMTPD_CONFIG" relaytest --domain example.org "127.0.0.1:$PORT"
	assert_success
	refute_line --partial 'ACCEPTED'
	refute_line --partial 'ERROR'
	# one line per trick and sender, 19 tricks with 3 senders each
	[ "$(grep -c -E '^ok ' <<<"$output")" -eq 57 ]
	assert_line --regexp '^ok +percent hack +<relaytest%example\.com@example\.org> from <>: 550 '
	assert_line --regexp '^ok +bang path +<example\.com!relaytest@example\.org> from <relaytest@example\.com>: 5[0-9][0-9] '
	assert_line --regexp '^ok +quoted local part with @ +<"relaytest@example\.com"@example\.org> from <postmaster@example\.org>: 5'
	assert_line --regexp '^ok +IPv4 literal +<relaytest@\[192\.0\.2\.1\]> from <>: 550 5\.7\.1'
	assert_line --regexp '^ok +trailing dot +<relaytest@example\.com\.> from <>: 5'
	assert_line --regexp '^relaytest 127\.0\.0\.1:[0-9]+: no foreign recipient accepted \(57 tried\)$'
	# the server's error budget (10) closed sessions: relaytest reconnected
	[ "$(grep -c 'too many errors' "$T/smtpd.log")" -ge 1 ]
	nothing_stored
}

@test "the domain comes from -c FILE's domains" {
	serve 'authorizedAddresses = { "192.0.2.0/24" }'
	run --separate-stderr "$SMTPD_CONFIG" relaytest -c "$T/smtpd.conf" "127.0.0.1:$PORT"
	assert_success
	assert_line --regexp '^relaytest 127\.0\.0\.1:[0-9]+: our domain example\.org, foreign domain example\.com$'
}

@test "--auth: the authenticated path relays, the password from a file or the environment" {
	serve 'authorizedAddresses = { "192.0.2.0/24" }' 'authRequired = true'
	printf 'secret\n' >"$T/pw"
	run --separate-stderr "$SMTPD_CONFIG" relaytest --domain example.org --auth alice@example.org \
		--password-file "$T/pw" "127.0.0.1:$PORT"
	assert_success
	assert_line --regexp '^ok +authenticated relay as alice@example\.org: <relaytest@example\.com> from <alice@example\.org>: 250 '
	refute_line --partial 'ACCEPTED'
	run --separate-stderr env SMTPD_RELAYTEST_PASSWORD=secret "$SMTPD_CONFIG" relaytest \
		--domain example.org --auth alice@example.org "127.0.0.1:$PORT"
	assert_success
	assert_line --regexp '^ok +authenticated relay as alice@example\.org: .*: 250 '
	nothing_stored
}

@test "--auth with a wrong password: exit 2, the refusal shown" {
	serve 'authorizedAddresses = { "192.0.2.0/24" }' 'authRequired = true'
	run --separate-stderr env SMTPD_RELAYTEST_PASSWORD=wrong "$SMTPD_CONFIG" relaytest \
		--domain example.org --auth alice@example.org "127.0.0.1:$PORT"
	assert_failure 2
	assert_line --regexp '^FAILED +authenticated relay as alice@example\.org: AUTH refused: 535 '
}

@test "usage: no password source, a bad address, nothing listening" {
	run --separate-stderr "$SMTPD_CONFIG" relaytest --auth alice@example.org 127.0.0.1:25
	assert_failure 64
	use_stderr
	assert_line 'smtpd-config relaytest: --auth needs --password-file or $SMTPD_RELAYTEST_PASSWORD'
	run --separate-stderr "$SMTPD_CONFIG" relaytest ::1:25
	assert_failure 64
	run --separate-stderr "$SMTPD_CONFIG" relaytest --domain example.org "127.0.0.1:$(free_port)"
	assert_failure 69
}
