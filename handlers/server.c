/* server.c — see server.h. */
#include "server.h"

#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "diag.h"
#include "log.h"
#include "maildir.h"
#include "proxy-accept.h"
#include "sandbox.h"
#include "session.h"
#include "tls.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef PROJECT_VERSION
#define PROJECT_VERSION "0"
#endif

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [-c FILE] [-s NAME] [--check [--user=USER]] [--log=TARGET]\n"
		"Serve one %s session on stdin/stdout (started by systemd or xinetd).\n\n"
		"  -c, --config=FILE   configuration (default %s/smtpd/smtpd.conf)\n"
		"  -s, --server=NAME   the %s block to use (default: the only enabled one)\n"
		"      --check         validate the configuration and exit\n"
		"      --user=USER     with --check, as root: also report every file a\n"
		"                      session running as USER could not read or write\n"
		"      --log=TARGET    auto (journal or syslog), syslog, journal, stderr\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n",
		prog, strcmp(prog, "lmtpd") ? "SMTP" : "LMTP", SYSCONFDIR,
		strcmp(prog, "lmtpd") ? "smtpserver" : "lmtpserver");
}

/* A launched process that cannot serve says so to the client (S2). */
static int refuse(enum reply_id id, const char *why)
{
	const struct reply *r = reply_get(id);
	char buf[256];
	int n;

	log_msg(LOG_ERR, "%s", why);
	n = snprintf(buf, sizeof(buf), "%d %s %s\r\n", r->code, r->enh, r->text);
	if (write(1, buf, (size_t)n) < 0) {
		/* nothing more to do: the client is gone */
	}
	return EXIT_CONFIG;
}

int server_main(int argc, char **argv, enum listener_proto proto)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "server", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "log", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = proto == PROTO_LMTP ? "lmtpd" : "smtpd";
	const char *file = SYSCONFDIR "/smtpd/smtpd.conf", *name = NULL, *user = NULL;
	enum log_target target = LOG_TARGET_AUTO;
	struct diag_count dc = { 0 };
	bool check = false;
	struct config *cfg;
	const struct listener *lst;
	char why[512], host[256];
	struct conn conn;
	struct session s;
	const struct proxy_settings *ps;
	struct proxy_conn pc = { 0 };
	bool proxy_in_tls;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:s:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': file = optarg; break;
		case 's': name = optarg; break;
		case 'k': check = true; break;
		case 'u': user = optarg; break;
		case 'l':
			if (log_target_parse(optarg, &target) < 0) {
				fprintf(stderr, "%s: --log: unknown target '%s'\n", prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'V': printf("%s %s\n", prog, PROJECT_VERSION); return 0;
		case 'h': usage(stdout, prog); return 0;
		default: usage(stderr, prog); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr, prog);
		return EXIT_USAGE;
	}
	if (user && !check) {
		fprintf(stderr, "%s: --user goes with --check\n", prog);
		return EXIT_USAGE;
	}
	if (check) {
		dc.to_stderr = true;
		config_check_deep(true);
		if (config_check_user(user, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			return EXIT_USAGE;
		}
		rc = config_load(file, true, diag_sink, &dc, &cfg);
		config_check_user(NULL, why, sizeof(why));
		if (rc == 0 && name && !config_listener(cfg, proto, name, why, sizeof(why))) {
			fprintf(stderr, "%s: %s\n", file, why);
			rc = -1;
		}
		config_free(cfg);
		if (rc == 0)
			fprintf(stderr, "%s: OK (%u warning%s)\n", file, dc.warnings, dc.warnings == 1 ? "" : "s");
		return rc == 0 ? 0 : EXIT_CONFIG;
	}

	signal(SIGPIPE, SIG_IGN);
	log_open(prog, target);
	/* another listener's unreadable key must not stop this one */
	config_scope(proto, name);
	if (config_load(file, true, diag_sink, &dc, &cfg) < 0)
		return refuse(RP_CONFIG_ERROR, "cannot load configuration, refusing connection");
	lst = config_listener(cfg, proto, name, why, sizeof(why));
	if (!lst) {
		rc = refuse(RP_CONFIG_ERROR, why);
		config_free(cfg);
		return rc;
	}
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		maildir_set_host(host);
	}
	session_peer_from_fd(0, &pc.peer);
	/* Every reply leaves in one write when the session flushes; Nagle
	 * would only hold back the last records of a TLS flight until the
	 * client's delayed ACK, 40 ms later (bench/RESULTS.md).  Not a TCP
	 * socket (pipes, UNIX sockets): nothing to do. */
	(void)setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	conn_init(&conn, 0, 1, (int)(lst->timeout > 2000000 ? 2000000000 : lst->timeout * 1000));
	/* as RuntimeMaxSec= in the units, for every launcher */
	conn_set_lifetime(&conn, SESSION_LIFETIME_FACTOR * 1000LL * lst->timeout);
	/* before the first byte from the client (a PROXY header, a TLS
	 * ClientHello) is read (sandbox.h) */
	sandbox_enter(cfg, lst, NULL);
	/* Behind a load balancer the PROXY header names the peer, before
	 * anything is sent (HAProxy's proxy-protocol.txt §2: the receiver
	 * must not start before it has the whole header); a bad one closes
	 * the connection without a word. */
	ps = proxy_listener(lst);
	proxy_in_tls = ps && !ps->first && lst->tls.socket_tls;
	if (ps && !proxy_in_tls && proxy_accept(ps, &conn, &pc) < 0) {
		config_free(cfg);
		return 0;
	}
	session_init(&s, cfg, lst, &conn, &pc.peer);
	log_set_session(s.id);
	if (proxy_in_tls) {
		/* proxyFirst = false: the header is the first thing inside
		 * implicit TLS */
		if (tls_start(&s) < 0 || proxy_accept(ps, &conn, &pc) < 0) {
			session_finish(&s);
			config_free(cfg);
			return 0;
		}
		session_set_peer(&s, &pc.peer);
	}
	if (ps)
		proxy_log_accepted(&pc);
	/* The units run lmtpd as the mail store's owner: as root it would
	 * write maildirs with root's rights (lmtpd(8)). */
	if (proto == PROTO_LMTP && geteuid() == 0)
		log_msg(LOG_WARNING, "running as root; run lmtpd as the mail store's user");
	session_run(&s);
	session_finish(&s);
	config_free(cfg);
	return 0;
}
