#!/usr/bin/env bats
# Listener isolation (issue 11): a session (-s NAME) checks only the
# global keys and its own listener.  Another listener's unreadable or
# missing TLS key, or a bad value in its block, neither stops this one
# nor fills its log; that listener's own sessions still refuse with 421
# and the file:line reason; --check still reports everything.
#
# The sessions run as user nobody (setpriv), as the units run them as
# smtpd: root could read a mode 0000 key.  So the test directory is a
# world-searchable one of its own, removed in teardown.

load ../lib/common

setup() {
	D=$(mktemp -d /tmp/isolation.XXXXXX)
	chmod 755 "$D"
	CONF=$D/smtpd.conf
	conf_store "$D" 'alice@example.org:'
	chown nobody:nogroup "$D/mail" "$D/spool"
	printf 'not a certificate\n' >"$D/cert.pem"
	printf 'not a key\n' >"$D/key.pem"
	chmod 644 "$D/cert.pem"
	chmod 000 "$D/key.pem"
	KEY=$D/key.pem
	OTHER_EXTRA=
}

teardown() {
	rm -rf "$D"
}

# the configuration: smtp (plain) on line 7, submission with its TLS key
# on line 13, lmtp; OTHER_EXTRA goes into submission's block
write_conf() {
	{
		conf_head "$D" example.org
		cat <<-EOF
			smtpserver "smtp" {
			  handler { helloName = "mx.test.example" }
			}
			smtpserver "submission" {
			  tls {
			    startTLS = true
			    certificates = "$D/cert.pem"
			    privateKey = "$KEY"
			  }
			  $OTHER_EXTRA
			  handler { helloName = "submission.test.example" }
			}
			lmtpserver "lmtp" {
			  handler { helloName = "lmtp.test.example" }
			}
		EOF
	} >"$CONF"
}

# session PROGRAM LISTENER LINE...: one session over pipes as user nobody;
# replies (CR removed) on stdout, its log in $D/log
session() {
	local prog=$1 name=$2
	shift 2
	printf '%s\r\n' "$@" |
		REMOTE_ADDR=127.0.0.1 setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$prog" -c "$CONF" -s "$name" --log=stderr 2>"$D/log" | tr -d '\r'
}

message() {
	printf '%s\n' "$@" "From: a@example.net" "Subject: isolation" "" "hello" "."
}

delivered() {
	find "$D/mail/example.org/alice/new" -type f | wc -l
}

@test "another listener's unreadable key: smtp greets and delivers, no word about it" {
	write_conf
	mapfile -t msg < <(message)
	run session "$SMTPD" smtp "EHLO client.test" "MAIL FROM:<a@example.net>" \
		"RCPT TO:<alice@example.org>" DATA "${msg[@]}" QUIT
	assert_line --index 0 "220 mx.test.example ESMTP smtpd ready"
	assert_line --regexp '^250 2\.0\.0 .*queued'
	assert_equal "$(delivered)" 1
	run cat "$D/log"
	refute_output --partial "key.pem"
	refute_output --partial "config:"
}

@test "the listener with the unreadable key still refuses: 421 and file:line" {
	write_conf
	run session "$SMTPD" submission QUIT
	assert_line --index 0 "421 4.3.0 Service not available: configuration error, closing connection"
	run cat "$D/log"
	assert_output --partial "$CONF:13: privateKey file $KEY is not readable"
}

@test "another listener's unreadable key: lmtpd delivers" {
	write_conf
	mapfile -t msg < <(message)
	run session "$LMTPD" lmtp "LHLO client.test" "MAIL FROM:<a@example.net>" \
		"RCPT TO:<alice@example.org>" DATA "${msg[@]}" QUIT
	assert_line --index 0 --regexp '^220 lmtp\.test\.example '
	assert_line --regexp '^250 2\.0\.0 '
	refute_line --regexp '^(421|4[0-9][0-9]|5[0-9][0-9]) '
	assert_equal "$(delivered)" 1
	run cat "$D/log"
	refute_output --partial "key.pem"
}

@test "another listener's missing key: no warning in this session's log" {
	KEY=$D/missing.pem
	write_conf
	run session "$SMTPD" smtp "EHLO client.test" QUIT
	assert_line --index 0 "220 mx.test.example ESMTP smtpd ready"
	run cat "$D/log"
	refute_output --partial "missing.pem"
	# that listener's own sessions still say it
	run session "$SMTPD" submission QUIT
	run cat "$D/log"
	assert_output --partial "$CONF:13: warning: privateKey file $D/missing.pem does not exist"
}

@test "a bad value in another block is a warning here, a 421 there" {
	OTHER_EXTRA='bind = { "nonsense" }'
	chmod 644 "$KEY"
	write_conf
	run session "$SMTPD" smtp "EHLO client.test" QUIT
	assert_line --index 0 "220 mx.test.example ESMTP smtpd ready"
	run cat "$D/log"
	assert_output --partial "$CONF:15: warning: bind: 'nonsense' is not ADDRESS:PORT"
	run session "$SMTPD" submission QUIT
	assert_line --index 0 "421 4.3.0 Service not available: configuration error, closing connection"
	run cat "$D/log"
	assert_output --partial "$CONF:15: bind: 'nonsense' is not ADDRESS:PORT"
}

@test "a syntax error anywhere still stops every session" {
	OTHER_EXTRA='nosuchkey = 1'
	chmod 644 "$KEY"
	write_conf
	run session "$SMTPD" smtp QUIT
	assert_line --index 0 "421 4.3.0 Service not available: configuration error, closing connection"
}

@test "--check (no -s) still reports the other listener's key, exit 78" {
	write_conf
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$SMTPD" -c "$CONF" --check
	assert_failure 78
	assert_line "$CONF:13: privateKey file $KEY is not readable"
}
