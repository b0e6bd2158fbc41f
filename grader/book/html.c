/*
 * html.c - `grade export html FILE`: one self-contained page about the
 * class (export.h).  Everything is in the file: inline CSS, a small
 * inline script (sorting and filtering the table), and charts as SVG that
 * this file draws.  The page makes no request of its own (its Content
 * Security Policy forbids any), so it opens the same offline, from a CI
 * artifact or a mail attachment.
 *
 * Every string that comes from the gradebook (ids, names, emails, the
 * rubric's ids) is cleaned (report_clean) and HTML-escaped; hrefs are
 * percent-encoded.  Charts: a histogram of scores (percent of the
 * maximum), the pass rate of each check with the most failed first, each
 * submission's grading time sorted; then the score changes since each
 * student's previous result (history.h) and the table of students (with
 * the commit, days late, penalty and score after it when results are git
 * commits, docs/deadlines.md).
 */
#include "book/export.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/util.h"
#include "book/history.h"
#include "report/report.h"

/* The drawing area of every chart, in SVG user units. */
#define CHART_W 720.0
#define HIST_BINS 10

struct check_rate {
	char *name;        /* exercise/check */
	double rate;       /* passed / graded, 0..1 */
	int passed, total;
};

static void put_escaped(struct buf *out, const char *s)
{
	char *clean = report_clean(s ? s : "", 1024);
	for (const char *p = clean; *p; p++) {
		switch (*p) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default: buf_append(out, p, 1);
		}
	}
	free(clean);
}

/* A path component of an href: every byte but unreserved ones %XX. */
static void put_url_component(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf_append(out, (const char *)p, 1);
		else
			buf_printf(out, "%%%02X", *p);
	}
}

static void put_points(struct buf *out, bool has, double v)
{
	char p[32] = "";
	if (has)
		report_points(p, sizeof(p), v);
	buf_puts(out, p);
}

/* One bar of a chart, with its tooltip. */
static void svg_bar(struct buf *out, double x, double y, double w, double h, const char *cls, const char *title)
{
	buf_printf(out, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>", cls, x, y, w,
		   h > 0 ? h : 0);
	put_escaped(out, title);
	buf_puts(out, "</title></rect>\n");
}

static void svg_text(struct buf *out, double x, double y, const char *anchor, const char *text)
{
	buf_printf(out, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\">", x, y, anchor);
	put_escaped(out, text);
	buf_puts(out, "</text>\n");
}

static void svg_open(struct buf *out, double height, const char *label)
{
	buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"",
		   CHART_W, height);
	put_escaped(out, label);
	buf_puts(out, "\">\n");
}

static bool graded(const struct book_row *r)
{
	return r->has_score && r->max_score > 0;
}

/* How many students scored in each tenth of the maximum (100% in the last). */
static void histogram(const struct book_table *t, struct buf *out)
{
	int bins[HIST_BINS] = { 0 }, most = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!graded(&t->rows[i]))
			continue;
		double pct = 100 * (t->rows[i].score - t->rows[i].bonus_score) / t->rows[i].max_score;
		int b = (int)floor(pct / (100.0 / HIST_BINS));
		b = b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
		most = ++bins[b] > most ? bins[b] : most;
	}
	const double top = 20, plot = 160, bw = CHART_W / HIST_BINS;
	svg_open(out, top + plot + 40, "histogram of scores");
	for (int b = 0; b < HIST_BINS; b++) {
		double h = most ? plot * bins[b] / most : 0;
		char title[96], label[32];
		snprintf(title, sizeof(title), "%d–%d%%: %d student%s", b * 10, b * 10 + 10, bins[b], bins[b] == 1 ? "" : "s");
		svg_bar(out, b * bw + 4, top + plot - h, bw - 8, h, "bar bar-score", title);
		snprintf(label, sizeof(label), "%d", bins[b]);
		if (bins[b])
			svg_text(out, b * bw + bw / 2, top + plot - h - 4, "middle", label);
		snprintf(label, sizeof(label), "%d%%", b * 10);
		svg_text(out, b * bw + 4, top + plot + 16, "start", label);
	}
	svg_text(out, CHART_W - 4, top + plot + 34, "end", "percent of the maximum (bonus left out)");
	buf_puts(out, "</svg>\n");
}

