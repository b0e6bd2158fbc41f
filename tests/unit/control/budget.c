#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "control/budget.h"
#include "kinds/verdict.h"

TestSuite(budget, .timeout = 30);

static struct limits limits(double wall, double cpu)
{
	return (struct limits){ .wall_seconds = wall, .cpu_seconds = cpu, .memory_bytes = 1, .output_bytes = 1 };
}

Test(budget, none_means_no_limit)
{
	struct budget b;
	budget_start(&b, "submission", 0, 100.0);
	cr_expect(isinf(budget_left(&b, 1e9)));
	cr_expect_not(budget_spent(&b, 1e9));
	struct budget *list[] = { &b, NULL };
	struct limits lim = limits(5, 2);
	cr_expect_null(budget_cut(list, 2, &lim, 1e9));
	cr_expect_eq(lim.wall_seconds, 5);
	cr_expect_eq(lim.cpu_seconds, 2);
}

Test(budget, the_tightest_budget_cuts_both_limits)
{
	struct budget ex, sub;
	budget_start(&ex, "exercise", 6, 10.0);
	budget_start(&sub, "submission", 12, 0.0);
	struct budget *list[] = { &ex, &sub };
	/* At 13 s: the exercise has 3 s left, the submission -1 + ... 12 - 13 < 0: spent. */
	cr_expect_eq(budget_first_spent(list, 2, 13.0), &sub);
	/* At 11 s: exercise 5 s left, submission 1 s left. */
	struct limits lim = limits(5, 5);
	cr_expect_eq(budget_cut(list, 2, &lim, 11.0), &sub);
	cr_expect_float_eq(lim.wall_seconds, 1.0, 1e-9);
	cr_expect_float_eq(lim.cpu_seconds, 1.0, 1e-9);
	/* Own limits below what is left: they stand. */
	lim = limits(0.5, 0.25);
	cr_expect_null(budget_cut(list, 2, &lim, 11.0));
	cr_expect_eq(lim.wall_seconds, 0.5);
	/* Between a short CPU limit and a long wall one: only the wall is cut. */
	lim = limits(20, 0.5);
	cr_expect_null(budget_cut(list, 2, &lim, 11.0), "the CPU limit, 0.5 s, is the tighter bound");
	lim = limits(20, 3);
	cr_expect_eq(budget_cut(list, 2, &lim, 11.0), &sub);
	cr_expect_float_eq(lim.wall_seconds, 1.0, 1e-9);
	cr_expect_float_eq(lim.cpu_seconds, 1.0, 1e-9);
}

Test(budget, spent_is_less_than_the_least_a_check_can_use)
{
	struct budget b;
	budget_start(&b, "exercise", 1, 0.0);
	cr_expect_not(budget_spent(&b, 1.0 - 2 * BUDGET_MIN_SECONDS));
	cr_expect(budget_spent(&b, 1.0 - BUDGET_MIN_SECONDS / 2));
	cr_expect(budget_spent(&b, 5.0));
}

Test(budget, verdicts_name_the_budget_and_the_slowest_check)
{
	struct check c = { .id = (char *)"late", .points = 2 };
	struct check_result cr = { .check = &c, .max_score = 2 };
	struct budget b;
	budget_start(&b, "exercise", 6, 0.0);
	budget_charge(&b, "quick", 0.01);
	budget_charge(&b, "sleeper", 5.9);
	budget_charge(&b, "other", 0.05);
	budget_verdict_spent(&b, &cr);
	cr_expect_eq(cr.status, STATUS_TIMEOUT);
	cr_expect_eq(cr.score, 0);
	cr_expect_str_eq(cr.message, "timeout (budget): not run: the exercise's time budget of 6 s is spent "
				     "(check 'sleeper' took 5.90 s of it)");
	struct limits lim = limits(0.1, 0.1);
	verdict_set(&cr, STATUS_TIMEOUT, "timed out: no result within the 5 s wall-clock limit");
	budget_verdict_cut(&b, &lim, &cr);
	cr_expect_str_eq(cr.message, "timeout (budget): stopped after 0.10 s, what was left of the exercise's time "
				     "budget of 6 s (check 'sleeper' took 5.90 s of it)");
	free(cr.message);
}
