/*
 * forkbench.c - what one grade check costs, piece by piece, and what the
 * candidate optimizations would save.
 *
 * It starts CPython 3.11 exactly as grader/py/pyhost.c does (isolated config,
 * the same warm modules, gc.collect + gc.freeze), compiles a submission's
 * refcount.py once, and then times, N times each (median and min, in µs):
 *
 *   fork-exit      fork(); child _exit(0); parent waitpid      (the floor)
 *   fork-afterfork + PyOS_AfterFork_Child() in the child
 *   check          what supervisor.c + harness.c do for one check: 4 pipes,
 *                  nonce, fork, child: dup2s, 3x io.open for stdio, exec the
 *                  module, call count_refs on a fresh object, encode a JSON
 *                  observation (jansson), write the frame, _exit; parent:
 *                  poll on 4 pipes + pidfd, drain, wait4, parse the frame
 *   check-stdio0   the same, but the three stdio objects are made once in
 *                  the parent before forking (children inherit them)
 *   check-populate the same as check, plus MADV_POPULATE_READ over
 *                  libpython's mappings right after fork (pre-faulting)
 *   batch-8        one child runs 8 checks in a row (a fresh module object
 *                  for each), one frame each; the figure is per check
 *   roundtrip      one request/reply over a socketpair between two
 *                  processes (the controller <-> supervisor hop per check)
 *   pipes          4x pipe2 + 8x close (what reusing pipes would save)
 *   json           build + dump one observation and one result with jansson
 *
 * and, for each forking mode, the child's minor page faults and CPU time
 * (wait4 rusage) and the time from the child's _exit() to waitpid's return.
 *
 * Build: see bench/run (cc -O2 forkbench.c $(pkg-config --cflags --libs
 * python-3.11-embed jansson)).  Usage: forkbench [-n N] [--cold] [refcount.py]
 * --cold skips the warm modules (a smaller zygote, for the fork-size curve).
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const warm_modules[] = {
	"sys", "gc", "io", "os", "dis", "opcode", "tracemalloc", "weakref", "functools", "types",
	"math", "collections", "itertools", "operator", "re", "time", "linecache", "traceback",
	"encodings.utf_8", "encodings.latin_1",
};

static PyObject *code;          /* the student's compiled module */
static PyObject *pre_stdio[3];  /* check-stdio0: made before forking */
static volatile double *shared; /* [0]: child's time just before _exit */

static void die(const char *what)
{
	fprintf(stderr, "forkbench: %s\n", what);
	if (PyErr_Occurred())
		PyErr_Print();
	exit(1);
}

static void start_python(int cold)
{
	PyConfig config;
	PyConfig_InitIsolatedConfig(&config);
	config.site_import = 0;
	config.write_bytecode = 0;
	config.use_hash_seed = 1;
	config.hash_seed = 0;
	config.install_signal_handlers = 0;
	config.buffered_stdio = 0;
	config.safe_path = 1;
	PyStatus st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st))
		die("cannot start Python");
	for (size_t i = 0; !cold && i < sizeof(warm_modules) / sizeof(*warm_modules); i++) {
		PyObject *m = PyImport_ImportModule(warm_modules[i]);
		if (!m)
			die(warm_modules[i]);
		Py_DECREF(m);
	}
	if (cold) {
		PyObject *m = PyImport_ImportModule("io");
		Py_XDECREF(m);
	}
	PyObject *gc = PyImport_ImportModule("gc");
	PyObject *x = PyObject_CallMethod(gc, "collect", NULL);
	Py_XDECREF(x);
	x = PyObject_CallMethod(gc, "freeze", NULL);
	Py_XDECREF(x);
	Py_DECREF(gc);
}

static PyObject *open_stream(int fd, const char *mode, int buffering)
{
	PyObject *io = PyImport_ImportModule("io");
	PyObject *s = PyObject_CallMethod(io, "open", "isizzzi", fd, mode, buffering, "utf-8", "backslashreplace",
					  NULL, 0);
	Py_DECREF(io);
	return s;
}

static void setup_stdio(int premade)
{
	PyObject *s[3];
	if (premade) {
		for (int i = 0; i < 3; i++)
			s[i] = Py_NewRef(pre_stdio[i]);
	} else {
		s[0] = open_stream(0, "r", -1);
		s[1] = open_stream(1, "w", 1);
		s[2] = open_stream(2, "w", 1);
	}
	PySys_SetObject("stdin", s[0]);
	PySys_SetObject("stdout", s[1]);
	PySys_SetObject("stderr", s[2]);
	PySys_SetObject("__stdin__", s[0]);
	PySys_SetObject("__stdout__", s[1]);
	PySys_SetObject("__stderr__", s[2]);
	for (int i = 0; i < 3; i++)
		Py_XDECREF(s[i]);
	PyErr_Clear();
}

