#!/usr/bin/env bats
# A confined session cannot write outside the mail store and the spool,
# read home directories, execute programs or open other socket families:
# tests/sandbox/sandbox-probe confines itself exactly as smtpd does for
# listener "smtp" (handlers/sandbox.c), under a unit made from the shipped
# smtpd@.service (same user, same options; only ExecStart= and the
# standard streams differ), then tries each action.  The same actions
# succeed for user smtpd outside the sandbox (the control), so each
# "denied" is the confinement's doing, not a file's mode.

load helpers

PROBE=/usr/local/libexec/smtpd-test/sandbox-probe

setup_file() {
	local unit=/proc/$NSPAWN_PID/root/etc/systemd/system/smtpd-probe.service
	sed -e "s|^ExecStart=.*|ExecStart=$PROBE /etc/smtpd/smtpd.conf smtp \$PROBE_ACTIONS|" \
		-e 's|^StandardInput=.*|StandardInput=null|' \
		-e 's|^StandardOutput=.*|StandardOutput=truncate:/run/smtpd-probe.out|' \
		-e 's|^CollectMode=.*|CollectMode=inactive|' \
		"$CT_ROOT/usr/lib/systemd/system/smtpd@.service" >"$unit"
	printf '%s\n' 'Type=oneshot' 'EnvironmentFile=/run/smtpd-probe.env' >>"$unit"
	ct systemctl daemon-reload
}

teardown_file() {
	rm -f "/proc/$NSPAWN_PID/root/etc/systemd/system/smtpd-probe.service"
	ct systemctl daemon-reload
}

# probe ACTION...: run the probe under the unit; $output is what it printed.
probe() {
	echo "PROBE_ACTIONS=$*" >"$(ct_path /run/smtpd-probe.env)"
	run ct systemctl start smtpd-probe.service
	assert_success
	run cat "$(ct_path /run/smtpd-probe.out)"
	assert_line --index 0 --regexp '^sandbox nnp=1 landlock=[1-9][0-9]* seccomp=1$'
}

@test "control: user smtpd, unconfined, can read alice's home and write /tmp" {
	run ct setpriv --reuid=smtpd --regid=smtpd --init-groups cat /home/alice/secret
	assert_success
	assert_output "alice's secret"
	run ct setpriv --reuid=smtpd --regid=smtpd --init-groups sh -c 'echo x > /tmp/smtpd-control && rm /tmp/smtpd-control'
	assert_success
}

@test "a confined session cannot read home directories" {
	probe read:/home/alice/secret
	assert_line --regexp '^read:/home/alice/secret denied '
}

@test "a confined session writes the mail store and the spool, nothing else" {
	probe write:/var/spool/smtpd/probe write:/var/mail/vhosts/probe write:/var/mail/probe \
		write:/tmp/probe write:/var/tmp/probe write:/dev/shm/probe write:/etc/smtpd/probe
	assert_line 'write:/var/spool/smtpd/probe ok'
	assert_line 'write:/var/mail/vhosts/probe ok'
	# the local mboxes' directory: not the store, not group mail
	assert_line --regexp '^write:/var/mail/probe denied '
	assert_line --regexp '^write:/tmp/probe denied '
	assert_line --regexp '^write:/var/tmp/probe denied '
	assert_line --regexp '^write:/dev/shm/probe denied '
	assert_line --regexp '^write:/etc/smtpd/probe denied '
	ct rm -f /var/spool/smtpd/probe /var/mail/vhosts/probe
}

@test "a confined session executes nothing" {
	probe exec:/bin/true exec:/usr/sbin/smtpd
	assert_line --regexp '^exec:/bin/true denied '
	assert_line --regexp '^exec:/usr/sbin/smtpd denied '
}

@test "a confined session opens UNIX, IPv4 and IPv6 sockets only" {
	probe socket:unix socket:inet socket:inet6 socket:packet socket:netlink
	assert_line 'socket:unix ok'
	assert_line 'socket:inet ok'
	assert_line 'socket:inet6 ok'
	assert_line --regexp '^socket:packet denied '
	assert_line --regexp '^socket:netlink denied '
}

@test "a confined session still reads its users file, not its configuration (read before it confined itself)" {
	probe read:/etc/smtpd/smtpd.conf read:/etc/smtpd/users
	assert_line 'read:/etc/smtpd/users ok'
	assert_line --regexp '^read:/etc/smtpd/smtpd\.conf denied '
}
