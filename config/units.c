/* units.c — see units.h.  Every setting written carries a comment saying
 * why it is there: the generated files are what an administrator reads. */
#include "units.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "maildir.h"
#include "proxy-accept.h"
#include "remote-delivery.h"

/* A hard cap on one session, as a multiple of the idle timeout: a client
 * that trickles a byte per timeout cannot hold a process forever. */
#define RUNTIME_FACTOR 10
#define RUNTIME_MIN 600
/* A session's memory bound (units/session@.service.in says the same). */
#define SESSION_MEMORY_MAX "64M"

bool launch_word_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9')
		    && !strchr("/._+:@,=-[]", *s))
			return false;
	return true;
}

static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 200)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9')
		    && !strchr("._-", *s))
			return false;
	return true;
}

static const char *kind(const struct listener *l)
{
	return l->proto == PROTO_LMTP ? "lmtpserver" : "smtpserver";
}

static const char *binary(const struct listener *l, const struct launch_opts *o)
{
	return l->proto == PROTO_LMTP ? o->lmtpd : o->smtpd;
}

static void mail_root(const struct config *cfg, char *out, size_t size)
{
	maildir_template_root(cfg->mailboxes, out, size);
}

int launch_check(const struct config *cfg, const struct listener *l, const struct launch_opts *o,
		 char *why, size_t whysize)
{
	char root[PATH_MAX];
	const struct {
		const char *what, *v;
	} words[] = {
		{ "the configuration path", o->config }, { "the binary path", binary(l, o) },
		{ "the user", o->user }, { "the group", o->group },
		{ "the mail store (mailboxes)", root }, { "spool", cfg->spool },
	};

	if (!name_ok(l->name)) {
		snprintf(why, whysize, "%s \"%s\": the name cannot name systemd units (use letters, digits, '.', '_', '-')",
			 kind(l), l->name);
		return -EINVAL;
	}
	mail_root(cfg, root, sizeof(root));
	if (strcmp(root, "/") == 0) {
		snprintf(why, whysize, "mailboxes '%s' has no fixed leading directory: "
			 "the unit could not keep the rest of the system read-only", cfg->mailboxes);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!launch_word_ok(words[i].v)) {
			snprintf(why, whysize, "%s '%s' has characters a unit file would need to quote",
				 words[i].what, words[i].v ? words[i].v : "");
			return -EINVAL;
		}
	if ((l->tls.socket_tls || l->tls.start_tls) && l->tls.ticket_key && !launch_word_ok(l->tls.ticket_key)) {
		snprintf(why, whysize, "%s \"%s\": ticketKey '%s' has characters a unit file would need to quote",
			 kind(l), l->name, l->tls.ticket_key);
		return -EINVAL;
	}
	if ((l->tls.socket_tls || l->tls.start_tls) && !launch_word_ok(l->tls.private_key)) {
		snprintf(why, whysize, "%s \"%s\": privateKey '%s' has characters a unit file would need to quote",
			 kind(l), l->name, l->tls.private_key ? l->tls.private_key : "");
		return -EINVAL;
	}
	for (size_t i = 0; i < l->nbind; i++)
		if (!launch_word_ok(l->bind[i])) {
			snprintf(why, whysize, "%s \"%s\": bind '%s' has characters a unit file would need to quote",
				 kind(l), l->name, l->bind[i]);
			return -EINVAL;
		}
	return 0;
}

static bool tls_on(const struct listener *l)
{
	return l->tls.socket_tls || l->tls.start_tls;
}

/* A proxyTrusted entry as systemd and xinetd write it: ADDRESS/PREFIX
 * with the host bits cleared. */
