#!/usr/bin/env bats
# MilterHandler against a scripted fake milter (fakemilter.py): the events
# and their framing, every reply at the stage it can come, header edits in
# the stored message, malformed replies, timeouts and unreachable filters
# (defaultAction), abort on RSET, a filter that closes mid-message.

load helpers

setup_file() {
	start_fake
}

teardown_file() {
	stop_fake
}

setup() {
	setup_smtpd
	milter_conf "$(fake_handler commandTimeout = 2 contentTimeout = 2)"
	script '{}'
}

teardown() {
	teardown_smtpd
}

stored() {
	cat "$(one_message alice@example.org)"
}

# ---- the events ---------------------------------------------------------------

@test "negotiation: version 6, header actions and macro lists offered, every step skippable" {
	send_msg
	[ "$(mlog 'first("O")["version"]')" = 6 ]
	# SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST, nothing else
	[ "$(mlog 'first("O")["actions"]')" = $((0x131)) ]
	# all SMFIP_NO*/NR_* steps, SKIP and HDR_LEADSPC; not RCPT_REJ or the MDS sizes
	[ "$(mlog 'first("O")["protocol"]')" = $((0x1ff7ff)) ]
}

@test "events in SMTP order, then quit" {
	send_msg
	[ "$(mlog 'cmds')" = "ODCHDMDRDTLLLDNBDEAQ" ]
	[ "$(mlog 'recs[-1].get("event")')" = quit ]
}

@test "connect: the client's address, family 4; HELO name; MAIL and RCPT in angle brackets" {
	send_msg
	[ "$(mlog 'first("C")["host"]')" = "[127.0.0.1]" ]
	[ "$(mlog 'first("C")["family"]')" = 4 ]
	[ "$(mlog 'first("C")["addr"]')" = 127.0.0.1 ]
	[ "$(mlog 'first("H")["strs"]')" = '["client.example"]' ]
	[ "$(mlog 'first("M")["strs"]')" = '["<sender@remote.example>"]' ]
	[ "$(mlog 'first("R")["strs"]')" = '["<alice@example.org>"]' ]
}

@test "macros: j, {daemon_name}, _ at connect; i and {mail_addr} at MAIL; {rcpt_addr} at RCPT" {
	send_msg
	[ "$(mlog '[r for r in all("D") if r["stage"] == "C"][0]["macros"]["j"]')" = mx.test.example ]
	[ "$(mlog '[r for r in all("D") if r["stage"] == "C"][0]["macros"]["{daemon_name}"]')" = smtp ]
	[ "$(mlog '[r for r in all("D") if r["stage"] == "C"][0]["macros"]["_"]')" = "unknown [127.0.0.1]" ]
	[ "$(mlog '[r for r in all("D") if r["stage"] == "M"][0]["macros"]["{mail_addr}"]')" = sender@remote.example ]
	[ "$(mlog '[r for r in all("D") if r["stage"] == "R"][0]["macros"]["{rcpt_addr}"]')" = alice@example.org ]
	id=$(mlog '[r for r in all("D") if r["stage"] == "M"][0]["macros"]["i"]')
	# the id the message is queued as
	[ "$id" = "$(queued_id)" ]
	[ "$(mlog '[r for r in all("D") if r["stage"] == "E"][0]["macros"]["i"]')" = "$id" ]
}

@test "macros: the filter's own lists (negotiation) replace the configured ones" {
	script '{"optneg": {"macros": {"2": "{auth_authen} i"}}}'
	send_msg
	[ "$(mlog '[r for r in all("D") if r["stage"] == "M"][0]["macros"]')" = "{\"i\": \"$(queued_id)\"}" ]
}

@test "macros: only the configured ones are sent" {
	milter_conf "$(fake_handler 'macros = { "j", "{rcpt_addr}" }')"
	send_msg
	[ "$(mlog '[r["macros"] for r in all("D")]')" = '[{"j": "mx.test.example"}, {"{rcpt_addr}": "alice@example.org"}]' ]
}

