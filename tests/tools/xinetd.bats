#!/usr/bin/env bats
# smtpd-config xinetd: the generated service runs under a real xinetd
# (its own configuration file, in the foreground, on a free 127.0.0.1
# port): a message is delivered; per_source = 2 refuses a third
# simultaneous connection from one address.

load common

setup() {
	command -v xinetd >/dev/null || PATH=$PATH:/usr/sbin
	command -v xinetd >/dev/null || skip "xinetd is not installed (Debian package xinetd)"
	T=$BATS_TEST_TMPDIR
	PORT=$(free_port)
	conf_store "$T" 'alice@example.org:{PLAIN}pw'
	conf_head "$T" example.org >"$T/smtpd.conf"
	cat >>"$T/smtpd.conf" <<-EOF
	smtpserver "xsmtp" {
	  bind = { "127.0.0.1:$PORT" }
	  handler {
	    helloName = "xinetd.example.org"
	    connectionTimeout = 30
	    connectionLimit = 10
	    connectionLimitPerIP = 2
	  }
	}
	lmtpserver "xlmtp" {
	  bind = { "$T/lmtp.sock" }
	}
	EOF
	run --separate-stderr "$SMTPD_CONFIG" xinetd -c "$T/smtpd.conf" --smtpd="$SMTPD" --lmtpd="$LMTPD" \
		--user="$(id -un)" --group="$(id -gn)"
	assert_success
	printf '%s\n' "$output" >"$T/xinetd.conf"
	XINETD_STDERR=$stderr
}

teardown() {
	stop_pidfile "$BATS_TEST_TMPDIR/xinetd.run"
}

start_xinetd() {
	xinetd -dontfork -stayalive -f "$T/xinetd.conf" -pidfile "$T/xinetd.pid" \
		>"$T/xinetd.log" 2>&1 3>&- &
	echo $! >"$T/xinetd.run"
	wait_listen "$PORT"
}

@test "the service block carries the listener's values" {
	run cat "$T/xinetd.conf"
	assert_line 'service xsmtp'
	assert_line $'\ttype\t\t= UNLISTED'
	assert_line $'\tsocket_type\t= stream'
	assert_line $'\tprotocol\t= tcp'
	assert_line $'\twait\t\t= no'
	assert_line $'\tport\t\t= '"$PORT"
	assert_line $'\tbind\t\t= 127.0.0.1'
	assert_line $'\tinstances\t= 10'
	assert_line $'\tper_source\t= 2'
	assert_line $'\tserver\t\t= '"$SMTPD"
	assert_line $'\tserver_args\t= -c '"$T/smtpd.conf -s xsmtp"
	assert_line $'\tuser\t\t= '"$(id -un)"
	refute_line --regexp 'flags'
	# xinetd cannot listen on a UNIX socket: said, and skipped
	refute_output --partial xlmtp
	output=$XINETD_STDERR
	assert_output --partial "lmtpserver \"xlmtp\": xinetd cannot listen on the UNIX socket $T/lmtp.sock; skipped"
}

@test "an IPv6 bind entry gets flags = IPv6" {
	sed -i "s/bind = { \"127.0.0.1:$PORT\" }/bind = { \"[::1]:$PORT\" }/" "$T/smtpd.conf"
	run "$SMTPD_CONFIG" xinetd -c "$T/smtpd.conf" --smtpd="$SMTPD"
	assert_success
	assert_line $'\tbind\t\t= ::1'
	assert_line $'\tflags\t\t= IPv6'
}

