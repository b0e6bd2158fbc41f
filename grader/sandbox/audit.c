#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "sandbox/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define MAX_READ_PATHS 32

/*
 * sys.pycache_prefix while armed: under /dev/null, so it can neither exist nor be created.  Imports then find no
 * .pyc and compile from source, which needs no marshal.loads (refused: a forged .pyc in the scratch directory is
 * forged bytecode).  Opens beneath it are let through silently: they fail with ENOTDIR and importlib moves on.
 */
#define NO_PYCACHE "/dev/null/grade-no-pycache"

/* Everything the hook consults, copied by audit_arm(): the hook never looks at caller memory. */
static struct {
	bool armed;
	bool allow_threads;
	int result_fd;
	char scratch[PATH_MAX];
	size_t n_read;
	char read[MAX_READ_PATHS][PATH_MAX];
} policy = { .result_fd = -1 };

/*
 * The one caller allowed to make code objects: types.coroutine (asyncio uses it at import time), which only sets
 * a flag on the code of an existing generator function, and that code came from the compiler.  Trusting callers
 * by file instead (anything in the standard library) would let student code through trampolines such as
 * copy._reconstruct or threading.Thread.run, which call whatever they are given.  Strong reference.
 */
static PyObject *trusted_code_maker;

static struct audit_violation violations[AUDIT_MAX_VIOLATIONS];
static size_t n_violations, n_dropped;

/* Imports refused by name (and their submodules): native memory access, test hooks into the interpreter's
 * internals, and subinterpreters. */
static const char *const refused_modules[] = {
	"ctypes", "_ctypes", "_ctypes_test",
	"_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase", "_testsinglephase",
	"_testimportmultiple", "_testclinic", "_testexternalinspection",
	"_xxsubinterpreters", "_xxinterpchannels", "_interpreters", "_interpchannels", "_interpqueues",
};

/* ====================================================================== */
/* Small helpers: no Python code runs in any of them.                      */
/* ====================================================================== */

/* Copies src into dst, keeping the end when it does not fit ("...tail"): the file name is at the end. */
static void copy_tail(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len < n) {
		memcpy(dst, src, len + 1);
		return;
	}
	snprintf(dst, n, "...%s", src + len - (n - 4));
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static bool in_read_paths(const char *path)
{
	for (size_t i = 0; i < policy.n_read; i++)
		if (under(path, policy.read[i]))
			return true;
	return false;
}

static bool may_read(const char *path)
{
	return under(path, policy.scratch) || strcmp(path, "/dev/null") == 0 || in_read_paths(path);
}

static bool may_write(const char *path)
{
	return under(path, policy.scratch) || strcmp(path, "/dev/null") == 0;
}

static PyObject *arg(PyObject *args, Py_ssize_t i)	/* borrowed, or NULL */
{
	if (!PyTuple_Check(args) || i >= PyTuple_GET_SIZE(args))
		return NULL;
	return PyTuple_GET_ITEM(args, i);
}

/*
 * A short text for an event argument.  Only reads the underlying data of str, bytes, int, list and tuple (and
 * their subclasses, whose data a __str__ override cannot change): a student object's __repr__ never runs here.
 */
static void describe(PyObject *o, char *buf, size_t n)
{
	buf[0] = '\0';
	if (!o || o == Py_None)
		return;
	if (PyUnicode_Check(o)) {
		PyObject *b = PyUnicode_AsEncodedString(o, "utf-8", "backslashreplace");	/* new */
		if (b)
			snprintf(buf, n, "%s", PyBytes_AS_STRING(b));
		Py_XDECREF(b);
	} else if (PyBytes_Check(o)) {
		snprintf(buf, n, "%s", PyBytes_AS_STRING(o));
	} else if (PyLong_Check(o)) {
		long v = PyLong_AsLong(o);
		snprintf(buf, n, "%ld", v);
	} else if (PyList_Check(o) || PyTuple_Check(o)) {
		/* an argv: its words, space-separated */
		Py_ssize_t len = PyList_Check(o) ? PyList_GET_SIZE(o) : PyTuple_GET_SIZE(o);
		size_t used = 0;
		for (Py_ssize_t i = 0; i < len && used + 1 < n; i++) {
			PyObject *item = PyList_Check(o) ? PyList_GET_ITEM(o, i) : PyTuple_GET_ITEM(o, i);
			if (i)
				buf[used++] = ' ';
			describe(item, buf + used, n - used);
			used += strlen(buf + used);
		}
	} else {
		snprintf(buf, n, "<%s>", Py_TYPE(o)->tp_name);
	}
	PyErr_Clear();
}

