/* slurm.c - the scripts of a class graded as a Slurm job array (slurm.h). */
#include "cluster/slurm.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/util.h"
#include "cluster/command.h"

unsigned long slurm_task_minutes(double budget, size_t students, unsigned cpus)
{
	if (budget <= 0)
		return 0;
	/* The submissions of a shard go to its lanes one at a time: the
	 * slowest lane grades ceil(students / cpus) of them. */
	size_t rounds = cpus ? (students + cpus - 1) / cpus : students;
	double seconds = (budget * (double)rounds + SLURM_STARTUP_SECONDS) * SLURM_MARGIN + SLURM_SLACK_SECONDS;
	return (unsigned long)ceil(seconds / 60);
}

unsigned long slurm_merge_minutes(size_t students)
{
	return 10 + (unsigned long)(students / 1000);
}

void slurm_format_time(unsigned long minutes, char *out, size_t outlen)
{
	unsigned long days = minutes / (24 * 60), hours = minutes / 60 % 24, mins = minutes % 60;
	if (days)
		snprintf(out, outlen, "%lu-%02lu:%02lu:00", days, hours, mins);
	else
		snprintf(out, outlen, "%02lu:%02lu:00", hours, mins);
}

/* Up to three numbers separated by ':' (at least one); returns the count
 * or -1. */
static int colon_fields(const char *s, unsigned long v[3])
{
	int n = 0;
	for (;;) {
		if (n == 3 || !isdigit((unsigned char)*s))
			return -1;
		char *end;
		errno = 0;
		v[n++] = strtoul(s, &end, 10);
		if (errno || v[n - 1] > 1000000)
			return -1;
		s = end;
		if (!*s)
			return n;
		if (*s++ != ':')
			return -1;
	}
}

int slurm_parse_time(const char *text, unsigned long *minutes)
{
	if (!strcmp(text, "UNLIMITED") || !strcmp(text, "INFINITE") || !strcmp(text, "unlimited") ||
	    !strcmp(text, "infinite")) {
		*minutes = 0;
		return 0;
	}
	unsigned long days = 0, v[3] = { 0 }, h = 0, m = 0, s = 0;
	const char *dash = strchr(text, '-');
	int n;
	if (dash) {
		/* D-H, D-H:M, D-H:M:S */
		char *end;
		if (!isdigit((unsigned char)*text))
			return -1;
		days = strtoul(text, &end, 10);
		if (end != dash || days > 365 * 100)
			return -1;
		if ((n = colon_fields(dash + 1, v)) < 0)
			return -1;
		h = v[0];
		m = n > 1 ? v[1] : 0;
		s = n > 2 ? v[2] : 0;
	} else {
		/* M, M:S, H:M:S */
		if ((n = colon_fields(text, v)) < 0)
			return -1;
		if (n == 1)
			m = v[0];
		else if (n == 2)
			m = v[0], s = v[1];
		else
			h = v[0], m = v[1], s = v[2];
	}
	unsigned long total = ((days * 24 + h) * 60 + m) * 60 + s;
	*minutes = (total + 59) / 60;
	/* 0 would mean "no limit" to us and "immediately" to nobody useful. */
	return *minutes ? 0 : -1;
}

void slurm_shard_sizes(const struct roster *r, unsigned shards, size_t *sizes)
{
	memset(sizes, 0, shards * sizeof(*sizes));
	for (size_t i = 0; i < r->n; i++)
		sizes[roster_shard_of(r->entries[i].student, shards) - 1]++;
}

bool slurm_directive_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("+,-./:=@_", *s))
			return false;
	return true;
}

void slurm_shell_quote(struct buf *out, const char *s)
{
	buf_puts(out, "'");
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(out, "'\\''");
		else
			buf_append(out, s, 1);
	}
	buf_puts(out, "'");
}

/* name='value' */
static void assign(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "%s=", name);
	slurm_shell_quote(out, value);
	buf_puts(out, "\n");
}

