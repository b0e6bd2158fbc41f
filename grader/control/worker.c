#include "control/worker.h"

#include "base/error.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/wire.h"
#include "base/util.h"
#include "run/zygote.h"

#define START_TIMEOUT 60.0
#define COMPILE_TIMEOUT 30.0
#define RESULT_GRACE 10.0

int worker_start(struct worker *w, char *err, size_t errlen)
{
	int sv[2];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return fail(err, errlen, "cannot find the grade binary: %s", strerror(errno));
	exe[n] = '\0';
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return fail(err, errlen, "cannot create a channel: %s", strerror(errno));

	/* Only the sanitizers' settings pass into the zygote's environment. */
	static const char *const keep[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
	char *envp[ARRAY_SIZE(keep) + 1] = { 0 };
	size_t ne = 0;
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		const char *v = getenv(keep[i]);
		if (v)
			envp[ne++] = xasprintf("%s=%s", keep[i], v);
	}

	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		if (dup2(sv[1], WIRE_FD_ZYGOTE) < 0)
			_exit(127);
		syscall(SYS_close_range, WIRE_FD_ZYGOTE + 1, ~0U, 0);
		char fdtext[16];
		snprintf(fdtext, sizeof(fdtext), "%d", WIRE_FD_ZYGOTE);
		char *argv[] = { exe, ZYGOTE_FLAG, fdtext, NULL };
		execve(exe, argv, envp);
		_exit(127);
	}
	for (size_t i = 0; i < ne; i++)
		free(envp[i]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return fail(err, errlen, "cannot start the interpreter process: %s", strerror(errno));
	}
	w->pid = pid;
	w->fd = sv[0];

	assert(w->probe);
	if (wire_send_new(w->fd, json_pack("{s:s, s:o}", WIRE_KEY_OP, WIRE_OP_PROBE, WIRE_KEY_SANDBOX,
					   sandbox_layers_encode(w->probe))) < 0) {
		worker_stop(w);
		return fail(err, errlen, "the interpreter process is gone: %s", strerror(errno));
	}
	json_t *ready = NULL;
	int rc = wire_recv(w->fd, &ready, WIRE_HELLO_MAX, now_seconds() + START_TIMEOUT);
	if (rc < 0) {
		worker_stop(w);
		return fail(err, errlen, "the embedded Python did not start: %s", wire_strerror(rc));
	}
	if (strcmp(wire_op(ready), WIRE_OP_READY)) {
		fail(err, errlen, "the embedded Python did not start: %s",
		     str_or(json_string_value(json_object_get(ready, WIRE_KEY_MESSAGE)), "unexpected message"));
		json_decref(ready);
		worker_stop(w);
		return -1;
	}
	snprintf(w->python, sizeof(w->python), "%s", str_or(json_string_value(json_object_get(ready, WIRE_KEY_PYTHON)), "?"));
	w->major = (int)json_integer_value(json_object_get(ready, WIRE_KEY_MAJOR));
	w->minor = (int)json_integer_value(json_object_get(ready, WIRE_KEY_MINOR));
	json_decref(ready);
	return 0;
}

static int recv_op(struct worker *w, json_t **out, const char *want, double deadline, char *err, size_t errlen)
{
	json_t *msg = NULL;
	int rc = wire_recv(w->fd, &msg, WIRE_RESULT_MAX, deadline);
	if (rc < 0)
		return fail(err, errlen, "%s", wire_strerror(rc));
	const char *op = wire_op(msg);
	if (!strcmp(op, want)) {
		*out = msg;
		return 0;
	}
	if (!strcmp(op, WIRE_OP_SUPERVISOR_END)) {
		/* The supervisor died under us: the zygote says how. */
		json_t *st = json_object_get(msg, WIRE_KEY_STATUS);
		json_int_t sig = json_integer_value(json_object_get(st, WIRE_KEY_SIGNAL));
		char what[64];
		snprintf(what, sizeof(what), sig ? "signal %d" : "status %d",
			 (int)(sig ? sig : json_integer_value(json_object_get(st, WIRE_KEY_EXIT))));
		w->in_exercise = false;
		w->supervisor = 0;
		free(w->dir);
		w->dir = NULL;
		fail(err, errlen, "the grading process for this submission died (%s)", what);
	} else {
		fail(err, errlen, "unexpected message '%s' from the interpreter process", *op ? op : "?");
	}
	json_decref(msg);
	return -1;
}

/*
 * The controller, the supervisor and the check child of a submission take
 * turns (each waits for the other's answer), so they run best on one CPU:
 * a wake-up there is a context switch with the data still in cache, across
 * CPUs an interrupt and cold caches (bench/README.md: ~13% of a course
 * submission's CPU).  The CPU is chosen afresh for every submission (the
 * one we are on), so that concurrent runs and lanes spread as the
 * scheduler sees fit.  Returns it, or -1.
 */
static int pin_to_this_cpu(struct worker *w)
{
	int cpu = sched_getcpu();
	if (cpu < 0 || cpu >= CPU_SETSIZE || (!w->pinned && sched_getaffinity(0, sizeof(w->cpus), &w->cpus) < 0))
		return -1;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0)
		return -1;
	w->pinned = true;
	return cpu;
}

static void unpin(struct worker *w)
{
	if (w->pinned)
		sched_setaffinity(0, sizeof(w->cpus), &w->cpus);
	w->pinned = false;
}

