# shellcheck shell=bash disable=SC2046 # $(find ...) lists one cgroup.procs file per word
# nspawn.sh: boot a root file system with systemd-nspawn (its systemd as the
# container's PID 1), run commands in it, and tear everything down.  Sourced:
#
#   source tests/lib/nspawn.sh
#   nspawn_boot ROOT [NSPAWN-OPTION...]  boot ROOT, wait until its systemd
#                                        runs; sets NSPAWN_PID (the
#                                        container's PID 1, host pid)
#   nspawn_run CMD...           run CMD inside (all its namespaces, a clean
#                               environment)
#   nspawn_net CMD...           run a host CMD in the container's network
#                               namespace (clients: swaks, python3, ...)
#   nspawn_stop                 power off (killed after a grace time),
#                               remove the cgroup; safe to call twice
#
# The host has no systemd as PID 1, so nothing creates a cgroup per
# container: each boot gets its own cgroup ($NSPAWN_CG, under the cgroup v2
# hierarchy) and nspawn is started inside it.  nspawn --keep-unit puts the
# container in "payload/" below its own cgroup: without a cgroup per run,
# two runs would share (and kill) one payload/.  The state is also written
# to $NSPAWN_STATE (a file) so that a teardown in another process (bats'
# teardown_file) can find it: nspawn_stop_state FILE.
#
# The caller owns the trap: `trap nspawn_stop EXIT` (nspawn_boot sets it
# when none is set), so that a failing test never leaves a container.

# Kept when already set: a process started by the booting one (bats)
# sources this file again with the state in its environment.
NSPAWN_CG=${NSPAWN_CG:-}
NSPAWN_PID=${NSPAWN_PID:-}
NSPAWN_LEADER=${NSPAWN_LEADER:-}
NSPAWN_LOG=${NSPAWN_LOG:-}
NSPAWN_STATE=${NSPAWN_STATE:-}

