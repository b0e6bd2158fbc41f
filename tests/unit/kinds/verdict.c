/*
 * verdict_decide's envelope on synthetic supervisor results: the audit hook's records (the observation's
 * "violations") turn into the check's status and message.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/verdict.h"

TestSuite(verdict, .timeout = 10);

static json_t *J(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);
	cr_assert_not_null(v, "bad JSON in test: %s", text);
	return v;
}

/* A call check on refcount.count_refs([1]) expecting 2, with feedback for each outcome. */
static void call_check(struct check *c)
{
	memset(c, 0, sizeof(*c));
	c->id = "returns-two";
	c->kind = CHECK_CALL;
	c->points = 2;
	c->limits = (struct limits){ 2, 2, 64 << 20, 1 << 16 };
	c->spec = J("{\"function\": \"refcount.count_refs\", \"args\": [[1]]}");
	c->expect = J("{\"returns\": 2}");
	c->feedback = J("{\"fail\": \"wrong count\", \"forbidden\": \"no tricks\"}");
}

static void release_check(struct check *c)
{
	json_decref(c->spec);
	json_decref(c->expect);
	json_decref(c->feedback);
}

/* Decides a result whose observation has the given call outcome and violations (JSON fragments). */
static void decide(struct check_result *out, const char *call, const char *violations)
{
	struct check c;
	call_check(&c);
	char *text = NULL;
	cr_assert_geq(asprintf(&text,
			       "{\"op\": \"result\", \"wall\": 0.01, \"channel\": \"ok\", \"exit\": 0, \"observation\": "
			       "{\"import\": {\"module\": \"refcount\", \"ok\": true}, \"call\": %s%s%s}}",
			       call, violations ? ", " : "", violations ? violations : ""),
		      0);
	json_t *result = J(text);
	memset(out, 0, sizeof(*out));
	out->max_score = c.points;
	verdict_decide(&c, result, out);
	out->check = NULL;
	json_decref(result);
	free(text);
	release_check(&c);
}

static void release(struct check_result *r)
{
	free(r->message);
	free(r->feedback);
	free(r->output);
}

#define RIGHT "{\"returns\": 2}"
#define WRONG "{\"returns\": 3}"

Test(verdict, no_violations_leaves_the_verdict_alone)
{
	struct check_result r;
	decide(&r, RIGHT, "\"violations\": []");
	cr_expect_eq(r.status, STATUS_PASS, "%s", r.message);
	cr_expect_eq(r.score, 2);
	release(&r);
}

Test(verdict, forbidden_import_names_module_file_and_line)
{
	struct check_result r;
	decide(&r, RIGHT,
	       "\"violations\": [{\"event\": \"import\", \"detail\": \"ctypes\", \"file\": \"refcount.py\", \"line\": 3,"
	       " \"forbidden\": true}]");
	cr_expect_eq(r.status, STATUS_FORBIDDEN);
	cr_expect_str_eq(r.message, "forbidden: ctypes imported at refcount.py:3");
	cr_expect_eq(r.score, 0);
	cr_expect_str_eq(r.feedback, "no tricks");
	release(&r);
}

Test(verdict, forbidden_overrides_a_wrong_answer_and_its_feedback)
{
	struct check_result r;
	decide(&r, WRONG,
	       "\"violations\": [{\"event\": \"subprocess.Popen\", \"detail\": \"/bin/sh -c touch x\", \"file\":"
	       " \"memprof.py\", \"line\": 12, \"forbidden\": true}]");
	cr_expect_eq(r.status, STATUS_FORBIDDEN);
	cr_expect_str_eq(r.message, "forbidden: subprocess.Popen ('/bin/sh -c touch x') at memprof.py:12");
	cr_expect_str_eq(r.feedback, "no tricks");
	release(&r);
}

Test(verdict, opening_for_reading_and_writing)
{
	struct check_result r;
	decide(&r, RIGHT,
	       "\"violations\": [{\"event\": \"open\", \"detail\": \"/etc/passwd (write)\", \"file\": \"deepsize.py\","
	       " \"line\": 7, \"forbidden\": true}]");
	cr_expect_str_eq(r.message, "forbidden: opening '/etc/passwd' for writing at deepsize.py:7");
	release(&r);
	decide(&r, RIGHT,
	       "\"violations\": [{\"event\": \"os.remove\", \"detail\": \"/srv/rubric.yaml (write)\", \"file\": \"a.py\","
	       " \"line\": 1, \"forbidden\": true}]");
	cr_expect_str_eq(r.message, "forbidden: os.remove on '/srv/rubric.yaml' at a.py:1");
	release(&r);
}

