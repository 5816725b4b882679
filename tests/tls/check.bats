#!/usr/bin/env bats
# Bad TLS settings through --check: one mistake per case, the exact
# "FILE:LINE: message" and the exit status (78 for errors, 0 when only
# warnings).  And where relative certificate names are looked up.

load tls_helpers

setup_file() {
	export CERTS="$BATS_FILE_TMPDIR/certs"
	make_certs "$CERTS"
	certtool --generate-privkey --key-type=ecdsa --outfile "$CERTS/other.key" 2>/dev/null
	certtool --to-p8 --load-privkey "$CERTS/key.pem" --password s3cret --outfile "$CERTS/encrypted.pem" 2>/dev/null
	cat >"$CERTS/expired.tmpl" <<-EOF
		cn = "old.example.org"
		activation_date = "2020-01-01 00:00:00"
		expiration_date = "2021-01-01 00:00:00"
	EOF
	certtool --generate-self-signed --load-privkey "$CERTS/key.pem" --template "$CERTS/expired.tmpl" \
		--outfile "$CERTS/expired.pem" 2>/dev/null
}

setup() {
	CONF="$BATS_TEST_TMPDIR/smtpd.conf"
}

# tls_conf LINE...: a configuration whose tls { } holds one setting per
# line, from line 4 on.
tls_conf() {
	{
		echo 'domains = { "example.org" }'
		echo 'smtpserver "smtp" {'
		echo '  tls {'
		printf '    %s\n' "$@"
		echo '  }'
		echo '}'
	} >"$CONF"
}

check() {
	"$SMTPD" -c "$CONF" --check
}

@test "the configuration contract passes --check although its files do not exist" {
	run "$SMTPD" -c "$SRCDIR/config/smtpd.conf.contract" --check
	assert_success
	assert_output --partial 'warning: certificates file /etc/smtpd/tls/fullchain.pem does not exist'
}

@test "a good setup passes --check without warnings" {
	tls_conf 'startTLS = true' "certificates = \"$CERTS/certificates.pem\"" "privateKey = \"$CERTS/key.pem\"" \
		'priority = "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1"'
	run check
	assert_success
	assert_output "$CONF: OK (0 warnings)"
}

@test "a key that does not match the certificate: error on the privateKey line" {
	tls_conf 'startTLS = true' "certificates = \"$CERTS/certificates.pem\"" "privateKey = \"$CERTS/other.key\""
	run check
	assert_failure 78
	assert_output "$CONF:6: privateKey: $CERTS/other.key does not match the certificate in $CERTS/certificates.pem"
}

@test "an expired certificate: a warning, not an error" {
	tls_conf 'startTLS = true' "certificates = \"$CERTS/expired.pem\"" "privateKey = \"$CERTS/key.pem\""
	run check
	assert_success
	assert_line "$CONF:5: warning: certificates: the certificate in $CERTS/expired.pem (CN=old.example.org) expired on 2021-01-01 00:00:00 UTC"
	assert_line "$CONF: OK (1 warning)"
}

@test "a bad priority string: error with the offending part" {
	tls_conf 'startTLS = true' "certificates = \"$CERTS/certificates.pem\"" "privateKey = \"$CERTS/key.pem\"" \
		'priority = "NORMAL:+NO-SUCH-CIPHER"'
	run check
	assert_failure 78
	assert_output "$CONF:7: priority: invalid GnuTLS priority string 'NORMAL:+NO-SUCH-CIPHER' (error at '+NO-SUCH-CIPHER')"
}

@test "@SYSTEM as priority is rejected by Debian 12's GnuTLS, and --check says so" {
	tls_conf 'startTLS = true' "certificates = \"$CERTS/certificates.pem\"" "privateKey = \"$CERTS/key.pem\"" \
		'priority = "@SYSTEM"'
	run check
	assert_failure 78
	assert_output --partial "$CONF:7: priority: invalid GnuTLS priority string '@SYSTEM'"
}

