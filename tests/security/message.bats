#!/usr/bin/env bats
# Message and header integrity (issue 12, items 9-12): the first DATA line
# can never continue our Received:, a message with no header section gets
# the empty line after our trace fields, HELO address literals are
# validated before they reach Received:, SIZE has at most 20 digits, NUL in
# DATA is refused.  A private Dovecot (doveadm fetch) reads what we stored.

load "$BATS_TEST_DIRNAME/../bats/helpers"

setup() {
	setup_smtpd
	DV=
}

teardown() {
	if [ -n "$DV" ]; then
		stop_dovecot
		rm -rf "$DV"
	fi
	teardown_smtpd
}

# send_data FORMAT: one message to alice@example.org, its text the printf
# FORMAT (without the final dot).
send_data() {
	smtp_raw "EHLO client.test\r\nMAIL FROM:<s@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n$1.\r\nQUIT\r\n"
}

# py_header FILE NAME: every NAME field of FILE as Python's email parser
# reads it (unfolded), one per line; then "BODY:" and the body.
py_parse() {
	python3 - "$1" "$2" <<-'EOF'
		import email, email.policy, sys
		m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.compat32)
		for v in m.get_all(sys.argv[2]) or []:
		    print(sys.argv[2] + ": " + " ".join(v.split()))
		print("BODY:" + m.get_payload().replace("\r", ""))
	EOF
}