@test "MAIL and RCPT: the path, then each ESMTP parameter as the client sent it (Postfix's argv)" {
	echo 'remoteDelivery { }' >>"$CONF"	# DSN offered: RCPT takes NOTIFY/ORCPT
	run smtp "EHLO client.example" "MAIL FROM:<sender@remote.example> SIZE=120 body=8BITMIME RET=HDRS ENVID=a+2Bb" \
		"RCPT TO:<alice@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.org" \
		DATA "${MSG[@]}" QUIT
	assert_line --partial "250 2.0.0"
	[ "$(mlog 'first("M")["strs"]')" = '["<sender@remote.example>", "SIZE=120", "body=8BITMIME", "RET=HDRS", "ENVID=a+2Bb"]' ]
	[ "$(mlog 'first("R")["strs"]')" = '["<alice@example.org>", "NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;alice@example.org"]' ]
}

@test "macros: {auth_type}, {auth_authen}, {auth_author} at MAIL after AUTH, none without" {
	auth="AUTH PLAIN $(printf '\0alice@example.org\0alicepw' | base64 -w0)"
	# authRequired: AUTH offered to clients outside authorizedAddresses
	sed -i 's|^\(\s*\)helloName = .*|&\n\1authRequired = true|' "$CONF"
	PEER=192.0.2.7 run smtp "EHLO client.example" "$auth" "MAIL FROM:<alice@example.org> AUTH=alice+40example.org" \
		"RCPT TO:<alice@example.org>" DATA "${MSG[@]}" QUIT
	assert_line --partial "250 2.0.0"
	[ "$(mlog 'first("M")["strs"]')" = '["<alice@example.org>", "AUTH=alice+40example.org"]' ]
	[ "$(mlog '[r for r in all("D") if r["stage"] == "M"][0]["macros"]["{auth_type}"]')" = PLAIN ]
	[ "$(mlog '[r for r in all("D") if r["stage"] == "M"][0]["macros"]["{auth_authen}"]')" = alice@example.org ]
	# xtext decoded, as Postfix's sasl_sender
	[ "$(mlog '[r for r in all("D") if r["stage"] == "M"][0]["macros"]["{auth_author}"]')" = alice@example.org ]
	# not authenticated: an AUTH= parameter names nobody
	run smtp "EHLO client.example" "MAIL FROM:<sender@remote.example> AUTH=<>" \
		"RCPT TO:<alice@example.org>" DATA "${MSG[@]}" QUIT
	assert_line --partial "250 2.0.0"
	[ "$(mlog 'sorted([r for r in all("D") if r["stage"] == "M"][0]["macros"])')" = '["i", "{mail_addr}"]' ]
}

@test "macros: {tls_version} and {cipher} at HELO after STARTTLS, none before" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mx.test.example \
		-keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
	sed -i "s|^\(\s*\)handler {|\1tls { startTLS = true certificates = \"$T/cert.pem\" privateKey = \"$T/key.pem\" }\n&|" "$CONF"
	start_socket
	python3 - "$PORT" <<-'EOF'
		import socket, ssl, sys
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
		f = s.makefile("rb")
		def reply():
		    while True:
		        line = f.readline()
		        if line[3:4] != b"-":
		            return line
		def cmd(c):
		    s.sendall(c + b"\r\n")
		    return reply()
		reply()
		cmd(b"EHLO before.example")
		r = cmd(b"STARTTLS")
		assert r.startswith(b"220"), r
		ctx = ssl.create_default_context()
		ctx.check_hostname = False
		ctx.verify_mode = ssl.CERT_NONE
		s = ctx.wrap_socket(s)
		f = s.makefile("rb")
		cmd(b"EHLO client.example")
		cmd(b"MAIL FROM:<sender@remote.example>")
		cmd(b"RCPT TO:<alice@example.org>")
		cmd(b"DATA")
		assert cmd(b"Subject: tls\r\n\r\nbody\r\n.").startswith(b"250")
		cmd(b"QUIT")
	EOF
	# the filter's last connection: HELO before.example had no macros
	helo=$(mlog '[r["macros"] for r in all("D") if r["stage"] == "H"]')
	[ "$(mlog 'len(all("H"))')" = 2 ]
	[ "$(mlog '[r for r in all("D") if r["stage"] == "H"][0]["macros"]["{tls_version}"]')" = TLS1.3 ]
	run mlog '[r for r in all("D") if r["stage"] == "H"][0]["macros"]["{cipher}"]'
	assert_output --regexp '^[A-Z0-9-]+$'
	[ "$(mlog 'len([r for r in all("D") if r["stage"] == "H"])')" = 1 ] || fail "HELO macros: $helo"
}

