/*
 * Check kinds through the built binary: a rubric and a small submission
 * written to a temporary directory per test, graded, and each check's
 * status compared.  Cases that must pass and cases that must fail,
 * including student code that lies (__eq__, __repr__, __hash__), patches
 * what the grader measures with (sys.getsizeof, builtins, gc) or shadows
 * a stdlib module.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/run.h"
#include "base/util.h"

TestSuite(kinds, .timeout = 60);

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* Grades 'source' as module 'module' (plus 'extra' as extra_name, if not
 * NULL) with a rubric made of 'checks'; returns {id: check} (new). */
static json_t *grade_files(const char *module, const char *checks, const char *source, const char *extra_name,
			   const char *extra)
{
	char tmpl[] = "/tmp/grade-kinds-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char *rubric = xasprintf("%s/r.yaml", tmpl);
	char *sub = xasprintf("%s/sub", tmpl);
	char *file = xasprintf("%s/%s.py", sub, module);
	char *yaml = xasprintf("exercise: %s\nfiles: [%s.py]\nlimits: {time: 3s}\nchecks:\n%s", module, module, checks);
	cr_assert_eq(mkdir(sub, 0700), 0);
	write_text(rubric, yaml);
	write_text(file, source);
	char *extra_path = extra ? xasprintf("%s/%s", sub, extra_name) : NULL;
	if (extra)
		write_text(extra_path, extra);
	const char *args[] = { "-f", "json", "-r", rubric, sub, NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "grade exited %d: %s", r.status, r.err);
	json_t *report = json_loads(r.out, 0, NULL);
	cr_assert_not_null(report, "%s", r.out);
	json_t *map = json_object();
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_array_get(json_object_get(report, "exercises"), 0), "checks"), i, c)
		json_object_set(map, json_string_value(json_object_get(c, "id")), c);
	json_decref(report);
	run_result_release(&r);
	if (extra_path) {
		unlink(extra_path);
		free(extra_path);
	}
	unlink(file);
	unlink(rubric);
	rmdir(sub);
	rmdir(tmpl);
	free(yaml);
	free(file);
	free(sub);
	free(rubric);
	return map;
}

static json_t *grade(const char *module, const char *checks, const char *source)
{
	return grade_files(module, checks, source, NULL, NULL);
}

/* Each check's status must be as named: "id=status" ... */
static void expect_statuses(const json_t *map, const char *const *want)
{
	for (size_t i = 0; want[i]; i++) {
		const char *eq = strchr(want[i], '=');
		char *id = xstrndup(want[i], (size_t)(eq - want[i]));
		json_t *c = json_object_get(map, id);
		cr_assert_not_null(c, "no check %s", id);
		cr_expect_str_eq(json_string_value(json_object_get(c, "status")), eq + 1, "%s: %s (%s)", id,
				 json_string_value(json_object_get(c, "status")),
				 json_string_value(json_object_get(c, "message")));
		free(id);
	}
}

static void expect_message(const json_t *map, const char *id, const char *part)
{
	const char *msg = json_string_value(json_object_get(json_object_get(map, id), "message"));
	cr_expect(msg && strstr(msg, part), "%s says \"%s\", expected \"%s\"", id, msg ? msg : "(none)", part);
}

#define CALL(id, fn, rest) "  - id: " id "\n    kind: call\n    function: m." fn "\n" rest

