#!/usr/bin/env bats
# Load: HARDEN_LOAD_CLIENTS (default 100) simultaneous connections through
# systemd-socket-activate (one smtpd per connection, as Accept=yes), each
# sending HARDEN_LOAD_MESSAGES (default 3) messages to a local and a
# relayed recipient: every 250-acknowledged message is present exactly
# once in the maildir and once in the spool, and the log has no error.

load helpers

setup() {
	setup_hardening
	PEER=127.0.0.1
}

teardown() {
	stop_socket
}

# Subjects of the files in DIR's new/, one a line, sorted (duplicates kept).
subjects() {
	find "$1" -type f | grep -E '/new/[^/]+$' | xargs -r grep -h -m1 '^Subject: load-' | tr -d '\r' | sed 's/^Subject: //' | sort
}

@test "load: simultaneous connections, every acknowledged message exactly once" {
	local clients=${HARDEN_LOAD_CLIENTS:-100} messages=${HARDEN_LOAD_MESSAGES:-3}
	start_socket
	run timeout -k 5 300 python3 "$BATS_TEST_DIRNAME/load.py" "$PORT" "$clients" "$messages" "$T/client.acked"
	echo "$output"
	echo "# ${lines[0]}" >&3
	assert_success
	[ "$(wc -l <"$T/client.acked")" -eq $((clients * messages)) ]
	# all handlers done (each ended with QUIT)
	local i
	for i in $(seq 1 100); do
		[ -z "$(socket_children)" ] && break
		sleep 0.1
	done
	[ -z "$(socket_children)" ]
	diff <(subjects "$MAILROOT/example.org/alice") "$T/client.acked"
	diff <(subjects "$SPOOL/outgoing") "$T/client.acked"
	[ -z "$(tmp_files)" ]
	[ "$(grep -c ': connect from \[127.0.0.1\]' "$LOG")" -eq "$clients" ]
	[ "$(grep -c 'result=queued' "$LOG")" -eq $((clients * messages)) ]
	# no error: every session ends "errors=0", nothing else complains
	[ "$(grep -c 'disconnect from \[127.0.0.1\] commands=[0-9]* errors=0$' "$LOG")" -eq "$clients" ]
	run bash -c 'grep -v "errors=0$" "$1" | grep -Ei "error|fail|cannot|timeout|lost|denied|rejected"' _ "$LOG"
	assert_failure 1
}
