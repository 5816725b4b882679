#!/usr/bin/env bats
# Direct delivery: MX lookups through tests/lib/fakedns.py (dnsServers),
# receivers on 127.0.0.x at $SMTPD_RELAY_MX_PORT.  MX preference order,
# the implicit MX (no MX: the domain's A), null MX (RFC 7505) and
# NXDOMAIN fail at once, SERVFAIL is retried.

load helpers
load "${SRCDIR:-.}/tests/lib/fakedns.bash"

setup() {
	setup_relay
	PORT=$(free_port 127.0.0.3)
	cat >"$T/zone" <<-EOF
		two.test MX 20 mx2.two.test
		two.test MX 10 mx1.two.test
		mx1.two.test A 127.0.0.3
		mx2.two.test A 127.0.0.4
		plain.test A 127.0.0.3
		secure.test A 127.0.0.3
		other.test A 127.0.0.3
		null.test MX 0 .
		fail.test SERVFAIL
	EOF
	fakedns_start "$T/zone" "$T"
	RELAY_CONF=("dnsServers = { \"$FAKEDNS_ADDR\" }" 'inetProtocols = "ipv4"' 'delayTime = "1 minute"')
	write_conf
	export SMTPD_RELAY_MX_PORT=$PORT
}
teardown() {
	fakedns_stop
	teardown_relay
}

@test "MX: the lowest preference first; the next one when it is down" {
	start_sink mx1 127.0.0.3:$PORT
	submit alice@example.org u@two.test
	relay
	assert_equal "$(sink_count mx1)" 1
	grep -q "two.test MX" "$FAKEDNS_LOG"
	stop_sinks
	# mx1 down: mx2 (preference 20) takes it
	start_sink mx2 127.0.0.4:$PORT
	submit alice@example.org v@two.test
	relay
	assert_equal "$(sink_count mx2)" 1
	grep -q "relay=mx2.two.test\[127.0.0.4\] status=sent" "$T/relay.log"
}

@test "no MX: the domain's own address (RFC 5321 §5.1)" {
	start_sink mx1 127.0.0.3:$PORT
	submit alice@example.org u@plain.test
	relay
	assert_equal "$(sink_count mx1)" 1
}

@test "null MX fails at once with 5.1.10; NXDOMAIN with 5.1.2; one notice for both" {
	submit alice@example.org u@null.test v@nowhere.test
	relay
	run queue_files
	assert_output ""
	run $PY "$SRCDIR/tests/relay/check_dsn.py" "$(notice_file)"
	assert_line "rcpt1.final-recipient=rfc822; u@null.test"
	assert_line "rcpt1.status=5.1.10"
	assert_line "rcpt2.final-recipient=rfc822; v@nowhere.test"
	assert_line "rcpt2.status=5.1.2"
}

@test "SERVFAIL is temporary: deferred with 4.4.3, kept in the queue" {
	submit alice@example.org u@fail.test
	relay
	run find "$T/spool/outgoing/cur" -type f
	assert_equal "${#lines[@]}" 1
	grep -q "^R 0 T 451 4.4.3 " "$T"/spool/outgoing/state/*
}

# The receiver (sink.py without --tls) offers no STARTTLS.
@test "tlsPolicyFile: encrypt for one domain defers it when the server lacks STARTTLS; may delivers" {
	printf '# per-domain TLS\nsecure.test  encrypt\nplain.test may   # opportunistic\n' >"$T/tls-policy"
	RELAY_CONF+=("tlsPolicyFile = \"$T/tls-policy\"")
	write_conf
	start_sink mx 127.0.0.3:$PORT
	submit alice@example.org u@plain.test v@secure.test
	relay
	assert_equal "$(sink_count mx)" 1
	run $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["rcpt_tos"])' "$T/mx/1.json"
	assert_output "['u@plain.test']"
	name=$(ls "$T/spool/outgoing/cur")
	run cat "$T/spool/outgoing/state/$name"
	assert_line --regexp "^R 1 T 4[0-9][0-9] [0-9.]+ $NOW .*offers no STARTTLS, and TLS is required"
	# the policy overrides tlsSecurityLevel both ways: encrypt everywhere
	# but plain.test
	printf 'plain.test may\n' >"$T/tls-policy"
	RELAY_CONF+=('tlsSecurityLevel = "encrypt"')
	write_conf
	submit alice@example.org w@plain.test x@other.test
	relay
	assert_equal "$(sink_count mx)" 2
	run $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["rcpt_tos"])' "$T/mx/2.json"
	assert_output "['w@plain.test']"
}

@test "tlsPolicyFile: a bad line is FILE:LINE at --check (exit 78); smtpd-relay refuses to run" {
	printf 'good.test may\n\nbad.test sometimes\n' >"$T/tls-policy"
	RELAY_CONF+=("tlsPolicyFile = \"$T/tls-policy\"")
	write_conf
	line=$(grep -n tlsPolicyFile "$T/smtpd.conf" | cut -d: -f1)
	run "$SMTPD_RELAY" -c "$T/smtpd.conf" --check
	assert_failure 78
	assert_output --partial "$T/smtpd.conf:$line: tlsPolicyFile: $T/tls-policy:3: bad.test: level 'sometimes' is not none, may, encrypt or verify"
	submit alice@example.org u@plain.test
	run relay
	assert_failure 78
	grep -q "$T/tls-policy:3: bad.test: level 'sometimes'" "$T/relay.log"
	run find "$T/spool/outgoing/new" -type f
	assert_equal "${#lines[@]}" 1
}