@test "a certificates file without a certificate: error" {
	echo "garbage" >"$BATS_TEST_TMPDIR/garbage.pem"
	tls_conf 'startTLS = true' "certificates = \"$BATS_TEST_TMPDIR/garbage.pem\"" "privateKey = \"$CERTS/key.pem\""
	run check
	assert_failure 78
	assert_line --regexp "^$CONF:5: certificates: $BATS_TEST_TMPDIR/garbage.pem holds no PEM certificate: "
}

@test "an encrypted PKCS#8 key without secret, with a wrong one, with the right one" {
	tls_conf 'startTLS = true' "certificates = \"$CERTS/certificates.pem\"" "privateKey = \"$CERTS/encrypted.pem\""
	run check
	assert_failure 78
	assert_output "$CONF:6: privateKey: cannot decrypt $CERTS/encrypted.pem: encrypted, and no secret is set"
	tls_conf 'startTLS = true' "certificates = \"$CERTS/certificates.pem\"" "privateKey = \"$CERTS/encrypted.pem\"" \
		'secret = "wrong"'
	run check
	assert_failure 78
	assert_output "$CONF:6: privateKey: cannot decrypt $CERTS/encrypted.pem: wrong secret"
	tls_conf 'startTLS = true' "certificates = \"$CERTS/certificates.pem\"" "privateKey = \"$CERTS/encrypted.pem\"" \
		'secret = "s3cret"'
	run check
	assert_success
}

@test "an encrypted key with its secret serves STARTTLS" {
	write_conf "$CONF" "startTLS = true certificates = \"$CERTS/certificates.pem\" privateKey = \"$CERTS/encrypted.pem\" secret = \"s3cret\""
	start_server "$SMTPD" "$CONF"
	run timeout 30 swaks --server "127.0.0.1:$PORT" --tls --tls-verify --tls-ca-path "$CERTS/ca.pem" \
		--quit-after TLS
	assert_success
	assert_output --partial '=== TLS started with cipher'
}

@test "missing certificate and key files are warnings (checked before installation)" {
	tls_conf 'startTLS = true' "certificates = \"$BATS_TEST_TMPDIR/none.pem\"" "privateKey = \"$BATS_TEST_TMPDIR/none.key\""
	run check
	assert_success
	assert_line "$CONF:5: warning: certificates file $BATS_TEST_TMPDIR/none.pem does not exist"
	assert_line "$CONF:6: warning: privateKey file $BATS_TEST_TMPDIR/none.key does not exist"
}

@test "an unreadable key file: error" {
	# a directory every user can enter: root reads everything, so the
	# check runs as nobody then
	d=$(mktemp -d /tmp/smtpd-tls-check.XXXXXX)
	chmod 755 "$d"
	cp "$CERTS/certificates.pem" "$d/certificates.pem"
	cp "$CERTS/key.pem" "$d/secret.key"
	chmod 644 "$d/certificates.pem"
	chmod 000 "$d/secret.key"
	CONF="$d/smtpd.conf"
	tls_conf 'startTLS = true' "certificates = \"$d/certificates.pem\"" "privateKey = \"$d/secret.key\""
	chmod 644 "$CONF"
	as_user=()
	[ "$(id -u)" != 0 ] || as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	run "${as_user[@]}" "$SMTPD" -c "$CONF" --check
	rm -rf "$d"
	assert_failure 78
	assert_output "$CONF:6: privateKey file $d/secret.key is not readable"
}

@test "socketTLS and startTLS together: error" {
	tls_conf 'socketTLS = true' 'startTLS = true' "certificates = \"$CERTS/certificates.pem\"" "privateKey = \"$CERTS/key.pem\""
	run check
	assert_failure 78
	assert_output --partial 'tls: socketTLS and startTLS cannot both be true'
}

