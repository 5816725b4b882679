#!/usr/bin/env bats
# smtpd-relay through a smarthost (gateway): the scripted receiver
# (tests/relay/sink.py, aiosmtpd) on 127.0.0.2; per-recipient outcomes,
# the journal, retries on a test clock, expiry and the DSN, the queue
# listing, dead destinations.

load helpers

setup() {
	setup_relay
	PORT=$(free_port 127.0.0.2)
	RELAY_CONF=("gateway = { \"127.0.0.2:$PORT\" }" 'startTLS = false' 'delayTime = "1 minute, 2*5 minutes"')
	write_conf
}
teardown() { teardown_relay; }

@test "smarthost: the receiver's copy is what was submitted plus our Received; the queue is drained" {
	start_sink sink 127.0.0.2:$PORT --pipelining
	printf 'Subject: hello\r\nMessage-ID: <m1@client.test>\r\n\r\n..leading dot\r\n\xc3\xa9 8-bit\r\nlast\r\n' >"$T/msg"
	MSG_FILE="$T/msg" MAIL_PARAMS=" BODY=8BITMIME" submit alice@example.org u@remote.test v@remote.test
	run find "$T/spool/outgoing/new" -type f
	assert_equal "${#lines[@]}" 1
	run relay
	assert_success
	assert_equal "$(sink_count sink)" 1
	# what the sink got = our Received + the message, dot-unstuffed
	printf 'Subject: hello\r\nMessage-ID: <m1@client.test>\r\n\r\n.leading dot\r\n\xc3\xa9 8-bit\r\nlast\r\n' >"$T/want"
	run head -1 "$T/sink/1.eml"
	assert_output $'Received: from client.test ([127.0.0.1])\r'
	cmp "$T/want" <(tail -n +4 "$T/sink/1.eml") || { diff <(cat -A "$T/want") <(cat -A "$T/sink/1.eml") >&2; return 1; }
	run $PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["mail_from"], j["rcpt_tos"], j["mail_options"], j["helo"])' "$T/sink/1.json"
	assert_output "alice@example.org ['u@remote.test', 'v@remote.test'] ['BODY=8BITMIME'] relay.example.org"
	run queue_files
	assert_output ""
	grep -q "status=sent 250 2.0.0 OK id=1" "$T/relay.log"
}

@test "smarthost: 5xx fails one recipient, 4xx defers one; the journal keeps them; --list shows them" {
	start_sink sink 127.0.0.2:$PORT --rcpt "bad@remote.test=550 5.1.1 no such user" \
		--rcpt "grey@remote.test=451 4.7.1 greylisted"
	submit alice@example.org ok@remote.test bad@remote.test grey@remote.test
	run relay
	assert_success
	assert_equal "$(sink_count sink)" 1
	run $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["rcpt_tos"])' "$T/sink/1.json"
	assert_output "['ok@remote.test']"
	# new/ drained into cur/; the journal beside it
	run find "$T/spool/outgoing/new" -type f
	assert_output ""
	name=$(ls "$T/spool/outgoing/cur")
	run cat "$T/spool/outgoing/state/$name"
	assert_line --regexp "^R 1 F 550 5\.1\.1 $NOW 127\.0\.0\.2\[127\.0\.0\.2\] no such user$"
	assert_line --regexp "^R 2 T 451 4\.7\.1 $NOW 127\.0\.0\.2\[127\.0\.0\.2\] greylisted$"
	assert_line --regexp "^R 0 d 250 2\.0\.0 $NOW 127\.0\.0\.2\[127\.0\.0\.2\] OK id=1$"
	assert_line "N 1 $NOW"
	# next try = the file's mtime: 1 minute + up to 10 % jitter
	m=$(stat -c %Y "$T/spool/outgoing/cur/$name")
	[ "$m" -ge $((NOW + 60)) ] && [ "$m" -le $((NOW + 66)) ]
	run relay --list
	assert_success
	assert_line --index 0 --regexp "^$name  [0-9]+  0m  <alice@example\.org>  tries=1  next try "
	assert_line --index 1 "    <ok@remote.test>  delivered  250 2.0.0 OK id=1"
	assert_line --index 2 "    <bad@remote.test>  failed  550 5.1.1 no such user"
	assert_line --index 3 "    <grey@remote.test>  deferred  451 4.7.1 greylisted"
	# not due yet: nothing happens
	run relay
	assert_equal "$(sink_connections sink)" 1
}

