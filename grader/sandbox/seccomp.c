#include "sandbox/internal.h"

#include "base/error.h"

/* ====================================================================== */

/*
 * The allowlist: what CPython 3.11-3.13, glibc and the sanitizers need to run pure Python and import the standard
 * library.  Anything not named here kills the process (SIGSYS): ptrace, mount, unshare, setns, bpf, keyctl,
 * io_uring, perf_event_open, userfaultfd, process_vm_*, pidfd_*, open_by_handle_at, seccomp, landlock...
 */
static const char *const sc_allow[] = {
	/* files and descriptors; Landlock decides which paths */
	"read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev", "pwritev2",
	"open", "openat", "creat", "close", "close_range", "lseek", "dup", "dup2", "dup3",
	"fstat", "stat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2",
	"getdents", "getdents64", "readlink", "readlinkat", "getcwd", "chdir", "fchdir",
	"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat",
	"truncate", "ftruncate", "fallocate", "fadvise64", "fsync", "fdatasync", "sync_file_range", "flock",
	"sendfile", "copy_file_range", "splice", "umask",
	"getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
	"poll", "ppoll", "select", "pselect6",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	/* memory */
	"brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "msync", "mincore",
	/* threads and synchronisation (clone itself is below) */
	"futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "sched_yield",
	/* signals to oneself, timers */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigsuspend",
	"sigaltstack", "pause", "alarm", "getitimer", "setitimer", "restart_syscall",
	"clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "time", "nanosleep",
	/* information about oneself */
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid",
	"getresgid", "getpgrp", "getpgid", "getsid", "uname", "sysinfo", "getcpu", "sched_getaffinity",
	"sched_getparam", "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min",
	"getpriority", "getrusage", "times", "getrlimit", "capget", "getrandom",
	/* sockets from socketpair() (asyncio's self-pipe); socket() and connect() are refused below */
	"recvfrom", "recvmsg", "shutdown", "getsockname", "getpeername", "getsockopt", "setsockopt",
	"wait4", "waitid", "exit", "exit_group",
};

/*
 * Refused with EPERM rather than killed: calls that Python code makes in ordinary ways (os.fork, socket.socket,
 * os.chmod, os.pipe...), where an exception with a traceback tells the student more than SIGSYS would.
 */
static const char *const sc_eperm[] = {
	"socket", "connect", "bind", "listen", "accept", "accept4", "sendmsg", "recvmmsg",
	"fork", "vfork", "execve", "execveat", "setsid", "setpgid",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid", "setgroups",
	"capset", "setrlimit", "setpriority", "sched_setaffinity", "sched_setscheduler", "sched_setparam",
	/* Landlock does not cover metadata: without these, C could chmod or chown the grader's own files. */
	"chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
	"utime", "utimes", "utimensat", "futimesat",
	"setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
	"symlink", "symlinkat", "mknod", "mknodat",
	"pipe", "pipe2", "eventfd", "eventfd2", "memfd_create", "timerfd_create", "signalfd", "signalfd4",
	"inotify_init", "inotify_init1", "inotify_add_watch", "tee", "tkill", "rt_sigqueueinfo",
	"rt_tgsigqueueinfo", "mlock", "mlock2", "mlockall", "munlock", "munlockall", "sync", "syncfs",
	"membarrier", "chroot",
};

/* Adds a rule by name; names this libseccomp does not know are skipped (they fall to the default action). */
static int sc_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

#define SC_RULE(ctx, action, name, ...) \
	sc_rule((ctx), (action), (name), \
		sizeof((struct scmp_arg_cmp[]){ __VA_ARGS__ }) / sizeof(struct scmp_arg_cmp), \
		(struct scmp_arg_cmp[]){ __VA_ARGS__ })

/* Low 32 bits of argument i equal v: the kernel truncates int arguments, so must we. */
#define ARG32_EQ(i, v) SCMP_CMP((i), SCMP_CMP_MASKED_EQ, 0xffffffffULL, (uint32_t)(v))

/* Allows syscall name only when argument arg equals one of vals; everything else falls to the default. */
static int sc_allow_values(scmp_filter_ctx ctx, const char *name, unsigned arg, const unsigned long *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct scmp_arg_cmp cmp = SCMP_CMP(arg, SCMP_CMP_EQ, vals[i], 0);
		if (sc_rule(ctx, SCMP_ACT_ALLOW, name, 1, &cmp) < 0)
			return -1;
	}
	return 0;
}