# dovecot_fetch ADDR FIELDS: doveadm fetch FIELDS of every message in
# ADDR's maildir, read by a private Dovecot (no listeners, its own base
# dir; the maildir is copied where the unprivileged mail user can read it).
dovecot_fetch() {
	command -v dovecot >/dev/null || { echo "dovecot-core is not installed (.ci/deps.sh)" >&2; return 1; }
	local dom=${1#*@} user=${1%@*} i
	DV=$(mktemp -d /tmp/smtpd-dovecot.XXXXXX)
	chmod 755 "$DV"
	cp -r "$T/mail/$dom/$user" "$DV/md"
	chown -R nobody:nogroup "$DV/md"
	cat >"$DV/dovecot.conf" <<-EOF
		log_path = $DV/log
		base_dir = $DV/run
		state_dir = $DV/state
		protocols =
		ssl = no
		first_valid_uid = 1
		default_internal_user = root
		default_login_user = root
		default_internal_group = root
		userdb {
		  driver = static
		  args = uid=nobody gid=nogroup home=$DV/home mail=maildir:$DV/md:INDEX=MEMORY
		}
		passdb {
		  driver = static
		  args = nopassword
		}
	EOF
	# its own descriptors: a daemon holding bats' pipes would hang `run`
	dovecot -c "$DV/dovecot.conf" </dev/null >/dev/null 2>&1
	for i in $(seq 100); do
		[ -S "$DV/run/auth-userdb" ] && break
		sleep 0.05
	done
	local rc=0
	doveadm -c "$DV/dovecot.conf" fetch -u "$user" "$2" all || rc=$?
	stop_dovecot
	return $rc
}

stop_dovecot() {
	local pid i
	[ -n "$DV" ] && [ -f "$DV/run/master.pid" ] || return 0
	pid=$(cat "$DV/run/master.pid")
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
}

# ---- item 9 ---------------------------------------------------------------

# the stored file from our Received: on, CR removed: the 2 lines after
# our 4-line trace field (one recipient: "for <...>" on its own line)
trace_end() {
	tr -d '\r' <"$1" | sed -n '/^Received:/,$p' | sed -n '5,6p'
}

@test "9: a first line starting with SP or HT never continues our Received:" {
	local f lead
	for lead in ' ' '\t'; do
		rm -rf "$T/mail/example.org"
		run send_data "${lead}X: y\r\nbody\r\n"
		assert_line --partial '250 2.0.0 OK: queued'
		f=$(one_message alice@example.org)
		run py_parse "$f" Received
		refute_line --regexp '^Received:.*X: y'
		assert_line --regexp $'^BODY:[ \t]X: y$'
		# our trace field, the empty line, the text
		run trace_end "$f"
		assert_equal "$output" "$(printf '\n%bX: y' "$lead")"
	done
	# what Dovecot makes of the last one
	run dovecot_fetch alice@example.org 'hdr.received body'
	assert_success
	run bash -c 'sed -n "/^hdr.received:/,/^body:/p" <<<"$1"' _ "$output"
	refute_output --partial 'X: y'
	assert_output --partial 'body:'
}

@test "9: a message with no header section gets the empty line after our headers" {
	run send_data 'hello world\r\nsecond line\r\n'
	assert_line --partial '250 2.0.0 OK: queued'
	f=$(one_message alice@example.org)
	run trace_end "$f"
	assert_equal "$output" $'\nhello world'
	run dovecot_fetch alice@example.org 'hdr body'
	assert_success
	assert_output --partial $'body:\nhello world'
}

@test "9: a message with headers is stored as it came (no empty line added)" {
	run send_data 'Subject: x\r\n\r\nbody\r\n'
	assert_line --partial '250 2.0.0 OK: queued'
	f=$(one_message alice@example.org)
	assert_equal "$(trace_end "$f" | tr '\n' '|')" 'Subject: x||'
	# an empty first line: already separated, nothing added
	rm -rf "$T/mail/example.org"
	run send_data '\r\nbody only\r\n'
	f=$(one_message alice@example.org)
	run trace_end "$f"
	assert_equal "$output" $'\nbody only'
}

# ---- item 10 --------------------------------------------------------------

@test "10: HELO/EHLO address literals outside RFC 5321 4.1.3 are refused, never in Received:" {
	local lit
	for lit in '[x:a);by(evil.example;]' '[x-tag:content]' '[IPv6:::1);by(x]' '[1.2.3.4;]' '[tag:(comment)]'; do
		for verb in EHLO HELO; do
			run smtp "$verb $lit" 'MAIL FROM:<s@client.test>' 'RCPT TO:<alice@example.org>' DATA 'Subject: x' '' 'b' . QUIT
			assert_line --index 1 '501 5.5.2 Invalid domain name or address literal'
		done
	done
	[ -z "$(all_mail_files)" ]
	# the registered forms still work and reach Received: as sent
	run smtp 'EHLO [IPv6:2001:db8::1]' 'MAIL FROM:<s@client.test>' 'RCPT TO:<alice@example.org>' DATA 'Subject: x' '' 'b' . QUIT
	assert_line --partial '250 2.0.0 OK: queued'
	grep -q '^Received: from \[IPv6:2001:db8::1\] ' "$(one_message alice@example.org)"
}

# ---- item 11 --------------------------------------------------------------

@test "11: SIZE= with more than 20 digits is 501 5.5.4 (RFC 1870), 20 digits are fine" {
	run smtp 'EHLO c' 'MAIL FROM:<a@t.example> SIZE=99999999999999999999999' 'MAIL FROM:<a@t.example> SIZE=000000000000000000001' \
		'MAIL FROM:<a@t.example> SIZE=00000000000000000001' QUIT
	assert_line --index 6 '501 5.5.4 Invalid parameter value'
	assert_line --index 7 '501 5.5.4 Invalid parameter value'
	assert_line --index 8 '250 2.1.0 Sender OK'
}

# ---- item 12 --------------------------------------------------------------

@test "12: NUL in DATA is refused with 554 5.6.0, nothing stored, the session goes on" {
	local where
	for where in 'Subject: a\0b\r\n\r\nbody\r\n' 'Subject: x\r\n\r\nbo\0dy\r\n' '\0\r\n'; do
		rm -rf "$T/mail/example.org"
		run smtp_raw "EHLO c\r\nMAIL FROM:<s@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n${where}.\r\nMAIL FROM:<s@client.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: clean\r\n\r\nok\r\n.\r\nQUIT\r\n"
		assert_line --index 9 '554 5.6.0 NUL character in message text not accepted'
		assert_line --index 13 --partial '250 2.0.0 OK: queued'
		run grep -c 'Subject: clean' "$(one_message alice@example.org)"
		assert_output 1
	done
	grep -q 'NUL octet in DATA from \[127.0.0.1\], rejected' "$T/logs"
	# a Dovecot reading the store sees only the clean message
	run dovecot_fetch alice@example.org 'hdr.subject'
	assert_success
	assert_output --partial 'clean'
}
