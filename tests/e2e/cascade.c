/*
 * The cascade audit: one mistake costs the checks about that mistake, and
 * nothing else (docs/rubrics.md, "Fair scoring").
 *
 * tests/data/cascade/<exercise>.json holds single-mistake mutants of the
 * exercise's reference solution: each mutant is the reference with a few
 * exact text replacements, and names the checks allowed to fail.  Each
 * mutant is graded with the exercise's rubric, and exactly the checks the
 * table names must fail: a check outside the list failing is a cascade (or
 * a check that no longer sees the mistake).  The reference itself is graded
 * too and must fail nothing.  "Fail" is any status that costs points or
 * marks a problem: everything but pass, and but a skip that leaves the
 * maximum (a check for another Python, an optional feature not provided).
 *
 *   {"exercise": "bytecode", "rubric": "bytecode.yaml", "file": "bytecode.py",
 *    "reference": "exercises/bytecode/reference/bytecode.py",
 *    "mutants": [{"id": "...", "mistake": "...",
 *                 "replace": [["old text", "new text"], ...],
 *                 "fails": ["check-id", ...],
 *                 "python": {">=3.12": {"fails": [...]}}}]}
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "support/run.h"

TestSuite(cascade, .timeout = 120);

static const char *const exercises[] = { "bytecode", "refcount", "deepsize", "memprof" };

struct mutant_case {
	char exercise[32];
	int index;              /* into "mutants"; -1: the reference itself */
};

static json_t *load_table(const char *exercise)
{
	char *rel = xasprintf("cascade/%s.json", exercise);
	char *path = test_data(rel);
	json_error_t jerr;
	json_t *t = json_load_file(path, 0, &jerr);
	cr_assert_not_null(t, "%s:%d: %s", path, jerr.line, jerr.text);
	free(path);
	free(rel);
	return t;
}

ParameterizedTestParameters(cascade, mutant)
{
	size_t n = 0, cap = 0;
	struct mutant_case *cases = NULL;
	for (size_t e = 0; e < sizeof(exercises) / sizeof(exercises[0]); e++) {
		json_t *t = load_table(exercises[e]);
		size_t count = json_array_size(json_object_get(t, "mutants"));
		for (int i = -1; i < (int)count; i++) {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				struct mutant_case *grown = cr_malloc(cap * sizeof(*grown));
				if (cases)
					memcpy(grown, cases, n * sizeof(*grown));
				cases = grown;
			}
			snprintf(cases[n].exercise, sizeof(cases[n].exercise), "%s", exercises[e]);
			cases[n++].index = i;
		}
		json_decref(t);
	}
	return cr_make_param_array(struct mutant_case, cases, n);
}

/* The reference's text with each [old, new] replaced; every old text must
 * occur exactly once, so that a mutant cannot silently stop applying. */
static char *mutate(const char *reference, const json_t *replace, const char *id)
{
	char *text = xstrdup(reference);
	size_t i;
	json_t *pair;
	json_array_foreach(replace, i, pair) {
		const char *old = json_string_value(json_array_get(pair, 0));
		const char *new = json_string_value(json_array_get(pair, 1));
		cr_assert(old && new && *old, "%s: replacement %zu is not [old, new]", id, i);
		char *at = strstr(text, old);
		cr_assert_not_null(at, "%s: the reference no longer holds %s", id, old);
		cr_assert_null(strstr(at + 1, old), "%s: %s occurs more than once in the reference", id, old);
		char *next = xasprintf("%.*s%s%s", (int)(at - text), text, new, at + strlen(old));
		free(text);
		text = next;
	}
	return text;
}

/* "check-id" of every check that failed, in report order, as a JSON array. */
static json_t *failed_checks(const json_t *report)
{
	json_t *out = json_array();
	size_t i, j;
	json_t *ex, *c;
	json_array_foreach(json_object_get(report, "exercises"), i, ex)
		json_array_foreach(json_object_get(ex, "checks"), j, c) {
			const char *status = json_string_value(json_object_get(c, "status"));
			bool neutral = !strcmp(status, "pass") ||
				       (!strcmp(status, "skipped") && json_number_value(json_object_get(c, "max_score")) == 0);
			if (!neutral)
				json_array_append(out, json_object_get(c, "id"));
		}
	return out;
}

static bool holds(const json_t *list, const json_t *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (json_equal(v, id))
			return true;
	return false;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fputs(text, f) >= 0 && fclose(f) == 0, 1, "%s", path);
}

