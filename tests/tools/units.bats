#!/usr/bin/env bats
# smtpd-config units: socket units and service templates carry the
# configured values; they and the static units pass systemd-analyze
# verify; the sysusers.d and tmpfiles.d files create what the units need.

load common

setup() {
	T=$BATS_TEST_TMPDIR
	conf_store "$T"
	mkdir -p "$T/out"
	echo cert >"$T/fullchain.pem"
	echo key >"$T/privkey.pem"
	conf_head "$T" example.org >"$T/smtpd.conf"
	cat >>"$T/smtpd.conf" <<-EOF
	smtpserver "mx" {
	  bind = { "127.0.0.1:2525", "[::1]:2525" }
	  connectBacklog = 77
	  tls { startTLS = true  certificates = "$T/fullchain.pem"  privateKey = "$T/privkey.pem" }
	  handler {
	    connectionTimeout = 100
	    connectionLimit = 33
	    connectionLimitPerIP = 4
	  }
	}
	smtpserver "plain" {
	  bind = { "127.0.0.1:2526" }
	  connectBacklog = 0
	}
	smtpserver "off" {
	  enabled = false
	  bind = { "127.0.0.1:2527" }
	}
	lmtpserver "lm" {
	  bind = { "/run/smtpd-test/lmtp.sock", "127.0.0.1:2424" }
	  handler { connectionTimeout = 1200 }
	}
	EOF
}

units() {
	run --separate-stderr "$SMTPD_CONFIG" units -c "$T/smtpd.conf" -o "$T/out" \
		--smtpd="$SMTPD" --lmtpd="$LMTPD" "$@"
}

need_analyze() {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (Debian package systemd)"
}

# verify FILE...: systemd-analyze verify, which must say nothing at all
# (it reports bad settings as warnings and still exits 0).
verify() {
	local f
	for f in "$@"; do
		run systemd-analyze verify --man=no "$f"
		assert_success
		assert_output ''
	done
}

@test "one socket and one service template per enabled listener, none for disabled ones" {
	units
	assert_success
	assert_equal "$(ls "$T/out" | sort | tr '\n' ' ')" "lm.socket lm@.service mx.socket mx@.service plain.socket plain@.service "
	assert_line "$T/out/mx.socket"
	assert_line "$T/out/lm@.service"
}

@test "socket unit: ListenStream per bind entry, Backlog, MaxConnections, MaxConnectionsPerSource" {
	units
	assert_success
	run cat "$T/out/mx.socket"
	assert_line 'ListenStream=127.0.0.1:2525'
	assert_line 'ListenStream=[::1]:2525'
	assert_line 'BindIPv6Only=ipv6-only'
	assert_line 'Accept=yes'
	assert_line 'Backlog=77'
	assert_line 'MaxConnections=33'
	assert_line 'MaxConnectionsPerSource=4'
	# a connect flood must never leave the socket failed
	assert_line 'TriggerLimitIntervalSec=0'
	assert_line 'WantedBy=sockets.target'
	# comments say why
	assert_line '# connectBacklog = 77: connections the kernel queues before accept.'
}

@test "socket unit: zero limits are omitted; a UNIX path is a ListenStream too" {
	units
	assert_success
	run cat "$T/out/plain.socket"
	assert_line 'ListenStream=127.0.0.1:2526'
	refute_line --regexp '^Backlog='
	refute_line --regexp '^MaxConnections='
	refute_line --regexp '^MaxConnectionsPerSource='
	refute_line --regexp '^BindIPv6Only='
	run cat "$T/out/lm.socket"
	assert_line 'ListenStream=/run/smtpd-test/lmtp.sock'
	assert_line 'ListenStream=127.0.0.1:2424'
	assert_line 'SocketMode=0660'
	assert_line 'SocketGroup=smtpd'
}

