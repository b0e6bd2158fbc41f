/* The allocator hook: counts, peaks, removal by tracemalloc, re-entrancy,
 * in an interpreter started for the test. */
#include <criterion/criterion.h>

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "measure/allochook.h"

static PyObject *globals;

static void start(void)
{
	Py_InitializeEx(0);
	globals = PyDict_New();
	PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
	PyObject *r = PyRun_String("import gc, tracemalloc\n", Py_file_input, globals, globals);
	cr_assert_not_null(r);
	Py_DECREF(r);
}

static void stop(void)
{
	allochook_uninstall();
}

TestSuite(allochook, .init = start, .fini = stop, .timeout = 30);

static void run(const char *code)
{
	PyObject *v = PyRun_String(code, Py_file_input, globals, globals); /* new */
	if (!v)
		PyErr_Print();
	cr_assert_not_null(v, "exec failed: %s", code);
	Py_DECREF(v);
}

/* Prepared outside the measured window: compiling allocates. */
static PyObject *compile(const char *code)
{
	PyObject *c = Py_CompileString(code, "<test>", Py_file_input); /* new */
	cr_assert_not_null(c);
	return c;
}

static void exec_code(PyObject *code)
{
	PyObject *v = PyEval_EvalCode(code, globals, globals); /* new */
	if (!v)
		PyErr_Print();
	cr_assert_not_null(v);
	Py_DECREF(v);
}

Test(allochook, counts_a_kept_block)
{
	PyObject *code = compile("kept = bytearray(1000000)\n");
	exec_code(code);   /* warm: the name 'kept' exists */
	run("del kept\n");
	cr_assert_eq(allochook_install(), 0);
	exec_code(code);
	struct allochook_stats s;
	allochook_read(&s);
	cr_expect(allochook_intact());
	allochook_uninstall();
	cr_expect_geq(s.net_bytes, 1000000);
	cr_expect_lt(s.net_bytes, 1000000 + 1024, "net %lld", s.net_bytes);
	cr_expect_geq(s.peak_bytes, (size_t)s.net_bytes);
	cr_expect_geq(s.allocations, 1);
	cr_expect_geq(s.live_blocks, 1);
	cr_expect(!s.overflow);
	run("del kept\n");
	Py_DECREF(code);
}

Test(allochook, peak_of_a_freed_block)
{
	PyObject *code = compile("b = bytearray(2000000)\ndel b\n");
	exec_code(code);
	cr_assert_eq(allochook_install(), 0);
	exec_code(code);
	struct allochook_stats s;
	allochook_read(&s);
	allochook_uninstall();
	cr_expect_geq(s.peak_bytes, 2000000);
	cr_expect_lt(s.peak_bytes, 2000000 + 2048, "peak %zu", s.peak_bytes);
	cr_expect_lt(s.net_bytes < 0 ? -s.net_bytes : s.net_bytes, 1024, "net %lld", s.net_bytes);
	cr_expect_eq(s.frees >= 1, true);
	Py_DECREF(code);
}

Test(allochook, reset_starts_a_new_window)
{
	PyObject *a = compile("x = [bytes(100) for _ in range(1000)]\n");
	PyObject *b = compile("y = 1\n");
	exec_code(a);
	exec_code(b);
	cr_assert_eq(allochook_install(), 0);
	exec_code(a);
	allochook_reset();
	exec_code(b);
	struct allochook_stats s;
	allochook_read(&s);
	allochook_uninstall();
	cr_expect_lt(s.peak_bytes, 256, "peak %zu", s.peak_bytes);
	cr_expect_lt(s.allocations, 8, "allocations %llu", (unsigned long long)s.allocations);
	run("del x, y\n");
	Py_DECREF(a);
	Py_DECREF(b);
}

