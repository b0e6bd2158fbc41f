#include "control/budget.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "kinds/verdict.h"

void budget_start(struct budget *b, const char *what, double seconds, double now)
{
	*b = (struct budget){ .what = what, .seconds = seconds > 0 ? seconds : 0, .start = now };
}

double budget_left(const struct budget *b, double now)
{
	return b->seconds > 0 ? b->seconds - (now - b->start) : (double)INFINITY;
}

bool budget_spent(const struct budget *b, double now)
{
	return budget_left(b, now) < BUDGET_MIN_SECONDS;
}

void budget_charge(struct budget *b, const char *label, double seconds)
{
	if (seconds > b->slowest_seconds || !b->slowest[0]) {
		snprintf(b->slowest, sizeof(b->slowest), "%s", label);
		b->slowest_seconds = seconds;
	}
}

const struct budget *budget_cut(struct budget *const *budgets, size_t n, struct limits *lim, double now)
{
	const struct budget *tightest = NULL;
	double own = lim->wall_seconds < lim->cpu_seconds ? lim->wall_seconds : lim->cpu_seconds;
	double least = own;
	for (size_t i = 0; i < n; i++) {
		if (!budgets[i])
			continue;
		double left = budget_left(budgets[i], now);
		if (left < least) {
			least = left;
			tightest = budgets[i];
		}
	}
	if (!tightest)
		return NULL;
	if (least < BUDGET_MIN_SECONDS)
		least = BUDGET_MIN_SECONDS;
	if (lim->wall_seconds > least)
		lim->wall_seconds = least;
	if (lim->cpu_seconds > least)
		lim->cpu_seconds = least;
	return tightest;
}

const struct budget *budget_first_spent(struct budget *const *budgets, size_t n, double now)
{
	for (size_t i = 0; i < n; i++)
		if (budgets[i] && budget_spent(budgets[i], now))
			return budgets[i];
	return NULL;
}

/* " (check 'X' took 4.9 s of it)", or "" before any check ran; new. */
static char *where_it_went(const struct budget *b)
{
	if (!b->slowest[0])
		return xstrdup("");
	return xasprintf(" (check '%s' took %.2f s of it)", b->slowest, b->slowest_seconds);
}

void budget_verdict_spent(const struct budget *b, struct check_result *cr)
{
	char *went = where_it_went(b);
	verdict_set(cr, STATUS_TIMEOUT, "timeout (budget): not run: the %s's time budget of %g s is spent%s", b->what,
		    b->seconds, went);
	free(went);
}

void budget_verdict_cut(const struct budget *b, const struct limits *lim, struct check_result *cr)
{
	char *went = where_it_went(b);
	char *msg = xasprintf("timeout (budget): stopped after %.2f s, what was left of the %s's time budget of %g s%s",
			      lim->wall_seconds < lim->cpu_seconds ? lim->wall_seconds : lim->cpu_seconds, b->what,
			      b->seconds, went);
	free(cr->message);
	cr->message = msg;
	free(went);
}
