/*
 * kind_source.c - what a student file imports and which names it uses,
 * read from the code object the supervisor compiled before any student
 * code ran (module_compiled), never from the live module: nothing the
 * student's code does at import time can hide or fake a use.
 *
 * Uses are dotted names resolved through the file's imports: after
 * "import gc as g", "g.get_referrers" is "gc.get_referrers"; after "from
 * gc import get_referrers", the name itself is.  Calls through getattr()
 * with a computed name, exec() or eval() of a string are not resolved;
 * __import__("x") and importlib.import_module("x") with constant names
 * count as imports of x.
 */
#include "observe/observe.h"

#include <stdlib.h>
#include <string.h>

#include "measure/bytecode.h"
#include "py/module.h"
#include "base/util.h"

#define SOURCE_MAX_NAMES 2000



struct source_walk {
	json_t *imports;   /* {"ctypes": line} */
	json_t *uses;      /* {"gc.get_referrers": line} */
	json_t *aliases;   /* {"g": "gc"}: names bound by imports */
	char *chain;       /* the dotted name being loaded, or NULL */
	char *imported;    /* the module of the last IMPORT_NAME */
	bool bind_next;    /* the next STORE binds what was just imported */
	char *bound;       /* ... which is this */
	bool dynamic;      /* this code object calls __import__ or import_module */
	int op_import_name, op_import_from, op_load_global, op_load_name, op_load_attr, op_load_method,
	    op_load_fast, op_load_fast_check, op_load_deref, op_load_fast_load_fast, op_store_name,
	    op_store_global, op_store_fast, op_store_deref;
};

static const char *tuple_name(PyObject *tuple, int i)
{
	if (!tuple || !PyTuple_Check(tuple) || i < 0 || i >= PyTuple_GET_SIZE(tuple))
		return NULL;
	const char *s = PyUnicode_AsUTF8(PyTuple_GET_ITEM(tuple, i));
	PyErr_Clear();
	return s;
}

static void record(json_t *where, const char *name, int line)
{
	if (!json_object_get(where, name) && json_object_size(where) < SOURCE_MAX_NAMES)
		json_object_set_new(where, name, json_integer(line));
}

