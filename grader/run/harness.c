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
	struct stat call_pipe, import_pipe;   /* what WIRE_FD_CALL_OUT and _IMPORT_OUT were at the start */
	bool sandbox_told;     /* the first frame carried the layers applied */
} H;


/* What the audit hook refused so far in this check, as JSON (new). */
static json_t *violations_json(size_t *dropped)
{
	const struct audit_violation *v = NULL;
	size_t n = audit_violations(&v, dropped);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:i, s:b}", WIRE_KEY_EVENT, v[i].event,
						      WIRE_KEY_DETAIL, v[i].detail, WIRE_KEY_FILE, v[i].file,
						      WIRE_KEY_LINE, v[i].line, WIRE_KEY_FORBIDDEN, v[i].forbidden));
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
		json_object_set(H.observation, WIRE_KEY_IMPORT, cached);
		/* What the import was refused is part of every check's story. */
		json_t *refused = json_object_get(cached, WIRE_KEY_VIOLATIONS); /* borrowed */
		if (refused)
			json_object_set_new(H.observation, WIRE_KEY_VIOLATIONS, json_deep_copy(refused));
		if (!json_is_true(json_object_get(cached, WIRE_KEY_OK)))
			return NULL;
		PyObject *mod = PyDict_GetItemString(PyImport_GetModuleDict(), name); /* borrowed */
		if (mod && PyModule_Check(mod))
			return Py_NewRef(mod);
		/* The student's code removed it from sys.modules: what it left is
		 * what later checks get, as in any program. */
		PyErr_Clear();
		json_t *gone = json_pack("{s:s, s:b, s:o}", WIRE_KEY_MODULE, name, WIRE_KEY_OK, 0, WIRE_KEY_EXCEPTION,
					 json_pack("{s:s, s:s}", WIRE_KEY_TYPE, "ImportError", WIRE_KEY_MESSAGE,
						   "the module removed itself from sys.modules"));
		json_object_set_new(H.observation, WIRE_KEY_IMPORT, gone);
		return NULL;
	}
	const struct compiled_module *cm = module_find(name);
	json_t *imp = json_pack("{s:s}", WIRE_KEY_MODULE, name);
	json_object_set_new(H.imports, name, imp);
	json_object_set(H.observation, WIRE_KEY_IMPORT, imp);
	if (!cm) {
		json_object_set_new(imp, WIRE_KEY_OK, json_false());
		json_object_set_new(imp, WIRE_KEY_MISSING, json_true());
		return NULL;
	}
	if (!cm->code) {
		json_object_set_new(imp, WIRE_KEY_OK, json_false());
		json_object_set_new(imp, WIRE_KEY_EXCEPTION, json_incref(cm->error));
		return NULL;
	}
	/* Already imported by another student module? */
	PyObject *mod = PyDict_GetItemString(PyImport_GetModuleDict(), name); /* borrowed */
	if (mod && PyModule_Check(mod)) {
		json_object_set_new(imp, WIRE_KEY_OK, json_true());
		return Py_NewRef(mod);
	}
	PyErr_Clear();
	struct py_exception exc;
	double t0 = now_seconds();
	phase_enter(PHASE_IMPORT, name);
	mod = pyhost_exec_module(name, cm->code, cm->file, &exc); /* new */
	phase_enter(PHASE_NONE, NULL);
	json_object_set_new(imp, WIRE_KEY_SECONDS, json_real(now_seconds() - t0));
	size_t dropped = 0;
	json_t *refused = violations_json(&dropped);
	if (json_array_size(refused))
		json_object_set(imp, WIRE_KEY_VIOLATIONS, refused);
	json_decref(refused);
	if (!mod) {
		json_object_set_new(imp, WIRE_KEY_OK, json_false());
		json_object_set_new(imp, WIRE_KEY_EXCEPTION, py_exception_to_json(&exc));
		return NULL;
	}
	json_object_set_new(imp, WIRE_KEY_OK, json_true());
	return mod;
}

/* ---- the frame ------------------------------------------------------------ */

/* Adds what the audit hook refused during this check (after what the
 * import refused, when a check reuses its import), then clears it. */
static void add_violations(json_t *obs)
{
	size_t dropped = 0;
	json_t *list = violations_json(&dropped);
	json_t *earlier = json_object_get(obs, WIRE_KEY_VIOLATIONS); /* borrowed */
	if (earlier) {
		json_array_extend(earlier, list);
		json_decref(list);
		list = json_incref(earlier);
	}
	if (json_array_size(list))
		json_object_set(obs, WIRE_KEY_VIOLATIONS, list);
	json_decref(list);
	if (dropped)
		json_object_set_new(obs, WIRE_KEY_VIOLATIONS_DROPPED, json_integer((json_int_t)dropped));
	audit_clear_violations();
}