static void trusted_entry(const struct netrange *r, char *buf, size_t size)
{
	struct netaddr net = r->net;
	unsigned bits = net.family == AF_INET ? 32 : 128, p = r->prefix < bits ? r->prefix : bits;
	char text[64];

	for (unsigned i = p; i < bits; i++)
		net.addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	netaddr_format(&net, text, sizeof(text));
	snprintf(buf, size, "%s/%u", text, p);
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The TLS ticketKey is written by the sessions (created, rotated daily):
 * its directory must be theirs.  Under /var/lib, StateDirectory= makes it
 * (owned by the service user) before every session. */
static void write_ticket_dir(const struct listener *l, const struct launch_opts *o, FILE *out)
{
	static const char varlib[] = "/var/lib/";
	const char *k = l->tls.ticket_key, *slash;

	if (!tls_on(l) || !k || !*k)
		return;
	slash = strrchr(k, '/');
	if (strncmp(k, varlib, sizeof(varlib) - 1) == 0 && slash > k + sizeof(varlib) - 1)
		fprintf(out,
			"# ticketKey = \"%s\": systemd makes its directory, owned by the\n"
			"# service user, so that every session shares the key (resumption).\n"
			"StateDirectory=%.*s\n",
			k, (int)(slash - k - (sizeof(varlib) - 1)), k + sizeof(varlib) - 1);
	else
		fprintf(out,
			"# ticketKey = \"%s\": its directory must exist and be writable by\n"
			"# user %s (every session shares the key; no ReadWritePaths=, which\n"
			"# would build a mount namespace per connection).\n",
			k, o->user);
}

void units_write_socket(const struct config *cfg, const struct listener *l, const struct launch_opts *o, FILE *out)
{
	bool v6 = false, unix_path = false;
	const struct proxy_settings *ps;

	for (size_t i = 0; i < l->nbind; i++) {
		v6 |= l->bind[i][0] == '[';
		unix_path |= l->bind[i][0] == '/';
	}
	fprintf(out,
		"# %s.socket: generated by smtpd-config units from %s (%s \"%s\").\n"
		"# Enable with: systemctl enable --now %s.socket\n"
		"\n[Unit]\n"
		"Description=%s listener %s (one %s per connection)\n"
		"Documentation=man:smtpd-config(8) man:%s(8)\n"
		"\n[Socket]\n"
		"# bind: one ListenStream= per entry.\n",
		l->name, cfg->file, kind(l), l->name, l->name,
		l->proto == PROTO_LMTP ? "LMTP" : "SMTP", l->name,
		basename_of(binary(l, o)), basename_of(binary(l, o)));
	for (size_t i = 0; i < l->nbind; i++)
		fprintf(out, "ListenStream=%s\n", l->bind[i]);
	if (v6)
		fprintf(out,
			"# An IPv6 entry takes IPv6 only, so that it and an IPv4 entry on the\n"
			"# same port can both bind (a dual-stack socket would collide).\n"
			"BindIPv6Only=ipv6-only\n");
	if (unix_path)
		fprintf(out,
			"# The UNIX socket: only the service group may connect; add the\n"
			"# delivering MTA's user to group %s.\n"
			"SocketMode=0660\n"
			"SocketGroup=%s\n", o->group, o->group);
	fprintf(out,
		"# Accept=yes: systemd accepts each connection and starts one\n"
		"# %s@.service with it on stdin/stdout; no daemon runs between sessions.\n"
		"Accept=yes\n", l->name);
	if (l->backlog > 0)
		fprintf(out,
			"# connectBacklog = %ld: connections the kernel queues before accept.\n"
			"Backlog=%ld\n", l->backlog, l->backlog);
	if (l->conn_limit > 0)
		fprintf(out,
			"# connectionLimit = %ld: sessions at once; more are closed at once.\n"
			"MaxConnections=%ld\n", l->conn_limit, l->conn_limit);
	else
		fprintf(out, "# connectionLimit = 0: no limit of ours; systemd's default MaxConnections=64 applies.\n");
	if (l->conn_limit_per_ip > 0)
		fprintf(out,
			"# connectionLimitPerIP = %ld: sessions at once from one client address.\n"
			"MaxConnectionsPerSource=%ld\n", l->conn_limit_per_ip, l->conn_limit_per_ip);
	ps = proxy_listener(l);
	if (ps && ps->trusted.n > 0) {
		fprintf(out,
			"# proxyRequired with proxyTrusted: only the load balancers may connect\n"
			"# (smtpd would close any other connection without a reply anyway).\n"
			"IPAddressAllow=");
		for (size_t i = 0; i < ps->trusted.n; i++) {
			char e[80];

			trusted_entry(&ps->trusted.v[i], e, sizeof(e));
			fprintf(out, "%s%s", i ? " " : "", e);
		}
		fprintf(out, "\nIPAddressDeny=any\n");
	}
	fprintf(out,
		"# Flood-proof: past systemd's trigger limit (for Accept=yes 200 starts\n"
		"# in 2 s) the socket fails (Result: trigger-limit-hit) and refuses every\n"
		"# connection until restarted by hand.  0 turns the limit off; the bound\n"
		"# is MaxConnections= and MaxConnectionsPerSource=, past which\n"
		"# connections are closed at once.\n"
		"TriggerLimitIntervalSec=0\n");
	fprintf(out, "\n[Install]\nWantedBy=sockets.target\n");
}

/* The environment variables the configuration file expands (${NAME} or
 * ${NAME:-default}, smtpd.conf(5)), for EnvironmentFile=: every session
 * reads the file, so every session needs them. */
static void write_environment(const char *file, FILE *out)
{
	FILE *f = fopen(file, "re");
	char line[4096];
	char names[1024] = "";
	size_t len = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (const char *p = strstr(line, "${"); p; p = strstr(p + 2, "${")) {
			size_t n = strspn(p + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
			char name[256];

			if (n == 0 || n >= sizeof(name))
				continue;
			snprintf(name, sizeof(name), " %.*s", (int)n, p + 2);
			if (strstr(names, name) && (strstr(names, name)[strlen(name)] == ' ' ||
						     strstr(names, name)[strlen(name)] == '\0'))
				continue;
			if (len + strlen(name) < sizeof(names)) {
				memcpy(names + len, name, strlen(name) + 1);
				len += strlen(name);
			}
		}
	}
	fclose(f);
	if (len == 0)
		return;
	fprintf(out,
		"# The configuration reads the environment variables%s:\n"
		"# one NAME=value a line in this file.\n"
		"EnvironmentFile=-%s/smtpd/environment\n", names, SYSCONFDIR);
}

void units_write_service(const struct config *cfg, const struct listener *l, const struct launch_opts *o, FILE *out)
{
	char root[PATH_MAX];
	long cap = l->timeout * RUNTIME_FACTOR;

	mail_root(cfg, root, sizeof(root));
	if (cap < RUNTIME_MIN)
		cap = RUNTIME_MIN;
	fprintf(out,
		"# %s@.service: generated by smtpd-config units from %s (%s \"%s\").\n"
		"# One instance per connection accepted by %s.socket.\n"
		"\n[Unit]\n"
		"Description=%s session on listener %s\n"
		"Documentation=man:%s(8) man:smtpd-config(8)\n"
		"# Finished and failed sessions leave no unit behind.\n"
		"CollectMode=inactive-or-failed\n"
		"\n[Service]\n"
		"# One session: the accepted connection is stdin and stdout.\n"
		"ExecStart=%s -c %s -s %s\n"
		"StandardInput=socket\n"
		"StandardOutput=socket\n"
		"# Logs go to the journal (found through $JOURNAL_STREAM), never to the client.\n"
		"StandardError=journal\n"
		"# A dedicated user: a broken session can reach only what mail delivery needs.\n"
		"User=%s\n"
		"Group=%s\n"
		"# What confines the session: %s itself, once its configuration is\n"
		"# loaded (no_new_privs, no capabilities, Landlock: writes only the mail\n"
		"# store \"%s\" and the spool %s; a seccomp allow-list).  Only options that\n"
		"# build no mount namespace are kept here: ProtectSystem=, ProtectHome=,\n"
		"# PrivateTmp=, PrivateDevices=, ProtectKernel*= cost tens of ms of CPU\n"
		"# per connection (bench/RESULTS.md), and SystemCallFilter= would kill\n"
		"# the session's own Landlock calls.\n"
		"NoNewPrivileges=yes\n"
		"# No capabilities at all: ports are bound by systemd, not by us.\n"
		"CapabilityBoundingSet=\n"
		"# Not here, on purpose: RestrictAddressFamilies=, RestrictNamespaces=,\n"
		"# RestrictRealtime=, RestrictSUIDSGID=, LockPersonality=,\n"
		"# SystemCallArchitectures=, MemoryDenyWriteExecute=.  systemd compiles a\n"
		"# seccomp filter for each in every forked session (about 13 ms of CPU\n"
		"# per connection together, bench/RESULTS.md); the session's own filter\n"
		"# does the same work (socket families UNIX/IPv4/IPv6 only, no set-ID\n"
		"# files, no W+X memory, no namespaces, realtime or personality(), native\n"
		"# system calls only).\n",
		l->name, cfg->file, kind(l), l->name, l->name,
		l->proto == PROTO_LMTP ? "LMTP" : "SMTP", l->name, basename_of(binary(l, o)),
		binary(l, o), o->config, l->name, o->user, o->group,
		basename_of(binary(l, o)), root, cfg->spool);
	if (tls_on(l) && l->tls.private_key)
		fprintf(out,
			"# The TLS key stays readable by root only: systemd hands this session a\n"
			"# copy in $CREDENTIALS_DIRECTORY/%s.\n"
			"LoadCredential=%s:%s\n",
			basename_of(l->tls.private_key), basename_of(l->tls.private_key), l->tls.private_key);
	write_environment(cfg->file, out);
	write_ticket_dir(l, o, out);
	fprintf(out,
		"# A session needs a few MiB (more with TLS, and while yescrypt checks a\n"
		"# password): a runaway one is stopped here, not by the OOM killer.\n"
		"MemoryMax=%s\n", SESSION_MEMORY_MAX);
	fprintf(out,
		"# A hard cap on one session (%d x connectionTimeout of %ld s): a client\n"
		"# sending a byte per timeout cannot hold a process for ever.\n"
		"RuntimeMaxSec=%ld\n", RUNTIME_FACTOR, l->timeout, cap);
}

int xinetd_write(const struct config *cfg, const struct listener *l, const struct launch_opts *o, FILE *out, FILE *err)
{
	const struct proxy_settings *ps = proxy_listener(l);
	int n = 0;

	for (size_t i = 0; i < l->nbind; i++) {
		const char *b = l->bind[i];
		const char *colon = strrchr(b, ':');
		bool v6 = b[0] == '[';
		int addrlen;
		const char *addr;

		if (b[0] == '/') {
			fprintf(err, "%s: warning: %s \"%s\": xinetd cannot listen on the UNIX socket %s; skipped\n",
				cfg->file, kind(l), l->name, b);
			continue;
		}
		addr = v6 ? b + 1 : b;
		addrlen = (int)(colon - addr) - (v6 ? 1 : 0);
		fprintf(out,
			"# %s \"%s\", bind %s: generated by smtpd-config xinetd from %s.\n"
			"service %s\n{\n"
			"\t# one id per bind entry: xinetd listens on one address per service\n"
			"\tid\t\t= %s-%zu\n"
			"\t# not in /etc/services: the port is given here\n"
			"\ttype\t\t= UNLISTED\n"
			"\tsocket_type\t= stream\n"
			"\tprotocol\t= tcp\n"
			"\t# wait = no: one %s per connection, as systemd's Accept=yes\n"
			"\twait\t\t= no\n"
			"\tport\t\t= %s\n"
			"\tbind\t\t= %.*s\n",
			kind(l), l->name, b, cfg->file, l->name, l->name, i + 1,
			basename_of(binary(l, o)), colon + 1, addrlen, addr);
		if (v6)
			fprintf(out, "\tflags\t\t= IPv6\n");
		fprintf(out,
			"\t# connectionLimit (per bind entry here) and connectionLimitPerIP\n"
			"\tinstances\t= ");
		if (l->conn_limit > 0)
			fprintf(out, "%ld\n", l->conn_limit);
		else
			fprintf(out, "UNLIMITED\n");
		fprintf(out, "\tper_source\t= ");
		if (l->conn_limit_per_ip > 0)
			fprintf(out, "%ld\n", l->conn_limit_per_ip);
		else
			fprintf(out, "UNLIMITED\n");
		if (ps && ps->trusted.n > 0) {
			fprintf(out, "\t# proxyRequired with proxyTrusted: only the load balancers\n"
				"\tonly_from\t=");
			for (size_t k = 0; k < ps->trusted.n; k++) {
				char e[80];

				trusted_entry(&ps->trusted.v[k], e, sizeof(e));
				fprintf(out, " %s", e);
			}
			fprintf(out, "\n");
		}
		fprintf(out,
			"\tserver\t\t= %s\n"
			"\tserver_args\t= -c %s -s %s\n"
			"\tuser\t\t= %s\n"
			"\tgroup\t\t= %s\n"
			"\t# %s logs to syslog itself; xinetd adds who connected and how it ended\n"
			"\tlog_type\t= SYSLOG mail info\n"
			"\tlog_on_success\t= PID HOST DURATION EXIT\n"
			"\tlog_on_failure\t= HOST ATTEMPT\n"
			"\tdisable\t\t= no\n"
			"}\n\n",
			binary(l, o), o->config, l->name, o->user, o->group, basename_of(binary(l, o)));
		n++;
	}
	return n;
}

/* ---- smtpd-relay: the outgoing spool ---------------------------------- */

/* The password file as systemd reads it (as root, before the service
 * starts): a relative name is beside the configuration. */
static void password_source(const char *name, const struct launch_opts *o, char *out, size_t size)
{
	const char *slash = strrchr(o->config, '/');

	if (name[0] == '/')
		snprintf(out, size, "%s", name);
	else
		snprintf(out, size, "%.*s/%s", slash ? (int)(slash - o->config) : 1, slash ? o->config : ".", name);
}

static void units_write_relay_service(const struct config *cfg, const struct relay_settings *rs,
				      const struct launch_opts *o, const char *relay, FILE *out)
{
	char root[PATH_MAX], pw[PATH_MAX];

	mail_root(cfg, root, sizeof(root));
	fprintf(out,
		"# smtpd-relay.service: generated by smtpd-config units from %s\n"
		"# (remoteDelivery).  One run of the outgoing-mail agent: deliver what is\n"
		"# due, then exit.  smtpd-relay.path and smtpd-relay.timer start it.\n"
		"\n[Unit]\n"
		"Description=Deliver outgoing mail (smtpd-relay)\n"
		"Documentation=man:smtpd-relay(8) man:smtpd-config(8)\n"
		"After=network-online.target\n"
		"Wants=network-online.target\n"
		"\n[Service]\n"
		"# No daemon: the spool is the state; a run exits when nothing is due.\n"
		"Type=oneshot\n"
		"ExecStart=%s -c %s\n"
		"# The spool's owner (smtpd writes it); notices go through smtpd too.\n"
		"User=%s\n"
		"Group=%s\n",
		cfg->file, relay, o->config, o->user, o->group);
	if (rs->gateway_password_name) {
		password_source(rs->gateway_password_name, o, pw, sizeof(pw));
		fprintf(out,
			"# gatewayPasswordFile: the file stays readable by root only; systemd\n"
			"# hands this run a copy in $CREDENTIALS_DIRECTORY/%s, which\n"
			"# smtpd-relay reads first.\n"
			"LoadCredential=%s:%s\n",
			basename_of(pw), basename_of(pw), pw);
	}
	write_environment(cfg->file, out);
	fprintf(out,
		"# A run with a long queue and slow peers ends here; the journal keeps\n"
		"# what was done, the next run goes on.\n"
		"TimeoutStartSec=30min\n"
		"# Writes: the spool %s (the queue, its journals, notices for\n"
		"# remote senders) and the mail store \"%s\" (notices for local\n"
		"# senders); the rest of the system is read-only.  A run is not per\n"
		"# connection: the mount namespace costs once a run.\n"
		"ReadWritePaths=%s %s\n"
		"ProtectSystem=strict\n"
		"ProtectHome=read-only\n"
		"PrivateTmp=yes\n"
		"PrivateDevices=yes\n"
		"NoNewPrivileges=yes\n"
		"# Port 25 and the smarthost are outgoing: no capability is needed.\n"
		"CapabilityBoundingSet=\n"
		"ProtectKernelTunables=yes\n"
		"ProtectKernelModules=yes\n"
		"ProtectKernelLogs=yes\n"
		"ProtectControlGroups=yes\n"
		"ProtectClock=yes\n"
		"ProtectHostname=yes\n"
		"# IPv4/IPv6 for SMTP and DNS, UNIX for the journal.\n"
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"
		"RestrictNamespaces=yes\n"
		"RestrictRealtime=yes\n"
		"RestrictSUIDSGID=yes\n"
		"LockPersonality=yes\n"
		"MemoryDenyWriteExecute=yes\n"
		"SystemCallArchitectures=native\n"
		"# smtpd (run for notices) sets up Landlock and seccomp itself: allowed\n"
		"# by @system-service.\n"
		"SystemCallFilter=@system-service\n"
		"SystemCallFilter=~@privileged @resources\n"
		"UMask=0077\n",
		cfg->spool, root, cfg->spool, root);
}

static void units_write_relay_path(const struct config *cfg, FILE *out)
{
	fprintf(out,
		"# smtpd-relay.path: generated by smtpd-config units from %s.\n"
		"# smtpd spools a relayed message: deliver it at once.\n"
		"# Enable with: systemctl enable --now smtpd-relay.path smtpd-relay.timer\n"
		"\n[Unit]\n"
		"Description=Deliver outgoing mail as soon as it is queued\n"
		"Documentation=man:smtpd-relay(8)\n"
		"\n[Path]\n"
		"# smtpd-relay moves every file out of new/ on its first run: the\n"
		"# directory is empty again after each start.\n"
		"DirectoryNotEmpty=%s/outgoing/new\n"
		"Unit=smtpd-relay.service\n"
		"\n[Install]\n"
		"WantedBy=paths.target\n",
		cfg->file, cfg->spool);
}

static void units_write_relay_timer(const struct config *cfg, FILE *out)
{
	fprintf(out,
		"# smtpd-relay.timer: generated by smtpd-config units from %s.\n"
		"# Deferred mail: each message's next try is its file's mtime, and a\n"
		"# run sends only what is due; this wakes it every minute.\n"
		"\n[Unit]\n"
		"Description=Retry deferred outgoing mail every minute\n"
		"Documentation=man:smtpd-relay(8)\n"
		"\n[Timer]\n"
		"OnCalendar=minutely\n"
		"AccuracySec=10s\n"
		"Unit=smtpd-relay.service\n"
		"\n[Install]\n"
		"WantedBy=timers.target\n",
		cfg->file);
}

/* smtpd-relay is installed beside smtpd, as it finds smtpd beside itself. */
static void relay_binary(const struct launch_opts *o, char *out, size_t size)
{
	const char *slash = strrchr(o->smtpd, '/');

	snprintf(out, size, "%.*ssmtpd-relay", slash ? (int)(slash - o->smtpd + 1) : 0, o->smtpd);
}

int units_relay_check(const struct config *cfg, const struct launch_opts *o, FILE *err)
{
	const struct relay_settings *rs = relay_settings(cfg);
	char relay[PATH_MAX], root[PATH_MAX], pw[PATH_MAX];

	if (!rs->configured)
		return 0;
	if (!cfg->spool || !*cfg->spool) {
		fprintf(err, "%s: remoteDelivery needs a spool: no smtpd-relay units written\n", cfg->file);
		return -EINVAL;
	}
	relay_binary(o, relay, sizeof(relay));
	mail_root(cfg, root, sizeof(root));
	if (strcmp(root, "/") == 0) {
		fprintf(err, "%s: mailboxes '%s' has no fixed leading directory: smtpd-relay.service "
			"could not keep the rest of the system read-only\n", cfg->file, cfg->mailboxes);
		return -EINVAL;
	}
	pw[0] = '\0';
	if (rs->gateway_password_name)
		password_source(rs->gateway_password_name, o, pw, sizeof(pw));
	{
		const struct {
			const char *what, *v;
		} words[] = {
			{ "the smtpd-relay path", relay }, { "spool", cfg->spool },
			{ "the mail store (mailboxes)", root },
			{ "gatewayPasswordFile", rs->gateway_password_name ? pw : "-" },
		};

		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (!launch_word_ok(words[i].v)) {
				fprintf(err, "%s: %s '%s' has characters a unit file would need to quote\n",
					cfg->file, words[i].what, words[i].v);
				return -EINVAL;
			}
	}
	return 1;
}

void units_write_relay(const struct config *cfg, const struct launch_opts *o, const char *suffix, FILE *out)
{
	char relay[PATH_MAX];

	if (strcmp(suffix, ".service") == 0) {
		relay_binary(o, relay, sizeof(relay));
		units_write_relay_service(cfg, relay_settings(cfg), o, relay, out);
	} else if (strcmp(suffix, ".path") == 0) {
		units_write_relay_path(cfg, out);
	} else {
		units_write_relay_timer(cfg, out);
	}
}
