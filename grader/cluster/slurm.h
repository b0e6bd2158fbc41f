/*
 * slurm.h - a class graded as a Slurm job array: the two batch scripts
 * `grade slurm` writes and submits, the time limit of a task, and what
 * squeue says about them (docs/scale.md).
 *
 *   DIR/shard.sbatch   a job array 1-N: task I runs `grade batch ROSTER
 *                      --shard I/N --gradebook DIR/shard-I.sqlite -j
 *                      $SLURM_CPUS_PER_TASK`; its log DIR/log/shard-I.JOB.out
 *   DIR/merge.sbatch   `grade merge DIR/shard-1.sqlite ... -o OUTPUT`,
 *                      submitted with --dependency=afterok:ARRAY
 *
 * Array index I is shard I (1-based, as --shard numbers them), so
 * `sbatch --array=I DIR/shard.sbatch` reruns exactly shard I: every
 * resource request is an #SBATCH line of the script, and an option given
 * to sbatch overrides its line.
 *
 * Quoting: the script's shell commands take every path as one
 * single-quoted word (slurm_shell_quote), whatever it holds.  #SBATCH
 * lines are read by sbatch itself, which has no reliable quoting, so what
 * goes there (DIR in --output and --chdir, the partition, the time,
 * extra options) must be slurm_directive_safe(); the caller refuses
 * anything else.
 *
 * Nothing here runs Slurm's commands but slurm_query() (squeue); the
 * rest only formats and parses text, for the unit tests.  Strings in the
 * structs below are borrowed.
 */
#ifndef GRADE_CLUSTER_SLURM_H
#define GRADE_CLUSTER_SLURM_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "book/roster.h"

/* The most shards: grade batch's --shard limit (Slurm's MaxArraySize,
 * 1001 by default, may allow fewer). */
#define SLURM_MAX_SHARDS 10000

/* The time limit of a task when --time is not given: the worst case of
 * its shard (every submission spends its whole --time-budget, the
 * submissions spread over the task's CPUs) plus start-up, times a margin,
 * plus a fixed slack for a slow shared filesystem; in whole minutes. */
#define SLURM_STARTUP_SECONDS 30.0
#define SLURM_MARGIN 1.5
#define SLURM_SLACK_SECONDS 120.0

/* The task time limit in minutes for a shard of 'students' submissions,
 * each at most 'budget' seconds, graded 'cpus' at a time; 0 when budget
 * is 0 (no budget: there is no bound, the partition's default applies). */
unsigned long slurm_task_minutes(double budget, size_t students, unsigned cpus);
/* The merge job's: 10 minutes, one more per 1000 students. */
unsigned long slurm_merge_minutes(size_t students);

/* Minutes in Slurm's time format: "HH:MM:00", or "D-HH:MM:00" from a day
 * up, into out (at least 32 bytes). */
void slurm_format_time(unsigned long minutes, char *out, size_t outlen);
/* Parses a time in one of Slurm's formats (M, M:S, H:M:S, D-H, D-H:M,
 * D-H:M:S; "UNLIMITED" or "INFINITE") into *minutes, seconds rounded up
 * (unlimited: 0).  Returns 0, or -1 when it is not one. */
int slurm_parse_time(const char *text, unsigned long *minutes);

/* Counts the roster's students of each shard, by the hash grade batch
 * shards with (roster_shard_of): sizes[0..shards) for shards 1..N. */
void slurm_shard_sizes(const struct roster *r, unsigned shards, size_t *sizes);

/* Whether s can go into an #SBATCH line as it is: not empty, and only
 * letters, digits and + , - . / : = @ _ (no space, quote, '%', '$' or
 * control character). */
bool slurm_directive_safe(const char *s);
/* Appends s to out as one single-quoted shell word ('\'' for a quote). */
void slurm_shell_quote(struct buf *out, const char *s);

/* What the scripts run; every path absolute. */
struct slurm_spec {
	const char *grade;        /* the grade binary (/proc/self/exe of the submitting grade) */
	const char *roster;       /* the roster (a directory or a CSV file) */
	const char *rubric;       /* the rubric */
	const char *dir;          /* directive-safe: the scripts, DIR/shard-I.sqlite, DIR/log/ */
	const char *output;       /* the class gradebook the merge writes */
	const char *time_budget;  /* --time-budget as given, or NULL: grade's default */
	unsigned shards;          /* 1..SLURM_MAX_SHARDS */
	unsigned cpus_per_task;   /* >= 1 */
	const char *partition;    /* directive-safe, or NULL: the cluster's default */
	const char *task_time;    /* directive-safe Slurm time, or NULL: the partition's default */
	const char *merge_time;   /* the same, for the merge job */
	const char *const *setup; /* shell lines run before grade in both jobs (module load ...) */
	size_t n_setup;
	const char *const *options;  /* directive-safe extra #SBATCH options of both jobs (--account=x) */
	size_t n_options;
};

/* The array's script and the merge job's, appended to out. */
void slurm_shard_script(const struct slurm_spec *s, struct buf *out);
void slurm_merge_script(const struct slurm_spec *s, struct buf *out);

/* The job id in `sbatch --parsable`'s answer ("123" or "123;cluster",
 * then a newline) into id.  Returns 0, or -1 when there is none. */
int slurm_parse_jobid(const char *parsable, char *id, size_t idlen);

/* What squeue says about one submission: its array's tasks and the merge
 * job.  A state is Slurm's (PENDING, RUNNING, COMPLETED, FAILED,
 * CANCELLED, TIMEOUT, NODE_FAIL...), "" while squeue has not shown it. */
#define SLURM_STATE_LEN 32
struct slurm_status {
	unsigned shards;
	char (*task)[SLURM_STATE_LEN];   /* task[I - 1]: array index I */
	char merge[SLURM_STATE_LEN];
	char merge_reason[64];           /* squeue's %r: DependencyNeverSatisfied... */
};

/* Room for 'shards' tasks, every state "" (released by slurm_status_release). */
void slurm_status_init(struct slurm_status *st, unsigned shards);
void slurm_status_release(struct slurm_status *st);

/* Folds in lines of `squeue -h -r --states=all -o '%F|%K|%T|%r'` about the
 * array job 'array' and the job 'merge' (others are ignored).  A state
 * seen before and absent now (squeue forgets finished jobs after
 * MinJobAge) is kept. */
void slurm_status_parse(struct slurm_status *st, const char *squeue_out, const char *array, const char *merge);

/* Asks squeue about the two jobs and folds its answer into st. */
int slurm_query(struct slurm_status *st, const char *array, const char *merge, char *err, size_t errlen);

/* Whether a job in this state has ended (COMPLETED, FAILED, CANCELLED,
 * TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED, BOOT_FAIL, DEADLINE). */
bool slurm_state_ended(const char *state);

#endif
