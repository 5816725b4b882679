#!/usr/bin/env bats
# The session's self-confinement (handlers/sandbox.c, sandbox.h).
# sandbox-probe loads a configuration, confines itself exactly as smtpd and
# lmtpd do before reading the client's first byte, then tries each action
# and prints "ACTION ok" or "ACTION denied ERRNO".

load '../bats/helpers'

setup() {
	setup_smtpd
	PROBE="$BUILDDIR/tests/sandbox/sandbox-probe"
	# a home directory the session has no business reading
	mkdir -p "$T/home/alice" "$T/outside"
	echo "alice's secret" >"$T/home/alice/secret"
	cat >>"$CONF" <<-EOF
		lmtpserver "local" {
		  handler { helloName = "$HELO_NAME" }
		}
	EOF
}

teardown() {
	teardown_smtpd
}

probe() {
	run "$PROBE" "$@"
	assert_success
	assert_line --index 0 --regexp '^sandbox nnp=1 landlock=[0-9]+ seccomp=1$'
}

# An AddressSanitizer build (SANITIZE=1): the sandbox lets LeakSanitizer
# read /proc and stop the process with a ptrace()ing clone() at exit
# (handlers/sandbox.c, SANDBOX_SANITIZER), and only there.
asan_probe() {
	nm "$PROBE" 2>/dev/null | grep -q __asan_init
}

# Landlock: ABI 2 or later (ABI 1 cannot allow maildir links, sandbox.h)
landlock_abi() {
	"$PROBE" "$CONF" smtp | sed -n 's/^sandbox .*landlock=\([0-9]*\).*/\1/p'
}

need_landlock() {
	local abi
	abi=$(landlock_abi)
	[ "$abi" -ge "${1:-2}" ] || skip "this kernel's Landlock ABI is $abi, the test needs ${1:-2}"
}

@test "sandbox: it is applied: no_new_privs, Landlock, seccomp" {
	probe "$CONF" smtp
	need_landlock
}

@test "sandbox: the mail store and the spool are writable: files, directories, maildir links" {
	need_landlock
	probe "$CONF" smtp "write:$T/mail/f" "mkdir:$T/mail/d" "link:$T/mail/f,$T/mail/d/f" \
		"write:$T/spool/g" "read:$T/users" "read:$T/aliases"
	assert_line "write:$T/mail/f ok"
	assert_line "mkdir:$T/mail/d ok"
	assert_line "link:$T/mail/f,$T/mail/d/f ok"
	assert_line "write:$T/spool/g ok"
	assert_line "read:$T/users ok"
	assert_line "read:$T/aliases ok"
	[ -f "$T/mail/d/f" ]
}

@test "sandbox: nothing outside the store and the spool is writable (root included)" {
	need_landlock
	probe "$CONF" smtp "write:$T/outside/f" "mkdir:$T/outside/d" "write:$T/smtpd.conf" \
		"write:$T/users" "link:$T/users,$T/mail/users" "write:/etc/smtpd-sandbox-probe"
	assert_line "write:$T/outside/f denied EACCES"
	assert_line "mkdir:$T/outside/d denied EACCES"
	assert_line "write:$T/smtpd.conf denied EACCES"
	assert_line "write:$T/users denied EACCES"
	assert_line "link:$T/users,$T/mail/users denied EXDEV"
	assert_line "write:/etc/smtpd-sandbox-probe denied EACCES"
	[ ! -e "$T/outside/f" ] && [ ! -e /etc/smtpd-sandbox-probe ]
	[ "$(cat "$T/users" | wc -l)" -gt 1 ]
}

@test "sandbox: a home directory, the configuration and devices cannot be read" {
	need_landlock
	probe "$CONF" smtp "read:$T/home/alice/secret" "read:$T/smtpd.conf" "read:/etc/shadow" \
		"read:/dev/zero" "read:/proc/sys/kernel/hostname" "read:/etc/resolv.conf"
	assert_line "read:$T/home/alice/secret denied EACCES"
	assert_line "read:$T/smtpd.conf denied EACCES"
	assert_line "read:/etc/shadow denied EACCES"
	assert_line "read:/dev/zero denied EACCES"
	if asan_probe; then
		assert_line "read:/proc/sys/kernel/hostname ok"	# the sanitizer's allowance
	else
		assert_line "read:/proc/sys/kernel/hostname denied EACCES"
	fi
	# what libc needs stays readable
	if [ -e /etc/resolv.conf ]; then
		assert_line "read:/etc/resolv.conf ok"
	fi
}

@test "sandbox: nothing can be executed, no process created or traced" {
	if asan_probe; then
		# fork and ptrace are the sanitizer's allowance (see asan_probe)
		probe "$CONF" smtp "exec:/bin/true" "exec:$PROBE"
	else
		probe "$CONF" smtp "exec:/bin/true" "exec:$PROBE" "fork" "ptrace"
		assert_line "fork denied EPERM"
		assert_line "ptrace denied EPERM"
	fi
	assert_line "exec:/bin/true denied EPERM"
	assert_line "exec:$PROBE denied EPERM"
}