int worker_begin(struct worker *w, const char *dir, const struct exercise *ex, json_t **compiled,
		 char *err, size_t errlen)
{
	if (w->supervisor && strcmp(w->dir, dir))
		worker_finish(w);
	if (!w->supervisor) {
		json_t *job = json_pack("{s:s, s:s, s:i}", WIRE_KEY_OP, WIRE_OP_SUBMISSION, WIRE_KEY_DIR, dir, WIRE_KEY_CPU,
					pin_to_this_cpu(w));
		int rc = wire_send(w->fd, job);
		json_decref(job);
		if (rc < 0)
			return fail(err, errlen, "the interpreter process is gone: %s", strerror(errno));
		json_t *hello = NULL;
		if (recv_op(w, &hello, WIRE_OP_HELLO, now_seconds() + START_TIMEOUT, err, errlen) < 0)
			return -1;
		w->supervisor = (pid_t)json_integer_value(json_object_get(hello, WIRE_KEY_PID));
		w->dir = xstrdup(dir);
		json_decref(hello);
	}
	json_t *files = json_array();
	for (size_t i = 0; i < ex->n_files; i++)
		json_array_append_new(files, json_string(ex->files[i]));
	json_t *job = json_pack("{s:s, s:s, s:o}", WIRE_KEY_OP, WIRE_OP_EXERCISE, WIRE_KEY_EXERCISE, ex->id,
				WIRE_KEY_FILES, files);
	int rc = wire_send(w->fd, job);
	json_decref(job);
	if (rc < 0)
		return fail(err, errlen, "the interpreter process is gone: %s", strerror(errno));
	w->in_exercise = true;
	json_t *msg = NULL;
	if (recv_op(w, &msg, WIRE_OP_COMPILED, now_seconds() + COMPILE_TIMEOUT, err, errlen) < 0)
		return -1;
	*compiled = json_incref(json_object_get(msg, WIRE_KEY_FILES));
	json_decref(msg);
	return 0;
}

int worker_check(struct worker *w, const struct exercise *ex, const struct check *c, const struct limits *lim,
		 bool fresh, json_t **result, char *err, size_t errlen)
{
	if (!w->in_exercise)
		return fail(err, errlen, "%s", "no exercise in progress");
	json_t *header = json_pack("{s:s, s:{s:f, s:f, s:I, s:I}, s:b}", WIRE_KEY_OP, WIRE_OP_CHECK, WIRE_KEY_LIMITS,
				   WIRE_KEY_WALL, lim->wall_seconds, WIRE_KEY_CPU, lim->cpu_seconds,
				   WIRE_KEY_MEMORY, (json_int_t)lim->memory_bytes,
				   WIRE_KEY_OUTPUT, (json_int_t)lim->output_bytes, WIRE_KEY_FRESH, fresh);
	/* Only the check's own inputs: never 'expect', never other checks. */
	json_t *request = json_pack("{s:s, s:s, s:s, s:O}", WIRE_KEY_EXERCISE, ex->id, WIRE_KEY_CHECK, c->id,
				    WIRE_KEY_KIND, check_kind_name(c->kind), WIRE_KEY_SPEC, c->spec);
	int rc = wire_send(w->fd, header);
	if (rc == 0)
		rc = wire_send(w->fd, request);
	json_decref(header);
	json_decref(request);
	if (rc < 0)
		return fail(err, errlen, "the interpreter process is gone: %s", strerror(errno));
	return recv_op(w, result, WIRE_OP_RESULT, now_seconds() + lim->wall_seconds + RESULT_GRACE, err, errlen);
}

void worker_end(struct worker *w)
{
	/* The supervisor hands the exercise's check child the next exercise
	 * (or replaces it), or ends it with the submission. */
	w->in_exercise = false;
}

void worker_finish(struct worker *w)
{
	w->in_exercise = false;
	unpin(w);
	if (!w->supervisor)
		return;
	wire_send_new(w->fd, json_pack("{s:s}", WIRE_KEY_OP, WIRE_OP_DONE));
	for (int attempt = 0; attempt < 2; attempt++) {
		json_t *msg = NULL;
		int rc = wire_recv(w->fd, &msg, WIRE_RESULT_MAX, now_seconds() + 5.0);
		bool ended = rc == 0 && !strcmp(wire_op(msg), WIRE_OP_SUPERVISOR_END);
		json_decref(msg);
		if (ended)
			break;
		/* Stuck or confused: kill the supervisor; the zygote reaps it and
		 * tells us, which brings the channel back in step. */
		if (w->supervisor > 0)
			kill(w->supervisor, SIGKILL);
		if (rc == WIRE_EOF)
			break;
	}
	w->supervisor = 0;
	free(w->dir);
	w->dir = NULL;
}

void worker_stop(struct worker *w)
{
	worker_finish(w);
	if (w->fd >= 0) {
		wire_send_new(w->fd, json_pack("{s:s}", WIRE_KEY_OP, WIRE_OP_QUIT));
		close(w->fd);
		w->fd = -1;
	}
	if (w->pid > 0) {
		int status;
		double deadline = now_seconds() + 2.0;
		while (waitpid(w->pid, &status, WNOHANG) == 0) {
			if (now_seconds() > deadline) {
				kill(w->pid, SIGKILL);
				waitpid(w->pid, &status, 0);
				break;
			}
			usleep(1000);
		}
		w->pid = 0;
	}
}
