/* grade merge: one gradebook from the shards of a class (book/merge.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "book/merge.h"
#include "cli/cli.h"

int cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	bool quiet = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': output = optarg; break;
		case 'q': quiet = true; break;
		case 'h': cli_print_help(stdout); return EXIT_GRADED;
		default: fputs("Try 'grade --help' for more information.\n", stderr); return EXIT_USAGE;
		}
	}
	if (!output)
		return cli_usage_error("%s", "merge needs -o FILE, the merged gradebook");
	if (optind >= argc)
		return cli_usage_error("%s", "merge takes the gradebooks to merge");
	char err[512] = "";
	struct book_merge_stats st;
	if (book_merge(output, (const char *const *)argv + optind, (size_t)(argc - optind), &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "grade: %s\n", err);
		return EXIT_INTERNAL;
	}
	if (!quiet)
		printf("%s: %zu students, %zu runs, %zu submissions (%zu found in more than one input)\n", output,
		       st.students, st.runs, st.submissions, st.duplicates);
	return EXIT_GRADED;
}
