#!/usr/bin/env bats
# Per-recipient outcome (RFC 2033 §4.2, conformance M3): each copy is made
# durable on its own; a maildir that cannot be written fails its recipient
# alone, 452 4.2.2 when out of space, 451 4.3.0 otherwise.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	make_store "$T"
}

teardown() {
	if [ -n "${OWN_DIR:-}" ]; then
		rm -rf "$OWN_DIR"
	fi
}

# Three recipients, in this order, one message.
three() {
	crlf "LHLO client.test" "MAIL FROM:<s@sender.test>" \
		"RCPT TO:<$1@example.org>" "RCPT TO:<$2@example.org>" "RCPT TO:<$3@example.org>" \
		DATA "Subject: three" "" "hello" . QUIT
}

# The replies after the final dot, one per line.
final_replies() {
	printf '%s\n' "$output" | sed -n '/^354 /,/^221 /p' | sed '1d;$d' | tr -d '\r'
}

@test "an uncreatable maildir among three: 451 4.3.0 for it, 250 and a copy for the others" {
	mkdir -p "$T/mail/example.org"
	: > "$T/mail/example.org/bob"		# a file where bob's maildir should be
	run lmtp_pipe < <(three alice bob carol)
	assert_success
	run final_replies
	assert_line --index 0 --regexp '^250 2\.0\.0 <alice@example\.org> delivered'
	assert_line --index 1 '451 4.3.0 <bob@example.org> temporary failure'
	assert_line --index 2 --regexp '^250 2\.0\.0 <carol@example\.org> delivered'
	[ "${#lines[@]}" -eq 3 ]
	[ "$(delivered alice | wc -l)" -eq 1 ]
	[ "$(delivered carol | wc -l)" -eq 1 ]
	[ -f "$T/mail/example.org/bob" ]
	grep -q 'to=<bob@example.org>: Not a directory' "$T/lmtpd.log"
	grep -q 'result=partial' "$T/lmtpd.log"
}

@test "the first recipient's maildir broken: the others still get the whole message" {
	mkdir -p "$T/mail/example.org/bob/new" "$T/mail/example.org/bob/cur"
	: > "$T/mail/example.org/bob/tmp"	# maildir exists, tmp/ cannot hold a file
	run lmtp_pipe < <(three bob alice carol)
	run final_replies
	assert_line --index 0 '451 4.3.0 <bob@example.org> temporary failure'
	assert_line --index 1 --regexp '^250 2\.0\.0 <alice@example\.org> delivered'
	assert_line --index 2 --regexp '^250 2\.0\.0 <carol@example\.org> delivered'
	grep -q '^hello' "$(delivered alice)"
	grep -q '^hello' "$(delivered carol)"
	[ -z "$(ls "$T/mail/example.org/bob/new")" ]
	grep -q '^Delivered-To: carol@example.org' "$(delivered carol)"
}

@test "every maildir broken: DATA itself gets one 451 4.3.0, nothing stored" {
	mkdir -p "$T/mail/example.org"
	: > "$T/mail/example.org/alice"
	: > "$T/mail/example.org/bob"
	run lmtp_pipe < <(crlf "LHLO client.test" "MAIL FROM:<s@sender.test>" \
		"RCPT TO:<alice@example.org>" "RCPT TO:<bob@example.org>" DATA QUIT)
	# 220, five LHLO lines, MAIL, two RCPT, then the reply to DATA
	assert_line --index 8 $'250 2.1.5 Recipient OK\r'
	assert_line --index 9 $'451 4.3.0 Temporary local problem, try again later\r'
	refute_output --partial 354
}

@test "an unwritable maildir (EACCES, lmtpd not root): 451 4.3.0 for it alone" {
	local d run_as=()
	if [ "$(id -u)" -eq 0 ]; then
		# root writes anywhere: run lmtpd as nobody over a store it owns
		OWN_DIR=$(mktemp -d /tmp/lmtp-eacces.XXXXXX)
		chmod 755 "$OWN_DIR"
		d=$OWN_DIR
		run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	else
		d=$T
	fi
	T=$d make_store "$d"
	mkdir -p "$d/mail/example.org/bob/tmp" "$d/mail/example.org/bob/new" "$d/mail/example.org/bob/cur"
	[ "$(id -u)" -ne 0 ] || chown -R nobody "$d"
	chmod 500 "$d/mail/example.org/bob/tmp"
	run "${run_as[@]}" "$LMTPD" -c "$d/lmtpd.conf" --log=stderr < <(three alice bob carol)
	assert_success
	run final_replies
	assert_line --index 0 --regexp '^250 2\.0\.0 <alice@example\.org> delivered'
	assert_line --index 1 '451 4.3.0 <bob@example.org> temporary failure'
	assert_line --index 2 --regexp '^250 2\.0\.0 <carol@example\.org> delivered'
	[ -n "$(ls "$d/mail/example.org/alice/new")" ]
	[ -n "$(ls "$d/mail/example.org/carol/new")" ]
	[ -z "$(ls "$d/mail/example.org/bob/new")" ]
}

@test "a full file system under one maildir (ENOSPC): 452 4.2.2 for it alone, even first" {
	if ! unshare -rm true 2>/dev/null; then
		skip "needs mount namespaces (unshare -rm) for a small tmpfs"
	fi
	local bob=$T/mail/example.org/bob
	mkdir -p "$bob"
	run unshare -rm sh -c '
		mount -t tmpfs -o size=16k tmpfs "$1" || exit 99
		mkdir "$1/tmp" "$1/new" "$1/cur"
		dd if=/dev/zero of="$1/filler" bs=4096 count=64 2>/dev/null
		exec "$2" -c "$3" --log=stderr' sh "$bob" "$LMTPD" "$T/lmtpd.conf" < <(three bob alice carol)
	[ "$status" -ne 99 ]
	run final_replies
	assert_line --index 0 --regexp '^452 4\.2\.2 <bob@example\.org> '
	assert_line --index 1 --regexp '^250 2\.0\.0 <alice@example\.org> delivered'
	assert_line --index 2 --regexp '^250 2\.0\.0 <carol@example\.org> delivered'
	[ "$(delivered alice | wc -l)" -eq 1 ]
	[ "$(delivered carol | wc -l)" -eq 1 ]
}

@test "smtpd stays all or nothing: one bad maildir fails the message before 354" {
	smtpd_conf
	mkdir -p "$T/mail/example.org"
	: > "$T/mail/example.org/bob"
	run "$SMTPD" -c "$T/smtpd.conf" --log=stderr < <(crlf "EHLO client.test" "MAIL FROM:<s@sender.test>" \
		"RCPT TO:<alice@example.org>" "RCPT TO:<bob@example.org>" DATA QUIT)
	assert_line $'451 4.3.0 Temporary local problem, try again later\r'
	refute_output --partial 354
	[ -z "$(delivered alice)" ]
}
