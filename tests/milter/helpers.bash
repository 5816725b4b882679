# helpers.bash — MilterHandler tests: the smtpd helpers (tests/bats) plus a
# configuration with a MilterHandler chain and the scripted fake milter.

load ../bats/helpers

MILTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# milter_conf ENTRY...: the configuration with a handlerchain of the given
# handler blocks (each one line), ValidRcptHandler first (so a filter sees
# only recipients we take, as Postfix's milters do).
milter_conf() {
	local chain="" e
	for e in "$@"; do
		chain+="      $e"$'\n'
	done
	cat >"$CONF" <<-EOF
		domains   = { "example.org", "example.net" }
		users     = "$T/users"
		aliases   = "$T/aliases"
		mailboxes = "$T/mail/%d/%n"
		spool     = "$T/spool"
		smtpserver "smtp" {
		  handler {
		    helloName = "$HELO_NAME"
		    handlerchain {
		      handler "ValidRcptHandler" { }
		$chain
		    }
		  }
		}
	EOF
}

# A MilterHandler block for the fake milter's socket; extra keys as args.
fake_handler() {
	printf 'handler "MilterHandler" { socket = "unix:%s" %s }' "$FAKE_SOCK" "$*"
}

# start_fake: one fake milter for the whole file (setup_file).
start_fake() {
	FAKE_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/fake.XXXXXX")
	export FAKE_SOCK=$FAKE_DIR/milter.sock FAKE_SCRIPT=$FAKE_DIR/script.json FAKE_LOG=$FAKE_DIR/log.json
	echo '{}' >"$FAKE_SCRIPT"
	python3 "$MILTER_DIR/fakemilter.py" --socket "$FAKE_SOCK" --script "$FAKE_SCRIPT" \
		--log "$FAKE_LOG" >"$FAKE_DIR/out" 2>&1 3>&- &
	export FAKE_PID=$!
	for _ in $(seq 300); do
		[ -S "$FAKE_SOCK" ] && return 0
		sleep 0.05
	done
	echo "fake milter did not start" >&2
	cat "$FAKE_DIR/out" >&2
	return 1
}

stop_fake() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	rm -rf "$FAKE_DIR"
}

# script JSON: what the fake milter does on its next connections; clears
# its log.
script() {
	printf '%s\n' "$1" >"$FAKE_SCRIPT"
	: >"$FAKE_LOG"
}

# mlog EXPR: evaluate a Python expression over the fake's log of its last
# connection: `recs` (the records), `cmds` (their command letters as one
# string), `first(c)`/`all(c)` (records of command c).
mlog() {
	python3 - "$FAKE_LOG" "$1" <<-'EOF'
		import json, sys
		recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
		last = max((r["conn"] for r in recs), default=0)
		recs = [r for r in recs if r["conn"] == last]
		cmds = "".join(r.get("cmd", "") for r in recs)
		def all_(c): return [r for r in recs if r.get("cmd") == c]
		def first(c): return all_(c)[0]
		env = {"recs": recs, "cmds": cmds, "first": first, "all": all_, "json": json}
		v = eval(sys.argv[2], env)
		print(v if isinstance(v, str) else json.dumps(v))
	EOF
}

# A message that exercises the header parsing: a folded field, a field
# without a space after the colon, a body with an empty line.
MSG=(
	"From: alice@example.org"
	"Subject: a folded"
	" subject line"
	"X-Tight:value"
	""
	"body line one"
	""
	"body line three"
	"."
)

# send_msg [RCPT...]: one message from alice to RCPT (default
# bob@example.net is not ours: alice@example.org).
send_msg() {
	local rcpts=("$@") lines=() r
	[ ${#rcpts[@]} -gt 0 ] || rcpts=(alice@example.org)
	lines=("EHLO client.example" "MAIL FROM:<sender@remote.example>")
	for r in "${rcpts[@]}"; do
		lines+=("RCPT TO:<$r>")
	done
	lines+=("DATA" "${MSG[@]}" "QUIT")
	smtp "${lines[@]}"
}
