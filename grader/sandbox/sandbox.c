#include "sandbox/sandbox.h"

#include "base/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asm/prctl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

/* ====================================================================== */
/* Kernel interfaces newer than Debian 12's headers, or without wrappers.  */
/* ====================================================================== */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef PR_GET_TID_ADDRESS
#define PR_GET_TID_ADDRESS 40
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* Landlock rights by ABI version; the 6.1 uapi header stops at ABI 2. */
#define LL_FS_EXECUTE		(1ULL << 0)
#define LL_FS_WRITE_FILE	(1ULL << 1)
#define LL_FS_READ_FILE		(1ULL << 2)
#define LL_FS_READ_DIR		(1ULL << 3)
#define LL_FS_REMOVE_DIR	(1ULL << 4)
#define LL_FS_REMOVE_FILE	(1ULL << 5)
#define LL_FS_MAKE_CHAR		(1ULL << 6)
#define LL_FS_MAKE_DIR		(1ULL << 7)
#define LL_FS_MAKE_REG		(1ULL << 8)
#define LL_FS_MAKE_SOCK		(1ULL << 9)
#define LL_FS_MAKE_FIFO		(1ULL << 10)
#define LL_FS_MAKE_BLOCK	(1ULL << 11)
#define LL_FS_MAKE_SYM		(1ULL << 12)
#define LL_FS_REFER		(1ULL << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP	(1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL		(1ULL << 1)
/* Rights that make sense on a file (not a directory) in a rule. */
#define LL_FS_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* The kernel takes the size, so this one struct serves every ABI. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;	/* ABI 4 */
	uint64_t scoped;		/* ABI 6 */
};

struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* ====================================================================== */
/* Layers: names, reasons, description.                                    */
/* ====================================================================== */

static void layer_on(struct sandbox_layers *l, enum sandbox_layer k, const char *detail)
{
	l->on[k] = true;
	l->why[k] = detail;
	l->err[k] = 0;
}

static void layer_off(struct sandbox_layers *l, enum sandbox_layer k, const char *why, int err)
{
	l->on[k] = false;
	l->why[k] = why;
	l->err[k] = err;
}

/* Copies layer k's state from one struct to another. */
static void layer_copy(struct sandbox_layers *to, const struct sandbox_layers *from, enum sandbox_layer k)
{
	to->on[k] = from->on[k];
	to->why[k] = from->why[k];
	to->err[k] = from->err[k];
}


/* ====================================================================== */
/* State that crosses fork: what S set up, how C was spawned.              */
/* ====================================================================== */

/* Written by sandbox_supervisor_init() in S; C inherits the copy and reports it from sandbox_enter(). */
static struct sandbox_layers supervisor_state;
static bool supervisor_done;

/* Written in C by sandbox_spawn(). */
static bool spawned_child;
static bool spawned_in_pidns;
static pid_t spawned_parent;

/* In S: how each live check child was spawned, for sandbox_kill_tree(). */
static struct {
	pid_t pid;
	bool pidns;
} spawned[16];

/* Sticky fallbacks, so that a refused clone3() or CLONE_NEWPID is not retried for every check. */
static bool clone3_refused, pidns_refused;
static int pidns_refused_err;