@test "sandbox: sockets: UNIX, IPv4 and IPv6 only (no AF_PACKET, no AF_NETLINK)" {
	probe "$CONF" smtp socket:unix socket:inet socket:inet6 socket:packet socket:netlink
	assert_line "socket:unix ok"
	assert_line "socket:inet ok"
	if [ -e /proc/net/if_inet6 ]; then
		assert_line "socket:inet6 ok"
	fi
	assert_line "socket:packet denied EPERM"
	assert_line "socket:netlink denied EPERM"
}

@test "sandbox: what the units no longer ask systemd for: no set-ID files, no W+X memory, no namespaces, realtime or personality" {
	# systemd's RestrictSUIDSGID=, MemoryDenyWriteExecute=,
	# RestrictNamespaces=, RestrictRealtime=, LockPersonality= (the session
	# units leave them out: handlers/sandbox.c's filter does their work)
	probe "$CONF" smtp "suid:$T/mail/suid" "sgid-dir:$T/mail/sgid" "write:$T/mail/plain" \
		mmap-wx mmap-x mprotect-x unshare personality realtime
	assert_line "suid:$T/mail/suid denied EPERM"
	assert_line "sgid-dir:$T/mail/sgid denied EPERM"
	assert_line "write:$T/mail/plain ok"
	assert_line "mmap-wx denied EPERM"
	assert_line "mmap-x ok"
	assert_line "mprotect-x denied EPERM"
	assert_line "unshare denied EPERM"
	assert_line "personality denied EPERM"
	assert_line "realtime denied EPERM"
	[ ! -e "$T/mail/suid" ] && [ ! -e "$T/mail/sgid" ]
}

@test "sandbox: no port can be bound" {
	probe "$CONF" smtp "bind:$(free_port)"
	assert_line --regexp '^bind:[0-9]+ denied EPERM$'
}

@test "sandbox: GnuTLS can still be loaded after confinement (STARTTLS loads it on first use)" {
	probe "$CONF" smtp dlopen:libgnutls.so.30
	assert_line "dlopen:libgnutls.so.30 ok"
}

@test "sandbox: lmtpd confines itself the same way" {
	need_landlock
	probe --lmtp "$CONF" local "write:$T/mail/l" "write:$T/outside/l" "read:$T/home/alice/secret" \
		"exec:/bin/true" socket:packet
	assert_line "write:$T/mail/l ok"
	assert_line "write:$T/outside/l denied EACCES"
	assert_line "read:$T/home/alice/secret denied EACCES"
	assert_line "exec:/bin/true denied EPERM"
	assert_line "socket:packet denied EPERM"
}

# status_of PID FIELD: the value of FIELD in /proc/PID/status
status_of() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}

@test "sandbox: a non-root session keeps no capability, even ambient ones" {
	# nobody must reach the configuration: open the scratch directories
	local d=$T pid i
	while [ "$d" != /tmp ] && [ "$d" != / ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	chmod o+r "$CONF"
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+net_bind_service \
		--ambient-caps=+net_bind_service "$PROBE" "$CONF" smtp "wait:$T/go" >"$T/probe.out" 2>&1 3>&- &
	pid=$!
	for i in $(seq 200); do
		grep -q '^sandbox' "$T/probe.out" && break
		sleep 0.05
	done
	run status_of "$pid" NoNewPrivs
	local nnp=$output
	run status_of "$pid" Seccomp
	local seccomp=$output
	run status_of "$pid" CapAmb
	local amb=$output
	run status_of "$pid" CapEff
	local eff=$output
	run status_of "$pid" CapPrm
	local prm=$output
	touch "$T/go"
	wait "$pid"
	cat "$T/probe.out"
	grep -q "^wait:$T/go ok" "$T/probe.out"
	[ "$nnp" = 1 ]
	[ "$seccomp" = 2 ]
	[ "$amb" = 0000000000000000 ]
	[ "$eff" = 0000000000000000 ]
	[ "$prm" = 0000000000000000 ]
}

@test "sandbox: a live smtpd session has no_new_privs and a seccomp filter, and still delivers" {
	start_socket
	exec 8<>/dev/tcp/127.0.0.1/"$PORT"
	local greeting pid
	read -r -t 10 greeting <&8
	[[ $greeting == 220* ]]
	pid=$(pgrep -P "$ACTIVATED_PID" -x smtpd | head -1)
	[ -n "$pid" ]
	[ "$(status_of "$pid" NoNewPrivs)" = 1 ]
	[ "$(status_of "$pid" Seccomp)" = 2 ]
	printf 'EHLO c\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: t\r\n\r\nbody\r\n.\r\nQUIT\r\n' >&8
	run timeout 10 cat <&8
	exec 8<&-
	assert_output --partial "250 2.0.0 OK"
	assert_output --partial "221 2.0.0"
	[ "$(maildir_count alice@example.org)" = 1 ]
	[ "$(maildir_count bob@example.net)" = 1 ]
}
