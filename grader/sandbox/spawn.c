#include "sandbox/internal.h"

#include "base/error.h"

/* ====================================================================== */
/* State that crosses fork: what S set up, how C was spawned.              */
/* ====================================================================== */

/* Written by sandbox_supervisor_init() in S; C inherits the copy and reports it from sandbox_enter(). */
struct sandbox_layers supervisor_state;
bool supervisor_done;

/* Written in C by sandbox_spawn(). */
bool spawned_child;
bool spawned_in_pidns;
pid_t spawned_parent;

/* In S: how each live check child was spawned, for sandbox_kill_tree(). */
struct spawned_child spawned[16];

/* Sticky fallbacks, so that a refused clone3() or CLONE_NEWPID is not retried for every check. */
bool clone3_refused, pidns_refused;
int pidns_refused_err;


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