/* ====================================================================== */
/* Supervisor.                                                             */
/* ====================================================================== */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(text), n;
	if (fd < 0)
		return -1;
	n = write(fd, text, (size_t)len);
	if (n != len) {
		int e = n < 0 ? errno : EIO;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* Maps S's own uid and gid to themselves: the only mapping an unprivileged process may write. */
static int map_identity(uid_t uid, gid_t gid)
{
	char line[64];
	if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
		return -1;
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/uid_map", line) < 0)
		return -1;
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_file("/proc/self/gid_map", line);
}

int sandbox_supervisor_init(struct sandbox_layers *l, char *err, size_t errlen)
{
	static const struct {
		enum sandbox_layer layer;
		int flag;
		const char *what;
	} shared_ns[] = {
		{ SANDBOX_NET_NS, CLONE_NEWNET, "unshare(CLONE_NEWNET)" },
		{ SANDBOX_IPC_NS, CLONE_NEWIPC, "unshare(CLONE_NEWIPC)" },
		{ SANDBOX_UTS_NS, CLONE_NEWUTS, "unshare(CLONE_NEWUTS)" },
	};
	int flags = 0;

	if (l->on[SANDBOX_SUBREAPER] && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		layer_off(l, SANDBOX_SUBREAPER, "prctl(PR_SET_CHILD_SUBREAPER)", errno);

	if (l->on[SANDBOX_USER_NS]) {
		uid_t uid = geteuid();
		gid_t gid = getegid();
		if (unshare(CLONE_NEWUSER) < 0) {
			layer_off(l, SANDBOX_USER_NS, "unshare(CLONE_NEWUSER)", errno);
		} else if (map_identity(uid, gid) < 0) {
			/* Unmapped, S would be "nobody" and unable to read its own files: not a state to go on in. */
			return fail_errno(err, errlen, errno, "cannot write the uid/gid map of the new user namespace");
		}
	}

	for (size_t i = 0; i < sizeof(shared_ns) / sizeof(shared_ns[0]); i++)
		if (l->on[shared_ns[i].layer])
			flags |= shared_ns[i].flag;
	if (flags && unshare(flags) < 0) {
		/* Find out which one the host refuses; keep the others. */
		for (size_t i = 0; i < sizeof(shared_ns) / sizeof(shared_ns[0]); i++)
			if (l->on[shared_ns[i].layer] && unshare(shared_ns[i].flag) < 0)
				layer_off(l, shared_ns[i].layer, shared_ns[i].what, errno);
	}

	supervisor_state = *l;
	supervisor_done = true;
	return 0;
}

/* ====================================================================== */
/* Spawning a check child.                                                 */
/* ====================================================================== */

/*
 * glibc keeps the thread's own tid in its thread descriptor (used by recursive mutexes, among others).  fork()
 * refreshes it through CLONE_CHILD_SETTID; a raw clone must do the same, at the address the kernel already knows
 * as this thread's clear_child_tid.  NULL when the kernel won't tell (no CONFIG_CHECKPOINT_RESTORE).
 */
static void *thread_tid_address(void)
{
	void *addr = NULL;
	if (prctl(PR_GET_TID_ADDRESS, &addr, 0, 0, 0) < 0)
		return NULL;
	return addr;
}

/* A raw clone with fork semantics (no new stack).  Returns as fork() does; *pidfd is set in the parent when
 * CLONE_PIDFD was honoured. */
static pid_t clone_fork(uint64_t flags, int *pidfd)
{
	void *tid = thread_tid_address();
	uint64_t tidflags = tid ? (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) : 0;
	long r;

	*pidfd = -1;
	if (!clone3_refused) {
		struct clone3_args args = {
			.flags = flags | tidflags | CLONE_PIDFD,
			.pidfd = (uint64_t)(uintptr_t)pidfd,
			.child_tid = (uint64_t)(uintptr_t)tid,
			.exit_signal = SIGCHLD,
		};
		r = syscall(SYS_clone3, &args, sizeof(args));
		if (r >= 0 || (errno != ENOSYS && errno != EPERM))
			return (pid_t)r;
		/* ENOSYS: old kernel; EPERM: a container profile that only knows clone(). */
		clone3_refused = true;
	}
	/* x86-64 argument order: flags, stack, parent_tid, child_tid, tls.  With CLONE_PIDFD the pidfd goes where
	 * parent_tid would. */
	r = syscall(SYS_clone, (unsigned long)(flags | tidflags | CLONE_PIDFD | SIGCHLD), NULL, pidfd, tid, NULL);
	if (r < 0 && errno == EINVAL) {
		/* Kernels before 5.2 have no CLONE_PIDFD. */
		*pidfd = -1;
		r = syscall(SYS_clone, (unsigned long)(flags | tidflags | SIGCHLD), NULL, NULL, tid, NULL);
	}
	return (pid_t)r;
}

/* First thing in C: die with S, and don't start at all if S is already gone. */
static void child_after_spawn(bool pidns, int parent_fd, pid_t parent)
{
	spawned_child = true;
	spawned_in_pidns = pidns;
	spawned_parent = parent;
	/* C inherits S's table; it has no children of its own yet. */
	memset(spawned, 0, sizeof(spawned));
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (parent_fd >= 0) {
		/* Across a pid namespace getppid() is 0 either way: ask S's pidfd instead. */
		struct pollfd pfd = { .fd = parent_fd, .events = POLLIN };
		if (poll(&pfd, 1, 0) > 0)
			_exit(127);
		close(parent_fd);
	} else if (!pidns && getppid() != parent) {
		_exit(127);
	}
	/* Leader of its own process group, so that S can kill -pgid without a pid namespace. */
	setpgid(0, 0);
}

static void remember_spawn(pid_t pid, bool pidns)
{
	for (size_t i = 0; i < sizeof(spawned) / sizeof(spawned[0]); i++) {
		if (spawned[i].pid <= 0) {
			spawned[i].pid = pid;
			spawned[i].pidns = pidns;
			return;
		}
	}
}

/* Whether pid is a live check child of ours (sandbox_kill_tree() forgets the one it kills first). */
static bool is_spawned(pid_t pid)
{
	for (size_t i = 0; i < sizeof(spawned) / sizeof(spawned[0]); i++)
		if (spawned[i].pid == pid)
			return true;
	return false;
}

/* Returns whether pid was spawned into a pid namespace, and forgets it when forget is set. */
static bool spawned_with_pidns(pid_t pid, bool forget)
{
	for (size_t i = 0; i < sizeof(spawned) / sizeof(spawned[0]); i++) {
		if (spawned[i].pid == pid) {
			bool pidns = spawned[i].pidns;
			if (forget)
				spawned[i].pid = 0;
			return pidns;
		}
	}
	return false;
}

pid_t sandbox_spawn(const struct sandbox_layers *l, int *pidfd)
{
	pid_t parent = getpid(), pid = -1;
	int parent_fd = sys_pidfd_open(parent);
	int fd = -1;
	bool pidns = false;

	if (l->on[SANDBOX_PID_NS] && !pidns_refused) {
		pid = clone_fork(CLONE_NEWPID, &fd);
		if (pid >= 0) {
			pidns = true;
		} else if (errno == EPERM || errno == EINVAL || errno == ENOSPC || errno == EUSERS) {
			/* Not allowed here after all: fall back for this and every later check; sandbox_enter()
			 * reports pid_ns off. */
			pidns_refused = true;
			pidns_refused_err = errno;
		} else {
			goto out;
		}
	}
	if (!pidns) {
		pid = clone_fork(0, &fd);
		if (pid < 0 && (errno == ENOSYS || errno == EPERM))
			pid = fork();
	}
	if (pid == 0) {
		child_after_spawn(pidns, parent_fd, parent);
		return 0;
	}
	if (pid > 0) {
		if (fd < 0)
			fd = sys_pidfd_open(pid);
		setpgid(pid, pid);	/* also from this side, so that it holds whoever runs first */
		remember_spawn(pid, pidns);
	}
out:
	if (parent_fd >= 0) {
		int e = errno;
		close(parent_fd);
		errno = e;
	}
	*pidfd = fd;
	return pid;
}

/* ====================================================================== */
/* Killing a check's process tree.                                         */
/* ====================================================================== */

/* Collects the pids of this process's children (all threads') into kids; returns how many. */
static size_t list_children(pid_t *kids, size_t max)
{
	size_t n = 0;
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *d;
	if (!tasks)
		return 0;
	while ((d = readdir(tasks)) && n < max) {
		char path[sizeof(d->d_name) + 32], buf[4096], *p, *end;
		ssize_t len;
		int fd;
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		for (p = buf; n < max; p = end) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			kids[n++] = (pid_t)v;
		}
	}
	closedir(tasks);
	return n;
}

/* Without a pid namespace, orphans of C re-parent to S (a subreaper): kill and reap all of them. */
static void kill_orphans(pid_t except)
{
	for (int round = 0; round < 64; round++) {
		pid_t kids[256];
		size_t n = list_children(kids, sizeof(kids) / sizeof(kids[0])), killed = 0;
		for (size_t i = 0; i < n; i++) {
			if (kids[i] == except || is_spawned(kids[i]) || kids[i] <= 0)
				continue;
			kill(kids[i], SIGKILL);
			killed++;
		}
		for (size_t i = 0; i < n; i++)
			if (kids[i] != except && !is_spawned(kids[i]) && kids[i] > 0)
				waitpid(kids[i], NULL, __WALL);
		if (!killed)
			return;
	}
}

void sandbox_kill_tree(pid_t pid, int pidfd)
{
	siginfo_t si;
	idtype_t idtype = pidfd >= 0 ? (idtype_t)P_PIDFD : P_PID;
	id_t id = pidfd >= 0 ? (id_t)pidfd : (id_t)pid;
	bool pidns;

	if (pid <= 0)
		return;
	/* Already reaped: its pid (and process group id) may belong to someone else by now. */
	memset(&si, 0, sizeof(si));
	if (waitid(idtype, id, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
		return;

	pidns = spawned_with_pidns(pid, true);
	if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
		kill(pid, SIGKILL);
	/* C's process group: what it forked without a pid namespace (a grandchild that called setsid() escapes
	 * this, the subreaper catches it below). */
	kill(-pid, SIGKILL);

	/* Wait for C's death, leaving it to the caller to reap.  Only then have its orphans re-parented to us. */
	while (waitid(idtype, id, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	if (!pidns)
		kill_orphans(pid);
}

/* ====================================================================== */
/* Probe.                                                                  */
/* ====================================================================== */

static void probe_landlock(struct sandbox_layers *l)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		/* ENOSYS: kernel built without it; EOPNOTSUPP: not in the boot-time lsm= list. */
		layer_off(l, SANDBOX_LANDLOCK, "landlock_create_ruleset", errno);
		l->landlock_abi = 0;
		return;
	}
	l->landlock_abi = (int)abi;
	layer_on(l, SANDBOX_LANDLOCK, NULL);
}

static void probe_seccomp(struct sandbox_layers *l)
{
	/* PR_GET_SECCOMP fails with EINVAL without CONFIG_SECCOMP; libseccomp's API level 3 means the kernel has
	 * SECCOMP_RET_KILL_PROCESS, which the filter relies on. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
		layer_off(l, SANDBOX_SECCOMP, "prctl(PR_GET_SECCOMP)", errno);
		return;
	}
	if (seccomp_api_get() < 3) {
		layer_off(l, SANDBOX_SECCOMP, "kernel or libseccomp without SECCOMP_RET_KILL_PROCESS", 0);
		return;
	}
	layer_on(l, SANDBOX_SECCOMP, NULL);
}

/* In a throw-away child: what S and C will do, for real.  Writes the result struct to fd. */
static void probe_namespaces_child(int fd)
{
	struct sandbox_layers t;
	char err[128];
	int pidfd = -1, status = 0;
	pid_t pid;

	memset(&t, 0, sizeof(t));
	for (int k = SANDBOX_USER_NS; k <= SANDBOX_PIDFD; k++)
		layer_on(&t, (enum sandbox_layer)k, NULL);
	if (sandbox_supervisor_init(&t, err, sizeof(err)) < 0) {
		layer_off(&t, SANDBOX_USER_NS, "uid map refused", 0);
		for (int k = SANDBOX_NET_NS; k <= SANDBOX_PID_NS; k++)
			layer_off(&t, (enum sandbox_layer)k, "uid map refused", 0);
	}
	pid = sandbox_spawn(&t, &pidfd);
	if (pid == 0)
		_exit(getpid() == 1 ? 0 : 1);
	if (pid < 0) {
		layer_off(&t, SANDBOX_PID_NS, "fork", errno);
		layer_off(&t, SANDBOX_PIDFD, "fork", errno);
	} else {
		waitpid(pid, &status, 0);
		if (pidns_refused)
			layer_off(&t, SANDBOX_PID_NS, "clone(CLONE_NEWPID)", pidns_refused_err);
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			layer_off(&t, SANDBOX_PID_NS, "the child was not pid 1", 0);
		if (pidfd < 0)
			layer_off(&t, SANDBOX_PIDFD, "pidfd_open", ENOSYS);
	}
	/* Same binary, same addresses: the static 'why' strings stay valid in the parent. */
	if (write(fd, &t, sizeof(t)) != (ssize_t)sizeof(t))
		_exit(2);
	_exit(0);
}

static void probe_namespaces(struct sandbox_layers *l)
{
	struct sandbox_layers t;
	int fds[2], status;
	pid_t pid;
	ssize_t n = -1;

	if (pipe2(fds, O_CLOEXEC) < 0)
		goto broken;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		probe_namespaces_child(fds[1]);
	}
	close(fds[1]);
	if (pid > 0) {
		do
			n = read(fds[0], &t, sizeof(t));
		while (n < 0 && errno == EINTR);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(fds[0]);
	if (n != (ssize_t)sizeof(t))
		goto broken;
	for (int k = SANDBOX_USER_NS; k <= SANDBOX_PIDFD; k++)
		layer_copy(l, &t, (enum sandbox_layer)k);
	return;
broken:
	for (int k = SANDBOX_USER_NS; k <= SANDBOX_PIDFD; k++)
		layer_off(l, (enum sandbox_layer)k, "the probe child failed", 0);
}

void sandbox_probe(struct sandbox_layers *out)
{
	memset(out, 0, sizeof(*out));
	probe_namespaces(out);
	for (int k = SANDBOX_RLIMITS; k < SANDBOX_NLAYERS; k++)
		layer_on(out, (enum sandbox_layer)k, NULL);
#ifdef UNDER_ASAN
	layer_off(out, SANDBOX_MEMORY, "AddressSanitizer reserves terabytes of address space", 0);
#endif
	probe_landlock(out);
	probe_seccomp(out);
	/* /proc/self/fd/N would reopen the result pipe without Landlock. */
	if (!out->on[SANDBOX_SECCOMP])
		layer_off(out, SANDBOX_RESULT_FD, "needs seccomp", 0);
	else if (!out->on[SANDBOX_LANDLOCK])
		layer_off(out, SANDBOX_RESULT_FD, "needs Landlock (else /proc/self/fd reopens it)", 0);
}

/* ====================================================================== */
/* sandbox_enter: rlimits, capabilities, descriptors.                      */
/* ====================================================================== */

/* Lowers a limit; never raises one (a lower current hard limit wins). */
static int lower_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit cur, want;
	if (getrlimit(resource, &cur) < 0)
		return -1;
	want.rlim_max = hard < cur.rlim_max ? hard : cur.rlim_max;
	want.rlim_cur = soft < want.rlim_max ? soft : want.rlim_max;
	return setrlimit(resource, &want);
}

static int apply_rlimits(const struct sandbox_policy *p, bool pid1, const struct sandbox_layers *l,
			 struct sandbox_layers *applied, char *err, size_t errlen)
{
	if (p->cpu_seconds > 0) {
		rlim_t soft = (rlim_t)ceil(p->cpu_seconds);
		/* As pid 1, C ignores SIGXCPU (no handler, sent from inside): go straight to SIGKILL. */
		if (lower_limit(RLIMIT_CPU, soft, pid1 ? soft : soft + 1) < 0)
			return fail_errno(err, errlen, errno, "setrlimit(RLIMIT_CPU)");
	}
	if (p->file_bytes && lower_limit(RLIMIT_FSIZE, p->file_bytes, p->file_bytes) < 0)
		return fail_errno(err, errlen, errno, "setrlimit(RLIMIT_FSIZE)");
	if (p->max_open_files && lower_limit(RLIMIT_NOFILE, p->max_open_files, p->max_open_files) < 0)
		return fail_errno(err, errlen, errno, "setrlimit(RLIMIT_NOFILE)");
	if (lower_limit(RLIMIT_CORE, 0, 0) < 0)
		return fail_errno(err, errlen, errno, "setrlimit(RLIMIT_CORE)");
	/* Threads count as processes.  Root (and so "root" of S's user namespace) is exempt, hence only a second
	 * line behind seccomp. */
	if (!p->allow_threads && lower_limit(RLIMIT_NPROC, 0, 0) < 0)
		return fail_errno(err, errlen, errno, "setrlimit(RLIMIT_NPROC)");
	layer_on(applied, SANDBOX_RLIMITS, NULL);

	if (!l->on[SANDBOX_MEMORY])
		return 0;	/* off under ASan, with its reason from the probe */
#ifdef UNDER_ASAN
	layer_off(applied, SANDBOX_MEMORY, "AddressSanitizer reserves terabytes of address space", 0);
#else
	if (!p->memory_bytes) {
		layer_off(applied, SANDBOX_MEMORY, "no limit in the policy", 0);
	} else {
		if (lower_limit(RLIMIT_AS, p->memory_bytes, p->memory_bytes) < 0)
			return fail_errno(err, errlen, errno, "setrlimit(RLIMIT_AS)");
		layer_on(applied, SANDBOX_MEMORY, NULL);
	}
#endif
	return 0;
}

static int drop_capabilities(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	/* Bounding set first: it needs CAP_SETPCAP, which we are about to give up.  EPERM (an unprivileged C
	 * without a user namespace) is fine: with no_new_privs nothing can be gained through exec anyway. */
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && (errno == EINVAL || errno == EPERM))
			break;	/* EINVAL past the last capability this kernel knows; EPERM for all or none */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return fail_errno(err, errlen, errno, "capset");
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void close_fds_from(unsigned first, unsigned last)
{
	if (first > last)
		return;
	if (syscall(SYS_close_range, first, last, 0) == 0)
		return;
	/* Before Linux 5.9. */
	for (unsigned fd = first; fd <= last && fd < 65536; fd++)
		close((int)fd);
}

static int close_other_fds(const struct sandbox_policy *p, char *err, size_t errlen)
{
	int keep[64];
	unsigned next = 3;
	if (p->n_keep_fds > sizeof(keep) / sizeof(keep[0]))
		return fail(err, errlen, "too many descriptors to keep (%zu)", p->n_keep_fds);
	for (size_t i = 0; i < p->n_keep_fds; i++) {
		keep[i] = p->keep_fds[i];
		if (keep[i] < 0 || fcntl(keep[i], F_GETFD) < 0)
			return fail_errno(err, errlen, EBADF, "descriptor %d to keep", keep[i]);
	}
	qsort(keep, p->n_keep_fds, sizeof(keep[0]), cmp_int);
	for (size_t i = 0; i < p->n_keep_fds; i++) {
		if (keep[i] < 3)
			continue;
		close_fds_from(next, (unsigned)keep[i] - 1);
		next = (unsigned)keep[i] + 1;
	}
	close_fds_from(next, ~0U);
	return 0;
}

/* Landlock applies to the calling thread only: a second thread would run unconfined. */
static int count_threads(void)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nThreads:");
	return p ? atoi(p + 9) : -1;
}

/* ====================================================================== */
/* Landlock.                                                               */
/* ====================================================================== */

static uint64_t landlock_fs_rights(int abi)
{
	uint64_t all = (LL_FS_MAKE_SYM << 1) - 1;	/* ABI 1 */
	if (abi >= 2)
		all |= LL_FS_REFER;
	if (abi >= 3)
		all |= LL_FS_TRUNCATE;
	if (abi >= 5)
		all |= LL_FS_IOCTL_DEV;
	return all;
}

/* Adds "path and everything beneath it may be accessed with rights".  A missing path is not an error (an optional
 * /usr/lib64, say); anything else is. */
static int landlock_allow(int ruleset, const char *path, uint64_t rights, uint64_t handled, char *err, size_t errlen)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return fail_errno(err, errlen, errno, "landlock: cannot open '%s'", path);
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return fail_errno(err, errlen, e, "landlock: cannot stat '%s'", path);
	}
	pb.allowed_access = rights & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FS_FILE_RIGHTS;
	pb.parent_fd = fd;
	if (pb.allowed_access && syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
		int e = errno;
		close(fd);
		return fail_errno(err, errlen, e, "landlock: cannot add a rule for '%s'", path);
	}
	close(fd);
	return 0;
}

