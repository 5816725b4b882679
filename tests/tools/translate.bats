#!/usr/bin/env bats
# smtpd-config translate: James' XML (both layouts) to smtpd.conf; the
# output passes smtpd --check and a socket-activated smtpd behaves as the
# XML said (greeting, helloName, maxRcpt, SIZE).

load common

setup() {
	T=$BATS_TEST_TMPDIR
	conf_store "$T" {alice,bob,carol,dave}@example.org:'{PLAIN}pw'
	GLOBALS=(--users="$T/users" --aliases="$T/aliases" --mailboxes="$T/mail/%d/%n" --spool="$T/spool")
}

teardown() {
	activate_stop
}

james3() {
	run --separate-stderr "$SMTPD_CONFIG" translate "${GLOBALS[@]}" \
		"$FIXTURES/james3-smtpserver.xml" "$FIXTURES/lmtpserver.xml" "$FIXTURES/domainlist.xml"
}

@test "James 3 layout: listeners, options and handlerchain carried over" {
	james3
	assert_success
	assert_line 'smtpserver "smtpserver-global" {  # '"$FIXTURES"'/james3-smtpserver.xml:4'
	assert_line '  enabled = true'
	assert_line '  bind = { "0.0.0.0:25", "[::]:25" }'
	assert_line '  connectBacklog = 150'
	assert_line '    helloName = "mx.example.org"'
	assert_line '    helloNameAutodetect = false'
	assert_line '    connectionTimeout = 300'
	assert_line '    connectionLimit = 50'
	assert_line '    connectionLimitPerIP = 5'
	assert_line '    auth {'
	assert_line '      announce = "forUnauthorizedAddresses"'
	assert_line '      requireSSL = true'
	assert_line '    authorizedAddresses = { "127.0.0.0/8", "192.0.2.0/24" }'
	assert_line '    maxmessagesize = 2048'
	assert_line '    smtpGreeting = "Welcome to the example.org mail service"'
	assert_line '      handler "ValidRcptHandler" { }'
	assert_line '      handler "MaxRcptHandler" { maxRcpt = 3 }'
	assert_line '      handler "DNSRBLHandler" { rblservers { blacklist = { "zen.spamhaus.org" } } }'
	refute_output --partial 'CoreCmdHandlerLoader'
	refute_output --partial 'keystore'
	refute_output --partial 'ioWorkerCount'
}

@test "James 3 layout: a second listener is named from its port; enabled and TLS attributes" {
	james3
	assert_success
	assert_line --regexp '^smtpserver "smtp-465" \{'
	assert_line '  enabled = false'
	assert_line '  bind = { "0.0.0.0:465" }'
	assert_line '    socketTLS = true'
	assert_line '    certificates = "/etc/james/tls/chain.pem"'
	assert_line '    privateKey = "/etc/james/tls/private.key"'
	assert_line '      announce = "always"'
}

@test "lmtpserver.xml and domainlist.xml" {
	james3
	assert_success
	assert_line --regexp '^lmtpserver "lmtpserver" \{'
	assert_line '  bind = { "127.0.0.1:24" }'
	assert_line '    connectionTimeout = 1200'
	assert_line 'domains   = { "example.org", "Example.NET" }'
	assert_line "users     = \"$T/users\""
	assert_line "mailboxes = \"$T/mail/%d/%n\""
}

@test "James 3: what is not carried over is reported with FILE:LINE" {
	james3
	assert_success
	f=$FIXTURES/james3-smtpserver.xml
	use_stderr
	assert_line "$f:9: warning: keystore file://conf/keystore is a Java keystore, which smtpd cannot read; export the chain and key as PEM files:"
	assert_line "$f:9: note:   keytool -importkeystore -srckeystore conf/keystore -destkeystore smtpd.p12 -deststoretype PKCS12"
	assert_line "$f:9: note:   openssl pkcs12 -in smtpd.p12 -nokeys -out /etc/smtpd/tls/fullchain.pem"
	assert_line "$f:9: note:   openssl pkcs12 -in smtpd.p12 -nocerts -nodes -out /etc/smtpd/tls/privkey.pem"
	refute_line --partial 'requireSSL'
	assert_line "$f:27: warning: <ioWorkerCount>: there are no threads here, one process per connection; limit concurrency with connectionLimit"
	refute_output --partial 'DNSRBLHandler'
	assert_line "$FIXTURES/domainlist.xml:7: warning: <autodetect>: James added the host's names as local domains; list them in domains"
	# the core handlers go silently
	refute_output --partial CoreCmdHandlerLoader
}

