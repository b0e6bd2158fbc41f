#include "cli/doctor.h"

#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "sandbox/audit.h"
#include "sandbox/sandbox.h"
#include "grade_config.h"
#include "py/pyhost.h"
#include "base/util.h"

/* "in force (ABI 7)", "unavailable: unshare(CLONE_NEWUSER): Operation not permitted": one layer's state. */
static void print_layer(const struct sandbox_layers *l, enum sandbox_layer k, FILE *out)
{
	char reason[256];
	sandbox_layer_reason(l, k, reason, sizeof(reason));
	if (l->on[k])
		fprintf(out, "  %-14s in force%s%s%s\n", sandbox_layer_name(k), *reason ? " (" : "", reason, *reason ? ")" : "");
	else
		fprintf(out, "  %-14s unavailable: %s\n", sandbox_layer_name(k), reason);
}

/*
 * Exercises the audit hook here, the way a check child uses it: installed before Py_Initialize(), prepared,
 * armed with a scratch directory, then asked to import ctypes.  Writes why it does not work into why.  Returns 0
 * when the import was refused and recorded.
 */
static int audit_self_test(char *why, size_t len)
{
	char scratch[] = "/tmp/grade-doctor-XXXXXX";
	char **paths = NULL;
	PyObject *mod = NULL;	/* new */
	int rc = -1;
	if (pyhost_start(why, len) < 0)
		return -1;
	PyGILState_STATE gil = PyGILState_Ensure();
	if (!mkdtemp(scratch)) {
		snprintf(why, len, "cannot create a scratch directory: %s", strerror(errno));
		goto done;
	}
	paths = audit_python_paths();
	struct audit_policy p = { .scratch_dir = scratch, .read_paths = (const char *const *)paths, .result_fd = -1 };
	if (!paths || audit_prepare() < 0 || audit_arm(&p) < 0) {
		snprintf(why, len, "cannot arm the hook");
		goto done;
	}
	mod = PyImport_ImportModule("ctypes");
	const struct audit_violation *v = NULL;
	size_t n = audit_violations(&v, NULL);
	audit_disarm();
	if (mod)
		snprintf(why, len, "import of ctypes was not refused");
	else if (n == 0 || strcmp(v[0].event, "import"))
		snprintf(why, len, "import of ctypes was refused but not recorded");
	else
		rc = 0;
done:
	PyErr_Clear();
	Py_XDECREF(mod);
	audit_free_paths(paths);
	PyGILState_Release(gil);
	rmdir(scratch);
	return rc;
}

int doctor_run(FILE *out)
{
	struct sandbox_layers l;
	char missing[512], why[256] = "";
	const char *v = Py_GetVersion();
	fprintf(out, "grade %s\n", GRADE_VERSION);
	fprintf(out, "python %.*s\n", (int)strcspn(v, "\n"), v);

	sandbox_probe(&l);
	fputs("isolation layers of a check:\n", out);
	for (int k = 0; k < SANDBOX_NLAYERS; k++)
		print_layer(&l, (enum sandbox_layer)k, out);
	size_t n_missing = sandbox_missing(&l, missing, sizeof(missing));

	fflush(out);
	int audit = audit_self_test(why, sizeof(why));
	fprintf(out, "audit hook:\n  %-14s %s%s%s\n", "pep578", audit == 0 ? "in force" : "unavailable",
		audit == 0 ? " (import of ctypes refused and recorded in a self-test)" : ": ", audit == 0 ? "" : why);

	if (n_missing == 0 && audit == 0) {
		fprintf(out, "verdict: all %d isolation layers and the audit hook are in force\n", SANDBOX_NLAYERS);
		return 0;
	}
	fprintf(out, "verdict: degraded: %s%s%s unavailable; see docs/security.md for what each layer defends\n",
		missing, n_missing && audit ? ", " : "", audit ? "audit hook" : "");
	return 1;
}

int cmd_doctor(int argc, char **argv)
{
	if (argc > 1)
		return cli_usage_error("doctor takes no arguments, not '%s'", argv[1]);
	return doctor_run(stdout);
}
