/*
 * The bytecode and source kinds, in one embedded interpreter: the child's
 * observer on modules built from source text, then the controller's
 * decision on that observation.  Tampering cases patch dis, opcode,
 * builtins or sys.modules the way student code could; the grader's own
 * answer must not move.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "measure/bytecode.h"
#include "run/zygote.h"
#include "kinds/kind.h"
#include "observe/observe.h"
#include "py/pyhost.h"
#include "base/util.h"

static void start(void)
{
	char err[256] = "";
	cr_assert_eq(zygote_start_python(err, sizeof(err)), 0, "%s", err);
}

TestSuite(bytecode, .init = start, .timeout = 60);

/* Runs 'source' as module 'm'.  Returns a new reference. */
static PyObject *module_from(const char *source)
{
	json_t *error = NULL;
	PyObject *code = pyhost_compile(source, strlen(source), "m.py", &error); /* new */
	cr_assert_not_null(code, "does not compile: %s", json_dumps(error, 0));
	struct py_exception exc;
	PyObject *mod = pyhost_exec_module("m", code, "m.py", &exc); /* new */
	cr_assert_not_null(mod, "%s: %s (line %d)", exc.type, exc.message, exc.line);
	Py_DECREF(code);
	return mod;
}

/* Observes and decides one bytecode check; returns the status, fills
 * message (caller frees) and the observation (caller decrefs). */
static enum check_status run_check(PyObject *mod, const char *spec_json, const char *expect_json, char **message,
				   json_t **obs_out)
{
	struct check c = { 0 };
	c.id = "t";
	c.kind = CHECK_BYTECODE;
	c.points = 1;
	c.spec = json_loads(spec_json, 0, NULL);
	c.expect = json_loads(expect_json, 0, NULL);
	c.feedback = json_object();
	cr_assert(c.spec && c.expect, "bad test JSON");
	const char *problem = kind_def(CHECK_BYTECODE)->validate(c.spec, c.expect);
	cr_assert_null(problem, "%s", problem);
	json_t *obs = json_object();
	observer_of(CHECK_BYTECODE)->observe(mod, c.spec, obs);
	cr_assert_null(PyErr_Occurred(), "the observer left a Python error set");
	struct check_result out = { .check = &c, .max_score = 1 };
	json_t *result = json_object();
	kind_def(CHECK_BYTECODE)->decide(&c, result, obs, &out);
	*message = out.message;
	free(out.feedback);
	json_decref(result);
	json_decref(c.spec);
	json_decref(c.expect);
	json_decref(c.feedback);
	if (obs_out)
		*obs_out = obs;
	else
		json_decref(obs);
	return out.status;
}

static const char student[] =
	"import dis\n"
	"def squares_comp(xs):\n    return [x * x for x in xs]\n"
	"def squares_gen(xs):\n    return list(x * x for x in xs)\n"
	"def total_sum(xs):\n    return sum(x * x for x in xs)\n"
	"def day():\n    return 24 * 60 * 60\n"
	"def _codes(code):\n    yield code\n    for c in code.co_consts:\n"
	"        if isinstance(c, type(code)):\n            yield from _codes(c)\n"
	"def opcode_summary(func):\n    counts = {}\n    for code in _codes(func.__code__):\n"
	"        for ins in dis.get_instructions(code):\n            counts[ins.opname] = counts.get(ins.opname, 0) + 1\n"
	"    return counts\n"
	"def flat_summary(func):\n    counts = {}\n    for ins in dis.get_instructions(func):\n"
	"        counts[ins.opname] = counts.get(ins.opname, 0) + 1\n    return counts\n"
	"def adaptive_summary(func):\n    counts = {}\n    for code in _codes(func.__code__):\n"
	"        for ins in dis.get_instructions(code, adaptive=True):\n"
	"            counts[ins.opname] = counts.get(ins.opname, 0) + 1\n    return counts\n";

/* A summary check of nested code objects four levels deep; %s is the
 * student's summary function. */
