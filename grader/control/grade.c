#include "control/grade.h"

#include "base/error.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "base/wire.h"
#include "control/budget.h"
#include "control/hang.h"
#include "kinds/verdict.h"

#define MAX_RESTARTS 3

/* Read once per run: the variable is for debugging rubrics and benchmarks. */
static bool trace_results;

struct exercise_run {
	struct worker *w;
	const struct exercise *ex;
	struct exercise_result *res;
	const char *dir;
	unsigned char *state;   /* 0 = to do, 1 = running, 2 = decided */
	int restarts;
	bool broken;            /* the supervisor could not be (re)started */
	bool grader_broke;      /* ... because of the grader, not of crashes in student code */
	bool trace;             /* GRADE_TRACE: print each raw result on stderr */
	struct hang_list hangs; /* callables that did not return: not called again */
	struct budget budget;   /* the exercise's time */
	struct budget *submission_budget; /* borrowed: the submission's, or NULL */
	char broken_why[256];
};

static int find_check(const struct exercise *ex, const char *id)
{
	for (size_t i = 0; i < ex->n_checks; i++)
		if (!strcmp(ex->checks[i].id, id))
			return (int)i;
	return -1;
}

static int ensure_worker(struct worker *w, char *err, size_t errlen)
{
	if (w->fd >= 0)
		return 0;
	return worker_start(w, err, errlen);
}

static int begin(struct exercise_run *run)
{
	json_t *compiled = NULL;
	char err[256];
	if (ensure_worker(run->w, err, sizeof(err)) < 0 ||
	    worker_begin(run->w, run->dir, run->ex, &compiled, err, sizeof(err)) < 0) {
		/* The zygote itself may be gone: start a fresh one next time. */
		worker_stop(run->w);
		*run->w = (struct worker)WORKER_INIT(run->w->probe);
		snprintf(run->broken_why, sizeof(run->broken_why), "%s", err);
		run->broken = true;
		run->grader_broke = true;
		return -1;
	}
	json_decref(compiled);
	return 0;
}

/* Forgets what a decision wrote, for another one. */
static void check_result_reset(struct check_result *cr)
{
	free(cr->message);
	free(cr->feedback);
	free(cr->output);
	free(cr->file);
	*cr = (struct check_result){ .check = cr->check, .max_score = cr->check->points };
}

/* Runs check 'c' in the supervisor's check child and decides it into
 * 'cr'; -1 when the supervisor is gone (cr says so, and the checks that
 * remain get a fresh one). */
static int decide_in_child(struct exercise_run *run, const struct check *c, const struct limits *lim,
			   const struct budget *cut, struct check_result *cr, bool fresh)
{
	json_t *result = NULL;
	char err[256];
	if (worker_check(run->w, run->ex, c, lim, fresh, &result, err, sizeof(err)) == 0) {
		if (run->trace) {
			char *t = json_dumps(result, JSON_COMPACT);
			fprintf(stderr, "trace: %s: %s\n", c->id, t ? t : "?");
			free(t);
		}
		verdict_decide(c, result, cr);
		cr->shared = json_is_true(json_object_get(result, "shared"));
		if (cr->status == STATUS_TIMEOUT) {
			/* The limit it ran to was what a budget left: the budget is
			 * the cause. */
			if (cut)
				budget_verdict_cut(cut, lim, cr);
			bool cpu = !strcmp(str_or(json_string_value(json_object_get(result, WIRE_KEY_TIMEOUT)), ""),
					   WIRE_TIMEOUT_CPU);
			hang_note(&run->hangs, c, result, cpu ? lim->cpu_seconds : lim->wall_seconds, cr);
			/* A child that ran to its limit: what the budgets pay for. */
			run->res->timeouts_waited++;
		}
		json_decref(result);
		return 0;
	}
	verdict_set(cr, STATUS_CRASH, "%s", err);
	/* Start a fresh supervisor for the checks that remain (the old one is
	 * gone, or killed now if it is stuck). */
	worker_finish(run->w);
	if (++run->restarts > MAX_RESTARTS) {
		run->broken = true;
		run->grader_broke = false;
		snprintf(run->broken_why, sizeof(run->broken_why), "too many crashes in this exercise");
	} else {
		begin(run);
	}
	return -1;
}

static void run_one(struct exercise_run *run, size_t i);

/* The first of the checks named in ids[0..n) that did not pass (running
 * those not run yet), or NULL. */
