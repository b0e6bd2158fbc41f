/*
 * Tests for the audit hook: CPython is initialized in each test process (the hook is added before
 * Py_Initialize), the hook is armed, and snippets run with PyRun_String in a fresh namespace.  Snippets check
 * their own exceptions in Python and end normally when the hook behaved; run() returns "" then, or the
 * exception that escaped.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/audit.h"
#include "sandbox/sandbox.h"

static char scratch[64];
static char **python_paths;
static const char *read_paths[64];

static void start_python(void)
{
	PyConfig config;
	PyStatus status;
	size_t n = 0;

	strcpy(scratch, "/tmp/grade-audit.XXXXXX");
	cr_assert_not_null(mkdtemp(scratch));
	cr_assert_eq(chdir(scratch), 0);
	cr_assert_eq(audit_install(), 0);
	PyConfig_InitIsolatedConfig(&config);
	config.site_import = 0;
	config.write_bytecode = 0;
	config.install_signal_handlers = 0;
	status = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	cr_assert_not(PyStatus_Exception(status), "cannot start Python: %s", status.err_msg);

	python_paths = audit_python_paths();
	cr_assert_not_null(python_paths);
	for (char **p = python_paths; *p; p++)
		read_paths[n++] = *p;
	for (const char *const *p = sandbox_system_read_paths(); *p; p++)
		read_paths[n++] = *p;
	read_paths[n] = NULL;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void stop_python(void)
{
	audit_disarm();
	Py_FinalizeEx();
	audit_free_paths(python_paths);
	if (chdir("/") == 0)
		nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(audit, .init = start_python, .fini = stop_python, .timeout = 30);

static struct audit_policy policy(void)
{
	struct audit_policy p = {
		.scratch_dir = scratch,
		.read_paths = read_paths,
		.result_fd = -1,
	};
	return p;
}

static void arm(void)
{
	struct audit_policy p = policy();
	cr_assert_eq(audit_arm(&p), 0);
}

/* Takes the pending exception and formats it as "Type: message" into buf. */
static const char *take_exception(char *buf, size_t n)
{
	PyObject *type, *value, *tb, *text;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	text = value ? PyObject_Str(value) : NULL;
	snprintf(buf, n, "%s: %s", type ? ((PyTypeObject *)type)->tp_name : "?",
		 text && PyUnicode_Check(text) ? PyUnicode_AsUTF8(text) : "?");
	Py_XDECREF(text);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	PyErr_Clear();
	return buf;
}

/* Runs src in a fresh namespace; returns "" or the exception that escaped. */
static const char *run(const char *src)
{
	static char result[512];
	PyObject *globals = PyDict_New(), *r;
	result[0] = '\0';
	cr_assert_not_null(globals);
	PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
	r = PyRun_String(src, Py_file_input, globals, globals);
	if (!r)
		take_exception(result, sizeof(result));
	Py_XDECREF(r);
	Py_DECREF(globals);
	return result;
}

#define assert_runs(src) do { \
		const char *exc_ = run(src); \
		cr_assert_str_eq(exc_, "", "snippet raised %s", exc_); \
	} while (0)

static const struct audit_violation *only_violation(void)
{
	const struct audit_violation *v;
	size_t dropped;
	size_t n = audit_violations(&v, &dropped);
	cr_assert_eq(n, 1, "%zu violations recorded (first: %s %s)", n, n ? v[0].event : "", n ? v[0].detail : "");
	cr_assert_eq(dropped, 0);
	return &v[0];
}

static void write_scratch_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/* ---------------------------------------------------------------------- */

Test(audit, disarmed_hook_allows_everything)
{
	const struct audit_violation *v;
	assert_runs("import marshal\nmarshal.loads(marshal.dumps(1))\nopen('/etc/passwd').close()\n");
	cr_assert_eq(audit_violations(&v, NULL), 0);
	cr_assert_not(audit_armed());
}

Test(audit, import_of_ctypes_is_refused_and_recorded)
{
	const struct audit_violation *v;
	arm();
	assert_runs("x = 1\n"
		    "try:\n"
		    "    import ctypes\n"
		    "except ImportError as e:\n"
		    "    assert 'forbidden' in str(e), e\n"
		    "else:\n"
		    "    raise AssertionError('imported')\n");
	v = only_violation();
	cr_assert_str_eq(v->event, "import");
	cr_assert_str_eq(v->detail, "ctypes");
	cr_assert_str_eq(v->file, "<string>");
	cr_assert_eq(v->line, 3);
	cr_assert(v->forbidden);
}