static int apply_landlock(const struct sandbox_policy *p, int abi, char *err, size_t errlen)
{
	/* Everything a student needs in the scratch directory, but no symlinks (a link planted for the grader to
	 * follow later), devices, fifos or sockets, and no execution. */
	const uint64_t scratch = LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_READ_DIR | LL_FS_REMOVE_DIR |
		LL_FS_REMOVE_FILE | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_REFER | LL_FS_TRUNCATE;
	const uint64_t readonly = LL_FS_READ_FILE | LL_FS_READ_DIR;
	/* open("/dev/null", "w") truncates. */
	const uint64_t devnull = LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE;
	struct ll_ruleset_attr attr;
	size_t attr_size = sizeof(attr.handled_access_fs);
	int rs, rc = -1;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = landlock_fs_rights(abi);
	if (abi >= 4) {
		/* Handled and never granted: no TCP bind or connect, whatever the network namespace. */
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attr_size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		/* No signals to processes outside this domain (S, other checks); no abstract unix sockets. */
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (rs < 0)
		return fail_errno(err, errlen, errno, "landlock_create_ruleset");
	for (const char *const *path = p->read_paths; path && *path; path++)
		if (landlock_allow(rs, *path, readonly, attr.handled_access_fs, err, errlen) < 0)
			goto done;
	if (landlock_allow(rs, "/dev/null", devnull, attr.handled_access_fs, err, errlen) < 0)
		goto done;
	if (landlock_allow(rs, p->scratch_dir, scratch, attr.handled_access_fs, err, errlen) < 0)
		goto done;
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0) {
		fail_errno(err, errlen, errno, "landlock_restrict_self");
		goto done;
	}
	rc = 0;
done:
	close(rs);
	return rc;
}

