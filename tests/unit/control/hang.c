#include <criterion/criterion.h>
#include <string.h>

#include "control/hang.h"
#include "kinds/verdict.h"

TestSuite(hang, .timeout = 30);

static struct check make(const char *id, enum check_kind kind, const char *spec)
{
	struct check c = { .id = (char *)id, .kind = kind, .points = 1 };
	c.spec = json_loads(spec, 0, NULL);
	cr_assert_not_null(c.spec);
	return c;
}

static json_t *timed_out(const char *check, const char *callable, const char *in)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "op", "result", "timeout", "wall", "phase", "check", check,
			 "callable", callable, "in", in);
}

Test(hang, a_callable_that_hung_blocks_the_checks_that_call_it)
{
	struct check first = make("returns-int", CHECK_CALL, "{\"function\": \"refcount.count_refs\"}");
	struct check again = make("fresh-object", CHECK_REFCOUNT, "{\"function\": \"refcount.count_refs\"}");
	struct check other = make("other", CHECK_CALL, "{\"function\": \"refcount.helper\"}");
	struct check facts = make("facts", CHECK_BYTECODE, "{\"function\": \"refcount.count_refs\"}");
	struct check_result cr = { .check = &first, .max_score = 1 };
	verdict_set(&cr, STATUS_TIMEOUT, "timed out");
	struct hang_list l = HANG_LIST_INIT;
	json_t *r = timed_out("returns-int", "refcount.count_refs", "call");
	hang_note(&l, &first, r, 2, &cr);
	cr_assert_eq(l.n, 1);
	cr_assert(strstr(cr.message, "refcount.count_refs"), "%s", cr.message);
	cr_assert_not_null(hang_blocking(&l, &again));
	cr_assert_null(hang_blocking(&l, &other));
	cr_assert_null(hang_blocking(&l, &facts), "facts are read from the code, nothing is called");

	struct check_result later = { .check = &again, .max_score = 1 };
	hang_verdict(hang_blocking(&l, &again), &later);
	cr_assert_eq(later.status, STATUS_TIMEOUT);
	cr_assert_eq(later.score, 0);
	cr_assert_str_eq(later.message, "not run: refcount.count_refs did not return within 2 s in check 'returns-int'");
	json_decref(r);
	free(cr.message);
	free(later.message);
	hang_list_release(&l);
	json_decref(first.spec);
	json_decref(again.spec);
	json_decref(other.spec);
	json_decref(facts.spec);
}

Test(hang, an_import_that_hung_blocks_the_whole_exercise)
{
	struct check imp = make("imports", CHECK_IMPORT, "{\"module\": \"memprof\"}");
	struct check src = make("no-shortcuts", CHECK_SOURCE, "{\"module\": \"memprof\"}");
	struct check_result cr = { .check = &imp, .max_score = 0 };
	verdict_set(&cr, STATUS_TIMEOUT, "timed out");
	struct hang_list l = HANG_LIST_INIT;
	json_t *r = timed_out("imports", "memprof", "import");
	hang_note(&l, &imp, r, 6, &cr);
	cr_assert_not_null(hang_blocking(&l, &src));
	struct check_result later = { .check = &src };
	hang_verdict(hang_blocking(&l, &src), &later);
	cr_assert(strstr(later.message, "the import of memprof did not return within 6 s"), "%s", later.message);
	json_decref(r);
	free(cr.message);
	free(later.message);
	hang_list_release(&l);
	json_decref(imp.spec);
	json_decref(src.spec);
}

/* The phase is the child's claim: it counts only for the check that timed
 * out. */
Test(hang, a_phase_naming_another_check_is_ignored)
{
	struct check c = make("mine", CHECK_CALL, "{\"function\": \"m.f\"}");
	struct check_result cr = { .check = &c };
	verdict_set(&cr, STATUS_TIMEOUT, "timed out");
	struct hang_list l = HANG_LIST_INIT;
	json_t *r = timed_out("someone-else", "m.f", "call");
	hang_note(&l, &c, r, 1, &cr);
	cr_assert_eq(l.n, 0);
	cr_assert_str_eq(cr.message, "timed out");
	json_t *none = json_pack("{s:s}", "timeout", "wall");
	hang_note(&l, &c, none, 1, &cr);
	cr_assert_eq(l.n, 0);
	json_decref(r);
	json_decref(none);
	free(cr.message);
	json_decref(c.spec);
}

Test(hang, a_summary_calls_the_student_function_it_warms_up)
{
	struct check sum = make("summary-own", CHECK_BYTECODE,
				"{\"function\": \"bytecode.opcode_summary\", \"summarize\": \"bytecode.squares_comp\"}");
	struct check src = make("summary-src", CHECK_BYTECODE,
				"{\"function\": \"bytecode.opcode_summary\", \"summarize\": \"add\", \"source\": \"def add(): pass\"}");
	struct check_result cr = { .check = &sum };
	verdict_set(&cr, STATUS_TIMEOUT, "timed out");
	struct hang_list l = HANG_LIST_INIT;
	json_t *r = timed_out("summary-own", "bytecode.squares_comp", "call");
	hang_note(&l, &sum, r, 1, &cr);
	cr_assert_not_null(hang_blocking(&l, &sum));
	cr_assert_null(hang_blocking(&l, &src));
	json_decref(r);
	free(cr.message);
	hang_list_release(&l);
	json_decref(sum.spec);
	json_decref(src.spec);
}
