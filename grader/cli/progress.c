#include "cli/progress.h"

#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"

void progress_init(struct progress *p, FILE *out, bool quiet, size_t total, size_t reused, const char *const *names)
{
	*p = (struct progress){
		.out = out, .quiet = quiet || total == 0, .live = isatty(fileno(out)), .total = total, .reused = reused,
		.t0 = now_seconds(), .names = names,
	};
	p->last = p->t0;
	p->started = xcalloc(total ? total : 1, sizeof(*p->started));
}

void progress_started(struct progress *p, size_t index)
{
	if (index < p->total)
		p->started[index] = now_seconds();
}

/* "1:05", "12s" */
static void duration(char *buf, size_t len, double s)
{
	if (s < 60)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%d:%02d", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, len, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
}

static void print_line(struct progress *p, double now)
{
	double elapsed = now - p->t0, rate = elapsed > 0 ? (double)p->done / elapsed : 0;
	char eta[32] = "?", slow[160] = "";
	if (rate > 0)
		duration(eta, sizeof(eta), (double)(p->total - p->done) / rate);
	/* The submission running longest now. */
	size_t slowest = p->total;
	for (size_t i = 0; i < p->total; i++)
		if (p->started[i] > 0 && (slowest == p->total || p->started[i] < p->started[slowest]))
			slowest = i;
	if (slowest < p->total && now - p->started[slowest] >= 1)
		snprintf(slow, sizeof(slow), " · slowest now %.60s (%.0fs)", p->names[slowest], now - p->started[slowest]);
	fprintf(p->out, "%sgrade: %zu/%zu graded", p->live ? "\r\033[K" : "", p->done, p->total);
	if (p->reused)
		fprintf(p->out, " (+%zu reused)", p->reused);
	fprintf(p->out, " · %.1f/s · ETA %s · %zu failed%s%s", rate, eta, p->failed, slow, p->live ? "" : "\n");
	fflush(p->out);
	p->drawn = p->live;
}

void progress_finished(struct progress *p, size_t index, bool failed)
{
	if (index < p->total)
		p->started[index] = 0;
	p->done++;
	p->failed += failed;
	progress_tick(p);
}

void progress_tick(struct progress *p)
{
	if (p->quiet)
		return;
	double now = now_seconds();
	if (p->live) {
		if (now - p->last >= 0.2 || p->done == p->total) {
			p->last = now;
			print_line(p, now);
		}
		return;
	}
	size_t tenth = p->total ? p->done * 10 / p->total : 10;
	if (tenth > p->last_tenth || now - p->last >= 30) {
		p->last_tenth = tenth;
		p->last = now;
		print_line(p, now);
	}
}

void progress_clear(struct progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", p->out);
		p->drawn = false;
	}
}

void progress_end(struct progress *p)
{
	progress_clear(p);
	free(p->started);
	p->started = NULL;
}