Test(audit, ctypes_imported_before_arming_is_purged)
{
	assert_runs("import ctypes, ctypes.util\n");
	arm();
	assert_runs("import sys\n"
		    "assert 'ctypes' not in sys.modules and '_ctypes' not in sys.modules\n"
		    "try:\n"
		    "    from ctypes import util\n"
		    "except ImportError:\n"
		    "    pass\n"
		    "else:\n"
		    "    raise AssertionError('imported')\n");
	cr_assert_str_eq(only_violation()->detail, "ctypes");
}

Test(audit, processes_are_refused)
{
	const struct audit_violation *v;
	size_t n;
	arm();
	assert_runs("import os, subprocess\n"
		    "for f in (lambda: os.system('id'), lambda: subprocess.run(['id']), os.fork,\n"
		    "          lambda: os.execv('/bin/true', ['true']), lambda: os.kill(os.getppid(), 0),\n"
		    "          lambda: os.posix_spawn('/bin/true', ['true'], {})):\n"
		    "    try:\n"
		    "        f()\n"
		    "    except PermissionError as e:\n"
		    "        assert 'forbidden by the grader' in str(e), e\n"
		    "    else:\n"
		    "        raise AssertionError(f)\n");
	n = audit_violations(&v, NULL);
	cr_assert_eq(n, 6);
	cr_assert_str_eq(v[0].event, "os.system");
	cr_assert_str_eq(v[0].detail, "id");
	cr_assert_eq(v[0].line, 2, "the innermost student frame: the lambda");
	cr_assert_str_eq(v[1].event, "subprocess.Popen");
	cr_assert_str_eq(v[2].event, "os.fork");
	cr_assert_str_eq(v[3].event, "os.exec");
	cr_assert_str_eq(v[4].event, "os.kill");
	cr_assert_str_eq(v[5].event, "os.posix_spawn");
}

Test(audit, network_is_refused_but_socketpair_works)
{
	arm();
	assert_runs("import socket\n"
		    "a, b = socket.socketpair()\n"
		    "a.send(b'x')\n"
		    "assert b.recv(1) == b'x'\n"
		    "try:\n"
		    "    socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
		    "except PermissionError:\n"
		    "    pass\n"
		    "else:\n"
		    "    raise AssertionError('socket')\n");
	cr_assert_str_eq(only_violation()->event, "socket.__new__");
}

Test(audit, files_outside_the_sandbox_are_refused)
{
	const struct audit_violation *v;
	size_t n;
	write_scratch_file("given.txt", "given");
	cr_assert_eq(symlink("/etc/passwd", "escape"), 0);
	arm();
	assert_runs("import errno, os, pathlib\n"
		    "assert open('given.txt').read() == 'given'\n"
		    "with open('out.txt', 'w') as f:\n"
		    "    f.write('hello')\n"
		    "pathlib.Path('sub').mkdir()\n"
		    "os.rename('out.txt', 'sub/out.txt')\n"
		    "import shutil\n"
		    "shutil.rmtree('sub')\n"
		    "open('/dev/null', 'w').write('x')\n"
		    "for path, mode in (('/etc/passwd', 'r'), ('escape', 'r'), ('/tmp/grade-audit-out', 'w'),\n"
		    "                   ('../x', 'w')):\n"
		    "    try:\n"
		    "        open(path, mode)\n"
		    "    except PermissionError as e:\n"
		    "        assert e.errno == errno.EACCES and e.filename == path, e\n"
		    "    else:\n"
		    "        raise AssertionError(path)\n");
	n = audit_violations(&v, NULL);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(v[0].event, "open");
	cr_assert_str_eq(v[0].detail, "/etc/passwd (read)");
	cr_assert_not(v[0].forbidden, "reading is what stdlib probes do");
	cr_assert_eq(v[0].line, 13);
	cr_assert_str_eq(v[1].detail, "/etc/passwd (read)", "the symlink is judged by its target");
	cr_assert_str_eq(v[2].detail, "/tmp/grade-audit-out (write)");
	cr_assert(v[2].forbidden);
	cr_assert(v[3].forbidden);
	cr_assert_neq(access("/tmp/grade-audit-out", F_OK), 0);
}

