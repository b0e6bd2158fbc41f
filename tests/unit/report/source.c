/*
 * The source of a result (a git commit) in every report format, from a
 * stored JSON report revived (book/revive.h, as the gradebook's exports do):
 * the words each format shows, the JSON "source" back the same after a
 * round trip, Gradescope's score after a late penalty, and the consumers'
 * schemas (tests/data/ci/) still holding.  A result without a source
 * writes no trace of one (the golden reports hold the rest).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "book/revive.h"
#include "report/report.h"
#include "support/run.h"

TestSuite(source, .timeout = 60);

/* A late commit of a repository with a refused link, a forgery flag and
 * names that try to be markup or escape a line. */
static const char late_report[] =
	"{\"score\": 8, \"max_score\": 10, \"bonus_score\": 0, \"bonus_max\": 0, \"submission\": \"alice\","
	" \"source\": {\"repo\": \"https://example.org/alice.git\", \"branch\": \"main<script>\\n::error::x\","
	"  \"commit\": \"0123456789abcdef0123456789abcdef01234567\", \"commit_time\": \"2026-12-02T11:00:00+01:00\","
	"  \"worktree\": false, \"deadline\": \"2026-12-01T23:59:00+01:00\", \"date_source\": \"fetched\","
	"  \"evidence_time\": \"2026-12-02T10:00:00.000Z\", \"late\": true, \"days_late\": 0.46, \"days_charged\": 1,"
	"  \"late_penalty\": 2, \"late_policy\": \"penalty 25%/day up to 3 days\", \"score_after_penalty\": 6,"
	"  \"notes\": [\"link: a symbolic link to '/etc/passwd', outside the submission\","
	"             \"commit 0123456789ab is dated 2027-01-01T00:00:00Z, after grade first fetched it\"]},"
	" \"grader\": {\"version\": \"0\", \"python\": \"3.11.2 (main)\"}, \"seconds\": 0.5, \"exercises\": ["
	"{\"id\": \"ex\", \"score\": 8, \"max_score\": 10, \"bonus_score\": 0, \"bonus_max\": 0, \"checks\": ["
	"{\"id\": \"a\", \"kind\": \"call\", \"status\": \"pass\", \"score\": 8, \"max_score\": 8, \"seconds\": 0.1},"
	"{\"id\": \"b\", \"kind\": \"call\", \"status\": \"fail\", \"score\": 0, \"max_score\": 2, \"message\": \"no\","
	" \"seconds\": 0.2}]}]}";

static const char plain_report[] =
	"{\"score\": 3, \"max_score\": 5, \"bonus_score\": 0, \"bonus_max\": 0, \"submission\": \"bob\","
	" \"grader\": {\"version\": \"0\", \"python\": \"3.11.2 (main)\"}, \"seconds\": 0.5, \"exercises\": ["
	"{\"id\": \"ex\", \"score\": 3, \"max_score\": 5, \"bonus_score\": 0, \"bonus_max\": 0, \"checks\": ["
	"{\"id\": \"a\", \"kind\": \"call\", \"status\": \"pass\", \"score\": 3, \"max_score\": 3, \"seconds\": 0.1},"
	"{\"id\": \"b\", \"kind\": \"call\", \"status\": \"fail\", \"score\": 0, \"max_score\": 2, \"message\": \"no\","
	" \"seconds\": 0.2}]}]}";

static char *write_format(const struct grade_result *g, const char *name)
{
	const struct report_format *f = report_format_by_name(name);
	cr_assert_not_null(f, "%s", name);
	struct report_options opt = { .instructor = false };
	char *text = report_format_string(f, g, &opt);
	cr_assert_not_null(text, "the %s report could not be written", name);
	return text;
}

static void revive(struct revived *r, const char *json)
{
	char err[256];
	cr_assert_eq(book_revive(r, json, err, sizeof(err)), 0, "%s", err);
}