@test "retries: the deferred recipient alone is sent again once due; then the notice for the failed one" {
	start_sink sink 127.0.0.2:$PORT --rcpt "bad@remote.test=550 5.1.1 no such user" \
		--rcpt "grey@remote.test=451 4.7.1 greylisted"
	submit alice@example.org ok@remote.test bad@remote.test grey@remote.test
	relay
	stop_sinks
	# greylisting over: the receiver now takes grey
	start_sink sink2 127.0.0.2:$PORT
	NOW=$((NOW + 30)) relay
	assert_equal "$(sink_count sink2)" 0	# not due yet
	NOW=$((NOW + 120))
	relay
	assert_equal "$(sink_count sink2)" 1
	run $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["rcpt_tos"])' "$T/sink2/1.json"
	assert_output "['grey@remote.test']"
	run queue_files
	assert_output ""
	# one notice, for bad only
	run $PY "$SRCDIR/tests/relay/check_dsn.py" "$(notice_file)"
	assert_line "rcpt1.final-recipient=rfc822; bad@remote.test"
	assert_line "rcpt1.action=failed"
	assert_line "rcpt1.status=5.1.1"
	refute_line --partial "rcpt2."
}

@test "expiry: after maxRetries the message fails with 4.4.7; the DSN checked field by field" {
	start_sink sink 127.0.0.2:$PORT --rcpt "grey@remote.test=451 4.7.1 greylisted"
	ENVID=" ENVID=env+2B42 RET=HDRS" 
	MAIL_PARAMS="$ENVID" RCPT_PARAMS=" ORCPT=rfc822;orig@remote.test" submit alice@example.org grey@remote.test
	for i in 0 70 400 800; do
		NOW=$((NOW + i)) relay
	done
	run queue_files
	assert_output ""
	assert_equal "$(sink_connections sink)" 4
	run $PY "$SRCDIR/tests/relay/check_dsn.py" "$(notice_file)"
	assert_success
	assert_line "content-type=multipart/report"
	assert_line "report-type=delivery-status"
	assert_line "from=Mail Delivery System <MAILER-DAEMON@relay.example.org>"
	assert_line "to=alice@example.org"
	assert_line "auto-submitted=auto-replied"
	assert_line "part1=text/plain"
	assert_line "part2=message/delivery-status"
	assert_line "msg.reporting-mta=dns; relay.example.org"
	assert_line "msg.original-envelope-id=env+42"
	assert_line --regexp "^msg\.arrival-date=.+"
	assert_line "rcpt1.original-recipient=rfc822;orig@remote.test"
	assert_line "rcpt1.final-recipient=rfc822; grey@remote.test"
	assert_line "rcpt1.action=failed"
	assert_line "rcpt1.status=4.4.7"
	assert_line --regexp "^rcpt1\.diagnostic-code=X-smtpd-relay; delivery time expired after 4 tries; last: 127\.0\.0\.2\[127\.0\.0\.2\] said 451 4\.7\.1 greylisted$"
	assert_line --regexp "^rcpt1\.last-attempt-date=.+"
	# RET=HDRS: the header only
	assert_line "part3=text/rfc822-headers"
	assert_line "original.headers-only=True"
}

@test "no notice for a message from <>; logged" {
	start_sink sink 127.0.0.2:$PORT --rcpt "bad@remote.test=550 5.1.1 no such user"
	submit "" bad@remote.test
	relay
	run queue_files
	assert_output ""
	run notice_file
	assert_output ""
	grep -q "from <>: 1 recipient(s) failed, no notice sent" "$T/relay.log"
}

@test "NOTIFY=NEVER: no notice; NOTIFY=SUCCESS to a server without DSN: a 'relayed' notice" {
	start_sink sink 127.0.0.2:$PORT --rcpt "bad@remote.test=550 5.1.1 no such user"
	RCPT_PARAMS=" NOTIFY=NEVER" submit alice@example.org bad@remote.test
	relay
	run notice_file
	assert_output ""
	RCPT_PARAMS=" NOTIFY=SUCCESS" submit alice@example.org good@remote.test
	relay
	run $PY "$SRCDIR/tests/relay/check_dsn.py" "$(notice_file)"
	assert_line "rcpt1.action=relayed"
	assert_line "rcpt1.status=2.0.0"
	assert_line "part3=message/rfc822"
	assert_line "original.body=hello"
}

