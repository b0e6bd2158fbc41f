#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/phase.h"

TestSuite(phase, .timeout = 30);

/* What a child writes is there for the parent after the child is gone. */
Test(phase, a_dead_childs_phase_is_read_by_the_parent)
{
	struct phase_page *p = phase_page_map();
	cr_assert_not_null(p);
	phase_page_clear(p);
	pid_t pid = fork();
	if (pid == 0) {
		phase_use(p);
		phase_begin_check("returns-int");
		phase_enter(PHASE_CALL, "refcount.count_refs");
		_exit(0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	json_t *j = phase_page_json(p);
	cr_assert_not_null(j);
	cr_assert_str_eq(json_string_value(json_object_get(j, "check")), "returns-int");
	cr_assert_str_eq(json_string_value(json_object_get(j, "callable")), "refcount.count_refs");
	cr_assert_str_eq(json_string_value(json_object_get(j, "in")), "call");
	json_decref(j);
}

Test(phase, back_in_the_grader_names_nothing)
{
	struct phase_page *p = phase_page_map();
	phase_page_clear(p);
	phase_use(p);
	phase_begin_check("c");
	cr_assert_null(phase_page_json(p));
	phase_enter(PHASE_CALL, "m.f");
	phase_enter(PHASE_WRAPPER, NULL);
	json_t *j = phase_page_json(p);
	cr_assert_str_eq(json_string_value(json_object_get(j, "callable")), "m.f", "NULL keeps the callable");
	cr_assert_str_eq(json_string_value(json_object_get(j, "in")), "wrapper");
	json_decref(j);
	phase_enter(PHASE_NONE, NULL);
	cr_assert_null(phase_page_json(p));
	phase_use(NULL);
	phase_enter(PHASE_CALL, "nowhere"); /* no page: nothing happens */
}

/* The page is written by student-controlled processes: no terminator, bytes
 * that are not UTF-8, a phase out of range. */
Test(phase, a_scribbled_page_is_read_within_bounds)
{
	struct phase_page *p = phase_page_map();
	memset(p->check, 'c', sizeof(p->check));
	memset(p->callable, 0xff, sizeof(p->callable));
	p->in = PHASE_CALL;
	json_t *j = phase_page_json(p);
	cr_assert_not_null(j);
	cr_assert_eq(strlen(json_string_value(json_object_get(j, "check"))), PHASE_CHECK_MAX);
	cr_assert_not_null(json_string_value(json_object_get(j, "callable")));
	json_decref(j);
	p->in = 200;
	cr_assert_null(phase_page_json(p));
	cr_assert_eq(phase_in_by_name("wrapper"), PHASE_WRAPPER);
	cr_assert_eq(phase_in_by_name("bogus"), PHASE_NONE);
}