Test(source, text_names_the_commit_deadline_and_notes)
{
	struct revived r;
	revive(&r, late_report);
	char *text = write_format(&r.g, "text");
	cr_assert(strstr(text, "\nsource: repository https://example.org/alice.git, branch main<script> ::error::x, "
			       "commit 0123456789ab (2026-12-02T11:00:00+01:00): the commit's files\n"),
		  "%s", text);
	cr_assert(strstr(text, "\n  deadline 2026-12-01T23:59:00+01:00 (date source: fetched, evidence time: "
			       "2026-12-02T10:00:00.000Z): 0.46 days late (1 charged), penalty 2 points (late policy: "
			       "penalty 25%/day up to 3 days), score after the penalty 6/10\n"),
		  "%s", text);
	cr_assert(strstr(text, "\n  notes:\n    - link: a symbolic link to '/etc/passwd', outside the submission\n"
			       "    - commit 0123456789ab is dated"),
		  "%s", text);
	cr_assert_null(strstr(text, "dirty"), "a commit's files are never a dirty work tree");
	cr_assert(strstr(text, "Score: 8/10"), "the report's score stays the raw score: %s", text);
	free(text);
	book_revived_release(&r);
}

Test(source, json_round_trip)
{
	struct revived r;
	revive(&r, late_report);
	struct report_options opt = { .instructor = true };
	json_t *first = report_json(&r.g, &opt), *want = json_loads(late_report, 0, NULL);
	cr_assert(json_equal(json_object_get(first, "source"), json_object_get(want, "source")), "%s",
		  json_dumps(json_object_get(first, "source"), 0));
	char *dumped = json_dumps(first, 0);
	struct revived again;
	revive(&again, dumped);
	json_t *second = report_json(&again.g, &opt);
	cr_assert(json_equal(json_object_get(first, "source"), json_object_get(second, "source")));
	cr_assert_eq(json_number_value(json_object_get(first, "score")), 8, "the report's score is the raw score");
	free(dumped);
	json_decref(first);
	json_decref(second);
	json_decref(want);
	book_revived_release(&again);
	book_revived_release(&r);
}

Test(source, json_leaves_out_what_is_unknown)
{
	struct revived r;
	revive(&r, plain_report);
	r.g.source = xcalloc(1, sizeof(*r.g.source));
	r.g.source->repo = xstrdup("sub");
	r.g.source->worktree = true;
	r.g.source->dirty = true;
	/* An unborn branch: no commit, no time; and a name that is not UTF-8. */
	r.g.source->branch = xstrdup("ma\xffin");
	struct report_options opt = { .instructor = false };
	json_t *j = report_json(&r.g, &opt);
	json_t *s = json_object_get(j, "source");
	cr_assert_not_null(s);
	cr_assert_null(json_object_get(s, "commit"));
	cr_assert_null(json_object_get(s, "commit_time"));
	cr_assert_null(json_object_get(s, "deadline"));
	cr_assert_null(json_object_get(s, "score_after_penalty"));
	cr_assert(json_is_true(json_object_get(s, "dirty")));
	cr_assert_str_eq(json_string_value(json_object_get(s, "branch")), "ma\xef\xbf\xbdin");
	cr_assert_eq(json_array_size(json_object_get(s, "notes")), 0);
	json_decref(j);
	char *text = write_format(&r.g, "text");
	cr_assert(strstr(text, "source: repository sub, branch ma\xef\xbf\xbdin, no commit yet: the work tree's files\n"
			       "  dirty work tree: uncommitted changes were graded\n"),
		  "%s", text);
	free(text);
	book_revived_release(&r);
}

Test(source, plain_folder_has_no_source)
{
	struct revived r;
	revive(&r, plain_report);
	cr_assert_null(r.g.source);
	const char *names[] = { "text", "json", "junit", "markdown", "github", "gitlab", "classroom", "gradescope" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *text = write_format(&r.g, names[i]);
		cr_assert_null(strstr(text, "source"), "%s: %s", names[i], text);
		free(text);
	}
	book_revived_release(&r);
}