static void send_frame(const unsigned char *nonce)
{
	pyhost_flush_stdio();
	add_violations(H.observation);
	/* The layers a child applied do not change: its first answer says. */
	if (H.io->sandbox && !H.sandbox_told) {
		json_object_set(H.observation, WIRE_KEY_SANDBOX, H.io->sandbox);
		H.sandbox_told = true;
	}
	char *text = json_dumps(H.observation, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!text)
		_exit(3);
	size_t total = 0;
	unsigned char *frame = wire_frame_encode(WIRE_RESULT, nonce, text, strlen(text), &total);
	/* The sandbox lets only this call write the result descriptor. */
	int rc = sandbox_write_result(H.io->result_fd, frame, total);
	free(frame);
	free(text);
	if (rc < 0)
		_exit(3);
}

static const char *module_of(const json_t *spec, char *out, size_t outlen)
{
	const char *m = json_string_value(json_object_get(spec, WIRE_KEY_MODULE));
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
static void run_check(const char *kind, const json_t *spec)
{
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
		/* Coarse on purpose: the grader's own work around the student's
		 * calls takes milliseconds, the limits seconds.  Observers that call
		 * something else (a decorator's wrapper) say so themselves. */
		phase_enter(PHASE_CALL, json_string_value(json_object_get(spec, "function")));
		kd->observe(module, spec, obs);
		phase_enter(PHASE_NONE, NULL);
	}
	Py_XDECREF(module);
	PyErr_Clear();
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
	if (n > WIRE_SWITCH_MODULES_MAX)
		return false;
	struct compiled_module *mods = xcalloc(n ? n : 1, sizeof(*mods));
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		struct wire_switch_entry e;
		if (wire_switch_entry_parse(json_array_get(list, i), &e) < 0) {
			ok = false;
			break;
		}
		mods[i].name = xstrdup(e.name);
		mods[i].file = xstrdup(e.file);
		if (e.error) {
			mods[i].error = json_incref((json_t *)e.error);
			continue;
		}
		char *source = xmalloc(e.source_len + 1);
		ok = read_exact(H.io->request_fd, source, e.source_len, 0) == 0;
		source[e.source_len] = '\0';
		if (ok)
			mods[i].code = pyhost_compile(source, e.source_len, e.file, &mods[i].error);
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

/* Reads the next request (WIRE_REQUEST) into a new NUL-terminated buffer
 * (caller frees) and its nonce; NULL when the pipe has ended.  A length
 * over the limit means the stream is out of step: the child exits. */
static char *read_request(int fd, unsigned char *nonce, size_t *len_out)
{
	unsigned char head[WIRE_NONCE_LEN + WIRE_LEN_BYTES];
	size_t need = 0;
	if (read_exact(fd, head, sizeof(head), 0) < 0)
		return NULL;
	long r = wire_frame_parse(WIRE_REQUEST, head, sizeof(head), WIRE_CONTROL_MAX, NULL, nonce, NULL, &need);
	if (r != WIRE_INCOMPLETE && r < 0)
		_exit(3);
	size_t len = r == WIRE_INCOMPLETE ? need - sizeof(head) : 0;
	char *request = xmalloc(len + 1);
	if (read_exact(fd, request, len, 0) < 0)
		_exit(0);
	request[len] = '\0';
	*len_out = len;
	return request;
}

_Noreturn void harness_serve(const struct compiled_module *modules, size_t n_modules, const struct harness_io *io)
{
	module_set_current(modules, n_modules);
	H.io = io;
	H.imports = json_object();
	phase_use(io->phase);
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
		unsigned char nonce[WIRE_NONCE_LEN];
		size_t len = 0;
		char *request = read_request(io->request_fd, nonce, &len);
		if (!request)
			_exit(0);
		struct wire_request req;
		int kind = wire_request_parse(request, len, &req);
		explicit_bzero(request, len);
		free(request);
		if (kind == 1) {
			/* Not answered: the next request is the new exercise's first check. */
			if (!switch_exercise(req.exercises))
				_exit(3);
			wire_request_release(&req);
			continue;
		}

		H.observation = json_object();
		if (io->fatal)
			observe_harness_error(H.observation, io->fatal);
		else if (!stdio_ok)
			observe_harness_error(H.observation, "cannot set up sys.stdout");
		else if (kind < 0)
			observe_harness_error(H.observation, "malformed check request");
		else {
			phase_begin_check(req.check);
			run_check(req.kind, req.spec);
		}
		wire_request_release(&req);
		send_frame(nonce);
		explicit_bzero(nonce, sizeof(nonce));
		json_decref(H.observation);
		H.observation = NULL;
	}
}
