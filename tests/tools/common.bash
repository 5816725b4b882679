# Shared by the tools suite: fixtures, a socket-activated server (on
# tests/lib/common.bash), process cleanup.  Every wait is bounded.
bats_require_minimum_version 1.5.0
load ../lib/common

FIXTURES="$SRCDIR/tests/tools/fixtures"

# start_activated PORT COMMAND...: COMMAND per connection on 127.0.0.1:PORT,
# as systemd's Accept=yes does; stderr of the sessions goes to
# $BATS_TEST_TMPDIR/activate.log.
start_activated() {
	local port=$1
	shift
	activate "127.0.0.1:$port" "$BATS_TEST_TMPDIR/activate.log" "$@"
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
