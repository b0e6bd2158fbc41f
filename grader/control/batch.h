/*
 * batch.h - grading many submissions on several lanes at once.
 *
 * A lane is a forked copy of the controller with its own worker (its own
 * exec'd zygote), so lanes share nothing but the rubric they inherited.
 * The parent hands out submissions one at a time to whichever lane is
 * free, collects each lane's finished report, and hands the reports to
 * 'emit' in the order of the submissions, whatever order they finished in.
 * With one lane nothing is forked: the same callbacks run in this process.
 *
 * What one submission does to its lane costs only that submission: a lane
 * that dies takes only the submission it was grading with it (reported as
 * an internal error) and a fresh lane takes its place.
 */
#ifndef GRADE_BATCH_H
#define GRADE_BATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* One submission's outcome, owned by whoever holds it. */
struct batch_output {
	char *text;        /* the formatted report, or NULL */
	char *error;       /* a one-line problem to print, or NULL */
	bool unreadable;   /* the submission could not be read at all */
	bool internal;     /* grade itself failed on this submission */
};

struct batch_ops {
	/* In each lane, before its first submission (a worker, say).  A
	 * failure is printed by the parent; the other lanes go on. */
	int (*lane_start)(void *ctx, char *err, size_t errlen);
	/* In the lane: grades submission 'index' into *out (zeroed). */
	void (*grade)(void *ctx, size_t index, struct batch_output *out);
	/* In the lane, after its last submission. */
	void (*lane_stop)(void *ctx);
	/* In the parent, once per submission, in index order.  A negative
	 * return stops the batch (the report could not be written). */
	int (*emit)(void *ctx, size_t index, const struct batch_output *out);
	/* Optional.  'stop' (NULL: never) is a flag a signal handler sets:
	 * once it is set no submission is started, the running ones get
	 * 'grace' seconds to finish and reach emit, then their lanes are
	 * killed and those submissions never reach emit (nor does a lane
	 * that died meanwhile); a value above 1 ends the grace at once.  With 'stop', lanes are forked even for one
	 * job and each runs in a process group of its own, so a Ctrl-C on the
	 * terminal reaches the parent alone. */
	volatile sig_atomic_t *stop;
	double grace;
	/* Emit each submission as soon as it is finished, not in index order
	 * (what a gradebook wants: nothing finished waits on a slow one). */
	bool any_order;
	/* Optional, in the parent: a lane was handed submission 'index'
	 * (only with lanes forked); and a tick at least once a second while
	 * the batch runs, for a progress line. */
	void (*started)(void *ctx, size_t index);
	void (*tick)(void *ctx);
};

/* The number of lanes worth running here: the CPUs this process may use. */
unsigned batch_default_jobs(void);

/* Grades submissions 0..n-1 on 'jobs' lanes (at most n).  Returns 0 when
 * every submission reached 'emit', BATCH_STOPPED when ops->stop ended it
 * early, or -1 with a reason in 'err' (no lane could start, or emit
 * stopped the batch). */
#define BATCH_STOPPED 1
int batch_run(size_t n, unsigned jobs, const struct batch_ops *ops, void *ctx, char *err, size_t errlen);

void batch_output_release(struct batch_output *out);

#endif
