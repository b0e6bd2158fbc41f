/*
 * The CI reports through the built binary: every format in one run
 * (--report FORMAT=FILE next to -f/-o), the student's line in them, the
 * classroom scores adding up to grade's total, --fail-under and its exit
 * status, --strict, and GitHub Actions detection ($GITHUB_STEP_SUMMARY,
 * $GITHUB_OUTPUT, annotations, ::stop-commands:: around the report) and
 * --no-ci-detect.  The consumers' own verdicts are tests/e2e/consumers.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "support/run.h"

TestSuite(reports, .timeout = 120);

#define SUB "submissions/refcount-subtracts-two"
#define RUBRIC "../../rubrics/refcount.yaml"

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/grade-reports-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	unsetenv("GITHUB_ACTIONS");
	unsetenv("GITLAB_CI");
}

static void remove_dir(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static char *slurp(const char *name)
{
	char *p = path_in(name), *text = NULL;
	size_t len = 0;
	cr_assert_eq(read_file(&text, &len, p, 1 << 24), 0, "cannot read %s", p);
	free(p);
	return text;
}

static json_t *load_json(const char *name)
{
	char *text = slurp(name);
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	cr_assert_not_null(j, "%s: %s", name, e.text);
	free(text);
	return j;
}

/* --report FORMAT=DIR/NAME */
static char *report_arg(const char *format, const char *name)
{
	return xasprintf("%s=%s/%s", format, dir, name);
}

static const json_t *json_check(const json_t *report, const char *exercise, const char *id)
{
	size_t i, j;
	const json_t *e, *c;
	json_array_foreach(json_object_get(report, "exercises"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "id")), exercise))
			continue;
		json_array_foreach(json_object_get(e, "checks"), j, c)
			if (!strcmp(json_string_value(json_object_get(c, "id")), id))
				return c;
	}
	cr_assert_fail("no check %s/%s", exercise, id);
	return NULL;
}

