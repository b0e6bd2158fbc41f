#include "run/zygote.h"

#include "base/error.h"

#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/audit.h"
#include "base/wire.h"
#include "measure/bytecode.h"
#include "py/fixtures.h"
#include "py/memfix.h"
#include "py/pyhost.h"
#include "sandbox/sandbox.h"
#include "run/scratch.h"
#include "run/supervisor.h"
#include "base/util.h"

#define PROBE_TIMEOUT 60.0

int zygote_start_python(char *err, size_t errlen)
{
	if (pyhost_start(err, errlen) < 0 || fixtures_start(err, errlen) < 0 || memfix_start(err, errlen) < 0 ||
	    bytecode_init(err, errlen) < 0)
		return -1;
	if (audit_prepare() < 0) {
		PyErr_Clear();
		return fail(err, errlen, "cannot prepare the audit hook");
	}
	pyhost_freeze();
	return 0;
}

static json_t *exit_status(int status)
{
	if (WIFSIGNALED(status))
		return json_pack("{s:i}", WIRE_KEY_SIGNAL, WTERMSIG(status));
	return json_pack("{s:i}", WIRE_KEY_EXIT, WEXITSTATUS(status));
}

/* Says why the zygote cannot serve (WIRE_OP_ERROR); its exit status. */
static int start_failed(int fd, const char *why)
{
	wire_send_new(fd, json_pack("{s:s, s:s}", WIRE_KEY_OP, WIRE_OP_ERROR, WIRE_KEY_MESSAGE, why));
	return 1;
}

/* The controller's probe of the host (WIRE_OP_PROBE, its first message),
 * into *out: the host is probed once per run, by the controller. */
static int receive_probe(int fd, struct sandbox_layers *out, char *err, size_t errlen)
{
	static json_t *msg; /* owned until exit: out->why[] points into it */
	int rc = wire_recv(fd, &msg, WIRE_HELLO_MAX, now_seconds() + PROBE_TIMEOUT);
	if (rc < 0)
		return fail(err, errlen, "no sandbox probe from the controller: %s", wire_strerror(rc));
	if (strcmp(wire_op(msg), WIRE_OP_PROBE) || sandbox_layers_decode(json_object_get(msg, WIRE_KEY_SANDBOX), out) < 0)
		return fail(err, errlen, "%s", "malformed sandbox probe from the controller");
	return 0;
}

/* The read-only paths of every check: Python's own directories, then the
 * system's, canonical once here so that no check child resolves them again;
 * paths this host does not have are left out.  Fills paths (NULL-ended, at
 * most max entries with the NULL); the strings are owned until exit.
 * Returns 0, or -1 with words in err. */
static int collect_read_paths(const char **paths, size_t max, char *err, size_t errlen)
{
	char **python_paths = audit_python_paths(); /* owned until exit */
	if (!python_paths) {
		PyErr_Clear();
		return fail(err, errlen, "cannot find Python's directories");
	}
	size_t n = 0;
	for (char **p = python_paths; *p && n < max - 16; p++) /* room left for the system's */
		paths[n++] = *p;
	for (const char *const *p = sandbox_system_read_paths(); *p && n < max - 1; p++) {
		char *real = realpath(*p, NULL); /* owned until exit */
		if (real)
			paths[n++] = real;
	}
	paths[n] = NULL;
	return 0;
}

/* Everything done once per run before the first submission: CPython warm,
 * the probed layers received, the shared namespaces and the compiled
 * seccomp filter, the read-only paths.  Returns 0, or -1 with words in err. */