/* ====================================================================== */
/* seccomp.                                                                */
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
		struct scmp_arg_cmp cmp = SCMP_CMP(arg, SCMP_CMP_EQ, vals[i]);
		if (sc_rule(ctx, SCMP_ACT_ALLOW, name, 1, &cmp) < 0)
			return -1;
	}
	return 0;
}

/* Allow when argument arg == v, EPERM otherwise. */
static int sc_allow_eq_else_eperm(scmp_filter_ctx ctx, const char *name, unsigned arg, uint64_t v)
{
	struct scmp_arg_cmp eq = SCMP_CMP(arg, SCMP_CMP_EQ, v), ne = SCMP_CMP(arg, SCMP_CMP_NE, v);
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
		struct scmp_arg_cmp ne = SCMP_CMP(0, SCMP_CMP_NE, (uint64_t)p->result_fd);
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

static int apply_seccomp(const struct sandbox_policy *p, bool rfd_socket, char *err, size_t errlen)
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
/* ====================================================================== */

static bool fd_is_kept(const struct sandbox_policy *p, int fd)
{
	if (fd >= 0 && fd <= 2)
		return true;
	for (size_t i = 0; i < p->n_keep_fds; i++)
		if (p->keep_fds[i] == fd)
			return true;
	return false;
}

/* The layers set up before C existed, as this process inherited them. */
static void report_inherited(const struct sandbox_layers *l, struct sandbox_layers *applied)
{
	static const enum sandbox_layer from_s[] = {
		SANDBOX_USER_NS, SANDBOX_NET_NS, SANDBOX_IPC_NS, SANDBOX_UTS_NS, SANDBOX_SUBREAPER,
	};
	for (size_t i = 0; i < sizeof(from_s) / sizeof(from_s[0]); i++) {
		if (supervisor_done)
			layer_copy(applied, &supervisor_state, from_s[i]);
		else
			layer_off(applied, from_s[i], "sandbox_supervisor_init() was not called", 0);
	}
	if (!spawned_child) {
		layer_off(applied, SANDBOX_PID_NS, "not started by sandbox_spawn()", 0);
		layer_off(applied, SANDBOX_PIDFD, "not started by sandbox_spawn()", 0);
	} else {
		if (spawned_in_pidns)
			layer_on(applied, SANDBOX_PID_NS, NULL);
		else if (l->on[SANDBOX_PID_NS])
			layer_off(applied, SANDBOX_PID_NS, "clone(CLONE_NEWPID)", pidns_refused_err);
		else
			layer_copy(applied, l, SANDBOX_PID_NS);
		layer_copy(applied, l, SANDBOX_PIDFD);
	}
}

int sandbox_enter(const struct sandbox_policy *p, const struct sandbox_layers *l, struct sandbox_layers *applied,
		  char *err, size_t errlen)
{
	bool pid1 = getpid() == 1, rfd_socket = false;
	struct stat st;
	int threads;

	/* Layers C applies start off: "not reached" if a failure stops before them, the probe's reason if the
	 * host lacks them. */
	*applied = *l;
	for (int k = SANDBOX_RLIMITS; k < SANDBOX_NLAYERS; k++)
		if (l->on[k])
			layer_off(applied, (enum sandbox_layer)k, "not reached", 0);
	report_inherited(l, applied);

	if (!p->scratch_dir || p->scratch_dir[0] != '/')
		return fail(err, errlen, "the scratch directory must be an absolute path");
	if (p->result_fd >= 0) {
		if (!fd_is_kept(p, p->result_fd))
			return fail(err, errlen, "the result descriptor %d is not in keep_fds", p->result_fd);
		if (fstat(p->result_fd, &st) < 0)
			return fail_errno(err, errlen, errno, "result descriptor %d", p->result_fd);
		if (!S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode))
			return fail(err, errlen, "the result descriptor must be a socket or a pipe");
		rfd_socket = S_ISSOCK(st.st_mode);
	}
	/* A child fresh from sandbox_spawn() has one thread (fork copies only the caller) and has run nothing
	 * since: /proc/self/status, the slow way to count, is for other callers. */
	threads = spawned_child ? 1 : count_threads();
	if (threads > 1)
		return fail(err, errlen, "%d threads are running; the sandbox would only confine one", threads);

	/* 1. The scratch directory is the cwd, so that relative paths in student code land there. */
	if (chdir(p->scratch_dir) < 0)
		return fail_errno(err, errlen, errno, "cannot enter '%s'", p->scratch_dir);

	/* 2. Limits, while setrlimit() is still allowed. */
	if (apply_rlimits(p, pid1, l, applied, err, errlen) < 0)
		return -1;

	/* 3. Not dumpable: no core, no ptrace or /proc/<pid>/mem by other processes of the same uid (other
	 * students' checks).  Then no capabilities: in S's user namespace C would otherwise hold all of them. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail_errno(err, errlen, errno, "prctl(PR_SET_DUMPABLE)");
	if (drop_capabilities(err, errlen) < 0)
		return -1;
	layer_on(applied, SANDBOX_CAPS, NULL);

	/* 4. Required by Landlock and seccomp without CAP_SYS_ADMIN. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_errno(err, errlen, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	layer_on(applied, SANDBOX_NO_NEW_PRIVS, NULL);

	/* 5. sandbox_spawn() set this already; a C made by plain fork() gets it here.  Credential changes
	 * (step 3 only shrinks them) do not clear it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return fail_errno(err, errlen, errno, "prctl(PR_SET_PDEATHSIG)");
	if (!pid1 && spawned_child && getppid() != spawned_parent)
		return fail(err, errlen, "the supervisor has exited");
	layer_on(applied, SANDBOX_PDEATHSIG, NULL);

	/* 6. Nothing of the grader's stays reachable by number. */
	if (close_other_fds(p, err, errlen) < 0)
		return -1;
	layer_on(applied, SANDBOX_CLOSE_FDS, NULL);

	/* 7. Files. */
	if (l->on[SANDBOX_LANDLOCK]) {
		if (apply_landlock(p, l->landlock_abi, err, errlen) < 0)
			return -1;
		layer_on(applied, SANDBOX_LANDLOCK, NULL);
	}

	/* 8. System calls, last. */
	if (l->on[SANDBOX_SECCOMP]) {
		if (apply_seccomp(p, rfd_socket, err, errlen) < 0)
			return -1;
		layer_on(applied, SANDBOX_SECCOMP, NULL);
	}
	if (p->result_fd < 0)
		layer_off(applied, SANDBOX_RESULT_FD, "no result descriptor in the policy", 0);
	else if (!applied->on[SANDBOX_SECCOMP] || !applied->on[SANDBOX_LANDLOCK])
		layer_off(applied, SANDBOX_RESULT_FD, "needs seccomp and Landlock", 0);
	else if (!rfd_socket)
		/* Landlock always allows pipefs: open("/proc/self/fd/N") gives a second, unfiltered descriptor. */
		layer_off(applied, SANDBOX_RESULT_FD, "a pipe can be reopened through /proc/self/fd; use a socket", 0);
	else
		layer_on(applied, SANDBOX_RESULT_FD, NULL);
	return 0;
}