@test "a 421 greeting defers, and the destination is not tried again in the same run" {
	RELAY_CONF+=('concurrency = 1')
	write_conf
	start_sink sink 127.0.0.2:$PORT --greeting "421 4.3.2 busy, come back later"
	submit alice@example.org a@remote.test
	submit alice@example.org b@remote.test
	submit alice@example.org c@remote.test
	run relay
	assert_success
	assert_equal "$(sink_connections sink)" 1
	run find "$T/spool/outgoing/cur" -type f
	assert_equal "${#lines[@]}" 3
	grep -q "greeted with 421 4.3.2 busy, come back later" "$T/relay.log"
	[ "$(grep -c 'failed earlier in this run' "$T/relay.log")" -eq 2 ]
}

@test "connection refused defers (4.4.1); a dropped connection after the dot is sent again next time" {
	submit alice@example.org a@remote.test
	relay
	name=$(ls "$T/spool/outgoing/cur")
	grep -q "^R 0 T 451 4.4.1 $NOW - .*Connection refused" "$T/spool/outgoing/state/$name"
	start_sink sink 127.0.0.2:$PORT --drop-after-dot
	NOW=$((NOW + 100)) relay
	assert_equal "$(sink_count sink)" 1
	grep -q "^R 0 T 451 4.4.2 $((NOW + 100)) " "$T/spool/outgoing/state/$name"
	stop_sinks
	start_sink sink2 127.0.0.2:$PORT
	NOW=$((NOW + 1000)) relay
	assert_equal "$(sink_count sink2)" 1
	run queue_files
	assert_output ""
}

@test "SMTPUTF8 mail to a server without SMTPUTF8 fails for good (RFC 6531 §3.5), 5.6.7" {
	start_sink sink 127.0.0.2:$PORT --no-smtputf8
	MAIL_PARAMS=" SMTPUTF8" submit alice@example.org "j\xc3\xb6rg@remote.test"
	relay
	assert_equal "$(sink_count sink)" 0
	run queue_files
	assert_output ""
	run $PY "$SRCDIR/tests/relay/check_dsn.py" "$(notice_file)"
	assert_line "part2=message/global-delivery-status"
	assert_line "rcpt1.status=5.6.7"
}

@test "delayWarning: one \"delayed\" notice once the message has waited that long, never a second" {
	RELAY_CONF=("gateway = { \"127.0.0.2:$PORT\" }" 'startTLS = false' 'delayTime = "1 minute, 10*5 minutes"'
		'delayWarning = "10 minutes"')
	write_conf
	start_sink sink 127.0.0.2:$PORT --rcpt "grey@remote.test=451 4.7.1 greylisted"
	submit alice@example.org grey@remote.test
	start=$NOW
	relay
	# tries at +0 s and +400 s: not waited 10 minutes yet
	NOW=$((start + 400)) relay
	assert_equal "$(sink_connections sink)" 2
	assert_equal "$(notice_file)" ""
	# +1100 s: past delayWarning, one notice
	NOW=$((start + 1100)) relay
	assert_equal "$(sink_connections sink)" 3
	run notice_file
	assert_equal "${#lines[@]}" 1
	run $PY "$SRCDIR/tests/relay/check_dsn.py" "$(notice_file)"
	assert_line "report-type=delivery-status"
	assert_line "rcpt1.final-recipient=rfc822; grey@remote.test"
	assert_line "rcpt1.action=delayed"
	assert_line "rcpt1.status=4.7.1"
	refute_line --partial "rcpt2."
	name=$(ls "$T/spool/outgoing/cur")
	run grep -c "^W " "$T/spool/outgoing/state/$name"
	assert_output 1
	# +1500 s: tried again, still waiting; no second notice
	NOW=$((start + 1500)) relay
	assert_equal "$(sink_connections sink)" 4
	run notice_file
	assert_equal "${#lines[@]}" 1
	run grep -c "^W " "$T/spool/outgoing/state/$name"
	assert_output 1
}