@test "headers: leading space stripped, folding sent as LF; body as received; nothing after the body" {
	send_msg
	[ "$(mlog '[r["strs"] for r in all("L")]')" = '[["From", "alice@example.org"], ["Subject", "a folded\n subject line"], ["X-Tight", "value"]]' ]
	[ "$(mlog 'first("B")["text"]')" = $'body line one\r\n\r\nbody line three\r' ]
}

@test "headers: with SMFIP_HDR_LEADSPC the value keeps its leading space" {
	script '{"optneg": {"protocol": 1048576}}'
	send_msg
	[ "$(mlog '[r["strs"][1] for r in all("L")]')" = '[" alice@example.org", " a folded\n subject line", "value"]' ]
}

@test "protocol flags: steps the filter skips are not sent; NR steps are not waited for" {
	# NOCONNECT | NOHELO | NOHDRS | NR_MAIL | NR_RCPT | NR_DATA | NR_EOH | NR_BODY
	script "{\"optneg\": {\"protocol\": $((0x1 | 0x2 | 0x20 | 0x4000 | 0x8000 | 0x10000 | 0x40000 | 0x80000))}}"
	send_msg
	[ "$(mlog 'cmds')" = "ODMDRDTDNBDEAQ" ]
	run stored
	assert_output --partial "body line three"
}

@test "a filter answering more actions than offered (rspamd 3.4 does) is used with the intersection" {
	script '{"optneg": {"actions": 511}, "replies": {"E": ["h:X-Scanned:yes", "c"]}}'
	send_msg
	run stored
	assert_output --partial $'X-Scanned: yes\r'
}

# ---- replies --------------------------------------------------------------------

@test "connect reject: greeting, then 550 5.7.1 to HELO (again and again); QUIT works" {
	script '{"replies": {"C": ["r"]}}'
	run smtp "EHLO client.example" "HELO client.example" "QUIT"
	assert_line --index 0 --regexp '^220 '
	assert_line --index 1 "550 5.7.1 Command rejected"
	assert_line --index 2 "550 5.7.1 Command rejected"
	assert_line --index 3 --regexp '^221 '
	# the filter is asked nothing more
	[ "$(mlog 'cmds')" = "ODCQ" ]
}

@test "connect tempfail with the filter's text: 4xx with it to every command" {
	script '{"replies": {"C": ["y:450 4.7.1 Client host rejected"]}}'
	run smtp "HELO client.example" "QUIT"
	assert_line --index 1 "450 4.7.1 Client host rejected"
}

@test "HELO reject: 550 5.7.1, and the session goes on" {
	script '{"replies": {"H": [["r"], ["c"]]}}'
	run smtp "HELO bad.example" "HELO good.example" "QUIT"
	assert_line --index 1 "550 5.7.1 Command rejected"
	assert_line --index 2 --regexp "^250 "
}

@test "MAIL reject: 550 5.7.1; the filter gets abort and a later MAIL" {
	script '{"replies": {"M": [["r"], ["c"]]}}'
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>" "MAIL FROM:<b@remote.example>" "QUIT"
	assert_line "550 5.7.1 Command rejected"
	assert_line "250 2.1.0 Sender OK"
	[ "$(mlog 'cmds')" = "ODCHDMADMQ" ]
}

@test "MAIL tempfail: 451 4.7.1" {
	script '{"replies": {"M": ["t"]}}'
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>" "QUIT"
	assert_line "451 4.7.1 Service unavailable - try again later"
}

