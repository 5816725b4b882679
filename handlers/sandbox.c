/* sandbox.c — see sandbox.h.
 *
 * Landlock and seccomp through their system calls: no library.  The
 * seccomp program is a constant table, so a session pays only for the
 * kernel's copy and check of it (libseccomp would build the same program
 * again in every process: bench/RESULTS.md, "Self-confinement").
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"

/* An AddressSanitizer build (CI's SANITIZE=1): LeakSanitizer, at exit,
 * stops the process with a ptrace()ing clone() that reads /proc/self;
 * those are allowed there, and only there. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

/* ---- paths ---------------------------------------------------------------- */

/* Read by libc (NSS, the resolver, time zone, the dynamic loader) and by
 * GnuTLS and p11-kit when STARTTLS loads them.  /usr holds the libraries
 * and what they read under share/; /lib* are separate trees on systems
 * without merged /usr.  A missing entry is skipped. */
static const char *const system_read[] = {
	"/usr", "/lib", "/lib64", "/lib32",
	"/etc/ld.so.cache", "/etc/localtime",
	"/etc/nsswitch.conf", "/etc/hosts", "/etc/host.conf", "/etc/resolv.conf",
	"/etc/gai.conf", "/etc/services", "/etc/protocols",
	"/etc/gnutls", "/etc/pkcs11", "/etc/crypto-policies",
	/* GnuTLS asks whether the kernel is in FIPS mode */
	"/proc/sys/crypto",
#ifdef SANDBOX_SANITIZER
	/* LeakSanitizer reads the maps and the threads at exit (from its
	 * own clone(): /proc/self would not be that process's) */
	"/proc",
#endif
	"/dev/urandom", "/dev/random",
};

static void add(const char **list, size_t *n, const char *path)
{
	if (path && *path && *n < SANDBOX_MAX_PATHS)
		list[(*n)++] = path;
}

/* The directory part of @file ("." for a bare name), into @buf. */
static const char *dir_of(const char *file, char *buf, size_t size)
{
	const char *slash = strrchr(file, '/');

	if (!slash)
		snprintf(buf, size, ".");
	else if (slash == file)
		snprintf(buf, size, "/");
	else
		snprintf(buf, size, "%.*s", (int)(slash - file), file);
	return buf;
}

void sandbox_paths(const struct config *cfg, const struct listener *lst,
		   struct sandbox_paths *p)
{
	const struct tls_conf *tc = &lst->tls;
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	bool tls = tc->start_tls || tc->socket_tls;

	p->nread = p->nwrite = 0;
	for (size_t i = 0; i < sizeof(system_read) / sizeof(system_read[0]); i++)
		add(p->read, &p->nread, system_read[i]);
	add(p->read, &p->nread, cfg->users);
	add(p->read, &p->nread, cfg->aliases);
	if (tls) {
		add(p->read, &p->nread, tc->certificates);
		add(p->read, &p->nread, tc->private_key);
		add(p->read, &p->nread, creds);
	}
	/* /dev/null is opened for writing by libraries that discard output */
	add(p->write, &p->nwrite, "/dev/null");
	if (cfg->mailboxes) {
		maildir_template_root(cfg->mailboxes, p->buf[0], sizeof(p->buf[0]));
		add(p->write, &p->nwrite, p->buf[0]);
	}
	add(p->write, &p->nwrite, cfg->spool);
	/* the ticket key is created, and rotated by rename, beside itself */
	if (tls && tc->ticket_key)
		add(p->write, &p->nwrite, dir_of(tc->ticket_key, p->buf[1], sizeof(p->buf[1])));
}

/* ---- Landlock ------------------------------------------------------------- */

/* Debian 12's headers know ABI 2; the later rights by value. */
#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6; older kernels are given the
 * prefix they know. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define LL_FS_ABI1 (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE \
	| LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR \
	| LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE \
	| LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR \
	| LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK \
	| LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK \
	| LANDLOCK_ACCESS_FS_MAKE_SYM)

/* What a rule on a regular file (not a directory) may carry. */
#define LL_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE \
	| LANDLOCK_ACCESS_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* A maildir delivery: create tmp/ files and directories, write, link
 * tmp/ -> new/ (REFER: a link across directories), unlink, rename. */
