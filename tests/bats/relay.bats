#!/usr/bin/env bats
# Relaying: T8 (never an open relay, whatever the address trick) and T9
# (authorized peers: the message goes to spool/outgoing/new as batch SMTP).

load helpers

setup() { setup_smtpd; }
teardown() { teardown_smtpd; }

RELAY_DENIED="550 5.7.1 Relaying denied"
NO_USER="550 5.1.1 Mailbox unavailable: no such user here"
BAD_RCPT="501 5.1.3 Bad recipient address syntax"

assert_nothing_spooled() {
	run all_spool_files
	assert_output ""
}

# ---- T8 --------------------------------------------------------------------------

@test "T8: non-local recipient from a peer outside authorizedAddresses: 550 5.7.1" {
	PEER=192.0.2.1
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<u@remote.test>" DATA QUIT
	assert_line --index 1 "250-$HELO_NAME Hello client.test [192.0.2.1]"
	assert_line --index 7 "$RELAY_DENIED"
	assert_line --index 8 "554 5.5.1 No valid recipients"
	assert_nothing_spooled
	run cat "$T/log"
	assert_output --partial "reject RCPT <u@remote.test> from [192.0.2.1]: 550 5.7.1"
}

@test "T8: address tricks never relay, even with a valid local recipient in the message" {
	PEER=192.0.2.1
	local -A want=(
		["u@remote.test"]="$RELAY_DENIED"
		["u@REMOTE.TEST"]="$RELAY_DENIED"
		["U@Remote.Test"]="$RELAY_DENIED"
		["u%remote.test@example.org"]="$NO_USER"
		["u%remote.test"]="$BAD_RCPT"
		["remote.test!u@example.org"]="$NO_USER"
		["remote.test!u"]="$BAD_RCPT"
		["@example.org:u@remote.test"]="$RELAY_DENIED"
		["@example.org,@example.net:u@remote.test"]="$RELAY_DENIED"
		['"u@remote.test"@example.org']="$NO_USER"
		['"u@remote.test"']="$BAD_RCPT"
		["u@remote.test."]="$BAD_RCPT"
		["u@example.org."]="$BAD_RCPT"
		["u@remote.test@example.org"]="$BAD_RCPT"
		["u@[192.0.2.9]"]="$RELAY_DENIED"
		["u@[127.0.0.1]"]="$RELAY_DENIED"
		["u@[IPv6:::1]"]="$RELAY_DENIED"
		["alice@remote.test"]="$RELAY_DENIED"
		["u@example.org.remote.test"]="$RELAY_DENIED"
		["u@sub.example.org"]="$RELAY_DENIED"
		["u@xexample.org"]="$RELAY_DENIED"
	)
	# one session per trick (ten errors would end a shared one, S15)
	local addr n=0
	for addr in "${!want[@]}"; do
		run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
			"RCPT TO:<$addr>" DATA "Subject: trick $n" "" "x" . QUIT
		assert_success
		assert_line --index 7 "250 2.1.5 Recipient OK"
		if [ "${lines[8]}" != "${want[$addr]}" ]; then
			echo "RCPT TO:<$addr>: got '${lines[8]}', want '${want[$addr]}'" >&2
			return 1
		fi
		assert_line --index 10 --regexp "^250 2\.0\.0 OK: queued as "
		n=$((n + 1))
	done
	# every message reached alice, and alice only; nothing left for a relay
	assert_equal "$(maildir_count alice@example.org)" "$n"
	run ls "$T/mail"
	assert_output example.org
	run ls "$T/mail/example.org"
	assert_output alice
	assert_nothing_spooled
}

@test "T8: IPv6 and unknown peers are not authorized by default" {
	local peer
	for peer in 2001:db8::1 ::ffff:192.0.2.1 ""; do
		PEER=$peer
		run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<u@remote.test>" QUIT
		assert_line --index 7 "$RELAY_DENIED"
	done
	assert_nothing_spooled
}