@test "RCPT reject refuses that recipient only; the message goes to the others" {
	script '{"replies": {"R": [["c"], ["y:550 5.7.1 not this one"]]}}'
	run send_msg alice@example.org info@example.org
	assert_line "550 5.7.1 not this one"
	assert_line --partial "250 2.0.0 OK: queued as"
	[ "$(maildir_count alice@example.org)" = 1 ]
}

@test "DATA reject: 550 before 354, nothing stored" {
	script '{"replies": {"T": ["r"]}}'
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>" "RCPT TO:<alice@example.org>" "DATA" "QUIT"
	assert_line "550 5.7.1 Command rejected"
	refute_line --regexp "^354"
	[ -z "$(all_mail_files)" ]
}

@test "end of message reject: 550 5.7.1, nothing stored anywhere" {
	script '{"replies": {"E": ["r"]}}'
	run send_msg
	assert_line "550 5.7.1 Command rejected"
	[ -z "$(all_mail_files)" ]
	[ -z "$(find "$T/spool" -type f)" ]
}

@test "end of message tempfail: 451 4.7.1, nothing stored" {
	script '{"replies": {"E": ["t"]}}'
	run send_msg
	assert_line "451 4.7.1 Service unavailable - try again later"
	[ -z "$(all_mail_files)" ]
}

@test "end of message reply code: the filter's code, enhanced code and text (lines joined)" {
	script '{"replies": {"E": ["y:554-5.7.1 Spam detected\r\n554 5.7.1 see https://example.test"]}}'
	run send_msg
	assert_line "554 5.7.1 Spam detected; see https://example.test"
	[ -z "$(all_mail_files)" ]
}

@test "end of message discard: 250, nothing stored" {
	script '{"replies": {"E": ["d"]}}'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
	[ -z "$(all_mail_files)" ]
}

@test "discard at RCPT: no more events for the message, 250 at the end, nothing stored" {
	script '{"replies": {"R": ["d"]}}'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
	[ -z "$(all_mail_files)" ]
	[ "$(mlog 'cmds')" = "ODCHDMDRAQ" ]
}

@test "accept at MAIL: no more events for the message, stored" {
	script '{"replies": {"M": ["a"]}}'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
	[ "$(maildir_count alice@example.org)" = 1 ]
	[ "$(mlog 'cmds')" = "ODCHDMAQ" ]
}

@test "accept at connect: no more events for the session" {
	script '{"replies": {"C": ["a"]}}'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
	[ "$(mlog 'cmds')" = "ODCQ" ]
}

@test "progress replies keep the filter waiting for its verdict" {
	script '{"replies": {"E": ["p", "sleep:1", "p", "sleep:1.5", "p", "c"]}}'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
}

@test "skip during the body: the end of message follows at once" {
	local line
	line=$(printf 'x%.0s' $(seq 1000))
	MSG=("Subject: big" "")
	for _ in $(seq 200); do MSG+=("$line"); done
	MSG+=(".")
	script "{\"optneg\": {\"protocol\": $((0x400))}, \"replies\": {\"B\": [\"s\"]}}"
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
	# 200 KB of body, but one chunk: then the end of message
	[ "$(mlog 'cmds')" = "ODCHDMDRDTLDNBDEAQ" ]
	[ "$(grep -c '^xxxx' "$(one_message alice@example.org)")" = 200 ]
}

@test "shutdown: 421 and the session ends" {
	script '{"replies": {"M": ["4"]}}'
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>" "NOOP"
	assert_line "421 4.7.0 Service unavailable, closing connection"
	refute_line --regexp "^250 2.0.0 OK"
}

@test "every reply split byte by byte is read the same" {
	script '{"split": true, "replies": {"E": ["h:X-Split:one", "y:550 5.7.1 split reply"]}}'
	run send_msg
	assert_line "550 5.7.1 split reply"
}

# ---- header edits ---------------------------------------------------------------

