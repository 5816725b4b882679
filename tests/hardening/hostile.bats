#!/usr/bin/env bats
# Hostile clients: open-relay tricks, SMTP smuggling, the error budget,
# foreign protocols, mailbox path traversal.  The client is 192.0.2.1,
# outside authorizedAddresses (127.0.0.0/8, ::1), over pipes.
# STARTTLS injection and AUTH brute force (issue 8) belong here once TLS
# and AUTH land (other branches).

load helpers

setup() {
	setup_hardening
}

# relay_attempt RCPT-ARGUMENT [MAIL-PARAMS]: a whole transaction with one
# recipient, the argument written with printf %b escapes.
relay_attempt() {
	printf '%b' "EHLO evil.test\r\nMAIL FROM:<spammer@evil.test>${2:+ $2}\r\nRCPT TO:$1\r\nDATA\r\nSubject: relay test\r\n\r\nspam\r\n.\r\nQUIT\r\n" | smtp_pipe
}

@test "open relay: 35 address tricks from outside authorizedAddresses spool nothing" {
	local tricks=(
		'<user@remote.test>'				# the plain case
		'<USER@Remote.TEST>'				# case
		'<user%remote.test@example.org>'		# percent hack
		'<user%remote.test>'				# percent hack, no domain
		'<remote.test!user@example.org>'		# bang path
		'<remote.test!user>'				# bang path, no domain
		'<@example.org:user@remote.test>'		# source route via us
		'<@example.org,@example.net:user@remote.test>'	# longer source route
		'<"user@remote.test"@example.org>'		# quoted @ in local part
		'<"user%remote.test"@example.org>'		# quoted %
		'<"user@remote.test">'				# quoted, no domain
		'<"@remote.test:user"@example.org>'		# quoted route
		'<user@remote.test.>'				# trailing dot
		'<user@example.org.>'				# trailing dot on ours
		'<user@remote.test@example.org>'		# two @
		'<user@[192.0.2.99]>'				# IP literal
		'<user@[127.0.0.1]>'				# literal of the loopback
		'<user@[IPv6:::1]>'				# IPv6 literal
		'<user@[remote.test]>'				# bracketed name
		'<user@example.org.evil.test>'			# our name as a prefix
		'<user@evil-example.org>'			# look-alike
		'<user@exampIe.org>'				# capital I for l
		'<user@xn--exmple-cua.org>'			# punycode look-alike
		'<user@localhost>'				# not in domains
		'<user%40remote.test@example.org>'		# URL-encoded @
		'<user\\x40remote.test@example.org>'		# backslash escape
		'<user@remote.test\\0@example.org>'		# NUL byte cuts the line
		'<user@remote.test\\r@example.org>'		# CR inside
		'<user@remote.test\\x01>'			# control byte
		'<user@remote.test>@example.org'		# junk after the path
		'<user@remote.test >'				# space before >
		' <user@remote.test>'				# space after the colon
		'<postmaster@remote.test>'			# postmaster elsewhere
		'<\xc3\xa9l\xc3\xa8ve@r\xc3\xa9mote.test>'	# UTF-8 without SMTPUTF8
		'<user@\xc3\xa9xample.org>'			# UTF-8 look-alike of ours
	)
	local t n=0
	for t in "${tricks[@]}"; do
		run relay_attempt "$t"
		# never accepted: 550 5.7.1 relay denied, 550 5.1.1 unknown
		# local user, 501 syntax, 553 SMTPUTF8
		if [[ "$output" == *$'\n250 2.1.5'* ]]; then
			echo "trick $t was accepted:"
			echo "$output"
			return 1
		fi
		[ -z "$(spooled)" ] || { echo "trick $t spooled: $(spooled)"; return 1; }
		n=$((n + 1))
	done
	# with SMTPUTF8 the UTF-8 forms reach the relay check, and fail it
	run relay_attempt '<\xc3\xa9l\xc3\xa8ve@r\xc3\xa9mote.test>' SMTPUTF8
	assert_output --partial '550 5.7.1'
	run relay_attempt '<user@\xc3\xa9xample.org>' SMTPUTF8
	assert_output --partial '550 5.7.1'
	echo "# $n tricks" >&3
	[ "$n" -ge 20 ]
	[ -z "$(delivered)" ]
	[ -z "$(stray_files)" ]
	grep -q 'reject RCPT <user@remote.test> from \[192.0.2.1\]: 550 5.7.1' "$LOG"
}