static const char deep_fmt[] =
	"{\"function\": \"m.%s\", \"summarize\": \"outer\", \"source\": "
	"\"def outer(n):\\n    def middle(k):\\n        return lambda v: [v + k + i for i in range(n)]\\n"
	"    class Box:\\n        size = n\\n    return middle(n)(1), Box.size, (x for x in ())\\n\"}";

Test(bytecode, facts_hold_and_fail)
{
	PyObject *mod = module_from(student);
	char *msg = NULL;
	cr_expect_eq(run_check(mod, "{\"function\": \"m.squares_comp\"}", "{\"opcodes\": [\"LIST_APPEND\"]}", &msg, NULL),
		     STATUS_PASS, "%s", msg);
	free(msg);
	cr_expect_eq(run_check(mod, "{\"function\": \"m.squares_gen\"}", "{\"opcodes\": [\"LIST_APPEND\"]}", &msg, NULL),
		     STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "has no LIST_APPEND") != NULL, "%s", msg);
	free(msg);
	/* The family LOAD_FAST matches whatever this version calls it. */
	cr_expect_eq(run_check(mod, "{\"function\": \"m.squares_comp\"}",
			       "{\"opcodes\": [\"LOAD_FAST\"], \"globals\": [], \"no_globals\": [\"map\"]}", &msg, NULL),
		     STATUS_PASS, "%s", msg);
	free(msg);
	cr_expect_eq(run_check(mod, "{\"function\": \"m.total_sum\"}", "{\"globals\": [\"sum\"]}", &msg, NULL), STATUS_PASS,
		     "%s", msg);
	free(msg);
	cr_expect_eq(run_check(mod, "{\"function\": \"m.squares_comp\"}", "{\"globals\": [\"sum\"]}", &msg, NULL),
		     STATUS_FAIL, "%s", msg);
	free(msg);
	cr_expect_eq(run_check(mod, "{\"function\": \"m.day\"}", "{\"consts\": [86400]}", &msg, NULL), STATUS_PASS, "%s", msg);
	free(msg);
	cr_expect_eq(run_check(mod, "{\"function\": \"m.day\"}", "{\"consts\": [24]}", &msg, NULL), STATUS_FAIL, "%s", msg);
	free(msg);
	/* nested: false looks at the outer code object only (3.11: no LIST_APPEND there). */
	if (PY_VERSION_HEX < 0x030C0000) {
		cr_expect_eq(run_check(mod, "{\"function\": \"m.squares_comp\", \"nested\": false}",
				       "{\"opcodes\": [\"LIST_APPEND\"]}", &msg, NULL), STATUS_FAIL, "%s", msg);
		free(msg);
	}
	Py_DECREF(mod);
}

Test(bytecode, replaced_code_is_what_is_inspected)
{
	PyObject *mod = module_from("def f(xs):\n    return [x for x in xs]\n"
				    "f.__code__ = (lambda xs: list(x for x in xs)).__code__\n");
	char *msg = NULL;
	cr_expect_eq(run_check(mod, "{\"function\": \"m.f\"}", "{\"opcodes\": [\"LIST_APPEND\"]}", &msg, NULL), STATUS_FAIL,
		     "%s", msg);
	free(msg);
	Py_DECREF(mod);
}

Test(bytecode, summary_matches_and_diagnoses)
{
	PyObject *mod = module_from(student);
	char *msg = NULL;
	char *deep = xasprintf(deep_fmt, "opcode_summary");
	cr_expect_eq(run_check(mod, deep, "{}", &msg, NULL), STATUS_PASS, "%s", msg);
	free(msg);
	free(deep);
	cr_expect_eq(run_check(mod, "{\"function\": \"m.opcode_summary\", \"summarize\": \"m.total_sum\", "
			       "\"args\": [[1, 2]], \"warmup\": 2000}", "{}", &msg, NULL), STATUS_PASS, "%s", msg);
	free(msg);
	char *flat = xasprintf(deep_fmt, "flat_summary");
	cr_expect_eq(run_check(mod, flat, "{}", &msg, NULL), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "missed the nested code objects") != NULL, "%s", msg);
	free(msg);
	free(flat);
	cr_expect_eq(run_check(mod, "{\"function\": \"m.adaptive_summary\", \"summarize\": \"m.total_sum\", "
			       "\"args\": [[1, 2]], \"warmup\": 2000}", "{}", &msg, NULL), STATUS_FAIL, "%s", msg);
	cr_expect(strstr(msg, "specialized (adaptive)") != NULL, "%s", msg);
	free(msg);
	Py_DECREF(mod);
}

