#!/usr/bin/env bats
# Storage failures (conformance T13): a full file system, a read-only
# mailbox, a missing spool.  The client gets 452 4.3.1 (no space) or
# 451 4.3.0, nothing partial is left in new/ (nor in tmp/), the log says
# why.  File systems: a small tmpfs mounted by the test when it runs as
# root and may mount; otherwise RLIMIT_FSIZE (ulimit -f with SIGXFSZ
# ignored, so write(2) fails with EFBIG), and the read-only case uses
# chmod, which root ignores, so it needs the mount.  Each test prints
# which mechanism ran.

load helpers

setup() {
	setup_hardening
	PEER=127.0.0.1
	MOUNTS=()
}

teardown() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}

# small_fs DIR SIZE: mount a tmpfs of SIZE on DIR; false if not permitted.
small_fs() {
	mkdir -p "$1"
	[ "$(id -u)" -eq 0 ] || return 1
	mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" 2>/dev/null || return 1
	MOUNTS+=("$1")
}

# message SIZE-KB [RCPT...]: one transaction; the body is SIZE-KB of lines.
message() {
	local kb=$1
	shift
	python3 - "$kb" "$@" <<-'PY'
		import sys
		kb = int(sys.argv[1])
		out = [b'EHLO client.test\r\n', b'MAIL FROM:<sender@client.test>\r\n']
		out += [b'RCPT TO:<%s>\r\n' % r.encode() for r in sys.argv[2:]]
		out.append(b'DATA\r\nSubject: big\r\n\r\n')
		line = b'x' * 1022 + b'\r\n'
		out += [line] * kb
		out.append(b'.\r\nQUIT\r\n')
		sys.stdout.buffer.write(b''.join(out))
	PY
}

@test "full file system during DATA: 452 4.3.1, nothing in new/ or tmp/, logged" {
	local how
	if small_fs "$T/mail" 512k; then
		how="tmpfs of 512 KiB"
		message 2048 alice@example.org >"$T/client.in"
		run smtp_pipe <"$T/client.in"
	else
		how="RLIMIT_FSIZE 512 KiB"
		message 2048 alice@example.org >"$T/client.in"
		run bash -c 'trap "" XFSZ; ulimit -f 512; exec "$0" -c "$1" --log=stderr <"$2" 2>>"$3"' \
			"$SMTPD" "$CONF" "$T/client.in" "$LOG"
	fi
	echo "# full file system: $how" >&3
	assert_output --partial '354 '
	assert_output --partial '452 4.3.1 Insufficient system storage'
	assert_output --partial '221 2.0.0'
	[ -z "$(delivered)" ]
	[ -z "$(tmp_files)" ]
	grep -Eq 'storage failed: (No space left on device|File too large)' "$LOG"
}

@test "full file system before DATA: 452 4.3.1 at once, the session goes on" {
	small_fs "$T/mail" 64k || skip "needs root and mount (tmpfs)"
	echo "# file system already full: tmpfs of 64 KiB" >&3
	mkdir -p "$T/mail/example.org/alice/"{tmp,new,cur}
	head -c 70000 /dev/zero >"$T/mail/filler" 2>/dev/null || true
	run smtp_pipe < <(printf 'EHLO c.test\r\nMAIL FROM:<s@c.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nNOOP\r\nQUIT\r\n')
	assert_output --partial '452 4.3.1'
	refute_output --partial '354 '
	assert_output --partial '250 2.0.0 OK'	# NOOP after: still in sync
	[ -z "$(delivered)" ]
	[ -z "$(tmp_files)" ]
	grep -q 'cannot open storage: No space left on device' "$LOG"
}

@test "all or nothing: the spool fills up after the maildir copy succeeded, both withdrawn" {
	small_fs "$SPOOL" 256k || skip "needs root and mount (tmpfs)"
	echo "# spool on a tmpfs of 256 KiB, maildir on disk" >&3
	message 1024 alice@example.org someone@remote.test >"$T/client.in"
	run smtp_pipe <"$T/client.in"
	assert_output --partial '452 4.3.1'
	[ -z "$(delivered)" ]
	[ -z "$(tmp_files)" ]
	grep -q 'storage failed: No space left on device' "$LOG"
}