/* ====================================================================== */
/* Recording.                                                              */
/* ====================================================================== */

/* Frames of importlib ("<frozen importlib._bootstrap>") and of the read-only paths are not the student's. */
static bool is_student_file(const char *name)
{
	return strncmp(name, "<frozen ", 8) != 0 && !in_read_paths(name);
}

/* The innermost frame in the student's code, or else the innermost frame at all. */
static void locate(char *file, size_t n, int *line)
{
	PyFrameObject *f = PyEval_GetFrame();	/* borrowed */
	file[0] = '\0';
	*line = 0;
	Py_XINCREF(f);	/* from here on, f is a reference we own */
	for (int depth = 0; f && depth < 64; depth++) {
		PyCodeObject *code = PyFrame_GetCode(f);	/* new */
		const char *name = PyUnicode_AsUTF8(code->co_filename);
		PyFrameObject *back;
		if (name && (depth == 0 || is_student_file(name))) {
			copy_tail(file, n, name);
			*line = PyFrame_GetLineNumber(f);
		}
		Py_DECREF(code);
		if (name && is_student_file(name))
			break;
		back = PyFrame_GetBack(f);	/* new */
		Py_DECREF(f);
		f = back;
	}
	Py_XDECREF(f);
	PyErr_Clear();
}

static void record(const char *event, const char *detail, bool forbidden)
{
	struct audit_violation *v;
	if (n_violations >= AUDIT_MAX_VIOLATIONS) {
		n_dropped++;
		return;
	}
	v = &violations[n_violations++];
	snprintf(v->event, sizeof(v->event), "%s", event);
	snprintf(v->detail, sizeof(v->detail), "%s", detail);
	locate(v->file, sizeof(v->file), &v->line);
	v->forbidden = forbidden;
}

/* Records and raises PermissionError; returns -1 for the hook to return. */
static int refuse(const char *event, const char *detail)
{
	record(event, detail, true);
	PyErr_Format(PyExc_PermissionError, "%s is forbidden by the grader%s%s", event, detail[0] ? ": " : "", detail);
	return -1;
}

static int refuse_describing(const char *event, PyObject *what)
{
	char detail[160];
	describe(what, detail, sizeof(detail));
	return refuse(event, detail);
}

/* ====================================================================== */
/* Paths.                                                                  */
/* ====================================================================== */

/* A new bytes object with the path o names, or NULL (no error set) when o is not a path.  A path-like's
 * __fspath__ runs here: it may lie, which only fools this layer (Landlock checks the real open). */
static PyObject *path_bytes(PyObject *o)
{
	PyObject *p, *b;
	if (PyBytes_Check(o)) {
		Py_INCREF(o);
		return o;
	}
	if (PyUnicode_Check(o)) {
		b = PyUnicode_EncodeFSDefault(o);
	} else {
		p = PyOS_FSPath(o);	/* new */
		if (!p) {
			PyErr_Clear();
			return NULL;
		}
		if (PyUnicode_Check(p)) {
			b = PyUnicode_EncodeFSDefault(p);
		} else {
			b = p;
			Py_INCREF(b);
		}
		Py_DECREF(p);
	}
	if (!b)
		PyErr_Clear();
	return b;
}

/* The directory a descriptor is open on, for the *at() forms (shutil.rmtree uses them). */
static int fd_dir(int fd, char *out, size_t n)
{
	char link[64];
	ssize_t len;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, out, n - 1);
	if (len <= 0 || out[0] != '/')
		return -1;
	out[len] = '\0';
	return 0;
}

