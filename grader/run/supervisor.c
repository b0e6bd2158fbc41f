#include "run/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/phase.h"
#include "run/harness.h"
#include "base/wire.h"
#include "py/pyhost.h"
#include "sandbox/sandbox.h"
#include "run/scratch.h"
#include "sandbox/audit.h"
#include "base/util.h"


static struct compiled_module *modules;   /* the current exercise's files */
static size_t n_modules;
static bool modules_compiled;             /* compiled for a child forked from us */
static struct scratch scratch = SCRATCH_INIT;   /* the submission, and the copy the checks see */
static struct sandbox_layers layers;      /* what this supervisor can apply */
static struct sandbox_policy policy;
static struct phase_page *phase;          /* shared with every check child we fork (base/phase.h), or NULL */

static void release_modules(void)
{
	module_release_all(modules, n_modules);
	modules = NULL;
	n_modules = 0;
}

/* Reads the exercise's files from the submission directory itself, never
 * through a symbolic link.  They are compiled only when a child is forked
 * from us (compile_modules()); a live child given the exercise compiles
 * them itself. */
static void read_files(const json_t *files, json_t *report)
{
	size_t n = json_array_size(files);
	release_modules();
	modules_compiled = false;
	modules = xcalloc(n ? n : 1, sizeof(*modules));
	for (size_t i = 0; i < n; i++) {
		const char *file = json_string_value(json_array_get(files, i));
		struct compiled_module *m = &modules[n_modules++];
		m->file = xstrdup(file);
		m->name = xstrndup(file, strlen(file) - (str_has_suffix(file, ".py") ? 3 : 0));
		char *source = NULL;
		size_t len = 0;
		int err = read_file_at(scratch.src_fd, file, &source, &len, WIRE_SOURCE_MAX);
		json_t *entry = json_pack("{s:s}", WIRE_KEY_FILE, file);
		if (err < 0) {
			const char *why = err == -ENOENT ? "missing" : err == -EFBIG ? "too large"
				: err == -ELOOP ? "a symbolic link (submissions must hold regular files)"
				: err == -EINVAL ? "not a regular file" : strerror(-err);
			m->error = json_pack("{s:s, s:s, s:b}", WIRE_KEY_TYPE, "FileNotFoundError", WIRE_KEY_MESSAGE, why,
					     WIRE_KEY_MISSING, err == -ENOENT);
		}
		m->source = source;
		m->source_len = len;
		json_object_set_new(entry, WIRE_KEY_OK, json_boolean(source != NULL));
		if (m->error)
			json_object_set_new(entry, WIRE_KEY_ERROR, json_incref(m->error));
		json_array_append_new(report, entry);
	}
}

/* Compiles the files read (no student code runs), for a child about to be
 * forked. */
static void compile_modules(void)
{
	for (size_t i = 0; !modules_compiled && i < n_modules; i++)
		if (modules[i].source && !modules[i].code && !modules[i].error)
			modules[i].code = pyhost_compile(modules[i].source, modules[i].source_len, modules[i].file,
							 &modules[i].error);
	modules_compiled = true;
}

struct sink {
	int fd;
	struct buf buf;
};

/* Reads what is there without blocking; closes the sink at end of file. */
static void drain(struct sink *s)
{
	char chunk[65536];
	while (s->fd >= 0) {
		ssize_t n = read(s->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(s->fd);
			s->fd = -1;
			return;
		}
		buf_append(&s->buf, chunk, (size_t)n);
	}
}

static void sink_reset(struct sink *s, size_t cap)
{
	buf_release(&s->buf);
	s->buf = (struct buf)BUF_INIT(cap);
}

static void sink_close(struct sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	buf_release(&s->buf);
}

/*
 * The check child: one serves the checks of this exercise in sequence, as
 * long as they agree on its memory limit and it stays healthy.  A timeout,
 * a crash, an early exit or tampering ends it; the next check gets a fresh
 * one.
 */
enum { SINK_IMPORT, SINK_CALL, SINK_ERR, SINK_RESULT, N_SINKS };

static struct child {
	pid_t pid;                 /* 0: none */
	int pidfd;
	int request_fd;
	struct sink sinks[N_SINKS];
	size_t memory;
	double cpu_cap;            /* its RLIMIT_CPU: a backstop; checks are timed from here */
	clockid_t cpu_clock;
	bool has_cpu_clock;
	int checks;                /* checks it has answered */
	bool crossed;              /* it answered checks of an earlier exercise too */
	size_t output;             /* the output cap it was started with */
} child = { .pid = 0, .pidfd = -1, .request_fd = -1 };

