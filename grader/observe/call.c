/*
 * kind_call.c - call a student function with arguments the grader builds
 * and compare what it returns (or raises) and prints: exact values with
 * strict types, identity (an argument or a grader fixture returned as is),
 * predicates on a returned dict, attributes of a returned object, and
 * answers against the grader's own computation on the very same input
 * ('truth', computed in the child, compared in the controller).
 */
#include "observe/observe.h"

#include "base/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "measure/deepsize.h"
#include "py/fixtures.h"
#include "py/pyhost.h"
#include "base/util.h"
#include "base/value.h"



/* The grader's answer for the call's first argument, in C. */
static int compute_truth(const char *truth, PyObject *args, long long *out, char *err, size_t errlen)
{
	if (PyTuple_GET_SIZE(args) < 1) {
		return fail(err, errlen, "'truth' needs an argument");
	}
	if (!strcmp(truth, "deepsize"))
		return deepsize_walk(PyTuple_GET_ITEM(args, 0), fixtures_getsizeof(), out, err, errlen);
	return fail(err, errlen, "unknown truth '%s'", truth);
}

/* Reads the attributes the rubric names (spec[key]: a list of names) from
 * the returned object into obs["attributes"]. */
static void observe_attributes(PyObject *result, const json_t *names, json_t *attrs)
{
	size_t i;
	const json_t *jn;
	json_array_foreach(names, i, jn) {
		const char *name = json_string_value(jn);
		if (!name || json_object_get(attrs, name))
			continue;
		json_t *a = json_object();
		json_object_set_new(attrs, name, a);
		/* Student code may run here (a property, __getattr__): it is the
		 * student's own process, and what comes back is data. */
		PyObject *v = PyObject_GetAttrString(result, name); /* new */
		if (!v) {
			if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
				PyErr_Clear();
				json_object_set_new(a, "missing", json_true());
			} else {
				observe_exception(a, "exception");
			}
			continue;
		}
		observe_value(a, "value", v);
		Py_DECREF(v);
	}
}

static void observe_call(PyObject *module, const json_t *spec, json_t *obs)
{
	PyObject *args = NULL, *kwargs = NULL, *result = NULL;
	PyObject *func = observe_function(module, json_string_value(json_object_get(spec, "function")), obs);
	if (!func)
		return;
	if (observe_build_args(spec, obs, &args, &kwargs) < 0)
		return;
	const char *truth = json_string_value(json_object_get(spec, "truth"));
	long long before = 0, after = 0;
	char err[256];
	/* The truth is taken before the call too (it stays in this C local,
	 * out of reach of Python code), so that a function that changes its
	 * argument cannot make a new truth to agree with. */
	if (truth && compute_truth(truth, args, &before, err, sizeof(err)) < 0) {
		observe_harness_error(obs, err);
		goto done;
	}
	double t0 = now_seconds();
	result = PyObject_Call(func, args, kwargs); /* new */
	json_object_set_new(obs, "seconds", json_real(now_seconds() - t0));
	if (!result) {
		observe_exception(obs, "exception");
		goto done;
	}
	observe_value(obs, "returns", result);
	for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); i++) {
		if (PyTuple_GET_ITEM(args, i) == result) {
			json_object_set_new(obs, "returned_arg", json_integer((json_int_t)i));
			break;
		}
	}
	if (truth) {
		if (compute_truth(truth, args, &after, err, sizeof(err)) < 0) {
			observe_harness_error(obs, err);
			goto done;
		}
		json_object_set_new(obs, "truth", json_integer((json_int_t)after));
		if (after != before)
			json_object_set_new(obs, "truth_changed", json_true());
	}
	const json_t *a1 = json_object_get(spec, "attributes"), *a2 = json_object_get(spec, "attributes_dict");
	if (a1 || a2) {
		json_t *attrs = json_object();
		json_object_set_new(obs, "attributes", attrs);
		observe_attributes(result, a1, attrs);
		observe_attributes(result, a2, attrs);
	}
done:
	Py_XDECREF(result);
	Py_XDECREF(args);
	Py_XDECREF(kwargs);
}

const struct observer observer_call = {
	.observe = observe_call,
};
