/* The alloc kind: budgets of one call's allocations, measured by the
 * allocator hook, in the grader's own embedded interpreter. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/kind.h"
#include "observe/observe.h"
#include "unit/kinds/kindtest.h"
#include "py/memfix.h"

TestSuite(alloc, .init = kindtest_start, .timeout = 60);

static const char funcs[] =
	"import functools\n"
	"def same(x):\n"
	"    return x\n"
	"def boxed(x):\n"
	"    return [x]\n"
	"def big(n):\n"
	"    return bytearray(n)\n"
	"def churn(n):\n"
	"    b = bytearray(n)\n"
	"    del b\n"
	"@functools.lru_cache(maxsize=None)\n"
	"def cached(n):\n"
	"    return [0] * n\n"
	"def squares_comp(xs):\n"
	"    return [x * x for x in xs]\n"
	"def squares_str(xs):\n"
	"    return [str(x * x) for x in xs]\n"
	"def toggles_gc(x):\n"
	"    import gc\n"
	"    gc.enable()\n"
	"    return x\n"
	"def raises(x):\n"
	"    raise ValueError('no')\n";

/* One alloc check of funcs.NAME; expect is a JSON text. */
static enum check_status run(const char *name, const char *spec_extra, const char *expect, char **msg)
{
	static PyObject *mod;
	if (!mod)
		mod = kindtest_module("funcs", funcs);
	char fn[64];
	snprintf(fn, sizeof(fn), "funcs.%s", name);
	json_error_t e;
	json_t *spec = json_loads(spec_extra, 0, &e);
	cr_assert_not_null(spec, "%s", e.text);
	json_object_set_new(spec, "function", json_string(fn));
	json_t *ex = json_loads(expect, 0, &e);
	cr_assert_not_null(ex, "%s", e.text);
	return kindtest_grade(CHECK_ALLOC, mod, spec, ex, msg, NULL);
}

Test(alloc, a_function_that_allocates_nothing_passes)
{
	char *msg;
	cr_expect_eq(run("same", "{\"args\": [12345]}", "{\"max_allocations\": 0, \"max_peak\": 0}", &msg),
		     STATUS_PASS, "%s", msg);
	cr_expect(strstr(msg, "0 allocations"), "%s", msg);
	free(msg);
}

Test(alloc, one_allocation_over_a_zero_budget_fails)
{
	char *msg;
	cr_expect_eq(run("boxed", "{\"args\": [1]}", "{\"max_allocations\": 0}", &msg), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "boxed(1): 1 allocation per call; at most 0 allocations allowed"), "%s", msg);
	free(msg);
}

Test(alloc, net_and_peak_budgets)
{
	char *msg;
	cr_expect_eq(run("big", "{\"args\": [100000]}", "{\"max_net\": 65536}", &msg), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "bytes kept per call; at most 64 KiB kept allowed"), "%s", msg);
	free(msg);
	/* churn keeps nothing but peaks at its block. */
	cr_expect_eq(run("churn", "{\"args\": [100000]}", "{\"max_net\": 1024}", &msg), STATUS_PASS, "%s", msg);
	free(msg);
	cr_expect_eq(run("churn", "{\"args\": [100000]}", "{\"max_peak\": 65536}", &msg), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "at the peak"), "%s", msg);
	free(msg);
}

/* A cached function allocates on its first call only: the warm-up call
 * fills the cache.  Without warm-up the first call is measured. */
Test(alloc, cached_function_allocates_nothing_after_warm_up)
{
	char *msg;
	cr_expect_eq(run("cached", "{\"args\": [1000], \"warmup\": 1}", "{\"max_allocations\": 0}", &msg), STATUS_PASS,
		     "%s", msg);
	free(msg);
	cr_expect_eq(run("cached", "{\"args\": [2000], \"warmup\": 0, \"runs\": 1}", "{\"max_allocations\": 0}", &msg),
		     STATUS_FAIL, "%s", msg);
	free(msg);
}

Test(alloc, per_item_budget)
{
	char *msg;
	const char *xs = "{\"args\": [{\"$new\": {\"type\": \"list\", \"size\": 1000}}], \"per_item_of\": 0}";
	cr_expect_eq(run("squares_comp", xs, "{\"max_allocations\": 1.1}", &msg), STATUS_PASS, "%s", msg);
	cr_expect(strstr(msg, "per item"), "%s", msg);
	free(msg);
	cr_expect_eq(run("squares_str", xs, "{\"max_allocations\": 1.1}", &msg), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "allocations per item per call; at most 1.1 allocations per item allowed"), "%s", msg);
	free(msg);
}

