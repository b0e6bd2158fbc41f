/*
 * units.c - durations, sizes and Python version conditions as rubrics
 * write them.
 */
#include "rubric/rubric.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"


/* A number >= 0 and its unit ("2.5 MiB"): *v and the unit in *unit.
 * Returns 0 or -1. */
static int number_and_unit(const char *s, double *v, const char **unit)
{
	char *end = NULL;
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || errno || !isfinite(*v) || *v < 0)
		return -1;
	while (*end == ' ')
		end++;
	*unit = end;
	return 0;
}

int parse_duration(const char *s, double *out)
{
	const char *end;
	double v;
	if (number_and_unit(s, &v, &end) < 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		*out = v;
	else if (!strcmp(end, "ms"))
		*out = v / 1000;
	else if (!strcmp(end, "min"))
		*out = v * 60;
	else
		return -1;
	return 0;
}

int parse_size(const char *s, size_t *out)
{
	const char *end;
	double v;
	if (number_and_unit(s, &v, &end) < 0)
		return -1;
	static const struct { const char *unit; double factor; } units[] = {
		{ "", 1 }, { "B", 1 }, { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
		{ "kB", 1e3 }, { "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcmp(end, units[i].unit)) {
			double bytes = v * units[i].factor;
			if (bytes > (double)(SIZE_MAX / 2))
				return -1;
			*out = (size_t)bytes;
			return 0;
		}
	}
	return -1;
}

int parse_version_cond(const char *text, struct version_cond *out)
{
	struct version_cond c = { 0 };
	const char *p = text;
	for (;;) {
		while (*p == ' ')
			p++;
		if (c.count == ARRAY_SIZE(c.terms))
			return -1;
		char op[3] = "==";
		if (!strncmp(p, ">=", 2) || !strncmp(p, "<=", 2) || !strncmp(p, "==", 2) || !strncmp(p, "!=", 2)) {
			memcpy(op, p, 2);
			p += 2;
		} else if (*p == '>' || *p == '<') {
			op[0] = *p;
			op[1] = '\0';
			p++;
		}
		while (*p == ' ')
			p++;
		int major = 0, minor = 0, used = 0;
		if (sscanf(p, "%d.%d%n", &major, &minor, &used) != 2 || major != 3 || minor < 0 || minor > 99)
			return -1;
		p += used;
		memcpy(c.terms[c.count].op, op, 3);
		c.terms[c.count].major = major;
		c.terms[c.count].minor = minor;
		c.count++;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p != ',')
			return -1;
		p++;
	}
	*out = c;
	return 0;
}
