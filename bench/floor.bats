#!/usr/bin/env bats
# The floor must stay a faithful baseline: same dialogue, same durable
# maildir write, same unstuffing, or the benchmark's ratios mean nothing.

bats_load_library bats-support
bats_load_library bats-assert

setup() {
	md=$(mktemp -d)
	mkdir -p "$md/tmp" "$md/new" "$md/cur"
}

teardown() {
	rm -rf "$md"
}

# The replies, CRs dropped for comparison.
session() {
	printf "$1" | "$FLOOR" "$md" | tr -d '\r'
}

@test "one message: replies in order, one file in new/, tmp/ empty" {
	run session 'EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<u@b.test>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n'
	assert_success
	assert_line --index 0 "220 floor ESMTP"
	assert_line --index 3 "250 8BITMIME"
	assert_line --index 6 --partial "354 "
	assert_line --index 7 --partial "250 2.0.0"
	assert_line --index 8 --partial "221 "
	[ "$(ls "$md/new" | wc -l)" -eq 1 ]
	[ "$(ls "$md/tmp" | wc -l)" -eq 0 ]
}

@test "DATA is dot-unstuffed and ends at CRLF.CRLF only" {
	run session 'HELO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<u@b.test>\r\nDATA\r\n..lead\r\nx.\r\n.x\r\n\r\n.\r\nQUIT\r\n'
	assert_success
	run cat "$md"/new/*
	assert_output "$(printf '.lead\r\nx.\r\nx\r\n\r\n')"
}

@test "two messages on one connection make two files" {
	run session 'HELO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<u@b.test>\r\nDATA\r\none\r\n.\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<u@b.test>\r\nDATA\r\ntwo\r\n.\r\nQUIT\r\n'
	assert_success
	[ "$(ls "$md/new" | wc -l)" -eq 2 ]
}

@test "a connection lost in DATA leaves nothing behind" {
	run session 'HELO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<u@b.test>\r\nDATA\r\npartial\r\n'
	[ "$(find "$md" -type f | wc -l)" -eq 0 ]
}
