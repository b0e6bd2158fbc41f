#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "proto.h"
#include "pyhost.h"
#include "util.h"

#define SOURCE_MAX_BYTES (1u << 20)
#define REQUEST_MAX_BYTES (1u << 20)
#define FRAME_MAX_BYTES (4u << 20)

static struct compiled_module *modules;
static size_t n_modules;
static const char *submission_dir;

static int send_json(int fd, json_t *msg)
{
	int rc = proto_send(fd, msg);
	json_decref(msg);
	return rc;
}

static void compile_files(const json_t *files, json_t *report)
{
	size_t n = json_array_size(files);
	modules = xcalloc(n ? n : 1, sizeof(*modules));
	for (size_t i = 0; i < n; i++) {
		const char *file = json_string_value(json_array_get(files, i));
		struct compiled_module *m = &modules[n_modules++];
		m->file = xstrdup(file);
		m->name = xstrndup(file, strlen(file) - (str_has_suffix(file, ".py") ? 3 : 0));
		char *path = xasprintf("%s/%s", submission_dir, file);
		char *source = NULL;
		size_t len = 0;
		int err = read_file(&source, &len, path, SOURCE_MAX_BYTES);
		free(path);
		json_t *entry = json_pack("{s:s}", "file", file);
		if (err < 0) {
			const char *why = err == -ENOENT ? "missing" : err == -EFBIG ? "too large" : strerror(-err);
			m->error = json_pack("{s:s, s:s, s:b}", "type", "FileNotFoundError", "message", why,
					     "missing", err == -ENOENT);
		} else {
			m->code = pyhost_compile(source, len, file, &m->error);
		}
		free(source);
		json_object_set_new(entry, "ok", json_boolean(m->code != NULL));
		if (m->error)
			json_object_set_new(entry, "error", json_incref(m->error));
		json_array_append_new(report, entry);
	}
}

struct sink {
	int fd;
	struct buf buf;
};

static void drain(struct sink *s)
{
	char chunk[65536];
	for (;;) {
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

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };
	setrlimit(resource, &rl);
}

/* In the child, between fork and the harness: descriptors and limits.
 * The child keeps 0-2 and its two protocol pipes, renumbered to 3 and 4;
 * everything else (the controller's channel above all) is closed. */
static void child_setup(int out_import, int err_fd, struct harness_io *io, double cpu, size_t memory)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_import, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(3);
	/* Move the pipes out of the way first: they may already sit on 3 or 4. */
	int call = fcntl(io->stdout_call_fd, F_DUPFD_CLOEXEC, 10);
	int res = fcntl(io->result_fd, F_DUPFD_CLOEXEC, 10);
	if (call < 0 || res < 0 || dup3(call, 3, O_CLOEXEC) < 0 || dup3(res, 4, O_CLOEXEC) < 0)
		_exit(3);
	io->stdout_call_fd = 3;
	io->result_fd = 4;
	syscall(SYS_close_range, 5, ~0U, 0);
	if (chdir(submission_dir) < 0)
		_exit(3);
	rlim_t cpu_soft = (rlim_t)ceil(cpu);
	set_limit(RLIMIT_CPU, cpu_soft, cpu_soft + 1);
	set_limit(RLIMIT_CORE, 0, 0);
#if !defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer reserves terabytes of shadow memory up front. */
	if (memory)
		set_limit(RLIMIT_AS, (rlim_t)memory, (rlim_t)memory);
#else
	(void)memory;
#endif
}

