#include "zygote.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"
#include "pyhost.h"
#include "supervisor.h"

static json_t *exit_status(int status)
{
	if (WIFSIGNALED(status))
		return json_pack("{s:i}", "signal", WTERMSIG(status));
	return json_pack("{s:i}", "exit", WEXITSTATUS(status));
}

int zygote_main(int fd)
{
	char err[256] = "";
	/* If the controller dies, so do we (and, through the same setting in
	 * each generation, everything below us). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	if (pyhost_start(err, sizeof(err)) < 0) {
		json_t *msg = json_pack("{s:s, s:s}", "op", "error", "message", err);
		proto_send(fd, msg);
		json_decref(msg);
		return 1;
	}
	json_t *ready = json_pack("{s:s, s:s, s:i, s:i, s:i, s:I, s:I}", "op", "ready", "python", pyhost.version,
				  "major", pyhost.major, "minor", pyhost.minor, "micro", pyhost.micro,
				  "hexversion", (json_int_t)pyhost.hexversion, "refcount_offset",
				  (json_int_t)pyhost.refcount_call_offset);
	int rc = proto_send(fd, ready);
	json_decref(ready);
	if (rc < 0)
		return 1;

	for (;;) {
		json_t *msg = NULL;
		rc = proto_recv(fd, &msg, 1 << 20, 0);
		if (rc < 0)
			return rc == PROTO_EOF ? 0 : 1;
		const char *op = json_string_value(json_object_get(msg, "op"));
		if (!op || !strcmp(op, "quit")) {
			json_decref(msg);
			return 0;
		}
		if (strcmp(op, "exercise")) {
			json_decref(msg);
			continue;
		}
		pid_t pid = fork();
		if (pid == 0) {
			PyOS_AfterFork_Child();
			supervisor_main(fd, msg);
		}
		json_decref(msg);
		int status = 0;
		json_t *end;
		if (pid < 0) {
			end = json_pack("{s:s, s:s}", "op", "exercise_end", "error", strerror(errno));
		} else {
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			end = json_pack("{s:s, s:o}", "op", "exercise_end", "status", exit_status(status));
		}
		rc = proto_send(fd, end);
		json_decref(end);
		if (rc < 0)
			return 1;
	}
}
