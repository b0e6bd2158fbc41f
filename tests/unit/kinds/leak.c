/* References and memory a call keeps: the leak kind (regrtest -R style)
 * and the refcount kind's balance, in the grader's own interpreter. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/kind.h"
#include "observe/observe.h"
#include "unit/kinds/kindtest.h"

TestSuite(leak, .init = kindtest_start, .timeout = 60);

static const char funcs[] =
	"import sys\n"
	"_kept = []\n"
	"_cache = {}\n"
	"_memo = {}\n"
	"_once = []\n"
	"_results = []\n"
	"_thing = object()\n"
	"def clean(x):\n"
	"    return [x, object()]\n"
	"def appends(x):\n"
	"    _kept.append(x)\n"
	"def caches_forever(x):\n"
	"    _cache[len(_cache)] = object()\n"
	"    return x\n"
	"def memoizes(x):\n"
	"    if x not in _memo:\n"
	"        _memo[x] = [x] * 10\n"
	"    return _memo[x]\n"
	"def first_call_only(x):\n"
	"    if not _once:\n"
	"        _once.append([object() for _ in range(50)])\n"
	"def keeps_result(x):\n"
	"    _results.append(_thing)\n"
	"    return _thing\n"
	"def via_sys_modules(x):\n"
	"    sys.modules.setdefault('_stash', []).append(x)\n"
	"def second_arg(a, b):\n"
	"    _kept.append(b)\n"
	"    return a\n";

static enum check_status leak(const char *name, json_t *args, json_t *expect, char **msg, json_t **obs)
{
	static PyObject *mod;
	if (!mod)
		mod = kindtest_module("funcs", funcs);
	char fn[64];
	snprintf(fn, sizeof(fn), "funcs.%s", name);
	json_t *spec = json_pack("{s:s, s:o}", "function", fn, "args", args);
	return kindtest_grade(CHECK_LEAK, mod, spec, expect ? expect : json_object(), msg, obs);
}

static json_t *a_new_object(void)
{
	return json_pack("[{s:s}]", "$new", "object");
}

Test(leak, clean_function_passes_with_zero_deltas)
{
	char *msg;
	json_t *obs;
	cr_expect_eq(leak("clean", a_new_object(), NULL, &msg, &obs), STATUS_PASS, "%s", msg);
	cr_expect(strstr(msg, "leaks nothing: memory blocks [0, 0, 0] over 3 runs after 3 warm-up calls"), "%s", msg);
	char *args = json_dumps(json_object_get(obs, "args"), JSON_COMPACT);
	cr_expect_str_eq(args, "[[0,0,0]]");
	free(args);
	free(msg);
	json_decref(obs);
}

Test(leak, appending_the_argument_to_a_global_list_leaks_a_reference)
{
	char *msg;
	cr_expect_eq(leak("appends", a_new_object(), NULL, &msg, NULL), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "appends(<new object>) leaks 1 reference to its argument per call: deltas [1, 1, 1]"), "%s",
		  msg);
	free(msg);
}

Test(leak, sys_modules_is_a_global_container_too)
{
	char *msg;
	cr_expect_eq(leak("via_sys_modules", a_new_object(), NULL, &msg, NULL), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "leaks 1 reference to its argument per call: deltas [1, 1, 1]"), "%s", msg);
	free(msg);
}

Test(leak, the_second_argument_is_named)
{
	char *msg;
	json_t *args = json_pack("[{s:s}, {s:s}]", "$new", "object", "$new", "object");
	cr_expect_eq(leak("second_arg", args, NULL, &msg, NULL), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "to its second argument per call"), "%s", msg);
	free(msg);
}

Test(leak, a_cache_that_grows_forever_leaks_memory_blocks)
{
	char *msg;
	cr_expect_eq(leak("caches_forever", json_pack("[i]", 5), NULL, &msg, NULL), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "caches_forever(5) leaks 1 memory block per call: deltas ["), "%s", msg);
	free(msg);
}

/* Costs paid by the first calls only are not leaks (regrtest's rule). */
Test(leak, a_cache_filled_once_is_not_a_leak)
{
	char *msg;
	cr_expect_eq(leak("memoizes", json_pack("[i]", 1234), NULL, &msg, NULL), STATUS_PASS, "%s", msg);
	free(msg);
	cr_expect_eq(leak("first_call_only", a_new_object(), NULL, &msg, NULL), STATUS_PASS, "%s", msg);
	free(msg);
}

Test(leak, a_result_referenced_once_more_per_call)
{
	char *msg;
	cr_expect_eq(leak("keeps_result", a_new_object(), NULL, &msg, NULL), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "keeps 1 more reference to its result after each call: deltas [1, 1, 1]"), "%s", msg);
	free(msg);
	/* Not graded when the rubric verifies blocks only. */
	cr_expect_eq(leak("keeps_result", a_new_object(), json_pack("{s:[s]}", "verify", "blocks"), &msg, NULL),
		     STATUS_PASS, "%s", msg);
	free(msg);
}

/* Student code that patches gc and sys changes nothing the grader reads:
 * collections and counts are C calls. */