@test "header edits: add, insert, change, delete reach the stored message; the rest byte for byte" {
	script '{"replies": {"E": ["h:X-Spam-Flag:NO", "i:0:Authentication-Results:mx.test.example; dkim=none", "m:1:Subject:[SPAM] changed", "m:1:X-Tight:", "h:X-Folded:one\n\ttwo", "c"]}}'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
	run strip_prefix "$(one_message alice@example.org)"
	assert_output "$(printf '%s\r\n' "Authentication-Results: mx.test.example; dkim=none" \
		"From: alice@example.org" "Subject: [SPAM] changed" "X-Spam-Flag: NO" \
		"X-Folded: one" $'\ttwo' "" "body line one" "" "body line three")"
}

@test "quarantine: there is none here, so the message is refused with 550 5.7.1; nothing stored" {
	script '{"replies": {"E": ["h:X-A:b", "q:DMARC policy quarantine", "c"]}}'
	run send_msg
	assert_line "550 5.7.1 Message quarantined by a filter, refused"
	[ -z "$(all_mail_files)" ]
	grep -q "quarantine asked (DMARC policy quarantine)" "$T/log"
}

@test "header edits of a filter that refuses the message are not applied (nothing stored anyway)" {
	script '{"replies": {"E": ["h:X-A:b", "t"]}}'
	run send_msg
	assert_line --partial "451 4.7.1"
	[ -z "$(all_mail_files)" ]
}

@test "our Received: stays on top; an inserted header goes below it" {
	script '{"replies": {"E": ["i:0:X-First:1", "c"]}}'
	send_msg
	run sed -n 3p "$(one_message alice@example.org)"
	assert_output --regexp '^Received: from client\.example'
	run strip_prefix "$(one_message alice@example.org)"
	assert_line --index 0 $'X-First: 1\r'
}

@test "two filters: the second sees the first one's header, edits of both are stored" {
	milter_conf "handler \"MilterHandler\" { socket = { \"unix:$FAKE_SOCK\", \"unix:$FAKE_SOCK\" } }"
	script '{"replies": {"E": ["h:X-By:fake", "c"]}}'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
	# the last connection is the second filter
	[ "$(mlog '[r["strs"] for r in all("L")][-1]')" = '["X-By", "fake"]' ]
	[ "$(grep -c '^X-By: fake' "$(one_message alice@example.org)")" = 2 ]
}

# ---- broken filters and the default action ---------------------------------------

@test "malformed: an unknown reply letter gives the default action (tempfail)" {
	script '{"replies": {"M": ["raw:000000015a"]}}'
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>" "QUIT"
	assert_line "451 4.7.1 Service unavailable - try again later"
	grep -q "milter unix:.*unknown reply; default action tempfail" "$T/log"
}

@test "malformed: CR/LF inside a reply text is refused, default action instead" {
	milter_conf "$(fake_handler 'defaultAction = "reject"')"
	script '{"replies": {"E": ["y:550 5.7.1 a\nRCPT TO:<x@evil>"]}}'
	run send_msg
	assert_line "550 5.7.1 Command rejected"
	refute_output --partial "evil"
	grep -q "invalid SMTP reply text" "$T/log"
}

@test "malformed: a 2xx reply code is refused (a filter cannot accept for us)" {
	script '{"replies": {"R": ["y:250 2.1.5 fine"]}}'
	run send_msg
	assert_line "451 4.7.1 Service unavailable - try again later"
}

@test "malformed: a length word past the limit" {
	script '{"replies": {"M": ["raw:7fffffff63"]}}'
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>" "QUIT"
	assert_line "451 4.7.1 Service unavailable - try again later"
	grep -q "reply longer than allowed" "$T/log"
}

@test "not negotiated: body replacement is a broken filter" {
	script '{"replies": {"E": ["b:new body", "c"]}}'
	run send_msg
	assert_line "451 4.7.1 Service unavailable - try again later"
	[ -z "$(all_mail_files)" ]
}

@test "not negotiated: a header change the filter did not ask for" {
	script '{"optneg": {"actions": 1}, "replies": {"E": ["m:1:Subject:x", "c"]}}'
	run send_msg
	assert_line "451 4.7.1 Service unavailable - try again later"
}