Test(kinds, call_equality_is_strict_and_calls_no_student_method)
{
	/* Every method of Liar ends the process: if the grader called one,
	 * the check would crash instead of failing. */
	const char *src =
		"import os\n"
		"class Liar(int):\n"
		"    def __eq__(self, o): os._exit(7)\n"
		"    def __ne__(self, o): os._exit(7)\n"
		"    def __hash__(self): os._exit(7)\n"
		"    def __repr__(self): os._exit(7)\n"
		"    def __str__(self): os._exit(7)\n"
		"    def __index__(self): os._exit(7)\n"
		"class LyingList(list):\n"
		"    def __eq__(self, o): os._exit(7)\n"
		"    def __iter__(self): os._exit(7)\n"
		"    def __len__(self): os._exit(7)\n"
		"def true(): return True\n"
		"def one(): return 1\n"
		"def liar(): return Liar(1)\n"
		"def mapped(): return map(int, '12')\n"
		"def lying_list(): return LyingList([1, 2])\n"
		"def float_one(): return 1.0\n"
		"class KeyLiar(int):\n"
		"    __hash__ = int.__hash__\n"
		"    def __eq__(self, o): os._exit(7)\n"
		"    def __repr__(self): os._exit(7)\n"
		"def key_liar(): return {KeyLiar(1): 'x'}\n";
	json_t *m = grade("m",
			  CALL("true", "true", "    returns: 1\n")
			  CALL("one", "one", "    returns: 1\n")
			  CALL("one-not-true", "one", "    returns: True\n")
			  CALL("liar", "liar", "    returns: 1\n")
			  CALL("map", "mapped", "    returns: [1, 2]\n")
			  CALL("list-subclass", "lying_list", "    returns: [1, 2]\n")
			  CALL("float", "float_one", "    returns: 1\n")
			  CALL("key-liar", "key_liar", "    returns: {1: x}\n"),
			  src);
	const char *want[] = { "true=fail", "one=pass", "one-not-true=fail", "liar=fail", "map=fail",
			       "list-subclass=fail", "float=fail", "key-liar=fail", NULL };
	expect_statuses(m, want);
	expect_message(m, "liar", "<m.Liar object>");
	expect_message(m, "map", "<map object>");
	json_decref(m);
}

Test(kinds, call_identity)
{
	const char *src =
		"import copy\n"
		"def same(x): return x\n"
		"def copied(x): return list(x)\n"
		"def new_token(x): return type(x)()\n"
		"def second(a, b): return b\n";
	json_t *m = grade("m",
			  CALL("same", "same", "    args: [!new list]\n    returns_arg: 0\n")
			  CALL("copied", "copied", "    args: [!new list]\n    returns_arg: 0\n")
			  CALL("second", "second", "    args: [!new list, !new dict]\n    returns_arg: 1\n")
			  CALL("second-not-first", "second", "    args: [!new list, !new dict]\n    returns_arg: 0\n")
			  CALL("token", "same", "    args: [!fixture token]\n    returns: !fixture token\n")
			  CALL("not-token", "new_token", "    args: [!fixture token]\n    returns: !fixture token\n")
			  CALL("function", "same", "    args: [!fixture sample_function]\n    returns: !fixture sample_function\n"),
			  src);
	const char *want[] = { "same=pass", "copied=fail", "second=pass", "second-not-first=fail", "token=pass",
			       "not-token=fail", "function=pass", NULL };
	expect_statuses(m, want);
	expect_message(m, "copied", "the very same object");
	expect_message(m, "not-token", "not the very object <grader's token>");
	json_decref(m);
}

Test(kinds, call_dict_predicates)
{
	const char *src =
		"import collections\n"
		"def good(): return {'peak': 100, 'net': -4}\n"
		"def extra(): return {'peak': 100, 'net': -4, 'top': []}\n"
		"def missing(): return {'peak': 100}\n"
		"def negative(): return {'peak': -1, 'net': 0}\n"
		"def boolean(): return {'peak': True, 'net': 0}\n"
		"def floaty(): return {'peak': 1.5, 'net': 0}\n"
		"def ordered(): return collections.OrderedDict(peak=1, net=0)\n";
#define PRED "    returns_dict: {keys: [peak, net], types: {peak: int, net: int}, ranges: {peak: [0, null]}}\n"
	const char *checks = CALL("good", "good", PRED) CALL("extra-ok", "extra", PRED)
		CALL("extra-exact", "extra", "    returns_dict: {keys: [peak, net], exact_keys: true}\n")
		CALL("missing", "missing", PRED) CALL("negative", "negative", PRED) CALL("boolean", "boolean", PRED)
		CALL("floaty", "floaty", PRED) CALL("ordered", "ordered", PRED);
#undef PRED
	json_t *m = grade("m", checks, src);
	const char *want[] = { "good=pass", "extra-ok=pass", "extra-exact=fail", "missing=fail", "negative=fail",
			       "boolean=fail", "floaty=fail", "ordered=fail", NULL };
	expect_statuses(m, want);
	expect_message(m, "missing", "has no key 'net'");
	expect_message(m, "negative", "'peak' = -1, below 0");
	expect_message(m, "boolean", "of type bool, not int");
	expect_message(m, "extra-exact", "unexpected key 'top'");
	json_decref(m);
}

