/*
 * cli.h - the grade command's commands: one file each (cli/NAME.c), one
 * row each in main.c's table.
 *
 * A command takes the arguments after its name and returns the process's
 * exit status (enum exit_code): errors become text and exit codes here, at
 * the edge, and nowhere below.
 */
#ifndef GRADE_CLI_CLI_H
#define GRADE_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Documented in README.md and `grade --help`. */
enum exit_code {
	EXIT_GRADED = 0,       /* grading completed, whatever the score */
	EXIT_DEGRADED = 1,     /* doctor: grading would run with isolation layers missing */
	EXIT_USAGE = 2,        /* bad command line */
	EXIT_RUBRIC = 3,       /* a rubric has errors (also: lint found problems) */
	EXIT_SUBMISSION = 4,   /* a submission cannot be read */
	EXIT_INTERNAL = 5,     /* grade itself failed (cannot start Python, write the report...;
				* with --strict also a harness error in any check) */
	EXIT_BELOW_THRESHOLD = 6,  /* --fail-under: a submission scored below the threshold */
	EXIT_INTERRUPTED = 130,    /* batch: SIGINT or SIGTERM; what finished is in the gradebook */
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);   /* argv[0] is the command's name */
	const char *synopsis;  /* "lint RUBRIC..." */
	const char *help;      /* its lines in `grade --help`, without indentation */
};

/* Grading is the command without a name: `grade [options] DIR...` (argv[0]
 * is the program). */

int cmd_grade(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_slurm(int argc, char **argv);
int cmd_gradescope(int argc, char **argv);

/* "grade: <message>" and the hint to --help on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether to colour 'out' for --color WHEN ("auto": a terminal without NO_COLOR). */
bool cli_use_color(const char *when, FILE *out);

/* The course rubrics shipped with grade: next to an installed binary
 * (bindir/../share/grade/rubrics), else in the source tree it was built
 * from.  Returns a new string or NULL. */
char *cli_default_rubrics(void);

/* --time-budget DURATION ("none" or "0": no submission budget) into
 * *seconds.  Returns 0, or EXIT_USAGE after saying why. */
int cli_parse_time_budget(const char *arg, double *seconds);

/* `grade --help`. */
void cli_print_help(FILE *out);

#endif