@test "relative names: \$CREDENTIALS_DIRECTORY first, else beside the configuration" {
	creds="$BATS_TEST_TMPDIR/creds"
	mkdir -p "$creds"
	cp "$CERTS/certificates.pem" "$creds/smtpd.crt"
	cp "$CERTS/key.pem" "$creds/smtpd.key"
	tls_conf 'startTLS = true' 'certificates = "smtpd.crt"' 'privateKey = "smtpd.key"'
	run env CREDENTIALS_DIRECTORY="$creds" "$SMTPD" -c "$CONF" --check
	assert_success
	assert_output "$CONF: OK (0 warnings)"
	run check
	assert_success
	assert_line "$CONF:5: warning: certificates file $BATS_TEST_TMPDIR/smtpd.crt does not exist"
	cp "$CERTS/certificates.pem" "$BATS_TEST_TMPDIR/smtpd.crt"
	cp "$CERTS/other.key" "$BATS_TEST_TMPDIR/smtpd.key"
	run check
	assert_failure 78
	assert_output "$CONF:6: privateKey: $BATS_TEST_TMPDIR/smtpd.key does not match the certificate in $BATS_TEST_TMPDIR/smtpd.crt"
}

@test "a session uses the key from \$CREDENTIALS_DIRECTORY" {
	creds="$BATS_TEST_TMPDIR/creds"
	mkdir -p "$creds"
	cp "$CERTS/certificates.pem" "$creds/smtpd.crt"
	cp "$CERTS/key.pem" "$creds/smtpd.key"
	write_conf "$CONF" 'startTLS = true certificates = "smtpd.crt" privateKey = "smtpd.key"'
	start_server "$SMTPD" "$CONF" CREDENTIALS_DIRECTORY="$creds"
	run timeout 30 swaks --server "127.0.0.1:$PORT" --tls --tls-verify --tls-ca-path "$CERTS/ca.pem" \
		--quit-after TLS
	assert_success
	assert_output --partial '=== TLS started with cipher'
}

@test "absolute names: \$CREDENTIALS_DIRECTORY first, by file name (LoadCredential= of a root-only key)" {
	creds="$BATS_TEST_TMPDIR/creds"
	mkdir -p "$creds" "$BATS_TEST_TMPDIR/etc"
	cp "$CERTS/certificates.pem" "$creds/smtpd.crt"
	cp "$CERTS/key.pem" "$creds/smtpd.key"
	# the configured files: a key that does not match, so that using it
	# instead of the credential fails the check
	cp "$CERTS/certificates.pem" "$BATS_TEST_TMPDIR/etc/smtpd.crt"
	cp "$CERTS/other.key" "$BATS_TEST_TMPDIR/etc/smtpd.key"
	tls_conf 'startTLS = true' "certificates = \"$BATS_TEST_TMPDIR/etc/smtpd.crt\"" \
		"privateKey = \"$BATS_TEST_TMPDIR/etc/smtpd.key\""
	run env CREDENTIALS_DIRECTORY="$creds" "$SMTPD" -c "$CONF" --check
	assert_success
	assert_output "$CONF: OK (0 warnings)"
	# not in the credentials directory: the path as written
	rm "$creds/smtpd.key"
	run env CREDENTIALS_DIRECTORY="$creds" "$SMTPD" -c "$CONF" --check
	assert_failure 78
	assert_output "$CONF:6: privateKey: $BATS_TEST_TMPDIR/etc/smtpd.key does not match the certificate in $creds/smtpd.crt"
}

@test "a session serves STARTTLS with an absolute key path it cannot read, from \$CREDENTIALS_DIRECTORY" {
	creds="$BATS_TEST_TMPDIR/creds"
	mkdir -p "$creds"
	cp "$CERTS/certificates.pem" "$creds/smtpd.crt"
	cp "$CERTS/key.pem" "$creds/smtpd.key"
	# the configured key does not exist at all outside the credentials
	write_conf "$CONF" "startTLS = true certificates = \"/nonexistent/tls/smtpd.crt\" privateKey = \"/nonexistent/tls/smtpd.key\""
	start_server "$SMTPD" "$CONF" CREDENTIALS_DIRECTORY="$creds"
	run timeout 30 swaks --server "127.0.0.1:$PORT" --tls --tls-verify --tls-ca-path "$CERTS/ca.pem" \
		--quit-after TLS
	assert_success
	assert_output --partial '=== TLS started with cipher'
}
