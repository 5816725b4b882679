# Shared by the tools suite: fixtures, free ports, a socket-activated
# server, process cleanup.  Every wait is bounded.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

FIXTURES="$SRCDIR/tests/tools/fixtures"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_listen PORT: until a TCP socket listens on PORT (10 s at most).
wait_listen() {
	local hex i
	hex=$(printf '%04X' "$1")
	for i in $(seq 100); do
		grep -q ":$hex 00000000:0000 0A" /proc/net/tcp && return 0
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
	return 1
}

# start_activated PORT COMMAND...: COMMAND per connection on 127.0.0.1:PORT,
# as systemd's Accept=yes does; stderr of the sessions goes to
# $BATS_TEST_TMPDIR/activate.log.
start_activated() {
	local port=$1
	shift
	systemd-socket-activate -l "127.0.0.1:$port" --accept --inetd "$@" \
		2>"$BATS_TEST_TMPDIR/activate.log" 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/activate.pid"
	wait_listen "$port"
}

# stop_pidfile FILE: end the process FILE names (one we started).
stop_pidfile() {
	local pid
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

# After run --separate-stderr: assert on stderr instead of stdout.
use_stderr() {
	output=$stderr
	lines=("${stderr_lines[@]}")
}
