#!/usr/bin/env bats
# The command line: --check, --version, --help, bad options (exit 64),
# configuration errors (exit 78, file:line), -s block selection.

load helpers

setup() { setup_smtpd; }
teardown() { teardown_smtpd; }

@test "--check accepts the configuration contract" {
	run "$SMTPD" --check -c "$SRCDIR/config/smtpd.conf.contract"
	assert_success
	assert_line --regexp "smtpd\.conf\.contract: OK \([0-9]+ warnings?\)$"
	refute_output --partial "error"
}

@test "--check accepts the test configuration without warnings" {
	run "$SMTPD" --check -c "$CONF"
	assert_success
	assert_output "$CONF: OK (0 warnings)"
}

@test "--check reports every mistake as file:line and exits 78" {
	cat >"$CONF" <<-EOF
		domains = { "example.org", "not a domain" }
		mailboxes = "$T/mail/shared"
		smtpserver "smtp" {
		  handler {
		    maxmessagesize = -1
		    connectionTimeout = 0
		    authRequired = maybe
		    handlerchain {
		      handler "NoSuchHandler" { }
		    }
		  }
		}
	EOF
	run "$SMTPD" --check -c "$CONF"
	assert_equal "$status" 78
	assert_line "$CONF:1: domains: 'not a domain' is not a domain name"
	assert_line --partial "$CONF:2: mailboxes: '$T/mail/shared' has neither %n nor %u"
	assert_line "$CONF:5: maxmessagesize must not be negative"
	assert_line "$CONF:6: connectionTimeout must be a positive number of seconds"
	assert_line "$CONF:7: authRequired must be true, false or announce, not 'maybe'"
	assert_line --partial "$CONF:9: handlerchain: unknown handler 'NoSuchHandler'"
}

@test "--check on a missing file exits 78" {
	run "$SMTPD" --check -c "$T/missing.conf"
	assert_equal "$status" 78
	assert_output "$T/missing.conf: cannot read: No such file or directory"
}

@test "--check -s with an unknown block exits 78" {
	run "$SMTPD" --check -c "$CONF" -s nosuch
	assert_equal "$status" 78
	assert_output --partial "no smtpserver \"nosuch\""
}

@test "--version and --help exit 0" {
	run "$SMTPD" --version
	assert_success
	assert_output --regexp '^smtpd [0-9]+\.[0-9]+\.[0-9]+$'
	run "$SMTPD" -V
	assert_success
	run "$SMTPD" --help
	assert_success
	assert_line --index 0 "Usage: smtpd [-c FILE] [-s NAME] [--check [--user=USER]] [--log=TARGET]"
	assert_output --partial "--check"
}

@test "bad options, bad --log target and stray arguments exit 64" {
	run "$SMTPD" --bogus
	assert_equal "$status" 64
	assert_output --partial "Usage: smtpd"
	run "$SMTPD" -x
	assert_equal "$status" 64
	run "$SMTPD" -c "$CONF" --log=nowhere
	assert_equal "$status" 64
	assert_output "smtpd: --log: unknown target 'nowhere'"
	run "$SMTPD" -c "$CONF" extra
	assert_equal "$status" 64
	assert_line --index 0 "smtpd: unexpected argument 'extra'"
	run "$SMTPD" -c
	assert_equal "$status" 64
}

@test "-s selects one of several enabled blocks; without it, 421 and the reason" {
	cat >>"$CONF" <<-'EOF'
		smtpserver "other" {
		  handler {
		    helloName = "other.test.example"
		    smtpGreeting = "other listener"
		  }
		}
	EOF
	run smtp QUIT
	assert_line --index 0 "421 4.3.0 Service not available: configuration error, closing connection"
	run cat "$T/log"
	assert_output --partial "2 enabled smtpserver blocks, choose one with -s: smtp other"
	printf 'EHLO client.test\r\nQUIT\r\n' | REMOTE_ADDR=127.0.0.1 "$SMTPD" -c "$CONF" -s other --log=stderr >"$T/out" 2>"$T/log"
	run tr -d '\r' <"$T/out"
	assert_line --index 0 "220 other listener"
	assert_line --index 1 "250-other.test.example Hello client.test [127.0.0.1]"
	printf 'QUIT\r\n' | "$SMTPD" --config="$CONF" --server=smtp --log=stderr >"$T/out" 2>"$T/log"
	run tr -d '\r' <"$T/out"
	assert_line --index 0 "220 $HELO_NAME ESMTP smtpd ready"
}

@test "comments anywhere in the configuration are fine" {
	cat >"$CONF" <<-EOF
		# leading comment
		domains = { "example.org", # inside a list
		            "example.net" }
		users = "$T/users"   // C++ style
		/* block
		   comment */
		mailboxes = "$T/mail/%d/%n"
		spool = "$T/spool"
		smtpserver "smtp" { handler { helloName = "$HELO_NAME" } }
	EOF
	run "$SMTPD" --check -c "$CONF"
	assert_success
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<bob@example.net>" DATA "x" . QUIT
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	one_message bob@example.net
}