/* RLIMIT_CPU of a child: enough for many checks, so that the supervisor,
 * which times each check on the child's CPU clock, is what ends one. */
#define CHILD_CPU_CAP_MIN 60.0

/* The child's CPU time so far, or -1 when it cannot be read. */
static double child_cpu_seconds(void)
{
	struct timespec ts;
	if (!child.has_cpu_clock || clock_gettime(child.cpu_clock, &ts) < 0)
		return -1;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* As pid 1 of its namespace the child ignores the signals it raises at
 * itself without a handler, so abort() would end in a misleading SIGSEGV.
 * This handler makes it an exit status the supervisor turns back into
 * SIGABRT. */
#define ABORT_EXIT_STATUS (128 + SIGABRT)

static void abort_handler(int sig)
{
	(void)sig;
	_exit(ABORT_EXIT_STATUS);
}

/* In the child, between sandbox_spawn() and the harness: descriptors, the
 * sandbox, the audit hook.  Numbering (base/wire.h): 0 /dev/null, 1 import
 * output, 2 stderr, then WIRE_FD_CALL_OUT, _RESULT, _REQUEST, _IMPORT_OUT. */
_Noreturn static void child_main(int p_import, int p_call, int p_err, int p_res, int p_req)
{
	static char fatal[256];
	struct harness_io io = { .stdout_call_fd = WIRE_FD_CALL_OUT, .stdout_import_fd = WIRE_FD_IMPORT_OUT,
				 .result_fd = WIRE_FD_RESULT, .request_fd = WIRE_FD_REQUEST,
				 .module_dir = policy.scratch_dir, .phase = phase };
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(p_import, 1) < 0 || dup2(p_err, 2) < 0)
		_exit(3);
	/* Move the pipes out of the way first: they may already sit on 3 to 6.
	 * In the order of their numbers (base/wire.h). */
	int fds[WIRE_CHILD_FD_COUNT] = { p_call, p_res, p_req, p_import };
	for (int i = 0; i < WIRE_CHILD_FD_COUNT; i++)
		if ((fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			_exit(3);
	for (int i = 0; i < WIRE_CHILD_FD_COUNT; i++)
		if (dup2(fds[i], WIRE_CHILD_FD_FIRST + i) < 0)
			_exit(3);
	syscall(SYS_close_range, WIRE_CHILD_FD_FIRST + WIRE_CHILD_FD_COUNT, ~0U, 0);
	if (getpid() == 1)
		signal(SIGABRT, abort_handler);

	struct sandbox_layers applied;
	if (sandbox_enter(&policy, &layers, &applied, fatal, sizeof(fatal)) < 0) {
		/* Fail closed: every check of this child reports it, no student
		 * code runs. */
		io.fatal = fatal;
	} else {
		io.sandbox = json_array();
		for (int i = 0; i < SANDBOX_NLAYERS; i++)
			if (applied.on[i])
				json_array_append_new(io.sandbox, json_string(sandbox_layer_name((enum sandbox_layer)i)));
		struct audit_policy ap = { .scratch_dir = policy.scratch_dir, .read_paths = policy.read_paths,
					   .allow_threads = policy.allow_threads, .result_fd = WIRE_FD_RESULT,
					   .resolved = true };
		if (audit_arm(&ap) < 0) {
			PyErr_Clear();
			snprintf(fatal, sizeof(fatal), "cannot arm the audit hook");
			io.fatal = fatal;
		}
	}
	harness_serve(modules, n_modules, &io);
}

/* Ends the child (its whole tree), reaps it; fills status and rusage. */
static void child_stop(int *status, struct rusage *ru)
{
	int st = 0;
	struct rusage r = { 0 };
	if (status)
		*status = 0;
	if (ru)
		*ru = r;
	if (child.pid <= 0)
		return;
	sandbox_kill_tree(child.pid, child.pidfd);
	while (wait4(child.pid, &st, 0, &r) < 0 && errno == EINTR)
		;
	if (status)
		*status = st;
	if (ru)
		*ru = r;
	if (child.pidfd >= 0)
		close(child.pidfd);
	if (child.request_fd >= 0)
		close(child.request_fd);
	for (int i = 0; i < N_SINKS; i++)
		sink_close(&child.sinks[i]);
	child = (struct child){ .pid = 0, .pidfd = -1, .request_fd = -1 };
}

static int child_start(size_t memory, size_t output, char *err, size_t errlen)
{
	int p[N_SINKS][2], req[2];
	for (int i = 0; i < N_SINKS; i++)
		p[i][0] = p[i][1] = -1;
	req[0] = req[1] = -1;
	/* The result channel is a socket: the sandbox can guard a socket
	 * against every write but the grader's (sendmmsg), while a pipe could be
	 * reopened through /proc/self/fd. */
	for (int i = 0; i < N_SINKS; i++)
		if ((i == SINK_RESULT ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p[i]) : pipe2(p[i], O_CLOEXEC)) < 0)
			goto fail;
	if (pipe2(req, O_CLOEXEC) < 0)
		goto fail;
	policy.memory_bytes = memory;
	policy.cpu_seconds = CHILD_CPU_CAP_MIN;
	compile_modules();

	int pidfd = -1;
	/* Before/after: CPython takes its locks (the import lock above all)
	 * across the fork, so that the child finds them in a known state;
	 * 3.13 checks. */
	PyOS_BeforeFork();
	pid_t pid = sandbox_spawn(&layers, &pidfd);
	if (pid == 0) {
		PyOS_AfterFork_Child();
		child_main(p[SINK_IMPORT][1], p[SINK_CALL][1], p[SINK_ERR][1], p[SINK_RESULT][1], req[0]);
	}
	PyOS_AfterFork_Parent();
	if (pid < 0)
		goto fail;
	child.pid = pid;
	child.pidfd = pidfd;
	child.memory = memory;
	child.output = output;
	child.cpu_cap = CHILD_CPU_CAP_MIN;
	child.checks = 0;
	child.crossed = false;
	child.has_cpu_clock = clock_getcpuclockid(pid, &child.cpu_clock) == 0;
	child.request_fd = req[1];
	close(req[0]);
	for (int i = 0; i < N_SINKS; i++) {
		close(p[i][1]);
		child.sinks[i].fd = p[i][0];
		child.sinks[i].buf = (struct buf)BUF_INIT(i == SINK_RESULT ? WIRE_OBSERVATION_MAX : output);
		fcntl(p[i][0], F_SETFL, O_NONBLOCK);
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot start a check process: %s", strerror(errno));
	for (int i = 0; i < N_SINKS; i++) {
		if (p[i][0] >= 0)
			close(p[i][0]);
		if (p[i][1] >= 0)
			close(p[i][1]);
	}
	if (req[0] >= 0)
		close(req[0]);
	if (req[1] >= 0)
		close(req[1]);
	return -1;
}

/* 0: incomplete; 1: a whole frame (its JSON in *obs); -1: forged bytes. */
static int frame_state(const struct sink *res, const unsigned char *nonce, json_t **obs)
{
	if (buf_truncated(&res->buf))
		return -1;
	int rc = wire_result_parse((const unsigned char *)res->buf.data, res->buf.len, nonce, obs);
	return rc == WIRE_INCOMPLETE ? 0 : rc == WIRE_FORGED ? -1 : 1;
}

static json_t *output_json(const struct buf *b)
{
	char *clean = utf8_sanitize(b->data ? b->data : "", b->len);
	json_t *s = json_string(clean);
	free(clean);
	return s;
}

static json_t *supervisor_error(const char *what)
{
	return json_pack("{s:s, s:s}", WIRE_KEY_OP, WIRE_OP_RESULT, WIRE_KEY_SUPERVISOR_ERROR, what);
}

/* Sends one request to the child (WIRE_REQUEST): nonce | length | request. */
static int send_request(const unsigned char *nonce, const char *request, size_t len)
{
	unsigned char head[WIRE_NONCE_LEN + WIRE_LEN_BYTES];
	wire_head_encode(WIRE_REQUEST, head, nonce, len);
	int rc = write_all(child.request_fd, head, sizeof(head));
	if (rc == 0)
		rc = write_all(child.request_fd, request, len);
	explicit_bzero(head, sizeof(head));
	return rc;
}

struct limits_msg {
	double wall, cpu;
	size_t memory, output;
};

/* One check being watched: its limits, its clocks, and how it ended. */
struct watch {
	const struct limits_msg *lim;
	const unsigned char *nonce;
	double cpu0, start, deadline;
	double drain_deadline;     /* 0 until the child is being stopped */
	bool exited;               /* the child is gone, or is being stopped */
	bool done;                 /* a whole frame arrived */
	bool forged;               /* bytes that are not the grader's frame */
	enum { TIMED_OUT_NO, TIMED_OUT_WALL, TIMED_OUT_CPU } timed_out;
	json_t *obs;               /* new: the frame's observation, or NULL */
};

/* Stops the child and gives its pipes a last moment to be drained: what
 * it wrote before dying is still in them. */
static void watch_stop_child(struct watch *w, double now)
{
	sandbox_kill_tree(child.pid, child.pidfd);
	w->exited = true;
	w->drain_deadline = now + 0.25;
}

/* The poll timeout in ms: the wall deadline, or sooner when the CPU limit
 * could be reached (one thread cannot use CPU faster than the clock on the
 * wall), or 50 ms without a pidfd to poll the child with waitid. */
static int watch_timeout_ms(const struct watch *w)
{
	double now = now_seconds();
	double until = w->exited ? w->drain_deadline : w->deadline;
	if (!w->exited) {
		double cpu_now = child_cpu_seconds();
		double cpu_left = cpu_now < 0 ? w->lim->cpu : w->lim->cpu - (cpu_now - w->cpu0);
		if (now + cpu_left < until)
			until = now + (cpu_left > 0.01 ? cpu_left : 0.01);
		if (child.pidfd < 0 && until - now > 0.05)
			until = now + 0.05;
	}
	return until > now ? (int)((until - now) * 1000) + 1 : 0;
}

/* Waits once for output, a frame or the child's end.  Returns 1 when there
 * is nothing left to wait for, 0 otherwise. */
static int watch_poll(struct watch *w)
{
	struct pollfd pfds[N_SINKS + 1];
	int map[N_SINKS + 1], np = 0;
	for (int i = 0; i < N_SINKS; i++) {
		if (child.sinks[i].fd >= 0) {
			pfds[np] = (struct pollfd){ .fd = child.sinks[i].fd, .events = POLLIN };
			map[np++] = i;
		}
	}
	if (!w->exited && child.pidfd >= 0) {
		pfds[np] = (struct pollfd){ .fd = child.pidfd, .events = POLLIN };
		map[np++] = -1;
	}
	if (np == 0 && w->exited)
		return 1;
	int r = poll(pfds, (nfds_t)np, watch_timeout_ms(w));
	if (r < 0 && errno != EINTR)
		return 1;
	for (int i = 0; r > 0 && i < np; i++) {
		if (!pfds[i].revents)
			continue;
		if (map[i] < 0)
			w->exited = true;
		else
			drain(&child.sinks[map[i]]);
	}
	if (!w->exited && child.pidfd < 0) {
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)child.pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == child.pid)
			w->exited = true;
	}
	return 0;
}

