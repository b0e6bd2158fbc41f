/*
 * worker.h - the controller's handle on one zygote.
 *
 * worker_start() runs this very binary again as a zygote (zygote.h) on one
 * end of a socketpair, with an empty environment and no other
 * descriptors.  The controller then drives it one exercise at a time:
 *
 *     worker_begin()  -> a supervisor for the submission (the zygote forks
 *                        one for the submission's first exercise), which
 *                        compiles the exercise's files and copies the
 *                        submission afresh
 *     worker_check()  -> one result                          (repeat)
 *     worker_end()    -> the exercise is over
 *     worker_finish() -> the submission is over: the supervisor exits
 *
 * Every wait has a deadline.  When a supervisor stops answering, the
 * worker kills it and reports the exercise as broken; the zygote itself
 * stays usable, and the next exercise gets a new supervisor.
 *
 * Functions return 0 or -1 with a one-line reason in 'err'.
 */
#ifndef GRADE_WORKER_H
#define GRADE_WORKER_H

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

#include "rubric/rubric.h"
#include "sandbox/layers.h"

struct worker {
	pid_t pid;              /* the zygote */
	int fd;                 /* our end of the channel */
	pid_t supervisor;       /* the current submission's supervisor, or 0 */
	char *dir;              /* its submission directory */
	bool in_exercise;
	char python[128];       /* the embedded Python's version line */
	int major, minor;
	bool pinned;            /* we stay on one CPU while a submission is graded */
	cpu_set_t cpus;         /* the CPUs we may run on otherwise (while pinned) */
	const struct sandbox_layers *probe;   /* the controller's probe of the host (borrowed), handed to each zygote */
};

/* 'probe' is what sandbox_probe() found in the controller: the zygote
 * takes it as its first message instead of probing the host again. */
#define WORKER_INIT(probe_) { .pid = 0, .fd = -1, .probe = (probe_) }

int worker_start(struct worker *w, char *err, size_t errlen);

/* Starts an exercise on the submission in 'dir' (an absolute path).
 * *compiled is a new reference to the supervisor's compile report. */
int worker_begin(struct worker *w, const char *dir, const struct exercise *ex, json_t **compiled,
		 char *err, size_t errlen);

/* Runs one check within 'lim' (the check's limits, or less when a time
 * budget is running out); *result is a new reference to the supervisor's
 * "result" message.  'fresh' asks for a check child that has served no
 * other exercise (see "shared" in the result).  -1 means the exercise's
 * supervisor is gone: end the exercise. */
int worker_check(struct worker *w, const struct exercise *ex, const struct check *c, const struct limits *lim,
		 bool fresh, json_t **result, char *err, size_t errlen);

/* Ends the current exercise. */
void worker_end(struct worker *w);

/* Ends the submission: its supervisor exits (killed if it is stuck). */
void worker_finish(struct worker *w);

void worker_stop(struct worker *w);

#endif