@test "older layout: options under <handler>, port and bind, connectBacklog" {
	run --separate-stderr "$SMTPD_CONFIG" translate "${GLOBALS[@]}" "$FIXTURES/james2-smtpserver.xml"
	assert_success
	assert_line --regexp '^smtpserver "smtp-2525" \{'
	assert_line '  bind = { "127.0.0.1:2525" }'
	assert_line '  connectBacklog = 50'
	assert_line '    helloName = "relay.example.net"'
	assert_line '    connectionTimeout = 120'
	assert_line '    connectionLimitPerIP = 2'
	assert_line '    verifyIdentity = false'
	assert_line '    maxmessagesize = 1024'
	assert_line '    heloEhloEnforcement = true'
	assert_line '      handler "MaxRcptHandler" { maxRcpt = 2 }'
	refute_output --partial Greylist
	f=$FIXTURES/james2-smtpserver.xml
	use_stderr
	assert_line "$f:23: warning: handler com.example.james.GreylistHandler has no equivalent here (known: ValidRcptHandler, MaxRcptHandler, DNSRBLHandler, ResolvableEhloHeloHandler, ReverseEqualsEhloHeloHandler, ValidSenderDomainHandler, MaxUnknownCmdHandler, SupressDuplicateRcptHandler, EnforceHeaderLimitationsMessageHook, TarpitHandler, MilterHandler); dropped"
	assert_line "$f:26: warning: <threadpool>: there are no threads here, one process per connection; limit concurrency with connectionLimit"
	refute_output --partial HeloCmdHandler
	refute_output --partial EhloCmdHandler
}

@test "James 2 milliseconds, autodetect default, open relay guarded" {
	cat >"$T/old.xml" <<-'EOF'
	<config>
	  <smtpserver>
	    <port>25</port>
	    <handler>
	      <helloName>ignored.example.org</helloName>
	      <connectiontimeout>360000</connectiontimeout>
	      <authorizedAddresses>0.0.0.0/0, 10.0.0.0/8</authorizedAddresses>
	    </handler>
	  </smtpserver>
	  <smtpserver>
	    <jmxName>second one</jmxName>
	    <bind>192.0.2.1:2525</bind>
	  </smtpserver>
	</config>
	EOF
	run --separate-stderr "$SMTPD_CONFIG" translate "$T/old.xml"
	assert_success
	assert_line '  bind = { "0.0.0.0:25" }'
	assert_line '    connectionTimeout = 360'
	assert_line '    helloNameAutodetect = true'
	refute_line --partial 'ignored.example.org'
	assert_line '    authorizedAddresses = { "10.0.0.0/8" }'
	assert_line --regexp '^smtpserver "second-one" \{'
	assert_line '    authorizedAddresses = { "127.0.0.0/8", "::1" }'
	use_stderr
	assert_line "$T/old.xml:6: warning: <connectiontimeout>360000</connectiontimeout> is in milliseconds (James 2); written as 360 seconds"
	assert_line "$T/old.xml:5: warning: helloName has no autodetect=\"false\": James announced the host's name, not 'ignored.example.org'; translated as helloNameAutodetect = true"
	assert_line "$T/old.xml:7: warning: authorizedAddresses 0.0.0.0/0 would make an open relay; dropped"
	assert_line "$T/old.xml:11: warning: jmxName 'second one' written as 'second-one' (it names the systemd units)"
	assert_line "$T/old.xml:10: warning: no <authorizedAddresses>: James relays for every address when authRequired is false; written as 127.0.0.0/8 and ::1, list the networks that may relay"
}