/* One check's Python work: a fresh module, one call, an observation. */
static json_t *one_check(void)
{
	json_t *obs = json_object();
	PyObject *mod = PyModule_New("refcount");
	PyObject *dict = PyModule_GetDict(mod);
	PyObject *file = PyUnicode_FromString("refcount.py");
	PyDict_SetItemString(dict, "__file__", file);
	Py_DECREF(file);
	PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins());
	PyDict_SetItemString(PyImport_GetModuleDict(), "refcount", mod);
	double t0 = now();
	PyObject *r = PyEval_EvalCode(code, dict, dict);
	json_object_set_new(obs, "import", json_pack("{s:s, s:b, s:f}", "module", "refcount", "ok", r != NULL,
						     "seconds", now() - t0));
	Py_XDECREF(r);
	PyObject *func = PyDict_GetItemString(dict, "count_refs");
	PyObject *obj = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
	Py_ssize_t before = Py_REFCNT(obj);
	PyObject *ans = func ? PyObject_CallOneArg(func, obj) : NULL;
	json_t *cases = json_array();
	json_array_append_new(cases, json_pack("{s:i, s:I, s:I, s:s, s:I}", "extra", 0, "before", (json_int_t)before,
					       "truth", (json_int_t)before + 1, "type", "int", "answer",
					       (json_int_t)(ans ? PyLong_AsLong(ans) : -1)));
	json_object_set_new(obs, "refcount", json_pack("{s:o, s:i}", "cases", cases, "offset", 1));
	Py_XDECREF(ans);
	Py_DECREF(obj);
	PyDict_DelItemString(PyImport_GetModuleDict(), "refcount");
	Py_DECREF(mod);
	PyErr_Clear();
	return obs;
}

static void write_frame(int fd, const unsigned char *nonce, json_t *obs)
{
	char *text = json_dumps(obs, JSON_COMPACT | JSON_ENSURE_ASCII);
	size_t len = strlen(text), total = 32 + 4 + len;
	unsigned char *f = malloc(total);
	memcpy(f, nonce, 16);
	f[16] = (unsigned char)(len >> 24);
	f[17] = (unsigned char)(len >> 16);
	f[18] = (unsigned char)(len >> 8);
	f[19] = (unsigned char)len;
	memcpy(f + 20, text, len);
	memcpy(f + 20 + len, nonce, 16);
	if (write(fd, f, total) != (ssize_t)total)
		_exit(5);
	free(f);
	free(text);
}

static void flush_stdout(void)
{
	PyObject *out = PySys_GetObject("stdout");
	if (out) {
		PyObject *r = PyObject_CallMethod(out, "flush", NULL);
		Py_XDECREF(r);
	}
	PyErr_Clear();
}

struct lib_range {
	void *start;
	size_t len;
};
static struct lib_range libpy[16];
static int n_libpy;

static void find_libpython(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f) && n_libpy < 16) {
		unsigned long a, b;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && strstr(line, "libpython3") && perms[0] == 'r') {
			libpy[n_libpy].start = (void *)a;
			libpy[n_libpy].len = b - a;
			n_libpy++;
		}
	}
	if (f)
		fclose(f);
}

enum mode { M_FORK_EXIT, M_AFTERFORK, M_CHECK, M_CHECK_STDIO0, M_CHECK_POPULATE, M_BATCH8 };

struct sample {
	double wall, fork_call, exit_to_wait, cpu_ms;
	long minflt;
};

/* The parent's side of a check: poll the pipes and the pidfd, drain, reap. */
static void supervise(pid_t pid, int *rd, int nrd, struct rusage *ru)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	char buf[65536];
	int open_fds = nrd;
	int exited = 0;
	for (int i = 0; i < nrd; i++)
		fcntl(rd[i], F_SETFL, O_NONBLOCK);
	while (open_fds > 0 || !exited) {
		struct pollfd p[8];
		int map[8], np = 0;
		for (int i = 0; i < nrd; i++)
			if (rd[i] >= 0) {
				p[np] = (struct pollfd){ .fd = rd[i], .events = POLLIN };
				map[np++] = i;
			}
		if (!exited) {
			p[np] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
			map[np++] = -1;
		}
		if (poll(p, (nfds_t)np, 5000) <= 0)
			break;
		for (int i = 0; i < np; i++) {
			if (!p[i].revents)
				continue;
			if (map[i] < 0) {
				exited = 1;
				continue;
			}
			for (;;) {
				ssize_t n = read(rd[map[i]], buf, sizeof(buf));
				if (n > 0)
					continue;
				if (n < 0 && errno == EAGAIN)
					break;
				close(rd[map[i]]);
				rd[map[i]] = -1;
				open_fds--;
				break;
			}
		}
	}
	int status;
	wait4(pid, &status, 0, ru);
	close(pidfd);
}

