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

load ../lib/common

setup_hardening() {
	: "${SMTPD:?SMTPD must point at the smtpd binary}"
	T="$BATS_TEST_TMPDIR/h"
	CONF="$T/smtpd.conf"
	LOG="$T/log"
	MAILROOT="$T/mail"
	SPOOL="$T/spool"
	PEER=192.0.2.1
	conf_store "$T" 'alice@example.org:{PLAIN}alicepw' 'bob@example.org:{PLAIN}bobpw' \
		'postmaster@example.org:{PLAIN}pmpw'
	echo 'team@example.org: alice@example.org, bob@example.org' >"$T/aliases"
	: >"$LOG"
	write_conf
}

# write_conf [LINE...]: each LINE goes into the handler block.  CHAIN, when
# set, is the handlerchain block's content.
write_conf() {
	{
		conf_head "$T" example.org example.net
		cat <<-EOF
			smtpserver "smtp" {
			  handler {
			    helloName = "mx.example.org"
			    connectionTimeout = 30
			$(conf_indent "$@")
			    handlerchain { ${CHAIN:-handler "ValidRcptHandler" { \}} }
			  }
			}
			lmtpserver "lmtp" {
			  handler {
			    helloName = "mx.example.org"
			    connectionTimeout = 30
			$(conf_indent "$@")
			  }
			}
		EOF
	} >"$CONF"
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

# start_socket [SMTPD-ARG...]: smtpd per connection on 127.0.0.1:$PORT
# (Accept=yes, as the generated units do), logging to $LOG; stop_socket
# stops the launcher, then the handlers it started (by pid).
start_socket() { smtpd_socket "$LOG" "$@"; }
stop_socket() { activate_stop; }

# The handlers still running under our launcher.
socket_children() {
	pgrep -P "$ACTIVATED_PID" || true
}