/* Each check of the current results: how many of the students graded on
 * it passed, the most failed first. */
static int load_rates(struct book *b, struct check_rate **out, size_t *n, char *err, size_t errlen)
{
	sqlite3 *db = book_db(b);
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT c.exercise || '/' || c.check_id, sum(c.status = 'pass'), count(*)"
			       " FROM checks c JOIN latest l ON l.id = c.submission_id"
			       " JOIN exercises e ON e.submission_id = c.submission_id AND e.exercise = c.exercise"
			       " GROUP BY c.exercise, c.check_id"
			       " ORDER BY 1.0 * sum(c.status = 'pass') / count(*), min(e.position), min(c.position), 1",
			       -1, &st, NULL) != SQLITE_OK)
		return fail(err, errlen, "gradebook: %s", sqlite3_errmsg(db));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow((void **)out, &alloc, *n + 1, sizeof(**out));
		struct check_rate *c = &(*out)[(*n)++];
		c->name = xstrdup((const char *)sqlite3_column_text(st, 0));
		c->passed = sqlite3_column_int(st, 1);
		c->total = sqlite3_column_int(st, 2);
		c->rate = c->total ? (double)c->passed / c->total : 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(err, errlen, "gradebook: %s", sqlite3_errmsg(db));
}

static void pass_rates(const struct check_rate *rates, size_t n, struct buf *out)
{
	const double row = 20, label_w = 300, bar_w = CHART_W - label_w - 60;
	svg_open(out, n * row + 24, "pass rate per check, the most failed first");
	for (size_t i = 0; i < n; i++) {
		const struct check_rate *c = &rates[i];
		double y = 4 + i * row;
		char title[512], pct[32];
		snprintf(title, sizeof(title), "%s: %d of %d passed", c->name, c->passed, c->total);
		svg_text(out, label_w - 8, y + 14, "end", c->name);
		svg_bar(out, label_w, y + 2, bar_w, row - 4, "track", title);
		svg_bar(out, label_w, y + 2, bar_w * c->rate, row - 4,
			c->rate < 0.5 ? "bar bar-check low" : "bar bar-check", title);
		snprintf(pct, sizeof(pct), "%.0f%%", 100 * c->rate);
		svg_text(out, label_w + bar_w + 6, y + 14, "start", pct);
	}
	if (!n)
		svg_text(out, CHART_W / 2, 16, "middle", "no check graded yet");
	buf_puts(out, "</svg>\n");
}

static int by_seconds_desc(const void *a, const void *b)
{
	const struct book_row *x = *(const struct book_row *const *)a, *y = *(const struct book_row *const *)b;
	return x->seconds < y->seconds ? 1 : x->seconds > y->seconds ? -1 : strcmp(x->student, y->student);
}

/* One bar per graded submission, the slowest first. */
static void grading_times(const struct book_table *t, struct buf *out)
{
	const struct book_row **rows = xcalloc(t->n ? t->n : 1, sizeof(*rows));
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].has_score)
			rows[n++] = &t->rows[i];
	qsort(rows, n, sizeof(*rows), by_seconds_desc);
	const double top = 16, plot = 140, slowest = n ? rows[0]->seconds : 0;
	const double bw = n ? fmin(CHART_W / n, 24) : CHART_W;
	svg_open(out, top + plot + 24, "grading time per submission, the slowest first");
	for (size_t i = 0; i < n; i++) {
		double h = slowest > 0 ? plot * rows[i]->seconds / slowest : 0;
		char *title = xasprintf("%s: %.2f s", rows[i]->student, rows[i]->seconds);
		svg_bar(out, i * bw + (bw > 4 ? 1 : 0), top + plot - h, bw > 4 ? bw - 2 : bw, h, "bar bar-time", title);
		free(title);
	}
	char label[64];
	snprintf(label, sizeof(label), "slowest %.2f s", slowest);
	svg_text(out, 4, 12, "start", n ? label : "no submission graded yet");
	svg_text(out, CHART_W - 4, top + plot + 18, "end", "submissions, the slowest first");
	buf_puts(out, "</svg>\n");
	free(rows);
}

static const struct book_change *change_of(const struct book_changes *c, const char *student)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->items[i].student, student))
			return &c->items[i];
	return NULL;
}

