#!/usr/bin/env bats
# The README's installation steps, in the booted container: sysusers,
# tmpfiles, the configuration check, enabling the sockets.  Later files
# depend on these.

load helpers

@test "install: the units, sysusers.d and tmpfiles.d files are where systemd looks" {
	for f in smtpd.socket smtpd@.service submission.socket submission@.service \
		smtps.socket smtps@.service lmtpd.socket lmtpd@.service; do
		[ -f "$CT_ROOT/usr/lib/systemd/system/$f" ]
	done
	[ -f "$CT_ROOT/usr/lib/sysusers.d/smtpd.conf" ]
	[ -f "$CT_ROOT/usr/lib/tmpfiles.d/smtpd.conf" ]
	# --prefix=/usr --sysconfdir=/etc: the units read /etc/smtpd/smtpd.conf.
	run grep -h '^ExecStart=' "$CT_ROOT"/usr/lib/systemd/system/{smtpd,submission,smtps,lmtpd}@.service
	assert_line 'ExecStart=/usr/sbin/smtpd -c /etc/smtpd/smtpd.conf -s smtp'
	assert_line 'ExecStart=/usr/sbin/lmtpd -c /etc/smtpd/smtpd.conf -s lmtp'
}

@test "install: systemd-sysusers creates user smtpd, systemd-tmpfiles the spool and the mail store" {
	run ct systemd-sysusers
	assert_success
	run ct id smtpd
	assert_success
	# its own group only: group mail reads every local mbox
	refute_output --partial '(mail)'
	run ct systemd-tmpfiles --create
	assert_success
	run ct stat -c '%U:%G %a' /var/spool/smtpd /var/mail/vhosts
	assert_equal "${lines[0]}" 'smtpd:smtpd 750'
	assert_equal "${lines[1]}" 'smtpd:smtpd 750'
	# The users file is read by the sessions (group smtpd), not by others.
	ct chgrp smtpd /etc/smtpd/users /etc/smtpd/aliases
	ct chmod 0640 /etc/smtpd/users /etc/smtpd/aliases
}

@test "install: smtpd --check accepts the configuration" {
	run ct /usr/sbin/smtpd -c /etc/smtpd/smtpd.conf --check
	assert_success
}

@test "install: systemctl enable --now starts the four sockets" {
	run ct systemctl enable --now smtpd.socket submission.socket smtps.socket lmtpd.socket
	assert_success
	for s in smtpd submission smtps lmtpd; do
		run ct systemctl is-active "$s.socket"
		assert_output active
	done
	run ct ls -l /run/smtpd/lmtp.sock
	assert_output --regexp '^srw-rw---- 1 root smtpd '
}
