#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kinds.h"
#include "observe.h"
#include "pyhost.h"
#include "proto.h"
#include "util.h"

/* The state of one check child.  Static: there is exactly one per process. */
static struct {
	const struct compiled_module *modules;
	size_t n_modules;
	const struct harness_io *io;
	json_t *observation;   /* what we send back */
} H;

static PyObject *find_compiled(const char *name, const struct compiled_module **out)
{
	for (size_t i = 0; i < H.n_modules; i++) {
		if (!strcmp(H.modules[i].name, name)) {
			*out = &H.modules[i];
			return H.modules[i].code;
		}
	}
	*out = NULL;
	return NULL;
}

/* Imports the student's module; records the outcome under "import".
 * Returns a new reference to the module, or NULL. */
static PyObject *import_student(const char *name)
{
	const struct compiled_module *cm = NULL;
	PyObject *code = find_compiled(name, &cm);
	json_t *imp = json_pack("{s:s}", "module", name);
	json_object_set_new(H.observation, "import", imp);
	if (!cm) {
		json_object_set_new(imp, "ok", json_false());
		json_object_set_new(imp, "missing", json_true());
		return NULL;
	}
	if (!code) {
		json_object_set_new(imp, "ok", json_false());
		json_object_set_new(imp, "exception", json_incref(cm->error));
		return NULL;
	}
	/* Already imported (by another student module)? */
	PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
	PyObject *mod = PyDict_GetItemString(modules, name); /* borrowed */
	if (mod && PyModule_Check(mod)) {
		json_object_set_new(imp, "ok", json_true());
		return Py_NewRef(mod);
	}
	struct py_exception exc;
	double t0 = now_seconds();
	mod = pyhost_exec_module(name, code, cm->file, &exc); /* new */
	json_object_set_new(imp, "seconds", json_real(now_seconds() - t0));
	if (!mod) {
		json_object_set_new(imp, "ok", json_false());
		json_object_set_new(imp, "exception", py_exception_to_json(&exc));
		return NULL;
	}
	json_object_set_new(imp, "ok", json_true());
	return mod;
}

/* ---- the frame ------------------------------------------------------------ */

_Noreturn static void finish(int code)
{
	pyhost_flush_stdio();
	char *text = json_dumps(H.observation, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text) {
		size_t len = strlen(text);
		size_t total = 2 * HARNESS_NONCE_LEN + 4 + len;
		unsigned char *frame = xmalloc(total);
		memcpy(frame, H.io->nonce, HARNESS_NONCE_LEN);
		frame[HARNESS_NONCE_LEN + 0] = (unsigned char)(len >> 24);
		frame[HARNESS_NONCE_LEN + 1] = (unsigned char)(len >> 16);
		frame[HARNESS_NONCE_LEN + 2] = (unsigned char)(len >> 8);
		frame[HARNESS_NONCE_LEN + 3] = (unsigned char)len;
		memcpy(frame + HARNESS_NONCE_LEN + 4, text, len);
		memcpy(frame + HARNESS_NONCE_LEN + 4 + len, H.io->nonce, HARNESS_NONCE_LEN);
		write_all(H.io->result_fd, frame, total);
	}
	/* _exit: no atexit handlers, no __del__ at shutdown, no flushing of
	 * streams the student may have replaced. */
	_exit(code);
}

static const char *module_of(const json_t *spec, char *out, size_t outlen)
{
	const char *m = json_string_value(json_object_get(spec, "module"));
	const char *f = json_string_value(json_object_get(spec, "function"));
	if (m)
		snprintf(out, outlen, "%s", m);
	else if (f)
		snprintf(out, outlen, "%.*s", (int)(strrchr(f, '.') ? strrchr(f, '.') - f : 0), f);
	else
		out[0] = '\0';
	return out;
}

_Noreturn void harness_run(const char *request, size_t len, const struct compiled_module *modules,
			   size_t n_modules, const struct harness_io *io)
{
	H.modules = modules;
	H.n_modules = n_modules;
	H.io = io;
	H.observation = json_object();

	json_t *req = json_loadb(request, len, 0, NULL);
	const char *kind = json_string_value(json_object_get(req, "kind"));
	const json_t *spec = json_object_get(req, "spec");
	if (!req || !kind || !spec) {
		json_object_set_new(H.observation, "harness_error", json_string("malformed check request"));
		finish(0);
	}
	if (pyhost_setup_stdio() < 0) {
		json_object_set_new(H.observation, "harness_error", json_string("cannot set up sys.stdout"));
		finish(0);
	}
	/* Student files import each other from the submission directory. */
	PyObject *path = PySys_GetObject("path"); /* borrowed */
	PyObject *dir = PyUnicode_FromString(io->submission_dir); /* new */
	if (path && dir && PyList_Check(path))
		PyList_Append(path, dir);
	Py_XDECREF(dir);
	PyErr_Clear();

	char modname[128];
	module_of(spec, modname, sizeof(modname));
	PyObject *module = import_student(modname); /* new */
	pyhost_flush_stdio();
	/* Output from here on belongs to the call, not to the import. */
	dup2(io->stdout_call_fd, 1);
	if (!module)
		finish(0);

	/* "import" needs nothing beyond the import itself. */
	if (strcmp(kind, "import")) {
		json_t *obs = json_object();
		json_object_set_new(H.observation, kind, obs);
		int k = kind_by_name(kind);
		if (k >= 0 && kind_def((enum check_kind)k)->observe)
			kind_def((enum check_kind)k)->observe(module, spec, obs);
		else if (k < 0)
			observe_harness_error(obs, "unknown check kind");
	}
	Py_DECREF(module);
	PyErr_Clear();
	finish(0);
}