static void put_change_result(struct buf *out, const char *status, bool has, double score)
{
	if (has && !strcmp(status, "graded"))
		put_points(out, true, score);
	else
		put_escaped(out, status);
}

/* The students whose score or status changed since their previous result. */
static void changes_table(const struct book_changes *c, struct buf *out)
{
	if (!c->n) {
		buf_puts(out, "<p>No score changed since each student's previous result.</p>\n");
		return;
	}
	buf_puts(out, "<table class=\"changes\"><thead><tr><th>student</th><th>before</th><th>now</th>"
		      "<th>checks whose status changed</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < c->n; i++) {
		const struct book_change *ch = &c->items[i];
		bool up = ch->after_has_score && ch->before_has_score && ch->after_score > ch->before_score;
		buf_printf(out, "<tr class=\"change %s\"><td>", up ? "up" : "down");
		put_escaped(out, ch->student);
		buf_puts(out, "</td><td>");
		put_change_result(out, ch->before_status, ch->before_has_score, ch->before_score);
		buf_puts(out, "</td><td>");
		put_change_result(out, ch->after_status, ch->after_has_score, ch->after_score);
		buf_puts(out, "</td><td>");
		for (size_t k = 0; k < ch->n_checks; k++) {
			const struct book_check_change *cc = &ch->checks[k];
			char *line = xasprintf("%s/%s %s → %s", cc->exercise, cc->check, cc->before ? cc->before : "(none)",
					       cc->after ? cc->after : "(none)");
			buf_puts(out, k ? "<br>" : "");
			put_escaped(out, line);
			free(line);
		}
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</tbody></table>\n");
}

/* A numeric cell: sorted by data-v, empty when there is no value. */
static void num_cell(struct buf *out, bool has, double v, const char *text)
{
	if (has)
		buf_printf(out, "<td class=\"num\" data-v=\"%.6g\">%s</td>", v, text);
	else
		buf_puts(out, "<td class=\"num\" data-v=\"\"></td>");
}

/* Whether any student's result is a git commit (docs/deadlines.md): the
 * table then shows the commit, the days late, the penalty and the score
 * after it; a class of plain folders keeps the table without them. */
static bool has_git(const struct book_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].commit_id)
			return true;
	return false;
}

/* The commit (its first 10 digits; the whole id, its time and the evidence
 * time in the tooltip), the days late, the penalty and the total after it. */
static void git_cells(const struct book_row *r, struct buf *out)
{
	char p[32] = "", d[32] = "";
	buf_puts(out, "<td class=\"commit\"");
	if (r->commit_id) {
		char *title = xasprintf("%s, committed %s, evidence %s", r->commit_id,
					r->commit_time ? r->commit_time : "?", r->evidence_time ? r->evidence_time : "none");
		buf_puts(out, " title=\"");
		put_escaped(out, title);
		buf_puts(out, "\"><code>");
		char *shortid = xasprintf("%.10s", r->commit_id);
		put_escaped(out, shortid);
		buf_puts(out, "</code>");
		free(shortid);
		free(title);
	} else {
		buf_puts(out, ">");
	}
	buf_puts(out, "</td>");
	if (r->has_days_late)
		snprintf(d, sizeof(d), "%.2f", r->days_late);
	num_cell(out, r->has_days_late, r->days_late, d);
	report_points(p, sizeof(p), r->late_penalty);
	num_cell(out, r->has_late_penalty, r->late_penalty, p);
	double total = r->score - (r->has_late_penalty ? r->late_penalty : 0);
	report_points(p, sizeof(p), total);
	num_cell(out, r->has_score, total, p);
}

