#!/usr/bin/env bats
# DNSRBLHandler: blocklist answers, whitelist, IPv6 nibbles, error codes,
# TXT details, the three places it refuses, timeouts, relaying clients.

load common

setup_file() { handlers_setup_file; }
teardown_file() { handlers_teardown_file; }
setup() { handlers_setup; }
teardown() { teardown_smtpd; }

RBL='handler "DNSRBLHandler" { rblservers { blacklist = { "bl.test" } whitelist = { "wl.test" } } '
DIALOGUE=("EHLO client.test" "MAIL FROM:<a@example.net>" "RCPT TO:<alice@example.org>" \
	"RCPT TO:<postmaster@example.org>" QUIT)

@test "rcpt (default): a listed client gets 554 5.7.1 for RCPT, postmaster still reachable" {
	write_chain "$RBL }"
	PEER=127.0.0.2 run smtp "${DIALOGUE[@]}"
	assert_line --index 7 "554 5.7.1 Rejected: unauthenticated e-mail from [127.0.0.2] is restricted.  Contact the postmaster for details."
	assert_line --index 8 "250 2.1.5 Recipient OK"
	grep -q 'dnsrbl: \[127.0.0.2\] listed in bl.test' "$T/log"
	grep -q '^2.0.0.127.bl.test A -> NOERROR' "$FAKEDNS_LOG"
}

@test "getDetail: the zone's TXT record is the reply text" {
	write_chain "$RBL getDetail = true }"
	PEER=127.0.0.2 run smtp "${DIALOGUE[@]}"
	assert_line --index 7 "554 5.7.1 Listed: see https://bl.test/q?ip=127.0.0.2"
}

@test "getDetail: CR LF in a TXT record cannot add a reply line" {
	write_chain "$RBL getDetail = true }"
	PEER=127.0.0.6 run smtp "${DIALOGUE[@]}"
	assert_line --index 7 "554 5.7.1 evil??250 2.0.0 injected"
	assert_line --index 8 "250 2.1.5 Recipient OK"
	assert_crlf_replies
}

@test "an unlisted client is not refused" {
	write_chain "$RBL }"
	PEER=127.0.0.9 run smtp "${DIALOGUE[@]}"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	grep -q '^9.0.0.127.bl.test A -> NXDOMAIN' "$FAKEDNS_LOG"
}

@test "127.255.255.254 (the list's error code) is not listed, and logged" {
	write_chain "$RBL }"
	PEER=127.0.0.3 run smtp "${DIALOGUE[@]}"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	grep -q 'bl.test answered 127.255.255.254 for \[127.0.0.3\], an error code of the list' "$T/log"
}

@test "an answer outside 127.0.0.0/8 is not listed, and logged" {
	write_chain "$RBL }"
	PEER=127.0.0.4 run smtp "${DIALOGUE[@]}"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	grep -q 'bl.test answered 10.0.0.1 for \[127.0.0.4\], not a 127.0.0.0/8 code' "$T/log"
}

@test "whitelist: a whitelisted client is not looked up in the blacklist" {
	write_chain "$RBL }"
	PEER=127.0.0.5 run smtp "${DIALOGUE[@]}"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	grep -q 'whitelisted by wl.test' "$T/log"
	run grep -c 'bl.test A' "$FAKEDNS_LOG"
	assert_output 0
}

@test "IPv6: the client is looked up with reversed nibbles" {
	write_chain "$RBL }"
	PEER=2001:db8::1 run smtp "${DIALOGUE[@]}"
	assert_line --index 7 "554 5.7.1 Rejected: unauthenticated e-mail from [2001:db8::1] is restricted.  Contact the postmaster for details."
	grep -q '^1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test A' "$FAKEDNS_LOG"
}

@test "checkAt = mail: MAIL gets 554 5.7.1" {
	write_chain "$RBL checkAt = \"mail\" }"
	PEER=127.0.0.2 run smtp "EHLO client.test" "MAIL FROM:<a@example.net>" QUIT
	assert_line --index 6 "554 5.7.1 Rejected: unauthenticated e-mail from [127.0.0.2] is restricted.  Contact the postmaster for details."
}

@test "checkAt = connect: 521 5.7.1 instead of the greeting, then the connection closes (socket, client 127.0.0.2)" {
	write_chain "$RBL checkAt = \"connect\" getDetail = true }"
	start_socket
	# a client waits for the greeting: it sends nothing before
	run nc_from 127.0.0.2 ''
	assert_output "521 5.7.1 Service unavailable; client [127.0.0.2] blocked using bl.test: Listed: see https://bl.test/q?ip=127.0.0.2"
	# another client of the same listener is greeted
	run nc_from 127.0.0.9 'QUIT\r\n'
	assert_line --index 0 "220 $HELO_NAME ESMTP smtpd ready"
}

@test "a lookup that times out lets the client through, logged" {
	write_chain "$RBL }"
	PEER=127.0.0.7 run smtp "${DIALOGUE[@]}"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	grep -q 'dnsrbl: lookup of \[127.0.0.7\] in bl.test failed (temporary failure): not listed' "$T/log"
}

@test "relaying allowed (authorizedAddresses): not looked up" {
	write_chain "$RBL checkAt = \"connect\" }"
	PEER=127.0.0.1 run smtp "${DIALOGUE[@]}"
	assert_line --index 0 "220 $HELO_NAME ESMTP smtpd ready"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	# this client's name only: the previous test's deliberately late
	# answer (127.0.0.7, and the resolver's retries) may be logged now
	run grep -c '^1\.0\.0\.127\.' "$FAKEDNS_LOG"
	assert_output 0
}

@test "relaying allowed (authenticated): a listed client that authenticates may send" {
	write_chain "$RBL }" 'authRequired = true'
	PEER=127.0.0.2 run smtp "EHLO client.test" "$AUTH_ALICE" "MAIL FROM:<alice@example.org>" \
		"RCPT TO:<bob@example.net>" QUIT
	assert_line --index 7 "235 2.7.0 Authentication successful"
	assert_line --index 9 "250 2.1.5 Recipient OK"
}
