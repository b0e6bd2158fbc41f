#include "py/pyhost.h"

#include "base/error.h"

#include "sandbox/audit.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

struct pyhost_info pyhost;

static PyObject *saved_stdout;   /* strong: the grader's own stream objects */
static PyObject *saved_stderr;

/* Modules imported before forking, so checks don't pay for them and the
 * student's code finds them in sys.modules. */
static const char *const warm_modules[] = {
	"sys", "gc", "io", "os", "dis", "opcode", "tracemalloc", "weakref", "functools", "types",
	"math", "collections", "itertools", "operator", "re", "time", "linecache", "traceback",
	"encodings.utf_8", "encodings.latin_1",
};

static void read_paths(void)
{
	PyObject *sysconfig = PyImport_ImportModule("sysconfig"); /* new */
	if (!sysconfig) {
		PyErr_Clear();
		return;
	}
	const char *keys[] = { "stdlib", "platstdlib" };
	char *dest[] = { pyhost.stdlib_dir, pyhost.platstdlib_dir };
	for (int i = 0; i < 2; i++) {
		PyObject *p = PyObject_CallMethod(sysconfig, "get_path", "s", keys[i]); /* new */
		const char *s = p ? PyUnicode_AsUTF8(p) : NULL;
		if (s)
			snprintf(dest[i], sizeof(pyhost.stdlib_dir), "%s", s);
		Py_XDECREF(p);
		PyErr_Clear();
	}
	Py_DECREF(sysconfig);
}

static int prepare_stdio(void);

int pyhost_start(char *err, size_t errlen)
{
	PyConfig config;
	PyConfig_InitIsolatedConfig(&config);
	config.site_import = 0;          /* no site-packages: only the stdlib */
	config.write_bytecode = 0;       /* never write __pycache__ into submissions */
	config.use_hash_seed = 1;        /* deterministic set/dict order across runs */
	config.hash_seed = 0;
	config.install_signal_handlers = 0;
	config.buffered_stdio = 0;
	config.safe_path = 1;
	/* The audit hook goes in before the interpreter exists, so that no
	 * Python code can ever remove it (audit.h); it stays idle until a check
	 * child arms it. */
	if (audit_install() < 0) {
		PyConfig_Clear(&config);
		return fail(err, errlen, "cannot install the audit hook");
	}
	PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, "grade");
	if (!PyStatus_Exception(status))
		status = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(status)) {
		return fail(err, errlen, "cannot start Python: %s", status.err_msg ? status.err_msg : "unknown error");
	}

	for (size_t i = 0; i < ARRAY_SIZE(warm_modules); i++) {
		PyObject *m = PyImport_ImportModule(warm_modules[i]); /* new */
		if (!m) {
			PyErr_Clear();
			return fail(err, errlen, "cannot import %s", warm_modules[i]);
		}
		Py_DECREF(m);
	}

	const char *v = Py_GetVersion();
	size_t n = strcspn(v, "\n");
	snprintf(pyhost.version, sizeof(pyhost.version), "%.*s", (int)n, v);
	pyhost.hexversion = PY_VERSION_HEX;
	pyhost.major = PY_MAJOR_VERSION;
	pyhost.minor = PY_MINOR_VERSION;
	pyhost.micro = PY_MICRO_VERSION;
	read_paths();
	if (prepare_stdio() < 0) {
		return fail(err, errlen, "cannot prepare the children's sys.stdout");
	}
	return 0;
}

void pyhost_freeze(void)
{
	/* Collect now and freeze what survives: children forked later neither
	 * re-scan nor dirty (copy) these pages through gc. */
	PyObject *gc = PyImport_ImportModule("gc"); /* new */
	if (gc) {
		PyObject *x = PyObject_CallMethod(gc, "collect", NULL);
		Py_XDECREF(x);
		x = PyObject_CallMethod(gc, "freeze", NULL);
		Py_XDECREF(x);
		Py_DECREF(gc);
	}
	PyErr_Clear();
}

