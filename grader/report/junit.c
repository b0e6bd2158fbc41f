/*
 * junit.c - the JUnit XML report (`--report junit=FILE`), for CI test
 * widgets (GitLab merge requests, Jenkins, test-reporter actions), written
 * with libxml2's xmlwriter, which escapes markup; report_clean() first
 * removes what XML 1.0 cannot hold at all.
 *
 * One <testsuite> per exercise, one <testcase classname=EXERCISE
 * name=CHECK> per check; docs/reports.md maps statuses to elements.
 */
#include "report/report.h"

#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct tally {
	size_t tests, failures, errors, skipped;
	double seconds;
};

/* The <failure> type of a status that is the student's (or NULL). */
static const char *failure_type(enum check_status s)
{
	return s == STATUS_PASS || s >= STATUS_SKIPPED ? NULL : check_status_name(s);
}

static void count(struct tally *t, const struct check_result *cr)
{
	t->tests++;
	t->seconds += cr->seconds;
	if (cr->status == STATUS_SKIPPED)
		t->skipped++;
	else if (cr->harness_error)
		t->errors++;
	else if (failure_type(cr->status))
		t->failures++;
}

/* xmlwriter returns -1 on failure, else a byte count. */
#define W(call) do { if ((call) < 0) goto done; } while (0)

static int attr(xmlTextWriterPtr w, const char *name, const char *value)
{
	char *clean = report_clean(value, REPORT_MESSAGE_MAX);
	int rc = xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST clean);
	free(clean);
	return rc;
}

static int attr_number(xmlTextWriterPtr w, const char *name, double v)
{
	char s[32];
	report_points(s, sizeof(s), v);
	return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST s);
}

static int attr_count(xmlTextWriterPtr w, const char *name, size_t n)
{
	return xmlTextWriterWriteFormatAttribute(w, BAD_CAST name, "%zu", n);
}

static int tally_attrs(xmlTextWriterPtr w, const struct tally *t)
{
	if (attr_count(w, "tests", t->tests) < 0 || attr_count(w, "failures", t->failures) < 0 ||
	    attr_count(w, "errors", t->errors) < 0 || attr_count(w, "skipped", t->skipped) < 0)
		return -1;
	return xmlTextWriterWriteFormatAttribute(w, BAD_CAST "time", "%.4f", t->seconds);
}

static int property(xmlTextWriterPtr w, const char *name, double v)
{
	if (xmlTextWriterStartElement(w, BAD_CAST "property") < 0 || attr(w, "name", name) < 0 ||
	    attr_number(w, "value", v) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

static int property_text(xmlTextWriterPtr w, const char *name, const char *value)
{
	if (xmlTextWriterStartElement(w, BAD_CAST "property") < 0 || attr(w, "name", name) < 0 ||
	    attr(w, "value", value) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

/* The source as properties "source.FIELD", the JSON report's fields
 * (report_source_json) one by one; each note is a "source.note". */
static int source_properties(xmlTextWriterPtr w, const json_t *source)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)source, key, v) {
		char name[64], num[32];
		const char *value = NULL;
		snprintf(name, sizeof(name), "source.%s", key);
		if (json_is_array(v)) {
			size_t i;
			json_t *note;
			snprintf(name, sizeof(name), "source.note");
			json_array_foreach(v, i, note)
				if (property_text(w, name, json_string_value(note)) < 0)
					return -1;
			continue;
		}
		if (json_is_string(v)) {
			value = json_string_value(v);
		} else if (json_is_boolean(v)) {
			value = json_is_true(v) ? "true" : "false";
		} else {
			report_points(num, sizeof(num), json_number_value(v));
			value = num;
		}
		if (property_text(w, name, value) < 0)
			return -1;
	}
	return 0;
}

/* The message attribute: the first line of what happened. */
static int message_attr(xmlTextWriterPtr w, const struct check_result *cr, const struct report_options *opt)
{
	const char *m = report_hides(cr, opt) ? "hidden check" : cr->message ? cr->message : "";
	char *first = report_clean_n(m, strcspn(m, "\n"), 1024);
	int rc = xmlTextWriterWriteAttribute(w, BAD_CAST "message", BAD_CAST first);
	free(first);
	return rc;
}

static int testcase(xmlTextWriterPtr w, const struct grade_result *g, const struct exercise_result *e,
		    const struct check_result *cr, const struct report_options *opt)
{
	int rc = -1;
	char *path = report_hides(cr, opt) ? NULL : report_student_path(g, cr);
	char *text = NULL;
	bool hide = report_hides(cr, opt);
	W(xmlTextWriterStartElement(w, BAD_CAST "testcase"));
	W(attr(w, "classname", e->exercise->id));
	W(attr(w, "name", cr->check->id));
	W(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "time", "%.4f", cr->seconds));
	if (path) {
		W(attr(w, "file", path));
		if (cr->line > 0)
			W(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "line", "%d", cr->line));
	}
	const char *element = cr->status == STATUS_SKIPPED ? "skipped"
		: cr->harness_error ? "error"
		: failure_type(cr->status) ? "failure" : NULL;
	if (element) {
		W(xmlTextWriterStartElement(w, BAD_CAST element));
		W(message_attr(w, cr, opt));
		if (cr->status != STATUS_SKIPPED) {
			W(attr(w, "type", cr->harness_error ? "harness" : failure_type(cr->status)));
			text = report_check_text(cr, opt);
			W(xmlTextWriterWriteString(w, BAD_CAST text));
		}
		W(xmlTextWriterEndElement(w));
	}
	if (!hide && cr->output && *cr->output) {
		char *out = report_clean(cr->output, REPORT_OUTPUT_MAX);
		int wr = xmlTextWriterWriteElement(w, BAD_CAST "system-out", BAD_CAST out);
		free(out);
		W(wr);
	}
	W(xmlTextWriterEndElement(w));
	rc = 0;