static void student_row(const struct book_table *t, const struct book_row *r, const struct book_change *ch,
			bool git, struct buf *out)
{
	char p[32] = "", d[40] = "";
	buf_printf(out, "<tr class=\"student %s\"><td>", r->status);
	put_escaped(out, r->student);
	buf_puts(out, "</td><td>");
	put_escaped(out, r->name);
	buf_puts(out, "</td><td>");
	put_escaped(out, r->status);
	buf_puts(out, "</td>");
	report_points(p, sizeof(p), r->score);
	num_cell(out, r->has_score, r->score, p);
	report_points(p, sizeof(p), r->max_score);
	num_cell(out, r->has_score, r->max_score, p);
	for (size_t e = 0; e < t->n_exercises; e++) {
		report_points(p, sizeof(p), r->exercise_score[e]);
		num_cell(out, r->exercise_has[e], r->exercise_score[e], p);
	}
	if (git)
		git_cells(r, out);
	snprintf(p, sizeof(p), "%.2f s", r->seconds);
	num_cell(out, r->has_score, r->seconds, p);
	bool delta = ch && ch->before_has_score && ch->after_has_score;
	if (delta) {
		report_points(p, sizeof(p), ch->after_score - ch->before_score);
		snprintf(d, sizeof(d), "%s%s", ch->after_score >= ch->before_score ? "+" : "", p);
	}
	num_cell(out, delta, delta ? ch->after_score - ch->before_score : 0, d);
	char *file = book_file_name(r->student);
	buf_puts(out, "<td><a href=\"feedback/");
	put_url_component(out, file);
	buf_puts(out, "/report.txt\">report</a></td></tr>\n");
	free(file);
}

