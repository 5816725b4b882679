#!/usr/bin/env bats
# MilterHandler's options: the example configurations pass --check, bad
# values are FILE:LINE errors (the exact messages are in tests/configs/bad).

load helpers

setup() {
	setup_smtpd
}

teardown() {
	teardown_smtpd
}

@test "config/examples: both MX recipes pass --check" {
	for f in "$SRCDIR"/config/examples/mx-*.conf; do
		run "$SMTPD" -c "$f" --check
		[ "$status" -eq 0 ] || { echo "$f: $output"; return 1; }
	done
}

@test "defaults: a MilterHandler with only a socket is valid" {
	milter_conf 'handler "MilterHandler" { socket = "unix:/run/milter.sock" }'
	run "$SMTPD" -c "$CONF" --check
	assert_success
}

@test "inet with an IPv6 literal" {
	milter_conf 'handler "MilterHandler" { socket = "inet:[::1]:11332" }'
	run "$SMTPD" -c "$CONF" --check
	assert_success
}