static struct sample run_once(enum mode m)
{
	struct sample s = { 0 };
	struct rusage ru = { 0 };
	int p[4][2];
	unsigned char nonce[16];
	int with_pipes = m >= M_CHECK;
	double t0 = now();
	if (with_pipes) {
		for (int i = 0; i < 4; i++)
			if (pipe2(p[i], O_CLOEXEC) < 0)
				die("pipe2");
		if (getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce))
			die("getrandom");
	}
	double tf = now();
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (m == M_FORK_EXIT) {
			shared[0] = now();
			_exit(0);
		}
		PyOS_AfterFork_Child();
		if (m == M_AFTERFORK) {
			shared[0] = now();
			_exit(0);
		}
		if (m == M_CHECK_POPULATE)
			for (int i = 0; i < n_libpy; i++)
				madvise(libpy[i].start, libpy[i].len, MADV_POPULATE_READ);
		/* What child_setup() does. */
		setpgid(0, 0);
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		dup2(devnull, 0);
		dup2(p[0][1], 1);
		dup2(p[2][1], 2);
		int res = p[3][1];
		struct rlimit rl = { 3, 4 };
		setrlimit(RLIMIT_CPU, &rl);
		setup_stdio(m == M_CHECK_STDIO0);
		int n = m == M_BATCH8 ? 8 : 1;
		for (int i = 0; i < n; i++) {
			json_t *obs = one_check();
			flush_stdout();
			write_frame(res, nonce, obs);
			json_decref(obs);
		}
		shared[0] = now();
		_exit(0);
	}
	s.fork_call = now() - tf;
	if (with_pipes) {
		int rd[4];
		for (int i = 0; i < 4; i++) {
			close(p[i][1]);
			rd[i] = p[i][0];
		}
		supervise(pid, rd, 4, &ru);
		/* What the supervisor does with the frame and the result. */
		json_t *result = json_pack("{s:s, s:f, s:s, s:s, s:s}", "op", "result", "wall", now() - t0, "channel",
					   "ok", "stdout_import", "", "stderr", "");
		char *text = json_dumps(result, JSON_COMPACT);
		free(text);
		json_decref(result);
	} else {
		int status;
		wait4(pid, &status, 0, &ru);
	}
	double t1 = now();
	s.wall = t1 - t0;
	s.exit_to_wait = t1 - shared[0];
	s.cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	s.minflt = ru.ru_minflt;
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(const char *name, double *us, int n, const char *extra)
{
	double med = median(us, n);
	printf("%-16s %9.1f %9.1f   %s\n", name, med, us[0], extra ? extra : "");
}

struct mode_def {
	const char *name;
	enum mode m;
	int per;
	double *wall, *fork_call, *ex, *cpu, *flt;
};

/* Modes run round-robin, so that noise from other load on the machine
 * spreads evenly over them instead of landing on one block. */
static void bench_modes(struct mode_def *md, int nm, int n)
{
	for (int k = 0; k < nm; k++) {
		md[k].wall = calloc((size_t)n, sizeof(double));
		md[k].fork_call = calloc((size_t)n, sizeof(double));
		md[k].ex = calloc((size_t)n, sizeof(double));
		md[k].cpu = calloc((size_t)n, sizeof(double));
		md[k].flt = calloc((size_t)n, sizeof(double));
		for (int i = 0; i < 3; i++)
			run_once(md[k].m);
	}
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < nm; k++) {
			struct sample s = run_once(md[k].m);
			md[k].wall[i] = s.wall * 1e6 / md[k].per;
			md[k].fork_call[i] = s.fork_call * 1e6;
			md[k].ex[i] = s.exit_to_wait * 1e6;
			md[k].cpu[i] = s.cpu_ms * 1e3 / md[k].per;
			md[k].flt[i] = (double)s.minflt / md[k].per;
		}
	}
	for (int k = 0; k < nm; k++) {
		char extra[256];
		snprintf(extra, sizeof(extra),
			 "fork() %4.0f µs; child %4.0f minflt, %5.0f µs CPU; _exit->reaped %4.0f µs",
			 median(md[k].fork_call, n), median(md[k].flt, n), median(md[k].cpu, n), median(md[k].ex, n));
		report(md[k].name, md[k].wall, n, extra);
	}
}