/*
 * Resolves path (relative to base, or to the cwd when base is NULL) to an absolute path without symlinks or
 * "..", so that a link in the scratch directory pointing outside is judged by its target.  The trailing
 * components need not exist (a file about to be created, or a directory this process cannot see: a grader tree
 * under the /tmp that the supervisor covered with its own tmpfs): the deepest existing ancestor is resolved and
 * the rest appended as written.  Returns 0, or -1 when the path cannot be resolved (too long, or "." or ".."
 * after a missing component: the kernel would fail such a path with ENOENT anyway).
 */
static int resolve(const char *path, const char *base, char *out)
{
	char joined[PATH_MAX], cwd[PATH_MAX], rest[PATH_MAX] = "";
	size_t len;
	if (path[0] == '/') {
		if (strlen(path) >= sizeof(joined))
			return -1;
		strcpy(joined, path);
	} else {
		if (!base) {
			if (!getcwd(cwd, sizeof(cwd)))
				return -1;
			base = cwd;
		}
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", base, path) >= sizeof(joined))
			return -1;
	}
	for (;;) {
		if (realpath(joined, out))
			break;
		if (errno != ENOENT)
			return -1;
		len = strlen(joined);
		while (len > 1 && joined[len - 1] == '/')
			joined[--len] = '\0';
		char *slash = strrchr(joined, '/');
		const char *leaf = slash + 1;
		if (!*leaf || strcmp(leaf, ".") == 0 || strcmp(leaf, "..") == 0)
			return -1;
		char tail[PATH_MAX];
		if ((size_t)snprintf(tail, sizeof(tail), "%s%s%s", leaf, rest[0] ? "/" : "", rest) >= sizeof(tail))
			return -1;
		strcpy(rest, tail);
		if (slash == joined) {
			strcpy(joined, "/");
		} else {
			*slash = '\0';
		}
	}
	if (!rest[0])
		return 0;
	len = strlen(out);
	if (len + 1 + strlen(rest) >= PATH_MAX)
		return -1;
	if (out[len - 1] != '/')
		out[len++] = '/';
	strcpy(out + len, rest);
	return 0;
}

static int refuse_file(const char *event, const char *resolved, bool write, PyObject *pathobj)
{
	char detail[160];
	PyObject *exc;
	snprintf(detail, sizeof(detail), "%s (%s)", resolved, write ? "write" : "read");
	/* Writing outside the scratch directory is never needed; reading is something the standard library does
	 * when it probes for optional files (mime.types, locale data), so it is recorded as not forbidden. */
	record(event, detail, write);
	exc = PyObject_CallFunction(PyExc_PermissionError, "isO", EACCES,
				    write ? "the grader allows writing only in the scratch directory"
					  : "the grader does not allow reading this path",
				    pathobj);	/* new */
	if (exc) {
		PyErr_SetObject(PyExc_PermissionError, exc);
		Py_DECREF(exc);
	}
	return -1;
}

/* A descriptor given as a path (open(fd), os.listdir(fd)): anything but the result descriptor. */
static int check_fd(const char *event, PyObject *fdobj)
{
	int overflow = 0;
	long fd = PyLong_AsLongAndOverflow(fdobj, &overflow);
	PyErr_Clear();
	if (policy.result_fd >= 0 && !overflow && fd == policy.result_fd)
		return refuse(event, "the result descriptor");
	return 0;
}

/*
 * Judges one path argument.  dirfd: the dir_fd argument or NULL.  An unresolvable path is refused for writing
 * (it cannot be shown to be inside the scratch directory) and let through for reading (it does not exist).
 */
static int check_path(const char *event, PyObject *pathobj, PyObject *dirfd, bool write)
{
	char resolved[PATH_MAX], base[PATH_MAX];
	const char *basep = NULL, *path;
	PyObject *b;
	int rc;

	if (!pathobj || pathobj == Py_None)
		pathobj = NULL;
	else if (PyLong_Check(pathobj))
		return check_fd(event, pathobj);
	b = pathobj ? path_bytes(pathobj) : PyBytes_FromString(".");	/* new */
	if (!b) {
		PyErr_Clear();
		return write ? refuse(event, "a path the grader cannot check") : 0;
	}
	path = PyBytes_AS_STRING(b);
	if ((size_t)PyBytes_GET_SIZE(b) != strlen(path)) {
		Py_DECREF(b);
		return 0;	/* an embedded NUL: the call itself fails */
	}
	if (dirfd && PyLong_Check(dirfd) && path[0] != '/') {
		long fd = PyLong_AsLong(dirfd);
		PyErr_Clear();
		if (fd >= 0) {
			if (fd_dir((int)fd, base, sizeof(base)) < 0) {
				Py_DECREF(b);
				return write ? refuse(event, "a path relative to an unknown directory") : 0;
			}
			basep = base;
		}
	}
	if (resolve(path, basep, resolved) < 0) {
		rc = write ? refuse_file(event, path, true, pathobj ? pathobj : Py_None) : 0;
	} else if (under(resolved, NO_PYCACHE)) {
		rc = 0;
	} else if (write ? may_write(resolved) : may_read(resolved)) {
		rc = 0;
	} else {
		rc = refuse_file(event, resolved, write, pathobj ? pathobj : Py_None);
	}
	Py_DECREF(b);
	return rc;
}

