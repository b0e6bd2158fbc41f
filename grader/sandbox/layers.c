#include "sandbox/layers.h"

#include <string.h>

#include "base/wire.h"

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

json_t *sandbox_layers_encode(const struct sandbox_layers *l)
{
	json_t *layers = json_object();
	for (int k = 0; k < SANDBOX_NLAYERS; k++)
		json_object_set_new(layers, layer_names[k],
				    json_pack("{s:b, s:s?, s:i}", WIRE_KEY_ON, l->on[k], WIRE_KEY_WHY, l->why[k],
					      WIRE_KEY_ERRNO, l->err[k]));
	return json_pack("{s:o, s:i}", WIRE_KEY_LAYERS, layers, WIRE_KEY_LANDLOCK_ABI, l->landlock_abi);
}

int sandbox_layers_decode(const json_t *j, struct sandbox_layers *out)
{
	const json_t *layers = json_object_get(j, WIRE_KEY_LAYERS);
	const json_t *abi = json_object_get(j, WIRE_KEY_LANDLOCK_ABI);
	memset(out, 0, sizeof(*out));
	if (!json_is_object(layers) || json_object_size(layers) != SANDBOX_NLAYERS || !json_is_integer(abi))
		return -1;
	for (int k = 0; k < SANDBOX_NLAYERS; k++) {
		const json_t *e = json_object_get(layers, layer_names[k]);
		const json_t *on = json_object_get(e, WIRE_KEY_ON), *why = json_object_get(e, WIRE_KEY_WHY);
		if (!json_is_boolean(on) || (why && !json_is_string(why) && !json_is_null(why)))
			return -1;
		out->on[k] = json_is_true(on);
		out->why[k] = json_string_value(why);
		out->err[k] = (int)json_integer_value(json_object_get(e, WIRE_KEY_ERRNO));
	}
	out->landlock_abi = (int)json_integer_value(abi);
	return 0;
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
