#include "sandbox/internal.h"

#include "base/error.h"

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