@test "read-only mailbox: 451 4.3.0, nothing stored, logged" {
	small_fs "$T/mail" 1m || skip "needs root and mount (tmpfs remounted read-only)"
	echo "# read-only mailbox: tmpfs remounted ro" >&3
	mkdir -p "$T/mail/example.org/alice/"{tmp,new,cur}
	mount -o remount,ro "$T/mail"
	run smtp_pipe < <(printf 'EHLO c.test\r\nMAIL FROM:<s@c.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nRSET\r\nQUIT\r\n')
	assert_output --partial '451 4.3.0'
	refute_output --partial '354 '
	assert_output --partial '250 2.0.0 Flushed'
	[ -z "$(delivered)" ]
	grep -q 'cannot open storage: Read-only file system' "$LOG"
}

@test "read-only mailbox among several recipients: 451 4.3.0, no copy delivered to any" {
	mkdir -p "$T/mail/example.org/alice"
	small_fs "$T/mail/example.org/alice" 1m || skip "needs root and mount (tmpfs remounted read-only)"
	echo "# alice's maildir on a read-only tmpfs, bob's on disk" >&3
	mkdir -p "$T/mail/example.org/alice/"{tmp,new,cur}
	mount -o remount,ro "$T/mail/example.org/alice"
	run smtp_pipe < <(printf 'EHLO c.test\r\nMAIL FROM:<s@c.test>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n')
	# bob's copy is written first; alice's fails at commit: SMTP is all
	# or nothing, so bob's is withdrawn and the client will retry both
	assert_output --partial '354 '
	assert_output --partial '451 4.3.0'
	[ -z "$(delivered)" ]
	[ -z "$(tmp_files)" ]
	grep -q 'storage failed: Read-only file system' "$LOG"
}

@test "missing spool directory: 451 4.3.0 for relayed mail, local copies not delivered either" {
	SPOOL="$T/no/such/spool"
	write_conf
	run smtp_pipe < <(printf 'EHLO c.test\r\nMAIL FROM:<s@c.test>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<x@remote.test>\r\nDATA\r\nQUIT\r\n')
	assert_output --partial '451 4.3.0 Temporary local problem'
	refute_output --partial '354 '
	[ ! -e "$T/no" ]
	[ -z "$(delivered)" ]
	grep -q 'cannot open storage: No such file or directory' "$LOG"
}

@test "missing mailboxes root: 451 4.3.0 and the root is not created" {
	MAILROOT="$T/gone"
	write_conf
	run smtp_pipe < <(printf 'EHLO c.test\r\nMAIL FROM:<s@c.test>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nQUIT\r\n')
	assert_output --partial '451 4.3.0'
	[ ! -e "$T/gone" ]
	grep -q 'cannot open storage: No such file or directory' "$LOG"
}

# msg_to RCPT...: one SMTP transaction with a small message.
msg_to() {
	local r rcpts=
	for r in "$@"; do
		rcpts+="RCPT TO:<$r>\r\n"
	done
	printf "EHLO c.test\r\nMAIL FROM:<s@c.test>\r\n${rcpts}DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n"
}

# nothing_under DIR: no regular file anywhere below DIR.
nothing_under() {
	[ -z "$(find "$1" -type f)" ]
}

# The links point inside the mail root (or the spool): a target outside
# it is refused by the sandbox's Landlock rules anyway (EACCES), one inside
# is another mailbox, and only openat(O_NOFOLLOW) stops that.