static void bench_roundtrip(int n)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	pid_t pid = fork();
	if (pid == 0) {
		char b[4096];
		close(sv[0]);
		for (;;) {
			ssize_t k = read(sv[1], b, sizeof(b));
			if (k <= 0)
				_exit(0);
			if (write(sv[1], b, (size_t)k) != k)
				_exit(1);
		}
	}
	double *v = calloc((size_t)n, sizeof(double));
	char msg[600], b[4096];
	memset(msg, 'x', sizeof(msg));
	for (int i = -3; i < n; i++) {
		double t0 = now();
		if (write(sv[0], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
			die("write");
		size_t got = 0;
		while (got < sizeof(msg)) {
			ssize_t k = read(sv[0], b, sizeof(b));
			if (k <= 0)
				die("read");
			got += (size_t)k;
		}
		if (i >= 0)
			v[i] = (now() - t0) * 1e6;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	close(sv[1]);
	report("roundtrip", v, n, "600-byte request and reply over a socketpair, two processes");
	free(v);
}

static void bench_pipes(int n)
{
	double *v = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		int p[4][2];
		double t0 = now();
		for (int j = 0; j < 4; j++)
			if (pipe2(p[j], O_CLOEXEC) < 0)
				die("pipe2");
		for (int j = 0; j < 4; j++) {
			close(p[j][0]);
			close(p[j][1]);
		}
		v[i] = (now() - t0) * 1e6;
	}
	report("pipes", v, n, "4x pipe2 + 8x close");
	free(v);
}

static void bench_json(int n)
{
	double *v = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		double t0 = now();
		json_t *obs = json_pack("{s:{s:s, s:b, s:f}, s:{s:[{s:i, s:i, s:i, s:s, s:i}], s:i}}", "import", "module",
					"refcount", "ok", 1, "seconds", 4e-5, "refcount", "cases", "extra", 0, "before", 1,
					"truth", 2, "type", "int", "answer", 2, "offset", 1);
		char *t = json_dumps(obs, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_t *back = json_loads(t, 0, NULL);
		json_t *res = json_pack("{s:s, s:f, s:f, s:I, s:s, s:s, s:s, s:s, s:I, s:o}", "op", "result", "wall",
					0.0016, "cpu", 0.0013, "maxrss_kb", (json_int_t)10532, "channel", "ok",
					"stdout_import", "", "stdout_call", "", "stderr", "", "output_dropped",
					(json_int_t)0, "observation", back);
		char *t2 = json_dumps(res, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_t *back2 = json_loads(t2, 0, NULL);
		json_decref(back2);
		free(t2);
		json_decref(res);
		free(t);
		json_decref(obs);
		v[i] = (now() - t0) * 1e6;
	}
	report("json", v, n, "observation + result: pack, dump, parse (child + supervisor + controller)");
	free(v);
}

static void describe_self(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long rss = 0, anon = 0, pte = 0;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "VmRSS: %ld", &rss);
		sscanf(line, "RssAnon: %ld", &anon);
		sscanf(line, "VmPTE: %ld", &pte);
	}
	if (f)
		fclose(f);
	int vmas = 0;
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strchr(line, '\n'))
			vmas++;
	if (f)
		fclose(f);
	printf("# parent: RSS %ld kB (anon %ld kB), page tables %ld kB, %d mappings\n", rss, anon, pte, vmas);
}

int main(int argc, char **argv)
{
	int n = 300, cold = 0;
	const char *path = "tests/data/submissions/refcount-correct/refcount.py";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--cold"))
			cold = 1;
		else
			path = argv[i];
	}
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	start_python(cold);
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open the submission file");
	static char src[1 << 16];
	size_t len = fread(src, 1, sizeof(src) - 1, f);
	fclose(f);
	src[len] = '\0';
	code = Py_CompileString(src, "refcount.py", Py_file_input);
	if (!code)
		die("compile");
	pre_stdio[0] = open_stream(0, "r", -1);
	pre_stdio[1] = open_stream(1, "w", 1);
	pre_stdio[2] = open_stream(2, "w", 1);
	find_libpython();
	/* stdout of this process is the report: keep children's fd 1 apart. */
	fflush(stdout);
	printf("# forkbench: Python %.*s, %s zygote, N=%d\n", (int)strcspn(Py_GetVersion(), " "), Py_GetVersion(),
	       cold ? "cold (no warm modules)" : "warm (pyhost's modules)", n);
	describe_self();
	printf("%-16s %9s %9s\n", "mode", "median µs", "min µs");
	fflush(stdout);
	struct mode_def md[] = {
		{ .name = "fork-exit", .m = M_FORK_EXIT, .per = 1 },
		{ .name = "fork-afterfork", .m = M_AFTERFORK, .per = 1 },
		{ .name = "check", .m = M_CHECK, .per = 1 },
		{ .name = "check-stdio0", .m = M_CHECK_STDIO0, .per = 1 },
		{ .name = "check-populate", .m = M_CHECK_POPULATE, .per = 1 },
		{ .name = "batch-8/check", .m = M_BATCH8, .per = 8 },
	};
	bench_modes(md, (int)(sizeof(md) / sizeof(*md)), n);
	fflush(stdout);
	bench_roundtrip(n * 10);
	bench_pipes(n * 10);
	bench_json(n * 10);
	return 0;
}
