/*
 * main.c - the grade program: picks the command, returns its exit status.
 *
 * Everything else lives in the grader library; see docs/architecture.md.
 * A new command is one file in cli/ and one row in the table below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "run/zygote.h"

static const struct command commands[] = {
	{ "lint", cmd_lint, "lint RUBRIC...",
	  "check rubric files without running anything; each problem\n"
	  "is printed as file:line:col: message" },
	{ "doctor", cmd_doctor, "doctor",
	  "show the embedded Python, each isolation layer (in force,\n"
	  "or unavailable and why) and the audit hook; exit status 0\n"
	  "when everything is in force, 1 when grading runs degraded" },
	{ "batch", cmd_batch, "batch [options] DIR|ROSTER.csv",
	  "grade a class into a gradebook (SQLite, --gradebook FILE,\n"
	  "default gradebook.sqlite), reusing unchanged results\n"
	  "(--force: regrade all); -r, -j as above, --grace DURATION\n"
	  "for running submissions on SIGINT/SIGTERM (exit 130),\n"
	  "--quiet (no progress on stderr), --time-budget as above,\n"
	  "--shard I/N (only the\n"
	  "students of shard I: a stable hash of their id; merge the\n"
	  "shards' gradebooks with grade merge); docs/gradebook.md.\n"
	  "A roster path may be a git repository or URL: --deadline\n"
	  "TIME (ISO 8601 with zone), --branch B, --late-policy P,\n"
	  "--date-source committer|fetched|pushed, --pushed-at FILE,\n"
	  "--repo-cache DIR, --fetch-jobs N (8), --fetch-timeout\n"
	  "DURATION (300s, or none); docs/deadlines.md" },
	{ "export", cmd_export, "export FORMAT [--gradebook FILE] [TARGET]",
	  "write the gradebook's current results without grading:\n"
	  "csv [FILE] (one row per student, RFC 4180), feedback DIR\n"
	  "(each student's report in text, Markdown and JSON),\n"
	  "gradescope DIR (DIR/STUDENT/results.json), html FILE (an\n"
	  "overview page: charts, the table of students, changes),\n"
	  "diff [FILE] (the score changes since each student's\n"
	  "previous run, as grade batch lists them at its end)" },
	{ "merge", cmd_merge, "merge BOOK... -o FILE",
	  "merge gradebooks (the shards of a class) into FILE, history\n"
	  "kept; merging again, or overlapping books, changes nothing" },
	{ "slurm", cmd_slurm, "slurm ROSTER --shards N [options]",
	  "grade a class on a Slurm cluster: a job array of N tasks,\n"
	  "each grade batch --shard I/N into DIR/shard-I.sqlite\n"
	  "(--dir, default grade-slurm), and a job after them that\n"
	  "merges into -o FILE (default gradebook.sqlite);\n"
	  "--partition P, --cpus-per-task C (each task's -j),\n"
	  "--time T (default: from --time-budget and the largest\n"
	  "shard, with a margin), --setup CMD (a shell line before\n"
	  "grade: module load ...), --sbatch OPTION (one more\n"
	  "#SBATCH line), -r, --time-budget as above; --wait for the\n"
	  "merge and print the class summary, --dry-run print the\n"
	  "scripts and sbatch lines only; docs/scale.md" },
	{ "gradescope", cmd_gradescope, "gradescope [--submission DIR] [--results FILE]",
	  "grade in Gradescope's container (ci/gradescope/): the\n"
	  "submission (default /autograder/submission) into\n"
	  "Gradescope's results.json (default\n"
	  "/autograder/results/results.json), written even when the\n"
	  "submission cannot be graded; -r, --time-budget as above" },
};

static const char grade_usage[] =
	"Grades the Python files in each SUBMISSION_DIR against a rubric and prints a report\n"
	"(with several directories: one report after another; JSON reports one per line).\n"
	"\n"
	"options:\n"
	"  -r, --rubric FILE|DIR   the rubric: an exercise or course YAML file, or a directory\n"
	"                          (its course.yaml, else every *.yaml); default: the course\n"
	"                          rubrics shipped with grade\n"
	"  -f, --format FORMAT     text (default), json, junit, markdown, github, gitlab,\n"
	"                          classroom or gradescope (docs/reports.md)\n"
	"  -o, --output FILE       write the report to FILE instead of standard output\n"
	"      --report FORMAT=FILE  also write a report in FORMAT to FILE ('-': standard\n"
	"                          output); repeatable, one grading run for all of them\n"
	"      --fail-under N|N%   exit 6 when a submission scores below N points (bonus\n"
	"                          included) or below N% of the maximum\n"
	"      --strict            exit 5 when the grader failed in any check (harness error)\n"
	"      --no-ci-detect      ignore GITHUB_ACTIONS and GITLAB_CI (step summary,\n"
	"                          annotations, classroom output, GitLab report files)\n"
	"      --time-budget DURATION  the most time one submission may take (default\n"
	"                          12s; 'none': no limit); when it is spent the checks\n"
	"                          left are reported as timeout (budget)\n"
	"      --rev REV           grade revision REV (a commit id, a branch, a tag, HEAD~2)\n"
	"                          of the git repository at each SUBMISSION_DIR, read from\n"
	"                          its object database; without it, a SUBMISSION_DIR in a\n"
	"                          git work tree is graded as it is, and the report names\n"
	"                          the commit and whether the work tree was dirty\n"
	"  -j, --jobs N            grade N submissions at a time (default: one per CPU);\n"
	"                          reports still come out in the order given\n"
	"      --instructor        show hidden checks' details\n"
	"      --color WHEN        auto (default: on a terminal, unless NO_COLOR is set),\n"
	"                          always or never\n"
	"  -V, --version           print grade's version, the embedded Python's and the\n"
	"                          sandbox layers in force\n"
	"  -h, --help              print this help\n";

static const char exit_usage[] =
	"exit status:\n"
	"  0  grading completed (whatever the score)   3  the rubric has errors\n"
	"  2  bad command line                         4  the submission cannot be read\n"
	"                                              5  internal error (--strict: or a\n"
	"                                                 harness error)\n"
	"                                              6  a score is below --fail-under\n"
	"                                            130  batch: interrupted (rerun to go on)\n";

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void cli_print_help(FILE *out)
{
	fputs("usage: grade [options] SUBMISSION_DIR...\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "       grade %s\n", commands[i].synopsis);
	fputs("       grade --version | --help\n\n", out);
	fputs(grade_usage, out);
	fputs("\ncommands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		/* The synopsis, then the help's lines in a column of their own. */
		const char *p = commands[i].help;
		fprintf(out, "  %-22s", commands[i].synopsis);
		for (bool first = true; *p; first = false) {
			size_t n = strcspn(p, "\n");
			fprintf(out, "%*s%.*s\n", first ? 2 : 26, "", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
	fputc('\n', out);
	fputs(exit_usage, out);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], ZYGOTE_FLAG))
		return zygote_main(atoi(argv[2]));
	for (size_t i = 0; argc >= 2 && i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return cmd_grade(argc, argv);
}