@test "dnsservice.xml: IPv4 servers (at most 3) and timeout into dnsservice { }; the rest reported with FILE:LINE" {
	f=$FIXTURES/dnsservice.xml
	run --separate-stderr "$SMTPD_CONFIG" translate "${GLOBALS[@]}" "$FIXTURES/domainlist.xml" "$f"
	assert_success
	assert_line "dnsservice {  # $f:3"
	assert_line '  servers = { "127.0.0.53", "192.0.2.1", "192.0.2.2" }'
	assert_line '  timeout = 3'
	printf '%s\n' "$output" >"$T/dns.conf"
	use_stderr
	assert_line "$f:6: warning: DNS server '::1' is not an IPv4 address, which is all the libc resolver's settings take; dropped (name a local resolver on 127.0.0.1, or leave servers empty for /etc/resolv.conf)"
	assert_line --partial "$f:8: warning: DNS server 'dns.example.net' is not an IPv4 address"
	assert_line "$f:10: warning: DNS server 192.0.2.3: the libc resolver asks at most 3 servers; dropped"
	assert_line "$f:4: warning: James asked the servers of /etc/resolv.conf first, then these (<autodiscover> is true); here the listed servers replace /etc/resolv.conf: leave servers empty to keep the system's"
	assert_line --partial "$f:4: note: dnsservice { } serves the handlers; smtpd-relay asks remoteDelivery { dnsServers }"
	assert_line "$f:13: warning: <authoritative> is not carried over: answers are taken as the resolver gives them"
	assert_line "$f:14: warning: <maxcachesize> is not carried over: a process serves one connection and keeps no DNS cache: run a caching resolver (unbound) and name it in servers"
	assert_line --partial "$f:15: warning: <singleIPperMX> is not carried over"
	assert_line "$f:17: warning: <somethingElse> has no equivalent in dnsservice { }; not carried over"
	# what it wrote is a configuration smtpd takes
	run "$SMTPD" -c "$T/dns.conf" --check
	assert_success
}

@test "dnsservice.xml: no servers is /etc/resolv.conf (autodiscover); autodiscover false is 127.0.0.1, as James did" {
	printf '<dnsservice><servers></servers><maxcachesize>50000</maxcachesize></dnsservice>\n' >"$T/d1.xml"
	run --separate-stderr "$SMTPD_CONFIG" translate "$T/d1.xml"
	assert_success
	assert_line '  servers = { }  # /etc/resolv.conf'
	refute_line --partial 'timeout'
	printf '<dnsservice>\n<autodiscover>false</autodiscover>\n</dnsservice>\n' >"$T/d2.xml"
	run --separate-stderr "$SMTPD_CONFIG" translate "$T/d2.xml"
	assert_success
	assert_line '  servers = { "127.0.0.1" }'
	use_stderr
	assert_line "$T/d2.xml:2: note: <autodiscover>false</autodiscover> and no servers: James asked 127.0.0.1; written so"
}

@test "malformed XML: error with the line, exit 65, nothing on stdout" {
	run --separate-stderr "$SMTPD_CONFIG" translate "$FIXTURES/malformed.xml"
	assert_failure 65
	assert_output ''
	use_stderr
	assert_line "$FIXTURES/malformed.xml:5: error: Opening and ending tag mismatch: helloName line 5 and helloname"
}

@test "a file that is not James configuration: exit 65" {
	echo '<beans><bean id="x"/></beans>' >"$T/other.xml"
	run --separate-stderr "$SMTPD_CONFIG" translate "$T/other.xml"
	assert_failure 65
	use_stderr
	assert_line "$T/other.xml: no <smtpservers>, <lmtpservers>, <domainlist>, <dnsservice> or RemoteDelivery mailet: not a James configuration file"
}

@test "a missing file: exit 66; no file: usage, exit 64" {
	run --separate-stderr "$SMTPD_CONFIG" translate "$T/nope.xml"
	assert_failure 66
	[[ $stderr == "$T/nope.xml: cannot read: No such file or directory" ]]
	run --separate-stderr "$SMTPD_CONFIG" translate
	assert_failure 64
}

@test "the translations pass smtpd --check" {
	james3
	assert_success
	printf '%s\n' "$output" >"$T/3.conf"
	run "$SMTPD" -c "$T/3.conf" --check
	assert_success
	assert_line --regexp "^$T/3.conf: OK \\([0-9]+ warnings?\\)$"
	"$SMTPD_CONFIG" translate "${GLOBALS[@]}" "$FIXTURES/james2-smtpserver.xml" >"$T/2.conf"
	run "$SMTPD" -c "$T/2.conf" --check
	assert_success
	# the fixture's maxRcpt 2 is below what RFC 5321 asks servers to accept
	assert_line --partial "warning: handlerchain: MaxRcptHandler: maxRcpt = 2 is below the 100 recipients"
	assert_line "$T/2.conf: OK (1 warning)"
}

