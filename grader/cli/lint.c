#include "cli/cli.h"

#include <stdio.h>

#include "base/diag.h"
#include "rubric/rubric.h"

int cmd_lint(int argc, char **argv)
{
	argc--, argv++;   /* past "lint" */
	if (argc < 1)
		return cli_usage_error("%s", "lint needs at least one rubric file");
	int status = EXIT_GRADED;
	size_t exercises = 0, checks = 0;
	for (int i = 0; i < argc; i++) {
		struct diag_list diags = DIAG_LIST_INIT;
		struct rubric r = RUBRIC_INIT;
		if (rubric_load(&r, argv[i], &diags) < 0 || diags.errors)
			status = EXIT_RUBRIC;
		diag_print(&diags, stderr, cli_use_color("auto", stderr));
		for (size_t e = 0; e < r.n_exercises; e++)
			checks += r.exercises[e].n_checks;
		exercises += r.n_exercises;
		rubric_release(&r);
		diag_list_release(&diags);
	}
	if (status == EXIT_GRADED)
		printf("ok: %zu exercise%s, %zu check%s\n", exercises, exercises == 1 ? "" : "s", checks,
		       checks == 1 ? "" : "s");
	return status;
}

