#!/usr/bin/env bats
# Resource bounds: the peak RSS of one handler (GNU time's %M, in KiB)
# stays under a stated figure whatever the client sends: a 100 MB message,
# 1,000 recipients, 10,000 pipelined commands, a 1 MB line.  The bound is
# 8 MiB for a normal build; under AddressSanitizer, whose shadow memory and
# allocator put a session that only says QUIT at about 23 MiB (it grows
# with the binary), 6 MiB above that QUIT session.  Each figure is printed
# next to the RSS of a session that only says QUIT.  Under ASan the
# quarantine of freed memory is limited to 1 MB (see setup).

load helpers

setup() {
	setup_hardening
	PEER=127.0.0.1
	CHAIN='handler "MaxRcptHandler" { maxRcpt = 1000 } handler "ValidRcptHandler" { }' write_conf
	LIMIT_KB=8192
	if asan_build; then
		LIMIT_KB=		# set from the QUIT session in report()
		# ASan keeps freed blocks in quarantine (256 MB by default): each
		# RCPT reads the users file through stdio, and the quarantine,
		# not the server, would grow.  A small one measures live memory.
		export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1"
	fi
}

# gen PYTHON-EXPRESSIONS: the client's bytes, written by python to stdout
# through w().
gen() {
	python3 -c "import sys
w = sys.stdout.buffer.write
$1"
}

report() {
	local base
	base=$(printf 'QUIT\r\n' | smtp_rss "$T/out.base")
	asan_build && LIMIT_KB=$((base + 6144))
	echo "# $1: peak RSS $2 KiB (QUIT alone: $base KiB; bound $LIMIT_KB KiB)" >&3
	[ "$2" -lt "$LIMIT_KB" ]
}

@test "peak RSS: a 100 MB message" {
	local rss
	rss=$(gen "w(b'EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: big\r\n\r\n')
blk = (b'x' * 1022 + b'\r\n') * 1024
for i in range(100): w(blk)
w(b'.\r\nQUIT\r\n')" | smtp_rss "$T/out.big")
	grep -q '^250 2.0.0 OK: queued' "$T/out.big"
	local f
	f=$(delivered)
	[ "$(echo "$f" | wc -l)" -eq 1 ]
	# 100 MiB of lines plus our headers and Subject
	[ "$(stat -c %s "$f")" -gt $((100 * 1024 * 1024)) ]
	report "100 MB message" "$rss"
}

@test "peak RSS: 1,000 recipients (relayed from 127.0.0.1, one spool file)" {
	local rss
	rss=$(gen "w(b'EHLO c.test\r\nMAIL FROM:<a@c.test>\r\n')
for i in range(1000): w(b'RCPT TO:<r%d@remote%d.test>\r\n' % (i, i % 7))
w(b'DATA\r\nSubject: many\r\n\r\nhi\r\n.\r\nQUIT\r\n')" | smtp_rss "$T/out.rcpt")
	[ "$(grep -c '^250 2.1.5' "$T/out.rcpt")" -eq 1000 ]
	grep -q '^250 2.0.0 OK: queued' "$T/out.rcpt"
	[ "$(spooled | wc -l)" -eq 1 ]
	[ "$(grep -c '^RCPT TO:' "$(spooled)")" -eq 1000 ]
	report "1,000 recipients" "$rss"
}

@test "peak RSS: 10,000 pipelined commands, every reply in order" {
	local rss
	rss=$(gen "w(b'EHLO c.test\r\n')
for i in range(2500): w(b'MAIL FROM:<a%d@c.test>\r\nRCPT TO:<alice@example.org>\r\nRSET\r\nNOOP %d\r\n' % (i, i))
w(b'QUIT\r\n')" | smtp_rss "$T/out.pipe")
	# greeting + 5 EHLO lines + 10,000 replies + 221
	[ "$(wc -l <"$T/out.pipe")" -eq 10007 ]
	[ "$(sed -n '7~4p' "$T/out.pipe" | grep -vc '^250 2.1.0')" -le 1 ]	# the 221 at the end
	[ "$(sed -n '8~4p' "$T/out.pipe" | grep -c '^250 2.1.5')" -eq 2500 ]
	[ "$(sed -n '9~4p' "$T/out.pipe" | grep -c '^250 2.0.0 Flushed')" -eq 2500 ]
	[ "$(sed -n '10~4p' "$T/out.pipe" | grep -c '^250 2.0.0 OK')" -eq 2500 ]
	report "10,000 pipelined commands" "$rss"
}

@test "peak RSS: a 1 MB command line is refused and the session stays in sync" {
	local rss
	rss=$(gen "w(b'EHLO c.test\r\nNOOP ' + b'x' * (1 << 20) + b'\r\nNOOP\r\nQUIT\r\n')" | smtp_rss "$T/out.line")
	run cat "$T/out.line"
	assert_line --index 6 --partial '500 5.5.2 Line too long'
	assert_line --index 7 --partial '250 2.0.0 OK'
	assert_line --index 8 --partial '221 2.0.0'
	report "1 MB line" "$rss"
}

@test "peak RSS: a 1 MB line inside DATA is stored as sent" {
	local rss
	rss=$(gen "w(b'EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: wide\r\n\r\n' + b'y' * (1 << 20) + b'\r\n.\r\nQUIT\r\n')" | smtp_rss "$T/out.wide")
	grep -q '^250 2.0.0 OK: queued' "$T/out.wide"
	python3 -c 'import sys; sys.exit(b"\r\n" + b"y" * 1048576 + b"\r\n" not in open(sys.argv[1], "rb").read())' "$(delivered)"
	report "1 MB line in DATA" "$rss"
}
