# helpers.bash — shared set-up for the smtpd end-to-end tests.
#
# Every test gets its own directory $T with:
#   smtpd.conf   (write_conf; domains example.org and example.net)
#   users        alice@example.org, bob@example.net
#   aliases      info@example.org -> alice, team@example.org -> alice, bob
#   mail/        mailboxes = $T/mail/%d/%n (the root exists, maildirs do not)
#   spool/       spool root (outgoing/ is created by smtpd)
# Dialogues run over pipes (smtp, smtp_raw) or over a real socket
# (start_socket: systemd-socket-activate --accept --inetd on 127.0.0.1).

load ../lib/common

HELO_NAME=mx.test.example

setup_smtpd() {
	: "${SMTPD:?SMTPD must point at the smtpd binary}"
	T="$BATS_TEST_TMPDIR/t"
	CONF="$T/smtpd.conf"
	PEER=127.0.0.1
	conf_store "$T" '# Dovecot passwd-file' \
		'alice@example.org:{PLAIN}alicepw' 'bob@example.net:{PLAIN}bobpw'
	cat >"$T/aliases" <<-'EOF'
		info@example.org: alice@example.org
		team@example.org: alice@example.org, bob@example.net
	EOF
	write_conf
}

teardown_smtpd() {
	stop_socket
	# Under SANITIZE=1 a sanitizer report anywhere fails the test, even
	# one whose replies looked right.
	sanitizer_clean "$T"/logs "$T"/log "$T"/sa.log
}

# write_conf [LINE...]: the configuration, each LINE added to the handler
# block.  MAXRCPT (default 100) sets MaxRcptHandler's maxRcpt; SERVER_EXTRA
# is added to the smtpserver block (outside handler); GLOBAL_EXTRA at the
# top level.
write_conf() {
	{
		conf_head "$T" example.org example.net
		cat <<-EOF
			${GLOBAL_EXTRA:-}
			smtpserver "smtp" {
			  ${SERVER_EXTRA:-}
			  handler {
			    helloName = "$HELO_NAME"
			$(conf_indent "$@")
			    handlerchain {
			      handler "ValidRcptHandler" { }
			      handler "MaxRcptHandler" { maxRcpt = ${MAXRCPT:-100} }
			    }
			  }
			}
		EOF
	} >"$CONF"
}

# smtp LINE...: one session over pipes, each LINE sent with CRLF; prints the
# replies with CR removed (raw replies in $T/out, log in $T/log).  The peer
# address is $PEER.  Returns smtpd's exit status.
smtp() {
	printf '%s\r\n' "$@" >"$T/in"
	smtp_file "$T/in"
}

# smtp_raw FORMAT [ARG...]: as smtp, input from printf FORMAT (exact bytes).
smtp_raw() {
	# shellcheck disable=SC2059
	printf "$@" >"$T/in"
	smtp_file "$T/in"
}

smtp_file() {
	local rc
	# stdin is a pipe (not the file) so reads behave as on a connection
	# shellcheck disable=SC2002
	cat "$1" | REMOTE_ADDR="$PEER" "$SMTPD" -c "$CONF" --log=stderr >"$T/out" 2>"$T/log"
	rc=${PIPESTATUS[1]}
	cat "$T/log" >>"$T/logs"
	tr -d '\r' <"$T/out"
	return "$rc"
}

# Replies in $T/out must all end with CRLF.
assert_crlf_replies() {
	run grep -c -v $'\r$' "$T/out"
	assert_output 0
}

# ---- maildirs and spool ----------------------------------------------------

# maildir_files ADDR: the files in new/ of ADDR's maildir.
maildir_files() {
	local dom=${1#*@} user=${1%@*}
	find "$T/mail/$dom/$user/new" -type f 2>/dev/null | sort
}

maildir_count() {
	maildir_files "$1" | wc -l
}

# the only file in ADDR's new/ (fails if not exactly one)
one_message() {
	local files n
	files=$(maildir_files "$1")
	n=$(printf '%s' "$files" | grep -c .)
	if [ "$n" != 1 ]; then
		echo "expected one message for $1, found $n" >&2
		return 1
	fi
	printf '%s\n' "$files"
}

# every file anywhere under mail/ (new, tmp, cur)
all_mail_files() {
	find "$T/mail" -type f | sort
}

spool_files() {
	find "$T/spool/outgoing/new" -type f 2>/dev/null | sort
}

all_spool_files() {
	find "$T/spool" -type f 2>/dev/null | sort
}

# strip_prefix FILE: the message as the client sent it, without the
# Return-Path:, Delivered-To: and Received: (with its continuation lines)
# that delivery put on top.
strip_prefix() {
	LC_ALL=C awk 'NR <= 2 { next }
		NR == 3 && /^Received:/ { inr = 1; next }
		inr && /^\t/ { next }
		{ inr = 0; print }' "$1"
}

# the "queued as ID" of the Nth 250 2.0.0 in $T/out (default: first)
queued_id() {
	tr -d '\r' <"$T/out" | sed -n 's/^250 2\.0\.0 OK: queued as \(.*\)$/\1/p' | sed -n "${1:-1}p"
}

# ---- a real socket -----------------------------------------------------------

# start_socket [smtpd ARGS...]: smtpd per connection on 127.0.0.1:$PORT;
# its log (and the launcher's) goes to $T/sa.log.  stop_socket: teardown.
start_socket() { smtpd_socket "$T/sa.log" "$@"; }
stop_socket() { activate_stop; }

# wait_log FILE PATTERN: wait (at most 10 s) until FILE has PATTERN.
wait_log() {
	local i
	for i in $(seq 200); do
		grep -q -E -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "no '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

# nc_session FORMAT [ARG...]: send printf FORMAT in one write with
# netcat-openbsd, half-close, print the replies (CR removed).
nc_session() {
	# shellcheck disable=SC2059
	printf "$@" | nc -N -w 10 127.0.0.1 "$PORT" | tr -d '\r'
}

# py_session [WAIT]: send stdin's bytes over one connection to $PORT in a
# single write (sendall), then print every reply (CR removed) until the
# server closes; fails after 15 s.  With WAIT, sleep WAIT seconds after
# the greeting before sending (to test timeouts, send nothing).
py_session() {
	python3 - "$PORT" "${1:-0}" 3<&0 <<-'EOF'
		import os, socket, sys, time
		data = os.fdopen(3, "rb").read()
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
		f = s.makefile("rb")
		sys.stdout.write(f.readline().decode("latin-1").replace("\r", ""))
		sys.stdout.flush()
		time.sleep(float(sys.argv[2]))
		if data:
		    s.sendall(data)
		out = b""
		while True:
		    chunk = s.recv(65536)
		    if not chunk:
		        break
		    out += chunk
		sys.stdout.write(out.decode("latin-1").replace("\r", ""))
	EOF
}
