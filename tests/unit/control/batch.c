#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/batch.h"
#include "base/util.h"

TestSuite(batch, .timeout = 30);

/* A fake grader: submission i's report is "report i"; some indices make
 * the lane misbehave. */
struct fake {
	size_t n;
	long die_at;          /* the lane grading this index kills itself */
	bool fail_start;      /* every lane fails to start */
	long stop_emit_at;    /* emit refuses this index */
	size_t emitted;
	size_t order[64];
	char *texts[64];
	bool internal[64];
	char *errors[64];
	bool stopped_in_parent;
};

static int fake_start(void *ctx, char *err, size_t errlen)
{
	struct fake *f = ctx;
	if (f->fail_start) {
		snprintf(err, errlen, "%s", "no interpreter here");
		return -1;
	}
	return 0;
}

static void fake_grade(void *ctx, size_t index, struct batch_output *out)
{
	struct fake *f = ctx;
	if ((long)index == f->die_at)
		raise(SIGKILL);
	/* Early submissions take longest, so lanes finish out of order. */
	usleep((useconds_t)((f->n - index) * 3000));
	out->text = xasprintf("report %zu\n", index);
	if (index % 4 == 3) {
		out->error = xasprintf("cannot open submission %zu", index);
		out->unreadable = true;
	}
}

static void fake_stop(void *ctx)
{
	struct fake *f = ctx;
	f->stopped_in_parent = true;
}

static int fake_emit(void *ctx, size_t index, const struct batch_output *out)
{
	struct fake *f = ctx;
	if ((long)index == f->stop_emit_at)
		return -1;
	f->order[f->emitted++] = index;
	f->texts[index] = out->text ? xstrdup(out->text) : NULL;
	f->errors[index] = out->error ? xstrdup(out->error) : NULL;
	f->internal[index] = out->internal;
	return 0;
}

static const struct batch_ops fake_ops = {
	.lane_start = fake_start, .grade = fake_grade, .lane_stop = fake_stop, .emit = fake_emit,
};

static void release(struct fake *f)
{
	for (size_t i = 0; i < 64; i++) {
		free(f->texts[i]);
		free(f->errors[i]);
	}
}

static void expect_all_in_order(struct fake *f, long except)
{
	cr_assert_eq(f->emitted, f->n);
	for (size_t i = 0; i < f->n; i++) {
		cr_expect_eq(f->order[i], i, "emitted #%zu was submission %zu", i, f->order[i]);
		if ((long)i == except)
			continue;
		char want[32];
		snprintf(want, sizeof(want), "report %zu\n", i);
		cr_expect_str_eq(f->texts[i], want);
		cr_expect_not(f->internal[i]);
		if (i % 4 == 3)
			cr_expect(f->errors[i] && strstr(f->errors[i], "cannot open"), "submission %zu: error lost", i);
	}
}

Test(batch, one_lane_runs_here_in_order)
{
	struct fake f = { .n = 9, .die_at = -1, .stop_emit_at = -1 };
	char err[128] = "";
	cr_assert_eq(batch_run(f.n, 1, &fake_ops, &f, err, sizeof(err)), 0, "%s", err);
	expect_all_in_order(&f, -1);
	cr_expect(f.stopped_in_parent, "with one lane, the callbacks run in this process");
	release(&f);
}

Test(batch, lanes_finish_out_of_order_reports_come_in_order)
{
	struct fake f = { .n = 12, .die_at = -1, .stop_emit_at = -1 };
	char err[128] = "";
	cr_assert_eq(batch_run(f.n, 3, &fake_ops, &f, err, sizeof(err)), 0, "%s", err);
	expect_all_in_order(&f, -1);
	cr_expect_not(f.stopped_in_parent, "lanes stop in their own processes");
	release(&f);
}

Test(batch, more_lanes_than_submissions)
{
	struct fake f = { .n = 2, .die_at = -1, .stop_emit_at = -1 };
	char err[128] = "";
	cr_assert_eq(batch_run(f.n, 8, &fake_ops, &f, err, sizeof(err)), 0, "%s", err);
	expect_all_in_order(&f, -1);
	release(&f);
}

Test(batch, a_lane_that_dies_costs_only_its_submission)
{
	struct fake f = { .n = 10, .die_at = 4, .stop_emit_at = -1 };
	char err[128] = "";
	cr_assert_eq(batch_run(f.n, 2, &fake_ops, &f, err, sizeof(err)), 0, "%s", err);
	expect_all_in_order(&f, 4);
	cr_expect(f.internal[4]);
	cr_expect_null(f.texts[4]);
	cr_assert_not_null(f.errors[4]);
	cr_expect(strstr(f.errors[4], "signal 9"), "got: %s", f.errors[4]);
	release(&f);
}

