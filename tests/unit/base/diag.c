#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"

TestSuite(diag, .timeout = 10);

static const char text[] = "exercise: x\nchecks:\n  - id: a\n    wieght: 3\n";

Test(diag, positions_are_one_based_and_line_is_quoted)
{
	struct diag_list list = DIAG_LIST_INIT;
	struct diag_source src = { "r.yaml", text, sizeof(text) - 1 };
	cr_assert_eq(diag_at(&list, &src, 3, 4, "unknown key '%s'", "wieght"), -1);
	cr_assert_eq(list.count, 1);
	cr_assert_eq(list.errors, 1);
	cr_assert_eq(list.items[0].line, 4);
	cr_assert_eq(list.items[0].col, 5);
	cr_assert_str_eq(list.items[0].quote, "    wieght: 3");
	char *line = diag_format_line(&list.items[0]);
	cr_assert_str_eq(line, "r.yaml:4:5: unknown key 'wieght'");
	free(line);
	diag_list_release(&list);
}

Test(diag, file_level_errors_have_no_position)
{
	struct diag_list list = DIAG_LIST_INIT;
	diag_file(&list, "x.yaml", "not valid UTF-8");
	char *line = diag_format_line(&list.items[0]);
	cr_assert_str_eq(line, "x.yaml: not valid UTF-8");
	free(line);
	diag_list_release(&list);
}

Test(diag, warnings_do_not_count_as_errors)
{
	struct diag_list list = DIAG_LIST_INIT;
	struct diag_source src = { "r.yaml", text, sizeof(text) - 1 };
	diag_warn_at(&list, &src, 0, 0, "something odd");
	cr_assert_eq(list.count, 1);
	cr_assert_eq(list.errors, 0);
	diag_list_release(&list);
}

Test(diag, print_shows_caret_under_column, .init = cr_redirect_stdout)
{
	struct diag_list list = DIAG_LIST_INIT;
	struct diag_source src = { "r.yaml", text, sizeof(text) - 1 };
	diag_at(&list, &src, 3, 4, "unknown key 'wieght'");
	diag_print(&list, stdout, false);
	fflush(stdout);
	cr_assert_stdout_eq_str("r.yaml:4:5: error: unknown key 'wieght'\n"
				"    4 |     wieght: 3\n"
				"      |     ^\n");
	diag_list_release(&list);
}
