/*
 * budget.h - time budgets: one per exercise, one per submission.
 *
 * A budget is wall-clock time counted from its start.  A check runs with
 * the smaller of its own limits and what is left of the budgets over it;
 * once a budget is spent, the checks that remain under it are decided at
 * once as "timeout (budget)", no points, with the check that used most of
 * it named.  So a submission whose every function loops forever costs a
 * bounded time, and the report is complete.  Python-free.
 */
#ifndef GRADE_CONTROL_BUDGET_H
#define GRADE_CONTROL_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

#include "kinds/check.h"
#include "kinds/result.h"

/* Less than this left, and a budget is spent: no check can start and
 * answer in less. */
#define BUDGET_MIN_SECONDS 0.05

struct budget {
	const char *what;        /* "exercise" or "submission" (static) */
	double seconds;          /* its size; 0: none */
	double start;            /* now_seconds() when it began */
	char slowest[160];       /* the check that took longest so far ("" none) */
	double slowest_seconds;
};

/* A budget of 'seconds' (0: none) named 'what', starting at 'now'. */
void budget_start(struct budget *b, const char *what, double seconds, double now);

/* Seconds left at 'now'; INFINITY without a budget. */
double budget_left(const struct budget *b, double now);

/* Whether nothing a check could use is left. */
bool budget_spent(const struct budget *b, double now);

/* Notes that check 'label' took 'seconds' (for naming where the time
 * went). */
void budget_charge(struct budget *b, const char *label, double seconds);

/* Shortens *lim (wall and CPU) to what budgets[0..n) leave at 'now'.
 * Returns the budget that shortened it, the tightest; NULL when the
 * check's own limits stand.  NULL entries are skipped. */
const struct budget *budget_cut(struct budget *const *budgets, size_t n, struct limits *lim, double now);

/* The first of budgets[0..n) spent at 'now', or NULL. */
const struct budget *budget_first_spent(struct budget *const *budgets, size_t n, double now);

/* Decides a check that spent budget 'b' stops: timeout, no points. */
void budget_verdict_spent(const struct budget *b, struct check_result *cr);

/* A check that timed out at the limit 'b' cut to 'lim': says so in its
 * message (which names the budget rather than the check's own limit). */
void budget_verdict_cut(const struct budget *b, const struct limits *lim, struct check_result *cr);

#endif
