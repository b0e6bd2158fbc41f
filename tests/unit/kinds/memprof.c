/* The memprof kind's observer and decider, in the grader's own embedded
 * interpreter (pyhost_start), on small student modules. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "measure/allochook.h"
#include "run/zygote.h"
#include "kinds/kind.h"
#include "observe/observe.h"
#include "py/memfix.h"
#include "py/pyhost.h"
#include "kinds/verdict.h"

static void start(void)
{
	char err[256];
	cr_assert_eq(zygote_start_python(err, sizeof(err)), 0, "%s", err);
}

TestSuite(memprof, .init = start, .timeout = 60);

static const char good[] =
	"import functools, tracemalloc\n"
	"def profile_memory(func):\n"
	"    @functools.wraps(func)\n"
	"    def wrapper(*a, **k):\n"
	"        started = not tracemalloc.is_tracing()\n"
	"        if started:\n"
	"            tracemalloc.start()\n"
	"        try:\n"
	"            tracemalloc.reset_peak()\n"
	"            s = tracemalloc.get_traced_memory()[0]\n"
	"            r = func(*a, **k)\n"
	"            e, p = tracemalloc.get_traced_memory()\n"
	"            wrapper.last_profile = {'peak': p - s, 'net': e - s}\n"
	"            return r\n"
	"        finally:\n"
	"            if started:\n"
	"                tracemalloc.stop()\n"
	"    wrapper.last_profile = None\n"
	"    return wrapper\n";

static PyObject *student(const char *name, const char *source)
{
	json_t *error = NULL;
	PyObject *code = pyhost_compile(source, strlen(source), "memprof.py", &error); /* new */
	cr_assert_not_null(code);
	struct py_exception exc;
	PyObject *mod = pyhost_exec_module(name, code, "memprof.py", &exc); /* new */
	cr_assert_not_null(mod, "%s: %s", exc.type, exc.message);
	Py_DECREF(code);
	return mod;
}

/* Observes and decides one check; returns the status, *msg the message. */
static enum check_status grade_one(PyObject *mod, const char *workload, const char *caller, const char *verify,
				   char **msg)
{
	const struct kind_def *kd = kind_def(CHECK_MEMPROF);
	json_t *spec = json_pack("{s:s, s:s, s:s}", "function", "memprof.profile_memory", "workload", workload,
				 "caller", caller);
	json_t *expect = json_pack("{s:[s]}", "verify", verify);
	json_t *obs = json_object();
	observer_of(CHECK_MEMPROF)->observe(mod, spec, obs);
	/* The interpreter is left as found. */
	cr_expect(!memfix_tracing(), "tracemalloc left tracing");
	cr_expect(!allochook_installed(), "allocator hook left installed");
	cr_expect(!PyErr_Occurred());
	struct check c = { .id = "t", .kind = CHECK_MEMPROF, .points = 1, .spec = spec, .expect = expect,
			   .feedback = json_object() };
	struct check_result out = { .check = &c, .max_score = 1 };
	json_t *result = json_object();
	kd->decide(&c, result, obs, &out);
	*msg = out.message;
	free(out.feedback);
	json_decref(result);
	json_decref(c.feedback);
	json_decref(spec);
	json_decref(expect);
	json_decref(obs);
	return out.status;
}

Test(memprof, good_decorator_passes)
{
	PyObject *mod = student("memprof", good);
	const char *cases[][3] = {
		{ "keep", "idle", "net" }, { "churn", "idle", "peak" }, { "keep", "tracing", "net" },
		{ "churn", "tracing", "peak" }, { "fail", "idle", "raises" }, { "fail", "idle", "tracing" },
		{ "keep", "tracing", "traces" }, { "keep", "idle", "returns" }, { "keep", "idle", "metadata" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *msg = NULL;
		enum check_status st = grade_one(mod, cases[i][0], cases[i][1], cases[i][2], &msg);
		cr_expect_eq(st, STATUS_PASS, "%s/%s/%s: %s", cases[i][0], cases[i][1], cases[i][2], msg);
		free(msg);
	}
	Py_DECREF(mod);
}

Test(memprof, unconditional_stop_fails_for_a_tracing_caller)
{
	char *src = strdup(good);
	char *p = strstr(src, "            if started:\n                tracemalloc.stop()");
	memcpy(p, "            if True:   \n", strlen("            if True:   \n"));
	PyObject *mod = student("memprof", src);
	char *msg = NULL;
	cr_expect_eq(grade_one(mod, "keep", "tracing", "tracing", &msg), STATUS_FAIL);
	cr_expect(strstr(msg, "tracemalloc.stop() was called although the caller was tracing"), "%s", msg);
	free(msg);
	Py_DECREF(mod);
	free(src);
}

/* Patched tracemalloc functions and builtins fool the student's own code,
 * not the grader's measurement or its view of the tracing state. */
Test(memprof, tampering_does_not_reach_the_grader)
{
	static const char tamper[] =
		"import builtins, sys, tracemalloc, _tracemalloc\n"
		"tracemalloc.get_traced_memory = lambda: (0, 0)\n"
		"_tracemalloc.get_traced_memory = tracemalloc.get_traced_memory\n"
		"_tracemalloc.is_tracing = lambda: True\n"
		"sys.getrefcount = lambda o: 2\n"
		"builtins.bytearray = lambda *a, **k: b''\n"
		"def profile_memory(func):\n"
		"    def wrapper(*a, **k):\n"
		"        tracemalloc.start()\n"
		"        r = func(*a, **k)\n"
		"        wrapper.last_profile = {'peak': 0, 'net': 0}\n"
		"        return r\n"
		"    return wrapper\n";
	PyObject *mod = student("memprof", tamper);
	char *msg = NULL;
	cr_expect_eq(grade_one(mod, "keep", "idle", "net", &msg), STATUS_FAIL);
	cr_expect(strstr(msg, "the grader measured 100"), "%s", msg);
	free(msg);
	cr_expect_eq(grade_one(mod, "churn", "idle", "tracing", &msg), STATUS_FAIL, "%s", msg);
	free(msg);
	/* Undo what the module did to the interpreter's shared objects. */
	PyRun_SimpleString("import builtins, importlib, sys, _tracemalloc, tracemalloc\n"
			   "importlib.reload(tracemalloc)\n");
	Py_DECREF(mod);
}

Test(memprof, decorator_that_raises_fails_cleanly)
{
	PyObject *mod = student("memprof", "def profile_memory(func):\n    raise NotImplementedError('x')\n");
	char *msg = NULL;
	cr_expect_eq(grade_one(mod, "keep", "tracing", "net", &msg), STATUS_FAIL);
	cr_expect(strstr(msg, "NotImplementedError"), "%s", msg);
	free(msg);
	Py_DECREF(mod);
}
