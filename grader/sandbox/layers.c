#include "sandbox/layers.h"

#include <string.h>

static const char *const layer_names[SANDBOX_NLAYERS] = {
	[SANDBOX_USER_NS] = "user_ns",
	[SANDBOX_NET_NS] = "net_ns",
	[SANDBOX_IPC_NS] = "ipc_ns",
	[SANDBOX_UTS_NS] = "uts_ns",
	[SANDBOX_SUBREAPER] = "subreaper",
	[SANDBOX_PID_NS] = "pid_ns",
	[SANDBOX_PIDFD] = "pidfd",
	[SANDBOX_RLIMITS] = "rlimits",
	[SANDBOX_MEMORY] = "memory_limit",
	[SANDBOX_CAPS] = "drop_caps",
	[SANDBOX_NO_NEW_PRIVS] = "no_new_privs",
	[SANDBOX_PDEATHSIG] = "pdeathsig",
	[SANDBOX_CLOSE_FDS] = "close_fds",
	[SANDBOX_LANDLOCK] = "landlock",
	[SANDBOX_SECCOMP] = "seccomp",
	[SANDBOX_RESULT_FD] = "result_fd",
};

const char *sandbox_layer_name(enum sandbox_layer layer)
{
	if ((unsigned)layer >= SANDBOX_NLAYERS)
		return NULL;
	return layer_names[layer];
}

int sandbox_layer_by_name(const char *name)
{
	for (int k = 0; name && k < SANDBOX_NLAYERS; k++)
		if (!strcmp(layer_names[k], name))
			return k;
	return -1;
}

void sandbox_layer_reason(const struct sandbox_layers *l, enum sandbox_layer k, char *buf, size_t len)
{
	if (k == SANDBOX_LANDLOCK && l->on[k])
		snprintf(buf, len, "ABI %d", l->landlock_abi);
	else if (l->why[k] && l->err[k])
		snprintf(buf, len, "%s: %s", l->why[k], strerror(l->err[k]));
	else if (l->why[k])
		snprintf(buf, len, "%s", l->why[k]);
	else
		snprintf(buf, len, "%s", l->on[k] ? "" : "not tried");
}

void sandbox_describe(const struct sandbox_layers *l, FILE *out)
{
	char reason[256];
	for (int k = 0; k < SANDBOX_NLAYERS; k++) {
		sandbox_layer_reason(l, (enum sandbox_layer)k, reason, sizeof(reason));
		fprintf(out, "%s: %s%s%s%s\n", layer_names[k], l->on[k] ? "on" : "off", *reason ? " (" : "", reason,
			*reason ? ")" : "");
	}
}

size_t sandbox_missing(const struct sandbox_layers *l, char *buf, size_t len)
{
	size_t n = 0, used = 0;
	if (len)
		buf[0] = '\0';
	for (int k = 0; k < SANDBOX_NLAYERS; k++) {
		if (l->on[k])
			continue;
		if (len > used) {
			int w = snprintf(buf + used, len - used, "%s%s", n ? ", " : "", layer_names[k]);
			used += w > 0 ? (size_t)w : 0;
		}
		n++;
	}
	return n;
}

json_t *sandbox_layers_json(const struct sandbox_layers *l, bool on)
{
	json_t *a = json_array();
	for (int k = 0; k < SANDBOX_NLAYERS; k++)
		if (l->on[k] == on)
			json_array_append_new(a, json_string(layer_names[k]));
	return a;
}

void sandbox_print_layers(const struct sandbox_layers *l, FILE *out)
{
	fputs("sandbox:", out);
	for (int k = 0, n = 0; k < SANDBOX_NLAYERS; k++)
		if (l->on[k])
			fprintf(out, "%s %s", n++ ? "," : "", layer_names[k]);
	fputc('\n', out);
	char missing[512];
	if (sandbox_missing(l, missing, sizeof(missing)))
		fprintf(out, "sandbox missing: %s (see 'grade doctor')\n", missing);
}

void sandbox_warn_degraded(const struct sandbox_layers *l, FILE *err)
{
	char missing[512];
	size_t n = sandbox_missing(l, missing, sizeof(missing));
	if (n)
		fprintf(err, "grade: warning: sandbox degraded, %zu layer%s unavailable on this host: %s (see 'grade doctor')\n",
			n, n == 1 ? "" : "s", missing);
}
