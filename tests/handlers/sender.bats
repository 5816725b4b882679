#!/usr/bin/env bats
# ValidSenderDomainHandler: MX, implicit MX, null MX, no domain; timeouts
# accept; null sender; relaying clients.

load common

setup_file() { handlers_setup_file; }
teardown_file() { handlers_teardown_file; }
setup() { handlers_setup; }
teardown() { teardown_smtpd; }

SENDER='handler "ValidSenderDomainHandler" { }'

mail_from() {
	smtp "EHLO client.test" "MAIL FROM:<$1>" QUIT
}

@test "a domain with an MX record is accepted" {
	write_chain "$SENDER"
	PEER=127.0.0.9 run mail_from a@good.test
	assert_line --index 6 "250 2.1.0 Sender OK"
	grep -q '^good.test MX -> NOERROR' "$FAKEDNS_LOG"
}

@test "a domain with only an address (implicit MX) is accepted" {
	write_chain "$SENDER"
	PEER=127.0.0.9 run mail_from a@implicit.test
	assert_line --index 6 "250 2.1.0 Sender OK"
	grep -q '^implicit.test A -> NOERROR' "$FAKEDNS_LOG"
}

@test "a domain that does not exist gets 501 5.1.7" {
	write_chain "$SENDER"
	PEER=127.0.0.9 run mail_from a@nomx.test
	assert_line --index 6 "501 5.1.7 Sender <a@nomx.test> contains a domain with no valid MX records"
}

@test "the null MX (RFC 7505) gets 501 5.1.7" {
	write_chain "$SENDER"
	PEER=127.0.0.9 run mail_from a@nullmx.test
	assert_line --index 6 "501 5.1.7 Sender <a@nullmx.test> contains a domain with no valid MX records"
}

@test "SERVFAIL accepts, logged" {
	write_chain "$SENDER"
	PEER=127.0.0.9 run mail_from a@broken.test
	assert_line --index 6 "250 2.1.0 Sender OK"
	grep -q 'sender domain check: lookup of broken.test failed (temporary failure): accepted' "$T/log"
}

@test "the null sender is not looked up" {
	write_chain "$SENDER"
	PEER=127.0.0.9 run smtp "EHLO client.test" "MAIL FROM:<>" QUIT
	assert_line --index 6 "250 2.1.0 Sender OK"
	run grep -c . "$FAKEDNS_LOG"
	assert_output 0
}

@test "skipped for authorizedAddresses unless checkAuthNetworks = true (socket, client 127.0.0.1)" {
	write_chain "$SENDER"
	start_socket
	run nc_from 127.0.0.1 'EHLO client.test\r\nMAIL FROM:<a@nomx.test>\r\nQUIT\r\n'
	assert_line --index 6 "250 2.1.0 Sender OK"
	stop_socket
	write_chain 'handler "ValidSenderDomainHandler" { checkAuthNetworks = true }'
	start_socket
	run nc_from 127.0.0.1 'EHLO client.test\r\nMAIL FROM:<a@nomx.test>\r\nQUIT\r\n'
	assert_line --index 6 "501 5.1.7 Sender <a@nomx.test> contains a domain with no valid MX records"
}
