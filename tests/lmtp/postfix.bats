#!/usr/bin/env bats
# Real Postfix as the LMTP client: a private instance (its own
# config_directory, queue and data directories, smtpd on a free port of
# 127.0.0.1) whose virtual transport is lmtp:unix:<lmtpd's socket>.  The
# system's Postfix is never touched.

load helpers
load ../lib/postfix

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "a Postfix instance is started by root"
	command -v postfix >/dev/null || { echo "postfix is not installed (.ci/deps.sh)" >&2; return 1; }
	# Postfix's lmtp client runs as the postfix user: the directory must
	# be searchable and the socket writable by it.
	PF=$(mktemp -d /tmp/lmtp-postfix.XXXXXX)
	chmod 755 "$PF"
	export PF
	PF_PORT=$(free_port)
	export PF_PORT
	T=$PF make_store "$PF"
	postfix_instance_write "$PF" "$PF_PORT" \
		'default_transport = error:no remote delivery in tests' \
		'virtual_mailbox_domains = example.org' \
		"virtual_transport = lmtp:unix:$PF/lmtp.sock"
	T=$PF start_activated "$PF/lmtp.sock" "$LMTPD" -c "$PF/lmtpd.conf" --log=stderr
	echo "${ACTIVATED_PIDS[*]}" > "$PF/ssa.pids"
	chmod 666 "$PF/lmtp.sock"
	postfix -c "$PF/conf" start
}

teardown_file() {
	[ -n "${PF:-}" ] || return 0
	postfix_instance_stop "$PF"
	read -r -a ACTIVATED_PIDS 2>/dev/null <"$PF/ssa.pids" || ACTIVATED_PIDS=()
	stop_activated
	rm -rf "$PF"
}

setup() {
	T=$PF
	rm -rf "$PF/mail"
	mkdir -p "$PF/mail"
}

# submit RCPT...: a message to Postfix's smtpd with smtplib.
submit() {
	python3 - "$PF_PORT" "$@" <<'PY'
import smtplib, sys
port, rcpts = int(sys.argv[1]), sys.argv[2:]
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.sendmail("sender@postfix.test", rcpts,
               b"Subject: through postfix\r\n\r\nhello from postfix\r\n")
PY
}

# wait_for COMMAND...: until it succeeds, at most 30 s.
wait_for() {
	postfix_wait "$PF" "$@"
}

has_copy() {
	[ -n "$(delivered "$1")" ]
}

@test "Postfix delivers to two recipients through lmtpd over a UNIX socket" {
	submit alice@example.org bob@example.org
	wait_for has_copy alice
	wait_for has_copy bob
	local f
	f=$(delivered alice)
	run sed -n 1,3p "$f"
	assert_line --index 0 $'Return-Path: <sender@postfix.test>\r'
	assert_line --index 1 $'Delivered-To: alice@example.org\r'
	assert_line --index 2 $'Received: from postfix.test\r'
	run cat "$f"
	assert_output --partial 'with LMTP id'
	assert_output --partial 'by postfix.test (Postfix) with ESMTP'
	assert_output --partial 'hello from postfix'
	wait_for grep -q 'to=<bob@example.org>.*status=sent (250 2.0.0 <bob@example.org> delivered' "$PF/maillog"
}

@test "Postfix defers the one recipient lmtpd could not store, and delivers it on retry, once" {
	mkdir -p "$PF/mail/example.org"
	: > "$PF/mail/example.org/bob"		# bob's maildir cannot be created
	submit alice@example.org bob@example.org carol@example.org
	wait_for has_copy alice
	wait_for has_copy carol
	wait_for grep -q 'to=<bob@example.org>.*status=deferred.*451 4.3.0' "$PF/maillog"
	rm "$PF/mail/example.org/bob"
	postqueue -c "$PF/conf" -f
	wait_for has_copy bob
	# alice and carol were not delivered again
	[ "$(delivered alice | wc -l)" -eq 1 ]
	[ "$(delivered carol | wc -l)" -eq 1 ]
	[ "$(delivered bob | wc -l)" -eq 1 ]
}

@test "Postfix bounces an unknown recipient on lmtpd's 550 5.1.1" {
	submit nobody@example.org alice@example.org
	wait_for has_copy alice
	wait_for grep -q 'to=<nobody@example.org>.*dsn=5.1.1, status=bounced' "$PF/maillog"
}