#define LL_WRITE (LL_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG \
	| LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE \
	| LANDLOCK_ACCESS_FS_REFER | LL_FS_TRUNCATE)

static int ll_add(int ruleset, const char *path, uint64_t access, uint64_t handled)
{
	struct landlock_path_beneath_attr pb = { .parent_fd = -1 };
	struct stat st;
	int r = 0;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return -errno;	/* not there: nothing to allow */
	if (fstat(pb.parent_fd, &st) < 0)
		r = -errno;
	else {
		pb.allowed_access = access & handled;
		if (!S_ISDIR(st.st_mode))
			pb.allowed_access &= LL_FILE_RIGHTS;
		if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
			r = -errno;
	}
	close(pb.parent_fd);
	return r;
}

/* The ABI, 0 when the kernel has no Landlock (or it is disabled). */
static int ll_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

static int landlock_apply(const struct sandbox_paths *p, int *abi_r, char *why, size_t whysize)
{
	struct ll_ruleset_attr attr = { 0 };
	size_t attr_size = sizeof(attr.handled_access_fs);
	int abi = ll_abi(), fd, r = 0;

	*abi_r = 0;
	if (abi < 2) {
		/* ABI 1 refuses every link or rename across directories: a
		 * maildir delivery (tmp/ -> new/) would always fail */
		snprintf(why, whysize, abi == 0 ? "the kernel has no Landlock"
			 : "the kernel's Landlock ABI 1 cannot allow maildir links");
		return -EOPNOTSUPP;
	}
	attr.handled_access_fs = LL_FS_ABI1 | LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 4) {
		/* no rule: no TCP port can be bound; connect stays free
		 * (LMTP hand-off, filters) */
		attr.handled_access_net = LL_NET_BIND_TCP;
		attr_size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 5)
		attr.handled_access_fs |= LL_FS_IOCTL_DEV;
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(why, whysize, "landlock_create_ruleset: %s", strerror(errno));
		return r;
	}
	for (size_t i = 0; i < p->nread; i++)
		ll_add(fd, p->read[i], LL_READ, attr.handled_access_fs);
	for (size_t i = 0; i < p->nwrite; i++)
		ll_add(fd, p->write[i], LL_WRITE, attr.handled_access_fs);
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		r = -errno;
		snprintf(why, whysize, "landlock_restrict_self: %s", strerror(errno));
	} else {
		*abi_r = abi;
	}
	close(fd);
	return r;
}

/* ---- seccomp -------------------------------------------------------------- */

#if defined(__x86_64__) && !defined(__ILP32__)
#define SC_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SC_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define SC_ARCH AUDIT_ARCH_RISCV64
#endif

#ifdef SC_ARCH

#define SC_NR offsetof(struct seccomp_data, nr)
#define SC_ARCH_OFF offsetof(struct seccomp_data, arch)
/* the low 32 bits of argument @i, where an int argument lives */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SC_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define SC_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

#define SC_RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define SC_DENY SC_RET(SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define SC_ALLOW(name) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_##name, 0, 1), SC_RET(SECCOMP_RET_ALLOW)
/* system call @name with S_ISUID or S_ISGID in its mode argument @i:
 * refused; otherwise the number is reloaded and the list goes on */
#define SC_MODE_CHECK(name, i) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_##name, 0, 4), \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARG_LO(i)), \
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, S_ISUID | S_ISGID, 0, 1), \
	SC_DENY, \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_NR)

/* A linear list: since Linux 5.11 the kernel caches, per system call
 * number, that this program allows it whatever the arguments, so an
 * allowed call never runs the program; only the refused ones and those
 * whose arguments are looked at (socket, openat, mkdirat, mmap,
 * mprotect) do, a few dozen instructions each.
 *
 * Besides the list, the filter does what systemd's per-unit seccomp
 * options would do (RestrictAddressFamilies=, RestrictSUIDSGID=,
 * MemoryDenyWriteExecute=, SystemCallArchitectures=; RestrictNamespaces=,
 * RestrictRealtime= and LockPersonality= by not allowing unshare, setns,
 * clone, sched_setscheduler or personality): the session units leave
 * those out, since systemd compiles one filter per option with
 * libseccomp in every forked session (bench/RESULTS.md, issue 11). */