/* Allow when argument arg == v, EPERM otherwise. */
static int sc_allow_eq_else_eperm(scmp_filter_ctx ctx, const char *name, unsigned arg, uint64_t v)
{
	struct scmp_arg_cmp eq = SCMP_CMP(arg, SCMP_CMP_EQ, v, 0), ne = SCMP_CMP(arg, SCMP_CMP_NE, v, 0);
	if (sc_rule(ctx, SCMP_ACT_ALLOW, name, 1, &eq) < 0)
		return -1;
	return sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), name, 1, &ne);
}

static int build_main_filter(scmp_filter_ctx ctx, const struct sandbox_policy *p, pid_t self, bool rfd_socket)
{
	static const unsigned long ioctls[] = {
		TCGETS,		/* isatty() */
		TIOCGWINSZ,	/* os.get_terminal_size() */
		TIOCGPGRP,
		FIOCLEX, FIONCLEX,	/* os.set_inheritable() */
		FIONREAD, FIONBIO,	/* socket.setblocking() */
	};
	static const unsigned long fcntls[] = {
		F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW,
		F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_GETPIPE_SZ, F_GET_SEALS,
		/* not F_SETOWN / F_SETSIG: they aim SIGIO at another process */
	};
	static const unsigned long prctls[] = {
		PR_GET_NAME, PR_SET_NAME, PR_GET_DUMPABLE, PR_GET_SECCOMP, PR_CAPBSET_READ, PR_GET_NO_NEW_PRIVS,
		PR_GET_TIMERSLACK, PR_GET_PDEATHSIG, PR_GET_CHILD_SUBREAPER, PR_SET_VMA,
	};
	static const unsigned long arch_prctls[] = { ARCH_GET_FS, ARCH_GET_GS, ARCH_GET_CPUID };
	int rc = 0;

	for (size_t i = 0; i < sizeof(sc_allow) / sizeof(sc_allow[0]) && rc == 0; i++)
		rc = sc_rule(ctx, SCMP_ACT_ALLOW, sc_allow[i], 0, NULL);
	for (size_t i = 0; i < sizeof(sc_eperm) / sizeof(sc_eperm[0]) && rc == 0; i++)
		rc = sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), sc_eperm[i], 0, NULL);
	if (rc < 0)
		return rc;

	if (sc_allow_values(ctx, "ioctl", 1, ioctls, sizeof(ioctls) / sizeof(ioctls[0])) < 0 ||
	    sc_allow_values(ctx, "fcntl", 1, fcntls, sizeof(fcntls) / sizeof(fcntls[0])) < 0 ||
	    sc_allow_values(ctx, "prctl", 0, prctls, sizeof(prctls) / sizeof(prctls[0])) < 0 ||
	    sc_allow_values(ctx, "arch_prctl", 0, arch_prctls, sizeof(arch_prctls) / sizeof(arch_prctls[0])) < 0)
		return -1;

	/* Signals only to oneself: raise() and abort() are tgkill(getpid(), gettid(), sig).  The comparison is
	 * on all 64 bits, so a pid with junk in the high half is refused, never let through. */
	if (sc_allow_eq_else_eperm(ctx, "kill", 0, (uint64_t)self) < 0 ||
	    sc_allow_eq_else_eperm(ctx, "tgkill", 0, (uint64_t)self) < 0)
		return -1;
	/* getrlimit() is prlimit64(0, res, NULL, &old): reading is fine, setting is not. */
	if (sc_allow_eq_else_eperm(ctx, "prlimit64", 2, 0) < 0)
		return -1;
	/* socketpair(AF_UNIX) reaches nobody; sendto() with an address could reach a named socket. */
	if (sc_allow_eq_else_eperm(ctx, "socketpair", 0, AF_UNIX) < 0 ||
	    sc_allow_eq_else_eperm(ctx, "sendto", 4, 0) < 0)
		return -1;
	/* personality(0xffffffff) only reads it. */
	if (sc_allow_eq_else_eperm(ctx, "personality", 0, 0xffffffffUL) < 0)
		return -1;

	/* Threads: clone() is allowed here and its flags are checked by the guard filter.  clone3() passes its
	 * flags in memory, where seccomp cannot look: ENOSYS makes glibc fall back to clone(). */
	if (sc_rule(ctx, p->allow_threads ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM), "clone", 0, NULL) < 0 ||
	    sc_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL) < 0)
		return -1;

	/* The result descriptor: sendmmsg() (a socket) or vmsplice() (a pipe) is the grader's way to write it;
	 * CPython exposes neither, so Python code has no way at all. */
	if (p->result_fd >= 0) {
		const char *name = rfd_socket ? "sendmmsg" : "vmsplice";
		struct scmp_arg_cmp ne = SCMP_CMP(0, SCMP_CMP_NE, (uint64_t)p->result_fd, 0);
		if (SC_RULE(ctx, SCMP_ACT_ALLOW, name, ARG32_EQ(0, p->result_fd)) < 0 ||
		    sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), name, 1, &ne) < 0)
			return -1;
	} else if (sc_rule(ctx, SCMP_ACT_ERRNO(EPERM), "sendmmsg", 0, NULL) < 0) {
		return -1;
	}
	return 0;
}