Test(kinds, call_attributes_of_a_returned_callable)
{
	const char *src =
		"import functools\n"
		"def wraps(f):\n"
		"    @functools.wraps(f)\n"
		"    def inner(*a, **k): return f(*a, **k)\n"
		"    inner.last_profile = {'peak': 0, 'net': 0}\n"
		"    return inner\n"
		"def bare(f):\n"
		"    def inner(*a, **k): return f(*a, **k)\n"
		"    return inner\n"
		"def wrong_wrapped(f):\n"
		"    @functools.wraps(f)\n"
		"    def inner(*a, **k): return f(*a, **k)\n"
		"    inner.__wrapped__ = len\n"
		"    return inner\n"
		"class Raising:\n"
		"    @property\n"
		"    def __wrapped__(self): raise RuntimeError('no')\n"
		"def raising(f): return Raising()\n";
#define ATTRS "    args: [!fixture sample_function]\n" \
	"    attributes: {__name__: sample_function, __doc__: \"A grader function: returns its argument.\"," \
	" __wrapped__: !fixture sample_function}\n"
	const char *checks = CALL("wraps", "wraps", ATTRS) CALL("bare", "bare", ATTRS)
		CALL("wrong-wrapped", "wrong_wrapped", ATTRS)
		CALL("raising", "raising", "    args: [!fixture sample_function]\n    attributes: {__wrapped__: !fixture sample_function}\n")
		CALL("attr-dict", "wraps", "    args: [!fixture sample_function]\n"
		     "    attributes_dict: {last_profile: {keys: [peak, net], types: {peak: int}}}\n");
#undef ATTRS
	json_t *m = grade("m", checks, src);
	const char *want[] = { "wraps=pass", "bare=fail", "wrong-wrapped=fail", "raising=fail", "attr-dict=pass", NULL };
	expect_statuses(m, want);
	expect_message(m, "bare", "'__name__' is 'inner', expected 'sample_function'");
	expect_message(m, "wrong-wrapped", "not the very object <grader's sample_function>");
	expect_message(m, "raising", "RuntimeError");
	json_decref(m);
}

Test(kinds, call_truth_is_the_graders_walk_whatever_the_student_patches)
{
	const char *src =
		"import builtins, sys\n"
		"_real = sys.getsizeof\n"
		"sys.getsizeof = lambda o, d=0: 1\n"          /* what the student sees */
		"builtins.isinstance = lambda o, t: False\n"
		"def ones(o): return sys.getsizeof(o)\n"
		"def shallow(o): return _real(o)\n"
		"def emptied(o):\n"
		"    o.clear()\n"
		"    return _real(o)\n"
		"def text(o): return str(_real(o))\n";
	json_t *m = grade("m",
			  CALL("leaf", "shallow", "    args: [123456789]\n    truth: deepsize\n")
			  CALL("ones", "ones", "    args: [!build shared_str]\n    truth: deepsize\n")
			  CALL("shallow", "shallow", "    args: [!build shared_str]\n    truth: deepsize\n")
			  CALL("emptied", "emptied", "    args: [!build shared_str]\n    truth: deepsize\n")
			  CALL("text", "text", "    args: [1]\n    truth: deepsize\n"),
			  src);
	const char *want[] = { "leaf=pass", "ones=fail", "shallow=fail", "emptied=fail", "text=fail", NULL };
	expect_statuses(m, want);
	expect_message(m, "ones", "the grader's walk gives");
	expect_message(m, "emptied", "changed the object it was given");
	expect_message(m, "text", "a str, not an int");
	json_decref(m);
}

