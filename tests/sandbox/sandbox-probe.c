/* sandbox-probe — confine itself as a session of a listener would
 * (sandbox_enter), then attempt each action named on the command line
 * and print one line per action: "ACTION ok" or "ACTION denied ERRNO".
 *
 *   sandbox-probe [--lmtp] CONFIG LISTENER ACTION...
 *
 * Actions: read:PATH, write:PATH (create or truncate), mkdir:PATH,
 * link:FROM,TO, exec:PATH, socket:unix|inet|inet6|packet|netlink,
 * dlopen:SONAME, bind:PORT (TCP on 127.0.0.1), ptrace, fork,
 * suid:PATH (create a mode 04755 file), sgid-dir:PATH (mkdir 02755),
 * mmap-wx (anonymous W+X memory), mmap-x (R+X: allowed), mprotect-x (R+W
 * made R+X), unshare (a user namespace), personality (query: 0xffffffff),
 * realtime (SCHED_FIFO), and
 * wait:PATH (until PATH exists, so that a test can look at
 * /proc/PID/status meanwhile; stat() needs no Landlock right).
 * The first line says what was applied: "sandbox nnp=1 landlock=ABI seccomp=1".
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sandbox.h"

static void diag(void *ctx, enum diag_level level, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

static int family(const char *name)
{
	static const struct { const char *name; int af; } t[] = {
		{ "unix", AF_UNIX }, { "inet", AF_INET }, { "inet6", AF_INET6 },
		{ "packet", AF_PACKET }, { "netlink", AF_NETLINK },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(name, t[i].name) == 0)
			return t[i].af;
	return -1;
}

/* 0 or an errno. */
static int attempt(const char *a)
{
	const char *arg = strchr(a, ':');
	char buf[1];
	int fd, err = 0;

	arg = arg ? arg + 1 : "";
	if (strncmp(a, "read:", 5) == 0) {
		if ((fd = open(arg, O_RDONLY | O_CLOEXEC)) < 0 || read(fd, buf, 1) < 0)
			err = errno;
		if (fd >= 0)
			close(fd);
	} else if (strncmp(a, "write:", 6) == 0) {
		if ((fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 || write(fd, "x", 1) != 1)
			err = errno;
		if (fd >= 0)
			close(fd);
	} else if (strncmp(a, "mkdir:", 6) == 0) {
		if (mkdir(arg, 0700) < 0)
			err = errno;
	} else if (strncmp(a, "link:", 5) == 0) {
		char from[4096];
		const char *comma = strchr(arg, ',');

		if (!comma)
			return EINVAL;
		snprintf(from, sizeof(from), "%.*s", (int)(comma - arg), arg);
		if (link(from, comma + 1) < 0)
			err = errno;
	} else if (strncmp(a, "exec:", 5) == 0) {
		char *argv[] = { (char *)"probe-exec", NULL };

		execv(arg, argv);
		err = errno;	/* only reached on failure */
	} else if (strncmp(a, "socket:", 7) == 0) {
		int af = family(arg);

		if (af < 0)
			return EINVAL;
		if ((fd = socket(af, af == AF_PACKET || af == AF_NETLINK ? SOCK_RAW : SOCK_STREAM, 0)) < 0)
			err = errno;
		else
			close(fd);
	} else if (strncmp(a, "dlopen:", 7) == 0) {
		void *h = dlopen(arg, RTLD_NOW | RTLD_LOCAL);

		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			err = EACCES;
		}
	} else if (strncmp(a, "bind:", 5) == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(arg)),
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			err = errno;
		if (fd >= 0)
			close(fd);
	} else if (strncmp(a, "suid:", 5) == 0) {
		if ((fd = open(arg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 04755)) < 0)
			err = errno;
		else
			close(fd);
	} else if (strncmp(a, "sgid-dir:", 9) == 0) {
		if (mkdir(arg, 02755) < 0)
			err = errno;
	} else if (strcmp(a, "mmap-wx") == 0 || strcmp(a, "mmap-x") == 0 || strcmp(a, "mprotect-x") == 0) {
		int prot = strcmp(a, "mmap-wx") == 0 ? PROT_READ | PROT_WRITE | PROT_EXEC
			: strcmp(a, "mmap-x") == 0 ? PROT_READ | PROT_EXEC : PROT_READ | PROT_WRITE;
		void *m = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			err = errno;
		else if (strcmp(a, "mprotect-x") == 0 && mprotect(m, 4096, PROT_READ | PROT_EXEC) < 0)
			err = errno;
		if (m != MAP_FAILED)
			munmap(m, 4096);
	} else if (strcmp(a, "unshare") == 0) {
		if (unshare(CLONE_NEWUSER) < 0)
			err = errno;
	} else if (strcmp(a, "personality") == 0) {
		if (personality(0xffffffff) < 0)
			err = errno;
	} else if (strcmp(a, "realtime") == 0) {
		struct sched_param sp = { .sched_priority = 1 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			err = errno;
	} else if (strcmp(a, "ptrace") == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			err = errno;
	} else if (strncmp(a, "wait:", 5) == 0) {
		struct stat st;

		for (int i = 0; i < 1200 && stat(arg, &st) < 0; i++)
			usleep(50000);
	} else if (strcmp(a, "fork") == 0) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0)
			err = errno;
		else
			waitpid(pid, NULL, 0);
	} else {
		return EINVAL;
	}
	return err;
}

int main(int argc, char **argv)
{
	enum listener_proto proto = PROTO_SMTP;
	const struct listener *lst;
	struct sandbox_state st;
	struct config *cfg;
	char why[512];
	int i = 1;

	if (argc > 1 && strcmp(argv[1], "--lmtp") == 0) {
		proto = PROTO_LMTP;
		i++;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: sandbox-probe [--lmtp] CONFIG LISTENER ACTION...\n");
		return 64;
	}
	log_open("sandbox-probe", LOG_TARGET_STDERR);
	if (config_load(argv[i], false, diag, NULL, &cfg) < 0)
		return 78;
	if (!(lst = config_listener(cfg, proto, argv[i + 1], why, sizeof(why)))) {
		fprintf(stderr, "%s\n", why);
		return 78;
	}
	sandbox_enter(cfg, lst, &st);
	printf("sandbox nnp=%d landlock=%d seccomp=%d\n", st.no_new_privs, st.landlock_abi, st.seccomp);
	fflush(stdout);
	for (i += 2; i < argc; i++) {
		int err = attempt(argv[i]);

		if (err == EINVAL)
			printf("%s bad-action\n", argv[i]);
		else if (err)
			printf("%s denied %s\n", argv[i], strerrorname_np(err));
		else
			printf("%s ok\n", argv[i]);
	}
	fflush(stdout);
	config_free(cfg);
	return 0;
}
