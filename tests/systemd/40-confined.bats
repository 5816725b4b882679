#!/usr/bin/env bats
# A live session under the shipped units is confined: what
# /proc/PID/status of the session process shows while a client holds the
# connection open.

load helpers

setup() {
	wait_no_sessions smtpd
	net /usr/bin/python3 "$SRC/tests/systemd/conns.py" park 25 30 >"$BATS_TEST_TMPDIR/park" 2>&1 &
	PARK=$!
	for _ in $(seq 1 100); do
		grep -q parked "$BATS_TEST_TMPDIR/park" && break
		sleep 0.1
	done
	UNIT=$(ct systemctl list-units --no-legend --plain 'smtpd@*' | awk '{ print $1 }' | head -1)
	[ -n "$UNIT" ]
	SPID=$(ct systemctl show -P MainPID "$UNIT")
	[ "$SPID" -gt 0 ]
}

teardown() {
	kill "$PARK" 2>/dev/null || true
	wait "$PARK" 2>/dev/null || true
}

@test "a session runs as user smtpd, not root" {
	run ct cat "/proc/$SPID/status"
	uid=$(ct id -u smtpd)
	assert_line --regexp "^Uid:	$uid	$uid	$uid	$uid$"
	refute_line --regexp '^Uid:	0	'
	run ct cat "/proc/$SPID/comm"
	assert_output smtpd
}

@test "a session has no_new_privs, a seccomp filter and no capabilities" {
	run ct cat "/proc/$SPID/status"
	assert_line --regexp '^NoNewPrivs:	1$'
	assert_line --regexp '^Seccomp:	2$'
	assert_line --regexp '^CapInh:	0000000000000000$'
	assert_line --regexp '^CapPrm:	0000000000000000$'
	assert_line --regexp '^CapEff:	0000000000000000$'
	assert_line --regexp '^CapAmb:	0000000000000000$'
}