static void students_table(const struct book_table *t, const struct book_changes *c, struct buf *out)
{
	buf_printf(out, "<p><label>Filter <input id=\"filter\" type=\"search\" placeholder=\"student, name, status...\">"
			"</label> <span id=\"shown\">%zu of %zu students</span></p>\n", t->n, t->n);
	buf_puts(out, "<table id=\"students\"><thead><tr><th>student</th><th>name</th><th>status</th>"
		      "<th data-type=\"number\">score</th><th data-type=\"number\">max</th>");
	for (size_t e = 0; e < t->n_exercises; e++) {
		buf_puts(out, "<th data-type=\"number\">");
		put_escaped(out, t->exercises[e]);
		buf_puts(out, "</th>");
	}
	bool git = has_git(t);
	if (git)
		buf_puts(out, "<th>commit</th><th data-type=\"number\">days late</th><th data-type=\"number\">penalty</th>"
			      "<th data-type=\"number\">after penalty</th>");
	buf_puts(out, "<th data-type=\"number\">time</th><th data-type=\"number\">change</th><th>feedback</th>"
		      "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < t->n; i++)
		student_row(t, &t->rows[i], change_of(c, t->rows[i].student), git, out);
	buf_puts(out, "</tbody></table>\n");
}

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	/* Nothing but what is in this file: no request can leave the page. */
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	"script-src 'unsafe-inline'\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>grade: class overview</title>\n<style>\n"
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;color:#222}\n"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}.meta{color:#555}\n"
	"svg{width:100%;max-width:720px;height:auto;display:block}\n"
	"svg text{font:11px system-ui,sans-serif;fill:#333}\n"
	".bar-score{fill:#4878a8}.bar-time{fill:#7a6aa8}.bar-check{fill:#3c9a5f}.bar-check.low{fill:#c8553d}"
	".track{fill:#eee}\n"
	"table{border-collapse:collapse;margin:.5em 0}th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}\n"
	"th{background:#f4f4f4;position:sticky;top:0}#students th{cursor:pointer}\n"
	"th[aria-sort=ascending]::after{content:\" \\25B2\"}th[aria-sort=descending]::after{content:\" \\25BC\"}\n"
	"td.num{text-align:right;font-variant-numeric:tabular-nums}tr.missing td,tr.error td{color:#a33}\n"
	"tr.change.up td:nth-child(3){color:#2a7d46}tr.change.down td:nth-child(3){color:#a33}\n"
	"</style>\n</head>\n<body>\n";

/* Sorting on a header's click (numbers by data-v, empty last), filtering
 * on every key. */
static const char page_script[] =
	"<script>\n"
	"(function () {\n"
	"  var table = document.getElementById('students'), body = table.tBodies[0];\n"
	"  var heads = table.tHead.rows[0].cells, shown = document.getElementById('shown');\n"
	"  function key(row, col, num) {\n"
	"    var cell = row.cells[col];\n"
	"    if (!num) return cell.textContent.toLowerCase();\n"
	"    return cell.dataset.v === '' ? -Infinity : parseFloat(cell.dataset.v);\n"
	"  }\n"
	"  Array.prototype.forEach.call(heads, function (th, col) {\n"
	"    th.addEventListener('click', function () {\n"
	"      var asc = th.getAttribute('aria-sort') !== 'ascending', num = th.dataset.type === 'number';\n"
	"      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });\n"
	"      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');\n"
	"      var rows = Array.prototype.slice.call(body.rows);\n"
	"      rows.sort(function (a, b) {\n"
	"        var x = key(a, col, num), y = key(b, col, num);\n"
	"        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);\n"
	"      });\n"
	"      rows.forEach(function (r) { body.appendChild(r); });\n"
	"    });\n"
	"  });\n"
	"  var filter = document.getElementById('filter');\n"
	"  filter.addEventListener('input', function () {\n"
	"    var q = filter.value.trim().toLowerCase(), n = 0;\n"
	"    Array.prototype.forEach.call(body.rows, function (r) {\n"
	"      r.hidden = q !== '' && r.textContent.toLowerCase().indexOf(q) < 0;\n"
	"      n += r.hidden ? 0 : 1;\n"
	"    });\n"
	"    shown.textContent = n + ' of ' + body.rows.length + ' students';\n"
	"  });\n"
	"})();\n"
	"</script>\n";

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The class in one line: counts, mean and median percent, the runs. */
static void summary(struct book *b, const struct book_table *t, struct buf *out)
{
	size_t counts[3] = { 0 }, n = 0;
	double *pct = xcalloc(t->n ? t->n : 1, sizeof(*pct)), sum = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct book_row *r = &t->rows[i];
		counts[!strcmp(r->status, "graded") ? 0 : !strcmp(r->status, "missing") ? 1 : 2]++;
		if (graded(r))
			sum += pct[n++] = 100 * (r->score - r->bonus_score) / r->max_score;
	}
	qsort(pct, n, sizeof(*pct), by_double);
	buf_printf(out, "<p class=\"meta\">%zu students: %zu graded, %zu missing, %zu errors", t->n, counts[0], counts[1],
		   counts[2]);
	if (n)
		buf_printf(out, " · mean %.0f%%, median %.0f%% of the maximum", sum / n,
			   n % 2 ? pct[n / 2] : (pct[n / 2 - 1] + pct[n / 2]) / 2);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(book_db(b), "SELECT count(*), max(started_at) FROM runs", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 1)) {
		buf_printf(out, " · %d run%s, the last started ", sqlite3_column_int(st, 0),
			   sqlite3_column_int(st, 0) == 1 ? "" : "s");
		put_escaped(out, (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	buf_puts(out, "</p>\n");
	free(pct);
}

int book_export_html(struct book *b, const struct book_table *t, struct buf *out, char *err, size_t errlen)
{
	struct check_rate *rates = NULL;
	size_t n_rates = 0;
	struct book_changes changes = { 0 };
	int rc = -1;
	if (load_rates(b, &rates, &n_rates, err, errlen) < 0 || book_load_changes(b, 0, &changes, err, errlen) < 0)
		goto done;
	buf_puts(out, page_head);
	buf_puts(out, "<h1>Class overview</h1>\n");
	summary(b, t, out);
	buf_puts(out, "<h2>Scores</h2>\n");
	histogram(t, out);
	buf_puts(out, "<h2>Pass rate per check</h2>\n<p class=\"meta\">The checks the class fails most come first.</p>\n");
	pass_rates(rates, n_rates, out);
	buf_puts(out, "<h2>Grading time per submission</h2>\n");
	grading_times(t, out);
	buf_puts(out, "<h2>Changes since the previous run</h2>\n");
	changes_table(&changes, out);
	buf_puts(out, "<h2>Students</h2>\n");
	students_table(t, &changes, out);
	buf_puts(out, "<p class=\"meta\">The feedback links open <code>feedback/STUDENT/report.txt</code> next to this "
		      "file: <code>grade export feedback feedback/</code> in the same directory writes them.</p>\n");
	buf_puts(out, page_script);
	buf_puts(out, "</body>\n</html>\n");
	rc = 0;
done:
	for (size_t i = 0; i < n_rates; i++)
		free(rates[i].name);
	free(rates);
	book_changes_release(&changes);
	return rc;
}
