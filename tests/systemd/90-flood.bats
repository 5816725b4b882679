#!/usr/bin/env bats
# A connect flood: 30 source addresses connect and close as fast as they
# can for 3 s, against port 25 and the submission port.  With systemd's
# default trigger limit (200 starts in 2 s for Accept=yes) the socket
# fails (trigger-limit-hit) and port 25 stays closed until restarted by
# hand; the shipped sockets turn the limit off.  Runs last: it leaves
# the journal full of sessions.

load helpers

flood() {
	run net /usr/bin/python3 "$SRC/tests/systemd/conns.py" flood "$1" 3 30
	assert_success
	# past the trigger limit (200 starts in 2 s: 300 in 3 s)
	n=${output#connections }
	echo "flood on port $1: $n connections in 3 s" >&3
	[ "$n" -gt 300 ]
	# The sessions it started end (each finds its client gone); under a
	# loaded CI machine that takes a while.
	wait_no_sessions "$2" 120
}

@test "connect flood on port 25: the socket stays active and port 25 still greets" {
	flood 25 smtpd
	run ct systemctl is-failed smtpd.socket
	assert_output active
	run net /usr/bin/python3 "$SRC/tests/systemd/conns.py" greet 25
	assert_success
	assert_output --regexp '^220 mx.example.org '
	run ct journalctl --no-pager -q -o cat -u smtpd.socket --grep 'trigger-limit-hit|Trigger limit hit'
	assert_output ''
}

@test "connect flood on port 587: the socket stays active" {
	flood 587 submission
	run ct systemctl is-failed submission.socket
	assert_output active
	run net /usr/bin/python3 "$SRC/tests/systemd/conns.py" greet 587
	assert_success
	assert_output --regexp '^220 '
}

@test "after the floods: no socket and no unit is failed, mail still flows" {
	run ct systemctl --failed --no-legend --plain
	assert_output ''
	before=$(maildir_count bob)
	run swaks_ct --port 25 --from alice@example.net --to bob@example.org
	assert_success
	[ "$(maildir_count bob)" -eq $((before + 1)) ]
}