Test(alloc, exception_fails_and_gc_state_is_restored)
{
	char *msg;
	cr_expect_eq(run("raises", "{\"args\": [1]}", "{\"max_allocations\": 0}", &msg), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "ValueError"), "%s", msg);
	free(msg);
	/* The student turns gc back on inside the window: kindtest_grade
	 * checks that it is as it was afterwards. */
	PyGC_Disable();
	cr_expect_eq(run("toggles_gc", "{\"args\": [1]}", "{\"max_allocations\": 0}", &msg), STATUS_PASS, "%s", msg);
	free(msg);
	PyGC_Enable();
}

/* tracemalloc started before the hook and stopped inside the call
 * restores the allocator it found, removing ours.  Once: the run is
 * measured again with the hook reinstalled.  Every time: the check fails
 * saying so.  Either way tracemalloc is left as the check found it. */
Test(alloc, hook_removed_by_tracemalloc)
{
	PyObject *mod = kindtest_module("tamper",
		"import tracemalloc\n"
		"tracemalloc.start()\n"
		"def toggle(x):\n"
		"    if tracemalloc.is_tracing():\n"
		"        tracemalloc.stop()\n"
		"    else:\n"
		"        tracemalloc.start()\n"
		"    return x\n"
		"def restart(x):\n"
		"    tracemalloc.stop()\n"
		"    tracemalloc.start()\n"
		"    return x\n");
	char *msg;
	json_t *obs;
	cr_expect_eq(kindtest_grade(CHECK_ALLOC, mod, json_pack("{s:s, s:[i], s:i}", "function", "tamper.toggle", "args", 1,
								"runs", 2),
				    json_pack("{s:i}", "max_peak", 1 << 30), &msg, &obs),
		     STATUS_PASS, "%s", msg);
	cr_expect_geq(json_integer_value(json_object_get(obs, "hook_removed")), 1, "removal not noticed");
	free(msg);
	json_decref(obs);
	cr_expect_eq(kindtest_grade(CHECK_ALLOC, mod, json_pack("{s:s, s:[i]}", "function", "tamper.restart", "args", 1),
				    json_pack("{s:i}", "max_allocations", 1000), &msg, NULL),
		     STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "removed the grader's allocator hook"), "%s", msg);
	free(msg);
	PyObject *r = memfix_tm("stop"); /* new */
	Py_XDECREF(r);
	Py_DECREF(mod);
}

/* Patched gc and sys functions change nothing the grader reads. */
Test(alloc, patched_gc_and_sys_do_not_hide_allocations)
{
	PyObject *mod = kindtest_module("patched",
		"import gc, sys\n"
		"gc.collect = lambda *a: 0\n"
		"gc.disable = gc.enable = lambda: None\n"
		"sys.getallocatedblocks = lambda: 0\n"
		"def grow(n):\n"
		"    return [object() for _ in range(n)]\n");
	char *msg;
	cr_expect_eq(kindtest_grade(CHECK_ALLOC, mod, json_pack("{s:s, s:[i]}", "function", "patched.grow", "args", 100),
				    json_pack("{s:i}", "max_allocations", 10), &msg, NULL),
		     STATUS_FAIL, "%s", msg);
	free(msg);
	PyRun_SimpleString("import importlib, gc\nimportlib.reload(gc)\n");
	Py_DECREF(mod);
}

Test(alloc, rubric_rules)
{
	const struct kind_def *kd = kind_def(CHECK_ALLOC);
	json_t *spec = json_pack("{s:s, s:[i]}", "function", "m.f", "args", 1);
	json_t *none = json_object(), *ok = json_pack("{s:i}", "max_net", 0);
	cr_expect_str_eq(kd->validate(spec, none), "an alloc check needs a budget: max_allocations, max_net or max_peak");
	cr_expect_null(kd->validate(spec, ok));
	json_object_set_new(spec, "per_item_of", json_integer(1));
	cr_expect_str_eq(kd->validate(spec, ok), "'per_item_of' must name one of the 'args'");
	json_decref(spec);
	json_decref(none);
	json_decref(ok);
}
