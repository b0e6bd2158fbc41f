#include "unit/kinds/kindtest.h"
#include "run/zygote.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "measure/allochook.h"
#include "kinds/kind.h"
#include "observe/observe.h"
#include "py/memfix.h"
#include "py/pyhost.h"
#include "kinds/verdict.h"

void kindtest_start(void)
{
	char err[256];
	cr_assert_eq(zygote_start_python(err, sizeof(err)), 0, "%s", err);
}

PyObject *kindtest_module(const char *name, const char *source)
{
	json_t *error = NULL;
	char file[128];
	snprintf(file, sizeof(file), "%s.py", name);
	PyObject *code = pyhost_compile(source, strlen(source), file, &error); /* new */
	cr_assert_not_null(code, "%s does not compile", name);
	struct py_exception exc;
	PyObject *mod = pyhost_exec_module(name, code, file, &exc); /* new */
	cr_assert_not_null(mod, "%s: %s", exc.type, exc.message);
	Py_DECREF(code);
	return mod;
}

enum check_status kindtest_grade(enum check_kind kind, PyObject *mod, json_t *spec, json_t *expect, char **msg,
				 json_t **obs_out)
{
	const struct kind_def *kd = kind_def(kind);
	const struct observer *ob = observer_of(kind);
	json_t *obs = json_object();
	int gc_before = PyGC_IsEnabled();
	bool tracing_before = memfix_tracing();
	ob->observe(mod, spec, obs);
	cr_expect(!allochook_installed(), "allocator hook left installed");
	cr_expect_eq(PyGC_IsEnabled(), gc_before, "gc's enabled state changed");
	cr_expect_eq(memfix_tracing(), tracing_before, "tracemalloc's tracing state changed");
	cr_expect(!PyErr_Occurred(), "a Python exception is pending");
	PyErr_Clear();
	struct check c = { .id = "t", .kind = kind, .points = 1, .spec = spec, .expect = expect,
			   .feedback = json_object() };
	struct check_result out = { .check = &c, .max_score = 1 };
	json_t *result = json_object();
	kd->decide(&c, result, obs, &out);
	*msg = out.message;
	if (getenv("KINDTEST_VERBOSE")) {   /* for calibrating rubrics and docs */
		char *o = json_dumps(obs, JSON_COMPACT);
		fprintf(stderr, "kindtest: %s\n  %s\n", out.message, o);
		free(o);
	}
	free(out.feedback);
	json_decref(result);
	json_decref(c.feedback);
	json_decref(spec);
	json_decref(expect);
	if (obs_out)
		*obs_out = obs;
	else
		json_decref(obs);
	return out.status;
}
