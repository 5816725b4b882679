#!/usr/bin/env bats
# systemd-analyze security of every shipped @.service, under the real
# systemd that runs them.  It scores unit options only: what smtpd and
# lmtpd do to themselves after loading the configuration (README,
# "What confines a session") is invisible to it, so the score is a floor
# for the units, not the sessions' confinement.  The test fails when a
# change makes a unit's exposure worse than SECURITY_MAX.

load helpers

# The exposure of the shipped templates (0 best, 10 worst): 6.5 with the
# cheap unit (no mount-namespace options and no per-unit seccomp options:
# the session confines itself with Landlock and its own filter, which
# systemd-analyze cannot see; tests/systemd/40-confined.bats and
# 45-sandbox.bats look at the live session instead), plus a margin for
# systemd's rounding.
SECURITY_MAX=6.6

# score UNIT: prints the overall exposure level, fails past SECURITY_MAX.
score() {
	run ct systemd-analyze security --no-pager "$1"
	assert_success
	level=$(printf '%s\n' "$output" | sed -n 's/^→ Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	[ -n "$level" ]
	echo "systemd-analyze security $1: $level" >&3
	awk -v l="$level" -v m="$SECURITY_MAX" 'BEGIN { exit !(l <= m) }'
	# the same through systemd's own switch (in tenths)
	run ct systemd-analyze security --no-pager --threshold="$(awk -v m="$SECURITY_MAX" 'BEGIN { print int(m * 10 + 0.5) }')" "$1"
	assert_success
}

@test "systemd-analyze security: smtpd@.service" {
	score smtpd@.service
}

@test "systemd-analyze security: submission@.service" {
	score submission@.service
}

@test "systemd-analyze security: smtps@.service" {
	score smtps@.service
}

@test "systemd-analyze security: lmtpd@.service" {
	score lmtpd@.service
}
