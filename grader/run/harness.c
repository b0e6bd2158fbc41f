#include "run/harness.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/audit.h"
#include "kinds/check.h"
#include "observe/observe.h"
#include "base/wire.h"
#include "py/pyhost.h"
#include "sandbox/sandbox.h"
#include "base/util.h"

/* The state of one check child.  Static: there is exactly one per process. */
static struct {
	const struct harness_io *io;
	json_t *observation;   /* what we send back for the current check */
	json_t *imports;       /* module name -> its import observation, kept for later checks */
	bool stdout_switched;  /* fd 1 now goes to the "call" pipe */
	struct compiled_module *owned;   /* the modules a switch brought (the current ones), or NULL */
	size_t n_owned;
	PyObject *forgotten;   /* earlier exercises' modules, out of sys.modules but alive (new), or NULL */
	struct stat call_pipe, import_pipe;   /* what fds 3 and 6 were when the child started */
	bool sandbox_told;     /* the first frame carried the layers applied */
} H;

/* The largest student file a switch may carry (the supervisor reads no more). */
#define SWITCH_SOURCE_MAX (1u << 20)
#define SWITCH_MODULES_MAX 64

/* What the audit hook refused so far in this check, as JSON (new). */
static json_t *violations_json(size_t *dropped)
{
	const struct audit_violation *v = NULL;
	size_t n = audit_violations(&v, dropped);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:i, s:b}", "event", v[i].event, "detail",
						      v[i].detail, "file", v[i].file, "line", v[i].line,
						      "forbidden", v[i].forbidden));
	return list;
}

/* Imports the student's module once per child; every check records the
 * outcome under "import" (a failed import is not retried: its students'
 * code already ran once in this process).  Returns a new reference to the
 * module, or NULL. */
static PyObject *import_student(const char *name)
{
	json_t *cached = json_object_get(H.imports, name); /* borrowed */
	if (cached) {
		json_object_set(H.observation, "import", cached);
		/* What the import was refused is part of every check's story. */
		json_t *refused = json_object_get(cached, "violations"); /* borrowed */
		if (refused)
			json_object_set_new(H.observation, "violations", json_deep_copy(refused));
		if (!json_is_true(json_object_get(cached, "ok")))
			return NULL;
		PyObject *mod = PyDict_GetItemString(PyImport_GetModuleDict(), name); /* borrowed */
		if (mod && PyModule_Check(mod))
			return Py_NewRef(mod);
		/* The student's code removed it from sys.modules: what it left is
		 * what later checks get, as in any program. */
		PyErr_Clear();
		json_t *gone = json_pack("{s:s, s:b, s:o}", "module", name, "ok", 0, "exception",
					 json_pack("{s:s, s:s}", "type", "ImportError", "message",
						   "the module removed itself from sys.modules"));
		json_object_set_new(H.observation, "import", gone);
		return NULL;
	}
	const struct compiled_module *cm = module_find(name);
	json_t *imp = json_pack("{s:s}", "module", name);
	json_object_set_new(H.imports, name, imp);
	json_object_set(H.observation, "import", imp);
	if (!cm) {
		json_object_set_new(imp, "ok", json_false());
		json_object_set_new(imp, "missing", json_true());
		return NULL;
	}
	if (!cm->code) {
		json_object_set_new(imp, "ok", json_false());
		json_object_set_new(imp, "exception", json_incref(cm->error));
		return NULL;
	}
	/* Already imported by another student module? */
	PyObject *mod = PyDict_GetItemString(PyImport_GetModuleDict(), name); /* borrowed */
	if (mod && PyModule_Check(mod)) {
		json_object_set_new(imp, "ok", json_true());
		return Py_NewRef(mod);
	}
	PyErr_Clear();
	struct py_exception exc;
	double t0 = now_seconds();
	mod = pyhost_exec_module(name, cm->code, cm->file, &exc); /* new */
	json_object_set_new(imp, "seconds", json_real(now_seconds() - t0));
	size_t dropped = 0;
	json_t *refused = violations_json(&dropped);
	if (json_array_size(refused))
		json_object_set(imp, "violations", refused);
	json_decref(refused);
	if (!mod) {
		json_object_set_new(imp, "ok", json_false());
		json_object_set_new(imp, "exception", py_exception_to_json(&exc));
		return NULL;
	}
	json_object_set_new(imp, "ok", json_true());
	return mod;
}

/* ---- the frame ------------------------------------------------------------ */

/* Adds what the audit hook refused during this check (after what the
 * import refused, when a check reuses its import), then clears it. */
static void add_violations(json_t *obs)
{
	size_t dropped = 0;
	json_t *list = violations_json(&dropped);
	json_t *earlier = json_object_get(obs, "violations"); /* borrowed */
	if (earlier) {
		json_array_extend(earlier, list);
		json_decref(list);
		list = json_incref(earlier);
	}
	if (json_array_size(list))
		json_object_set(obs, "violations", list);
	json_decref(list);
	if (dropped)
		json_object_set_new(obs, "violations_dropped", json_integer((json_int_t)dropped));
	audit_clear_violations();
}