@test "T8: authorizedAddresses = {} denies even localhost" {
	write_conf "authorizedAddresses = { }"
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<u@remote.test>" "RCPT TO:<alice@example.org>" QUIT
	assert_line --index 7 "$RELAY_DENIED"
	assert_line --index 8 "250 2.1.5 Recipient OK"
	assert_nothing_spooled
}

@test "T8/T9: authorizedAddresses decides: a listed network relays, localhost then does not" {
	write_conf 'authorizedAddresses = { "192.0.2.0/24", "2001:db8::/32" }'
	PEER=192.0.2.77
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<u@remote.test>" QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	PEER=2001:db8::25
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<u@remote.test>" QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	PEER=127.0.0.1
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<u@remote.test>" QUIT
	assert_line --index 7 "$RELAY_DENIED"
	PEER=198.51.100.1
	run smtp "EHLO client.test" "MAIL FROM:<>" "RCPT TO:<u@remote.test>" QUIT
	assert_line --index 7 "$RELAY_DENIED"
}

# ---- T9 ----------------------------------------------------------------------------

@test "T9: relay from 127.0.0.1: spooled as batch SMTP, dot-stuffed, ends with .CRLF" {
	run smtp_raw 'EHLO client.test\r\nMAIL FROM:<sender@client.test> BODY=8BITMIME\r\nRCPT TO:<u@remote.test>\r\nRCPT TO:<V@Other.Test>\r\nDATA\r\nSubject: relay\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nlast \xc3\xa9\xff line\r\n.\r\nQUIT\r\n'
	assert_success
	assert_line --index 6 "250 2.1.0 Sender OK"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "250 2.1.5 Recipient OK"
	assert_line --index 10 --regexp "^250 2\.0\.0 OK: queued as "
	id=$(queued_id)
	run spool_files
	assert_equal "${#lines[@]}" 1
	f=${lines[0]}
	# nothing delivered locally, nothing left in tmp/
	run all_mail_files
	assert_output ""
	run find "$T/spool/outgoing/tmp" -type f
	assert_output ""
	# the exact file, but for the date in Received
	printf 'MAIL FROM:<sender@client.test> BODY=8BITMIME\r\nRCPT TO:<u@remote.test>\r\nRCPT TO:<V@other.test>\r\nDATA\r\nReceived: from client.test ([127.0.0.1])\r\n\tby %s (smtpd) with ESMTP id %s;\r\n\tDATE\r\nSubject: relay\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nlast \xc3\xa9\xff line\r\n.\r\n' \
		"$HELO_NAME" "$id" >"$T/expected"
	LC_ALL=C sed '7s/^\t[A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] [0-9]\{4\} [0-9:]\{8\} [-+][0-9]\{4\}\r$/\tDATE\r/' "$f" >"$T/got"
	cmp "$T/expected" "$T/got" || { diff <(cat -A "$T/expected") <(cat -A "$T/got") >&2; return 1; }
}

@test "T9: one recipient: Received says for <rcpt>; null sender kept" {
	run smtp "HELO client.test" "MAIL FROM:<>" "RCPT TO:<u@remote.test>" DATA "x" . QUIT
	assert_line --index 5 --regexp "^250 2\.0\.0 OK: queued as "
	run spool_files
	f=${lines[0]}
	run cat "$f"
	assert_line --index 0 $'MAIL FROM:<>\r'
	assert_line --index 1 $'RCPT TO:<u@remote.test>\r'
	assert_line --index 2 $'DATA\r'
	assert_line --index 3 $'Received: from client.test ([127.0.0.1])\r'
	assert_line --index 4 $'\tby '"$HELO_NAME"' (smtpd) with SMTP id '"$(queued_id)"$'\r'
	assert_line --index 5 $'\tfor <u@remote.test>;\r'
	# "x" is no header field: the empty line ends our header section
	assert_line --index 7 $'\r'
	assert_line --index 8 $'x\r'
	assert_line --index 9 $'.\r'
	assert_equal "${#lines[@]}" 10
}