Test(audit, paths_through_missing_directories_are_judged_by_where_they_point)
{
	const struct audit_violation *v;
	size_t n;
	arm();
	/* A grader tree this process cannot see (say, under a /tmp the supervisor covered) is still outside the
	 * sandbox: refused, not merely missing.  A missing directory inside scratch is just missing. */
	assert_runs("import errno\n"
		    "try:\n"
		    "    open('/nonexistent-grade-tree/rubrics/refcount.yaml')\n"
		    "except PermissionError as e:\n"
		    "    assert e.errno == errno.EACCES, e\n"
		    "else:\n"
		    "    raise AssertionError('read through a missing directory')\n"
		    "for path, mode in (('no/such/dir.txt', 'r'), ('no/such/dir.txt', 'w')):\n"
		    "    try:\n"
		    "        open(path, mode)\n"
		    "    except FileNotFoundError:\n"
		    "        pass\n");
	n = audit_violations(&v, NULL);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0].detail, "/nonexistent-grade-tree/rubrics/refcount.yaml (read)");
}

Test(audit, listing_and_deleting_outside_are_refused)
{
	arm();
	assert_runs("import os\n"
		    "os.listdir('.')\n"
		    "for f in (lambda: os.listdir('/etc'), lambda: os.remove('/tmp/nothing-here'),\n"
		    "          lambda: os.mkdir('/tmp/grade-audit-dir'), lambda: os.symlink('/etc', 'link')):\n"
		    "    try:\n"
		    "        f()\n"
		    "    except PermissionError:\n"
		    "        pass\n"
		    "    else:\n"
		    "        raise AssertionError(f)\n");
}

Test(audit, result_descriptor_cannot_be_opened_by_number)
{
	struct audit_policy p = policy();
	int fds[2];
	char src[256];
	cr_assert_eq(pipe(fds), 0);
	p.result_fd = fds[1];
	cr_assert_eq(audit_arm(&p), 0);
	snprintf(src, sizeof(src),
		 "try:\n"
		 "    open(%d, 'wb')\n"
		 "except PermissionError:\n"
		 "    pass\n"
		 "else:\n"
		 "    raise AssertionError('opened')\n"
		 "open(1, 'w', closefd=False).flush()\n", fds[1]);
	assert_runs(src);
	cr_assert_str_eq(only_violation()->detail, "the result descriptor");
	close(fds[0]);
	close(fds[1]);
}

Test(audit, forged_bytecode_is_refused)
{
	arm();
	assert_runs("import marshal\n"
		    "for f in (lambda: (lambda: 0).__code__.replace(co_consts=(1,)),\n"
		    "          lambda: marshal.loads(marshal.dumps(1))):\n"
		    "    try:\n"
		    "        f()\n"
		    "    except PermissionError:\n"
		    "        pass\n"
		    "    else:\n"
		    "        raise AssertionError(f)\n"
		    "marshal.dumps(1)\n");
}

/* A .pyc in the scratch directory is bytecode the student wrote: importing it needs marshal.loads. */
Test(audit, sourceless_pyc_in_scratch_is_refused)
{
	const struct audit_violation *v;
	assert_runs("import marshal, importlib.util\n"
		    "data = importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(compile('x = 1', 'mod', 'exec'))\n"
		    "open('mod.pyc', 'wb').write(data)\n");
	arm();
	assert_runs("import sys\n"
		    "sys.path.insert(0, '.')\n"
		    "try:\n"
		    "    import mod\n"
		    "except PermissionError:\n"
		    "    pass\n"
		    "else:\n"
		    "    raise AssertionError('imported')\n");
	cr_assert_eq(audit_violations(&v, NULL), 1);
	cr_assert_str_eq(v[0].event, "marshal.loads");
}

/* An extension module shipped in the submission is native code: refused before it is loaded. */
Test(audit, extension_module_from_scratch_is_refused)
{
	const struct audit_violation *v;
	assert_runs("import os, shutil, sys\n"
		    "dynload = [p for p in sys.path if p.endswith('lib-dynload')][0]\n"
		    "so = os.path.join(dynload, sorted(os.listdir(dynload))[0])\n"
		    "shutil.copy(so, 'evil.cpython-311-x86_64-linux-gnu.so')\n"
		    "shutil.copy(so, 'evil.so')\n");
	arm();
	assert_runs("import sys\n"
		    "sys.path.insert(0, '.')\n"
		    "try:\n"
		    "    import evil\n"
		    "except ImportError as e:\n"
		    "    assert 'does not load extension modules' in str(e), e\n"
		    "else:\n"
		    "    raise AssertionError('loaded')\n");
	cr_assert_eq(audit_violations(&v, NULL), 1);
	cr_assert_str_eq(v[0].event, "import");
	cr_assert(strstr(v[0].detail, "evil from ") == v[0].detail, "%s", v[0].detail);
	cr_assert(v[0].forbidden);
}

