#include "measure/measure.h"

#include "measure/allochook.h"
#include "py/memfix.h"

void measure_begin(struct measure_state *st)
{
	st->gc_enabled = PyGC_IsEnabled();
	st->tracing = memfix_tracing();
	PyGC_Collect();
	PyGC_Disable();
}

void measure_end(const struct measure_state *st)
{
	allochook_uninstall();
	if (st->gc_enabled)
		PyGC_Enable();
	else
		PyGC_Disable();
	if (memfix_tracing() != st->tracing) {
		PyObject *r = memfix_tm(st->tracing ? "start" : "stop"); /* new */
		Py_XDECREF(r);
	}
	PyErr_Clear();
}

bool measure_immortal(PyObject *obj)
{
	return Py_REFCNT(obj) > ((Py_ssize_t)1 << 28);
}

bool measure_hook_removed(void)
{
	if (allochook_intact())
		return false;
	allochook_reinstall();
	return true;
}