static struct sock_filter filter[] = {	/* not const: struct sock_fprog's type */
	/* another ABI (x86-64's int 0x80 for i386 calls): an attack */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARCH_OFF),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_ARCH, 1, 0),
	SC_RET(SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_NR),
#ifdef __x86_64__
	/* x32 system calls share the arch value, with bit 30 set */
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
	SC_DENY,
#endif
	/* socket(): the families a session speaks, nothing else (no
	 * AF_PACKET, AF_NETLINK, AF_ALG, AF_VSOCK, ...) */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 6),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARG_LO(0)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 2, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 1),
	SC_RET(SECCOMP_RET_ALLOW),
	SC_DENY,
	/* No set-user-ID or set-group-ID file or directory is made
	 * (systemd's RestrictSUIDSGID=): the mode argument of the calls that
	 * create (chmod and its kin are not allowed at all).  glibc passes
	 * 0 as openat's mode when it creates nothing. */
	SC_MODE_CHECK(openat, 3),
	SC_MODE_CHECK(mkdirat, 2),
#ifdef __NR_open
	SC_MODE_CHECK(open, 2),
	SC_MODE_CHECK(mkdir, 1),
#endif
	/* No memory both writable and executable, and none made executable
	 * later (systemd's MemoryDenyWriteExecute=): shared libraries,
	 * GnuTLS' included, are mapped executable and never written. */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 0, 4),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARG_LO(2)),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 0, 5),	/* to the reload */
	SC_DENY,
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 0, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARG_LO(2)),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
	SC_DENY,
	/* (the accumulator holds an argument now: reload the number) */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_NR),
	/* I/O on what is open */
	SC_ALLOW(read), SC_ALLOW(write), SC_ALLOW(readv), SC_ALLOW(writev),
	SC_ALLOW(pread64), SC_ALLOW(pwrite64), SC_ALLOW(lseek), SC_ALLOW(close),
	SC_ALLOW(fcntl), SC_ALLOW(ioctl), SC_ALLOW(fsync), SC_ALLOW(fdatasync),
	SC_ALLOW(ftruncate), SC_ALLOW(dup), SC_ALLOW(dup3),
	/* a copy per recipient shares the body (handlers/delivery.c) */
	SC_ALLOW(copy_file_range), SC_ALLOW(sendfile),
#ifdef __NR_dup2
	SC_ALLOW(dup2),
#endif
	SC_ALLOW(ppoll), SC_ALLOW(pselect6),
#ifdef __NR_poll
	SC_ALLOW(poll),
#endif
#ifdef __NR_select
	SC_ALLOW(select),
#endif
	/* the file system (Landlock says where) */
	SC_ALLOW(openat), SC_ALLOW(newfstatat), SC_ALLOW(fstat), SC_ALLOW(statx),
	SC_ALLOW(faccessat), SC_ALLOW(getdents64), SC_ALLOW(mkdirat), SC_ALLOW(linkat),
	SC_ALLOW(unlinkat), SC_ALLOW(renameat2), SC_ALLOW(readlinkat), SC_ALLOW(getcwd),
	SC_ALLOW(fstatfs), SC_ALLOW(umask),
#ifdef __NR_faccessat2
	SC_ALLOW(faccessat2),
#endif
#ifdef __NR_renameat
	SC_ALLOW(renameat),
#endif
#ifdef __NR_open
	SC_ALLOW(open), SC_ALLOW(stat), SC_ALLOW(lstat), SC_ALLOW(access),
	SC_ALLOW(mkdir), SC_ALLOW(link), SC_ALLOW(unlink), SC_ALLOW(rename),
	SC_ALLOW(readlink),
#endif
	/* memory (GnuTLS and NSS modules are mapped after this point) */
	SC_ALLOW(brk), SC_ALLOW(mmap), SC_ALLOW(munmap), SC_ALLOW(mremap),
	SC_ALLOW(mprotect), SC_ALLOW(madvise),
	/* sockets: LMTP hand-off, DNS (sendmmsg: A and AAAA at once),
	 * journald, filters.  No bind, listen or accept. */
	SC_ALLOW(connect), SC_ALLOW(sendto), SC_ALLOW(recvfrom), SC_ALLOW(sendmsg),
	SC_ALLOW(recvmsg), SC_ALLOW(sendmmsg), SC_ALLOW(recvmmsg), SC_ALLOW(shutdown),
	SC_ALLOW(getsockname), SC_ALLOW(getpeername), SC_ALLOW(setsockopt),
	SC_ALLOW(getsockopt),
	/* time, identity, randomness, signals, exit */
	SC_ALLOW(clock_gettime), SC_ALLOW(clock_getres), SC_ALLOW(gettimeofday),
	SC_ALLOW(clock_nanosleep), SC_ALLOW(nanosleep),
