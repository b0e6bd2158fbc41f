#include "measure/bytecode.h"

#include "base/error.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

#define OPNAME_MAX 48

/* Filled once in the zygote; children inherit them read-only. */
static struct {
	bool ready;
	char opname[256][OPNAME_MAX];
	unsigned char caches[256];       /* inline CACHE code units after each opcode */
	int extended_arg;
	json_t *specialized;             /* {"LOAD_FAST__LOAD_FAST": true, ...} */
} T;

/* Opcode tables that cannot be read: nothing of the bytecode kinds works. */
static int tables_fail(char *err, size_t errlen, const char *what)
{
	PyErr_Clear();
	return fail(err, errlen, "cannot read the opcode tables: %s", what);
}

/* opcode._specializations: {"BINARY_OP": ["BINARY_OP_ADD_INT", ...], ...}
 * on 3.11 to 3.13.  Only feedback uses these names, so a missing table is
 * not an error. */
static void read_specialized(PyObject *opcode)
{
	PyObject *spec = PyObject_GetAttrString(opcode, "_specializations"); /* new */
	PyObject *key, *names;
	Py_ssize_t pos = 0;
	while (spec && PyDict_Check(spec) && PyDict_Next(spec, &pos, &key, &names)) {
		for (Py_ssize_t i = 0; PyList_Check(names) && i < PyList_GET_SIZE(names); i++) {
			const char *s = PyUnicode_Check(PyList_GET_ITEM(names, i))
				? PyUnicode_AsUTF8(PyList_GET_ITEM(names, i)) : NULL;
			if (s)
				json_object_set_new(T.specialized, s, json_true());
		}
	}
	Py_XDECREF(spec);
	PyErr_Clear();
}

int bytecode_init(char *err, size_t errlen)
{
	int rc = -1;
	PyObject *opcode = NULL, *names = NULL, *caches = NULL, *ext = NULL;
	if (T.ready)
		return 0;
	opcode = PyImport_ImportModule("opcode"); /* new */
	if (!opcode) {
		rc = tables_fail(err, errlen, "no opcode module");
		goto done;
	}
	names = PyObject_GetAttrString(opcode, "opname");                 /* new */
	caches = PyObject_GetAttrString(opcode, "_inline_cache_entries"); /* new: list (3.11, 3.12) or dict by name (3.13) */
	ext = PyObject_GetAttrString(opcode, "EXTENDED_ARG");             /* new */
	if (!names || !PyList_Check(names) || PyList_GET_SIZE(names) < 256 || !caches || !ext || !PyLong_Check(ext)) {
		rc = tables_fail(err, errlen, "opcode.opname, _inline_cache_entries or EXTENDED_ARG is missing");
		goto done;
	}
	T.extended_arg = (int)PyLong_AsLong(ext);
	T.specialized = json_object();
	for (int op = 0; op < 256; op++) {
		PyObject *name = PyList_GET_ITEM(names, op); /* borrowed */
		const char *s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
		if (!s) {
			rc = tables_fail(err, errlen, "an opcode name is not a string");
			goto done;
		}
		snprintf(T.opname[op], OPNAME_MAX, "%s", s);
		PyObject *n = PyList_Check(caches) ? (op < PyList_GET_SIZE(caches) ? PyList_GET_ITEM(caches, op) : NULL)
			: PyDict_Check(caches) ? PyDict_GetItem(caches, name) : NULL; /* borrowed */
		T.caches[op] = n && PyLong_Check(n) ? (unsigned char)PyLong_AsLong(n) : 0;
	}
	read_specialized(opcode);
	T.ready = true;
	rc = 0;
done:
	PyErr_Clear();
	Py_XDECREF(opcode);
	Py_XDECREF(names);
	Py_XDECREF(caches);
	Py_XDECREF(ext);
	return rc;
}

int bytecode_walk(PyCodeObject *code, bytecode_insn_fn visit, void *payload)
{
	if (!T.ready)
		return -1;
	/* co_code: a new bytes object with every adaptive or instrumented
	 * instruction turned back into its generic form. */
	PyObject *bytes = PyCode_GetCode(code); /* new */
	if (!bytes || !PyBytes_Check(bytes)) {
		Py_XDECREF(bytes);
		PyErr_Clear();
		return -1;
	}
	const unsigned char *b = (const unsigned char *)PyBytes_AS_STRING(bytes);
	Py_ssize_t n = PyBytes_GET_SIZE(bytes);
	int rc = 0, ext = 0, skip = 0;
	for (Py_ssize_t i = 0; i + 1 < n && rc == 0; i += 2) {
		if (skip) {
			skip--;
			continue;
		}
		int op = b[i];
		struct bytecode_insn insn = { op, T.opname[op], (ext << 8) | b[i + 1], (int)i };
		ext = op == T.extended_arg ? insn.arg : 0;
		skip = T.caches[op];
		rc = visit(code, &insn, payload);
	}
	Py_DECREF(bytes);
	return rc;
}

static int each_code(PyCodeObject *code, int depth, bytecode_code_fn visit, void *payload)
{
	int rc = visit(code, depth, payload);
	if (rc || depth >= BYTECODE_MAX_DEPTH)
		return rc;
	PyObject *consts = code->co_consts; /* borrowed: a tuple */
	for (Py_ssize_t i = 0; rc == 0 && PyTuple_Check(consts) && i < PyTuple_GET_SIZE(consts); i++) {
		PyObject *c = PyTuple_GET_ITEM(consts, i); /* borrowed */
		if (PyCode_Check(c))
			rc = each_code((PyCodeObject *)c, depth + 1, visit, payload);
	}
	return rc;
}

int bytecode_each_code(PyCodeObject *code, bytecode_code_fn visit, void *payload)
{
	return each_code(code, 0, visit, payload);
}

static int count_one(PyCodeObject *code, const struct bytecode_insn *insn, void *payload)
{
	(void)code;
	json_t *counts = payload;
	json_t *n = json_object_get(counts, insn->opname);
	json_object_set_new(counts, insn->opname, json_integer(n ? json_integer_value(n) + 1 : 1));
	return 0;
}

json_t *bytecode_counts(PyCodeObject *code)
{
	json_t *counts = json_object();
	if (bytecode_walk(code, count_one, counts) < 0) {
		json_decref(counts);
		return NULL;
	}
	return counts;
}

int bytecode_opcode(const char *name)
{
	for (int op = 0; T.ready && op < 256; op++)
		if (!strcmp(T.opname[op], name))
			return op;
	return -1;
}

bool bytecode_is_generic_name(const char *name)
{
	/* Unused slots are named "<42>": never a real instruction. */
	return name[0] != '<' && bytecode_opcode(name) >= 0;
}

bool bytecode_is_specialized_name(const char *name)
{
	return T.specialized && json_object_get(T.specialized, name) != NULL;
}