ParameterizedTest(struct mutant_case *mc, cascade, mutant)
{
	json_t *t = load_table(mc->exercise);
	json_t *mutant = mc->index < 0 ? json_pack("{s:s, s:[], s:[]}", "id", "reference", "replace", "fails")
				       : json_incref(json_array_get(json_object_get(t, "mutants"), (size_t)mc->index));
	const char *id = json_string_value(json_object_get(mutant, "id"));
	char *name = xasprintf("%s/%s", mc->exercise, id);
	char *ref_path = xasprintf("%s/%s", getenv("GRADE_SOURCE_ROOT"),
				   json_string_value(json_object_get(t, "reference")));
	size_t len = 0;
	char *reference = NULL;
	cr_assert_eq(read_file(&reference, &len, ref_path, (size_t)1 << 20), 0, "%s: cannot read %s", name, ref_path);
	char *text = mutate(reference, json_object_get(mutant, "replace"), name);

	char dir[] = "/tmp/grade-cascade-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char *file = xasprintf("%s/%s", dir, json_string_value(json_object_get(t, "file")));
	write_text(file, text);
	char *rubric = xasprintf("../../rubrics/%s", json_string_value(json_object_get(t, "rubric")));
	const char *args[] = { "-f", "json", "-r", rubric, dir, NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s: grade exited %d: %s", name, r.status, r.err);
	json_error_t jerr;
	json_t *report = json_loads(r.out, 0, &jerr);
	cr_assert_not_null(report, "%s: %s", name, jerr.text);

	int major, minor;
	report_python(report, &major, &minor);
	expect_for_version(mutant, major, minor, name);
	const json_t *allowed = json_object_get(mutant, "fails");
	json_t *failed = failed_checks(report);
	size_t i;
	json_t *c;
	/* Every check that failed must be allowed to, and every allowed one must
	 * fail: else the mutant no longer tests what its row says. */
	json_array_foreach(failed, i, c)
		cr_expect(holds(allowed, c), "%s (%s): check %s failed, and the table does not allow it (a cascade)",
			  name, str_or(json_string_value(json_object_get(mutant, "mistake")), ""), json_string_value(c));
	json_array_foreach(allowed, i, c)
		cr_expect(holds(failed, c), "%s: check %s is listed as failing, and it passed", name, json_string_value(c));
	if (mc->index < 0)
		cr_expect_geq(json_number_value(json_object_get(report, "score")) + 1e-9,
			      json_number_value(json_object_get(report, "max_score")),
			      "%s: the reference does not get full marks", name);

	json_decref(failed);
	json_decref(report);
	run_result_release(&r);
	unlink(file);
	rmdir(dir);
	free(rubric);
	free(file);
	free(text);
	free(reference);
	free(ref_path);
	free(name);
	json_decref(mutant);
	json_decref(t);
}

/* Each exercise has at least eight mutants, and their ids are unique. */
Test(cascade, tables_are_complete)
{
	for (size_t e = 0; e < sizeof(exercises) / sizeof(exercises[0]); e++) {
		json_t *t = load_table(exercises[e]);
		json_t *mutants = json_object_get(t, "mutants");
		cr_expect_geq(json_array_size(mutants), 8, "%s: %zu mutants, the audit asks for 8 or more", exercises[e],
			      json_array_size(mutants));
		size_t i, j;
		json_t *m, *o;
		json_array_foreach(mutants, i, m) {
			cr_expect(json_string_value(json_object_get(m, "mistake")) != NULL, "%s: mutant %zu has no mistake",
				  exercises[e], i);
			json_array_foreach(mutants, j, o)
				cr_expect(j <= i || !json_equal(json_object_get(m, "id"), json_object_get(o, "id")),
					  "%s: two mutants named %s", exercises[e], json_string_value(json_object_get(m, "id")));
		}
		json_decref(t);
	}
}

/* docs/rubrics.md shows the table as the grading policy: every mutant has
 * its row there, so the policy users read is the one the suite enforces. */
Test(cascade, table_is_documented)
{
	char *path = xasprintf("%s/docs/rubrics.md", getenv("GRADE_SOURCE_ROOT"));
	char *doc = NULL;
	size_t len = 0;
	cr_assert_eq(read_file(&doc, &len, path, (size_t)1 << 22), 0, "cannot read %s", path);
	for (size_t e = 0; e < sizeof(exercises) / sizeof(exercises[0]); e++) {
		json_t *t = load_table(exercises[e]);
		size_t i;
		json_t *m;
		json_array_foreach(json_object_get(t, "mutants"), i, m) {
			char *row = xasprintf("| `%s` | `%s` |", exercises[e], json_string_value(json_object_get(m, "id")));
			cr_expect(strstr(doc, row) != NULL, "docs/rubrics.md has no row %s (regenerate it with tests/data/cascade/doc-table)", row);
			free(row);
		}
		json_decref(t);
	}
	free(doc);
	free(path);
}