# swaks against the translated listener NAME of CONF, recipients RCPTS.
talk() {
	local conf=$1 name=$2 rcpts=$3 port
	port=$(free_port)
	start_activated "$port" "$SMTPD" -c "$conf" -s "$name" --log=stderr
	run swaks --server 127.0.0.1 --port "$port" --helo client.example.net \
		--from sender@example.net --to "$rcpts" --quit-after RCPT --timeout 10
}

@test "James 3 translation served: greeting, helloName, SIZE, maxRcpt 3 -> 452 4.5.3" {
	"$SMTPD_CONFIG" translate "${GLOBALS[@]}" "$FIXTURES/james3-smtpserver.xml" \
		"$FIXTURES/domainlist.xml" >"$T/3.conf" 2>/dev/null
	talk "$T/3.conf" smtpserver-global alice@example.org,bob@example.org,carol@example.org,dave@example.org
	assert_line '<-  220 Welcome to the example.org mail service'
	assert_line --regexp '^<-  250-mx\.example\.org Hello client\.example\.net \[127\.0\.0\.1\]$'
	assert_line '<-  250-SIZE 2097152'
	assert_line '<-  250 2.1.5 Recipient OK'
	assert_line '<** 452 4.5.3 Too many recipients'
	[ "$(grep -c '^<-  250 2.1.5 Recipient OK' <<<"$output")" -eq 3 ]
}

@test "older-layout translation served: helloName greeting, SIZE, maxRcpt 2 -> 452 4.5.3" {
	"$SMTPD_CONFIG" translate "${GLOBALS[@]}" "$FIXTURES/james2-smtpserver.xml" >"$T/2.conf" 2>/dev/null
	talk "$T/2.conf" smtp-2525 one@example.com,two@example.com,three@example.com
	assert_line '<-  220 relay.example.net ESMTP smtpd ready'
	assert_line '<-  250-SIZE 1048576'
	assert_line '<** 452 4.5.3 Too many recipients'
	[ "$(grep -c '^<-  250 2.1.5 Recipient OK' <<<"$output")" -eq 2 ]
}

# ---- fast-fail handlers (tests/handlers/ test them served) -------------------

@test "fast-fail handlers: James' class names and keys map onto the handlers; SPF and SpamAssassin point to the milter recipe" {
	f=$FIXTURES/james-fastfail.xml
	run --separate-stderr "$SMTPD_CONFIG" translate "${GLOBALS[@]}" "$f"
	assert_success
	assert_line '      handler "DNSRBLHandler" { rblservers { whitelist = { "wl.example" } blacklist = { "bl.example", "zen.spamhaus.org" } } getDetail = true }'
	assert_line '      handler "ResolvableEhloHeloHandler" { checkAuthNetworks = false }'
	assert_line '      handler "ReverseEqualsEhloHeloHandler" { }'
	assert_line '      handler "ValidSenderDomainHandler" { checkAuthNetworks = true }'
	assert_line '      handler "MaxUnknownCmdHandler" { maxUnknownCmdCount = 3 }'
	assert_line '      handler "SupressDuplicateRcptHandler" { }'
	assert_line '      handler "TarpitHandler" { tarpitRcptCount = 10 tarpitSleepTime = 2000 }'
	assert_line '      handler "EnforceHeaderLimitationsMessageHook" { maxLines = 300 maxSize = 32 }'
	refute_output --partial 'SPF'
	refute_output --partial 'SpamAssassin'
	printf '%s\n' "$output" >"$T/ff.conf"
	use_stderr
	assert_line "$f:38: warning: handler org.apache.james.smtpserver.fastfail.SPFHandler has no equivalent here: check SPF with the rspamd milter recipe (smtpd.conf(5), SPF, DKIM AND DMARC); dropped"
	assert_line "$f:41: warning: handler org.apache.james.smtpserver.fastfail.SpamAssassinHandler has no equivalent here: scan content with the rspamd milter recipe, or spamass-milter through a MilterHandler; dropped"
	run "$SMTPD" -c "$T/ff.conf" --check
	assert_success
}