done:
	free(path);
	free(text);
	return rc;
}

static int write_junit(FILE *out, const struct grade_result *g, const struct report_options *opt)
{
	int rc = -1;
	json_t *source = g->source ? report_source_json(g) : NULL;
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
	if (!w)
		goto done;
	struct tally all = { 0 };
	for (size_t i = 0; i < g->n_exercises; i++)
		for (size_t j = 0; j < g->exercises[i].n_checks; j++)
			count(&all, &g->exercises[i].checks[j]);
	W(xmlTextWriterSetIndent(w, 1));
	W(xmlTextWriterSetIndentString(w, BAD_CAST "  "));
	W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
	W(xmlTextWriterStartElement(w, BAD_CAST "testsuites"));
	W(attr(w, "name", g->submission ? g->submission : "grade"));
	W(tally_attrs(w, &all));
	for (size_t i = 0; i < g->n_exercises; i++) {
		const struct exercise_result *e = &g->exercises[i];
		struct tally t = { 0 };
		for (size_t j = 0; j < e->n_checks; j++)
			count(&t, &e->checks[j]);
		W(xmlTextWriterStartElement(w, BAD_CAST "testsuite"));
		W(attr(w, "name", e->exercise->id));
		W(tally_attrs(w, &t));
		W(xmlTextWriterStartElement(w, BAD_CAST "properties"));
		/* score includes bonus points; max_score never does. */
		W(property(w, "score", e->score));
		W(property(w, "max_score", e->max_score));
		W(property(w, "bonus_score", e->bonus_score));
		W(property(w, "bonus_max", e->bonus_max));
		if (source)
			W(source_properties(w, source));
		W(xmlTextWriterEndElement(w));
		for (size_t j = 0; j < e->n_checks; j++)
			W(testcase(w, g, e, &e->checks[j], opt));
		if (e->error) {
			char *err = report_clean(e->error, REPORT_MESSAGE_MAX);
			int wr = xmlTextWriterWriteElement(w, BAD_CAST "system-err", BAD_CAST err);
			free(err);
			W(wr);
		}
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);
	w = NULL;
	rc = fwrite(xmlBufferContent(xb), 1, (size_t)xmlBufferLength(xb), out) == (size_t)xmlBufferLength(xb) ? 0 : -1;
done:
	json_decref(source);
	if (w)
		xmlFreeTextWriter(w);
	if (xb)
		xmlBufferFree(xb);
	return rc;
}

const struct report_format report_format_junit = {
	.name = "junit",
	.one_submission = true,
	.write = write_junit,
};