Test(reports, every_format_in_one_run, .init = make_dir, .fini = remove_dir)
{
	char *junit = report_arg("junit", "r.xml"), *md = report_arg("markdown", "r.md"),
	     *gh = report_arg("github", "r.gh"), *gl = report_arg("gitlab", "r.cq.json"),
	     *cl = report_arg("classroom", "r.cl.json"), *js = path_in("r.json");
	const char *args[] = { "-r", RUBRIC, "-f", "json", "-o", js, "--report", junit, "--report", md, "--report", gh,
			       "--report", gl, "--report", cl, SUB, NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "grade exited %d: %s", r.status, r.err);
	cr_assert_str_empty(r.out, "nothing on standard output when every report goes to a file");

	json_t *report = load_json("r.json");
	/* The student's line: count_refs's def (the answer is wrong, nothing raised). */
	const json_t *fresh = json_check(report, "refcount", "fresh-object");
	cr_assert_str_eq(json_string_value(json_object_get(fresh, "file")), "refcount.py");
	cr_assert_eq(json_integer_value(json_object_get(fresh, "line")), 3);
	cr_assert_null(json_object_get(json_check(report, "refcount", "returns-int"), "file"), "a pass points nowhere");

	/* JUnit: one testsuite per exercise, the failing check with its file and line. */
	char *xml_path = path_in("r.xml");
	xmlDocPtr doc = xmlReadFile(xml_path, NULL, XML_PARSE_NONET);
	cr_assert_not_null(doc, "the JUnit report is not XML");
	xmlNodePtr root = xmlDocGetRootElement(doc);
	cr_assert_str_eq((const char *)root->name, "testsuites");
	size_t suites = 0;
	for (xmlNodePtr s = root->children; s; s = s->next)
		suites += s->type == XML_ELEMENT_NODE;
	cr_assert_eq(suites, json_array_size(json_object_get(report, "exercises")));
	xmlFreeDoc(doc);
	free(xml_path);
	char *xml = slurp("r.xml");
	cr_assert(strstr(xml, "<testcase classname=\"refcount\" name=\"fresh-object\""), "%s", xml);
	cr_assert(strstr(xml, "file=\"" SUB "/refcount.py\" line=\"3\""), "%s", xml);
	cr_assert(strstr(xml, "type=\"fail\""));

	/* Markdown: the total first, then a table. */
	char *mdt = slurp("r.md");
	cr_assert_eq(strncmp(mdt, "## grade: ", 10), 0, "%.80s", mdt);
	cr_assert(strstr(mdt, "| check | status | points |"));
	cr_assert(strstr(mdt, "<details><summary>❌ refcount / fresh-object: fail</summary>"));

	/* Workflow commands: every line is one; the failing check on its line. */
	char *ght = slurp("r.gh");
	for (char *line = ght; *line; line = strchr(line, '\n') + 1)
		cr_assert_eq(strncmp(line, "::", 2), 0, "not a workflow command: %.80s", line);
	cr_assert(strstr(ght, "::error file=" SUB "/refcount.py,line=3,title=refcount/fresh-object::"), "%s", ght);
	cr_assert(strstr(ght, "::notice title=grade::"));

	/* Code Quality: one issue per check that did not pass. */
	json_t *cq = load_json("r.cq.json");
	size_t failing = 0, i, j;
	const json_t *e, *c;
	json_array_foreach(json_object_get(report, "exercises"), i, e)
		json_array_foreach(json_object_get(e, "checks"), j, c) {
			const char *st = json_string_value(json_object_get(c, "status"));
			failing += strcmp(st, "pass") && strcmp(st, "skipped");
		}
	cr_assert_eq(json_array_size(cq), failing);
	cr_assert_gt(failing, 0);

	/* Classroom: the tests' scores add up to the total, max_score is grade's. */
	json_t *cls = load_json("r.cl.json");
	double sum = 0;
	json_array_foreach(json_object_get(cls, "tests"), i, c)
		sum += json_number_value(json_object_get(c, "score"));
	cr_assert_float_eq(sum, json_number_value(json_object_get(report, "score")), 1e-6);
	cr_assert_float_eq(json_number_value(json_object_get(cls, "max_score")),
			   json_number_value(json_object_get(report, "max_score")), 1e-9);
	cr_assert_str_eq(json_string_value(json_object_get(cls, "status")), "fail");
	cr_assert_eq(json_integer_value(json_object_get(cls, "version")), 1);

	json_decref(cls);
	json_decref(cq);
	json_decref(report);
	free(ght);
	free(mdt);
	free(xml);
	run_result_release(&r);
	free(junit), free(md), free(gh), free(gl), free(cl), free(js);
}

static int grade_status(const char *const *extra)
{
	const char *args[16] = { "-r", RUBRIC, "-f", "json" };
	size_t n = 4;
	for (size_t i = 0; extra[i]; i++)
		args[n++] = extra[i];
	args[n++] = SUB;
	args[n] = NULL;
	struct run_result r;
	run_grade(&r, args);
	int status = r.status;
	run_result_release(&r);
	return status;
}

/* refcount-subtracts-two scores 5 of 11 on the refcount rubric. */
Test(reports, fail_under, .init = make_dir, .fini = remove_dir)
{
	cr_assert_eq(grade_status((const char *[]){ "--fail-under", "5", NULL }), 0);
	cr_assert_eq(grade_status((const char *[]){ "--fail-under", "5.5", NULL }), 6);
	cr_assert_eq(grade_status((const char *[]){ "--fail-under", "45%", NULL }), 0);
	cr_assert_eq(grade_status((const char *[]){ "--fail-under", "46%", NULL }), 6);
	cr_assert_eq(grade_status((const char *[]){ "--fail-under", "0", "--strict", NULL }), 0);
	cr_assert_eq(grade_status((const char *[]){ "--fail-under", "ten", NULL }), 2);
	cr_assert_eq(grade_status((const char *[]){ "--fail-under", "101%", NULL }), 2);
	cr_assert_eq(grade_status((const char *[]){ "--fail-under", "-1", NULL }), 2);
	cr_assert_eq(grade_status((const char *[]){ "--report", "junit", NULL }), 2);
	cr_assert_eq(grade_status((const char *[]){ "--report", "yaml=x", NULL }), 2);
}