/* ====================================================================== */
/* Event handlers.  Each returns 0 to allow, -1 with an exception set.     */
/* ====================================================================== */

static bool refused_module(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(refused_modules); i++) {
		size_t n = strlen(refused_modules[i]);
		if (strncmp(name, refused_modules[i], n) == 0 && (name[n] == '\0' || name[n] == '.'))
			return true;
	}
	return false;
}

/* ("import", (module, filename, sys.path, sys.meta_path, sys.path_hooks)); filename is set when an extension
 * module is about to be loaded. */
static int on_import(const char *event, PyObject *args)
{
	PyObject *module = arg(args, 0), *filename = arg(args, 1);
	char name[128], detail[160], resolved[PATH_MAX];
	describe(module, name, sizeof(name));
	if (refused_module(name)) {
		PyObject *msg;
		record(event, name, true);
		msg = PyUnicode_FromFormat("import of '%s' is forbidden by the grader", name);	/* new */
		if (msg) {
			PyErr_SetImportError(msg, module, Py_None);
			Py_DECREF(msg);
		}
		return -1;
	}
	if (filename && filename != Py_None) {
		PyObject *b = path_bytes(filename);	/* new */
		bool ok = b && resolve(PyBytes_AS_STRING(b), NULL, resolved) == 0 && in_read_paths(resolved);
		Py_XDECREF(b);
		if (!ok) {
			/* native code from the submission: everything else here would be moot */
			PyObject *msg;
			describe(filename, resolved, sizeof(resolved));
			snprintf(detail, sizeof(detail), "%.40s from %.110s", name, resolved);
			record(event, detail, true);
			msg = PyUnicode_FromFormat("the grader does not load extension modules from '%s'", resolved);
			if (msg) {
				PyErr_SetImportError(msg, module, filename);
				Py_DECREF(msg);
			}
			return -1;
		}
	}
	return 0;
}

static bool mode_writes(PyObject *mode, PyObject *flags)
{
	if (mode && PyUnicode_Check(mode)) {
		const char *m = PyUnicode_AsUTF8(mode);
		if (m && strpbrk(m, "wax+"))
			return true;
		PyErr_Clear();
	}
	if (flags && PyLong_Check(flags)) {
		long f = PyLong_AsLong(flags);
		PyErr_Clear();
		if (f & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND))
			return true;
	}
	return false;
}

/* ("open", (path, mode, flags)): builtins.open, io.open_code, os.open (mode None), FileIO. */
static int on_open(const char *event, PyObject *args)
{
	return check_path(event, arg(args, 0), NULL, mode_writes(arg(args, 1), arg(args, 2)));
}

/* Events with one path to read at argument 0. */
static int on_read0(const char *event, PyObject *args)
{
	return check_path(event, arg(args, 0), NULL, false);
}

/* Events that change the file system at argument 0, with dir_fd at argument 'dirfd_at' (or none). */
static int check_write0(const char *event, PyObject *args, Py_ssize_t dirfd_at)
{
	return check_path(event, arg(args, 0), dirfd_at >= 0 ? arg(args, dirfd_at) : NULL, true);
}

static int on_mkdir(const char *event, PyObject *args)	/* (path, mode, dir_fd) */
{
	return check_write0(event, args, 2);
}