static void set_str(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

static int source_insn(PyCodeObject *code, const struct bytecode_insn *in, void *payload)
{
	struct source_walk *w = payload;
	int op = in->op, line = PyCode_Addr2Line(code, in->offset);
	const char *name = NULL;
	bool load = false, store = false;
	if (op == w->op_import_name) {
		name = tuple_name(code->co_names, in->arg);
		if (name) {
			record(w->imports, name, line);
			set_str(&w->imported, xstrdup(name));
			set_str(&w->bound, xstrdup(name));
			w->bind_next = true;
		}
		set_str(&w->chain, NULL);
		return 0;
	}
	if (op == w->op_import_from) {
		name = tuple_name(code->co_names, in->arg);
		if (name && w->imported) {
			/* 3.11 compiles "import a.b as c" to IMPORT_NAME a.b, IMPORT_FROM b. */
			const char *last = strrchr(w->imported, '.');
			char *full = last && !strcmp(last + 1, name) ? xstrdup(w->imported)
				: xasprintf("%s.%s", w->imported, name);
			record(w->uses, full, line);
			set_str(&w->bound, full);
			w->bind_next = true;
		}
		return 0;
	}
	if (op == w->op_load_global)
		name = tuple_name(code->co_names, in->arg >> 1), load = true;
	else if (op == w->op_load_name)
		name = tuple_name(code->co_names, in->arg), load = true;
	else if (op == w->op_load_fast || op == w->op_load_fast_check || op == w->op_load_deref)
		name = tuple_name(code->co_localsplusnames, in->arg), load = true;
	else if (op == w->op_load_fast_load_fast)
		name = tuple_name(code->co_localsplusnames, in->arg & 15), load = true;
	else if (op == w->op_store_name || op == w->op_store_global)
		name = tuple_name(code->co_names, in->arg), store = true;
	else if (op == w->op_store_fast || op == w->op_store_deref)
		name = tuple_name(code->co_localsplusnames, in->arg), store = true;

	if (store) {
		/* "import gc as g": IMPORT_NAME gc, STORE g: g is gc.  But plain
		 * "import a.b" binds a, which is the module a, not a.b. */
		if (w->bind_next && name && w->bound) {
			size_t top = strcspn(w->bound, ".");
			bool plain = strlen(name) == top && !strncmp(name, w->bound, top);
			json_object_set_new(w->aliases, name, json_string(plain ? name : w->bound));
		}
		w->bind_next = false;
		set_str(&w->chain, NULL);
		return 0;
	}
	if (load && name) {
		const char *alias = json_string_value(json_object_get(w->aliases, name));
		set_str(&w->chain, xstrdup(alias ? alias : name));
		record(w->uses, w->chain, line);
	} else if ((op == w->op_load_attr || op == w->op_load_method) && w->chain) {
		/* 3.12+: LOAD_ATTR's low bit is the method flag. */
		int shift = op == w->op_load_attr && PY_VERSION_HEX >= 0x030C0000 ? 1 : 0;
		name = tuple_name(code->co_names, in->arg >> shift);
		if (name) {
			set_str(&w->chain, xasprintf("%s.%s", w->chain, name));
			record(w->uses, w->chain, line);
		}
	} else {
		set_str(&w->chain, NULL);
	}
	if (w->chain && (!strcmp(w->chain, "__import__") || !strcmp(w->chain, "builtins.__import__") ||
			 !strcmp(w->chain, "importlib.import_module") || !strcmp(w->chain, "importlib.__import__")))
		w->dynamic = true;
	return 0;
}

static int source_code(PyCodeObject *code, int depth, void *payload)
{
	(void)depth;
	struct source_walk *w = payload;
	w->dynamic = false;
	int rc = bytecode_walk(code, source_insn, w);
	set_str(&w->chain, NULL);
	w->bind_next = false;
	if (rc < 0)
		return -1;
	/* __import__("ctypes"): every constant string of this code object is
	 * a candidate module name. */
	for (Py_ssize_t i = 0; w->dynamic && i < PyTuple_GET_SIZE(code->co_consts); i++) {
		PyObject *c = PyTuple_GET_ITEM(code->co_consts, i); /* borrowed */
		const char *s = PyUnicode_CheckExact(c) ? PyUnicode_AsUTF8(c) : NULL;
		PyErr_Clear();
		if (s && *s && strlen(s) < 128 && !strchr(s, ' '))
			record(w->imports, s, code->co_firstlineno);
	}
	return 0;
}

static json_t *as_list(json_t *map)
{
	json_t *list = json_array();
	const char *name;
	json_t *line;
	json_object_foreach(map, name, line)
		json_array_append_new(list, json_pack("{s:s, s:O}", "name", name, "line", line));
	return list;
}

static void observe_source(PyObject *module, const json_t *spec, json_t *obs)
{
	(void)module;
	const char *file = NULL;
	const char *name = json_string_value(json_object_get(spec, "module"));
	PyObject *code = module_compiled(name, &file); /* borrowed */
	if (!code || !PyCode_Check(code)) {
		observe_harness_error(obs, "the module's compiled code is not available");
		return;
	}
	struct source_walk w = {
		json_object(), json_object(), json_object(), NULL, NULL, false, NULL, false,
		bytecode_opcode("IMPORT_NAME"), bytecode_opcode("IMPORT_FROM"), bytecode_opcode("LOAD_GLOBAL"),
		bytecode_opcode("LOAD_NAME"), bytecode_opcode("LOAD_ATTR"), bytecode_opcode("LOAD_METHOD"),
		bytecode_opcode("LOAD_FAST"), bytecode_opcode("LOAD_FAST_CHECK"), bytecode_opcode("LOAD_DEREF"),
		bytecode_opcode("LOAD_FAST_LOAD_FAST"), bytecode_opcode("STORE_NAME"), bytecode_opcode("STORE_GLOBAL"),
		bytecode_opcode("STORE_FAST"), bytecode_opcode("STORE_DEREF"),
	};
	if (bytecode_each_code((PyCodeObject *)code, source_code, &w) < 0)
		observe_harness_error(obs, "cannot read the module's bytecode");
	json_object_set_new(obs, "file", json_string(file));
	json_object_set_new(obs, "imports", as_list(w.imports));
	json_object_set_new(obs, "uses", as_list(w.uses));
	json_decref(w.imports);
	json_decref(w.uses);
	json_decref(w.aliases);
	free(w.chain);
	free(w.imported);
	free(w.bound);
}

const struct observer observer_source = {
	.observe = observe_source, .code_only = true,
};