static json_t *read_frame(struct sink *res, const unsigned char *nonce, const char **channel)
{
	const unsigned char *d = (const unsigned char *)res->buf.data;
	size_t len = res->buf.len;
	const size_t overhead = 2 * HARNESS_NONCE_LEN + 4;
	if (buf_truncated(&res->buf)) {
		*channel = "too_big";
		return NULL;
	}
	if (len == 0) {
		*channel = "missing";
		return NULL;
	}
	if (len < overhead || memcmp(d, nonce, HARNESS_NONCE_LEN) ||
	    memcmp(d + len - HARNESS_NONCE_LEN, nonce, HARNESS_NONCE_LEN)) {
		*channel = "tampered";
		return NULL;
	}
	const unsigned char *h = d + HARNESS_NONCE_LEN;
	size_t n = ((size_t)h[0] << 24) | ((size_t)h[1] << 16) | ((size_t)h[2] << 8) | h[3];
	if (n != len - overhead) {
		*channel = "tampered";
		return NULL;
	}
	json_t *obs = json_loadb((const char *)h + 4, n, 0, NULL);
	if (!obs || !json_is_object(obs)) {
		json_decref(obs);
		*channel = "tampered";
		return NULL;
	}
	*channel = "ok";
	return obs;
}

static json_t *output_json(const struct buf *b)
{
	char *clean = utf8_sanitize(b->data ? b->data : "", b->len);
	json_t *s = json_string(clean);
	free(clean);
	return s;
}

