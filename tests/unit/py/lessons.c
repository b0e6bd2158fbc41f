/*
 * Every lesson of exercises/lessons runs in an embedded interpreter started
 * the way the grader starts it (isolated, no site) and finishes without an
 * exception: a claim that is false on this CPython fails here.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "py/pyhost.h"
#include "run/zygote.h"
#include "base/util.h"

static void start(void)
{
	char err[256] = "";
	cr_assert_eq(zygote_start_python(err, sizeof(err)), 0, "%s", err);
}

TestSuite(lessons, .init = start, .timeout = 120);

/* Parameters are copied into Criterion's worker process: no pointers. */
struct lesson {
	char file[64];
};

ParameterizedTestParameters(lessons, run)
{
	static struct lesson names[] = { { "internals_bytecode.py" }, { "internals_refcount.py" },
					 { "internals_gc.py" }, { "internals_memory.py" } };
	return cr_make_param_array(struct lesson, names, sizeof(names) / sizeof(names[0]));
}

ParameterizedTest(struct lesson *lesson, lessons, run)
{
	const char *const *name = &(const char *){ lesson->file };
	char *path = xasprintf("%s/exercises/lessons/%s", getenv("GRADE_SOURCE_ROOT"), *name);
	char *source = NULL;
	size_t len = 0;
	cr_assert_eq(read_file(&source, &len, path, 1 << 20), 0, "cannot read %s", path);
	json_t *error = NULL;
	PyObject *code = pyhost_compile(source, len, *name, &error); /* new */
	cr_assert_not_null(code, "%s does not compile", *name);
	struct py_exception exc;
	PyObject *mod = pyhost_exec_module("__main__", code, *name, &exc); /* new */
	cr_expect_not_null(mod, "%s failed: %s: %s (line %d)", *name, exc.type, exc.message, exc.line);
	Py_XDECREF(mod);
	Py_DECREF(code);
	free(source);
	free(path);
}