static const char *first_not_passed(struct exercise_run *run, char *const *ids, size_t n)
{
	for (size_t d = 0; d < n; d++) {
		int j = find_check(run->ex, ids[d]);
		if (j < 0)
			continue;
		if (run->state[j] == 0)
			run_one(run, (size_t)j);
		if (run->res->checks[j].status != STATUS_PASS)
			return ids[d];
	}
	return NULL;
}

/* Decides check 'c' without running it when something else settles it:
 * a dependency or precondition that did not pass, a Python it is not for,
 * a callable of it that did not return, a broken exercise.  Returns
 * whether it did. */
static bool settled_without_running(struct exercise_run *run, const struct check *c, struct check_result *cr)
{
	const char *dep = first_not_passed(run, c->depends_on, c->n_depends);
	const char *req = dep ? NULL : first_not_passed(run, c->requires, c->n_requires);
	/* After the dependencies ran: one of them may be what hung.  A hang
	 * says more than "it depends on a check that timed out". */
	const struct hang *hung = hang_blocking(&run->hangs, c);
	if (dep && !hung) {
		verdict_set(cr, STATUS_SKIPPED, "skipped: it depends on '%s', which did not pass", dep);
		return true;
	}
	if (req) {
		/* A precondition, not a mistake: the check counts for nothing. */
		verdict_set(cr, STATUS_SKIPPED, "not graded: it requires '%s', which did not pass", req);
		cr->max_score = 0;
		return true;
	}
	if (c->python_text && !version_cond_holds(&c->python, run->w->major ? run->w->major : 3, run->w->minor)) {
		verdict_set(cr, STATUS_SKIPPED, "not applicable on Python %d.%d (this check is for Python %s)",
			    run->w->major, run->w->minor, c->python_text);
		cr->max_score = 0;
		return true;
	}
	if (hung) {
		/* It would wait for the same callable again. */
		hang_verdict(hung, cr);
		return true;
	}
	if (run->broken) {
		verdict_set(cr, STATUS_CRASH, "not run: %s", run->broken_why);
		cr->harness_error = run->grader_broke;
		return true;
	}
	return false;
}

static void run_one(struct exercise_run *run, size_t i)
{
	const struct check *c = &run->ex->checks[i];
	struct check_result *cr = &run->res->checks[i];
	if (run->state[i] == 2)
		return;
	run->state[i] = 1;
	if (settled_without_running(run, c, cr)) {
		run->state[i] = 2;
		return;
	}
	struct budget *budgets[] = { &run->budget, run->submission_budget };
	double start = now_seconds();
	const struct budget *spent = budget_first_spent(budgets, ARRAY_SIZE(budgets), start);
	if (spent) {
		budget_verdict_spent(spent, cr);
		run->state[i] = 2;
		return;
	}
	struct limits lim = c->limits;
	const struct budget *cut = budget_cut(budgets, ARRAY_SIZE(budgets), &lim, start);
	if (decide_in_child(run, c, &lim, cut, cr, false) == 0 && cr->shared && cr->status != STATUS_PASS &&
	    cr->status != STATUS_TIMEOUT) {
		/* What an earlier exercise left in the child may be the cause:
		 * the answer of a child of this exercise alone stands.  Not for a
		 * timeout: a child that ran to its limit costs it once. */
		check_result_reset(cr);
		decide_in_child(run, c, &lim, cut, cr, true);
	}
	double took = now_seconds() - start;
	char label[160];
	snprintf(label, sizeof(label), "%s/%s", run->ex->id, c->id);
	budget_charge(&run->budget, c->id, took);
	if (run->submission_budget)
		budget_charge(run->submission_budget, label, took);
	run->state[i] = 2;
}

/* The exercise's points: the regular checks' scaled to its weight (if
 * any), bonus checks' scaled alike and capped by bonus_cap, on top. */
static void exercise_score(const struct exercise *ex, struct exercise_result *res)
{
	double score = 0, max = 0, bonus = 0, bonus_max = 0;
	for (size_t i = 0; i < res->n_checks; i++) {
		const struct check_result *cr = &res->checks[i];
		if (cr->check->bonus) {
			bonus += cr->score;
			bonus_max += cr->max_score;
		} else {
			score += cr->score;
			max += cr->max_score;
		}
	}
	/* A weight rescales the exercise; checks keep their own points. */
	if (ex->weight > 0 && max > 0) {
		double factor = ex->weight / max;
		score *= factor;
		bonus *= factor;
		bonus_max *= factor;
		max = ex->weight;
	}
	if (ex->has_bonus_cap) {
		bonus = bonus < ex->bonus_cap ? bonus : ex->bonus_cap;
		bonus_max = bonus_max < ex->bonus_cap ? bonus_max : ex->bonus_cap;
	}
	res->score = score + bonus;
	res->max_score = max;
	res->bonus_score = bonus;
	res->bonus_max = bonus_max;
}

