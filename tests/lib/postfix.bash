# postfix.bash: a private Postfix instance for end-to-end tests and
# benchmarks (needs root): its own config, queue and data directories
# under DIR, smtpd on 127.0.0.1:PORT; the system's Postfix is never
# touched.  Plain bash (bench/ sources it too).
#
#   postfix_instance_write DIR PORT [MAIN_CF_LINE...]
#       DIR/conf/main.cf (the common lines, then the given ones: the
#       transports, maps, ...) and DIR/conf/master.cf (smtpd, the queue
#       daemons, smtp, lmtp, virtual); maillog in DIR/maillog; checked
#       with `postfix check`.  Start with `postfix -c DIR/conf start`.
#   postfix_instance_stop DIR
#       stop (or abort) it and wait for its master to go.
#   postfix_wait DIR COMMAND...
#       until COMMAND succeeds (30 s at most; then the maillog's end).

postfix_instance_write() {
	local dir=$1 port=$2
	shift 2
	# the daemons run as postfix: the directory must be searchable
	chmod 755 "$dir"
	mkdir -p "$dir/conf" "$dir/queue" "$dir/data"
	chown postfix "$dir/data"
	{
		cat <<-EOF
			compatibility_level = 3.6
			queue_directory = $dir/queue
			data_directory = $dir/data
			mail_owner = postfix
			setgid_group = postdrop
			myhostname = postfix.test
			mydomain = postfix.test
			myorigin = postfix.test
			mydestination =
			inet_interfaces = 127.0.0.1
			inet_protocols = ipv4
			mynetworks = 127.0.0.0/8
			relay_domains =
			alias_maps =
			alias_database =
			maillog_file = $dir/maillog
			maillog_file_prefixes = $dir
		EOF
		printf '%s\n' "$@"
	} >"$dir/conf/main.cf"
	cat >"$dir/conf/master.cf" <<-EOF
		127.0.0.1:$port inet n - n - - smtpd
		pickup    unix  n - n 60 1 pickup
		cleanup   unix  n - n -  0 cleanup
		qmgr      unix  n - n 300 1 qmgr
		rewrite   unix  - - n -  - trivial-rewrite
		bounce    unix  - - n -  0 bounce
		defer     unix  - - n -  0 bounce
		trace     unix  - - n -  0 bounce
		verify    unix  - - n -  1 verify
		flush     unix  n - n 1000? 0 flush
		proxymap  unix  - - n -  - proxymap
		showq     unix  n - n -  - showq
		error     unix  - - n -  - error
		retry     unix  - - n -  - error
		discard   unix  - - n -  - discard
		smtp      unix  - - n -  - smtp
		relay     unix  - - n -  - smtp
		lmtp      unix  - - n -  - lmtp
		virtual   unix  - n n -  - virtual
		anvil     unix  - - n -  1 anvil
		scache    unix  - - n -  1 scache
		postlog   unix-dgram n - n - 1 postlogd
	EOF
	postfix -c "$dir/conf" check
}

postfix_instance_stop() {
	local dir=$1 i
	[ -d "$dir/conf" ] || return 0
	postfix -c "$dir/conf" stop >/dev/null 2>&1 || postfix -c "$dir/conf" abort >/dev/null 2>&1 || true
	for i in $(seq 100); do
		[ -s "$dir/queue/pid/master.pid" ] && kill -0 "$(tr -d ' ' <"$dir/queue/pid/master.pid")" 2>/dev/null || break
		sleep 0.1
	done
}

# postfix_wait DIR COMMAND...: until COMMAND succeeds, at most 30 s; on a
# timeout the end of the instance's maillog goes to stderr.
postfix_wait() {
	local dir=$1 i
	shift
	for i in $(seq 300); do
		"$@" && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $*" >&2
	tail -20 "$dir/maillog" >&2 || true
	return 1
}
