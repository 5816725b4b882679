# setup.bash: what tests/systemd/run and bench/systemd-cpu put into the
# rootfs before booting it.  Sourced.

# Debian packages of the container, on top of minbase: systemd as PID 1,
# dbus (systemctl talks to PID 1 through its private socket, but logind and
# systemd-analyze security expect a bus), the libraries smtpd-config links
# (libxml2) and GnuTLS (dlopen()ed by STARTTLS sessions).  The binaries
# link libconfuse and libcrypt statically; libconfuse2 is there for a
# build without the static archive.  libseccomp2 comes with systemd.
SYSTEMD_TEST_PACKAGES=(systemd dbus libgnutls30 libxml2 libconfuse2)

# ct_configure ROOT: the administrator's part, done from the host before
# the first boot: /etc/smtpd/smtpd.conf (the shipped units' listeners:
# smtp on 25 with STARTTLS, submission on 587, smtps on 465, lmtp on
# /run/smtpd/lmtp.sock), a users file, and a certificate whose key is
# readable by root only (the units hand it to the sessions with
# LoadCredential=; smtpd@ through the drop-in the README tells admins to add).
ct_configure() {
	local root=$1 tls=$1/etc/smtpd/tls
	mkdir -p "$tls"
	certtool --generate-privkey --key-type=ecdsa --outfile "$tls/ca.key" 2>/dev/null
	printf 'cn = "smtpd CI CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >"$tls/ca.tmpl"
	certtool --generate-self-signed --load-privkey "$tls/ca.key" --template "$tls/ca.tmpl" \
		--outfile "$tls/ca.pem" 2>/dev/null
	certtool --generate-privkey --key-type=ecdsa --outfile "$tls/privkey.pem" 2>/dev/null
	printf '%s\n' 'cn = "mx.example.org"' 'dns_name = "mx.example.org"' 'ip_address = "127.0.0.1"' \
		tls_www_server signing_key encryption_key 'expiration_days = 2' >"$tls/leaf.tmpl"
	certtool --generate-certificate --load-privkey "$tls/privkey.pem" --load-ca-certificate "$tls/ca.pem" \
		--load-ca-privkey "$tls/ca.key" --template "$tls/leaf.tmpl" --outfile "$tls/leaf.pem" 2>/dev/null
	cat "$tls/leaf.pem" "$tls/ca.pem" >"$tls/fullchain.pem"
	rm -f "$tls/ca.key" "$tls"/*.tmpl
	chown 0:0 "$tls/privkey.pem"
	chmod 0600 "$tls/privkey.pem"
	chmod 0644 "$tls/fullchain.pem" "$tls/ca.pem" "$tls/leaf.pem"

	# bob's password is "secret".
	echo 'bob@example.org:{PLAIN}secret' >"$root/etc/smtpd/users"
	echo 'postmaster@example.org: bob@example.org' >"$root/etc/smtpd/aliases"
	cat >"$root/etc/smtpd/smtpd.conf" <<-'EOF'
		# tests/systemd: the listeners of the shipped units.
		domains   = { "example.org" }
		users     = "/etc/smtpd/users"
		aliases   = "/etc/smtpd/aliases"
		mailboxes = "/var/mail/vhosts/%d/%n"
		spool     = "/var/spool/smtpd"

		smtpserver "smtp" {
		  bind = { "0.0.0.0:25", "[::]:25" }
		  tls { startTLS = true  certificates = "/etc/smtpd/tls/fullchain.pem"  privateKey = "privkey.pem" }
		  handler {
		    helloName = "mx.example.org"
		    authorizedAddresses = { "127.0.0.1" }
		  }
		}
		smtpserver "submission" {
		  bind = { "0.0.0.0:587" }
		  tls { startTLS = true  certificates = "/etc/smtpd/tls/fullchain.pem"  privateKey = "privkey.pem" }
		  handler {
		    helloName = "mx.example.org"
		    authRequired = true
		    authorizedAddresses = { }
		  }
		}
		smtpserver "smtps" {
		  bind = { "0.0.0.0:465" }
		  tls { socketTLS = true  certificates = "/etc/smtpd/tls/fullchain.pem"  privateKey = "privkey.pem" }
		  handler {
		    helloName = "mx.example.org"
		    authRequired = true
		    authorizedAddresses = { }
		  }
		}
		lmtpserver "lmtp" {
		  bind = { "/run/smtpd/lmtp.sock" }
		  handler { helloName = "mx.example.org" }
		}
	EOF
	# STARTTLS on port 25 with the root-only key: the README's step
	# ("systemctl edit smtpd@.service", LoadCredential= under [Service]);
	# the shipped smtpd@ loads no key, so a fresh install without one works.
	mkdir -p "$root/etc/systemd/system/smtpd@.service.d"
	printf '[Service]\nLoadCredential=privkey.pem:/etc/smtpd/tls/privkey.pem\n' \
		>"$root/etc/systemd/system/smtpd@.service.d/override.conf"
	# A home directory with a secret: confined sessions must not read it.
	mkdir -p "$root/home/alice"
	echo "alice's secret" >"$root/home/alice/secret"
	chmod 0644 "$root/home/alice/secret"
}
