/*
 * command.h - running another program (Slurm's sbatch, squeue, scancel)
 * with an argv, never through a shell, and keeping what it prints.
 *
 * The arguments go to the program as they are: nothing in them is ever
 * interpreted by a shell, so paths and options from the command line need
 * no quoting here.  Output is kept up to COMMAND_OUTPUT_LIMIT bytes per
 * stream (more is read and dropped, so the program never blocks on a full
 * pipe).
 */
#ifndef GRADE_CLUSTER_COMMAND_H
#define GRADE_CLUSTER_COMMAND_H

#include <stddef.h>

#define COMMAND_OUTPUT_LIMIT ((size_t)1 << 20)

struct command_result {
	int status;     /* the exit status, or 128 + the signal that ended it */
	char *out;      /* standard output, NUL-terminated (never NULL after command_run) */
	char *err;      /* standard error, the same */
};

#define COMMAND_RESULT_INIT { -1, NULL, NULL }

/* The program 'name' as found on PATH (a name with a '/' is taken as it
 * is, when executable).  Returns a new string, or NULL when there is none. */
char *command_find(const char *name);

/* Runs argv[0] (found on PATH) with argv, standard input /dev/null, and
 * waits for it.  Returns 0 once it ran, whatever its exit status (in
 * r->status), or -1 when it could not be started; r is then still valid
 * to release.  The caller releases r. */
int command_run(const char *const argv[], struct command_result *r, char *err, size_t errlen);
void command_result_release(struct command_result *r);

#endif
