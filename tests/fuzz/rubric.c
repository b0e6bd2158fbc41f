/*
 * rubric.c - fuzz target: the rubric loader (rubric/), from the YAML bytes
 * of one rubric file through libyaml, the values, the units and every
 * kind's keys to a struct rubric or diagnostics.
 *
 * The loader reads files, so each input is written to the same file in a
 * directory made once per process (removed at exit).  A rubric that loads
 * must be releasable; one that does not must say why.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "rubric/rubric.h"

static char dir[64], path[96];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s", "/tmp/grade-fuzz-rubric.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/rubric.yaml", dir);
		atexit(cleanup);
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	struct rubric r = RUBRIC_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	int rc = rubric_load(&r, path, &diags);
	FUZZ_ASSERT(rc == 0 || diags.errors > 0);
	rubric_release(&r);
	diag_list_release(&diags);
	return 0;
}
