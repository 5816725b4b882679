# common.bash — shared set-up for the handler suites (tests/handlers/).
#
# One scripted DNS server per file (setup_file: tests/lib/fakedns.bash
# with zone.txt) and, per test, the directory of tests/bats/helpers.bash.
# write_chain CHAIN [HANDLER_LINES] writes a configuration whose
# handlerchain holds CHAIN, whose dnsservice is that DNS server, and in
# which only 127.0.0.1 is in authorizedAddresses: PEER=127.0.0.x (over
# pipes) or nc_from 127.0.0.x (over a socket) are other clients.

load ../bats/helpers
load ../lib/fakedns

handlers_setup_file() {
	fakedns_start "$SRCDIR/tests/handlers/zone.txt" "$BATS_FILE_TMPDIR"
	export FAKEDNS_ADDR FAKEDNS_PID FAKEDNS_LOG
}

handlers_teardown_file() {
	fakedns_stop
}

handlers_setup() {
	setup_smtpd
	echo "postmaster@example.org: alice@example.org" >>"$T/aliases"
	echo "abuse@example.org: alice@example.org" >>"$T/aliases"
	: >"$FAKEDNS_LOG"
}

write_chain() {
	cat >"$CONF" <<-EOF
		domains   = { "example.org", "example.net" }
		users     = "$T/users"
		aliases   = "$T/aliases"
		mailboxes = "$T/mail/%d/%n"
		spool     = "$T/spool"
		dnsservice { servers = { "$FAKEDNS_ADDR" } timeout = 1 }
		smtpserver "smtp" {
		  handler {
		    helloName = "$HELO_NAME"
		    authorizedAddresses = { "127.0.0.1" }
		    ${2:-}
		    handlerchain {
		      $1
		    }
		  }
		}
	EOF
}

b64() { printf '%b' "$1" | base64 -w0; }
AUTH_ALICE="AUTH PLAIN $(printf '\0alice@example.org\0alicepw' | base64 -w0)"

# nc_from ADDRESS FORMAT [ARG...]: one session over the socket of
# start_socket, from source ADDRESS (any 127.0.0.0/8 address is ours).
nc_from() {
	local src=$1
	shift
	# shellcheck disable=SC2059
	printf "$@" | nc -N -w 10 -s "$src" 127.0.0.1 "$PORT" | tr -d '\r'
}
