#!/usr/bin/env bats
# smtpd-relay killed (SIGKILL) at each journal point: nothing is lost, a
# recipient gets the message twice only in the documented window (the
# server said 250, the journal line never reached the disk), no lock is
# left behind, new/ is drained.  Two runs at once never deliver a
# message twice.

load helpers

setup() {
	setup_relay
	PORT=$(free_port 127.0.0.2)
	RELAY_CONF=("gateway = { \"127.0.0.2:$PORT\" }" 'startTLS = false' 'delayTime = "1 minute"'
		'maxRetries = 5')
	write_conf
	start_sink sink 127.0.0.2:$PORT --pipelining --rcpt "bad@remote.test=550 5.1.1 no such user"
}
teardown() { teardown_relay; }

# killed in the child that delivers: the parent goes on and exits 0
@test "killed after the server's 250, before the journal line: sent again next run (the duplicate window)" {
	submit alice@example.org ok@remote.test
	SMTPD_RELAY_CRASH_BEFORE=1 relay
	assert_equal "$(sink_count sink)" 1
	run find "$T/spool/outgoing/new" -type f
	assert_output ""
	run find "$T/spool/outgoing/cur" -type f
	assert_equal "${#lines[@]}" 1
	# no stale lock: the next run (not a retry: nothing was recorded, the
	# file is due) takes it at once
	relay
	assert_equal "$(sink_count sink)" 2
	run queue_files
	assert_output ""
}

@test "killed right after the 250 reached the journal: never sent again, the message is finished next run" {
	submit alice@example.org ok@remote.test
	SMTPD_RELAY_CRASH_AFTER=1 relay
	assert_equal "$(sink_count sink)" 1
	relay
	assert_equal "$(sink_count sink)" 1
	assert_equal "$(sink_connections sink)" 1
	run queue_files
	assert_output ""
}

@test "killed after a 5xx line (before DATA): the failed recipient is not tried again, the other is sent once" {
	submit alice@example.org bad@remote.test ok@remote.test
	SMTPD_RELAY_CRASH_AFTER=1 relay
	assert_equal "$(sink_count sink)" 0
	relay
	assert_equal "$(sink_count sink)" 1
	run $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["rcpt_tos"])' "$T/sink/1.json"
	assert_output "['ok@remote.test']"
	run $PY "$SRCDIR/tests/relay/check_dsn.py" "$(notice_file)"
	assert_line "rcpt1.final-recipient=rfc822; bad@remote.test"
	refute_line --partial "rcpt2."
}

@test "killed after the try was counted (N line), before the next try was set: retried, nothing lost" {
	stop_sinks
	start_sink sink 127.0.0.2:$PORT --rcpt "grey@remote.test=451 4.7.1 greylisted"
	submit alice@example.org grey@remote.test
	# line 1: R 0 T 451; line 2: N 1
	SMTPD_RELAY_CRASH_AFTER=2 relay
	name=$(ls "$T/spool/outgoing/cur")
	run cat "$T/spool/outgoing/state/$name"
	assert_line "N 1 $NOW"
	stop_sinks
	start_sink sink2 127.0.0.2:$PORT
	NOW=$((NOW + 1)) relay
	assert_equal "$(sink_count sink2)" 1
	run queue_files
	assert_output ""
}

@test "killed before the notice was recorded: the notice may be sent twice, never lost" {
	submit alice@example.org bad@remote.test
	# line 1: R 0 F 550; then the notice; line 2: B
	SMTPD_RELAY_CRASH_BEFORE=2 relay
	run find "$T/mail/example.org/alice/new" -type f
	assert_equal "${#lines[@]}" 1
	relay
	run find "$T/mail/example.org/alice/new" -type f
	assert_equal "${#lines[@]}" 2
	run queue_files
	assert_output ""
}

@test "two runs at once, 4 processes each: every message delivered exactly once" {
	for i in $(seq 24); do
		submit alice@example.org "r$i@remote.test"
	done
	relay &
	p1=$!
	relay &
	p2=$!
	wait $p1
	wait $p2
	assert_equal "$(sink_count sink)" 24
	run sh -c "cat '$T'/sink/*.json | grep -o 'r[0-9]*@remote.test' | sort | uniq -d"
	assert_output ""
	run sh -c "cat '$T'/sink/*.json | grep -o 'r[0-9]*@remote.test' | sort -u | wc -l"
	assert_output 24
	run queue_files
	assert_output ""
}

# A worker takes messages one after another; SMTPD_RELAY_CRASH_AFTER=1
# kills each worker at its first journal line, so every message costs a
# worker: the run replaces them while messages are left.
@test "a killed worker is replaced: the run still delivers every message, each once" {
	RELAY_CONF+=('concurrency = 2')
	write_conf
	for i in 1 2 3 4 5; do
		submit alice@example.org "r$i@remote.test"
	done
	SMTPD_RELAY_CRASH_AFTER=1 relay
	assert_equal "$(sink_count sink)" 5
	run find "$T/spool/outgoing/new" -type f
	assert_output ""
	# each worker died after the 250 was recorded: the next run only
	# finishes the files, it sends nothing again
	relay
	assert_equal "$(sink_count sink)" 5
	assert_equal "$(sink_connections sink)" 5
	run queue_files
	assert_output ""
}
