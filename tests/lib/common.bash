# common.bash: the set-up every end-to-end suite shares.  In a suite's
# helpers (or a .bats file):  load ../lib/common
#
#   free_port [HOST]           a free TCP port on HOST (127.0.0.1)
#   wait_listen ADDR [SECS]    until something listens on ADDR: PORT,
#                              HOST:PORT or a UNIX socket path (10 s)
#   activate [-E VAR=VAL]... ADDR LOG COMMAND...
#                              systemd-socket-activate --accept --inetd on
#                              ADDR: one COMMAND per connection, as the
#                              units' Accept=yes; stderr (its own and the
#                              sessions') appended to LOG; returns once it
#                              listens.  Sets ACTIVATED_PID.
#   smtpd_socket LOG [SMTPD-ARG...]
#                              activate "$SMTPD" -c "$CONF" on a free
#                              127.0.0.1:$PORT (sets PORT)
#   activate_stop              stop every launcher activate started in this
#                              process, then the sessions still running
#                              under them (by pid)
#   conf_store DIR [USERS-LINE...]
#                              DIR/mail, DIR/spool, DIR/users (the lines),
#                              DIR/aliases (empty unless it exists)
#   conf_head DIR DOMAIN...    the global part of a configuration for that
#                              store: domains, users, aliases, mailboxes
#                              (MAILROOT, default DIR/mail), spool (SPOOL,
#                              default DIR/spool); listener blocks follow
#   conf_indent LINE...        the LINEs indented for a block, one a line
#   sanitizer_clean FILE...    fails, printing them, when a sanitizer
#                              (SANITIZE=1 builds) reported in the FILEs
#
# Python clients started from a suite find tests/lib/smtptest.py on
# $PYTHONPATH (import smtptest): free ports, smtpd over pipes, replies.
#
# Every wait is bounded; nothing is started that activate_stop (call it
# from teardown) does not end.

bats_load_library bats-support
bats_load_library bats-assert

TESTS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# the Python clients: import smtptest (tests/lib/smtptest.py)
export PYTHONPATH="$TESTS_LIB${PYTHONPATH:+:$PYTHONPATH}"
ACTIVATED_PIDS=()
ACTIVATED_PID=

free_port() {
	python3 "$TESTS_LIB/smtptest.py" free-port "$@"
}

# wait_listen ADDR [SECONDS]: /proc/net, not a probe connection (which
# would start a session and put a lost client in the log).
wait_listen() {
	local addr=$1 secs=${2:-10} port hex i
	for ((i = 0; i < secs * 20; i++)); do
		if [[ $addr == /* ]]; then
			# /proc/net/unix: ... Flags 00010000 (__SO_ACCEPTCON) ... Path
			awk -v p="$addr" '$6 == "01" && $NF == p && $4 == "00010000" { f = 1 } END { exit !f }' \
				/proc/net/unix && return 0
		else
			port=${addr##*:}
			hex=$(printf '%04X' "$port")
			# state 0A: LISTEN, any local address
			awk -v h="$hex" '$4 == "0A" && $2 ~ (":" h "$") { f = 1 } END { exit !f }' \
				/proc/net/tcp /proc/net/tcp6 && return 0
		fi
		sleep 0.05
	done
	echo "nothing listens on $addr after $secs s" >&2
	return 1
}

activate() {
	local env=() addr log
	while [ "$1" = -E ]; do
		env+=(-E "$2")
		shift 2
	done
	addr=$1 log=$2
	shift 2
	: >>"$log"
	systemd-socket-activate -l "$addr" --accept --inetd "${env[@]}" "$@" \
		</dev/null >/dev/null 2>>"$log" 3>&- &
	ACTIVATED_PID=$!
	ACTIVATED_PIDS+=("$ACTIVATED_PID")
	if ! wait_listen "$addr"; then
		cat "$log" >&2
		return 1
	fi
}

smtpd_socket() {
	local log=$1
	shift
	PORT=$(free_port)
	activate "127.0.0.1:$PORT" "$log" "$SMTPD" -c "$CONF" --log=stderr "$@"
}

activate_stop() {
	local p kids
	for p in "${ACTIVATED_PIDS[@]}"; do
		kids=$(pgrep -P "$p" || true)
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		[ -z "$kids" ] || kill $kids 2>/dev/null || true
	done
	ACTIVATED_PIDS=()
	ACTIVATED_PID=
}

conf_store() {
	local dir=$1
	shift
	mkdir -p "$dir/mail" "$dir/spool"
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" >"$dir/users"
	else
		: >"$dir/users"
	fi
	[ -e "$dir/aliases" ] || : >"$dir/aliases"
}

conf_head() {
	local dir=$1 d list=
	shift
	for d in "$@"; do
		list+="${list:+, }\"$d\""
	done
	cat <<-EOF
		domains = { $list }
		users = "$dir/users"
		aliases = "$dir/aliases"
		mailboxes = "${MAILROOT:-$dir/mail}/%d/%n"
		spool = "${SPOOL:-$dir/spool}"
	EOF
}

conf_indent() {
	[ $# -eq 0 ] || printf '    %s\n' "$@"
}

sanitizer_clean() {
	if grep -q -s -E "AddressSanitizer|LeakSanitizer|runtime error:" "$@"; then
		cat "$@" 2>/dev/null >&2
		return 1
	fi
}
