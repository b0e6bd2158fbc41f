/*
 * deepsize.h - the grader's own deep size walk (exercise "deepsize"),
 * in C, over exactly the references the statement lists.
 *
 * Each object reached from the root is counted once (by address) with the
 * sys.getsizeof captured before any student code ran.  Opaque objects
 * (types, modules, functions, built-in functions and methods, bound
 * methods) are counted and not followed.  From any other object the walk
 * follows the items of lists, tuples, sets, frozensets (subclasses too),
 * the keys and values of dicts, the instance dict when
 * getattr(o, "__dict__") is a dict, and every set slot declared in the own
 * namespace of a class of type(o).__mro__ (private names mangled, unset
 * slots skipped).  An explicit stack: nesting depth costs no C stack.
 */
#ifndef GRADE_DEEPSIZE_H
#define GRADE_DEEPSIZE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Walks from root (borrowed) with getsizeof (borrowed: the original
 * sys.getsizeof).  Returns 0 with the total in *out, or -1 with a reason
 * in err and no Python error pending. */
int deepsize_walk(PyObject *root, PyObject *getsizeof, long long *out, char *err, size_t errlen);

#endif
