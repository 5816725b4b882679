#!/usr/bin/env bats
# smtpd-relay and TLS: STARTTLS with a verified certificate to a
# smarthost (good, wrong-name, self-signed), implicit TLS (sslEnable),
# AUTH PLAIN to the smarthost and a wrong password (535: temporary,
# logged loudly), opportunistic STARTTLS to an MX (address literal).

load helpers

setup_file() {
	C="$BATS_FILE_TMPDIR/certs"
	mkdir -p "$C"
	export C
	(
		cd "$C" || return
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-ca \
			-keyout ca.key -out ca.pem 2>/dev/null
		for n in good:IP:127.0.0.2,DNS:sink.test wrong:DNS:other.test; do
			name=${n%%:*} san=${n#*:}
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
				-keyout "$name.key" -out "$name.csr" 2>/dev/null
			printf 'subjectAltName=%s\n' "$san" >"$name.ext"
			openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
				-extfile "$name.ext" -out "$name.pem" 2>/dev/null
		done
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=self \
			-addext subjectAltName=IP:127.0.0.2 -keyout self.key -out self.pem 2>/dev/null
	)
}

setup() {
	setup_relay
	PORT=$(free_port 127.0.0.2)
	RELAY_CONF=("gateway = { \"127.0.0.2:$PORT\" }" "trustedCertificates = \"$C/ca.pem\"")
	write_conf
}
teardown() { teardown_relay; }

tls_of() {
	$PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["tls"])' "$1"
}

@test "STARTTLS to the smarthost with a verified certificate (the default)" {
	start_sink sink 127.0.0.2:$PORT --tls "$C/good.pem" "$C/good.key"
	submit alice@example.org u@remote.test
	relay
	assert_equal "$(sink_count sink)" 1
	run tls_of "$T/sink/1.json"
	assert_output --regexp "^TLSv1\.[23]$"
	grep -q "TLS with 127.0.0.2\[127.0.0.2\]: TLS1.[23] with cipher" "$T/relay.log"
}

@test "a certificate for another name, or self-signed: not trusted, deferred, nothing sent" {
	start_sink sink 127.0.0.2:$PORT --tls "$C/wrong.pem" "$C/wrong.key"
	submit alice@example.org u@remote.test
	relay
	assert_equal "$(sink_count sink)" 0
	grep -q "certificate of 127.0.0.2 not trusted" "$T/relay.log"
	grep -q "^R 0 T 451 4.4.1 " "$T"/spool/outgoing/state/*
	stop_sinks
	start_sink sink2 127.0.0.2:$PORT --tls "$C/self.pem" "$C/self.key"
	NOW=$((NOW + 100)) relay
	assert_equal "$(sink_count sink2)" 0
	[ "$(grep -c 'not trusted' "$T/relay.log")" -eq 2 ]
}

@test "a smarthost without STARTTLS: refused (TLS is required for it by default)" {
	start_sink sink 127.0.0.2:$PORT
	submit alice@example.org u@remote.test
	relay
	assert_equal "$(sink_count sink)" 0
	grep -q "offers no STARTTLS, and TLS is required" "$T/relay.log"
}

@test "sslEnable: implicit TLS (port 465 style)" {
	RELAY_CONF+=('sslEnable = true')
	write_conf
	start_sink sink 127.0.0.2:$PORT --implicit-tls "$C/good.pem" "$C/good.key"
	submit alice@example.org u@remote.test
	relay
	assert_equal "$(sink_count sink)" 1
	run tls_of "$T/sink/1.json"
	assert_output --regexp "^TLSv1\.[23]$"
}

@test "AUTH to the smarthost with the password from a file; a wrong one is 535: deferred and logged loudly" {
	printf 'secret\n' >"$T/gw.pw"
	RELAY_CONF+=('gatewayUsername = "relayuser"' "gatewayPasswordFile = \"$T/gw.pw\"")
	write_conf
	start_sink sink 127.0.0.2:$PORT --tls "$C/good.pem" "$C/good.key" --auth relayuser:secret
	submit alice@example.org u@remote.test
	relay
	assert_equal "$(sink_count sink)" 1
	printf 'wrong\n' >"$T/gw.pw"
	submit alice@example.org v@remote.test
	relay
	assert_equal "$(sink_count sink)" 1
	grep -q "AUTH as relayuser refused: 535" "$T/relay.log"
	grep -q "^R 0 T 451 4.4.1 .*AUTH as relayuser refused: 535" "$T"/spool/outgoing/state/*
	run grep -c secret "$T/relay.log"
	assert_output 0
}

# smtpd-config units writes LoadCredential=gw.pw:/abs/gw.pw: systemd's
# copy (the original is root-only) wins over the configured path.
@test "gatewayPasswordFile: the systemd credential of the same base name is read first" {
	mkdir -p "$T/creds"
	printf 'wrong\n' >"$T/gw.pw"
	printf 'secret\n' >"$T/creds/gw.pw"
	RELAY_CONF+=('gatewayUsername = "relayuser"' "gatewayPasswordFile = \"$T/gw.pw\"")
	write_conf
	start_sink sink 127.0.0.2:$PORT --tls "$C/good.pem" "$C/good.key" --auth relayuser:secret
	submit alice@example.org u@remote.test
	CREDENTIALS_DIRECTORY=$T/creds relay
	assert_equal "$(sink_count sink)" 1
}

@test "direct delivery (address literal): opportunistic STARTTLS takes a self-signed certificate" {
	RELAY_CONF=('heloName = "relay.example.org"')
	write_conf
	start_sink sink 127.0.0.2:$PORT --tls "$C/self.pem" "$C/self.key"
	submit alice@example.org "u@[127.0.0.2]"
	SMTPD_RELAY_MX_PORT=$PORT relay
	assert_equal "$(sink_count sink)" 1
	run tls_of "$T/sink/1.json"
	assert_output --regexp "^TLSv1\.[23]$"
}

@test "direct delivery: tlsSecurityLevel = verify refuses a self-signed certificate" {
	RELAY_CONF=('tlsSecurityLevel = "verify"')
	write_conf
	start_sink sink 127.0.0.2:$PORT --tls "$C/self.pem" "$C/self.key"
	submit alice@example.org "u@[127.0.0.2]"
	SMTPD_RELAY_MX_PORT=$PORT relay
	assert_equal "$(sink_count sink)" 0
	grep -q "not trusted" "$T/relay.log"
}