/* The grader's count equals dis's on this interpreter, warmed up or not,
 * for every code object of a stdlib module. */
Test(bytecode, c_walk_equals_dis)
{
	PyObject *mod = module_from(
		"import dis, types, collections, json.decoder as jd\n"
		"def walk(code):\n    yield code\n    for c in code.co_consts:\n"
		"        if isinstance(c, types.CodeType):\n            yield from walk(c)\n"
		"codes = [c for m in (collections, jd, dis) for f in vars(m).values()\n"
		"         if isinstance(f, types.FunctionType) for c in walk(f.__code__)]\n"
		"def poly(xs):\n    t = 0\n    for x in xs:\n        t = t + 3 * x * x - x\n    return t\n"
		"for _ in range(3000):\n    poly([1, 2, 3])\n"
		"codes += list(walk(poly.__code__))\n"
		"dis_counts = [dict(collections.Counter(i.opname for i in dis.get_instructions(c))) for c in codes]\n");
	PyObject *codes = PyObject_GetAttrString(mod, "codes");           /* new */
	PyObject *counts = PyObject_GetAttrString(mod, "dis_counts");     /* new */
	cr_assert(codes && counts && PyList_GET_SIZE(codes) > 20, "%zd code objects", codes ? PyList_GET_SIZE(codes) : -1);
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(codes); i++) {
		json_t *mine = bytecode_counts((PyCodeObject *)PyList_GET_ITEM(codes, i));
		PyObject *d = PyList_GET_ITEM(counts, i); /* borrowed */
		PyObject *k, *v;
		Py_ssize_t pos = 0;
		cr_assert_eq(json_object_size(mine), (size_t)PyDict_Size(d), "code %zd: key counts differ", i);
		while (PyDict_Next(d, &pos, &k, &v))
			cr_assert_eq(json_integer_value(json_object_get(mine, PyUnicode_AsUTF8(k))), PyLong_AsLong(v),
				     "code %zd: %s", i, PyUnicode_AsUTF8(k));
		json_decref(mine);
	}
	Py_DECREF(codes);
	Py_DECREF(counts);
	Py_DECREF(mod);
}

/* Student code empties dis and opcode, and answers {}: the grader's
 * count does not move, so {} is wrong. */
Test(bytecode, patched_dis_and_opcode_change_nothing)
{
	PyObject *mod = module_from(
		"import dis, opcode, builtins\n"
		"dis.get_instructions = lambda *a, **k: iter(())\n"
		"dis._get_instructions_bytes = lambda *a, **k: iter(())\n"
		"opcode.opname[:] = ['NOP'] * len(opcode.opname)\n"
		"opcode._inline_cache_entries = None\n"
		"builtins.isinstance = lambda *a: False\n"
		"def opcode_summary(func):\n    return {i.opname: 1 for i in dis.get_instructions(func)}\n"
		"def add(a, b):\n    return a + b\n");
	char *msg = NULL;
	json_t *obs = NULL;
	cr_expect_eq(run_check(mod, "{\"function\": \"m.opcode_summary\", \"summarize\": \"m.add\"}", "{}", &msg, &obs),
		     STATUS_FAIL, "%s", msg);
	json_t *want = json_object_get(obs, "expected");
	cr_expect_eq(json_integer_value(json_object_get(want, "RESUME")), 1, "%s", json_dumps(want, 0));
	cr_expect_eq(json_integer_value(json_object_get(want, "BINARY_OP")), 1, "%s", json_dumps(want, 0));
	cr_expect_null(json_object_get(want, "NOP"));
	free(msg);
	json_decref(obs);
	Py_DECREF(mod);
}