# The cgroup v2 mount: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified
# (hybrid, as on this CI machine).
nspawn_cgroot() {
	if [ -e /sys/fs/cgroup/cgroup.procs ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo /sys/fs/cgroup
	elif [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then
		echo /sys/fs/cgroup/unified
	else
		echo "nspawn: no cgroup v2 hierarchy mounted" >&2
		return 1
	fi
}

# nspawn_boot ROOT [OPTION...]
nspawn_boot() {
	local root=$1 cgroot id i p
	shift
	cgroot=$(nspawn_cgroot) || return 1
	id=smtpd-ci-$$-$RANDOM
	NSPAWN_CG=$cgroot/$id
	NSPAWN_LOG=${NSPAWN_LOG_FILE:-$root.console}
	NSPAWN_STATE=${NSPAWN_STATE_FILE:-$root.state}
	mkdir "$NSPAWN_CG" || return 1
	[ -n "$(trap -p EXIT)" ] || trap nspawn_stop EXIT
	# The subshell moves itself into the run's cgroup, then becomes nspawn.
	# --register=no --keep-unit: no machined, no scope unit (no systemd
	# on the host).  --private-network: only a loopback of its own.
	# --console=passive: the console output goes to the log, no tty.
	# --system-call-filter: nspawn 252's own seccomp allow-list lacks the
	# Landlock calls (a session would find landlock=0 inside, unlike on a
	# host's systemd): allow them.
	( echo "$BASHPID" > "$NSPAWN_CG/cgroup.procs" &&
	  exec systemd-nspawn --quiet -b -D "$root" --register=no --keep-unit \
		--private-network --console=passive -M "$id" \
		--system-call-filter='landlock_create_ruleset landlock_add_rule landlock_restrict_self' "$@" \
		</dev/null >"$NSPAWN_LOG" 2>&1 ) &
	NSPAWN_LEADER=$!
	printf 'NSPAWN_CG=%q\nNSPAWN_LEADER=%q\nNSPAWN_LOG=%q\n' \
		"$NSPAWN_CG" "$NSPAWN_LEADER" "$NSPAWN_LOG" > "$NSPAWN_STATE"
	# The container's PID 1: the process in our cgroup tree whose pid in
	# its own namespace is 1.
	for i in $(seq 1 200); do
		for p in $(cat $(find "$NSPAWN_CG" -name cgroup.procs) 2>/dev/null); do
			if grep -Eq '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' /proc/"$p"/status 2>/dev/null; then
				NSPAWN_PID=$p
				break 2
			fi
		done
		if ! kill -0 "$NSPAWN_LEADER" 2>/dev/null; then
			echo "nspawn: systemd-nspawn exited; console:" >&2
			cat "$NSPAWN_LOG" >&2
			return 1
		fi
		sleep 0.05
	done
	if [ -z "$NSPAWN_PID" ]; then
		echo "nspawn: no container init after 10 s" >&2
		return 1
	fi
	echo "NSPAWN_PID=$NSPAWN_PID" >> "$NSPAWN_STATE"
	# Wait for its systemd: is-system-running --wait returns once the boot
	# is over ("running", or "degraded" when a unit failed: a test's
	# business, printed here).
	for i in $(seq 1 100); do
		if p=$(nspawn_run timeout 60 systemctl is-system-running --wait 2>/dev/null); then
			return 0
		fi
		case $p in
		degraded)
			echo "nspawn: container degraded:" >&2
			nspawn_run systemctl --failed --no-legend >&2
			return 0
			;;
		esac
		sleep 0.1
	done
	echo "nspawn: the container's systemd did not come up ($p); console:" >&2
	cat "$NSPAWN_LOG" >&2
	return 1
}

nspawn_run() {
	nsenter -t "$NSPAWN_PID" -a -- /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

nspawn_net() {
	nsenter -t "$NSPAWN_PID" -n -- "$@"
}

# nspawn_stop: power off, kill what is left, remove the cgroup.
nspawn_stop() {
	local i d p
	[ -n "$NSPAWN_CG" ] || return 0
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		# SIGRTMIN+4: systemd's "poweroff" signal, no D-Bus needed.
		kill -s RTMIN+4 "$NSPAWN_PID" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 "$NSPAWN_LEADER" 2>/dev/null || break
			sleep 0.1
		done
	fi
	if [ -d "$NSPAWN_CG" ]; then
		# cgroup.kill (Linux 5.14): every process of the tree at once.
		if ! echo 1 > "$NSPAWN_CG/cgroup.kill" 2>/dev/null; then
			for p in $(cat $(find "$NSPAWN_CG" -name cgroup.procs) 2>/dev/null); do
				kill -KILL "$p" 2>/dev/null || true
			done
		fi
		for i in $(seq 1 50); do
			[ -z "$(cat $(find "$NSPAWN_CG" -name cgroup.procs) 2>/dev/null)" ] && break
			sleep 0.1
		done
		# Depth first: a cgroup is removed after its children.
		find "$NSPAWN_CG" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	fi
	# On a hybrid host nspawn mirrors the tree in the named v1 hierarchy
	# (name=systemd) for the container's systemd: empty, remove it too.
	d=/sys/fs/cgroup/systemd/${NSPAWN_CG##*/}
	if [ "$NSPAWN_CG" != "$d" ] && [ -d "$d" ]; then
		for p in $(cat $(find "$d" -name cgroup.procs) 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		if [ -d "$d" ]; then
			echo "nspawn: could not remove $d" >&2
		fi
	fi
	if [ -n "$NSPAWN_LEADER" ]; then
		wait "$NSPAWN_LEADER" 2>/dev/null || true
	fi
	if [ -d "$NSPAWN_CG" ]; then
		echo "nspawn: could not remove $NSPAWN_CG" >&2
		return 1
	fi
	NSPAWN_CG=
	NSPAWN_PID=
	return 0
}

# nspawn_stop_state FILE: the same, from the state file of another process.
nspawn_stop_state() {
	[ -f "$1" ] || return 0
	# shellcheck disable=SC1090
	source "$1"
	nspawn_stop
}
