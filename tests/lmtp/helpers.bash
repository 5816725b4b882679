# Shared by the LMTP bats files: a mail store, configurations, and servers
# started by systemd-socket-activate (stopped in teardown).

bats_load_library bats-support
bats_load_library bats-assert

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SSA_PIDS=()

# Lines with CRLF, as the protocol wants them.
crlf() {
	printf '%s\r\n' "$@"
}

# make_store DIR: users alice, bob, carol; alias team -> alice, bob; an empty
# mail root and spool; DIR/lmtpd.conf with an lmtpserver block.  Extra
# handler { } lines come from $LMTP_HANDLER.
make_store() {
	local d=$1
	mkdir -p "$d/mail" "$d/spool"
	printf '%s\n' 'alice@example.org:{PLAIN}x' 'bob@example.org:{PLAIN}x' \
		'carol@example.org:{PLAIN}x' > "$d/users"
	printf '%s\n' 'team@example.org: alice@example.org, bob@example.org' > "$d/aliases"
	cat > "$d/lmtpd.conf" <<CONF
domains = { "example.org" }
users = "$d/users"
aliases = "$d/aliases"
mailboxes = "$d/mail/%d/%n"
spool = "$d/spool"
lmtpserver "lmtp" {
  handler {
    helloName = "lmtp.example.org"
    ${LMTP_HANDLER:-}
  }
}
CONF
}

# Files delivered to USER's new/ (none: empty output).
delivered() {
	find "$T/mail/example.org/$1/new" -type f 2>/dev/null | sort
}

# One session over pipes: lmtpd reads stdin, replies on stdout, logs to
# $T/lmtpd.log.
lmtp_pipe() {
	"$LMTPD" -c "${1:-$T/lmtpd.conf}" --log=stderr 2>>"$T/lmtpd.log"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_activated ADDR COMMAND...: systemd-socket-activate listening on ADDR
# (a path or 127.0.0.1:PORT), one COMMAND per connection; its stderr and
# the children's go to $T/ssa.log.  Waits (bounded) until it listens.
start_activated() {
	local addr=$1 log="$T/ssa.log" i
	shift
	: >> "$log"
	systemd-socket-activate -l "$addr" --accept --inetd "$@" 2>>"$log" &
	SSA_PIDS+=($!)
	for i in $(seq 100); do
		grep -q "Listening on $addr" "$log" && return 0
		sleep 0.05
	done
	echo "systemd-socket-activate did not listen on $addr" >&2
	cat "$log" >&2
	return 1
}

stop_activated() {
	local p
	for p in "${SSA_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	SSA_PIDS=()
}
