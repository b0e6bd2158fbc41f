/*
 * progress.h - the progress of a batch, on standard error only.
 *
 * On a terminal: one line kept up to date in place (done/total, rate,
 * ETA, failures so far, the slowest submission now running).  Elsewhere
 * (a CI log): a plain line at each tenth of the way and at least every 30
 * seconds.  Quiet: nothing.  Whatever else is printed to standard error
 * meanwhile goes through progress_clear() first, so the live line never
 * garbles it.
 */
#ifndef GRADE_CLI_PROGRESS_H
#define GRADE_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct progress {
	FILE *out;
	bool live;           /* a terminal: redraw one line */
	bool quiet;
	size_t total, done, failed, reused;
	double t0, last;     /* monotonic seconds: start, last plain line */
	size_t last_tenth;
	double *started;     /* per index: when it started, 0 when not running */
	const char *const *names;   /* per index, borrowed */
	bool drawn;          /* the live line is on the screen */
};

/* 'total' submissions to grade, named names[0..total) (borrowed). */
void progress_init(struct progress *p, FILE *out, bool quiet, size_t total, size_t reused, const char *const *names);
void progress_started(struct progress *p, size_t index);
void progress_finished(struct progress *p, size_t index, bool failed);
/* Redraws the live line (at most every 0.2 s) or prints a plain line when one is due. */
void progress_tick(struct progress *p);
/* Erases the live line before something else is printed. */
void progress_clear(struct progress *p);
/* The last line (plain, on a terminal too) and the memory. */
void progress_end(struct progress *p);

#endif