/*
 * libseccomp cannot say "allow, except when" within one filter whose default is to kill.  Filters stack, and the
 * strictest answer wins, so a second filter that allows everything but a few argument patterns expresses the
 * exceptions: writes to the result pipe, and clone() calls that are not plain threads.
 */
static int build_guard_filter(scmp_filter_ctx ctx, const struct sandbox_policy *p)
{
	static const char *const by_arg0[] = {
		"write", "writev", "pwrite64", "pwritev", "pwritev2", "sendfile", "sendto", "sendmsg", "dup", "dup2",
		"dup3", "fcntl", "ioctl",
	};
	static const uint64_t not_in_thread[] = {
		CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP,
	};
	const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
	int rfd = p->result_fd;

	if (rfd >= 0) {
		for (size_t i = 0; i < sizeof(by_arg0) / sizeof(by_arg0[0]); i++)
			if (SC_RULE(ctx, deny, by_arg0[i], ARG32_EQ(0, rfd)) < 0)
				return -1;
		/* dup2(x, rfd) would swap the pipe for a file of the student's. */
		if (SC_RULE(ctx, deny, "dup2", ARG32_EQ(1, rfd)) < 0 || SC_RULE(ctx, deny, "dup3", ARG32_EQ(1, rfd)) < 0 ||
		    SC_RULE(ctx, deny, "splice", ARG32_EQ(2, rfd)) < 0 ||
		    SC_RULE(ctx, deny, "copy_file_range", ARG32_EQ(2, rfd)) < 0)
			return -1;
	}
	if (p->allow_threads) {
		/* clone() without CLONE_THREAD is a fork. */
		if (SC_RULE(ctx, deny, "clone", SCMP_CMP(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)) < 0)
			return -1;
		for (size_t i = 0; i < sizeof(not_in_thread) / sizeof(not_in_thread[0]); i++)
			if (SC_RULE(ctx, deny, "clone",
				    SCMP_CMP(0, SCMP_CMP_MASKED_EQ, not_in_thread[i], not_in_thread[i])) < 0)
				return -1;
	}
	return 0;
}

/*
 * Compiled filters.  libseccomp takes about 1.5 ms to build and compile them, several times the rest of
 * sandbox_enter(); sandbox_prepare() compiles them once in S (or the zygote) and C, a fork, finds them here.
 */
struct bpf_copy {
	struct sock_filter *insns;
	unsigned short len;
};

struct compiled_filters {
	bool used;
	pid_t self;		/* the pid allowed as a signal target: 1 in a pid namespace */
	bool allow_threads;
	int result_fd;
	bool rfd_socket;
	struct bpf_copy guard, main;
};

static struct compiled_filters filter_cache[8];

/* libseccomp 2.5 exports only to a descriptor: a pipe, because RLIMIT_FSIZE may already be small when C
 * compiles for itself (a filter is at most 4096 instructions, 32 KiB, less than a pipe holds). */
static int export_bpf(scmp_filter_ctx ctx, struct bpf_copy *out)
{
	int fds[2], rc;
	ssize_t n;
	char *buf = NULL;
	size_t cap = BPF_MAXINSNS * sizeof(struct sock_filter);

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fds[1]);
	close(fds[1]);
	if (rc < 0)
		goto done;
	buf = malloc(cap + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto done;
	}
	n = read(fds[0], buf, cap + 1);
	if (n <= 0 || (size_t)n > cap || n % sizeof(struct sock_filter)) {
		rc = n < 0 ? -errno : -EINVAL;
		goto done;
	}
	out->insns = (struct sock_filter *)buf;
	out->len = (unsigned short)(n / sizeof(struct sock_filter));
	buf = NULL;
	rc = 0;
done:
	free(buf);
	close(fds[0]);
	return rc;
}