Test(leak, patched_gc_and_getrefcount_do_not_hide_a_leak)
{
	PyObject *mod = kindtest_module("patched",
		"import gc, sys\n"
		"gc.collect = lambda *a: 0\n"
		"sys.getrefcount = lambda o: 2\n"
		"sys.getallocatedblocks = lambda: 0\n"
		"_k = []\n"
		"def hide(x):\n"
		"    _k.append(x)\n"
		"    _k.append(object())\n");
	char *msg;
	cr_expect_eq(kindtest_grade(CHECK_LEAK, mod, json_pack("{s:s, s:o}", "function", "patched.hide", "args", a_new_object()),
				    json_pack("{s:[s]}", "verify", "blocks"), &msg, NULL),
		     STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "leaks 1 memory block per call"), "%s", msg);
	free(msg);
	PyRun_SimpleString("import importlib, gc, sys\nimportlib.reload(gc)\nsys.getrefcount = sys.__dict__['getrefcount']\n");
	Py_DECREF(mod);
}

Test(leak, hook_removed_for_every_run_fails_the_memory_part)
{
	PyObject *mod = kindtest_module("tamper",
		"import tracemalloc\n"
		"tracemalloc.start()\n"
		"def restart(x):\n"
		"    tracemalloc.stop()\n"
		"    tracemalloc.start()\n");
	char *msg;
	cr_expect_eq(kindtest_grade(CHECK_LEAK, mod, json_pack("{s:s, s:[i]}", "function", "tamper.restart", "args", 1),
				    json_object(), &msg, NULL),
		     STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "removed the grader's allocator hook during the measured runs"), "%s", msg);
	free(msg);
	PyRun_SimpleString("import tracemalloc\ntracemalloc.stop()\n");
	Py_DECREF(mod);
}

Test(leak, rubric_rules)
{
	const struct kind_def *kd = kind_def(CHECK_LEAK);
	json_t *spec = json_pack("{s:s, s:i}", "function", "m.f", "runs", 17);
	json_t *expect = json_pack("{s:[s]}", "verify", "everything");
	cr_expect_str_eq(kd->validate(spec, json_object()), "'warmup' and 'runs' must be whole numbers from 1 to 16");
	json_object_set_new(spec, "runs", json_integer(3));
	cr_expect_str_eq(kd->validate(spec, expect), "'verify' items are arguments, result, blocks, bytes");
	json_decref(spec);
	json_decref(expect);
}

/* ---- refcount, compare: balance ---- */

static const char counters[] =
	"import sys\n"
	"_kept = []\n"
	"def good(obj):\n"
	"    return sys.getrefcount(obj) - 1\n"
	"def keeps_argument(obj):\n"
	"    n = sys.getrefcount(obj) - 1\n"
	"    _kept.append(obj)\n"
	"    return n\n"
	"def keeps_result(obj):\n"
	"    n = sys.getrefcount(obj) + 100000\n"
	"    _kept.append(n)\n"
	"    return n\n"
	"def keeps_itself(obj):\n"
	"    _kept.append(keeps_itself)\n"
	"    return 1\n"
	"def returns_it(obj):\n"
	"    return obj\n"
	"def patched(obj):\n"
	"    import gc\n"
	"    sys.getrefcount = lambda o: 2\n"
	"    gc.get_referrers = lambda *o: []\n"
	"    _kept.append(obj)\n"
	"    return 1\n";

static enum check_status balance(const char *name, char **msg)
{
	static PyObject *mod;
	if (!mod)
		mod = kindtest_module("counters", counters);
	char fn[64];
	snprintf(fn, sizeof(fn), "counters.%s", name);
	json_t *spec = json_pack("{s:s, s:{s:s}, s:[i, i], s:s}", "function", fn, "object", "$new", "list", "extra_refs", 0,
				 2, "compare", "balance");
	return kindtest_grade(CHECK_REFCOUNT, mod, spec, json_object(), msg, NULL);
}

Test(leak, balance_of_a_correct_count_refs)
{
	char *msg;
	cr_expect_eq(balance("good", &msg), STATUS_PASS, "%s", msg);
	cr_expect(strstr(msg, "leaves the counts of its argument, itself and its result as they were in all 2 cases"), "%s",
		  msg);
	free(msg);
	/* Returning the argument gives the caller a reference: balanced. */
	cr_expect_eq(balance("returns_it", &msg), STATUS_PASS, "%s", msg);
	free(msg);
}

Test(leak, balance_names_what_was_kept)
{
	char *msg;
	cr_expect_eq(balance("keeps_argument", &msg), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "keeps_argument keeps a reference to its argument: after keeps_argument(<new list>) its count is"),
		  "%s", msg);
	free(msg);
	cr_expect_eq(balance("keeps_result", &msg), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "keeps_result keeps a reference to its result"), "%s", msg);
	free(msg);
	cr_expect_eq(balance("keeps_itself", &msg), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "keeps_itself keeps 1 more reference to itself"), "%s", msg);
	free(msg);
}

/* The counts are read in C: patching sys and gc hides nothing. */
Test(leak, balance_under_tampering)
{
	char *msg;
	cr_expect_eq(balance("patched", &msg), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "patched keeps a reference to its argument"), "%s", msg);
	free(msg);
}