static void copy_utf8(char *dst, size_t dstlen, PyObject *str)
{
	Py_ssize_t len = 0;
	const char *s = str && PyUnicode_Check(str) ? PyUnicode_AsUTF8AndSize(str, &len) : NULL;
	if (!s) {
		PyErr_Clear();
		snprintf(dst, dstlen, "%s", "<unprintable>");
		return;
	}
	size_t n = (size_t)len < dstlen - 1 ? (size_t)len : dstlen - 1;
	/* Cut on a character boundary. */
	while (n > 0 && n < (size_t)len && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

void pyhost_take_exception(struct py_exception *out)
{
	memset(out, 0, sizeof(*out));
	PyObject *type = NULL, *value = NULL, *tb = NULL; /* new, from PyErr_Fetch */
	PyErr_Fetch(&type, &value, &tb);
	if (!type) {
		snprintf(out->type, sizeof(out->type), "%s", "UnknownError");
		return;
	}
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb && value)
		PyException_SetTraceback(value, tb);

	PyTypeObject *tp = (PyTypeObject *)type;
	const char *name = PyType_Check(type) ? tp->tp_name : "?";
	const char *dot = strrchr(name, '.');
	snprintf(out->type, sizeof(out->type), "%s", dot && !strncmp(name, "builtins.", 9) ? dot + 1 : name);
	out->system_exit = PyErr_GivenExceptionMatches(type, PyExc_SystemExit);
	out->memory_error = PyErr_GivenExceptionMatches(type, PyExc_MemoryError);
	out->recursion_error = PyErr_GivenExceptionMatches(type, PyExc_RecursionError);
	out->base_exception = !PyErr_GivenExceptionMatches(type, PyExc_Exception);

	if (value) {
		if (out->system_exit) {
			PyObject *code = PyObject_GetAttrString(value, "code"); /* new */
			PyObject *text = code ? PyObject_Repr(code) : NULL;  /* new */
			copy_utf8(out->exit_code, sizeof(out->exit_code), text);
			Py_XDECREF(text);
			Py_XDECREF(code);
		}
		/* str() of a student's exception may run student code; it is the
		 * student's own process, and the wall clock still runs. */
		PyObject *msg = PyObject_Str(value); /* new */
		copy_utf8(out->message, sizeof(out->message), msg);
		Py_XDECREF(msg);
		PyErr_Clear();
		if (PyErr_GivenExceptionMatches(type, PyExc_SyntaxError)) {
			/* str() adds "(file, line N)", which we report apart. */
			PyObject *m = PyObject_GetAttrString(value, "msg"); /* new */
			if (m && PyUnicode_Check(m))
				copy_utf8(out->message, sizeof(out->message), m);
			Py_XDECREF(m);
			PyObject *f = PyObject_GetAttrString(value, "filename"); /* new */
			PyObject *ln = PyObject_GetAttrString(value, "lineno");  /* new */
			PyObject *off = PyObject_GetAttrString(value, "offset"); /* new */
			if (f && PyUnicode_Check(f))
				copy_utf8(out->file, sizeof(out->file), f);
			if (ln && PyLong_Check(ln))
				out->line = (int)PyLong_AsLong(ln);
			if (off && PyLong_Check(off))
				out->col = (int)PyLong_AsLong(off);
			Py_XDECREF(f);
			Py_XDECREF(ln);
			Py_XDECREF(off);
			PyErr_Clear();
		}
	}
	/* The innermost frame that belongs to a submission file (relative
	 * names: the grader compiles student files under their base name). */
	for (PyObject *t = tb; t && PyTraceBack_Check(t); t = (PyObject *)((PyTracebackObject *)t)->tb_next) {
		PyTracebackObject *tbo = (PyTracebackObject *)t;
		PyCodeObject *code = PyFrame_GetCode(tbo->tb_frame); /* new */
		const char *fname = PyUnicode_AsUTF8(code->co_filename);
		if (fname && fname[0] != '/' && fname[0] != '<') {
			snprintf(out->file, sizeof(out->file), "%s", fname);
			out->line = tbo->tb_lineno;
		}
		Py_DECREF(code);
	}
	PyErr_Clear();
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

json_t *py_exception_to_json(const struct py_exception *e)
{
	json_t *j = json_pack("{s:s, s:s}", "type", e->type, "message", e->message);
	if (e->file[0])
		json_object_set_new(j, "file", json_string(e->file));
	if (e->line)
		json_object_set_new(j, "line", json_integer(e->line));
	if (e->col)
		json_object_set_new(j, "col", json_integer(e->col));
	if (e->system_exit) {
		json_object_set_new(j, "system_exit", json_true());
		json_object_set_new(j, "exit_code", json_string(e->exit_code));
	}
	if (e->memory_error)
		json_object_set_new(j, "memory_error", json_true());
	if (e->recursion_error)
		json_object_set_new(j, "recursion_error", json_true());
	if (e->base_exception)
		json_object_set_new(j, "base_exception", json_true());
	return j;
}

PyObject *pyhost_compile(const char *source, size_t len, const char *filename, json_t **error)
{
	if (memchr(source, '\0', len)) {
		*error = json_pack("{s:s, s:s, s:s}", "type", "SyntaxError", "message",
				   "source code contains a NUL byte", "file", filename);
		return NULL;
	}
	PyCompilerFlags flags = _PyCompilerFlags_INIT;
	PyObject *code = Py_CompileStringExFlags(source, filename, Py_file_input, &flags, 0); /* new */
	if (!code) {
		struct py_exception e;
		pyhost_take_exception(&e);
		if (!e.file[0])
			snprintf(e.file, sizeof(e.file), "%s", filename);
		*error = py_exception_to_json(&e);
	}
	return code;
}

PyObject *pyhost_exec_module(const char *name, PyObject *code, const char *filename,
			     struct py_exception *exc)
{
	PyObject *module = NULL, *modules = NULL, *result = NULL;
	module = PyModule_New(name); /* new */
	if (!module)
		goto fail;
	PyObject *dict = PyModule_GetDict(module); /* borrowed */
	PyObject *file = PyUnicode_FromString(filename); /* new */
	int rc = file ? PyDict_SetItemString(dict, "__file__", file) : -1;
	Py_XDECREF(file);
	if (rc < 0 || PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) < 0)
		goto fail;
	/* Registered before running, as importlib does, so that circular
	 * imports between the student's files find it. */
	modules = PyImport_GetModuleDict(); /* borrowed */
	if (PyDict_SetItemString(modules, name, module) < 0)
		goto fail;
	result = PyEval_EvalCode(code, dict, dict); /* new */
	if (!result) {
		pyhost_take_exception(exc);
		PyDict_DelItemString(modules, name);
		PyErr_Clear();
		Py_DECREF(module);
		return NULL;
	}
	Py_DECREF(result);
	return module;
fail:
	pyhost_take_exception(exc);
	Py_XDECREF(module);
	return NULL;
}

static PyObject *open_stream(PyObject *io, int fd, const char *mode, int buffering)
{
	return PyObject_CallMethod(io, "open", "isizzzi", fd, mode, buffering, "utf-8", "backslashreplace",
				   NULL, 0); /* new */
}

static PyObject *ready_streams[3]; /* strong: stdin, stdout, stderr made in the zygote */

/*
 * Makes the check children's sys.stdin/stdout/stderr once, in the zygote,
 * so that no child pays for io.open (about half a millisecond each time).
 * They are made over descriptors like the children's: /dev/null for 0 and
 * a pipe for 1 and 2 (not seekable, not a terminal), borrowed for the
 * moment and put back.  The objects only name descriptor numbers, so in a
 * child they write to whatever 1 and 2 are there.  Never written to here.
 */
static int prepare_stdio(void)
{
	int saved[3] = { -1, -1, -1 }, p[2] = { -1, -1 }, devnull = -1, rc = -1;
	PyObject *io = PyImport_ImportModule("io"); /* new */
	if (!io || pipe2(p, O_CLOEXEC) < 0 || (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		goto done;
	for (int fd = 0; fd < 3; fd++)
		saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup2(devnull, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
		goto restore;
	ready_streams[0] = open_stream(io, 0, "r", -1);
	ready_streams[1] = open_stream(io, 1, "w", 1);   /* line buffered */
	ready_streams[2] = open_stream(io, 2, "w", 1);
	rc = ready_streams[0] && ready_streams[1] && ready_streams[2] ? 0 : -1;
restore:
	for (int fd = 0; fd < 3; fd++) {
		if (saved[fd] >= 0) {
			dup2(saved[fd], fd);
			close(saved[fd]);
		} else {
			close(fd);
		}
	}
done:
	if (rc < 0) {
		PyErr_Clear();
		for (int i = 0; i < 3; i++)
			Py_CLEAR(ready_streams[i]);
	}
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (devnull >= 0)
		close(devnull);
	Py_XDECREF(io);
	return rc;
}

int pyhost_setup_stdio(void)
{
	/* The streams pyhost_start() made (prepare_stdio): it fails without them. */
	PyObject *in = ready_streams[0], *out = ready_streams[1], *err = ready_streams[2]; /* borrowed */
	if (!in || !out || !err)
		return -1;
	/* Set in the zygote already (the usual case): then nothing is
	 * written, and no page of the shared heap is copied. */
	if (saved_stdout == out && saved_stderr == err && PySys_GetObject("stdin") == in &&
	    PySys_GetObject("stdout") == out && PySys_GetObject("stderr") == err &&
	    PySys_GetObject("__stdin__") == in && PySys_GetObject("__stdout__") == out &&
	    PySys_GetObject("__stderr__") == err)
		return 0;
	if (PySys_SetObject("stdin", in) < 0 || PySys_SetObject("stdout", out) < 0 ||
	    PySys_SetObject("stderr", err) < 0 || PySys_SetObject("__stdout__", out) < 0 ||
	    PySys_SetObject("__stderr__", err) < 0 || PySys_SetObject("__stdin__", in) < 0) {
		PyErr_Clear();
		return -1;
	}
	Py_XSETREF(saved_stdout, Py_NewRef(out));
	Py_XSETREF(saved_stderr, Py_NewRef(err));
	return 0;
}

void pyhost_flush_stdio(void)
{
	/* TextIOWrapper.flush is a built-in method: student code cannot
	 * replace it on the type, only rebind sys.stdout, which we ignore. */
	PyObject *streams[] = { saved_stdout, saved_stderr };
	for (size_t i = 0; i < ARRAY_SIZE(streams); i++) {
		if (!streams[i])
			continue;
		PyObject *r = PyObject_CallMethod(streams[i], "flush", NULL); /* new */
		Py_XDECREF(r);
		PyErr_Clear();
	}
}
