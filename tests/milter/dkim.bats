#!/usr/bin/env bats
# The "MX with OpenDKIM + OpenDMARC" recipe (smtpd.conf(5), SPF, DKIM AND
# DMARC) with the real filters from Debian: OpenDKIM signs what a local
# client sends and verifies what comes from outside, OpenDMARC after it
# reads OpenDKIM's Authentication-Results: and checks SPF itself; the keys,
# the SPF and the DMARC records are in a zone served by unbound.
#
# meson runs this file under `unshare --net --mount`: a network namespace
# of its own (unbound on 127.0.0.1:53, nothing leaves it) and a private
# /etc/resolv.conf (OpenDMARC uses the system resolver).  Everything
# started here dies with the namespace; teardown_file stops it anyway.

load helpers

DOMAIN=example.test
OUTSIDE=192.0.2.10	# an outside client (TEST-NET-1), allowed by SPF

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root (a network namespace)"
	# not under /tmp: OpenDKIM refuses keys and configuration that other
	# users could write to, all the way up the path
	D=$(mktemp -d "${BUILDDIR:-$PWD}/milter-dkim.XXXXXX")
	chmod 700 "$D"
	export D
	ip link set lo up
	ip addr add "$OUTSIDE/32" dev lo
	echo "nameserver 127.0.0.1" >"$D/resolv.conf"
	mount --bind "$D/resolv.conf" /etc/resolv.conf

	# the key, published in the zone
	(cd "$D" && opendkim-genkey -b 1024 -d "$DOMAIN" -s sel)
	key=$(tr -d '\n\t' <"$D/sel.txt" | sed 's/.*( *//; s/ *).*//; s/" *"//g; s/"//g')
	cat >"$D/unbound.conf" <<-EOF
		server:
		  interface: 127.0.0.1
		  port: 53
		  do-ip6: no
		  access-control: 127.0.0.0/8 allow
		  chroot: ""
		  username: ""
		  directory: "$D"
		  pidfile: "$D/unbound.pid"
		  use-syslog: no
		  logfile: "$D/unbound.log"
		  module-config: "iterator"
		  local-zone: "$DOMAIN." static
		  local-data: "$DOMAIN. A 192.0.2.1"
		  local-data: "$DOMAIN. MX 10 mx.$DOMAIN."
		  local-data: 'mx.$DOMAIN. A 192.0.2.1'
		  local-data: '$DOMAIN. TXT "v=spf1 ip4:$OUTSIDE ip4:127.0.0.1 -all"'
		  local-data: '_dmarc.$DOMAIN. TXT "v=DMARC1; p=reject"'
		  local-data: 'sel._domainkey.$DOMAIN. TXT "$(sed 's/p=/" "p=/' <<<"$key")"'
		  local-zone: "other.test." static
		  local-data: "other.test. A 192.0.2.2"
	EOF
	unbound -d -c "$D/unbound.conf" >"$D/unbound.out" 2>&1 3>&- &
	echo $! >"$D/unbound.pid.bats"

	cat >"$D/opendkim.conf" <<-EOF
		Syslog no
		Background no
		UserID root
		Socket local:$D/opendkim.sock
		PidFile $D/opendkim.pid
		Mode sv
		Domain $DOMAIN
		Selector sel
		KeyFile $D/sel.private
		Canonicalization relaxed/simple
		InternalHosts 127.0.0.1
		AuthservID mx.test.example
		AlwaysAddARHeader yes
		ResolverConfiguration $D/libunbound.conf
		RequireSafeKeys false
	EOF
	# OpenDKIM resolves with libunbound, which answers NXDOMAIN for the
	# special-use TLD .test itself (RFC 6761) unless told otherwise
	cat >"$D/libunbound.conf" <<-EOF
		server:
		  local-zone: "test." transparent
		  module-config: "iterator"
		  do-ip6: no
		forward-zone:
		  name: "."
		  forward-addr: 127.0.0.1
	EOF
	opendkim -x "$D/opendkim.conf" -f >"$D/opendkim.out" 2>&1 3>&- &
	echo $! >"$D/opendkim.pid.bats"

	cat >"$D/opendmarc.conf" <<-EOF
		Syslog false
		Background false
		UserID root
		Socket local:$D/opendmarc.sock
		PidFile $D/opendmarc.pid
		AuthservID mx.test.example
		TrustedAuthservIDs mx.test.example
		SPFSelfValidate true
		SPFIgnoreResults true
		RejectFailures true
		PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
	EOF
	opendmarc -c "$D/opendmarc.conf" -f >"$D/opendmarc.out" 2>&1 3>&- &
	echo $! >"$D/opendmarc.pid.bats"

	for _ in $(seq 200); do
		[ -S "$D/opendkim.sock" ] && [ -S "$D/opendmarc.sock" ] &&
			ss -lun | grep -q '127.0.0.1:53 ' && return 0
		sleep 0.1
	done
	cat "$D"/*.out >&2
	return 1
}

teardown_file() {
	for p in opendmarc opendkim unbound; do
		[ -f "$D/$p.pid.bats" ] && kill "$(cat "$D/$p.pid.bats")" 2>/dev/null || true
	done
	umount /etc/resolv.conf 2>/dev/null || true
	rm -rf "$D"
}

setup() {
	setup_smtpd
	cat >>"$T/users" <<-'EOF'
		alice@example.test:{PLAIN}alicepw
	EOF
	milter_conf "handler \"MilterHandler\" { socket = { \"unix:$D/opendkim.sock\", \"unix:$D/opendmarc.sock\" } }"
	sed -i 's/domains   = { "example.org", "example.net" }/domains = { "example.org", "example.net", "example.test" }/' "$CONF"
}

teardown() {
	teardown_smtpd
}

MESSAGE=(
	"From: Alice <alice@$DOMAIN>"
	"To: alice@example.org"
	"Subject: a signed message,"
	" with a folded subject"
	"Date: Wed, 02 Dec 2026 09:00:00 +0000"
	"Message-ID: <dkim-test@$DOMAIN>"
	""
	"Hello, signed world."
	""
	"Second paragraph."
)

# submit: alice, a local client, sends to alice@example.org: OpenDKIM
# signs it; prints the stored message as the client sent it plus the
# signature (without the fields our delivery put on top).
signed_message() {
	PEER=127.0.0.1 smtp "EHLO client.$DOMAIN" "MAIL FROM:<alice@$DOMAIN>" "RCPT TO:<alice@example.org>" \
		"DATA" "${MESSAGE[@]}" "." "QUIT" >/dev/null
	f=$(one_message alice@example.org)
	strip_prefix "$f" | grep -v '^Authentication-Results:' | tr -d '\r'
	rm -f "$f"
}

# deliver FILE [MAIL FROM]: the message in FILE from the outside client.
deliver() {
	local lines=()
	mapfile -t lines <"$1"
	PEER=$OUTSIDE smtp "EHLO mail.$DOMAIN" "MAIL FROM:<${2:-alice@$DOMAIN}>" "RCPT TO:<alice@example.org>" \
		"DATA" "${lines[@]}" "." "QUIT"
}

@test "OpenDKIM signs a local client's message: DKIM-Signature in the stored copy" {
	signed_message >"$T/signed"
	run grep -c '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=example.test; s=sel;' "$T/signed"
	assert_output 1
}

@test "verified from outside: dkim=pass, then OpenDMARC: dmarc=pass" {
	signed_message >"$T/signed"
	run deliver "$T/signed"
	assert_line --partial "250 2.0.0 OK: queued as"
	f=$(one_message alice@example.org)
	run grep -A3 '^Authentication-Results: mx.test.example' "$f"
	assert_output --regexp 'dkim=pass .*header\.d=example\.test'
	assert_output --regexp 'dmarc=pass [^;]*header\.from=example\.test'
	assert_output --regexp 'spf=pass'
}

@test "one body byte changed: dkim=fail (SPF still aligns: dmarc=pass)" {
	signed_message | sed 's/Hello, signed world\./Hello, signed World./' >"$T/changed"
	run deliver "$T/changed"
	assert_line --partial "250 2.0.0 OK: queued as"
	run grep -A3 '^Authentication-Results: mx.test.example' "$(one_message alice@example.org)"
	assert_output --regexp 'dkim=fail'
	refute_output --regexp 'dkim=pass'
	assert_output --regexp 'dmarc=pass'
}

@test "DKIM broken and SPF not aligned: DMARC p=reject, the message is refused, nothing stored" {
	signed_message | sed 's/Second paragraph/Second Paragraph/' >"$T/changed"
	run deliver "$T/changed" "bounce@other.test"
	assert_line --regexp '^550 5\.7\.1 .*DMARC'
	[ -z "$(all_mail_files)" ]
}
