#!/usr/bin/env bats
# The "MX with rspamd" recipe with the real rspamd 3.4 from Debian: one
# MilterHandler to a private rspamd proxy worker in milter mode (minimal
# configuration: self-scanning proxy, no Redis, no DNS, GTUBE test
# patterns on), on a free loopback port, started and stopped here.

load helpers

setup_file() {
	R=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/rspamd.XXXXXX")
	RSPAMD_PORT=$(free_port)
	export R RSPAMD_PORT
	printf '%s\n' org net test example >"$R/tld.dat"	# small: compiled at start
	cat >"$R/rspamd.conf" <<-EOF
		options {
		  pidfile = "$R/rspamd.pid";
		  dbdir = "$R";
		  hs_cache_dir = "$R";
		  url_tld = "$R/tld.dat";
		  enable_test_patterns = true;
		  dns { nameserver = ["127.0.0.1:9"]; timeout = 0.1s; retransmits = 0; }
		}
		logging { type = "file"; filename = "$R/rspamd.log"; level = "notice"; }
		actions { reject = 15; add_header = 6; greylist = 4; }
		worker "rspamd_proxy" {
		  bind_socket = "127.0.0.1:$RSPAMD_PORT";
		  milter = yes;
		  upstream "local" { default = yes; self_scan = yes; }
		  timeout = 120s;
		  count = 1;
		}
	EOF
	rspamd -f -u "$(id -un)" -g "$(id -gn)" -i -c "$R/rspamd.conf" \
		--var DBDIR="$R" --var RUNDIR="$R" >"$R/out" 2>&1 3>&- &
	echo $! >"$R/main.pid"
	for _ in $(seq 600); do
		(exec 3<>"/dev/tcp/127.0.0.1/$RSPAMD_PORT") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "rspamd did not start:" >&2
	cat "$R/out" "$R/rspamd.log" >&2
	return 1
}

teardown_file() {
	if [ -f "$R/main.pid" ]; then
		kill "$(cat "$R/main.pid")" 2>/dev/null || true
		wait "$(cat "$R/main.pid")" 2>/dev/null || true
	fi
	rm -rf "$R"
}

setup() {
	setup_smtpd
	milter_conf "handler \"MilterHandler\" { socket = \"inet:127.0.0.1:$RSPAMD_PORT\" }"
}

teardown() {
	teardown_smtpd
}

# message BODYLINE: one message from outside to alice, with BODYLINE.
message() {
	PEER=192.0.2.20 smtp "EHLO mail.remote.example" "MAIL FROM:<sender@remote.example>" "RCPT TO:<alice@example.org>" \
		"DATA" "From: sender@remote.example" "To: alice@example.org" "Subject: test" \
		"Message-ID: <$RANDOM@remote.example>" "" "$1" "." "QUIT"
}

GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
GTUBE_ADD_HEADER='YJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

@test "rspamd: GTUBE is rejected at the end of data with rspamd's reply, nothing stored" {
	run message "$GTUBE"
	assert_line --regexp '^554 5\.7\.1 .*'
	refute_line --partial "queued as"
	[ -z "$(all_mail_files)" ]
}

@test "rspamd: the add-header GTUBE is stored, with rspamd's header" {
	run message "$GTUBE_ADD_HEADER"
	assert_line --partial "250 2.0.0 OK: queued as"
	run grep -c $'^X-Spam: Yes\r$' "$(one_message alice@example.org)"
	assert_output 1
}

@test "rspamd: a clean message is stored unchanged" {
	run message "Hello, this is a perfectly ordinary message."
	assert_line --partial "250 2.0.0 OK: queued as"
	f=$(one_message alice@example.org)
	run grep -c '^X-Spam' "$f"
	assert_output 0
	grep -q 'perfectly ordinary' "$f"
}

@test "rspamd: a spammer's own X-Spam: No does not survive: rspamd changes it" {
	PEER=192.0.2.20 run smtp "EHLO mail.remote.example" "MAIL FROM:<sender@remote.example>" \
		"RCPT TO:<alice@example.org>" "DATA" "From: sender@remote.example" "X-Spam: No" \
		"Subject: test" "" "$GTUBE_ADD_HEADER" "." "QUIT"
	assert_line --partial "250 2.0.0 OK: queued as"
	run grep '^X-Spam' "$(one_message alice@example.org)"
	assert_output $'X-Spam: Yes\r'
}