Test(kinds, call_stdout_and_stderr)
{
	const char *src = "import sys\n"
			  "def quiet(): return 1\n"
			  "def noisy(): print('hello'); return 1\n"
			  "def warns(): print('careful', file=sys.stderr); return 1\n";
	json_t *m = grade("m",
			  CALL("quiet", "quiet", "    stdout: \"\"\n    stderr: \"\"\n")
			  CALL("noisy", "noisy", "    stdout: \"\"\n")
			  CALL("noisy-regex", "noisy", "    stdout: {regex: \"^hel+o\"}\n")
			  CALL("warns", "warns", "    stderr: \"\"\n")
			  CALL("warns-ok", "warns", "    stderr: {contains: careful}\n"),
			  src);
	const char *want[] = { "quiet=pass", "noisy=fail", "noisy-regex=pass", "warns=fail", "warns-ok=pass", NULL };
	expect_statuses(m, want);
	json_decref(m);
}

#define GC(id, fn, rest) "  - id: " id "\n    kind: gc\n    function: m." fn "\n" rest

Test(kinds, gc_collected_garbage_and_state)
{
	const char *src =
		"import gc\n"
		"def collect(): return gc.collect()\n"
		"def garbage_len(): return len(gc.garbage)\n"
		"def disable(): gc.disable()\n"
		"def careful():\n"
		"    was = gc.isenabled()\n"
		"    gc.disable()\n"
		"    try:\n"
		"        return 1\n"
		"    finally:\n"
		"        if was:\n"
		"            gc.enable()\n"
		"def thresholds(): gc.set_threshold(1, 1, 1)\n"
		"def callback(): gc.callbacks.append(lambda phase, info: None)\n"
		"def rebind(): gc.callbacks = []\n"
		"def cycles(n):\n"
		"    for _ in range(n):\n"
		"        a = []\n"
		"        a.append([a])\n"
		"def saveall():\n"
		"    gc.set_debug(gc.DEBUG_SAVEALL)\n"
		"    a = []\n"
		"    a.append(a)\n"
		"    del a\n"
		"    gc.collect()\n";
	json_t *m = grade("m",
			  GC("collect", "collect", "    cycles: 40\n    returns_collected: true\n    keeps_state: true\n")
			  GC("garbage-len", "garbage_len", "    cycles: 40\n    returns_collected: true\n")
			  GC("disable", "disable", "    keeps_state: true\n")
			  GC("disable-wanted", "disable", "    enabled: false\n")
			  GC("careful", "careful", "    keeps_state: true\n    enabled: true\n")
			  GC("thresholds", "thresholds", "    keeps_state: true\n")
			  GC("callback", "callback", "    keeps_state: true\n")
			  GC("rebind", "rebind", "    keeps_state: true\n")
			  GC("cycles", "cycles", "    args: [3]\n    collected: 6\n")
			  GC("no-cycles", "cycles", "    args: [0]\n    collected: 0\n    garbage_empty: true\n")
			  GC("leaves-cycles", "cycles", "    args: [2]\n    collected: 0\n")
			  GC("saveall", "saveall", "    garbage_empty: true\n"),
			  src);
	const char *want[] = { "collect=pass", "garbage-len=fail", "disable=fail", "disable-wanted=pass",
			       "careful=pass", "thresholds=fail", "callback=fail", "rebind=pass", "cycles=pass",
			       "no-cycles=pass", "leaves-cycles=fail", "saveall=fail", NULL };
	expect_statuses(m, want);
	expect_message(m, "disable", "left the garbage collector disabled");
	expect_message(m, "thresholds", "changed the thresholds");
	expect_message(m, "garbage-len", "80 unreachable objects");
	json_decref(m);
}

Test(kinds, gc_a_shadowing_gc_module_changes_nothing)
{
	/* The submission ships its own gc.py: the student's import finds the
	 * real, preloaded gc, and the grader reads gc through C anyway. */
	const char *shadow = "def collect(): return 999\ndef disable(): pass\n";
	json_t *m = grade_files("m", GC("collect", "collect", "    cycles: 10\n    returns_collected: true\n"),
				"import gc\ndef collect(): return gc.collect()\n", "gc.py", shadow);
	const char *want[] = { "collect=pass", NULL };
	expect_statuses(m, want);
	json_decref(m);
}
