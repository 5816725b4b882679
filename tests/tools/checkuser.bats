#!/usr/bin/env bats
# smtpd --check --user USER and smtpd-config check [--user USER], run as
# root (issue 11): every file a session running as USER reads and cannot,
# every directory it writes and cannot, is an error naming the file and
# the user; a key that a unit loads with LoadCredential= is read by
# systemd, not by USER.  The sessions' user here is nobody, or a
# throwaway "smtpd" made for the default-user test.

load common

setup_file() {
	local d=$BATS_FILE_TMPDIR/pki
	mkdir -p "$d"
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/key.pem" 2>/dev/null
	printf 'cn = "mx.example.org"\ndns_name = "mx.example.org"\ntls_www_server\nexpiration_days = 2\n' >"$d/tmpl"
	certtool --generate-self-signed --load-privkey "$d/key.pem" --template "$d/tmpl" \
		--outfile "$d/cert.pem" 2>/dev/null
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	D=$(mktemp -d /tmp/checkuser.XXXXXX)
	chmod 755 "$D"
	CREATED_USER=
	mkdir "$D/mail" "$D/spool" "$D/units" "$D/tk"
	chown nobody:nogroup "$D/mail" "$D/spool" "$D/tk"
	: >"$D/users"
	: >"$D/aliases"
	cp "$BATS_FILE_TMPDIR/pki/cert.pem" "$BATS_FILE_TMPDIR/pki/key.pem" "$D/"
	chmod 644 "$D/cert.pem"
	chmod 600 "$D/key.pem"
	CONF=$D/smtpd.conf
	# the key is on line 12
	cat >"$CONF" <<-EOF
		domains = { "example.org" }
		users = "$D/users"
		aliases = "$D/aliases"
		mailboxes = "$D/mail/%d/%n"
		spool = "$D/spool"
		smtpserver "smtp" { bind = { "127.0.0.1:25" } }
		smtpserver "submission" {
		  bind = { "127.0.0.1:587" }
		  tls {
		    startTLS = true
		    certificates = "$D/cert.pem"
		    privateKey = "$D/key.pem"
		    ticketKey = "$D/tk/ticket.key"
		  }
		}
	EOF
	# no unit on this machine may load the key for this test
	export SYSTEMD_UNIT_PATH=$D/units
}

teardown() {
	[ -z "$CREATED_USER" ] || userdel "$CREATED_USER"
	[ -z "${D:-}" ] || rm -rf "$D"
}

@test "a root-only key: named as file:line, exit 78, by both commands" {
	run "$SMTPD" -c "$CONF" --check --user nobody
	assert_failure 78
	assert_line "$CONF:12: privateKey $D/key.pem is not readable by user nobody"
	assert_equal "${#lines[@]}" 1
	run "$SMTPD_CONFIG" check -c "$CONF" --user nobody
	assert_failure 78
	assert_line "$CONF:12: privateKey $D/key.pem is not readable by user nobody"
	# root itself can read it: without --user, OK
	run "$SMTPD" -c "$CONF" --check
	assert_success
}

@test "every file readable, store and spool writable: OK" {
	chgrp nogroup "$D/key.pem"
	chmod 640 "$D/key.pem"
	run "$SMTPD_CONFIG" check -c "$CONF" --user nobody
	assert_success
	assert_output "$CONF: OK (0 warnings)"
}

@test "unreadable configuration, users, aliases, certificates; unwritable store, spool, ticket directory" {
	chmod 644 "$D/key.pem"
	chmod 600 "$CONF" "$D/users" "$D/aliases" "$D/cert.pem"
	chown root "$D/mail" "$D/spool" "$D/tk"
	run "$SMTPD" -c "$CONF" --check --user nobody
	assert_failure 78
	assert_line "$CONF: not readable by user nobody"
	assert_line "$CONF:2: users $D/users is not readable by user nobody"
	assert_line "$CONF:3: aliases $D/aliases is not readable by user nobody"
	assert_line "$CONF:11: certificates $D/cert.pem is not readable by user nobody"
	assert_line "$CONF:13: ticketKey directory $D/tk is not writable by user nobody"
	assert_line "$CONF:4: mailboxes $D/mail is not writable by user nobody"
	assert_line "$CONF:5: spool $D/spool is not writable by user nobody"
	refute_line --partial "privateKey"
}

@test "a directory on the way the user cannot search counts" {
	chmod 644 "$D/key.pem"
	chmod 700 "$D"
	run "$SMTPD" -c "$CONF" --check --user nobody
	assert_failure 78
	assert_line "$CONF:2: users $D/users is not readable by user nobody"
}

@test "a key the listener's unit loads with LoadCredential= is not the user's to read" {
	cat >"$D/units/submission@.service" <<-EOF
		[Service]
		ExecStart=/usr/sbin/smtpd -c $CONF -s submission
		LoadCredential=key.pem:$D/key.pem
		User=nobody
	EOF
	run "$SMTPD_CONFIG" check -c "$CONF" --user nobody
	assert_success
	# another listener's unit does not count
	sed -i 's/-s submission/-s smtp/' "$D/units/submission@.service"
	run "$SMTPD_CONFIG" check -c "$CONF" --user nobody
	assert_failure 78
	assert_line "$CONF:12: privateKey $D/key.pem is not readable by user nobody"
	# nor does one whose drop-in empties LoadCredential=
	sed -i 's/-s smtp$/-s submission/' "$D/units/submission@.service"
	mkdir "$D/units/submission@.service.d"
	printf '[Service]\nLoadCredential=\n' >"$D/units/submission@.service.d/override.conf"
	run "$SMTPD_CONFIG" check -c "$CONF" --user nobody
	assert_failure 78
	assert_line "$CONF:12: privateKey $D/key.pem is not readable by user nobody"
}

@test "smtpd-config check as root checks for user smtpd by default, when it exists" {
	if ! getent passwd smtpd >/dev/null; then
		useradd --system --no-create-home --shell /usr/sbin/nologin smtpd
		CREATED_USER=smtpd
	fi
	chown smtpd "$D/mail" "$D/spool" "$D/tk"
	run "$SMTPD_CONFIG" check -c "$CONF"
	assert_failure 78
	assert_line "$CONF:12: privateKey $D/key.pem is not readable by user smtpd"
	# smtpd --check checks for a user only when told
	run "$SMTPD" -c "$CONF" --check
	assert_success
}

@test "--user: unknown user, or without --check: exit 64" {
	run "$SMTPD" -c "$CONF" --check --user no-such-user-here
	assert_failure 64
	assert_output "smtpd: --user: no user 'no-such-user-here'"
	run "$SMTPD" -c "$CONF" --user nobody
	assert_failure 64
	assert_output "smtpd: --user goes with --check"
}
