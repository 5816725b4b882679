#!/usr/bin/env bash
# rootfs.sh: a Debian 12 root file system for container tests, built once by
# mmdebstrap (variant minbase plus the packages the caller names) and cached
# as a tarball, so that a warm run only unpacks it (seconds) and a cold run
# builds it (a few minutes, from deb.debian.org).
#
#   bash tests/lib/rootfs.sh DIR [PACKAGE...]    unpack into DIR (created)
#   bash tests/lib/rootfs.sh --tarball [PACKAGE...]  print the cached tarball
#
# or, sourced: rootfs_tarball PACKAGE...  /  rootfs_unpack DIR PACKAGE...
#
# The cache lives in $SMTPD_CI_CACHE (default /var/cache/smtpd-ci: outside
# the clone, so it survives a clean checkout).  A tarball is keyed by a hash
# of the sorted package list, the suite, the mirrors and this script: editing
# any of them builds a new one; nothing stale is ever reused.  Two runs that
# need the same tarball at once build it once (flock); a tarball appears
# under its final name only when complete (written aside, then renamed).
#
# Needs root (mmdebstrap --mode=root, tar with owners), mmdebstrap.

ROOTFS_SUITE=bookworm
ROOTFS_MIRRORS=(
	"deb http://deb.debian.org/debian bookworm main"
	"deb http://deb.debian.org/debian bookworm-updates main"
	"deb http://deb.debian.org/debian-security bookworm-security main"
)
ROOTFS_CACHE=${SMTPD_CI_CACHE:-/var/cache/smtpd-ci}
ROOTFS_SCRIPT=${BASH_SOURCE[0]}

# The sorted, de-duplicated package list, one line.
rootfs_packages() {
	printf '%s\n' "$@" | sed '/^$/d' | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'
}

# Cache key: what decides the tarball's content.
rootfs_key() {
	{
		echo "suite $ROOTFS_SUITE"
		printf 'mirror %s\n' "${ROOTFS_MIRRORS[@]}"
		echo "packages $(rootfs_packages "$@")"
		cat "$ROOTFS_SCRIPT"
	} | sha256sum | cut -c1-16
}

# Print the path of the tarball for these packages, building it if needed.
rootfs_tarball() {
	local key tar tmp pkgs rc
	key=$(rootfs_key "$@")
	tar=$ROOTFS_CACHE/debian12-$key.tar
	mkdir -p "$ROOTFS_CACHE"
	(
		flock 9
		[ -s "$tar" ] && exit 0
		pkgs=$(rootfs_packages "$@" | tr ' ' ',')
		tmp=$tar.tmp.$$
		echo "rootfs: building $tar (cold cache): minbase + ${pkgs:-nothing}" >&2
		# --mode=root: we are root, no user namespaces needed.
		# --aptopt: no recommends, as .ci/deps.sh; list what a test needs.
		# --customize-hook: an empty machine-id (systemd makes one at
		# boot) and no apt lists (smaller tarball, nothing reads them).
		if nice mmdebstrap --quiet --mode=root --variant=minbase --format=tar \
			--aptopt='APT::Install-Recommends "false"' \
			${pkgs:+--include="$pkgs"} \
			--customize-hook='rm -f "$1"/etc/machine-id; : > "$1"/etc/machine-id' \
			--customize-hook='rm -rf "$1"/var/lib/apt/lists/*' \
			"$ROOTFS_SUITE" "$tmp" "${ROOTFS_MIRRORS[@]}" >&2; then
			mv "$tmp" "$tar"
		else
			rc=$?
			rm -f "$tmp"
			echo "rootfs: mmdebstrap failed ($rc)" >&2
			exit 1
		fi
	) 9>"$ROOTFS_CACHE/.lock-$key" || return 1
	echo "$tar"
}

# Unpack the tarball for these packages into DIR (created; must be empty).
rootfs_unpack() {
	local dir=$1 tar
	shift
	tar=$(rootfs_tarball "$@") || return 1
	mkdir -p "$dir"
	tar -C "$dir" --numeric-owner -xpf "$tar"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	if [ $# -lt 1 ]; then
		echo "usage: $0 DIR|--tarball [PACKAGE...]" >&2
		exit 2
	fi
	if [ "$1" = --tarball ]; then
		shift
		rootfs_tarball "$@"
	else
		rootfs_unpack "$@"
	fi
fi