static int on_remove(const char *event, PyObject *args)	/* os.remove, os.rmdir: (path, dir_fd) */
{
	return check_write0(event, args, 1);
}

static int on_write0(const char *event, PyObject *args)	/* os.truncate (path, length), sqlite... */
{
	return check_write0(event, args, -1);
}

static int on_metadata(const char *event, PyObject *args)	/* os.chmod (path, mode, dir_fd), utime... */
{
	/* The last argument is dir_fd for chmod, chown and utime; xattr calls have none that is an int. */
	PyObject *last = PyTuple_Check(args) && PyTuple_GET_SIZE(args) > 1 ? arg(args, PyTuple_GET_SIZE(args) - 1)
									      : NULL;
	return check_path(event, arg(args, 0), last, true);
}

static int on_rename(const char *event, PyObject *args)	/* os.rename, os.link: (src, dst, src_dir_fd, dst_dir_fd) */
{
	if (check_path(event, arg(args, 0), arg(args, 2), true) < 0)
		return -1;
	return check_path(event, arg(args, 1), arg(args, 3), true);
}

static int on_sqlite_connect(const char *event, PyObject *args)	/* (database) */
{
	PyObject *db = arg(args, 0);
	if (db && PyUnicode_Check(db)) {
		const char *s = PyUnicode_AsUTF8(db);
		PyErr_Clear();
		if (!s || !*s || strcmp(s, ":memory:") == 0)
			return 0;
	}
	return check_write0(event, args, -1);
}

/* ("socket.__new__", (sock, family, type, proto)): AF_UNIX sockets come from socketpair(), which asyncio uses
 * for its self-pipe; seccomp refuses socket(AF_UNIX) itself, so they cannot reach a named socket. */
static int on_socket_new(const char *event, PyObject *args)
{
	PyObject *family = arg(args, 1);
	if (family && PyLong_Check(family) && PyLong_AsLong(family) == AF_UNIX)
		return 0;
	PyErr_Clear();
	return refuse_describing(event, family);
}

/* ("code.__new__", (code, filename, name, argcount, ...)): code.replace() and types.CodeType(). */
static int on_code_new(const char *event, PyObject *args)
{
	PyFrameObject *f = PyEval_GetFrame();	/* borrowed */
	if (f && trusted_code_maker) {
		PyCodeObject *code = PyFrame_GetCode(f);	/* new */
		bool trusted = (PyObject *)code == trusted_code_maker;
		Py_DECREF(code);
		if (trusted)
			return 0;
	}
	return refuse_describing(event, arg(args, 1));	/* the file name says more than the bytecode */
}

static int on_thread(const char *event, PyObject *args)
{
	if (policy.allow_threads)
		return 0;
	record(event, "", true);
	PyErr_SetString(PyExc_RuntimeError, "can't start new thread: threads are forbidden by the grader in this check");
	return -1;
}

static int on_refuse(const char *event, PyObject *args)
{
	return refuse_describing(event, arg(args, 0));
}

static int on_allow(const char *event, PyObject *args)
{
	return 0;
}

