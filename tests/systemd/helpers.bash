# helpers.bash: shared by tests/systemd/*.bats, which tests/systemd/run
# starts with the container booted ($NSPAWN_PID, $CT_ROOT).

bats_load_library bats-support
bats_load_library bats-assert

# shellcheck source=tests/lib/nspawn.sh
source "$SRC/tests/lib/nspawn.sh"

: "${NSPAWN_PID:?run through tests/systemd/run}"

# ct CMD...: run CMD in the container (its root, its systemd).
ct() {
	nspawn_run "$@"
}

# net CMD...: run a host program in the container's network namespace.
net() {
	nspawn_net "$@"
}

# A host path for a container path (its root file system is a directory
# here; /run and /tmp are its own tmpfs, reached through its PID 1).
ct_path() {
	echo "/proc/$NSPAWN_PID/root$1"
}

# maildir_count USER: messages in new/ of USER@example.org.
maildir_count() {
	local d=$CT_ROOT/var/mail/vhosts/example.org/$1/new
	if [ -d "$d" ]; then
		find "$d" -type f | wc -l
	else
		echo 0
	fi
}

# newest_mail USER: the newest message of USER@example.org.
newest_mail() {
	ls -t "$CT_ROOT/var/mail/vhosts/example.org/$1/new/"* | head -1
}

# swaks_ct ARGS...: swaks against the container's loopback, quiet unless
# it fails.
swaks_ct() {
	net swaks --server 127.0.0.1 --helo client.example.net --timeout 20 "$@"
}

# wait_no_sessions UNIT-PREFIX [SECONDS]: until no instance of PREFIX@ is
# loaded (sessions of earlier tests are over), at most SECONDS (60: a
# flood's last sessions may still be closing on a loaded machine).
wait_no_sessions() {
	local i
	for i in $(seq 1 $((${2:-60} * 10))); do
		[ -z "$(ct systemctl list-units --no-legend --plain "$1@*" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	ct systemctl list-units --no-legend --plain "$1@*" >&2
	return 1
}