Test(batch, no_lane_can_start)
{
	struct fake f = { .n = 5, .die_at = -1, .fail_start = true, .stop_emit_at = -1 };
	char err[128] = "";
	cr_expect_eq(batch_run(f.n, 2, &fake_ops, &f, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "no interpreter here");
	cr_expect_eq(f.emitted, 0);
	struct fake g = { .n = 5, .die_at = -1, .fail_start = true, .stop_emit_at = -1 };
	cr_expect_eq(batch_run(g.n, 1, &fake_ops, &g, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "no interpreter here");
}

Test(batch, a_report_that_cannot_be_written_stops_the_batch)
{
	for (unsigned jobs = 1; jobs <= 2; jobs++) {
		struct fake f = { .n = 8, .die_at = -1, .stop_emit_at = 3 };
		char err[128] = "";
		cr_expect_eq(batch_run(f.n, jobs, &fake_ops, &f, err, sizeof(err)), -1);
		cr_expect_eq(f.emitted, 3, "jobs %u: emitted %zu", jobs, f.emitted);
		cr_expect_str_eq(err, "cannot write the report");
		release(&f);
	}
}

Test(batch, default_jobs_is_at_least_one)
{
	cr_expect_geq(batch_default_jobs(), 1u);
}

/* A flag set (here by emit, as a signal handler would) stops the batch. */
static volatile sig_atomic_t stop_flag;

static int stopping_emit(void *ctx, size_t index, const struct batch_output *out)
{
	struct fake *f = ctx;
	int rc = fake_emit(ctx, index, out);
	if (f->emitted == 3)
		stop_flag = 1;
	return rc;
}

Test(batch, any_order_emits_as_submissions_finish)
{
	struct batch_ops ops = fake_ops;
	ops.any_order = true;
	struct fake f = { .n = 8, .die_at = -1, .stop_emit_at = -1 };
	char err[128] = "";
	cr_assert_eq(batch_run(f.n, 2, &ops, &f, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(f.emitted, f.n);
	bool seen[8] = { false }, in_order = true;
	for (size_t i = 0; i < f.n; i++) {
		cr_expect_not(seen[f.order[i]], "submission %zu emitted twice", f.order[i]);
		seen[f.order[i]] = true;
		in_order &= f.order[i] == i;
	}
	/* Early submissions take longest: the later ones come out first. */
	cr_expect_not(in_order, "the early, slow submissions did not hold the others back");
	release(&f);
}

Test(batch, a_stop_flag_starts_nothing_more)
{
	for (unsigned jobs = 1; jobs <= 2; jobs++) {
		struct batch_ops ops = fake_ops;
		ops.emit = stopping_emit;
		ops.stop = &stop_flag;
		ops.grace = 30;
		stop_flag = 0;
		struct fake f = { .n = 40, .die_at = -1, .stop_emit_at = -1 };
		char err[128] = "";
		cr_assert_eq(batch_run(f.n, jobs, &ops, &f, err, sizeof(err)), BATCH_STOPPED, "jobs %u: %s", jobs, err);
		/* What was running when it stopped finished (grace), nothing else started. */
		cr_expect_geq(f.emitted, 3);
		cr_expect_leq(f.emitted, 3 + jobs, "jobs %u: %zu emitted", jobs, f.emitted);
		cr_expect_not(f.stopped_in_parent, "with a stop flag, even one lane is forked");
		release(&f);
	}
}

Test(batch, a_second_stop_kills_what_runs)
{
	struct batch_ops ops = fake_ops;
	ops.emit = stopping_emit;
	ops.stop = &stop_flag;
	ops.grace = 0;   /* as good as a second signal */
	stop_flag = 0;
	struct fake f = { .n = 40, .die_at = -1, .stop_emit_at = -1 };
	char err[128] = "";
	cr_assert_eq(batch_run(f.n, 2, &ops, &f, err, sizeof(err)), BATCH_STOPPED, "%s", err);
	/* Only what had finished already (read in the same round) follows. */
	cr_expect_leq(f.emitted, 5, "nothing started after the stop: %zu", f.emitted);
	for (size_t i = 0; i < f.emitted; i++)
		cr_expect_not(f.internal[f.order[i]], "a killed lane is no verdict");
	release(&f);
}
