#!/usr/bin/env bash
# Install what building and testing smtpd needs, from Debian 12's packages.
# Idempotent; safe to run on a fresh machine or an old one.
set -euo pipefail

packages=(
	# build
	meson ninja-build pkg-config gcc libc6-dev
	libconfuse-dev libgnutls28-dev libsystemd-dev libcrypt-dev libxml2-dev
	# tests
	bats bats-support bats-assert netcat-openbsd python3 swaks gnutls-bin
	openssl systemd procps coreutils findutils groff-base xinetd fail2ban
	# Installed with --no-install-recommends, so what a test tool only
	# Recommends must be listed here.  swaks --tls/--tls-on-connect
	# needs Net::SSLeay ("*** TLS not available" otherwise).  The other
	# Recommends of the test tools are not used by any test: swaks'
	# IO::Socket::INET6 (no swaks over IPv6) and Net::DNS (no MX
	# lookups), bats' parallel (no --jobs), fail2ban's python3-systemd
	# (fail2ban-regex reads a file), xinetd's rsyslog/update-inetd.
	libnet-ssleay-perl
	# tests/lmtp: Postfix as an LMTP client (a private instance per test
	# run; the system's Postfix stays unconfigured and stopped)
	postfix util-linux
	# tests/relay: the scripted receiving server (smtpd-relay's peer)
	python3-aiosmtpd
	# tests/hardening: peak RSS (/usr/bin/time)
	time
	# tests/systemd, bench/systemd-cpu: a Debian 12 rootfs (mmdebstrap)
	# booted with systemd-nspawn (systemd-container); nsenter is util-linux
	mmdebstrap systemd-container
	# tests/lib/fakedns.py: a scripted DNS server (DNS handlers, relay);
	# dig to look at it by hand
	python3-dnslib bind9-dnsutils
	# tests/scale: network namespaces, HAProxy in front, Dovecot's LMTP
	# behind (private instances; the system services are kept off, below)
	iproute2 haproxy dovecot-core dovecot-lmtpd
	# tests/milter: real filters as private instances (rspamd, OpenDKIM
	# and its key generator, OpenDMARC with the public suffix list) and
	# unbound for their DNS zone, inside a network namespace (ip, ss)
	rspamd opendkim opendkim-tools opendmarc publicsuffix unbound
	# .ci/run: tests/lint/shellcheck.sh
	shellcheck
	# tests/security: a private Dovecot reads what smtpd stored (doveadm);
	# testssl.sh checks the TLS defaults
	dovecot-core testssl.sh
	# tests/fuzz: libFuzzer comes with clang's runtime (libclang-rt-14-dev);
	# llvm gives llvm-symbolizer for readable sanitizer reports
	clang libclang-rt-14-dev llvm
)

# --deb: what tests/fresh/build-deb needs on top (debian/control's
# Build-Depends are the build packages above, debhelper provides the
# dh-sequence-installsysusers add-on).
if [ "${1:-}" = --deb ]; then
	packages+=(debhelper dpkg-dev lintian)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# No main.cf, so the package neither configures nor starts a system Postfix.
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
# OpenDMARC: no database for its reports.
echo "opendmarc opendmarc/dbconfig-install boolean false" | $sudo debconf-set-selections
$sudo apt-get update -qq
# Dovecot and HAProxy run only as the private instances of tests/scale,
# rspamd, OpenDKIM, OpenDMARC and unbound only as those of tests/milter:
# their packages must not start the system services (which would listen on
# 143/110 or run a stray haproxy).  A policy-rc.d that says no while they
# install (invoke-rc.d and deb-systemd-invoke obey it), then disabled for
# the next boot too.
policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# .ci/deps.sh: no service starts while packages install\nexit 101\n' |
		$sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
	trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ -d /run/systemd/system ]; then
	for u in dovecot.service dovecot.socket haproxy.service rspamd.service opendkim.service \
		opendmarc.service unbound.service unbound-resolvconf.service; do
		$sudo systemctl disable --now "$u" >/dev/null 2>&1 || true
	done
fi
