#!/usr/bin/env bats
# The default priority strings (smtpd.conf(5), tls { priority }), with an
# RSA certificate, where the difference shows: a listener that requires
# TLS or takes AUTH (smtps, submission) offers forward-secret AEAD suites
# only; port 25 stays broadly compatible (a sender that cannot negotiate
# falls back to plaintext).  testssl.sh (Debian package testssl.sh) checks
# the cipher categories; gnutls-cli with a legacy client priority checks
# the static-RSA key exchange.

load tls_helpers

setup_file() {
	export CERTS="$BATS_FILE_TMPDIR/certs"
	make_certs "$CERTS" rsa
}

# A TLS 1.2 client of the old kind: static RSA key exchange, AES-CBC, SHA-1.
LEGACY="NORMAL:-KX-ALL:+RSA:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1:-VERS-ALL:+VERS-TLS1.2"
# Static RSA with an AEAD cipher: no forward secrecy, though not CBC.
RSA_KX="NORMAL:-KX-ALL:+RSA:-VERS-ALL:+VERS-TLS1.2"

# handshake PRIORITY [GNUTLS-CLI-ARGS...]: QUIT through gnutls-cli on $PORT.
handshake() {
	local prio=$1
	shift
	(printf 'EHLO client.example\r\nQUIT\r\n'; sleep 2) |
		timeout 30 gnutls-cli --priority "$prio" --x509cafile="$CERTS/ca.pem" -p "$PORT" "$@" 127.0.0.1 2>&1
}

@test "smtps with an RSA certificate: testssl.sh finds no CBC suite; no static RSA key exchange" {
	command -v testssl >/dev/null || skip "testssl is not installed (Debian package testssl.sh)"
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
	write_conf "$CONF" "socketTLS = true $(tls_block)"
	start_server "$SMTPD" "$CONF"
	# -s: the cipher categories only; -n none: no DNS; bounded
	run timeout 600 testssl --quiet --color 0 --warnings off -n none --connect-timeout 5 \
		--openssl-timeout 5 -s --jsonfile "$BATS_TEST_TMPDIR/testssl.json" "127.0.0.1:$PORT"
	assert_success
	assert_line --regexp '^ Obsolete(d)? CBC ciphers \(AES, ARIA etc\.\) +not offered'
	assert_line --regexp '^ Strong encryption \(AEAD ciphers\) +offered'
	run handshake "$RSA_KX"
	refute_line --partial '- Description:'
	run handshake "$LEGACY"
	refute_line --partial '- Description:'
	# TLS 1.2 with ECDHE and AES-GCM works
	run handshake "NORMAL:-VERS-ALL:+VERS-TLS1.2"
	assert_line --regexp '^- Description: \(TLS1\.2-X\.509\)-\(ECDHE-(RSA|SECP256R1)\)-\(RSA-SHA256\)-\(AES-256-GCM\)$|^- Description: \(TLS1\.2-X\.509\)-\(ECDHE-[A-Z0-9]+\)-\(RSA[A-Z0-9-]*\)-\((AES-256-GCM|CHACHA20-POLY1305|AES-128-GCM)\)$'
}

@test "STARTTLS with tls required, or with AUTH: the same forward-secret AEAD default" {
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
	write_conf "$CONF" "startTLS = true required = true $(tls_block)"
	start_server "$SMTPD" "$CONF"
	run handshake "$RSA_KX" --starttls-proto smtp
	refute_line --partial '- Description:'
	stop_server
	write_conf "$CONF" "startTLS = true $(tls_block)" 'authRequired = true'
	start_server "$SMTPD" "$CONF"
	run handshake "$LEGACY" --starttls-proto smtp
	refute_line --partial '- Description:'
	run handshake "NORMAL" --starttls-proto smtp
	assert_line --partial '- Description: (TLS1.3'
}

@test "port 25 (STARTTLS, no AUTH, TLS optional): a legacy client still negotiates" {
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
	write_conf "$CONF" "startTLS = true $(tls_block)"
	start_server "$SMTPD" "$CONF"
	run handshake "$LEGACY" --starttls-proto smtp
	assert_line '- Description: (TLS1.2-X.509)-(RSA)-(AES-128-CBC)-(SHA1)'
	assert_line --regexp '^221 '
}

@test "tls { priority } still overrides the default on a strict listener" {
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
	write_conf "$CONF" "socketTLS = true priority = \"NORMAL\" $(tls_block)"
	start_server "$SMTPD" "$CONF"
	run handshake "$LEGACY"
	assert_line '- Description: (TLS1.2-X.509)-(RSA)-(AES-128-CBC)-(SHA1)'
}
