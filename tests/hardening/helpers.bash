# helpers.bash — set-up shared by the hardening tests.
#
# Each test gets $T ($BATS_TEST_TMPDIR/h) with:
#   smtpd.conf  write_conf [HANDLER-LINE...]: domains example.org, example.net
#   users       alice@example.org, bob@example.org, postmaster@example.org
#   aliases     team@example.org -> alice, bob
#   mail/       mailboxes = $MAILROOT/%d/%n (MAILROOT defaults to $T/mail)
#   spool/      spool root (SPOOL); outgoing/ is made by smtpd
#   log         the server's log (--log=stderr)
# Dialogues run over pipes: smtp_pipe reads the client's bytes on stdin
# and peer address $PEER (default 192.0.2.1: outside authorizedAddresses).

bats_load_library bats-support
bats_load_library bats-assert

setup_hardening() {
	: "${SMTPD:?SMTPD must point at the smtpd binary}"
	T="$BATS_TEST_TMPDIR/h"
	mkdir -p "$T/mail" "$T/spool"
	CONF="$T/smtpd.conf"
	LOG="$T/log"
	MAILROOT="$T/mail"
	SPOOL="$T/spool"
	PEER=192.0.2.1
	: >"$LOG"
	cat >"$T/users" <<-'EOF'
		alice@example.org:{PLAIN}alicepw
		bob@example.org:{PLAIN}bobpw
		postmaster@example.org:{PLAIN}pmpw
	EOF
	cat >"$T/aliases" <<-'EOF'
		team@example.org: alice@example.org, bob@example.org
	EOF
	write_conf
}

# write_conf [LINE...]: each LINE goes into the handler block.  CHAIN, when
# set, is the handlerchain block's content.
write_conf() {
	local extra="" l
	for l in "$@"; do
		extra+="    $l"$'\n'
	done
	cat >"$CONF" <<-EOF
		domains = { "example.org", "example.net" }
		users = "$T/users"
		aliases = "$T/aliases"
		mailboxes = "$MAILROOT/%d/%n"
		spool = "$SPOOL"
		smtpserver "smtp" {
		  handler {
		    helloName = "mx.example.org"
		    connectionTimeout = 30
		$extra
		    handlerchain { ${CHAIN:-handler "ValidRcptHandler" { \}} }
		  }
		}
		lmtpserver "lmtp" {
		  handler {
		    helloName = "mx.example.org"
		    connectionTimeout = 30
		$extra
		  }
		}
	EOF
}

# smtp_pipe: one session over pipes, the client's bytes on stdin, the
# replies on stdout.  Bounded: a hung server fails the test.
smtp_pipe() {
	REMOTE_ADDR="$PEER" timeout -k 5 "${SMTP_TIMEOUT:-30}" "$SMTPD" -c "$CONF" --log=stderr 2>>"$LOG"
}

# lmtp_pipe: the same over lmtpd.
lmtp_pipe() {
	REMOTE_ADDR="$PEER" timeout -k 5 "${SMTP_TIMEOUT:-30}" "$LMTPD" -c "$CONF" --log=stderr 2>>"$LOG"
}

# Files directly in a new/ of any maildir or of the spool.  (Matched on the
# parent's name: $T itself lives under /tmp.)
delivered() {
	find "$MAILROOT" "$SPOOL" -type f 2>/dev/null | grep -E '/new/[^/]+$' | sort
}

spooled() {
	find "$SPOOL" -type f 2>/dev/null | grep -E '/new/[^/]+$' | sort
}

# Files left in a tmp/ of any maildir or of the spool.
tmp_files() {
	find "$MAILROOT" "$SPOOL" -type f 2>/dev/null | grep -E '/tmp/[^/]+$' | sort
}

# Every regular file below $T that the harness did not put there and that
# is not inside a maildir or the spool: must be none.
stray_files() {
	find "$T" -type f ! -path "$MAILROOT/*" ! -path "$SPOOL/*" \
		! -name smtpd.conf ! -name users ! -name aliases ! -name log \
		! -name 'client.*' ! -name 'out.*' ! -name 'rss.*' 2>/dev/null
	# and nothing above $T: the test's parent holds no new entries
	find "$BATS_TEST_TMPDIR" -mindepth 1 -maxdepth 1 ! -name h ! -name 'bats-*' 2>/dev/null
}

# True when the binary carries AddressSanitizer (SANITIZE=1 builds).
asan_build() {
	nm -D "$SMTPD" 2>/dev/null | grep -q __asan_init || nm "$SMTPD" 2>/dev/null | grep -q __asan_init
}

# Peak RSS in KiB of one run of smtpd (GNU time's %M), replies to $1.
# Stdin is the client's bytes.
smtp_rss() {
	local out=$1
	REMOTE_ADDR="$PEER" timeout -k 5 "${SMTP_TIMEOUT:-300}" /usr/bin/time -f %M -o "$T/rss.txt" \
		"$SMTPD" -c "$CONF" --log=stderr >"$out" 2>>"$LOG"
	tail -1 "$T/rss.txt"
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_socket [SMTPD-ARG...]: systemd-socket-activate on 127.0.0.1:$PORT,
# one smtpd per connection (Accept=yes, as the generated units do).
start_socket() {
	PORT=$(free_port)
	systemd-socket-activate -l "127.0.0.1:$PORT" --accept --inetd \
		"$SMTPD" -c "$CONF" --log=stderr "$@" 2>>"$LOG" &
	SA_PID=$!
	local i
	# listening yet?  (/proc/net/tcp, state 0A; a probe connection would
	# start a handler and put a lost connection in the log)
	for i in $(seq 1 100); do
		grep -qi "^ *[0-9]*: 0100007F:$(printf '%04X' "$PORT") [0-9A-F:]* 0A " /proc/net/tcp && return 0
		sleep 0.05
	done
	echo "systemd-socket-activate did not listen on $PORT" >&2
	return 1
}

# Stop the launcher we started, then the handlers it started (by pid).
stop_socket() {
	[ -n "${SA_PID:-}" ] || return 0
	local kids
	kids=$(pgrep -P "$SA_PID" || true)
	kill "$SA_PID" 2>/dev/null || true
	wait "$SA_PID" 2>/dev/null || true
	[ -z "$kids" ] || kill $kids 2>/dev/null || true
	SA_PID=
}

# The handlers still running under our launcher.
socket_children() {
	pgrep -P "$SA_PID" || true
}