@test "service template: ExecStart, user, sandbox, credential, session cap" {
	units --user=mailer --group=mailgrp
	assert_success
	conf=$(realpath "$T/smtpd.conf")
	run cat "$T/out/mx@.service"
	assert_line "ExecStart=$SMTPD -c $conf -s mx"
	assert_line 'StandardInput=socket'
	assert_line 'StandardError=journal'
	assert_line 'User=mailer'
	assert_line 'Group=mailgrp'
	assert_line 'NoNewPrivileges=yes'
	# no option that builds a mount namespace per connection, and none
	# that makes systemd compile a seccomp filter per connection (the
	# session's own filter does their work: tests/sandbox)
	refute_line --regexp '^(ProtectSystem|ReadWritePaths|ProtectHome|PrivateTmp|PrivateDevices|ProtectKernel[A-Za-z]*|ProtectControlGroups|SystemCallFilter)='
	refute_line --regexp '^(RestrictAddressFamilies|RestrictNamespaces|RestrictRealtime|RestrictSUIDSGID|LockPersonality|SystemCallArchitectures|MemoryDenyWriteExecute)='
	assert_line 'CapabilityBoundingSet='
	assert_line "LoadCredential=privkey.pem:$T/privkey.pem"
	assert_line 'MemoryMax=64M'
	assert_line 'RuntimeMaxSec=1000'
	run cat "$T/out/lm@.service"
	assert_line "ExecStart=$LMTPD -c $conf -s lm"
	refute_line --regexp '^LoadCredential='
	assert_line 'RuntimeMaxSec=12000'
}

@test "a listener name that cannot name a unit is refused (exit 78)" {
	sed -i 's/smtpserver "plain"/smtpserver "a b"/' "$T/smtpd.conf"
	units
	assert_failure 78
	use_stderr
	assert_line "$T/smtpd.conf: smtpserver \"a b\": the name cannot name systemd units (use letters, digits, '.', '_', '-')"
}

@test "the comment names the mail store the session may write; one without a fixed directory: refused" {
	sed -i 's|^mailboxes = .*|mailboxes = "/home/%u/Maildir"|' "$T/smtpd.conf"
	units
	assert_success
	run cat "$T/out/mx@.service"
	assert_line --partial '# store "/home" and the spool'
	sed -i 's|^mailboxes = .*|mailboxes = "/%d/%n"|' "$T/smtpd.conf"
	units
	assert_failure 78
	use_stderr
	assert_line "$T/smtpd.conf: mailboxes '/%d/%n' has no fixed leading directory: the unit could not keep the rest of the system read-only"
}

@test "a configuration that does not load: its messages, exit 78, no units" {
	echo 'smtpserver "bad" { bind = { "nowhere" } }' >>"$T/smtpd.conf"
	units
	assert_failure 78
	use_stderr
	assert_line --regexp "^$T/smtpd.conf:[0-9]+: bind: 'nowhere' is not ADDRESS:PORT, \\[IPV6\\]:PORT or /path$"
	assert_equal "$(ls "$T/out")" ''
}

@test "proxyTrusted: the socket lets only the balancers connect (IPAddressAllow=, IPAddressDeny=any)" {
	cat >>"$T/smtpd.conf" <<-EOF
	smtpserver "behind" {
	  bind = { "127.0.0.1:2528" }
	  proxyRequired = true
	  proxyTrusted = { "10.0.0.2", "192.0.2.77/24", "2001:db8::1/64" }
	}
	EOF
	units
	assert_success
	run cat "$T/out/behind.socket"
	assert_line 'IPAddressAllow=10.0.0.2/32 192.0.2.0/24 2001:db8::/64'
	assert_line 'IPAddressDeny=any'
	run cat "$T/out/mx.socket"
	refute_line --regexp '^IPAddress'
	verify "$T/out/behind.socket"
}