/* After a poll: a frame, a death, a limit.  Returns 1 when the watch is
 * over. */
static int watch_judge(struct watch *w)
{
	if (!w->exited && !w->done) {
		int fs = frame_state(&child.sinks[SINK_RESULT], w->nonce, &w->obs);
		if (fs > 0) {
			/* What the check printed is in the pipes already: it was
			 * flushed before the frame was written. */
			w->done = true;
			for (int i = 0; i < SINK_RESULT; i++)
				drain(&child.sinks[i]);
			return 1;
		}
		if (fs < 0) {
			w->forged = true;
			watch_stop_child(w, now_seconds());
		}
	}
	double now = now_seconds();
	if (w->exited && w->drain_deadline == 0)
		watch_stop_child(w, now); /* whatever the child left behind goes too */
	if (!w->exited && now >= w->deadline) {
		w->timed_out = TIMED_OUT_WALL;
		watch_stop_child(w, now);
	}
	if (!w->exited && w->cpu0 >= 0 && child_cpu_seconds() - w->cpu0 >= w->lim->cpu) {
		w->timed_out = TIMED_OUT_CPU;
		watch_stop_child(w, now);
	}
	return w->exited && now >= w->drain_deadline;
}

/* New: the result message of a watched check, before the child's end is
 * known. */
