# helpers.bash — smtpd-relay tests: a spool written by smtpd, receivers
# on other loopback addresses (127.0.0.x), smtpd-relay run with a test
# clock (--now) and its log in $T/relay.log.
#
#   setup_relay            $T with smtpd.conf (domain example.org, user
#                          alice), spool, mail; RELAY_CONF lines go in
#                          remoteDelivery { }
#   start_sink NAME ADDR [sink.py options]   $T/NAME/ holds what it got
#   submit FROM RCPT...    one message through smtpd (127.0.0.1, trusted);
#                          MSG_FILE, MAIL_PARAMS, RCPT_PARAMS
#   relay [ARGS]           run smtpd-relay

bats_load_library bats-support
bats_load_library bats-assert

SINK=${SRCDIR:-.}/tests/relay/sink.py
PY=/usr/bin/python3

setup_relay() {
	: "${SMTPD:?}" "${SMTPD_RELAY:?}"
	T="$BATS_TEST_TMPDIR/t"
	mkdir -p "$T/mail" "$T/spool"
	SINK_PIDS=()
	echo 'alice@example.org:{PLAIN}alicepw' >"$T/users"
	: >"$T/aliases"
	RELAY_CONF=()
	NOW=$(date +%s)
}

teardown_relay() {
	local p
	for p in "${SINK_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if grep -q -s -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T"/relay.log "$T"/smtpd.log; then
		cat "$T"/relay.log "$T"/smtpd.log >&2
		return 1
	fi
}

# The configuration, with RELAY_CONF (an array of lines) in remoteDelivery.
write_conf() {
	local l rd=""
	for l in "${RELAY_CONF[@]}"; do
		rd+="  $l"$'\n'
	done
	cat >"$T/smtpd.conf" <<-EOF
		domains   = { "example.org" }
		users     = "$T/users"
		aliases   = "$T/aliases"
		mailboxes = "$T/mail/%d/%n"
		spool     = "$T/spool"
		smtpserver "smtp" {
		  handler {
		    helloName = "mx.example.org"
		  }
		}
		remoteDelivery {
		  heloName = "relay.example.org"
		$rd}
	EOF
}

free_port() {
	$PY -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

# start_sink NAME ADDR:PORT [options]: the scripted receiver
start_sink() {
	local name=$1 listen=$2 i
	shift 2
	mkdir -p "$T/$name"
	rm -f "$T/$name.ready"
	$PY "$SINK" --listen "$listen" --dir "$T/$name" --ready "$T/$name.ready" "$@" \
		>"$T/$name.log" 2>&1 &
	SINK_PIDS+=($!)
	for i in $(seq 100); do
		[ -e "$T/$name.ready" ] && return 0
		sleep 0.05
	done
	cat "$T/$name.log" >&2
	return 1
}

stop_sinks() {
	local p
	for p in "${SINK_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	SINK_PIDS=()
}

# submit FROM RCPT...: $MSG_FILE or a small message
submit() {
	local from=$1 r cmds
	shift
	cmds="EHLO client.test\r\nMAIL FROM:<$from>${MAIL_PARAMS:-}\r\n"
	for r in "$@"; do
		cmds+="RCPT TO:<$r>${RCPT_PARAMS:-}\r\n"
	done
	cmds+="DATA\r\n"
	{
		printf "$cmds"
		if [ -n "${MSG_FILE:-}" ]; then
			cat "$MSG_FILE"
		else
			printf 'Subject: test\r\nMessage-ID: <%s@client.test>\r\n\r\nhello\r\n' "$RANDOM$RANDOM"
		fi
		printf '.\r\nQUIT\r\n'
	} | REMOTE_ADDR=127.0.0.1 "$SMTPD" -c "$T/smtpd.conf" --log=stderr >"$T/submit.out" 2>>"$T/smtpd.log"
	grep -q "^250 2.0.0 OK: queued" "$T/submit.out" || { cat "$T/submit.out" >&2; return 1; }
	# the test clock never runs behind the spool files' times
	local t
	t=$(date +%s)
	[ "$NOW" -ge "$t" ] || NOW=$t
}

relay() {
	"$SMTPD_RELAY" -c "$T/smtpd.conf" --log=stderr --now "${NOW}" "$@" 2>>"$T/relay.log"
}

# files in the queue
queue_files() {
	find "$T/spool/outgoing/new" "$T/spool/outgoing/cur" "$T/spool/outgoing/state" -type f 2>/dev/null | sort
}

sink_count() {
	find "$T/$1" -name '*.eml' | wc -l
}

sink_connections() {
	if [ -e "$T/$1/connections" ]; then wc -l <"$T/$1/connections"; else echo 0; fi
}

# the only message in alice's maildir (a notice)
notice_file() {
	find "$T/mail/example.org/alice/new" -type f 2>/dev/null
}