@test "timeout: a filter that does not answer gets the default action (accept): stored" {
	milter_conf "$(fake_handler commandTimeout = 1 'defaultAction = "accept"')"
	script '{"replies": {"R": ["sleep:3", "c"]}}'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
	[ "$(maildir_count alice@example.org)" = 1 ]
	grep -q "timed out; default action accept" "$T/log"
}

@test "timeout at the end of message (contentTimeout): default action reject" {
	milter_conf "$(fake_handler contentTimeout = 1 'defaultAction = "reject"')"
	script '{"replies": {"E": ["sleep:3", "c"]}}'
	run send_msg
	assert_line "550 5.7.1 Command rejected"
	[ -z "$(all_mail_files)" ]
}

@test "unreachable filter: default action shutdown closes the session with 421" {
	milter_conf 'handler "MilterHandler" { socket = "unix:/nonexistent/milter.sock" defaultAction = "shutdown" }'
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>"
	assert_output "421 4.7.0 Service unavailable, closing connection"
	grep -q "cannot connect" "$T/log"
}

@test "unreachable filter, default accept: mail flows without it" {
	milter_conf 'handler "MilterHandler" { socket = "inet:127.0.0.1:1" defaultAction = "accept" }'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
}

@test "a filter that closes mid-message: default action, and the next message does without it" {
	milter_conf "$(fake_handler 'defaultAction = "accept"')"
	script '{"replies": {"B": ["close"]}}'
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>" "RCPT TO:<alice@example.org>" "DATA" "${MSG[@]}" \
		"MAIL FROM:<b@remote.example>" "RCPT TO:<alice@example.org>" "DATA" "${MSG[@]}" "QUIT"
	[ "$(grep -c "250 2.0.0 OK: queued as" <<<"$output")" = 2 ]
	[ "$(maildir_count alice@example.org)" = 2 ]
	grep -q "closed the connection; default action accept" "$T/log"
}

# ---- transactions -----------------------------------------------------------------

@test "RSET aborts the transaction at the filter; the next one starts fresh" {
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>" "RCPT TO:<alice@example.org>" "RSET" \
		"MAIL FROM:<b@remote.example>" "RCPT TO:<alice@example.org>" "DATA" "${MSG[@]}" "QUIT"
	assert_line --partial "250 2.0.0 OK: queued as"
	[ "$(mlog 'cmds')" = "ODCHDMDRADMDRDTLLLDNBDEAQ" ]
	[ "$(mlog '[r["strs"] for r in all("M")]')" = '[["<a@remote.example>"], ["<b@remote.example>"]]' ]
}

@test "two messages in one session: one filter connection, abort between them" {
	run smtp "EHLO client.example" "MAIL FROM:<a@remote.example>" "RCPT TO:<alice@example.org>" "DATA" "${MSG[@]}" \
		"MAIL FROM:<b@remote.example>" "RCPT TO:<alice@example.org>" "DATA" "${MSG[@]}" "QUIT"
	[ "$(grep -c "250 2.0.0 OK: queued as" <<<"$output")" = 2 ]
	[ "$(mlog 'cmds.count("O")')" = 1 ]
	[ "$(mlog 'cmds.count("E")')" = 2 ]
	[ "$(mlog 'cmds.count("A")')" = 2 ]
}

@test "a big message streams through the held file: stored byte for byte" {
	MSG=("Subject: big" "")
	for i in $(seq 3000); do MSG+=("line $i of a message larger than one milter body chunk of 65535 octets"); done
	MSG+=(".")
	script '{"replies": {"E": ["h:X-Big:yes", "c"]}}'
	run send_msg
	assert_line --partial "250 2.0.0 OK: queued as"
	[ "$(mlog 'sum(r["len"] for r in all("B"))')" -gt 200000 ]
	[ "$(mlog 'max(r["len"] for r in all("B"))')" = 65535 ]
	f=$(one_message alice@example.org)
	grep -q $'^X-Big: yes\r$' "$f"
	grep -q $'^line 3000 of a message' "$f"
	[ "$(grep -c '^line ' "$f")" = 3000 ]
	# nothing left behind in the spool
	[ -z "$(find "$T/spool" -type f)" ]
}