static json_t *watch_result(const struct watch *w, double cpu_used, double elapsed)
{
	const char *channel = w->done ? WIRE_CHANNEL_OK : w->forged ? WIRE_CHANNEL_TAMPERED : WIRE_CHANNEL_MISSING;
	json_t *result = json_pack("{s:s, s:f, s:f, s:s, s:o, s:o, s:o, s:I}", WIRE_KEY_OP, WIRE_OP_RESULT,
				   WIRE_KEY_WALL, elapsed, WIRE_KEY_CPU, cpu_used, WIRE_KEY_CHANNEL, channel,
				   WIRE_KEY_STDOUT_IMPORT, output_json(&child.sinks[SINK_IMPORT].buf),
				   WIRE_KEY_STDOUT_CALL, output_json(&child.sinks[SINK_CALL].buf),
				   WIRE_KEY_STDERR, output_json(&child.sinks[SINK_ERR].buf),
				   WIRE_KEY_OUTPUT_DROPPED, (json_int_t)(child.sinks[SINK_IMPORT].buf.dropped +
								  child.sinks[SINK_CALL].buf.dropped +
								  child.sinks[SINK_ERR].buf.dropped));
	if (w->obs)
		json_object_set_new(result, WIRE_KEY_OBSERVATION, json_incref(w->obs));
	return result;
}