static void send_frame(const unsigned char *nonce)
{
	pyhost_flush_stdio();
	add_violations(H.observation);
	/* The layers a child applied do not change: its first answer says. */
	if (H.io->sandbox && !H.sandbox_told) {
		json_object_set(H.observation, "sandbox", H.io->sandbox);
		H.sandbox_told = true;
	}
	char *text = json_dumps(H.observation, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!text)
		_exit(3);
	size_t len = strlen(text);
	size_t total = 2 * HARNESS_NONCE_LEN + 4 + len;
	unsigned char *frame = xmalloc(total);
	memcpy(frame, nonce, HARNESS_NONCE_LEN);
	frame[HARNESS_NONCE_LEN + 0] = (unsigned char)(len >> 24);
	frame[HARNESS_NONCE_LEN + 1] = (unsigned char)(len >> 16);
	frame[HARNESS_NONCE_LEN + 2] = (unsigned char)(len >> 8);
	frame[HARNESS_NONCE_LEN + 3] = (unsigned char)len;
	memcpy(frame + HARNESS_NONCE_LEN + 4, text, len);
	memcpy(frame + HARNESS_NONCE_LEN + 4 + len, nonce, HARNESS_NONCE_LEN);
	/* The sandbox lets only this call write the result descriptor. */
	int rc = sandbox_write_result(H.io->result_fd, frame, total);
	free(frame);
	free(text);
	if (rc < 0)
		_exit(3);
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

/* Runs one check into H.observation. */
static void run_check(const json_t *req)
{
	const char *kind = json_string_value(json_object_get(req, "kind"));
	const json_t *spec = json_object_get(req, "spec");
	if (!kind || !spec) {
		observe_harness_error(H.observation, "malformed check request");
		return;
	}
	int k = check_kind_by_name(kind);
	if (k < 0) {
		observe_harness_error(H.observation, "unknown check kind");
		return;
	}
	const struct observer *kd = observer_of((enum check_kind)k);
	char modname[128];
	module_of(spec, modname, sizeof(modname));
	PyObject *module = NULL; /* new */
	if (!kd->code_only || !module_compiled(modname, NULL)) {
		/* (A code-only kind on a file that is missing or does not compile
		 * gets the import's report of it: nothing runs either way.) */
		module = import_student(modname);
		pyhost_flush_stdio();
		/* Output from here on belongs to the calls, not to the import. */
		if (!H.stdout_switched) {
			dup2(H.io->stdout_call_fd, 1);
			H.stdout_switched = true;
		}
		if (!module)
			return;
	}
	if (kd->observe) {
		json_t *obs = json_object();
		json_object_set_new(H.observation, kind, obs);
		kd->observe(module, spec, obs);
	}
	Py_XDECREF(module);
	PyErr_Clear();
}

/* Reads exactly len bytes; false at end of input or on error. */
static bool read_exact(int fd, void *dst, size_t len)
{
	unsigned char *p = dst;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* ---- a new exercise in the same child ----------------------------------- */

/*
 * Takes the previous exercise's student modules out of sys.modules: those
 * it named, and those imported from the scratch copy.  They are kept alive
 * in H.forgotten, so that no student __del__ or weakref callback runs now,
 * outside any check.  Only exact str keys are looked at: comparing others
 * could call student code.
 */
static int forget_student_modules(void)
{
	PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
	PyObject *doomed = PyList_New(0); /* new */
	PyObject *file_key = PyUnicode_FromString("__file__"); /* new */
	if (!H.forgotten)
		H.forgotten = PyList_New(0); /* new, kept */
	if (!doomed || !file_key || !H.forgotten) {
		Py_XDECREF(doomed);
		Py_XDECREF(file_key);
		return -1;
	}
	size_t dirlen = strlen(H.io->module_dir);
	Py_ssize_t pos = 0;
	PyObject *key, *value; /* borrowed */
	int rc = 0;
	while (rc == 0 && PyDict_Next(modules, &pos, &key, &value)) {
		if (!PyUnicode_CheckExact(key))
			continue;
		const char *name = PyUnicode_AsUTF8(key);
		bool student = name && module_find(name);
		if (!student && PyModule_Check(value)) {
			/* The module's dict itself (no attribute hook runs), read
			 * without new references: a reference count written is a
			 * page of the shared heap copied. */
			PyObject *file = PyDict_GetItemWithError(PyModule_GetDict(value), file_key); /* borrowed */
			const char *f = file && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;
			student = f && !strncmp(f, H.io->module_dir, dirlen) && f[dirlen] == '/';
		}
		PyErr_Clear();
		if (student && (PyList_Append(doomed, key) < 0 || PyList_Append(H.forgotten, value) < 0))
			rc = -1;
	}
	for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(doomed); i++)
		if (PyDict_DelItem(modules, PyList_GET_ITEM(doomed, i)) < 0)
			PyErr_Clear();
	Py_DECREF(doomed);
	Py_DECREF(file_key);
	/* The finder of the scratch directory cached its listing. */
	PyObject *cache = PySys_GetObject("path_importer_cache"); /* borrowed */
	if (cache && PyDict_CheckExact(cache) && PyDict_DelItemString(cache, H.io->module_dir) < 0)
		PyErr_Clear();
	return rc;
}

static bool same_file(int fd, const struct stat *was)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_dev == was->st_dev && st.st_ino == was->st_ino;
}

