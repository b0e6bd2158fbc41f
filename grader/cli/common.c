#include "cli/cli.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "rubric/rubric.h"
#include "grade_config.h"

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("grade: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'grade --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static bool dir_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The course rubrics shipped with grade: next to an installed binary
 * (bindir/../share/grade/rubrics), else in the source tree it was built
 * from.  Returns a new string or NULL. */
char *cli_default_rubrics(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			char *installed = xasprintf("%s/../%s/rubrics", exe, GRADE_DATADIR_REL);
			if (dir_exists(installed))
				return installed;
			free(installed);
		}
	}
	char *source = xasprintf("%s/rubrics", GRADE_SOURCE_ROOT);
	if (dir_exists(source))
		return source;
	free(source);
	return NULL;
}

bool cli_use_color(const char *when, FILE *out)
{
	if (!strcmp(when, "always"))
		return true;
	if (!strcmp(when, "never"))
		return false;
	const char *no = getenv("NO_COLOR");
	return !(no && *no) && isatty(fileno(out));
}


int cli_parse_time_budget(const char *arg, double *seconds)
{
	if (!strcmp(arg, "none")) {
		*seconds = 0;
		return 0;
	}
	if (parse_duration(arg, seconds) < 0 || *seconds < 0 || *seconds > 86400)
		return cli_usage_error("--time-budget takes a duration (12s, 1500ms) up to a day, or none, not '%s'", arg);
	return 0;
}
