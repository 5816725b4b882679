#!/usr/bin/env bats
# Mail through the shipped units under the container's systemd: port 25
# plain and with STARTTLS, 587 with STARTTLS + AUTH, 465, lmtpd's UNIX
# socket; the sessions log to the journal.  The TLS key is readable by
# root only: sessions (user smtpd) get it through LoadCredential=.

load helpers

@test "port 25, plain: a message for bob is delivered into his maildir" {
	before=$(maildir_count bob)
	run swaks_ct --port 25 --from alice@example.net --to bob@example.org \
		--header 'Subject: plain on 25'
	assert_success
	assert_output --regexp '<-  250 2\.0\.0 '
	[ "$(maildir_count bob)" -eq $((before + 1)) ]
	run grep -c 'Subject: plain on 25' "$(newest_mail bob)"
	assert_output 1
}

@test "port 25, STARTTLS: delivered, Received: says ESMTPS" {
	before=$(maildir_count bob)
	run swaks_ct --port 25 --tls --from alice@example.net --to bob@example.org \
		--header 'Subject: starttls on 25'
	assert_success
	assert_output --partial 'TLS started'
	[ "$(maildir_count bob)" -eq $((before + 1)) ]
	run grep -E '^	by mx.example.org \(smtpd\) with ESMTPS ' "$(newest_mail bob)"
	assert_success
}

@test "port 587: AUTH only after STARTTLS, then an authenticated message is delivered" {
	# Without TLS: no AUTH on offer, and MAIL needs it.
	run swaks_ct --port 587 --from bob@example.org --to bob@example.org \
		--auth PLAIN --auth-user bob@example.org --auth-password secret
	assert_failure
	before=$(maildir_count bob)
	run swaks_ct --port 587 --tls --from bob@example.org --to bob@example.org \
		--auth PLAIN --auth-user bob@example.org --auth-password secret \
		--header 'Subject: submission'
	assert_success
	assert_output --partial '235 '
	[ "$(maildir_count bob)" -eq $((before + 1)) ]
}

@test "port 587: a wrong password is refused" {
	run swaks_ct --port 587 --tls --from bob@example.org --to bob@example.org \
		--auth PLAIN --auth-user bob@example.org --auth-password wrong
	assert_failure
	assert_output --partial '535 '
}

@test "port 465: implicit TLS, AUTH, delivered" {
	before=$(maildir_count bob)
	run swaks_ct --port 465 --tls-on-connect --from bob@example.org --to bob@example.org \
		--auth PLAIN --auth-user bob@example.org --auth-password secret \
		--header 'Subject: smtps'
	assert_success
	[ "$(maildir_count bob)" -eq $((before + 1)) ]
	run grep -E '^	by mx.example.org \(smtpd\) with ESMTPSA ' "$(newest_mail bob)"
	assert_success
}

@test "lmtpd's UNIX socket: LHLO, one recipient, 250 per recipient, delivered" {
	before=$(maildir_count bob)
	run python3 - "$(ct_path /run/smtpd/lmtp.sock)" <<-'EOF'
		import smtplib, sys
		c = smtplib.LMTP(sys.argv[1], timeout=20)
		res = c.sendmail("alice@example.net", ["bob@example.org", "nobody@example.org"],
		                 b"Subject: over lmtp\r\n\r\nhello\r\n")
		print("refused", sorted(res))
		c.quit()
	EOF
	# sendmail() returns the refused recipients: nobody, 550 5.1.1.
	assert_success
	assert_output --partial "refused ['nobody@example.org']"
	[ "$(maildir_count bob)" -eq $((before + 1)) ]
}

@test "the journal has the sessions' lines, tagged with their units" {
	run ct journalctl --no-pager -q -o cat -u 'smtpd@*' -u 'submission@*' -u 'smtps@*' -u 'lmtpd@*'
	assert_success
	# smtpd's own lines (a message's last line), not only systemd's
	assert_output --regexp 'from=<alice@example.net>'
	assert_output --partial 'authentication failed from [127.0.0.1]'
	run ct journalctl --no-pager -q -o verbose -u 'smtpd@*' --grep='from=<alice@example.net>'
	assert_output --partial 'SYSLOG_IDENTIFIER=smtpd'
}

@test "no session failed, no unit is failed" {
	run ct systemctl --failed --no-legend --plain
	assert_output ''
	# CollectMode=inactive-or-failed removes failed sessions at once: only
	# the journal remembers them.
	run ct journalctl --no-pager -q -o cat -u 'smtpd@*' -u 'submission@*' -u 'smtps@*' -u 'lmtpd@*' \
		--grep 'Failed with result|status=[1-9]'
	assert_output ''
}