static int zygote_prepare(int fd, struct sandbox_layers *probed, const char **read_paths, size_t max_paths, char *err,
			  size_t errlen)
{
	if (zygote_start_python(err, errlen) < 0)
		return -1;
	/* What every check child would otherwise do to the shared heap: the
	 * interpreter state for the scratch path they all get, and the
	 * prepared sys.stdout; a child that finds them done writes nothing. */
	if (audit_preset(SCRATCH_TMPFS_DIR) < 0 || pyhost_setup_stdio() < 0)
		PyErr_Clear(); /* then each child does it */
	/* Once per run: which isolation layers this host allows (probed by
	 * the controller). */
	if (receive_probe(fd, probed, err, errlen) < 0)
		return -1;
	/* The namespaces every check shares (user, network, IPC, UTS) and the
	 * compiled seccomp filter: once here rather than per supervisor, since
	 * a network namespace costs milliseconds to create and to destroy.
	 * Everything the supervisors need from the host (submission files,
	 * a scratch directory under /tmp) stays reachable: the user namespace
	 * maps our own uid and gid to themselves. */
	if (sandbox_supervisor_init(probed, err, errlen) < 0)
		return -1;
	if (sandbox_prepare(supervisor_policy_template(), probed, err, errlen) < 0)
		err[0] = '\0'; /* each check child then compiles the filter itself */
	return collect_read_paths(read_paths, max_paths, err, errlen);
}

/* Grades one submission in a forked supervisor, waits for it, and tells
 * the controller how it ended.  Takes msg.  Returns 0, or -1 when the
 * controller is gone. */
static int serve_submission(int fd, json_t *msg, const struct sandbox_layers *probed, const char *const *read_paths)
{
	PyOS_BeforeFork();
	pid_t pid = fork();
	if (pid == 0) {
		PyOS_AfterFork_Child();
		supervisor_main(fd, msg, probed, read_paths);
	}
	PyOS_AfterFork_Parent();
	json_decref(msg);
	int status = 0;
	json_t *end;
	if (pid < 0) {
		end = json_pack("{s:s, s:s}", WIRE_KEY_OP, WIRE_OP_SUPERVISOR_END, WIRE_KEY_ERROR, strerror(errno));
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		/* As the subreaper, we inherit what a dead supervisor left. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		end = json_pack("{s:s, s:o}", WIRE_KEY_OP, WIRE_OP_SUPERVISOR_END, WIRE_KEY_STATUS, exit_status(status));
	}
	int rc = wire_send(fd, end);
	json_decref(end);
	return rc < 0 ? -1 : 0;
}

int zygote_main(int fd)
{
	char err[256] = "";
	/* If the controller dies, so do we (and, through the same setting in
	 * each generation, everything below us). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	struct sandbox_layers probed;
	const char *read_paths[40];
	if (zygote_prepare(fd, &probed, read_paths, ARRAY_SIZE(read_paths), err, sizeof(err)) < 0)
		return start_failed(fd, err);

	/* What the controller uses; the layers it probed itself. */
	json_t *ready = json_pack("{s:s, s:s, s:i, s:i}", WIRE_KEY_OP, WIRE_OP_READY, WIRE_KEY_PYTHON, pyhost.version,
				  WIRE_KEY_MAJOR, pyhost.major, WIRE_KEY_MINOR, pyhost.minor);
	int rc = wire_send(fd, ready);
	json_decref(ready);
	if (rc < 0)
		return 1;
	/* Start-up left small free chunks all over the C heap; every forked
	 * process's first mallocs would write their headers, a copied page
	 * each.  Merged and handed back once here, they cost nobody. */
	malloc_trim(0);

	for (;;) {
		json_t *msg = NULL;
		rc = wire_recv(fd, &msg, WIRE_CONTROL_MAX, 0);
		if (rc < 0)
			return rc == WIRE_EOF ? 0 : 1;
		const char *op = wire_op(msg);
		if (!*op || !strcmp(op, WIRE_OP_QUIT)) {
			json_decref(msg);
			return 0;
		}
		if (strcmp(op, WIRE_OP_SUBMISSION)) {
			json_decref(msg);
			continue;
		}
		if (serve_submission(fd, msg, &probed, read_paths) < 0)
			return 1;
	}
}
