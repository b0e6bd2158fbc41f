#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

extern const struct report_format report_format_text;
extern const struct report_format report_format_json;

static const struct report_format *const formats[] = {
	&report_format_text,
	&report_format_json,
};

const struct report_format *report_format_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

void report_format_names(char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(formats) && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? (i + 1 == ARRAY_SIZE(formats) ? " or " : ", ") : "",
				 formats[i]->name);
		used += w > 0 ? (size_t)w : 0;
	}
}

char *report_format_string(const struct report_format *f, const struct grade_result *g,
			   const struct report_options *opt)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&mem, &len);
	if (!m)
		return NULL;
	int rc = f->write(m, g, opt);
	if (fclose(m) != 0)
		rc = -1;
	if (rc < 0) {
		free(mem);
		return NULL;
	}
	return mem;
}

void report_points(char *buf, size_t len, double v)
{
	double r = round(v * 100) / 100;
	if (r == floor(r))
		snprintf(buf, len, "%.0f", r);
	else
		snprintf(buf, len, "%g", r);
}

json_t *report_number(double v)
{
	double r = round(v * 1000) / 1000;
	if (r == floor(r) && fabs(r) < 1e15)
		return json_integer((json_int_t)r);
	return json_real(r);
}

bool report_hides(const struct check_result *cr, const struct report_options *opt)
{
	return cr->check->hidden && !opt->instructor;
}
