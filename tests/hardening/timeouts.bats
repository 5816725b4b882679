#!/usr/bin/env bats
# Timeouts (conformance S14): connectionTimeout bounds each line a client
# sends, however it spaces its bytes, and each reply the server writes,
# however slowly the client reads.  Bounds asserted: closed within
# 2 x connectionTimeout + 3 s; the measured figure is printed.

load helpers

setup() {
	setup_hardening
	write_conf "connectionTimeout = 2"
}

teardown() {
	stop_socket
}

client() {
	LOG="$LOG" REMOTE_ADDR="$PEER" python3 "$BATS_TEST_DIRNAME/slowclient.py" "$@"
}

@test "slowloris: one byte per second in a command line is closed with 421 4.4.2" {
	printf 'EHLO slow.test\r\n' >"$T/client.prefix"
	run client trickle "$SMTPD" "$CONF" "$T/client.prefix" 1 15
	assert_line --index 0 --regexp '^closed '
	assert_output --partial '421 4.4.2 Timeout exceeded'
	local took=${lines[0]#closed }
	echo "# slowloris (command): closed after ${took} s (connectionTimeout = 2)" >&3
	(( ${took%.*} <= 7 ))
	grep -q 'timeout after ready from \[192.0.2.1\]' "$LOG"
}

@test "slowloris: one byte per second inside DATA is closed, nothing stored" {
	printf 'EHLO slow.test\r\nMAIL FROM:<a@slow.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: slow\r\n\r\n' >"$T/client.prefix"
	run client trickle "$SMTPD" "$CONF" "$T/client.prefix" 1 15
	assert_line --index 0 --regexp '^closed '
	assert_output --partial '354 '
	assert_output --partial '421 4.4.2 Timeout exceeded'
	refute_output --partial '250 2.0.0'
	local took=${lines[0]#closed }
	echo "# slowloris (DATA): closed after ${took} s" >&3
	(( ${took%.*} <= 7 ))
	[ -z "$(delivered)" ]
	[ -z "$(tmp_files)" ]
	grep -q 'Connection timed out during DATA from \[192.0.2.1\], nothing stored' "$LOG"
}

@test "idle: a client that sends nothing is closed with 421 4.4.2" {
	: >"$T/client.prefix"
	run client trickle "$SMTPD" "$CONF" "$T/client.prefix" 30 10
	assert_line --index 0 --regexp '^closed '
	assert_output --partial '421 4.4.2'
	echo "# idle: closed after ${lines[0]#closed } s" >&3
}

@test "timeouts: a slow but steady client (a line a second) is served, not cut" {
	run client lines "$SMTPD" "$CONF" 1 5
	assert_line --index 0 --regexp '^closed '
	[ "$(grep -c '^250 2.0.0 OK' <<<"$output")" -eq 5 ]
	assert_output --partial '221 2.0.0'
	refute_output --partial '421'
}

@test "deaf client: one that never reads the replies is bounded too (real socket)" {
	PEER=127.0.0.1
	start_socket
	run client deaf "$PORT" 30
	assert_line --index 0 --regexp '^closed '
	local took
	took=$(cut -d' ' -f2 <<<"${lines[0]}")
	echo "# deaf client: closed after ${took} s, having pushed $(cut -d' ' -f3 <<<"${lines[0]}") bytes" >&3
	(( ${took%.*} <= 20 ))
	sleep 0.5
	[ -z "$(socket_children)" ]
	grep -q 'timeout after .* (client not reading)' "$LOG"
}

# The session's own lifetime: 10 x connectionTimeout (conn_set_lifetime),
# as RuntimeMaxSec= in the units, so that xinetd and tcpserver sessions
# are bounded too.  A client that is never idle is cut after it.
@test "lifetime: a client never idle (a NOOP every 0.5 s) is closed after 10 x connectionTimeout with 421 4.4.2" {
	write_conf "connectionTimeout = 1"
	printf 'EHLO busy.test\r\n' >"$T/client.prefix"
	run client busy "$SMTPD" "$CONF" "$T/client.prefix" 0.5 20
	assert_line --index 0 --regexp '^closed '
	assert_output --partial '421 4.4.2 Session lasted too long, closing connection'
	refute_output --partial 'Timeout exceeded'
	local took=${lines[0]#closed }
	echo "# lifetime (commands): closed after ${took} s (connectionTimeout = 1)" >&3
	(( ${took%.*} >= 9 && ${took%.*} <= 12 ))
	grep -q 'session lifetime exceeded after ready from \[192.0.2.1\]' "$LOG"
}

@test "lifetime: a message trickled a line every 0.5 s is cut at the lifetime, nothing stored" {
	write_conf "connectionTimeout = 1"
	printf 'EHLO busy.test\r\nMAIL FROM:<a@busy.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: busy\r\n\r\n' >"$T/client.prefix"
	run client busy "$SMTPD" "$CONF" "$T/client.prefix" 0.5 20
	assert_line --index 0 --regexp '^closed '
	assert_output --partial '354 '
	assert_output --partial '421 4.4.2 Session lasted too long, closing connection'
	refute_output --partial '250 2.0.0 OK'
	local took=${lines[0]#closed }
	(( ${took%.*} >= 9 && ${took%.*} <= 12 ))
	[ -z "$(delivered)" ]
	[ -z "$(tmp_files)" ]
}