/* Reaps a child that did not answer and adds to the result how it ended:
 * its signal or exit status, a timeout, where it was inside the student's
 * code when it timed out. */
static void note_child_end(json_t *result, struct watch *w)
{
	int status = 0;
	struct rusage ru;
	child_stop(&status, &ru);
	double cpu_total = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	json_object_set_new(result, WIRE_KEY_MAXRSS_KB, json_integer((json_int_t)ru.ru_maxrss));
	if (w->cpu0 >= 0 && cpu_total >= w->cpu0)
		json_object_set_new(result, WIRE_KEY_CPU, json_real(cpu_total - w->cpu0));
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		/* The kernel's RLIMIT_CPU backstop (SIGKILL at the hard limit, or
		 * SIGXCPU outside a pid namespace). */
		bool cpu_cap = sig == SIGXCPU || (sig == SIGKILL && cpu_total >= CHILD_CPU_CAP_MIN - 0.05);
		if (w->timed_out == TIMED_OUT_NO && !w->forged)
			json_object_set_new(result, WIRE_KEY_SIGNAL, json_integer(sig));
		if (w->timed_out == TIMED_OUT_NO && cpu_cap)
			w->timed_out = TIMED_OUT_CPU;
	} else if (layers.on[SANDBOX_PID_NS] && WEXITSTATUS(status) == ABORT_EXIT_STATUS) {
		json_object_set_new(result, WIRE_KEY_SIGNAL, json_integer(SIGABRT));
	} else {
		json_object_set_new(result, WIRE_KEY_EXIT, json_integer(WEXITSTATUS(status)));
	}
	if (w->timed_out == TIMED_OUT_NO)
		return;
	json_object_set_new(result, WIRE_KEY_TIMEOUT,
			    json_string(w->timed_out == TIMED_OUT_WALL ? WIRE_TIMEOUT_WALL : WIRE_TIMEOUT_CPU));
	/* The child is gone: the page says what it was inside when it was
	 * stopped, so that the controller need not wait for the same callable
	 * again. */
	json_t *where = phase_page_json(phase);
	if (where)
		json_object_set_new(result, WIRE_KEY_PHASE, where);
}

/* Runs one check in the current child (starting one if needed).  Returns
 * the result message; *retry is set when the check should run again in a
 * fresh child (it ended abnormally in a child that had served others). */
