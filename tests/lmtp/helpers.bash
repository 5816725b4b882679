# Shared by the LMTP bats files: a mail store, configurations, and servers
# started by systemd-socket-activate (stopped in teardown).

load ../lib/common

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Lines with CRLF, as the protocol wants them.
crlf() {
	printf '%s\r\n' "$@"
}

# make_store DIR: users alice, bob, carol; alias team -> alice, bob; an empty
# mail root and spool; DIR/lmtpd.conf with an lmtpserver block.  Extra
# handler { } lines come from $LMTP_HANDLER.
make_store() {
	local d=$1
	conf_store "$d" 'alice@example.org:{PLAIN}x' 'bob@example.org:{PLAIN}x' \
		'carol@example.org:{PLAIN}x'
	printf '%s\n' 'team@example.org: alice@example.org, bob@example.org' > "$d/aliases"
	{
		conf_head "$d" example.org
		cat <<CONF
lmtpserver "lmtp" {
  handler {
    helloName = "lmtp.example.org"
    ${LMTP_HANDLER:-}
  }
}
CONF
	} > "$d/lmtpd.conf"
}

# smtpd_conf: $T/smtpd.conf, the store's users with one plain SMTP listener.
smtpd_conf() {
	{
		conf_head "$T" example.org
		echo 'smtpserver "smtp" { handler { helloName = "mx.example.org" } }'
	} > "$T/smtpd.conf"
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

# start_activated ADDR COMMAND...: one COMMAND per connection on ADDR (a
# path or 127.0.0.1:PORT); its stderr and the children's go to $T/ssa.log.
start_activated() {
	local addr=$1
	shift
	activate "$addr" "$T/ssa.log" "$@"
}

stop_activated() {
	activate_stop
}