Test(allochook, thousands_of_blocks_grow_the_table)
{
	PyObject *code = compile("many = [object() for _ in range(200000)]\n");
	exec_code(code);
	run("del many\n");
	cr_assert_eq(allochook_install(), 0);
	exec_code(code);
	struct allochook_stats s;
	allochook_read(&s);
	run("del many\n");
	struct allochook_stats after;
	allochook_read(&after);
	allochook_uninstall();
	cr_expect_geq(s.live_blocks, 200000);
	cr_expect(!s.overflow);
	cr_expect_lt(after.live_blocks, 100, "%zu blocks left", after.live_blocks);
	Py_DECREF(code);
}

Test(allochook, install_twice_refused_uninstall_restores)
{
	PyMemAllocatorEx before, after;
	PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &before);
	cr_assert_eq(allochook_install(), 0);
	cr_expect_eq(allochook_install(), -1);
	allochook_uninstall();
	allochook_uninstall();   /* harmless */
	PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &after);
	cr_expect(before.malloc == after.malloc && before.ctx == after.ctx);
	cr_expect(!allochook_installed());
}

/* tracemalloc.start() over our hook chains to it: we keep counting. */
Test(allochook, tracemalloc_over_us_still_counts)
{
	PyObject *code = compile("b = bytearray(500000)\n");
	exec_code(code);
	cr_assert_eq(allochook_install(), 0);
	run("tracemalloc.start()\n");
	cr_expect(allochook_intact());
	allochook_reset();
	exec_code(code);
	struct allochook_stats s;
	allochook_read(&s);
	run("tracemalloc.stop()\n");
	cr_expect(allochook_intact());
	allochook_uninstall();
	cr_expect_geq(s.net_bytes, 500000, "net %lld", s.net_bytes);
	cr_expect_geq(s.peak_bytes, 500000);
	run("del b\n");
	Py_DECREF(code);
}

/* start() before our install, stop() after: stop restores the allocator
 * tracemalloc found, which is not ours.  We notice, and can come back. */
Test(allochook, removal_by_tracemalloc_is_noticed)
{
	run("tracemalloc.start()\n");
	cr_assert_eq(allochook_install(), 0);
	cr_expect(allochook_intact());
	run("tracemalloc.stop()\n");
	cr_expect(!allochook_intact(), "the hook was removed but looks intact");
	cr_expect_eq(allochook_reinstall(), 0);
	cr_expect(allochook_intact());
	PyObject *code = compile("c = bytearray(300000)\n");
	allochook_reset();
	exec_code(code);
	struct allochook_stats s;
	allochook_read(&s);
	allochook_uninstall();
	cr_expect_geq(s.net_bytes, 300000);
	run("del c\n");
	Py_DECREF(code);
}

/* A stale pointer to the hook kept by tracemalloc after we uninstalled:
 * it only passes through, so memory stays consistent. */
Test(allochook, stale_chain_after_uninstall_passes_through)
{
	cr_assert_eq(allochook_install(), 0);
	run("tracemalloc.start()\n");
	allochook_uninstall();   /* tracemalloc is over us: its hooks stay */
	run("z = [bytes(50) for _ in range(10000)]\ndel z\n");
	run("tracemalloc.stop()\n");   /* restores our (now pass-through) hook */
	run("z = [bytes(50) for _ in range(10000)]\ndel z\n");
	/* Both domains still lead to the original allocators through us. */
	cr_expect(!allochook_installed());
	cr_assert_eq(allochook_install(), 0);
	cr_expect(allochook_intact());
	allochook_uninstall();
}

/* Calls into Python from inside the window (gc, a nested install attempt)
 * don't disturb the books. */
Test(allochook, reentrant_collect_inside_the_window)
{
	run("class C:\n    pass\n");
	PyObject *code = compile("c = C(); c.me = c; del c\n");
	exec_code(code);
	PyGC_Collect();
	cr_assert_eq(allochook_install(), 0);
	allochook_reset();
	for (int i = 0; i < 100; i++)
		exec_code(code);
	PyGC_Collect();
	struct allochook_stats s;
	allochook_read(&s);
	allochook_uninstall();
	cr_expect_lt(s.live_blocks, 10, "%zu cycles' blocks left after collect", s.live_blocks);
	cr_expect_geq(s.frees, 100);
	Py_DECREF(code);
}