/* A dis.py shipped with the submission, imported in place of the real
 * one: the student's summary uses it, the grader does not. */
Test(bytecode, shadowing_dis_module_changes_nothing)
{
	char tmpl[] = "/tmp/grade-bytecode-XXXXXX";
	cr_assert_not_null(mkdtemp(tmpl));
	char *path = xasprintf("%s/dis.py", tmpl);
	FILE *f = fopen(path, "w");
	fputs("def get_instructions(x, **k):\n    return iter(())\n", f);
	fclose(f);
	char *src = xasprintf("import sys\nsys.path.insert(0, '%s')\nsys.modules.pop('dis', None)\nimport dis\n"
			"assert not hasattr(dis, 'Bytecode')\n"
			"def opcode_summary(func):\n    return {i.opname: 1 for i in dis.get_instructions(func)}\n"
			"def add(a, b):\n    return a + b\n", tmpl);
	PyObject *mod = module_from(src);
	char *msg = NULL;
	json_t *obs = NULL;
	cr_expect_eq(run_check(mod, "{\"function\": \"m.opcode_summary\", \"summarize\": \"m.add\"}", "{}", &msg, &obs),
		     STATUS_FAIL, "%s", msg);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(obs, "expected"), "RESUME")), 1);
	free(msg);
	json_decref(obs);
	Py_DECREF(mod);
	unlink(path);
	rmdir(tmpl);
	free(path);
	free(src);
}

/* The source kind's decision on observations (the observer reads the
 * supervisor's compiled code; the corpus covers it end to end). */
Test(bytecode, source_decides_forbidden_and_required)
{
	struct check c = { 0 };
	c.id = "s";
	c.kind = CHECK_SOURCE;
	c.spec = json_pack("{s:s}", "module", "refcount");
	c.expect = json_loads("{\"forbid_imports\": [\"ctypes\"], \"forbid_calls\": [\"gc.get_referrers\"], "
			      "\"require_calls\": [\"sys.getrefcount\"]}", 0, NULL);
	c.feedback = json_object();
	const char *cases[][2] = {
		{ "{\"file\": \"refcount.py\", \"imports\": [{\"name\": \"sys\", \"line\": 1}], "
		  "\"uses\": [{\"name\": \"sys.getrefcount\", \"line\": 3}]}", "pass" },
		{ "{\"file\": \"refcount.py\", \"imports\": [{\"name\": \"ctypes.util\", \"line\": 2}], "
		  "\"uses\": [{\"name\": \"sys.getrefcount\", \"line\": 3}]}", "refcount.py:2 imports ctypes.util" },
		{ "{\"file\": \"refcount.py\", \"imports\": [], \"uses\": [{\"name\": \"gc.get_referrers\", \"line\": 7}, "
		  "{\"name\": \"sys.getrefcount\", \"line\": 3}]}", "refcount.py:7 uses gc.get_referrers" },
		{ "{\"file\": \"refcount.py\", \"imports\": [], \"uses\": []}", "never uses sys.getrefcount" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *obs = json_loads(cases[i][0], 0, NULL);
		struct check_result out = { .check = &c, .max_score = 1 };
		kind_def(CHECK_SOURCE)->decide(&c, obs, obs, &out);
		if (!strcmp(cases[i][1], "pass"))
			cr_expect_eq(out.status, STATUS_PASS, "case %zu: %s", i, out.message);
		else
			cr_expect(out.status == STATUS_FAIL && strstr(out.message, cases[i][1]), "case %zu: %s", i, out.message);
		free(out.message);
		free(out.feedback);
		json_decref(obs);
	}
	json_decref(c.spec);
	json_decref(c.expect);
	json_decref(c.feedback);
}