static json_t *attempt(const struct limits_msg *lim, const char *request, size_t request_len, bool *retry)
{
	char err[256];
	*retry = false;
	if (child.pid > 0 && (child.memory != lim->memory || child.output != lim->output))
		child_stop(NULL, NULL);
	if (child.pid <= 0 && child_start(lim->memory, lim->output, err, sizeof(err)) < 0)
		return supervisor_error(err);
	bool reused = child.checks > 0;
	bool shared = child.crossed;

	unsigned char nonce[WIRE_NONCE_LEN];
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return supervisor_error("no randomness");
	for (int i = SINK_CALL; i < N_SINKS; i++)
		sink_reset(&child.sinks[i], i == SINK_RESULT ? WIRE_OBSERVATION_MAX : lim->output);
	phase_page_clear(phase);
	struct watch w = { .lim = lim, .nonce = nonce, .cpu0 = child_cpu_seconds(), .start = now_seconds() };
	w.deadline = w.start + lim->wall;
	if (send_request(nonce, request, request_len) < 0) {
		/* The child ended between checks (the student's code closed its
		 * request descriptor, say): a fresh one gets the check. */
		child_stop(NULL, NULL);
		*retry = reused;
		return reused ? NULL : supervisor_error("the check process did not take the request");
	}
	while (!watch_poll(&w) && !watch_judge(&w))
		;
	double cpu_now = child_cpu_seconds();
	double cpu_used = cpu_now >= 0 && w.cpu0 >= 0 ? cpu_now - w.cpu0 : 0;
	double elapsed = now_seconds() - w.start;
	explicit_bzero(nonce, sizeof(nonce));
	if (!w.done && !w.forged)
		drain(&child.sinks[SINK_RESULT]); /* the frame may have come with the child's last breath */

	json_t *result = watch_result(&w, cpu_used, elapsed);
	json_decref(w.obs);
	if (shared)
		json_object_set_new(result, WIRE_KEY_SHARED, json_true());
	if (w.done) {
		child.checks++;
		return result;
	}
	note_child_end(result, &w);
	/* A timeout is never retried: a child that ran to its limit costs
	 * that limit once. */
	*retry = reused && w.timed_out == TIMED_OUT_NO;
	return result;
}

static json_t *run_check(const json_t *header, char *request, size_t request_len)
{
	/* The controller asks again, in a child of this exercise alone, for a
	 * check that did not pass in a child shared with earlier exercises. */
	if (json_is_true(json_object_get(header, WIRE_KEY_FRESH)))
		child_stop(NULL, NULL);
	const json_t *l = json_object_get(header, WIRE_KEY_LIMITS);
	struct limits_msg lim = {
		.wall = json_number_value(json_object_get(l, WIRE_KEY_WALL)),
		.cpu = json_number_value(json_object_get(l, WIRE_KEY_CPU)),
		.memory = (size_t)json_integer_value(json_object_get(l, WIRE_KEY_MEMORY)),
		.output = (size_t)json_integer_value(json_object_get(l, WIRE_KEY_OUTPUT)),
	};
	bool retry = false;
	json_t *result = attempt(&lim, request, request_len, &retry);
	if (retry) {
		/* It went wrong in a child that had run other checks first: what
		 * they left behind must not cost this check, so it runs once more,
		 * alone in a fresh child, and that answer stands. */
		json_decref(result);
		result = attempt(&lim, request, request_len, &retry);
	}
	/* The request stays in no process but the children that needed it. */
	explicit_bzero(request, request_len);
	return result;
}

const struct sandbox_policy *supervisor_policy_template(void)
{
	static const int kept_fds[] = { WIRE_FD_CALL_OUT, WIRE_FD_RESULT, WIRE_FD_REQUEST, WIRE_FD_IMPORT_OUT };
	static const struct sandbox_policy template = {
		.cpu_seconds = CHILD_CPU_CAP_MIN, .file_bytes = (size_t)16 << 20, .max_open_files = 64,
		.allow_threads = false, .keep_fds = kept_fds, .n_keep_fds = ARRAY_SIZE(kept_fds), .result_fd = WIRE_FD_RESULT,
	};
	return &template;
}

/* Hands the current exercise to the live child (harness.h, "switch"). */
static int child_switch(void)
{
	json_t *list = json_array();
	for (size_t i = 0; i < n_modules; i++) {
		const struct compiled_module *m = &modules[i];
		json_t *e = json_pack("{s:s, s:s}", WIRE_KEY_NAME, m->name, WIRE_KEY_FILE, m->file);
		if (!m->source)
			json_object_set(e, WIRE_KEY_ERROR, m->error);
		else
			json_object_set_new(e, WIRE_KEY_SOURCE, json_integer((json_int_t)m->source_len));
		json_array_append_new(list, e);
	}
	json_t *sw = json_pack("{s:o}", WIRE_KEY_SWITCH, list);
	char *text = json_dumps(sw, JSON_COMPACT);
	json_decref(sw);
	static const unsigned char no_nonce[WIRE_NONCE_LEN];
	int rc = text ? send_request(no_nonce, text, strlen(text)) : -1;
	free(text);
	for (size_t i = 0; rc == 0 && i < n_modules; i++)
		if (modules[i].source)
			rc = write_all(child.request_fd, modules[i].source, modules[i].source_len);
	if (rc < 0)
		return -1;
	/* What the previous exercise printed at import is not this one's. */
	sink_reset(&child.sinks[SINK_IMPORT], child.output);
	if (child.checks > 0)
		child.crossed = true;
	return 0;
}