@test "T9: local and remote recipients: maildir copy and a spool file with only the remote one" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<alice@example.org>" \
		"RCPT TO:<u@remote.test>" DATA "Subject: mixed" "" "x" . QUIT
	assert_line --index 10 --regexp "^250 2\.0\.0 OK: queued as "
	f=$(one_message alice@example.org)
	run grep -c "^Subject: mixed" "$f"
	assert_output 1
	run spool_files
	assert_equal "${#lines[@]}" 1
	run grep -c "^RCPT TO:" "${lines[0]}"
	assert_output 1
	run grep -c $'^RCPT TO:<u@remote.test>\r$' "$(spool_files)"
	assert_output 1
}

@test "T9: two relayed messages make two spool files" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<u@remote.test>" DATA "1" . \
		"MAIL FROM:<b@client.test>" "RCPT TO:<w@remote.test>" DATA "2" . QUIT
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	assert_line --index 13 --regexp "^250 2\.0\.0 OK: queued as "
	run spool_files
	assert_equal "${#lines[@]}" 2
	# shellcheck disable=SC2046 # one argument per file
	run cat $(spool_files)
	assert_line $'MAIL FROM:<a@client.test>\r'
	assert_line $'RCPT TO:<w@remote.test>\r'
}

@test "T9: an alias to a remote address is spooled, whoever the peer" {
	echo "fwd@example.org: someone@remote.test" >>"$T/aliases"
	PEER=192.0.2.1
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<fwd@example.org>" DATA "x" . QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 9 --regexp "^250 2\.0\.0 OK: queued as "
	run cat "$(spool_files)"
	assert_line --index 1 $'RCPT TO:<someone@remote.test>\r'
}

@test "T9: remote local parts keep their case: John@ and john@ are two recipients (RFC 5321 2.4)" {
	run smtp "EHLO client.test" "MAIL FROM:<a@client.test>" "RCPT TO:<John@remote.test>" \
		"RCPT TO:<john@remote.test>" "RCPT TO:<john@REMOTE.TEST>" DATA "x" . QUIT
	assert_line --index 7 "250 2.1.5 Recipient OK"
	assert_line --index 8 "250 2.1.5 Recipient OK"
	assert_line --index 9 "250 2.1.5 Recipient OK"
	assert_line --index 11 --regexp "^250 2\.0\.0 OK: queued as "
	run grep "^RCPT TO:" "$(spool_files)"
	# the domain is case-insensitive (one copy for john@), the local part is not
	assert_output $'RCPT TO:<John@remote.test>\r\nRCPT TO:<john@remote.test>\r'
}

@test "T9: SMTPUTF8 and BODY=8BITMIME travel to the spool; UTF-8 without SMTPUTF8 is 553 5.6.7" {
	run smtp_raw 'EHLO client.test\r\nMAIL FROM:<j\xc3\xb6rg@client.test>\r\nMAIL FROM:<a@client.test> BODY=BINARYMIME\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<j\xc3\xb6rg@remote.test>\r\nRSET\r\nMAIL FROM:<j\xc3\xb6rg@client.test> SMTPUTF8 BODY=8BITMIME\r\nRCPT TO:<m\xc3\xbcller@remote.test>\r\nDATA\r\nSubject: utf8\r\n\r\n\xc3\xa9\r\n.\r\nQUIT\r\n'
	assert_line --index 6 "553 5.6.7 Non-ASCII address requires SMTPUTF8"
	assert_line --index 7 "501 5.5.4 Invalid parameter value"
	assert_line --index 8 "250 2.1.0 Sender OK"
	assert_line --index 9 "553 5.6.7 Non-ASCII address requires SMTPUTF8"
	assert_line --index 10 "250 2.0.0 Flushed"
	assert_line --index 11 "250 2.1.0 Sender OK"
	assert_line --index 12 "250 2.1.5 Recipient OK"
	assert_line --index 14 --regexp "^250 2\.0\.0 OK: queued as "
	run head -2 "$(spool_files)"
	assert_line --index 0 $'MAIL FROM:<j\xc3\xb6rg@client.test> BODY=8BITMIME SMTPUTF8\r'
	assert_line --index 1 $'RCPT TO:<m\xc3\xbcller@remote.test>\r'
}