Test(verdict, several_violations_name_the_first_and_count_the_rest)
{
	struct check_result r;
	decide(&r, RIGHT,
	       "\"violations\": [{\"event\": \"open\", \"detail\": \"/usr/share/x (read)\", \"forbidden\": false},"
	       " {\"event\": \"socket.__new__\", \"detail\": \"2\", \"file\": \"refcount.py\", \"line\": 4, \"forbidden\": true},"
	       " {\"event\": \"os.system\", \"detail\": \"id\", \"file\": \"refcount.py\", \"line\": 5, \"forbidden\": true}],"
	       " \"violations_dropped\": 3");
	cr_expect_eq(r.status, STATUS_FORBIDDEN);
	cr_expect_str_eq(r.message, "forbidden: creating a socket (address family 2) at refcount.py:4 (+4 more)");
	release(&r);
}

Test(verdict, event_without_detail_or_location)
{
	struct check_result r;
	decide(&r, RIGHT, "\"violations\": [{\"event\": \"sys.settrace\", \"detail\": \"\", \"forbidden\": true}]");
	cr_expect_str_eq(r.message, "forbidden: sys.settrace");
	release(&r);
	decide(&r, RIGHT, "\"violations\": [{\"event\": \"_thread.start_new_thread\", \"file\": \"m.py\", \"forbidden\": true}]");
	cr_expect_str_eq(r.message, "forbidden: starting a thread in m.py");
	release(&r);
}

Test(verdict, refused_read_is_silent_when_the_check_passes)
{
	struct check_result r;
	decide(&r, RIGHT,
	       "\"violations\": [{\"event\": \"open\", \"detail\": \"/etc/mime.types (read)\", \"file\": \"refcount.py\","
	       " \"line\": 2, \"forbidden\": false}]");
	cr_expect_eq(r.status, STATUS_PASS);
	cr_expect_str_eq(r.message, "count_refs([1]) returned 2");
	release(&r);
}

Test(verdict, refused_read_is_noted_when_the_check_fails)
{
	struct check_result r;
	decide(&r, WRONG,
	       "\"violations\": [{\"event\": \"open\", \"detail\": \"/srv/rubrics/refcount.yaml (read)\", \"file\":"
	       " \"refcount.py\", \"line\": 2, \"forbidden\": false}]");
	cr_expect_eq(r.status, STATUS_FAIL);
	cr_expect_str_eq(r.message,
			 "count_refs([1]) returned 3, expected 2; note: refused to open '/srv/rubrics/refcount.yaml'");
	cr_expect_str_eq(r.feedback, "wrong count");
	release(&r);
}

Test(verdict, violations_of_a_failed_import_still_count)
{
	struct check c;
	call_check(&c);
	json_t *result = J("{\"op\": \"result\", \"channel\": \"ok\", \"exit\": 0, \"observation\": {\"import\":"
			   " {\"module\": \"refcount\", \"ok\": false, \"exception\": {\"type\": \"ImportError\","
			   " \"message\": \"import of 'ctypes' is forbidden by the grader\", \"file\": \"refcount.py\","
			   " \"line\": 1}}, \"violations\": [{\"event\": \"import\", \"detail\": \"ctypes\", \"file\":"
			   " \"refcount.py\", \"line\": 1, \"forbidden\": true}]}}");
	struct check_result r = { .max_score = 2 };
	verdict_decide(&c, result, &r);
	cr_expect_eq(r.status, STATUS_FORBIDDEN);
	cr_expect_str_eq(r.message, "forbidden: ctypes imported at refcount.py:1");
	release(&r);
	json_decref(result);
	release_check(&c);
}

Test(verdict, a_timeout_without_observation_is_left_alone)
{
	struct check c;
	call_check(&c);
	json_t *result = J("{\"op\": \"result\", \"channel\": \"missing\", \"signal\": 9, \"timeout\": \"wall\"}");
	struct check_result r = { .max_score = 2 };
	verdict_decide(&c, result, &r);
	cr_expect_eq(r.status, STATUS_TIMEOUT);
	release(&r);
	json_decref(result);
	release_check(&c);
}

/* Results without an observation: what the supervisor says instead. */
static void decide_raw(struct check_result *out, const char *text)
{
	struct check c;
	call_check(&c);
	json_t *result = J(text);
	memset(out, 0, sizeof(*out));
	out->max_score = c.points;
	verdict_decide(&c, result, out);
	out->check = NULL;
	json_decref(result);
	release_check(&c);
}

Test(verdict, a_submission_the_scratch_copy_refuses_is_the_submissions_error)
{
	struct check_result r;
	decide_raw(&r, "{\"op\": \"result\", \"submission_error\": \"the submission has more than 1000 files\"}");
	cr_expect_eq(r.status, STATUS_ERROR);
	cr_expect_str_eq(r.message, "the submission cannot be graded: the submission has more than 1000 files");
	cr_expect_eq(r.score, 0);
	release(&r);
}

Test(verdict, a_supervisor_failure_is_the_graders_error)
{
	struct check_result r;
	decide_raw(&r, "{\"op\": \"result\", \"supervisor_error\": \"cannot start a check process: EAGAIN\"}");
	cr_expect_eq(r.status, STATUS_ERROR);
	cr_expect_str_eq(r.message, "grader error: cannot start a check process: EAGAIN");
	release(&r);
}