static json_t *run_check(const json_t *header, char *request, size_t request_len)
{
	const json_t *limits = json_object_get(header, "limits");
	double wall = json_number_value(json_object_get(limits, "wall"));
	double cpu = json_number_value(json_object_get(limits, "cpu"));
	size_t memory = (size_t)json_integer_value(json_object_get(limits, "memory"));
	size_t output = (size_t)json_integer_value(json_object_get(limits, "output"));
	int p_import[2], p_call[2], p_err[2], p_res[2];
	struct harness_io io = { .submission_dir = submission_dir };

	if (pipe2(p_import, O_CLOEXEC) < 0 || pipe2(p_call, O_CLOEXEC) < 0 || pipe2(p_err, O_CLOEXEC) < 0 ||
	    pipe2(p_res, O_CLOEXEC) < 0)
		return json_pack("{s:s, s:s}", "op", "result", "supervisor_error", strerror(errno));
	if (getrandom(io.nonce, sizeof(io.nonce), 0) != (ssize_t)sizeof(io.nonce))
		return json_pack("{s:s, s:s}", "op", "result", "supervisor_error", "no randomness");
	io.stdout_call_fd = p_call[1];
	io.result_fd = p_res[1];

	double start = now_seconds();
	pid_t pid = fork();
	if (pid == 0) {
		PyOS_AfterFork_Child();
		child_setup(p_import[1], p_err[1], &io, cpu, memory);
		harness_run(request, request_len, modules, n_modules, &io);
	}
	/* The request stays in no process but the child's. */
	explicit_bzero(request, request_len);
	if (pid < 0)
		return json_pack("{s:s, s:s}", "op", "result", "supervisor_error", strerror(errno));
	setpgid(pid, pid);
	close(p_import[1]);
	close(p_call[1]);
	close(p_err[1]);
	close(p_res[1]);

	struct sink sinks[4] = {
		{ p_import[0], BUF_INIT(output) }, { p_call[0], BUF_INIT(output) },
		{ p_err[0], BUF_INIT(output) }, { p_res[0], BUF_INIT(FRAME_MAX_BYTES) },
	};
	for (int i = 0; i < 4; i++)
		fcntl(sinks[i].fd, F_SETFL, O_NONBLOCK);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool exited = false, timed_out = false;
	double deadline = start + wall, drain_deadline = 0;

	for (;;) {
		struct pollfd pfds[5];
		int map[5], np = 0;
		for (int i = 0; i < 4; i++) {
			if (sinks[i].fd >= 0) {
				pfds[np] = (struct pollfd){ .fd = sinks[i].fd, .events = POLLIN };
				map[np++] = i;
			}
		}
		if (!exited && pidfd >= 0) {
			pfds[np] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
			map[np++] = -1;
		}
		if (np == 0 && exited)
			break;
		double now = now_seconds();
		double until = exited ? drain_deadline : deadline;
		if (!exited && pidfd < 0 && until - now > 0.05)
			until = now + 0.05; /* no pidfd: poll the child with waitpid */
		int ms = until > now ? (int)((until - now) * 1000) + 1 : 0;
		int r = poll(pfds, (nfds_t)np, ms);
		if (r < 0 && errno != EINTR)
			break;
		for (int i = 0; r > 0 && i < np; i++) {
			if (!pfds[i].revents)
				continue;
			if (map[i] < 0)
				exited = true;
			else
				drain(&sinks[map[i]]);
		}
		if (!exited && pidfd < 0) {
			siginfo_t si = { 0 };
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
				exited = true;
		}
		now = now_seconds();
		if (exited && drain_deadline == 0) {
			/* Whatever the child left behind in its group goes too; what
			 * they wrote before dying is still in the pipes. */
			kill(-pid, SIGKILL);
			drain_deadline = now + 0.25;
		}
		if (!exited && now >= deadline) {
			timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			deadline = now + 3600;
		}
		if (exited && now >= drain_deadline)
			break;
	}

	int status = 0;
	struct rusage ru = { 0 };
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	double elapsed = now_seconds() - start;
	if (pidfd >= 0)
		close(pidfd);
	for (int i = 0; i < 4; i++) {
		if (sinks[i].fd >= 0) {
			drain(&sinks[i]);
			if (sinks[i].fd >= 0)
				close(sinks[i].fd);
		}
	}

	double cpu_used = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			  (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	const char *channel = "missing";
	json_t *obs = read_frame(&sinks[3], io.nonce, &channel);
	json_t *result = json_pack("{s:s, s:f, s:f, s:I, s:s, s:o, s:o, s:o, s:I}", "op", "result",
				   "wall", elapsed, "cpu", cpu_used, "maxrss_kb", (json_int_t)ru.ru_maxrss,
				   "channel", channel,
				   "stdout_import", output_json(&sinks[0].buf), "stdout_call", output_json(&sinks[1].buf),
				   "stderr", output_json(&sinks[2].buf),
				   "output_dropped", (json_int_t)(sinks[0].buf.dropped + sinks[1].buf.dropped + sinks[2].buf.dropped));
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		json_object_set_new(result, "signal", json_integer(sig));
		if (!timed_out && (sig == SIGXCPU || (sig == SIGKILL && cpu_used >= floor(cpu) - 0.05)))
			json_object_set_new(result, "timeout", json_string("cpu"));
	} else {
		json_object_set_new(result, "exit", json_integer(WEXITSTATUS(status)));
	}
	if (timed_out)
		json_object_set_new(result, "timeout", json_string("wall"));
	if (obs)
		json_object_set_new(result, "observation", obs);
	for (int i = 0; i < 4; i++)
		buf_release(&sinks[i].buf);
	return result;
}

_Noreturn void supervisor_main(int fd, const json_t *job)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	submission_dir = xstrdup(json_string_value(json_object_get(job, "dir")));
	send_json(fd, json_pack("{s:s, s:i}", "op", "hello", "pid", (int)getpid()));

	json_t *report = json_array();
	compile_files(json_object_get(job, "files"), report);
	if (send_json(fd, json_pack("{s:s, s:o}", "op", "compiled", "files", report)) < 0)
		_exit(1);

	for (;;) {
		json_t *header = NULL;
		if (proto_recv(fd, &header, 1 << 16, 0) < 0)
			_exit(1);
		const char *op = json_string_value(json_object_get(header, "op"));
		if (!op || strcmp(op, "check")) {
			json_decref(header);
			_exit(0);
		}
		char *request = NULL;
		size_t len = 0;
		if (proto_recv_raw(fd, &request, &len, REQUEST_MAX_BYTES, 0) < 0)
			_exit(1);
		json_t *result = run_check(header, request, len);
		free(request);
		json_decref(header);
		if (send_json(fd, result) < 0)
			_exit(1);
	}
}
