#!/usr/bin/env bats
# End to end: swaks submits with AUTH to smtpd (systemd-socket-activate,
# one smtpd per connection as under the units), smtpd spools the relayed
# message, the command of the smtpd-relay.service that `smtpd-config
# units` writes runs (what smtpd-relay.path starts), and a private Postfix
# instance on another loopback port (its own config, queue and data
# directories; the system's Postfix is never touched), the smarthost here,
# delivers it into a maildir with virtual(8).  Its copy is what swaks
# sent plus the trace headers, byte for byte.

load ../lib/common
load ../lib/postfix

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "a Postfix instance is started by root"
	command -v postfix >/dev/null || { echo "postfix is not installed (.ci/deps.sh)" >&2; return 1; }
	command -v swaks >/dev/null || { echo "swaks is not installed (.ci/deps.sh)" >&2; return 1; }
	PF=$(mktemp -d /tmp/relay-postfix.XXXXXX)
	export PF
	PF_PORT=$(free_port)
	export PF_PORT
	postfix_instance_write "$PF" "$PF_PORT" \
		'default_transport = error:no remote delivery in tests' \
		'virtual_mailbox_domains = remote.test' \
		"virtual_mailbox_base = $PF/vmail" \
		'virtual_mailbox_maps = static:box/' \
		"virtual_uid_maps = static:$(id -u postfix)" \
		"virtual_gid_maps = static:$(id -g postfix)" \
		'virtual_minimum_uid = 1'
	mkdir -p "$PF/vmail"
	chown postfix:postfix "$PF/vmail"
	postfix -c "$PF/conf" start
}

teardown_file() {
	[ -n "${PF:-}" ] || return 0
	postfix_instance_stop "$PF"
	rm -rf "$PF"
}

setup() {
	T=$BATS_TEST_TMPDIR
	conf_store "$T" "$(printf 'secret\n' | "$SMTPD_PASSWD" alice@example.org)"
	PORT=$(free_port 127.0.0.2)
	{
		conf_head "$T" example.org
		cat <<-CONF
			smtpserver "sub" {
			  bind = { "127.0.0.2:$PORT" }
			  handler {
			    helloName = "mx.example.org"
			    authRequired = true
			    authorizedAddresses = { "127.0.0.1/32" }
			  }
			}
			remoteDelivery {
			  heloName = "relay.example.org"
			  gateway = { "127.0.0.1:$PF_PORT" }
			  startTLS = false
			}
		CONF
	} >"$T/smtpd.conf"
	activate "127.0.0.2:$PORT" "$T/smtpd.log" "$SMTPD" -c "$T/smtpd.conf" --log=stderr
}

teardown() {
	activate_stop
}

has_copy() {
	[ -n "$(find "$PF/vmail/box/new" -type f 2>/dev/null)" ]
}

@test "swaks (AUTH) -> smtpd -> spool -> smtpd-relay (the unit's command) -> Postfix: the same bytes plus trace headers" {
	# a leading dot (dot-stuffed on every hop), a long line, no % (swaks tokens)
	printf '%s\n' 'From: Alice <alice@example.org>' 'To: <friend@remote.test>' \
		'Subject: end to end' 'Date: Wed, 02 Dec 2026 12:00:00 +0000' \
		'Message-ID: <e2e.1@example.org>' '' 'Hello,' '.a line with a leading dot' \
		"$(printf 'x%.0s' $(seq 200))" '' '-- ' 'alice' >"$T/msg"
	# swaks ends the data with CRLF before the dot: a file that ends with
	# a newline would get a blank line more on the wire
	truncate -s -1 "$T/msg"
	run swaks --server 127.0.0.2:$PORT --local-interface 127.0.0.2 --helo client.test \
		--from alice@example.org --to friend@remote.test \
		--auth PLAIN --auth-user alice@example.org --auth-password secret \
		--data "@$T/msg" --timeout 10
	assert_success
	assert_output --partial '235 2.7.0 Authentication successful'
	run find "$T/spool/outgoing/new" -type f
	assert_equal "${#lines[@]}" 1
	# what smtpd-relay.path starts: the generated service's ExecStart=
	mkdir "$T/units"
	run "$SMTPD_CONFIG" units -c "$T/smtpd.conf" -o "$T/units" --smtpd="$SMTPD"
	assert_success
	cmd=$(sed -n 's/^ExecStart=//p' "$T/units/smtpd-relay.service")
	[ "${cmd%% *}" = "$SMTPD_RELAY" ]
	run $cmd --log=stderr
	assert_success
	assert_output --regexp "to=<friend@remote\.test> relay=127\.0\.0\.1\[127\.0\.0\.1\] status=sent 250 "
	run find "$T/spool/outgoing/new" "$T/spool/outgoing/cur" "$T/spool/outgoing/state" -type f
	assert_output ""
	postfix_wait "$PF" has_copy
	got=$(find "$PF/vmail/box/new" -type f)
	# Postfix's delivery and trace headers, then ours, then the message
	run grep -n -m1 '^From: Alice' "$got"
	assert_success
	n=${output%%:*}
	head -n $((n - 1)) "$got" >"$T/trace"
	run grep -v -E '^(Return-Path|X-Original-To|Delivered-To|Received): |^[[:space:]]' "$T/trace"
	assert_output ""
	run grep -E '^Received: from ' "$T/trace"
	assert_line --index 0 --partial 'from relay.example.org (localhost [127.0.0.1])'
	assert_line --index 1 --regexp '^Received: from client\.test .*127\.0\.0\.2'
	grep -q 'with ESMTPA' "$T/trace"
	grep -q '^Delivered-To: friend@remote.test$' "$T/trace"
	tail -n +"$n" "$got" >"$T/body"
	# the maildir copy has LF line ends (Postfix's)
	{ cat "$T/msg"; echo; } >"$T/want"
	cmp "$T/want" "$T/body" || { diff "$T/want" "$T/body" >&2; return 1; }
	grep -q 'to=<friend@remote.test>.*status=sent (delivered to maildir)' "$PF/maillog"
}
