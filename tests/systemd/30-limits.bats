#!/usr/bin/env bats
# The sockets' bounds under the real systemd: MaxConnectionsPerSource=
# (10 on the shipped smtpd.socket) closes the extra connection at once and
# leaves the other sources and the socket alone.

load helpers

@test "MaxConnectionsPerSource: the 11th session from one address is closed without a greeting" {
	wait_no_sessions smtpd
	run net /usr/bin/python3 "$SRC/tests/systemd/conns.py" per-source 25 10 127.0.0.7
	assert_success
	assert_line 'greeted 10'
	assert_line 'extra: closed'
	run ct journalctl --no-pager -q -o cat -u smtpd.socket --grep 'Too many incoming connections \(11\) from source 127.0.0.7'
	assert_success
}

@test "MaxConnectionsPerSource: another address is still served, the socket stays active" {
	run net /usr/bin/python3 "$SRC/tests/systemd/conns.py" greet 25
	assert_success
	assert_output --regexp '^220 mx.example.org '
	run ct systemctl is-active smtpd.socket
	assert_output active
}