/* The #SBATCH lines both jobs share, after their own. */
static void common_directives(const struct slurm_spec *s, struct buf *out)
{
	if (s->partition)
		buf_printf(out, "#SBATCH --partition=%s\n", s->partition);
	buf_printf(out, "#SBATCH --chdir=%s\n", s->dir);
	for (size_t i = 0; i < s->n_options; i++)
		buf_printf(out, "#SBATCH %s\n", s->options[i]);
}

/* set -u, the setup lines, the variables the command uses. */
static void prologue(const struct slurm_spec *s, struct buf *out)
{
	buf_puts(out, "set -u\n");
	if (s->n_setup)
		buf_puts(out, "# set-up (grade slurm --setup)\n");
	for (size_t i = 0; i < s->n_setup; i++)
		buf_printf(out, "%s\n", s->setup[i]);
	assign(out, "grade", s->grade);
	assign(out, "dir", s->dir);
}

void slurm_shard_script(const struct slurm_spec *s, struct buf *out)
{
	buf_puts(out, "#!/bin/sh\n");
	buf_printf(out,
		   "# Written by grade slurm: task I of this job array grades shard I of %u of\n"
		   "# the roster into %s/shard-I.sqlite (docs/scale.md).\n"
		   "# Rerun one shard (a task that failed, was cancelled or lost its node):\n"
		   "#   sbatch --array=I %s/shard.sbatch\n"
		   "# then merge again (%s/merge.sbatch).\n",
		   s->shards, s->dir, s->dir, s->dir);
	buf_puts(out, "#SBATCH --job-name=grade-shard\n");
	buf_printf(out, "#SBATCH --array=1-%u\n", s->shards);
	buf_puts(out, "#SBATCH --ntasks=1\n");
	buf_printf(out, "#SBATCH --cpus-per-task=%u\n", s->cpus_per_task);
	if (s->task_time)
		buf_printf(out, "#SBATCH --time=%s\n", s->task_time);
	buf_printf(out, "#SBATCH --output=%s/log/shard-%%a.%%A.out\n", s->dir);
	common_directives(s, out);
	prologue(s, out);
	assign(out, "roster", s->roster);
	assign(out, "rubric", s->rubric);
	buf_puts(out, "shard=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}\n");
	buf_printf(out,
		   "\"$grade\" batch --shard \"$shard/%u\" --gradebook \"$dir/shard-$shard.sqlite\" \\\n"
		   "    -j \"${SLURM_CPUS_PER_TASK:-%u}\" -r \"$rubric\"",
		   s->shards, s->cpus_per_task);
	if (s->time_budget) {
		buf_puts(out, " --time-budget ");
		slurm_shell_quote(out, s->time_budget);
	}
	buf_puts(out, " \"$roster\"\n");
	buf_puts(out,
		 "status=$?\n"
		 "# 4: a submission cannot be read; it is in the gradebook as missing and the\n"
		 "# shard is complete, so the merge may run.  Anything else but 0 fails the task\n"
		 "# (130: stopped by scancel or the time limit; rerun it to go on).\n"
		 "[ \"$status\" -eq 4 ] && status=0\n"
		 "exit \"$status\"\n");
}

void slurm_merge_script(const struct slurm_spec *s, struct buf *out)
{
	buf_puts(out, "#!/bin/sh\n");
	buf_printf(out,
		   "# Written by grade slurm: merges the %u shard gradebooks of %s\n"
		   "# into the class gradebook; submitted with --dependency=afterok on the array.\n"
		   "# Merging again (after a shard was rerun) changes nothing already merged.\n",
		   s->shards, s->dir);
	buf_puts(out, "#SBATCH --job-name=grade-merge\n");
	buf_puts(out, "#SBATCH --ntasks=1\n");
	buf_puts(out, "#SBATCH --cpus-per-task=1\n");
	if (s->merge_time)
		buf_printf(out, "#SBATCH --time=%s\n", s->merge_time);
	buf_printf(out, "#SBATCH --output=%s/log/merge.%%j.out\n", s->dir);
	common_directives(s, out);
	prologue(s, out);
	assign(out, "output", s->output);
	buf_printf(out,
		   "set --\n"
		   "i=1\n"
		   "while [ \"$i\" -le %u ]; do\n"
		   "\tset -- \"$@\" \"$dir/shard-$i.sqlite\"\n"
		   "\ti=$((i + 1))\n"
		   "done\n"
		   "exec \"$grade\" merge -o \"$output\" \"$@\"\n",
		   s->shards);
}