@test "open relay: the same tricks from 127.0.0.1 do relay, so the battery tests the policy" {
	PEER=127.0.0.1
	run relay_attempt '<user@remote.test>'
	assert_output --partial '250 2.1.5'
	assert_output --partial '250 2.0.0'
	[ "$(spooled | wc -l)" -eq 1 ]
}

@test "open relay: tricks that name a local user are delivered locally, not relayed" {
	run relay_attempt '<@remote.test:alice@example.org>'	# source route ignored (RFC 5321 C)
	assert_output --partial '250 2.0.0'
	run relay_attempt '<Alice+remote.test@Example.ORG>'
	assert_output --partial '250 2.0.0'
	[ -z "$(spooled)" ]
	[ "$(find "$MAILROOT/example.org/alice/new" -type f | wc -l)" -eq 2 ]
}

# smuggle EOD: a first message ended by the non-standard EOD, a smuggled
# transaction, then a real end of data.
smuggle() {
	printf '%b' "EHLO evil.test\r\nMAIL FROM:<a@evil.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: first\r\n\r\nfirst$1MAIL FROM:<admin@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\nQUIT\r\n" | smtp_pipe
}

@test "SMTP smuggling: no end-of-data variant delivers a smuggled transaction" {
	local v
	for v in '\n.\r\n' '\r\n.\n' '\n.\n' '\r.\r\n' '\r\n.\r' '\r\n.\r\r\n' '\r\r\n.\r\r\n' '\n.\r' '\r.\n'; do
		run smuggle "$v"
		assert_output --partial '521 5.5.2 Bare CR or LF'
		refute_output --partial '250 2.0.0 OK: queued'
		refute_output --regexp $'\n250 2.1.0.*\n250 2.1.0'	# the smuggled MAIL never runs
		[ -z "$(delivered)" ] || { echo "variant $v delivered:"; delivered; return 1; }
	done
	# grep: 1 is "no match"; 2 (an error) must not pass for it
	run grep -rq smuggled "$MAILROOT" "$SPOOL"
	assert_failure 1
	grep -q 'bare CR or LF in DATA from \[192.0.2.1\], rejected' "$LOG"
}

@test "SMTP smuggling: look-alikes of the end are message text, one message, intact" {
	local v
	for v in '\r\n..\r\n' '\r\n .\r\n'; do
		run smuggle "$v"
		assert_output --partial '250 2.0.0 OK: queued'
		# one transaction: the "smuggled" commands were message text
		[ "$(delivered | wc -l)" -eq 1 ]
		grep -q '^MAIL FROM:<admin@example.org>' "$(delivered)"
		[ -z "$(find "$MAILROOT/example.org" -path '*bob*' -type f)" ]
		rm "$(delivered)"
	done
	# a NUL is no message text (RFC 5322 §2.3): the whole message, the
	# "smuggled" commands in it included, is refused once, and nothing of
	# it becomes a transaction
	run smuggle '\r\n\x00.\r\n'
	assert_output --partial '554 5.6.0'
	refute_output --partial '250 2.0.0 OK: queued'
	[ -z "$(delivered)" ]
	[ -z "$(find "$MAILROOT/example.org" -path '*bob*' -type f)" ]
}

@test "LMTP: never relays, not even for an authorized peer, whatever the trick" {
	PEER=127.0.0.1
	local t
	for t in '<user@remote.test>' '<@example.org:user@remote.test>' '<user%remote.test@example.org>' \
		 '<"user@remote.test"@example.org>' '<user@[127.0.0.1]>'; do
		run lmtp_pipe < <(printf 'LHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:%s\r\nDATA\r\nx\r\n.\r\nQUIT\r\n' "$t")
		assert_output --regexp $'\n550 5\\.(7\\.1|1\\.1) '
		refute_output --partial '250 2.1.5'
	done
	[ -z "$(spooled)" ]
	[ -z "$(delivered)" ]
}

@test "LMTP smuggling: bare LF or CR in DATA is refused, nothing delivered" {
	local v
	for v in '\n.\r\n' '\r\n.\n' '\r.\r\n'; do
		run lmtp_pipe < <(printf '%b' "LHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nfirst${v}MAIL FROM:<x@c.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n")
		assert_output --partial '521 5.5.2'
		refute_output --partial '250 2.0.0'
	done
	[ -z "$(delivered)" ]
}