Test(source, every_format_shows_it)
{
	struct revived r;
	revive(&r, late_report);
	char *md = write_format(&r.g, "markdown");
	cr_assert(strstr(md, "Source: repository https\\:\\/\\/example\\.org\\/alice\\.git\\, branch main\\<script\\>"), "%s",
		  md);
	cr_assert(strstr(md, "\n\nNotes:\n\n- link\\: a symbolic link to"), "%s", md);
	char *xml = write_format(&r.g, "junit");
	cr_assert(strstr(xml, "<property name=\"source.commit\" value=\"0123456789abcdef0123456789abcdef01234567\"/>"),
		  "%s", xml);
	cr_assert(strstr(xml, "<property name=\"source.score_after_penalty\" value=\"6\"/>"), "%s", xml);
	cr_assert(strstr(xml, "<property name=\"source.note\" value=\"link: a symbolic link to"), "%s", xml);
	char *gh = write_format(&r.g, "github");
	cr_assert(strstr(gh, "\n::notice title=grade source::repository https://example.org/alice.git, branch "
			     "main<script> ::error::x, commit 0123456789ab"),
		  "%s", gh);
	cr_assert(strstr(gh, "%0Adeadline 2026-12-01T23:59:00+01:00"), "%s", gh);
	cr_assert(strstr(gh, "\n::warning title=grade source::link: a symbolic link"), "%s", gh);
	char *gl = write_format(&r.g, "gitlab");
	cr_assert(strstr(gl, "grade/source: deadline 2026-12-01T23:59:00+01:00"), "%s", gl);
	cr_assert(strstr(gl, "grade/source: link: a symbolic link"), "%s", gl);
	char *cl = write_format(&r.g, "classroom");
	json_t *jcl = json_loads(cl, 0, NULL);
	json_t *first = json_array_get(json_object_get(jcl, "tests"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(first, "name")), "grade/source");
	cr_assert_eq(json_number_value(json_object_get(first, "max_score")), 0);
	cr_assert(strstr(json_string_value(json_object_get(first, "message")), "\n- link: a symbolic link"));
	char *gs = write_format(&r.g, "gradescope");
	json_t *jgs = json_loads(gs, 0, NULL);
	cr_assert_eq(json_number_value(json_object_get(jgs, "score")), 6, "Gradescope gets the score after the penalty");
	const char *output = json_string_value(json_object_get(jgs, "output"));
	cr_assert(strstr(output, "**Score after the late penalty: 6/10** (penalty 2;"), "%s", output);
	cr_assert(strstr(output, "commit 0123456789ab"), "%s", output);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_object_get(jgs, "extra_data"), "source"), "commit")),
			 "0123456789abcdef0123456789abcdef01234567");
	json_decref(jcl);
	json_decref(jgs);
	free(md);
	free(xml);
	free(gh);
	free(gl);
	free(cl);
	free(gs);
	book_revived_release(&r);
}

/* The schemas tests/e2e/consumers validates with, on the formats with a
 * source and a late penalty (grade itself never writes a deadline, so
 * only this test reaches them with one). */
Test(source, consumers_schemas_hold)
{
	if (system("xmllint --version >/dev/null 2>&1") != 0 ||
	    system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0)
		cr_skip_test("xmllint or python3-jsonschema missing");
	char dir[] = "/tmp/grade-source-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct revived r;
	revive(&r, late_report);
	const char *formats[][2] = { { "junit", "xml" }, { "gitlab", "cq.json" }, { "classroom", "cl.json" },
				     { "gradescope", "gs.json" } };
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		char *text = write_format(&r.g, formats[i][0]);
		char *path = xasprintf("%s/r.%s", dir, formats[i][1]);
		cr_assert_eq(write_file_replace(path, text, strlen(text)), 0);
		free(path);
		free(text);
	}
	char *data = test_data("ci");
	run_sh("xmllint --noout --schema '%s/junit.xsd' '%s/r.xml' 2>/dev/null", data, dir);
	run_sh("/usr/bin/python3 -c 'import json, sys, jsonschema\n"
	       "for doc, schema in zip(sys.argv[2::2], sys.argv[3::2]):\n"
	       "    jsonschema.validate(json.load(open(sys.argv[1] + \"/\" + doc)), json.load(open(schema)),"
	       " cls=jsonschema.Draft202012Validator)' '%s' r.cq.json '%s/codequality.schema.json' r.cl.json "
	       "'%s/classroom.schema.json' r.gs.json '%s/gradescope.schema.json'",
	       dir, data, data, data);
	run_sh("rm -rf '%s'", dir);
	free(data);
	book_revived_release(&r);
}