@test "a symbolic link planted for a maildir is not followed: 451 4.3.0, nothing written through it" {
	mkdir -p "$MAILROOT/stolen/"{tmp,new,cur} "$MAILROOT/example.org"
	ln -s "$MAILROOT/stolen" "$MAILROOT/example.org/alice"
	run smtp_pipe < <(msg_to alice@example.org)
	assert_output --partial '451 4.3.0'
	refute_output --partial '354 '
	nothing_under "$MAILROOT/stolen"
	grep -Eq 'cannot open storage: (Too many levels of symbolic links|Not a directory)' "$LOG"
}

@test "a symbolic link planted for a domain directory is not followed" {
	mkdir -p "$MAILROOT/stolen/alice/"{tmp,new,cur} "$MAILROOT"
	ln -s "$MAILROOT/stolen" "$MAILROOT/example.org"
	run smtp_pipe < <(msg_to alice@example.org)
	assert_output --partial '451 4.3.0'
	nothing_under "$MAILROOT/stolen"
	# nor is a missing maildir made through it
	run smtp_pipe < <(msg_to bob@example.org)
	assert_output --partial '451 4.3.0'
	[ ! -e "$MAILROOT/stolen/bob" ]
}

@test "a symbolic link for tmp/ or new/ inside a maildir is not followed" {
	mkdir -p "$MAILROOT/stolen" "$MAILROOT/example.org/alice/"{new,cur} "$MAILROOT/example.org/bob/"{tmp,cur}
	ln -s "$MAILROOT/stolen" "$MAILROOT/example.org/alice/tmp"
	ln -s "$MAILROOT/stolen" "$MAILROOT/example.org/bob/new"
	run smtp_pipe < <(msg_to alice@example.org)
	assert_output --partial '451 4.3.0'
	run smtp_pipe < <(msg_to bob@example.org)
	assert_output --partial '451 4.3.0'
	nothing_under "$MAILROOT/stolen"
	[ -z "$(tmp_files)" ]
}

@test "LMTP: a planted link fails its own recipient only" {
	mkdir -p "$MAILROOT/stolen/"{tmp,new,cur} "$MAILROOT/example.org"
	ln -s "$MAILROOT/stolen" "$MAILROOT/example.org/alice"
	run lmtp_pipe < <(printf 'LHLO c.test\r\nMAIL FROM:<s@c.test>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n')
	assert_output --partial '451 4.3.0'
	assert_output --partial '250 2.0.0'
	nothing_under "$MAILROOT/stolen"
	[ "$(delivered | grep -c '/example.org/bob/new/')" -eq 1 ]
}

@test "a symbolic link planted for the spool's outgoing/ is not followed" {
	mkdir -p "$SPOOL/stolen/"{tmp,new,cur}
	ln -s "$SPOOL/stolen" "$SPOOL/outgoing"
	run smtp_pipe < <(msg_to x@remote.test)
	assert_output --partial '451 4.3.0'
	nothing_under "$SPOOL/stolen"
}

@test "delivery still makes every directory: domain, user, tmp/ new/ cur/, mode 0700; a linked mail root is the admin's and is followed" {
	mv "$T/mail" "$T/real-mail"
	ln -s "$T/real-mail" "$MAILROOT"
	run smtp_pipe < <(msg_to alice@example.org bob@example.org postmaster@example.org)
	assert_output --partial '250 2.0.0'
	refute_output --partial '451'
	local d
	for d in example.org example.org/alice example.org/alice/tmp example.org/alice/new \
		example.org/alice/cur example.org/bob/new example.org/postmaster/cur; do
		[ -d "$T/real-mail/$d" ] && [ ! -L "$T/real-mail/$d" ]
		[ "$(stat -c %a "$T/real-mail/$d")" = 700 ]
	done
	[ "$(find "$T/real-mail" -type f | grep -cE '/new/[^/]+$')" -eq 3 ]
	[ -z "$(find "$T/real-mail" -type f | grep -E '/tmp/[^/]+$')" ]
	# and again, into the directories now there
	run smtp_pipe < <(msg_to alice@example.org)
	assert_output --partial '250 2.0.0'
	[ "$(find "$T/real-mail/example.org/alice/new" -type f | wc -l)" -eq 2 ]
}