/*
 * A switch (harness.h): compiles what it carries, then forgets the
 * previous exercise.  Returns false when the child cannot go on cleanly
 * (the stream is out of step, or the student's code moved our pipes); it
 * then exits and the supervisor starts a fresh child.
 */
static bool switch_exercise(const json_t *list)
{
	size_t n = json_array_size(list);
	if (n > SWITCH_MODULES_MAX)
		return false;
	struct compiled_module *mods = xcalloc(n ? n : 1, sizeof(*mods));
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		const json_t *e = json_array_get(list, i);
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *file = json_string_value(json_object_get(e, "file"));
		json_t *error = json_object_get(e, "error"); /* borrowed */
		json_int_t len = json_integer_value(json_object_get(e, "source"));
		if (!name || !file || len < 0 || len > SWITCH_SOURCE_MAX) {
			ok = false;
			break;
		}
		mods[i].name = xstrdup(name);
		mods[i].file = xstrdup(file);
		if (error) {
			mods[i].error = json_incref(error);
			continue;
		}
		char *source = xmalloc((size_t)len + 1);
		ok = read_exact(H.io->request_fd, source, (size_t)len);
		source[len] = '\0';
		if (ok)
			mods[i].code = pyhost_compile(source, (size_t)len, file, &mods[i].error);
		free(source);
	}
	pyhost_flush_stdio();
	ok = ok && same_file(H.io->stdout_call_fd, &H.call_pipe) && same_file(H.io->stdout_import_fd, &H.import_pipe) &&
	     dup2(H.io->stdout_import_fd, 1) == 1 && forget_student_modules() == 0;
	PyErr_Clear();
	if (!ok) {
		module_release_all(mods, n);
		return false;
	}
	H.stdout_switched = false;
	module_release_all(H.owned, H.n_owned);
	H.owned = mods;
	H.n_owned = n;
	module_set_current(mods, n);
	json_object_clear(H.imports);
	audit_clear_violations();
	return true;
}

_Noreturn void harness_serve(const struct compiled_module *modules, size_t n_modules, const struct harness_io *io)
{
	module_set_current(modules, n_modules);
	H.io = io;
	H.imports = json_object();
	if (fstat(io->stdout_call_fd, &H.call_pipe) < 0 || fstat(io->stdout_import_fd, &H.import_pipe) < 0)
		_exit(3);

	bool stdio_ok = pyhost_setup_stdio() == 0;
	/* Student files import each other from the scratch directory. */
	PyObject *path = PySys_GetObject("path"); /* borrowed */
	PyObject *dir = PyUnicode_FromString(io->module_dir); /* new */
	if (path && dir && PyList_Check(path))
		PyList_Append(path, dir);
	Py_XDECREF(dir);
	PyErr_Clear();

	for (;;) {
		unsigned char nonce[HARNESS_NONCE_LEN], head[4];
		if (!read_exact(io->request_fd, nonce, sizeof(nonce)) || !read_exact(io->request_fd, head, 4))
			_exit(0);
		size_t len = ((size_t)head[0] << 24) | ((size_t)head[1] << 16) | ((size_t)head[2] << 8) | head[3];
		if (len > HARNESS_REQUEST_MAX)
			_exit(3);
		char *request = xmalloc(len + 1);
		if (!read_exact(io->request_fd, request, len))
			_exit(0);
		json_t *req = json_loadb(request, len, 0, NULL);
		explicit_bzero(request, len);
		free(request);
		json_t *sw = json_object_get(req, "switch"); /* borrowed */
		if (sw) {
			/* Not answered: the next request is the new exercise's first check. */
			if (!switch_exercise(sw))
				_exit(3);
			json_decref(req);
			continue;
		}

		H.observation = json_object();
		if (io->fatal)
			observe_harness_error(H.observation, io->fatal);
		else if (!stdio_ok)
			observe_harness_error(H.observation, "cannot set up sys.stdout");
		else if (!req)
			observe_harness_error(H.observation, "malformed check request");
		else
			run_check(req);
		json_decref(req);
		send_frame(nonce);
		explicit_bzero(nonce, sizeof(nonce));
		json_decref(H.observation);
		H.observation = NULL;
	}
}
