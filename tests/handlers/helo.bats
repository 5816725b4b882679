#!/usr/bin/env bats
# ResolvableEhloHeloHandler and ReverseEqualsEhloHeloHandler: the HELO
# name resolves / is the client's forward-confirmed reverse DNS name;
# refusal at RCPT; timeouts accept; relaying clients and checkAuthNetworks.

load common

setup_file() { handlers_setup_file; }
teardown_file() { handlers_teardown_file; }
setup() { handlers_setup; }
teardown() { teardown_smtpd; }

RESOLVABLE='handler "ResolvableEhloHeloHandler" { }'
REVERSE='handler "ReverseEqualsEhloHeloHandler" { }'

dialogue() {
	smtp "EHLO $1" "MAIL FROM:<a@example.net>" "RCPT TO:<alice@example.org>" QUIT
}

@test "resolvable: a HELO name with an address is accepted" {
	write_chain "$RESOLVABLE"
	PEER=127.0.0.9 run dialogue client.test
	assert_line --index 7 "250 2.1.5 Recipient OK"
}

@test "resolvable: a HELO name without one gets 501 5.5.4 at RCPT" {
	write_chain "$RESOLVABLE"
	PEER=127.0.0.9 run dialogue nowhere.test
	assert_line --index 6 "250 2.1.0 Sender OK"
	assert_line --index 7 "501 5.5.4 Provided EHLO/HELO nowhere.test can not be resolved"
	grep -q '^nowhere.test A -> NXDOMAIN' "$FAKEDNS_LOG"
}

@test "resolvable: an address literal is not looked up" {
	write_chain "$RESOLVABLE"
	PEER=127.0.0.9 run dialogue '[127.0.0.9]'
	assert_line --index 7 "250 2.1.5 Recipient OK"
	run grep -c . "$FAKEDNS_LOG"
	assert_output 0
}

@test "resolvable: a lookup that times out accepts, logged" {
	write_chain "$RESOLVABLE"
	PEER=127.0.0.9 run dialogue slow.test
	assert_line --index 7 "250 2.1.5 Recipient OK"
	grep -q 'helo check: lookup of slow.test failed (temporary failure): accepted' "$T/log"
}

@test "resolvable: skipped for authorizedAddresses, checked with checkAuthNetworks = true" {
	write_chain "$RESOLVABLE"
	PEER=127.0.0.1 run dialogue nowhere.test
	assert_line --index 7 "250 2.1.5 Recipient OK"
	write_chain 'handler "ResolvableEhloHeloHandler" { checkAuthNetworks = true }'
	PEER=127.0.0.1 run dialogue nowhere.test
	assert_line --index 7 "501 5.5.4 Provided EHLO/HELO nowhere.test can not be resolved"
}

@test "resolvable: skipped once the client has authenticated" {
	write_chain 'handler "ResolvableEhloHeloHandler" { checkAuthNetworks = true }' 'authRequired = true'
	PEER=127.0.0.9 run smtp "EHLO nowhere.test" "$AUTH_ALICE" "MAIL FROM:<alice@example.org>" \
		"RCPT TO:<bob@example.net>" QUIT
	assert_line --index 7 "235 2.7.0 Authentication successful"
	assert_line --index 9 "250 2.1.5 Recipient OK"
}

@test "reverse: the forward-confirmed reverse name is accepted (socket, client 127.0.0.10)" {
	write_chain "$REVERSE"
	start_socket
	run nc_from 127.0.0.10 'EHLO client.test\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<alice@example.org>\r\nQUIT\r\n'
	assert_line --index 6 "250 2.1.0 Sender OK"
	assert_line --index 7 "250 2.1.5 Recipient OK"
	grep -q '^10.0.0.127.in-addr.arpa PTR -> NOERROR' "$FAKEDNS_LOG"
	grep -q '^client.test A -> NOERROR' "$FAKEDNS_LOG"
}

@test "reverse: another name than the reverse one gets 501 5.5.4 at RCPT" {
	write_chain "$REVERSE"
	PEER=127.0.0.10 run dialogue other.test
	assert_line --index 7 "501 5.5.4 Provided EHLO/HELO other.test does not match the reverse DNS of [127.0.0.10]"
}

@test "reverse: a PTR name that does not resolve back to the client is refused (not forward-confirmed)" {
	write_chain "$REVERSE"
	PEER=127.0.0.11 run dialogue liar.test
	assert_line --index 7 "501 5.5.4 Provided EHLO/HELO liar.test does not match the reverse DNS of [127.0.0.11]"
	grep -q '^liar.test A -> NOERROR' "$FAKEDNS_LOG"
}

@test "reverse: no PTR record, or an address literal, is refused" {
	write_chain "$REVERSE"
	PEER=127.0.0.12 run dialogue client.test
	assert_line --index 7 "501 5.5.4 Provided EHLO/HELO client.test does not match the reverse DNS of [127.0.0.12]"
	PEER=127.0.0.10 run dialogue '[127.0.0.10]'
	assert_line --index 7 "501 5.5.4 Provided EHLO/HELO [127.0.0.10] does not match the reverse DNS of [127.0.0.10]"
}

@test "reverse: skipped for authorizedAddresses" {
	write_chain "$REVERSE"
	PEER=127.0.0.1 run dialogue other.test
	assert_line --index 7 "250 2.1.5 Recipient OK"
}