Test(audit, tampering_with_measurement_is_refused)
{
	const struct audit_violation *v;
	arm();
	assert_runs("import sys, gc\n"
		    "for f in (lambda: sys.settrace(lambda *a: None), lambda: sys.setprofile(lambda *a: None),\n"
		    "          gc.get_objects, lambda: gc.get_referrers(sys), breakpoint):\n"
		    "    try:\n"
		    "        f()\n"
		    "    except PermissionError:\n"
		    "        pass\n"
		    "    else:\n"
		    "        raise AssertionError(f)\n"
		    "# sys.addaudithook swallows a hook's Exception and just does not add the new hook\n"
		    "seen = []\n"
		    "sys.addaudithook(lambda *a: seen.append(a))\n"
		    "sys.audit('grade.test')\n"
		    "assert not seen\n"
		    "gc.get_referents(sys)\n"
		    "sys._getframe()\n");
	cr_assert_eq(audit_violations(&v, NULL), 6);
	cr_assert_str_eq(v[0].event, "sys.settrace");
	cr_assert_str_eq(v[2].event, "gc.get_objects");
	cr_assert_str_eq(v[4].event, "builtins.breakpoint");
	cr_assert_str_eq(v[5].event, "sys.addaudithook");
}

/* PEP 669 (3.12+) is settrace's successor: registering a callback is refused the same way. */
Test(audit, monitoring_callbacks_are_refused)
{
	const struct audit_violation *v;
	if (PY_VERSION_HEX < 0x030C0000)
		cr_skip_test("no sys.monitoring before CPython 3.12");
	arm();
	assert_runs("import sys\n"
		    "m = sys.monitoring\n"
		    "m.use_tool_id(3, 'student')\n"
		    "try:\n"
		    "    m.register_callback(3, m.events.PY_START, lambda *a: None)\n"
		    "except PermissionError:\n"
		    "    pass\n"
		    "else:\n"
		    "    raise AssertionError('registered')\n"
		    "m.free_tool_id(3)\n");
	cr_assert_eq(audit_violations(&v, NULL), 1);
	cr_assert_str_eq(v[0].event, "sys.monitoring.register_callback");
}

Test(audit, ordinary_code_still_works)
{
	const struct audit_violation *v;
	size_t n;
	arm();
	/* fractions, statistics and csv are not imported yet: they compile from source, without marshal */
	assert_runs("import json, math, fractions, decimal, statistics, csv, dataclasses, io, tempfile, logging\n"
		    "assert json.loads(json.dumps({'pi': math.pi}))['pi'] == math.pi\n"
		    "assert fractions.Fraction(1, 3) * 3 == 1\n"
		    "assert decimal.Decimal('0.1') * 3 == decimal.Decimal('0.3')\n"
		    "assert statistics.mean([1, 2, 3]) == 2\n"
		    "@dataclasses.dataclass\n"
		    "class P:\n"
		    "    x: int\n"
		    "P.count = 0\n"
		    "with tempfile.TemporaryFile() as f:\n"
		    "    f.write(b'x')\n"
		    "log = logging.getLogger('t')\n"
		    "log.addHandler(logging.NullHandler())\n"
		    "log.propagate = False\n"
		    "log.warning('logging walks frames with sys._getframe')\n");
	n = audit_violations(&v, NULL);
	cr_assert_eq(n, 0, "%zu violations, first: %s %s", n, n ? v[0].event : "", n ? v[0].detail : "");
}

Test(audit, caught_violations_stay_recorded_and_overflow_is_counted)
{
	const struct audit_violation *v;
	size_t dropped;
	arm();
	assert_runs("import os\n"
		    "for i in range(40):\n"
		    "    try:\n"
		    "        os.system('x')\n"
		    "    except Exception:\n"
		    "        pass\n");
	cr_assert_eq(audit_violations(&v, &dropped), AUDIT_MAX_VIOLATIONS);
	cr_assert_eq(dropped, 40 - AUDIT_MAX_VIOLATIONS);
	audit_disarm();
	assert_runs("import marshal\nmarshal.loads(marshal.dumps(1))\n");
	cr_assert_eq(audit_violations(&v, &dropped), AUDIT_MAX_VIOLATIONS);
}

