#!/usr/bin/env bats
# Crash safety: SIGKILL during DATA never loses an acknowledged message and
# never publishes a partial one (killdata.py says exactly what is checked).
# Iterations: HARDEN_KILL_ITERATIONS (default 200).
#
# Residue: a handler killed mid-message leaves its file in the maildir's
# tmp/, never in new/ or cur/.  Such files are stale by construction (the
# name holds the dead handler's pid and time); maildir readers delete tmp/
# files older than 36 hours (the maildir rule, https://cr.yp.to/proto/
# maildir.html; Dovecot does it when it opens the maildir).

load helpers

setup() {
	setup_hardening
}

@test "SIGKILL at random points of DATA: no partial message, no lost 250" {
	local n=${HARDEN_KILL_ITERATIONS:-200}
	run env LOG="$LOG" python3 "$BATS_TEST_DIRNAME/killdata.py" "$SMTPD" "$CONF" \
		"$MAILROOT" "$n" "${HARDEN_SEED:-$RANDOM}"
	echo "$output"
	echo "# $output" >&3
	assert_success
	assert_output --regexp "iterations=$n "
	# the kills did land: some in DATA, some acknowledged
	[[ "$output" =~ acked=([0-9]+) ]] && (( BASH_REMATCH[1] > 0 ))
	[[ "$output" =~ killed_in_data=([0-9]+) ]] && (( BASH_REMATCH[1] > 0 ))
}

@test "SIGKILL at random points of DATA, three recipients: every copy complete" {
	# the later copies are made at commit time from the first one
	# (copy_file_range): a kill then must not publish a short copy
	printf 'carol@example.org:{PLAIN}x\n' >>"$T/users"
	local n=$(( ${HARDEN_KILL_ITERATIONS:-200} / 2 ))
	run env LOG="$LOG" python3 "$BATS_TEST_DIRNAME/killdata.py" "$SMTPD" "$CONF" \
		"$MAILROOT" "$n" "${HARDEN_SEED:-$RANDOM}" alice bob carol
	echo "$output"
	echo "# $output" >&3
	assert_success
	[[ "$output" =~ acked=([0-9]+) ]] && (( BASH_REMATCH[1] > 0 ))
}