static int compile_filters(const struct sandbox_policy *p, pid_t self, bool rfd_socket, struct compiled_filters *out,
			   char *err, size_t errlen)
{
	scmp_filter_ctx main_ctx = NULL, guard_ctx = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	main_ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	guard_ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!main_ctx || !guard_ctx) {
		rc = fail_errno(err, errlen, ENOMEM, "seccomp_init");
		goto done;
	}
	/* The native architecture only: int 0x80 (i386) and x32 system calls are another table of numbers the
	 * rules above do not describe, so they kill. */
	/* A binary tree over system call numbers rather than a linear scan: the kernel walks the filter for
	 * every system call number when it loads it (its action cache), and for every call the student makes;
	 * measured, loading the main filter went from ~260 to ~90 µs. */
	if ((rc = seccomp_attr_set(main_ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0 ||
	    (rc = seccomp_attr_set(guard_ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0 ||
	    (rc = seccomp_attr_set(main_ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (rc = seccomp_attr_set(guard_ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0) {
		rc = fail_errno(err, errlen, -rc, "seccomp_attr_set");
		goto done;
	}
	if ((rc = build_main_filter(main_ctx, p, self, rfd_socket)) < 0 || (rc = build_guard_filter(guard_ctx, p)) < 0) {
		rc = fail_errno(err, errlen, -rc, "seccomp: cannot build the filter");
		goto done;
	}
	if ((rc = export_bpf(guard_ctx, &out->guard)) < 0 || (rc = export_bpf(main_ctx, &out->main)) < 0) {
		free(out->guard.insns);
		rc = fail_errno(err, errlen, -rc, "seccomp: cannot compile the filter");
		goto done;
	}
	out->used = true;
	out->self = self;
	out->allow_threads = p->allow_threads;
	out->result_fd = p->result_fd;
	out->rfd_socket = rfd_socket;
	rc = 0;
done:
	if (main_ctx)
		seccomp_release(main_ctx);
	if (guard_ctx)
		seccomp_release(guard_ctx);
	return rc;
}

static void free_filters(struct compiled_filters *f)
{
	free(f->guard.insns);
	free(f->main.insns);
	memset(f, 0, sizeof(*f));
}

static struct compiled_filters *cached_filters(const struct sandbox_policy *p, pid_t self, bool rfd_socket)
{
	for (size_t i = 0; i < sizeof(filter_cache) / sizeof(filter_cache[0]); i++) {
		struct compiled_filters *f = &filter_cache[i];
		if (f->used && f->self == self && f->allow_threads == p->allow_threads &&
		    f->result_fd == p->result_fd && f->rfd_socket == rfd_socket)
			return f;
	}
	return NULL;
}

static int load_bpf(const struct bpf_copy *b)
{
	struct sock_fprog prog = { .len = b->len, .filter = b->insns };
	/* TSYNC: every thread, although sandbox_enter() has made sure there is only one. */
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
}

int apply_seccomp(const struct sandbox_policy *p, bool rfd_socket, char *err, size_t errlen)
{
	struct compiled_filters local, *f = cached_filters(p, getpid(), rfd_socket);
	int rc = 0;

	if (!f) {
		if (compile_filters(p, getpid(), rfd_socket, &local, err, errlen) < 0)
			return -1;
		f = &local;
	}
	/* The guard first: the main filter forbids seccomp() itself. */
	if (load_bpf(&f->guard) < 0 || load_bpf(&f->main) < 0)
		rc = fail_errno(err, errlen, errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
	if (f == &local)
		free_filters(&local);
	return rc;
}

int sandbox_prepare(const struct sandbox_policy *p, const struct sandbox_layers *l, char *err, size_t errlen)
{
	static const bool kinds[] = { true, false };	/* a socket, a pipe */

	if (!l->on[SANDBOX_SECCOMP] || !l->on[SANDBOX_PID_NS])
		return 0;	/* without a pid namespace, C's own pid is in the filter: C compiles it */
	for (size_t k = 0; k < (p->result_fd >= 0 ? 2 : 1); k++) {
		struct compiled_filters *slot = NULL;
		if (cached_filters(p, 1, kinds[k]))
			continue;
		for (size_t i = 0; i < sizeof(filter_cache) / sizeof(filter_cache[0]) && !slot; i++)
			if (!filter_cache[i].used)
				slot = &filter_cache[i];
		if (!slot) {
			/* full: the oldest goes */
			slot = &filter_cache[0];
			free_filters(slot);
		}
		if (compile_filters(p, 1, kinds[k], slot, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* ====================================================================== */
/* sandbox_enter.                                                          */