static void grade_exercise(struct worker *w, const struct exercise *ex, const char *dir, struct budget *submission_budget,
			   struct exercise_result *res)
{
	res->exercise = ex;
	res->n_checks = ex->n_checks;
	res->checks = xcalloc(ex->n_checks, sizeof(*res->checks));
	for (size_t i = 0; i < ex->n_checks; i++) {
		res->checks[i].check = &ex->checks[i];
		res->checks[i].max_score = ex->checks[i].points;
	}
	struct exercise_run run = { .w = w, .ex = ex, .res = res, .dir = dir, .trace = trace_results,
				    .submission_budget = submission_budget };
	budget_start(&run.budget, "exercise", ex->time_budget, now_seconds());
	run.state = xcalloc(ex->n_checks, 1);
	if (begin(&run) < 0)
		res->error = xstrdup(run.broken_why);
	for (size_t i = 0; i < ex->n_checks; i++)
		run_one(&run, i);
	worker_end(w);
	free(run.state);
	hang_list_release(&run.hangs);

	exercise_score(ex, res);
}

int grade_submission(struct worker *w, const struct rubric *r, const char *dir, double time_budget,
		     struct grade_result *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	char abs[PATH_MAX];
	struct stat st;
	out->submission = xstrdup(dir);
	if (stat(dir, &st) < 0 || !realpath(dir, abs)) {
		return fail(err, errlen, "cannot open submission '%s': %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode)) {
		return fail(err, errlen, "submission '%s' is not a directory", dir);
	}
	trace_results = getenv("GRADE_TRACE") != NULL;
	double t0 = now_seconds();
	struct budget budget;
	budget_start(&budget, "submission", time_budget, t0);
	out->exercises = xcalloc(r->n_exercises ? r->n_exercises : 1, sizeof(*out->exercises));
	out->n_exercises = r->n_exercises;
	for (size_t i = 0; i < r->n_exercises; i++) {
		grade_exercise(w, &r->exercises[i], abs, &budget, &out->exercises[i]);
		out->timeouts_waited += out->exercises[i].timeouts_waited;
		out->score += out->exercises[i].score;
		out->max_score += out->exercises[i].max_score;
		out->bonus_score += out->exercises[i].bonus_score;
		out->bonus_max += out->exercises[i].bonus_max;
	}
	worker_finish(w);
	snprintf(out->python, sizeof(out->python), "%s", w->python);
	out->seconds = now_seconds() - t0;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct grade_source *grade_source_copy(const struct grade_source *s)
{
	struct grade_source *d = xmalloc(sizeof(*d));
	*d = *s;
	d->repo = dup_or_null(s->repo);
	d->branch = dup_or_null(s->branch);
	d->commit = dup_or_null(s->commit);
	d->commit_time = dup_or_null(s->commit_time);
	d->pushed_at = dup_or_null(s->pushed_at);
	d->pushed_by = dup_or_null(s->pushed_by);
	d->deadline = dup_or_null(s->deadline);
	d->date_source = dup_or_null(s->date_source);
	d->evidence_time = dup_or_null(s->evidence_time);
	d->late_policy = dup_or_null(s->late_policy);
	d->notes = s->n_notes ? xcalloc(s->n_notes, sizeof(char *)) : NULL;
	for (size_t i = 0; i < s->n_notes; i++)
		d->notes[i] = xstrdup(s->notes[i]);
	return d;
}

void grade_source_release(struct grade_source *s)
{
	if (!s)
		return;
	free(s->repo);
	free(s->branch);
	free(s->commit);
	free(s->commit_time);
	free(s->pushed_at);
	free(s->pushed_by);
	free(s->deadline);
	free(s->date_source);
	free(s->evidence_time);
	free(s->late_policy);
	free_strings(s->notes, s->n_notes);
	memset(s, 0, sizeof(*s));
}

void grade_source_free(struct grade_source *s)
{
	grade_source_release(s);
	free(s);
}

void grade_result_release(struct grade_result *g)
{
	grade_source_free(g->source);
	for (size_t i = 0; i < g->n_exercises; i++) {
		struct exercise_result *e = &g->exercises[i];
		for (size_t j = 0; j < e->n_checks; j++) {
			free(e->checks[j].message);
			free(e->checks[j].feedback);
			free(e->checks[j].output);
			free(e->checks[j].file);
		}
		free(e->checks);
		free(e->error);
	}
	free(g->exercises);
	free(g->submission);
	memset(g, 0, sizeof(*g));
}