int slurm_parse_jobid(const char *parsable, char *id, size_t idlen)
{
	size_t n = strspn(parsable, "0123456789");
	/* "123", "123;cluster", each followed by a newline or not. */
	if (!n || n >= idlen || (parsable[n] && !strchr(";\n\r", parsable[n])))
		return -1;
	memcpy(id, parsable, n);
	id[n] = '\0';
	return 0;
}

void slurm_status_init(struct slurm_status *st, unsigned shards)
{
	memset(st, 0, sizeof(*st));
	st->shards = shards;
	st->task = xcalloc(shards ? shards : 1, sizeof(*st->task));
}

void slurm_status_release(struct slurm_status *st)
{
	free(st->task);
	st->task = NULL;
}

static void copy_field(char *to, size_t len, const char *from, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(to, from, n);
	to[n] = '\0';
}

void slurm_status_parse(struct slurm_status *st, const char *squeue_out, const char *array, const char *merge)
{
	for (const char *line = squeue_out; *line;) {
		size_t len = strcspn(line, "\n");
		/* %F|%K|%T|%r */
		const char *f[4];
		size_t flen[4];
		const char *p = line, *end = line + len;
		int n = 0;
		while (n < 4) {
			const char *bar = memchr(p, '|', (size_t)(end - p));
			f[n] = p;
			flen[n] = (size_t)((bar ? bar : end) - p);
			n++;
			if (!bar)
				break;
			p = bar + 1;
		}
		if (n >= 3) {
			if (flen[0] == strlen(array) && !memcmp(f[0], array, flen[0])) {
				char *e;
				unsigned long k = strtoul(f[1], &e, 10);
				if (e == f[1] + flen[1] && flen[1] && k >= 1 && k <= st->shards)
					copy_field(st->task[k - 1], SLURM_STATE_LEN, f[2], flen[2]);
			} else if (flen[0] == strlen(merge) && !memcmp(f[0], merge, flen[0])) {
				copy_field(st->merge, sizeof(st->merge), f[2], flen[2]);
				if (n == 4)
					copy_field(st->merge_reason, sizeof(st->merge_reason), f[3], flen[3]);
			}
		}
		line += len + (line[len] == '\n');
	}
}

int slurm_query(struct slurm_status *st, const char *array, const char *merge, char *err, size_t errlen)
{
	char *jobs = xasprintf("%s,%s", array, merge);
	const char *argv[] = { "squeue", "-h", "-r", "--states=all", "-j", jobs, "-o", "%F|%K|%T|%r", NULL };
	struct command_result r = COMMAND_RESULT_INIT;
	int rc = -1;
	if (command_run(argv, &r, err, errlen) < 0)
		goto done;
	if (r.status) {
		size_t n = strcspn(r.err, "\n");
		fail(err, errlen, "squeue exited %d: %.*s", r.status, (int)n, r.err);
		goto done;
	}
	slurm_status_parse(st, r.out, array, merge);
	rc = 0;
done:
	command_result_release(&r);
	free(jobs);
	return rc;
}

bool slurm_state_ended(const char *state)
{
	static const char *const ended[] = { "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
					     "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "REVOKED",
					     "SPECIAL_EXIT" };
	for (size_t i = 0; i < ARRAY_SIZE(ended); i++)
		if (!strcmp(state, ended[i]))
			return true;
	return false;
}