@test "generated units pass systemd-analyze verify" {
	need_analyze
	units
	assert_success
	verify "$T"/out/*.socket "$T"/out/*@.service
}

@test "verify catches a broken unit (the check above is not vacuous)" {
	need_analyze
	units
	assert_success
	sed -i 's/^NoNewPrivileges=yes/NoNewPrivileges=bogus/' "$T/out/mx@.service"
	run systemd-analyze verify --man=no "$T/out/mx@.service"
	assert_output --partial 'bogus'
}

@test "static units: paths follow the prefix; they pass systemd-analyze verify" {
	need_analyze
	for u in smtpd submission smtps lmtpd; do
		[ -f "$UNITS_BUILDDIR/$u.socket" ]
		[ -f "$UNITS_BUILDDIR/$u@.service" ]
	done
	run cat "$UNITS_BUILDDIR/smtpd@.service"
	assert_line "ExecStart=$INSTALL_SBINDIR/smtpd -c $INSTALL_SYSCONFDIR/smtpd/smtpd.conf -s smtp"
	run cat "$UNITS_BUILDDIR/lmtpd@.service"
	assert_line "ExecStart=$INSTALL_SBINDIR/lmtpd -c $INSTALL_SYSCONFDIR/smtpd/smtpd.conf -s lmtp"
	# submission and smtps need TLS: the key is a credential; port 25
	# loads none by default (a missing key file would fail every session),
	# the line to add is in a comment
	for u in submission smtps; do
		run cat "$UNITS_BUILDDIR/$u@.service"
		assert_line "LoadCredential=privkey.pem:$INSTALL_SYSCONFDIR/smtpd/tls/privkey.pem"
		assert_line 'MemoryMax=64M'
	done
	run cat "$UNITS_BUILDDIR/smtpd@.service"
	refute_line --regexp '^LoadCredential='
	assert_line --regexp "^# +LoadCredential=privkey.pem:$INSTALL_SYSCONFDIR/smtpd/tls/privkey.pem$"
	assert_line 'MemoryMax=64M'
	# no socket can be failed by a connect flood
	for u in smtpd submission smtps lmtpd; do
		run cat "$UNITS_BUILDDIR/$u.socket"
		assert_line 'TriggerLimitIntervalSec=0'
	done
	run grep -h '^ListenStream=' "$UNITS_BUILDDIR/smtpd.socket" "$UNITS_BUILDDIR/submission.socket" \
		"$UNITS_BUILDDIR/smtps.socket" "$UNITS_BUILDDIR/lmtpd.socket"
	assert_output $'ListenStream=25\nListenStream=587\nListenStream=465\nListenStream=/run/smtpd/lmtp.sock'
	# verify checks that ExecStart= is executable: point it at this build
	mkdir "$T/static"
	for f in "$UNITS_BUILDDIR"/*.socket "$UNITS_BUILDDIR"/*@.service; do
		sed -e "s|$INSTALL_SBINDIR/smtpd |$SMTPD |; s|$INSTALL_SBINDIR/lmtpd |$LMTPD |" "$f" >"$T/static/${f##*/}"
	done
	verify "$T"/static/*.socket "$T"/static/*@.service
}

@test "sysusers.d and tmpfiles.d create the user, the spool and the mail store" {
	command -v systemd-sysusers >/dev/null || skip "systemd-sysusers is not installed (Debian package systemd)"
	mkdir -p "$T/root/etc"
	run systemd-sysusers --root="$T/root" "$SRCDIR/units/smtpd.sysusers"
	assert_success
	run grep '^smtpd:' "$T/root/etc/passwd"
	assert_output --regexp '^smtpd:x:[0-9]+:[0-9]+:smtpd mail sessions:/var/spool/smtpd:/usr/sbin/nologin$'
	# its own group only: group mail reads every local mbox (issue 12)
	run awk -F: '$4 ~ /(^|,)smtpd(,|$)/ { print $1 }' "$T/root/etc/group"
	assert_output ''
	run systemd-tmpfiles --root="$T/root" --create "$SRCDIR/units/smtpd.tmpfiles"
	assert_success
	uid=$(awk -F: '$1 == "smtpd" { print $3 }' "$T/root/etc/passwd")
	gid=$(awk -F: '$1 == "smtpd" { print $3 }' "$T/root/etc/group")
	assert_equal "$(stat -c '%u %g %a' "$T/root/var/spool/smtpd")" "$uid $gid 750"
	# the mail store: smtpd's, no one else's; /var/mail is not touched
	assert_equal "$(stat -c '%u %g %a' "$T/root/var/mail/vhosts")" "$uid $gid 750"
	run grep -E '^[a-z]+ /var/mail ' "$SRCDIR/units/smtpd.tmpfiles"
	assert_failure
	# the packaged configuration delivers into that store
	run grep -E '^mailboxes += "/var/mail/vhosts/%d/%n"' "$SRCDIR/debian/conf/smtpd.conf"
	assert_success
}

@test "tmpfiles.d cleans tmp/ files of the spool after 36 hours, and nothing else" {
	command -v systemd-tmpfiles >/dev/null || skip "systemd-tmpfiles is not installed (Debian package systemd)"
	local out=$T/root/var/spool/smtpd/outgoing
	mkdir -p "$T/root/etc" "$out/tmp" "$out/new"
	systemd-sysusers --root="$T/root" "$SRCDIR/units/smtpd.sysusers"
	touch -d '37 hours ago' "$out/tmp/stale" "$out/new/old-but-delivered"
	touch -d '30 hours ago' "$out/tmp/recent"
	run systemd-tmpfiles --root="$T/root" --clean "$SRCDIR/units/smtpd.tmpfiles"
	assert_success
	[ ! -e "$out/tmp/stale" ]
	[ -e "$out/tmp/recent" ]
	[ -e "$out/new/old-but-delivered" ]
}

@test "from James XML to verified units: translate, then units" {
	need_analyze
	"$SMTPD_CONFIG" translate --users="$T/users" --mailboxes="$T/mail/%d/%n" --spool="$T/spool" \
		"$SRCDIR/tests/tools/fixtures/james3-smtpserver.xml" "$SRCDIR/tests/tools/fixtures/lmtpserver.xml" \
		"$SRCDIR/tests/tools/fixtures/domainlist.xml" >"$T/james.conf" 2>/dev/null
	run --separate-stderr "$SMTPD_CONFIG" units -c "$T/james.conf" -o "$T/out" --smtpd="$SMTPD" --lmtpd="$LMTPD"
	assert_success
	assert_equal "$(ls "$T/out" | sort | tr '\n' ' ')" "lmtpserver.socket lmtpserver@.service smtpserver-global.socket smtpserver-global@.service "
	run cat "$T/out/smtpserver-global.socket"
	assert_line 'ListenStream=0.0.0.0:25'
	assert_line 'ListenStream=[::]:25'
	assert_line 'Backlog=150'
	assert_line 'MaxConnections=50'
	assert_line 'MaxConnectionsPerSource=5'
	run cat "$T/out/smtpserver-global@.service"
	assert_line 'RuntimeMaxSec=3000'
	verify "$T"/out/*.socket "$T"/out/*@.service
}

@test "service template: the TLS ticketKey's directory is the sessions' (StateDirectory= under /var/lib)" {
	sed -i "s|privateKey = \"$T/privkey.pem\" }|privateKey = \"$T/privkey.pem\"  ticketKey = \"/var/lib/smtpd/tls/ticket.key\" }|" "$T/smtpd.conf"
	grep -q 'ticketKey = "/var/lib/smtpd/tls/ticket.key"' "$T/smtpd.conf"
	units
	assert_success
	run cat "$T/out/mx@.service"
	assert_line 'StateDirectory=smtpd/tls'
	run cat "$T/out/plain@.service"
	refute_line --regexp '^StateDirectory='
	sed -i 's|/var/lib/smtpd/tls/ticket.key|/srv/tls/ticket.key|' "$T/smtpd.conf"
	units
	assert_success
	run cat "$T/out/mx@.service"
	refute_line --regexp '^StateDirectory='
	refute_line --regexp '^ReadWritePaths='
	assert_line '# user smtpd (every session shares the key; no ReadWritePaths=, which'
}

# relay_block [LINES...]: a remoteDelivery block at the end of smtpd.conf
relay_block() {
	{
		echo 'remoteDelivery {'
		printf '  %s\n' "$@"
		echo '}'
	} >>"$T/smtpd.conf"
}

@test "remoteDelivery: smtpd-relay.service, .path and .timer beside the listeners' units" {
	printf 'pw\n' >"$T/gw.pw"
	relay_block 'gateway = { "smarthost.example.net:587" }' 'gatewayUsername = "u"' 'gatewayPasswordFile = "gw.pw"'
	units
	assert_success
	assert_line "$T/out/smtpd-relay.service"
	assert_line "$T/out/smtpd-relay.path"
	assert_line "$T/out/smtpd-relay.timer"
	run cat "$T/out/smtpd-relay.service"
	assert_line 'Type=oneshot'
	# smtpd-relay is installed beside smtpd
	assert_line "ExecStart=${SMTPD%/*}/smtpd-relay -c $T/smtpd.conf"
	assert_line 'User=smtpd'
	# the password file stays root-only: a credential under its base name
	assert_line "LoadCredential=gw.pw:$T/gw.pw"
	assert_line "ReadWritePaths=$T/spool $T/mail"
	assert_line 'ProtectSystem=strict'
	assert_line 'CapabilityBoundingSet='
	assert_line 'NoNewPrivileges=yes'
	run cat "$T/out/smtpd-relay.path"
	assert_line "DirectoryNotEmpty=$T/spool/outgoing/new"
	assert_line 'Unit=smtpd-relay.service'
	run cat "$T/out/smtpd-relay.timer"
	assert_line 'OnCalendar=minutely'
	assert_line 'Unit=smtpd-relay.service'
}

@test "remoteDelivery without a gateway password: no LoadCredential=; no block: no relay units" {
	relay_block 'heloName = "relay.example.org"'
	units --user=mail --group=mail
	assert_success
	run cat "$T/out/smtpd-relay.service"
	assert_line 'User=mail'
	refute_line --partial 'LoadCredential='
	# the same configuration without the block
	sed -i '/^remoteDelivery {/,$d' "$T/smtpd.conf"
	rm -f "$T"/out/*
	units
	assert_success
	[ ! -e "$T/out/smtpd-relay.service" ]
	[ ! -e "$T/out/smtpd-relay.path" ]
	[ ! -e "$T/out/smtpd-relay.timer" ]
}

@test "remoteDelivery: a password path a unit would have to quote is refused (exit 78)" {
	printf 'pw\n' >"$T/gw pw"
	relay_block 'gateway = { "smarthost.example.net" }' 'gatewayUsername = "u"' "gatewayPasswordFile = \"$T/gw pw\""
	units
	assert_failure 78
	use_stderr
	assert_line "$T/smtpd.conf: gatewayPasswordFile '$T/gw pw' has characters a unit file would need to quote"
	[ ! -e "$T/out/smtpd-relay.service" ]
}

@test "generated smtpd-relay units pass systemd-analyze verify" {
	need_analyze
	printf 'pw\n' >"$T/gw.pw"
	relay_block 'gateway = { "smarthost.example.net:587" }' 'gatewayUsername = "u"' 'gatewayPasswordFile = "gw.pw"'
	units
	assert_success
	verify "$T/out/smtpd-relay.service" "$T/out/smtpd-relay.path" "$T/out/smtpd-relay.timer"
}