/* ====================================================================== */
/* Results and paths.                                                      */
/* ====================================================================== */

/* A socket copies what it is given: sendmmsg(), looping over partial sends. */
static int write_result_socket(int fd, const char *data, size_t len)
{
	size_t off = 0;
	while (off < len) {
		struct iovec iov = { .iov_base = (void *)(data + off), .iov_len = len - off };
		struct mmsghdr m;
		int n;
		memset(&m, 0, sizeof(m));
		m.msg_hdr.msg_iov = &iov;
		m.msg_hdr.msg_iovlen = 1;
		n = sendmmsg(fd, &m, 1, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += m.msg_len;
	}
	return 0;
}

int sandbox_write_result(int fd, const void *data, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t maplen, off = 0;
	struct stat st;
	char *copy;

	if (!len)
		return 0;
	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISSOCK(st.st_mode))
		return write_result_socket(fd, data, len);
	maplen = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	/* vmsplice() hands the pipe references to these pages: they must never change again, so they are fresh
	 * ones, unmapped (not reused) afterwards.  The pipe keeps them alive until S has read them. */
	copy = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return -1;
	memcpy(copy, data, len);
	while (off < len) {
		struct iovec iov = { .iov_base = copy + off, .iov_len = len - off };
		ssize_t n = vmsplice(fd, &iov, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0) {
			int e = errno;
			munmap(copy, maplen);
			errno = e;
			return -1;
		}
		off += (size_t)n;
	}
	munmap(copy, maplen);
	return 0;
}

const char *const *sandbox_system_read_paths(void)
{
	static const char *const paths[] = {
		"/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib",	/* shared libraries, locales */
		"/etc/ld.so.cache",		/* how the dynamic loader finds them */
		"/etc/localtime", "/usr/share/zoneinfo",	/* time.localtime(), zoneinfo */
		"/dev/null", "/dev/urandom", "/dev/random",
		NULL,
	};
	return paths;
}