/* First match wins: exact names, then prefixes ending in '.'. */
static const struct {
	const char *event;
	int (*handler)(const char *event, PyObject *args);
} handlers[] = {
	{ "import", on_import },
	{ "open", on_open },
	{ "os.listdir", on_read0 },
	{ "os.scandir", on_read0 },
	{ "os.chdir", on_read0 },
	{ "os.getxattr", on_read0 },
	{ "os.listxattr", on_read0 },
	{ "os.mkdir", on_mkdir },
	{ "os.rmdir", on_remove },
	{ "os.remove", on_remove },
	{ "os.rename", on_rename },
	{ "os.link", on_rename },
	{ "os.truncate", on_write0 },
	{ "os.chmod", on_metadata },
	{ "os.chown", on_metadata },
	{ "os.chflags", on_metadata },
	{ "os.utime", on_metadata },
	{ "os.setxattr", on_metadata },
	{ "os.removexattr", on_metadata },
	{ "sqlite3.connect", on_sqlite_connect },
	{ "socket.__new__", on_socket_new },
	{ "socket.gethostname", on_allow },
	{ "_thread.start_new_thread", on_thread },
	{ "_thread.start_joinable_thread", on_thread },
	/* native code and forged bytecode */
	{ "code.__new__", on_code_new },
	{ "marshal.load", on_refuse },
	{ "marshal.loads", on_refuse },
	{ "ctypes.", on_refuse },
	{ "sqlite3.enable_load_extension", on_refuse },
	{ "sqlite3.load_extension", on_refuse },
	{ "setopencodehook", on_refuse },
	/* processes and signals */
	{ "os.system", on_refuse },
	{ "os.exec", on_refuse },
	{ "os.posix_spawn", on_refuse },
	{ "os.spawn", on_refuse },
	{ "os.fork", on_refuse },
	{ "os.forkpty", on_refuse },
	{ "os.kill", on_refuse },
	{ "os.killpg", on_refuse },
	{ "os.startfile", on_refuse },
	{ "signal.pthread_kill", on_refuse },
	{ "pty.spawn", on_refuse },
	{ "subprocess.Popen", on_refuse },
	{ "webbrowser.open", on_refuse },
	{ "ensurepip.bootstrap", on_refuse },
	/* network */
	{ "socket.", on_refuse },
	{ "http.client.", on_refuse },
	{ "ftplib.", on_refuse },
	{ "smtplib.", on_refuse },
	{ "imaplib.", on_refuse },
	{ "nntplib.", on_refuse },
	{ "poplib.", on_refuse },
	{ "telnetlib.", on_refuse },
	{ "urllib.", on_refuse },
	{ "syslog.", on_refuse },
	/* measurement, and reaching the grader's objects */
	{ "sys.settrace", on_refuse },
	{ "sys.setprofile", on_refuse },
	{ "sys.monitoring.register_callback", on_refuse },	/* 3.12+: PEP 669, settrace's successor */
	{ "sys.addaudithook", on_refuse },
	{ "sys.remote_exec", on_refuse },
	{ "gc.get_objects", on_refuse },
	{ "gc.get_referrers", on_refuse },
	{ "builtins.breakpoint", on_refuse },
	{ "pdb.Pdb", on_refuse },
	{ "resource.setrlimit", on_refuse },
	{ "resource.prlimit", on_refuse },
	{ "os.symlink", on_refuse },
};

/*
 * Handlers grouped by the first character of their event name, so that frequent harmless events ("builtins.id"
 * on every id(), "object.__getattr__", "exec") cost a couple of comparisons: without this an armed interpreter
 * ran an id() loop four times slower.
 */
#define MAX_PER_CHAR 32
static unsigned char n_by_char[256];
static unsigned char by_char[256][MAX_PER_CHAR];

/* Returns -1 if a group overflows: a table edit that needs a larger MAX_PER_CHAR (the tests would fail). */
static int index_handlers(void)
{
	memset(n_by_char, 0, sizeof(n_by_char));
	for (size_t i = 0; i < ARRAY_SIZE(handlers); i++) {
		unsigned char c = (unsigned char)handlers[i].event[0];
		if (n_by_char[c] == MAX_PER_CHAR)
			return -1;
		by_char[c][n_by_char[c]++] = (unsigned char)i;
	}
	return 0;
}

static int hook(const char *event, PyObject *args, void *data)
{
	unsigned char c = (unsigned char)event[0];
	if (!policy.armed)
		return 0;
	for (unsigned k = 0; k < n_by_char[c]; k++) {
		unsigned i = by_char[c][k];
		const char *name = handlers[i].event;
		size_t n = strlen(name);
		bool match = name[n - 1] == '.' ? strncmp(event, name, n) == 0 : strcmp(event, name) == 0;
		if (match)
			return handlers[i].handler(event, args);
	}
	return 0;
}

/* ====================================================================== */
/* Public functions.                                                       */
/* ====================================================================== */

int audit_install(void)
{
	_Static_assert(sizeof(handlers) / sizeof(handlers[0]) < 256, "by_char holds bytes");
	if (index_handlers() < 0)
		return -1;
	return PySys_AddAuditHook(hook, NULL) == 0 ? 0 : -1;
}

/* Deletes refused modules from sys.modules, so that importing them raises the import event again. */
/* Reads sys.modules without writing to it (no new references, no list): a check child calls this after the
 * zygote purged, and a pass that finds nothing must not copy the heap's pages. */