Test(audit, python_paths_cover_the_standard_library)
{
	PyObject *os = PyImport_ImportModule("os"), *file;
	const char *os_file;
	bool found = false;
	cr_assert_not_null(os);
	file = PyObject_GetAttrString(os, "__file__");
	os_file = PyUnicode_AsUTF8(file);
	for (char **p = python_paths; *p; p++) {
		size_t n = strlen(*p);
		cr_assert_eq((*p)[0], '/');
		found |= strncmp(os_file, *p, n) == 0 && os_file[n] == '/';
	}
	cr_assert(found, "%s is under none of the paths", os_file);
	Py_DECREF(file);
	Py_DECREF(os);
}

/*
 * Both layers at once, as in a real check child: after sandbox_enter() (Landlock, seccomp) and audit_arm(),
 * importing standard modules that were not imported before still works, and so does asyncio.
 */
Test(audit, stdlib_imports_work_inside_the_sandbox)
{
	struct sandbox_layers host, applied;
	int status;
	pid_t pid;

	sandbox_probe(&host);
	PyOS_BeforeFork();
	pid = fork();
	if (pid == 0) {
		struct sandbox_policy sp = { .scratch_dir = scratch, .read_paths = read_paths, .result_fd = -1 };
		struct audit_policy ap = policy();
		const struct audit_violation *v;
		char err[256];
		const char *exc;
		size_t n;
		PyOS_AfterFork_Child();
		if (sandbox_enter(&sp, &host, &applied, err, sizeof(err)) < 0) {
			fprintf(stderr, "sandbox_enter: %s\n", err);
			_exit(2);
		}
		if (audit_arm(&ap) < 0)
			_exit(3);
		exc = run("import decimal, fractions, statistics, datetime, zoneinfo, random, csv, heapq, bisect\n"
			  "import asyncio, hashlib, struct, array, textwrap, string, unicodedata, enum, typing\n"
			  "assert fractions.Fraction(1, 3) * 3 == 1 and decimal.Decimal('1.1') + 1 == decimal.Decimal('2.1')\n"
			  "assert statistics.median([3, 1, 2]) == 2\n"
			  "async def main():\n"
			  "    await asyncio.sleep(0.01)\n"
			  "    return 42\n"
			  "assert asyncio.run(main()) == 42\n"
			  "assert hashlib.sha256(b'x').hexdigest()\n"
			  "print(datetime.datetime.now().astimezone().tzinfo is not None, file=open('/dev/null', 'w'))\n"
			  "assert len(random.sample(range(100), 5)) == 5\n"
			  "try:\n"
			  "    open('/etc/passwd')\n"
			  "except PermissionError:\n"
			  "    pass\n"
			  "else:\n"
			  "    raise AssertionError('/etc/passwd')\n");
		if (exc[0]) {
			fprintf(stderr, "in the sandbox: %s\n", exc);
			_exit(4);
		}
		n = audit_violations(&v, NULL);
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i].detail, "/etc/passwd (read)") != 0) {
				fprintf(stderr, "unexpected violation: %s %s\n", v[i].event, v[i].detail);
				_exit(5);
			}
		/* and with the hook out of the way, Landlock still says no */
		audit_disarm();
		exc = run("open('/etc/passwd')\n");
		_exit(strncmp(exc, "PermissionError", 15) == 0 ? 0 : 6);
	}
	PyOS_AfterFork_Parent();
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "killed by signal %d", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0);
}

/* 3.12 and later announce thread starts; 3.11 does not, and only seccomp refuses them there. */
Test(audit, threads_only_when_allowed)
{
	struct audit_policy p = policy();
	const struct audit_violation *v;
	if (PY_VERSION_HEX < 0x030C0000)
		cr_skip_test("no thread audit event before Python 3.12");
	cr_assert_eq(audit_arm(&p), 0);
	assert_runs("import threading\n"
		    "try:\n"
		    "    threading.Thread(target=print).start()\n"
		    "except RuntimeError as e:\n"
		    "    assert 'forbidden by the grader' in str(e), e\n"
		    "else:\n"
		    "    raise AssertionError('started')\n");
	cr_assert_eq(audit_violations(&v, NULL), 1);
	cr_assert(strncmp(v[0].event, "_thread.start_", 14) == 0, "%s", v[0].event);
	p.allow_threads = true;
	cr_assert_eq(audit_arm(&p), 0);
	assert_runs("import threading\n"
		    "t = threading.Thread(target=len, args=((),))\n"
		    "t.start()\n"
		    "t.join()\n");
	cr_assert_eq(audit_violations(&v, NULL), 0);
}
