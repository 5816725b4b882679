#!/usr/bin/env bats
# smtpd-config check is smtpd --check: the same messages and exit codes;
# and the command line of smtpd-config itself.

load common

setup() {
	T=$BATS_TEST_TMPDIR
	: >"$T/users"
	cat >"$T/good.conf" <<-EOF
	domains = { "example.org" }
	users = "$T/users"
	smtpserver "smtp" { bind = { "127.0.0.1:25" } }
	EOF
	cat >"$T/bad.conf" <<-EOF
	domains = { "example.org" }
	users = "$T/missing-users"
	smtpserver "smtp" {
	  bind = { "127.0.0.1" }
	  handler { authRequired = "maybe" }
	}
	EOF
}

# same FILE: smtpd-config check and smtpd --check agree on stderr and
# status (the user named: as root, smtpd-config check would check for
# user smtpd where it exists; checkuser.bats tests that)
same() {
	run --separate-stderr "$SMTPD" -c "$1" --check --user "$(id -un)"
	local want_status=$status want_err=$stderr
	run --separate-stderr "$SMTPD_CONFIG" check -c "$1" --user "$(id -un)"
	assert_equal "$status" "$want_status"
	assert_equal "$stderr" "$want_err"
}

@test "a good configuration: OK, exit 0, as smtpd --check" {
	same "$T/good.conf"
	assert_success
	assert_equal "$stderr" "$T/good.conf: OK (0 warnings)"
}

@test "a bad configuration: every problem, exit 78, as smtpd --check" {
	same "$T/bad.conf"
	assert_failure 78
	use_stderr
	assert_line "$T/bad.conf:2: warning: users file $T/missing-users does not exist"
	assert_line "$T/bad.conf:4: bind: '127.0.0.1' is not ADDRESS:PORT, [IPV6]:PORT or /path"
	assert_line "$T/bad.conf:5: authRequired must be true, false or announce, not 'maybe'"
}

@test "the contract configuration passes check" {
	run "$SMTPD_CONFIG" check -c "$SRCDIR/config/smtpd.conf.contract"
	assert_success
	assert_line --regexp 'smtpd.conf.contract: OK \([0-9]+ warnings?\)$'
}

@test "usage errors exit 64" {
	run "$SMTPD_CONFIG"
	assert_failure 64
	run "$SMTPD_CONFIG" frobnicate
	assert_failure 64
	assert_line "smtpd-config: unknown command 'frobnicate'"
	run "$SMTPD_CONFIG" check --spool=/x
	assert_failure 64
	assert_line 'smtpd-config check: --spool does not apply here'
	run "$SMTPD_CONFIG" units -c "$T/good.conf" extra
	assert_failure 64
	run "$SMTPD_CONFIG" --help
	assert_success
	assert_line --partial 'translate [OPTIONS] smtpserver.xml [lmtpserver.xml] [domainlist.xml]'
}