/* Starts an exercise: its files read, the copy of the submission made
 * fresh.  The check child of the previous exercise, if one is alive, goes
 * on with this one (child_switch()): forking, sandboxing and warming up a
 * child is most of an exercise's cost.  What the previous exercise left in
 * it can make a check fail, never pass (a module of the student's own can
 * do as much): a check that does not pass in such a child is run again in
 * a fresh one at the controller's request ("fresh"), and that answer
 * stands.  Returns the "compiled" message; *unusable says why checks
 * cannot run. */
static json_t *begin_exercise(const json_t *msg, const char *open_error, char **unusable)
{
	char err[256];
	free(*unusable);
	*unusable = NULL;
	json_t *report = json_array();
	json_t *compiled = json_pack("{s:s, s:o}", WIRE_KEY_OP, WIRE_OP_COMPILED, WIRE_KEY_FILES, report);
	if (open_error) {
		child_stop(NULL, NULL);
		*unusable = xstrdup(open_error);
	} else {
		read_files(json_object_get(msg, WIRE_KEY_FILES), report);
		bool kept = child.pid > 0 && scratch_refresh(&scratch, err, sizeof(err)) == 0 && child_switch() == 0;
		if (!kept) {
			child_stop(NULL, NULL);
			policy.scratch_dir = NULL;
			if (scratch_fresh_copy(&scratch, err, sizeof(err)) < 0)
				*unusable = xstrdup(err);
		}
		policy.scratch_dir = scratch.dir;
	}
	if (*unusable)
		json_object_set_new(compiled, WIRE_KEY_SCRATCH_ERROR, json_string(*unusable));
	return compiled;
}

/* On the CPU the controller chose for the submission (worker.c,
 * worker_begin(): the processes of a submission take turns, and a wake-up
 * on one CPU costs less than one across CPUs).  Best effort: only speed
 * depends on it. */
static void stay_on_cpu(int cpu)
{
	cpu_set_t set;
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

_Noreturn void supervisor_main(int fd, const json_t *job, const struct sandbox_layers *probed,
			       const char *const *paths)
{
	char err[256];
	char *unusable = NULL;
	bool in_exercise = false;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	json_t *cpu = json_object_get(job, WIRE_KEY_CPU); /* borrowed */
	if (json_is_integer(cpu))
		stay_on_cpu((int)json_integer_value(cpu));
	layers = *probed;
	phase = phase_page_map();
	policy = *supervisor_policy_template();
	policy.read_paths = paths;
	const char *open_error = NULL;
	if (scratch_open(&scratch, json_string_value(json_object_get(job, WIRE_KEY_DIR)), err, sizeof(err)) < 0)
		open_error = err;
	if (wire_send_new(fd, json_pack("{s:s, s:i}", WIRE_KEY_OP, WIRE_OP_HELLO, WIRE_KEY_PID, (int)getpid())) < 0)
		goto out;

	for (;;) {
		json_t *msg = NULL;
		if (wire_recv(fd, &msg, WIRE_CONTROL_MAX, 0) < 0)
			goto out;
		const char *op = wire_op(msg);
		json_t *reply = NULL;
		if (!strcmp(op, WIRE_OP_EXERCISE)) {
			reply = begin_exercise(msg, open_error, &unusable);
			in_exercise = true;
		} else if (!strcmp(op, WIRE_OP_CHECK)) {
			char *request = NULL;
			size_t len = 0;
			if (wire_recv_raw(fd, &request, &len, WIRE_CONTROL_MAX, 0) < 0) {
				json_decref(msg);
				goto out;
			}
			/* What the scratch copy refused (too many files, too large) is
			 * the submission's problem, not the grader's. */
			reply = unusable ? json_pack("{s:s, s:s}", WIRE_KEY_OP, WIRE_OP_RESULT, WIRE_KEY_SUBMISSION_ERROR, unusable)
				: !in_exercise ? supervisor_error("a check outside an exercise")
				: run_check(msg, request, len);
			explicit_bzero(request, len);
			free(request);
		} else {
			json_decref(msg);
			goto out;
		}
		json_decref(msg);
		if (wire_send_new(fd, reply) < 0)
			goto out;
	}
out:
	child_stop(NULL, NULL);
	scratch_close(&scratch);
	_exit(0);
}