#ifdef __NR_time
	SC_ALLOW(time),
#endif
	SC_ALLOW(getpid), SC_ALLOW(gettid), SC_ALLOW(getppid), SC_ALLOW(getuid),
	SC_ALLOW(geteuid), SC_ALLOW(getgid), SC_ALLOW(getegid), SC_ALLOW(getgroups),
	SC_ALLOW(uname), SC_ALLOW(getrandom), SC_ALLOW(getrlimit), SC_ALLOW(prlimit64),
	SC_ALLOW(getrusage), SC_ALLOW(sysinfo), SC_ALLOW(sched_getaffinity),
	SC_ALLOW(sched_yield), SC_ALLOW(futex), SC_ALLOW(set_robust_list),
	SC_ALLOW(rt_sigaction), SC_ALLOW(rt_sigprocmask), SC_ALLOW(rt_sigreturn),
	SC_ALLOW(sigaltstack), SC_ALLOW(restart_syscall),
	/* abort() signals itself (Landlock's signal scope keeps it in) */
	SC_ALLOW(tgkill),
	SC_ALLOW(exit), SC_ALLOW(exit_group),
#ifdef SANDBOX_SANITIZER
	SC_ALLOW(clone), SC_ALLOW(ptrace), SC_ALLOW(wait4), SC_ALLOW(waitid),
	SC_ALLOW(prctl), SC_ALLOW(kill), SC_ALLOW(getdents), SC_ALLOW(sched_setaffinity),
#endif
	SC_DENY,
};

static int seccomp_apply(char *why, size_t whysize)
{
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	snprintf(why, whysize, "seccomp: %s", strerror(errno));
	return errno == EINVAL || errno == ENOSYS ? -EOPNOTSUPP : -errno;
}

#else

static int seccomp_apply(char *why, size_t whysize)
{
	snprintf(why, whysize, "seccomp: no system call list for this architecture");
	return -EOPNOTSUPP;
}

#endif

/* ---- capabilities --------------------------------------------------------- */

/* A non-root session keeps no capability (AmbientCapabilities=, a file
 * capability on the binary).  root's are left alone: without
 * CAP_DAC_OVERRIDE a root lmtpd could not write its users' maildirs. */
static int caps_drop(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (getuid() == 0 || geteuid() == 0)
		return 0;
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	if (!(data[0].effective | data[0].permitted | data[0].inheritable
	      | data[1].effective | data[1].permitted | data[1].inheritable))
		return 0;
	memset(data, 0, sizeof(data));
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

/* ---- all ------------------------------------------------------------------ */

int sandbox_enter(const struct config *cfg, const struct listener *lst,
		  struct sandbox_state *st_r)
{
	struct sandbox_state st = { 0 };
	struct sandbox_paths paths;
	char why[160];
	int r, ret = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		/* both steps below need it when not root */
		log_msg(LOG_ERR, "sandbox: no_new_privs: %s", strerror(errno));
		ret = -errno;
		goto out;
	}
	st.no_new_privs = true;
	if ((r = caps_drop()) < 0) {
		log_msg(LOG_ERR, "sandbox: cannot drop capabilities: %s", strerror(-r));
		ret = r;
	}
	sandbox_paths(cfg, lst, &paths);
	if ((r = landlock_apply(&paths, &st.landlock_abi, why, sizeof(why))) < 0) {
		log_msg(r == -EOPNOTSUPP ? LOG_NOTICE : LOG_ERR,
			"sandbox: file system not confined: %s", why);
		if (!ret)
			ret = r;
	}
	if ((r = seccomp_apply(why, sizeof(why))) < 0) {
		log_msg(r == -EOPNOTSUPP ? LOG_NOTICE : LOG_ERR,
			"sandbox: system calls not filtered: %s", why);
		if (!ret)
			ret = r;
	} else {
		st.seccomp = true;
	}
out:
	if (st_r)
		*st_r = st;
	return ret;
}