@test "error budget: the tenth error closes the session; later commands never run" {
	local i input="EHLO evil.test\r\n"
	for i in $(seq 1 10); do
		input+="BOGUS $i\r\n"
	done
	input+="MAIL FROM:<a@evil.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nx\r\n.\r\n"
	run smtp_pipe <<<"$(printf '%b' "$input")"
	[ "$(grep -c '^500 5.5.1' <<<"$output")" -eq 10 ]
	assert_line --index 16 --partial '421 4.7.0 Too many errors'
	refute_output --partial '250 2.1.0'
	[ "${#lines[@]}" -eq 17 ]
	grep -q 'too many errors from \[192.0.2.1\], closing' "$LOG"
}

@test "error budget: long lines and bad arguments count too" {
	local long i input="EHLO evil.test\r\n"
	long=$(head -c 600 /dev/zero | tr '\0' x)
	for i in 1 2 3 4 5; do
		input+="NOOP $long\r\nMAIL FROM:<bad address>\r\n"
	done
	input+="NOOP\r\n"
	run smtp_pipe <<<"$(printf '%b' "$input")"
	assert_output --partial '421 4.7.0'
	refute_output --partial '250 2.0.0 OK'
}

@test "foreign protocols: HTTP, POP3, proxy and TLS hellos get no reply and a log line" {
	local p
	for p in 'GET / HTTP/1.1\r\nHost: mx\r\n\r\n' 'POST /cgi HTTP/1.0\r\n\r\n' \
		 'CONNECT mx:25 HTTP/1.1\r\n\r\n' 'USER root\r\nPASS x\r\n' 'CAPA\r\n' \
		 '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n' 'OPTIONS * HTTP/1.1\r\n'; do
		run smtp_pipe <<<"$(printf '%b' "$p")"
		assert_success
		assert_line --index 0 --partial '220 mx.example.org'
		[ "${#lines[@]}" -eq 1 ] || { echo "reply to $p: $output"; return 1; }
	done
	[ "$(grep -c 'foreign protocol from \[192.0.2.1\]' "$LOG")" -eq 7 ]
}

@test "foreign protocols: HTTP after a valid command is just an unknown command" {
	run smtp_pipe <<<"$(printf 'NOOP\r\nGET / HTTP/1.1\r\nQUIT\r\n')"
	assert_line --index 1 --partial '250 2.0.0'
	assert_line --index 2 --partial '500 5.5.1'
	assert_line --index 3 --partial '221 2.0.0'
}

@test "path traversal: recipient names never reach a path outside the mailboxes root" {
	cat >>"$T/users" <<-'EOF'
		../evil@example.org:{PLAIN}x
		..@example.org:{PLAIN}x
		.hidden@example.org:{PLAIN}x
		a/b@example.org:{PLAIN}x
		../../etc@example.org:{PLAIN}x
		..%2f..@example.org:{PLAIN}x
		/abs@example.org:{PLAIN}x
		.@example.org:{PLAIN}x
	EOF
	local r
	for r in '<"../evil"@example.org>' '<"..">@example.org' '<".."@example.org>' '<".hidden"@example.org>' \
		 '<.hidden@example.org>' '<"a/b"@example.org>' '<a/b@example.org>' '<"../../etc"@example.org>' \
		 '<..%2f..@example.org>' '<"/abs"@example.org>' '<"."@example.org>' '<../evil@example.org>'; do
		run relay_attempt "$r"
		refute_output --partial '250 2.0.0 OK: queued'
	done
	[ -z "$(delivered)" ]
	[ -z "$(stray_files)" ]
	# only maildirs of real, safe names may exist; none was made here
	[ -z "$(find "$MAILROOT" -mindepth 1)" ]
	# refused at RCPT, before any DATA: no safe maildir path
	grep -q 'no safe maildir path for \.\./evil@example.org' "$LOG"
}

@test "path traversal: a template with %u and a quoted local part stays inside the root" {
	MAILROOT="$T/mail"
	sed -i "s|^mailboxes = .*|mailboxes = \"$T/mail/%u\"|" "$CONF"
	echo '../x@example.org:{PLAIN}x' >>"$T/users"
	run relay_attempt '<"../x"@example.org>'
	refute_output --partial '250 2.0.0 OK: queued'
	run relay_attempt '<alice@example.org>'
	assert_output --partial '250 2.0.0 OK: queued'
	[ "$(delivered | wc -l)" -eq 1 ]
	[[ "$(delivered)" == "$T/mail/alice@example.org/new/"* ]]
	[ -z "$(stray_files)" ]
}
