#include "sandbox/internal.h"

#include "base/error.h"

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

/* What sandbox_enter() requires before it changes anything: an absolute
 * scratch directory, a result descriptor that is kept and is a socket or
 * a pipe (*rfd_socket says which), one thread.  Returns 0 or -1. */
static int check_preconditions(const struct sandbox_policy *p, bool *rfd_socket, char *err, size_t errlen)
{
	struct stat st;
	*rfd_socket = false;
	if (!p->scratch_dir || p->scratch_dir[0] != '/')
		return fail(err, errlen, "the scratch directory must be an absolute path");
	if (p->result_fd >= 0) {
		if (!fd_is_kept(p, p->result_fd))
			return fail(err, errlen, "the result descriptor %d is not in keep_fds", p->result_fd);
		if (fstat(p->result_fd, &st) < 0)
			return fail_errno(err, errlen, errno, "result descriptor %d", p->result_fd);
		if (!S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode))
			return fail(err, errlen, "the result descriptor must be a socket or a pipe");
		*rfd_socket = S_ISSOCK(st.st_mode);
	}
	/* A child fresh from sandbox_spawn() has one thread (fork copies only the caller) and has run nothing
	 * since: /proc/self/status, the slow way to count, is for other callers. */
	int threads = spawned_child ? 1 : count_threads();
	if (threads > 1)
		return fail(err, errlen, "%d threads are running; the sandbox would only confine one", threads);
	return 0;
}

/* Steps 3 to 6 of sandbox_enter(): the process's own settings, each
 * recorded in applied as it takes hold.  Returns 0 or -1. */
static int apply_process_settings(const struct sandbox_policy *p, bool pid1, struct sandbox_layers *applied, char *err,
				  size_t errlen)
{
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
	return 0;
}

/* The result descriptor is a layer only when nothing can get a second,
 * unfiltered copy of it. */
static void settle_result_fd(const struct sandbox_policy *p, bool rfd_socket, struct sandbox_layers *applied)
{
	if (p->result_fd < 0)
		layer_off(applied, SANDBOX_RESULT_FD, "no result descriptor in the policy", 0);
	else if (!applied->on[SANDBOX_SECCOMP] || !applied->on[SANDBOX_LANDLOCK])
		layer_off(applied, SANDBOX_RESULT_FD, "needs seccomp and Landlock", 0);
	else if (!rfd_socket)
		/* Landlock always allows pipefs: open("/proc/self/fd/N") gives a second, unfiltered descriptor. */
		layer_off(applied, SANDBOX_RESULT_FD, "a pipe can be reopened through /proc/self/fd; use a socket", 0);
	else
		layer_on(applied, SANDBOX_RESULT_FD, NULL);
}

int sandbox_enter(const struct sandbox_policy *p, const struct sandbox_layers *l, struct sandbox_layers *applied,
		  char *err, size_t errlen)
{
	bool pid1 = getpid() == 1, rfd_socket = false;

	/* Layers C applies start off: "not reached" if a failure stops before them, the probe's reason if the
	 * host lacks them. */
	*applied = *l;
	for (int k = SANDBOX_RLIMITS; k < SANDBOX_NLAYERS; k++)
		if (l->on[k])
			layer_off(applied, (enum sandbox_layer)k, "not reached", 0);
	report_inherited(l, applied);

	if (check_preconditions(p, &rfd_socket, err, errlen) < 0)
		return -1;

	/* 1. The scratch directory is the cwd, so that relative paths in student code land there. */
	if (chdir(p->scratch_dir) < 0)
		return fail_errno(err, errlen, errno, "cannot enter '%s'", p->scratch_dir);

	/* 2. Limits, while setrlimit() is still allowed. */
	if (apply_rlimits(p, pid1, l, applied, err, errlen) < 0)
		return -1;

	/* 3.-6. Dumpable, capabilities, no_new_privs, parent-death signal, descriptors. */
	if (apply_process_settings(p, pid1, applied, err, errlen) < 0)
		return -1;

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
	settle_result_fd(p, rfd_socket, applied);
	return 0;
}

