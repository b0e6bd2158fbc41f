#include "py/module.h"

#include <stdlib.h>
#include <string.h>

static const struct compiled_module *current;
static size_t n_current;

void module_release_all(struct compiled_module *mods, size_t n)
{
	for (size_t i = 0; mods && i < n; i++) {
		free(mods[i].name);
		free(mods[i].file);
		Py_XDECREF(mods[i].code);
		json_decref(mods[i].error);
		free(mods[i].source);
	}
	free(mods);
}

void module_set_current(const struct compiled_module *mods, size_t n)
{
	current = mods;
	n_current = n;
}

const struct compiled_module *module_find(const char *name)
{
	for (size_t i = 0; name && i < n_current; i++)
		if (!strcmp(current[i].name, name))
			return &current[i];
	return NULL;
}

PyObject *module_compiled(const char *name, const char **file)
{
	const struct compiled_module *cm = module_find(name);
	if (file)
		*file = cm ? cm->file : NULL;
	return cm ? cm->code : NULL; /* borrowed */
}