Test(reports, documents_take_one_submission, .init = make_dir, .fini = remove_dir)
{
	char *junit = report_arg("junit", "r.xml");
	const char *args[] = { "-r", RUBRIC, "--report", junit, SUB, SUB, NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "junit report is one submission's"), "%s", r.err);
	run_result_release(&r);
	free(junit);
}

Test(reports, github_actions_detection, .init = make_dir, .fini = remove_dir)
{
	char *summary = path_in("summary.md"), *output = path_in("output.txt");
	FILE *f = fopen(summary, "w");
	fputs("earlier step\n", f);
	fclose(f);
	setenv("GITHUB_ACTIONS", "true", 1);
	setenv("GITHUB_STEP_SUMMARY", summary, 1);
	setenv("GITHUB_OUTPUT", output, 1);
	const char *args[] = { "-r", RUBRIC, SUB, NULL };
	struct run_result r;
	run_grade(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* The text report between ::stop-commands::TOKEN and ::TOKEN::, then the annotations. */
	cr_assert_eq(strncmp(r.out, "::stop-commands::grade-", 23), 0, "%.100s", r.out);
	char token[64];
	cr_assert_eq(sscanf(r.out, "::stop-commands::%63s", token), 1);
	char *resume = xasprintf("\n::%s::\n", token);
	char *after = strstr(r.out, resume);
	cr_assert_not_null(after, "no ::TOKEN:: after the report");
	cr_assert(strstr(after, "::error file=" SUB "/refcount.py,line=3,title=refcount/fresh-object::"), "%s", after);
	char *text = slurp("summary.md");
	cr_assert_eq(strncmp(text, "earlier step\n## grade: ", 23), 0, "the summary is appended to: %.60s", text);
	free(text);
	/* result=<base64 of the classroom JSON> */
	text = slurp("output.txt");
	cr_assert_eq(strncmp(text, "result=", 7), 0, "%.60s", text);
	char *cmd = xasprintf("sed -n 's/^result=//p' '%s' | base64 -d > '%s/decoded.json'", output, dir);
	cr_assert_eq(system(cmd), 0);
	json_t *cls = load_json("decoded.json");
	cr_assert_eq(json_integer_value(json_object_get(cls, "version")), 1);
	cr_assert_float_eq(json_number_value(json_object_get(cls, "max_score")), 11, 1e-9);
	json_decref(cls);
	free(cmd);
	free(text);
	run_result_release(&r);

	/* --no-ci-detect: none of it. */
	unlink(output);
	const char *plain[] = { "-r", RUBRIC, "--no-ci-detect", SUB, NULL };
	run_grade(&r, plain);
	cr_assert_eq(r.status, 0);
	cr_assert_null(strstr(r.out, "::"), "%.200s", r.out);
	cr_assert_neq(access(output, F_OK), 0, "--no-ci-detect wrote $GITHUB_OUTPUT");
	text = slurp("summary.md");
	cr_assert_null(strstr(strstr(text, "## grade: ") + 1, "## grade: "), "the summary was written twice");
	free(text);
	run_result_release(&r);
	free(resume);
	free(summary);
	free(output);
}

Test(reports, gitlab_ci_detection, .init = make_dir, .fini = remove_dir)
{
	setenv("GITLAB_CI", "true", 1);
	/* Graded from the temporary directory: the files land there. */
	char *abs_rubric = test_data("../../rubrics/refcount.yaml"), *abs_sub = test_data(SUB);
	char *cmd = xasprintf("cd '%s' && '%s' -r '%s' -f json '%s' >/dev/null", dir, getenv("GRADE_BIN"), abs_rubric,
			      abs_sub);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	json_t *cq = load_json("gl-code-quality-report.json");
	cr_assert(json_is_array(cq) && json_array_size(cq) > 0);
	json_decref(cq);
	char *xml = slurp("grade-junit.xml");
	cr_assert(strstr(xml, "<testsuites"));
	free(xml);
	free(cmd);
	free(abs_rubric);
	free(abs_sub);
}