@test "xinetd with the generated service delivers a message" {
	start_xinetd
	run swaks --server 127.0.0.1 --port "$PORT" --helo client.example.net \
		--from bob@example.net --to alice@example.org --header 'Subject: through xinetd' --timeout 10
	assert_success
	assert_line '<-  220 xinetd.example.org ESMTP smtpd ready'
	assert_line --regexp '^<-  250 2\.0\.0 OK: queued'
	run cat "$T"/mail/example.org/alice/new/*
	assert_output --partial $'Subject: through xinetd\r\n'
}

@test "per_source = 2: the third simultaneous connection from one address is refused" {
	start_xinetd
	run python3 - "$PORT" <<-'EOF'
	import socket, sys
	conns = []
	for i in range(3):
	    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
	    conns.append(s)
	    try:
	        line = s.makefile("rb").readline().decode().strip() or "EOF"
	    except (socket.timeout, ConnectionResetError) as e:
	        line = type(e).__name__
	    print(f"{i + 1}: {line}")
	EOF
	assert_success
	assert_line '1: 220 xinetd.example.org ESMTP smtpd ready'
	assert_line '2: 220 xinetd.example.org ESMTP smtpd ready'
	assert_line --regexp '^3: (EOF|ConnectionResetError)$'
}

# proxyTrusted = { ADDRESS }: regenerate the service behind a balancer
behind_balancer() {
	sed -i "s|bind = { \"127.0.0.1:$PORT\" }|bind = { \"127.0.0.1:$PORT\" }\n  proxyRequired = true\n  proxyTrusted = { \"$1\" }|" "$T/smtpd.conf"
	run --separate-stderr "$SMTPD_CONFIG" xinetd -c "$T/smtpd.conf" --smtpd="$SMTPD" --lmtpd="$LMTPD" \
		--user="$(id -un)" --group="$(id -gn)"
	assert_success
	printf '%s\n' "$output" >"$T/xinetd.conf"
}

@test "proxyTrusted becomes only_from: the balancer's PROXY header names the client" {
	behind_balancer 127.0.0.1
	run grep -F $'\tonly_from\t= 127.0.0.1/32' "$T/xinetd.conf"
	assert_success
	start_xinetd
	run timeout 20 python3 "$SRCDIR/tests/proxy/pp_client.py" "$PORT" \
		'PROXY TCP4 192.0.2.7 127.0.0.1 5555 25\r\n' "EHLO c.example" QUIT
	assert_success
	assert_line --partial 'Hello c.example [192.0.2.7]'
}

@test "proxyTrusted without the peer: xinetd itself refuses the connection" {
	behind_balancer 192.0.2.1
	run grep -F $'\tonly_from\t= 192.0.2.1/32' "$T/xinetd.conf"
	assert_success
	# smtpd's log on stderr, which under xinetd is the client's socket: if
	# smtpd ran, the client would read its "not in proxyTrusted" line
	sed -i 's/^\(\tserver_args\t= .*\)$/\1 --log=stderr/' "$T/xinetd.conf"
	start_xinetd
	run timeout 20 python3 "$SRCDIR/tests/proxy/pp_client.py" "$PORT" \
		'PROXY TCP4 192.0.2.7 127.0.0.1 5555 25\r\n' "EHLO c.example" QUIT
	assert_output ''
	# without only_from, smtpd is started and refuses by itself
	stop_pidfile "$BATS_TEST_TMPDIR/xinetd.run"
	sed -i '/only_from/d' "$T/xinetd.conf"
	start_xinetd
	run timeout 20 python3 "$SRCDIR/tests/proxy/pp_client.py" "$PORT" \
		'PROXY TCP4 192.0.2.7 127.0.0.1 5555 25\r\n' "EHLO c.example" QUIT
	assert_output --partial 'connection from [127.0.0.1], not in proxyTrusted: closing'
}

@test "the example units/smtpd.xinetd runs under xinetd (paths, port and user adapted)" {
	sed -e "s|= 25\$|= $PORT|; s|= 0.0.0.0\$|= 127.0.0.1|" \
		-e "s|^\tuser\t\t= smtpd|\tuser\t\t= $(id -un)|; s|^\tgroup\t\t= smtpd|\tgroup\t\t= $(id -gn)|" \
		-e "s|$INSTALL_SBINDIR/smtpd|$SMTPD|; s|-c $INSTALL_SYSCONFDIR/smtpd/smtpd.conf -s smtp|-c $T/smtpd.conf -s xsmtp|" \
		"$UNITS_BUILDDIR/smtpd.xinetd" >"$T/xinetd.conf"
	run grep -c "$PORT\|$SMTPD\|$T/smtpd.conf" "$T/xinetd.conf"
	assert_output 3
	start_xinetd
	run swaks --server 127.0.0.1 --port "$PORT" --helo client.example.net \
		--from bob@example.net --to alice@example.org --timeout 10
	assert_success
	assert_line --regexp '^<-  250 2\.0\.0 OK: queued'
}
