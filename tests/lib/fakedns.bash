# fakedns.bash — a scripted DNS server for a test (tests/lib/fakedns.py).
#
#   load "$SRCDIR/tests/lib/fakedns.bash"   (bats)  or  source it (bash)
#   fakedns_start ZONEFILE [DIR]   start it on a free 127.53.X.Y port 53
#                                  (the port the libc resolver asks);
#                                  sets FAKEDNS_ADDR, FAKEDNS_PID and
#                                  FAKEDNS_LOG (DIR/dns.log: one line per
#                                  query, "NAME TYPE -> RCODE")
#   fakedns_stop                   stop it (call from teardown)
#
# Needs root (port 53) and python3-dnslib (.ci/deps.sh).  Each test gets
# its own address, so suites may run in parallel.

fakedns_start() {
	local zone=$1 dir=${2:-${BATS_TEST_TMPDIR:-/tmp}} addr i
	FAKEDNS_LOG="$dir/dns.log"
	: >"$FAKEDNS_LOG"
	for _ in 1 2 3 4 5 6 7 8; do
		addr="127.53.$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))"
		/usr/bin/python3 "$SRCDIR/tests/lib/fakedns.py" --zone "$zone" --address "$addr" \
			--log "$FAKEDNS_LOG" >"$dir/dns.out" 2>"$dir/dns.err" &
		FAKEDNS_PID=$!
		# python starts slowly on a loaded machine: up to 30 s
		for ((i = 0; i < 300; i++)); do
			if grep -q '^ready' "$dir/dns.out" 2>/dev/null; then
				FAKEDNS_ADDR=$addr
				return 0
			fi
			kill -0 "$FAKEDNS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$FAKEDNS_PID" 2>/dev/null || true
		wait "$FAKEDNS_PID" 2>/dev/null || true
		FAKEDNS_PID=
	done
	echo "fakedns did not start: $(cat "$dir/dns.err")" >&2
	return 1
}

fakedns_stop() {
	if [ -n "${FAKEDNS_PID:-}" ]; then
		kill "$FAKEDNS_PID" 2>/dev/null || true
		wait "$FAKEDNS_PID" 2>/dev/null || true
		FAKEDNS_PID=
	fi
	return 0
}