static int purge_modules(void)
{
	PyObject *modules = PyImport_GetModuleDict();	/* borrowed */
	PyObject *key, *value;	/* borrowed */
	PyObject *doomed[64];	/* borrowed until deleted: sys.modules holds them */
	Py_ssize_t pos = 0;
	size_t n = 0;
	bool more = false;
	while (PyDict_Next(modules, &pos, &key, &value)) {
		const char *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
		if (!name) {
			PyErr_Clear();
			continue;
		}
		if (!refused_module(name))
			continue;
		if (n == ARRAY_SIZE(doomed)) {
			more = true;
			break;
		}
		doomed[n++] = key;
	}
	for (size_t i = 0; i < n; i++) {
		Py_INCREF(doomed[i]);
		int rc = PyDict_DelItem(modules, doomed[i]);
		Py_DECREF(doomed[i]);
		if (rc < 0)
			return -1;
	}
	return more ? purge_modules() : 0;
}

/* sys.dont_write_bytecode, sys.pycache_prefix, and TMPDIR so that tempfile does not probe /tmp first. */
static int set_interpreter_state(const char *scratch)
{
	PyObject *prefix = NULL, *os = NULL, *environ = NULL, *dir = NULL, *tempfile;
	int rc = -1;
	if (PySys_SetObject("dont_write_bytecode", Py_True) < 0)
		goto done;
	if (!(prefix = PyUnicode_FromString(NO_PYCACHE)) || PySys_SetObject("pycache_prefix", prefix) < 0)
		goto done;
	if (!(os = PyImport_ImportModule("os")) || !(environ = PyObject_GetAttrString(os, "environ")))
		goto done;
	if (!(dir = PyUnicode_DecodeFSDefault(scratch)) || PyMapping_SetItemString(environ, "TMPDIR", dir) < 0)
		goto done;
	tempfile = PyDict_GetItemString(PyImport_GetModuleDict(), "tempfile");	/* borrowed, or NULL */
	if (tempfile && PyObject_SetAttrString(tempfile, "tempdir", Py_None) < 0)	/* forget a cached choice */
		goto done;
	rc = 0;
done:
	Py_XDECREF(prefix);
	Py_XDECREF(os);
	Py_XDECREF(environ);
	Py_XDECREF(dir);
	return rc;
}

/*
 * Imports the frozen standard modules (importlib.machinery, importlib.util, runpy...) that are not loaded yet.
 * Since 3.13 unmarshalling a frozen module raises marshal.loads, indistinguishable from a student's call, and the
 * trick of trusting importlib's frames would not survive a student replacing _imp.get_frozen_object.  Modules
 * only meant for tests (__hello__...) and site are left alone.
 */
static int import_frozen_modules(void)
{
	PyObject *imp = PyImport_ImportModule("_imp"), *names = NULL;	/* new, new */
	int rc = -1;
	if (!imp)
		return -1;
	if (!PyObject_HasAttrString(imp, "_frozen_module_names")) {
		rc = 0;	/* before 3.11 */
		goto done;
	}
	names = PyObject_CallMethod(imp, "_frozen_module_names", NULL);
	if (!names || !PyList_Check(names))
		goto done;
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(names); i++) {
		PyObject *name = PyList_GET_ITEM(names, i), *m;	/* borrowed */
		const char *s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
		if (!s || strncmp(s, "__", 2) == 0 || strcmp(s, "site") == 0)
			continue;
		m = PyImport_Import(name);	/* new */
		if (!m)
			goto done;
		Py_DECREF(m);
	}
	rc = 0;
done:
	Py_XDECREF(names);
	Py_DECREF(imp);
	return rc;
}

int audit_prepare(void)
{
	PyObject *types, *coroutine;
	if (trusted_code_maker)
		return 0;
	if (import_frozen_modules() < 0)
		return -1;
	types = PyImport_ImportModule("types");	/* new */
	coroutine = types ? PyObject_GetAttrString(types, "coroutine") : NULL;	/* new */
	if (coroutine)
		trusted_code_maker = PyObject_GetAttrString(coroutine, "__code__");
	Py_XDECREF(types);
	Py_XDECREF(coroutine);
	return trusted_code_maker ? 0 : -1;
}

