#!/usr/bin/env bats
# Migrating current James configurations (issue 18): the <auth> block,
# environment placeholders, empty server lists, port 0, handlers with no
# equivalent.  Each layout is translated, the result passes --check, and a
# server started on it behaves as the XML said.

load common

M=$SRCDIR/tests/tools/fixtures/migrate

setup() {
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/mail" "$T/spool"
	# alice's password is "secret"
	printf 'alice@example.org:{PLAIN}secret\n' >"$T/users"
	: >"$T/aliases"
	GLOBALS=(--users="$T/users" --aliases="$T/aliases" --mailboxes="$T/mail/%d/%n" --spool="$T/spool")
}

teardown() {
	stop_pidfile "$BATS_TEST_TMPDIR/activate.pid"
}

# translate FILE...: into $T/out.conf, stderr into $T/err
translate() {
	"$SMTPD_CONFIG" translate "${GLOBALS[@]}" "$@" >"$T/out.conf" 2>"$T/err"
}

# session CONF LISTENER PEER: the client lines on stdin, over a pipe, as a
# client at address PEER; the replies in $output.
session() {
	run --separate-stderr env REMOTE_ADDR="$3" "$SMTPD" -c "$1" -s "$2" --log=stderr
	output=${output//$'\r'/}
	mapfile -t lines <<<"$output"
}

# AUTH PLAIN alice/secret
PLAIN=$(printf '\0alice@example.org\0secret' | base64)

@test "James apps' sample: three listeners, the <auth> block carried over without a warning, --check passes" {
	translate "$M/app-smtpserver.xml"
	run cat "$T/out.conf"
	assert_line 'smtpserver "smtpserver-global" {  # '"$M"'/app-smtpserver.xml:6'
	assert_line 'smtpserver "smtpserver-TLS" {  # '"$M"'/app-smtpserver.xml:36'
	assert_line 'smtpserver "smtpserver-authenticated" {  # '"$M"'/app-smtpserver.xml:58'
	assert_line '      announce = "never"'
	assert_line '      announce = "forUnauthorizedAddresses"'
	assert_line '      requireSSL = true'
	assert_line '      plainAuthEnabled = true'
	refute_line --partial 'authRequired'
	run grep -ci 'auth' "$T/err"
	assert_output 0
	run "$SMTPD" -c "$T/out.conf" --check
	assert_success
	assert_line --regexp "^$T/out.conf: OK \\([0-9]+ warnings?\\)$"
}

# A listener without STARTTLS, so that only requireSSL decides.
auth_conf() {
	cat >"$T/auth.xml" <<-EOF
	<smtpservers>
	  <smtpserver>
	    <jmxName>sub</jmxName>
	    <bind>127.0.0.1:2587</bind>
	    <helloName autodetect="false">mx.example.org</helloName>
	    <auth>$1</auth>
	    <authorizedAddresses>127.0.0.0/8</authorizedAddresses>
	  </smtpserver>
	</smtpservers>
	EOF
	translate "$T/auth.xml" "$M/../domainlist.xml"
	"$SMTPD" -c "$T/out.conf" --check >/dev/null 2>&1
}

@test "requireSSL = true: AUTH is not offered in clear, AUTH before TLS gets 538 5.7.11" {
	auth_conf '<announce>forUnauthorizedAddresses</announce><requireSSL>true</requireSSL>'
	grep -q '      requireSSL = true' "$T/out.conf"
	session "$T/out.conf" sub 192.0.2.9 < <(printf 'EHLO c.example.net\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$PLAIN")
	refute_line --partial '250-AUTH'
	assert_line --regexp '^538 5\.7\.11 '
	# the same listener with requireSSL = false offers AUTH and takes it
	auth_conf '<announce>forUnauthorizedAddresses</announce><requireSSL>false</requireSSL>'
	session "$T/out.conf" sub 192.0.2.9 < <(printf 'EHLO c.example.net\r\nAUTH PLAIN %s\r\nQUIT\r\n' "$PLAIN")
	assert_line --regexp '^250[- ]AUTH PLAIN LOGIN$'
	assert_line --regexp '^235 2\.7\.0 '
}

@test "plainAuthEnabled = false: no AUTH advertised, AUTH PLAIN and LOGIN get 504 5.5.4" {
	auth_conf '<announce>always</announce><requireSSL>false</requireSSL><plainAuthEnabled>false</plainAuthEnabled>'
	grep -q '      plainAuthEnabled = false' "$T/out.conf"
	session "$T/out.conf" sub 192.0.2.9 < <(printf 'EHLO c.example.net\r\nAUTH PLAIN %s\r\nAUTH LOGIN\r\nQUIT\r\n' "$PLAIN")
	refute_line --partial 'AUTH'
	[ "$(grep -c '^504 5\.5\.4 ' <<<"$output")" -eq 2 ]
}

@test "announce never | forUnauthorizedAddresses | always: who is offered AUTH" {
	auth_conf '<announce>never</announce><requireSSL>false</requireSSL>'
	for peer in 127.0.0.1 192.0.2.9; do
		session "$T/out.conf" sub "$peer" < <(printf 'EHLO c.example.net\r\nQUIT\r\n')
		refute_line --partial 'AUTH'
	done
	auth_conf '<announce>forUnauthorizedAddresses</announce><requireSSL>false</requireSSL>'
	session "$T/out.conf" sub 127.0.0.1 < <(printf 'EHLO c.example.net\r\nQUIT\r\n')
	refute_line --partial 'AUTH'
	session "$T/out.conf" sub 192.0.2.9 < <(printf 'EHLO c.example.net\r\nQUIT\r\n')
	assert_line --regexp '^250[- ]AUTH PLAIN LOGIN$'
	auth_conf '<announce>always</announce><requireSSL>false</requireSSL>'
	for peer in 127.0.0.1 192.0.2.9; do
		session "$T/out.conf" sub "$peer" < <(printf 'EHLO c.example.net\r\nQUIT\r\n')
		assert_line --regexp '^250[- ]AUTH PLAIN LOGIN$'
	done
}

@test "auth { } wins over authRequired; required = true alone offers AUTH to unauthorized addresses" {
	cat >"$T/both.conf" <<-EOF
	domains = { "example.org" }
	users = "$T/users"
	mailboxes = "$T/mail/%d/%n"
	spool = "$T/spool"
	smtpserver "a" {
	  bind = { "127.0.0.1:2525" }
	  handler {
	    helloName = "mx.example.org"
	    authRequired = true
	    auth { announce = "never" }
	  }
	}
	smtpserver "b" {
	  bind = { "127.0.0.1:2526" }
	  handler {
	    helloName = "mx.example.org"
	    authRequired = false
	    auth { required = true }
	  }
	}
	EOF
	session "$T/both.conf" a 192.0.2.9 < <(printf 'EHLO c.example.net\r\nQUIT\r\n')
	refute_line --partial 'AUTH'
	session "$T/both.conf" b 192.0.2.9 < <(printf 'EHLO c.example.net\r\nQUIT\r\n')
	assert_line --regexp '^250[- ]AUTH PLAIN LOGIN$'
	session "$T/both.conf" b 127.0.0.1 < <(printf 'EHLO c.example.net\r\nQUIT\r\n')
	refute_line --partial 'AUTH'
}

@test "a bad auth { } value is a FILE:LINE error" {
	cat >"$T/bad.conf" <<-EOF
	domains = { "example.org" }
	spool = "$T/spool"
	smtpserver "a" {
	  bind = { "127.0.0.1:2525" }
	  handler {
	    helloName = "mx.example.org"
	    auth {
	      announce = "sometimes"
	    }
	  }
	}
	EOF
	run "$SMTPD" -c "$T/bad.conf" --check
	assert_failure 78
	assert_line "$T/bad.conf:8: auth: announce must be never, forUnauthorizedAddresses or always, not 'sometimes'"
}

@test "LMTP off (an empty <lmtpservers>): exit 0, no listener, passes --check" {
	translate "$M/lmtp-off.xml" "$M/app-smtpserver.xml"
	run cat "$T/out.conf"
	refute_line --partial 'lmtpserver'
	run "$SMTPD" -c "$T/out.conf" --check
	assert_success
	# alone, too
	run --separate-stderr "$SMTPD_CONFIG" translate "$M/lmtp-off.xml"
	assert_success
	refute_output --partial 'lmtpserver "'
}

@test "port 0 (James' test resources): the standard port, one warning per bind with its line" {
	translate "$M/port0-smtpserver.xml" "$M/port0-lmtpserver.xml"
	run cat "$T/out.conf"
	assert_line '  bind = { "127.0.0.1:25" }'
	assert_line '  bind = { "0.0.0.0:465" }'
	assert_line '  bind = { "0.0.0.0:587" }'
	assert_line '  bind = { "127.0.0.1:24" }'
	run cat "$T/err"
	assert_line "$M/port0-smtpserver.xml:6: warning: bind 127.0.0.1:0: port 0 (any free port) cannot be socket-activated; written as 127.0.0.1:25"
	assert_line "$M/port0-smtpserver.xml:15: warning: bind 0.0.0.0:0: port 0 (any free port) cannot be socket-activated; written as 0.0.0.0:465"
	assert_line "$M/port0-smtpserver.xml:24: warning: bind 0.0.0.0:0: port 0 (any free port) cannot be socket-activated; written as 0.0.0.0:587"
	assert_line "$M/port0-lmtpserver.xml:5: warning: bind 127.0.0.1:0: port 0 (any free port) cannot be socket-activated; written as 127.0.0.1:24"
	assert_line "$M/port0-lmtpserver.xml:9: note: <heloName> is not read by James (the element is helloName); carried over as helloName = \"lmtp.example.org\""
	run "$SMTPD" -c "$T/out.conf" --check
	assert_success
}

@test "\${env:...} placeholders (Helm, Docker): carried over, listed, expanded when smtpd reads the file" {
	translate "$M/helm-smtpserver.xml"
	run cat "$T/out.conf"
	assert_line '  enabled = ${JAMES_SMTP_ENABLED:-true}'
	assert_line '    helloName = "${JAMES_SMTP_HOSTNAME}"'
	assert_line '    connectionTimeout = ${JAMES_SMTP_TIMEOUT:-360}'
	assert_line '    maxmessagesize = ${JAMES_MESSAGE_SIZE}'
	assert_line '    smtpGreeting = "${JAMES_SMTP_HOSTNAME} ESMTP"'
	assert_line '      requireSSL = ${JAMES_REQUIRE_SSL:-false}'
	run cat "$T/err"
	assert_line "smtpd-config: note: the configuration reads the environment variables JAMES_SMTP_ENABLED JAMES_SMTP_HOSTNAME JAMES_SMTP_TIMEOUT JAMES_REQUIRE_SSL JAMES_MESSAGE_SIZE: smtpd must be started with them set (the units generated by 'smtpd-config units' read them from an EnvironmentFile=)"
	refute_line --partial 'warning: <'
	# unset, the host name is empty: a clear error at --check
	run env -u JAMES_SMTP_HOSTNAME "$SMTPD" -c "$T/out.conf" --check
	assert_failure 78
	assert_line --partial "helloName '' is not a domain name"
	# set, the session uses the values
	export JAMES_SMTP_HOSTNAME=mx.helm.example JAMES_MESSAGE_SIZE=100
	run "$SMTPD" -c "$T/out.conf" --check
	assert_success
	session "$T/out.conf" smtpserver-global 192.0.2.9 < <(printf 'EHLO c.example.net\r\nQUIT\r\n')
	assert_line '220 mx.helm.example ESMTP'
	assert_line '250-SIZE 102400'
}

@test "a placeholder of another form is reported and not carried over" {
	cat >"$T/sys.xml" <<-'EOF'
	<smtpservers>
	  <smtpserver>
	    <bind>127.0.0.1:25</bind>
	    <maxmessagesize>${sys:james.size}</maxmessagesize>
	  </smtpserver>
	</smtpservers>
	EOF
	translate "$T/sys.xml"
	run cat "$T/err"
	assert_line "$T/sys.xml:4: warning: <maxmessagesize>\${sys:james.size}</maxmessagesize>: only \${env:NAME} and \${env:NAME:-default} placeholders are carried over; not carried over"
	run cat "$T/out.conf"
	refute_line --partial 'maxmessagesize'
}

@test "handlers and elements with no equivalent: one line each saying what to use instead" {
	cat >"$T/h.xml" <<-'EOF'
	<smtpservers>
	  <smtpserver>
	    <bind>127.0.0.1:25</bind>
	    <authorizedAddresses>127.0.0.0/8</authorizedAddresses>
	    <disabledFeatures>PIPELINING</disabledFeatures>
	    <handlerchain>
	      <handler class="org.apache.james.smtpserver.fastfail.SPFHandler"/>
	      <handler class="org.apache.james.smtpserver.fastfail.SpamAssassinHandler"/>
	      <handler class="org.apache.james.crowdsec.CrowdsecEhloHook"/>
	      <handler class="org.apache.james.smtpserver.futurerelease.FutureReleaseMAILParameterHook"/>
	      <handler class="org.apache.james.smtpserver.AllowedUnauthenticatedSender"/>
	      <handler class="org.apache.james.smtpserver.SmtpRequireTlsParameterHook"/>
	    </handlerchain>
	  </smtpserver>
	</smtpservers>
	EOF
	translate "$T/h.xml"
	run grep -c "^$T/h.xml:[0-9]*: warning: " "$T/err"
	assert_output 7
	run cat "$T/err"
	assert_line --partial "$T/h.xml:5: warning: <disabledFeatures>PIPELINING</disabledFeatures> is not carried over"
	assert_line --partial "$T/h.xml:7: warning: handler org.apache.james.smtpserver.fastfail.SPFHandler has no equivalent here: check SPF with the rspamd milter recipe"
	assert_line --partial "$T/h.xml:8: warning: handler org.apache.james.smtpserver.fastfail.SpamAssassinHandler has no equivalent here: scan content with the rspamd milter recipe"
	assert_line --partial "$T/h.xml:9: warning: handler org.apache.james.crowdsec.CrowdsecEhloHook has no equivalent here: block abusive clients with DNSRBLHandler"
	assert_line --partial "$T/h.xml:10: warning: handler org.apache.james.smtpserver.futurerelease.FutureReleaseMAILParameterHook has no equivalent here: FUTURERELEASE (RFC 4865) is not offered"
	assert_line --partial "$T/h.xml:11: warning: handler org.apache.james.smtpserver.AllowedUnauthenticatedSender has no equivalent here: list the networks"
	assert_line --partial "$T/h.xml:12: warning: handler org.apache.james.smtpserver.SmtpRequireTlsParameterHook has no equivalent here: REQUIRETLS (RFC 8689) is not offered"
}

@test "proxyRequired (James behind a load balancer): carried over, with a warning to list the balancers" {
	cat >"$T/proxy.xml" <<-'EOF2'
	<smtpservers>
	  <smtpserver>
	    <jmxName>mx</jmxName>
	    <bind>127.0.0.1:25</bind>
	    <authorizedAddresses>127.0.0.0/8</authorizedAddresses>
	    <proxyRequired>true</proxyRequired>
	  </smtpserver>
	</smtpservers>
	EOF2
	translate "$T/proxy.xml"
	run cat "$T/out.conf"
	assert_line '  proxyRequired = true'
	run cat "$T/err"
	assert_line "$T/proxy.xml:2: warning: proxyRequired: list the load balancers that may send the PROXY header in proxyTrusted = { ... }; until then anyone who can connect may claim any address"
	run "$SMTPD" -c "$T/out.conf" --check
	assert_success
	# a session on it reads the PROXY header first and takes its address
	session "$T/out.conf" mx 127.0.0.1 < <(printf 'PROXY TCP4 198.51.100.7 127.0.0.1 40000 25\r\nEHLO c.example.net\r\nQUIT\r\n')
	assert_line --regexp '^250-.* Hello c\.example\.net \[198\.51\.100\.7\]$'
}

@test "units generated from a file with placeholders read them from an EnvironmentFile=" {
	translate "$M/helm-smtpserver.xml"
	mkdir "$T/units"
	JAMES_SMTP_HOSTNAME=mx.helm.example JAMES_MESSAGE_SIZE=100 \
		run "$SMTPD_CONFIG" units -c "$T/out.conf" -o "$T/units"
	assert_success
	run cat "$T/units/smtpserver-global@.service"
	assert_line "# The configuration reads the environment variables JAMES_SMTP_ENABLED JAMES_SMTP_HOSTNAME JAMES_SMTP_TIMEOUT JAMES_MESSAGE_SIZE JAMES_REQUIRE_SSL:"
	assert_line "EnvironmentFile=-$INSTALL_SYSCONFDIR/smtpd/environment"
	# a file without placeholders gets no such line
	translate "$M/app-smtpserver.xml"
	rm -rf "$T/units"; mkdir "$T/units"
	run "$SMTPD_CONFIG" units -c "$T/out.conf" -o "$T/units"
	assert_success
	run grep -l EnvironmentFile "$T/units/"*.service
	assert_failure
}

@test "the RemoteDelivery mailet (mailetcontainer.xml) becomes remoteDelivery { }; the password never lands in smtpd.conf" {
	translate "$M/app-smtpserver.xml" "$M/mailetcontainer.xml"
	run cat "$T/out.conf"
	assert_line "remoteDelivery {  # $M/mailetcontainer.xml:19"
	assert_line '  delayTime = "5000, 100000, 500000"'
	assert_line '  maxRetries = 3'
	assert_line '  gateway = { "smarthost.example.net" }'
	assert_line '  gatewayPort = 587'
	assert_line '  gatewayUsername = "relay@example.org"'
	assert_line '  gatewayPasswordFile = "/etc/smtpd/gateway-password"'
	assert_line '  startTLS = true'
	assert_line '  heloName = "mx.example.org"'
	refute_output --partial 's3cret'
	run cat "$T/err"
	assert_line "$M/mailetcontainer.xml:20: warning: RemoteDelivery <outgoingQueue> is not carried over: the queue is the spool's outgoing/ directory (spool = ...)"
	assert_line "$M/mailetcontainer.xml:24: warning: RemoteDelivery <deliveryThreads> is not carried over: smtpd-relay delivers up to concurrency messages at once (remoteDelivery { concurrency })"
	assert_line --partial "$M/mailetcontainer.xml:30: warning: RemoteDelivery <gatewayPassword> is not written into smtpd.conf"
	# the other mailets are not James server settings: no line for them
	refute_output --partial 'LocalDelivery'
	run "$SMTPD" -c "$T/out.conf" --check
	assert_success
	# alone, a mailetcontainer.xml is a James file too
	run --separate-stderr "$SMTPD_CONFIG" translate "$M/mailetcontainer.xml"
	assert_success
}