/* The scratch directory set_interpreter_state() last prepared this interpreter for ("" none). */
static char preset_scratch[PATH_MAX];

int audit_preset(const char *scratch_dir)
{
	preset_scratch[0] = '\0';
	if (strlen(scratch_dir) >= sizeof(preset_scratch)) {
		PyErr_SetString(PyExc_ValueError, "scratch path too long");
		return -1;
	}
	if (purge_modules() < 0 || set_interpreter_state(scratch_dir) < 0)
		return -1;
	snprintf(preset_scratch, sizeof(preset_scratch), "%s", scratch_dir);
	return 0;
}

int audit_arm(const struct audit_policy *p)
{
	size_t n = 0;
	policy.armed = false;
	if (!p->scratch_dir || !realpath(p->scratch_dir, policy.scratch)) {
		PyErr_SetFromErrnoWithFilename(PyExc_OSError, p->scratch_dir ? p->scratch_dir : "(null)");
		return -1;
	}
	for (const char *const *path = p->read_paths; path && *path; path++) {
		if (n == MAX_READ_PATHS) {
			PyErr_Format(PyExc_ValueError, "more than %d read-only paths", MAX_READ_PATHS);
			return -1;
		}
		if (p->resolved && strlen(*path) < sizeof(policy.read[n]))
			snprintf(policy.read[n++], sizeof(policy.read[n]), "%s", *path);
		else if (!p->resolved && realpath(*path, policy.read[n]))
			n++;	/* a missing path allows nothing */
	}
	policy.n_read = n;
	policy.allow_threads = p->allow_threads;
	policy.result_fd = p->result_fd;
	if (purge_modules() < 0)
		return -1;
	/* A forked child runs nothing between the zygote's preset and this. */
	if (strcmp(preset_scratch, policy.scratch) != 0 && set_interpreter_state(policy.scratch) < 0)
		return -1;
	if (audit_prepare() < 0)
		return -1;
	n_violations = n_dropped = 0;
	memset(violations, 0, sizeof(violations));
	policy.armed = true;
	return 0;
}

void audit_clear_violations(void)
{
	n_violations = n_dropped = 0;
	memset(violations, 0, sizeof(violations));
}

void audit_disarm(void)
{
	policy.armed = false;
}

bool audit_armed(void)
{
	return policy.armed;
}

size_t audit_violations(const struct audit_violation **out, size_t *dropped)
{
	*out = violations;
	if (dropped)
		*dropped = n_dropped;
	return n_violations;
}

static bool add_unique(char **paths, size_t *n, size_t max, const char *path)
{
	char real[PATH_MAX];
	struct stat st;
	if (*n >= max || !realpath(path, real) || stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(paths[i], real) == 0)
			return false;
	paths[(*n)++] = xstrdup(real);
	return true;
}

char **audit_python_paths(void)
{
	PyObject *sys_path = PySys_GetObject("path");	/* borrowed */
	PyObject *base = PySys_GetObject("base_prefix");	/* borrowed */
	size_t n = 0, max = MAX_READ_PATHS;
	char **paths = xcalloc(max + 1, sizeof(*paths));

	if (!sys_path || !PyList_Check(sys_path)) {
		free(paths);
		PyErr_SetString(PyExc_RuntimeError, "sys.path is not a list");
		return NULL;
	}
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(sys_path); i++) {
		PyObject *b = path_bytes(PyList_GET_ITEM(sys_path, i));	/* new */
		if (b)
			add_unique(paths, &n, max, PyBytes_AS_STRING(b));
		Py_XDECREF(b);
	}
	if (base && PyUnicode_Check(base)) {
		PyObject *b = PyUnicode_EncodeFSDefault(base);	/* new */
		char lib[PATH_MAX];
		if (b && (size_t)snprintf(lib, sizeof(lib), "%s/lib", PyBytes_AS_STRING(b)) < sizeof(lib))
			add_unique(paths, &n, max, lib);
		Py_XDECREF(b);
	}
	PyErr_Clear();
	return paths;
}

void audit_free_paths(char **paths)
{
	if (!paths)
		return;
	for (char **p = paths; *p; p++)
		free(*p);
	free(paths);
}
