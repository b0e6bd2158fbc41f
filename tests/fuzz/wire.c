/*
 * wire.c - fuzz target: the decoders of base/wire.h and the sandbox probe's
 * decoder (sandbox/layers.h), i.e. everything one grade process parses of
 * bytes another one sent.
 *
 * Input: one selector byte, then the bytes handed to the decoder it picks.
 * The nonce a result frame must carry is FUZZ_NONCE, so that seeds can hold
 * well-formed frames.
 */
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

#include "base/wire.h"
#include "sandbox/layers.h"

static const unsigned char FUZZ_NONCE[WIRE_NONCE_LEN] = "0123456789abcdef";
#define FUZZ_LIMIT (64u << 10)

/* wire_frame_parse on every framing: what it says must lie within the bytes. */
static void frame(enum wire_framing f, const uint8_t *data, size_t size)
{
	struct wire_span p = { 0 };
	unsigned char nonce[WIRE_NONCE_LEN];
	size_t need = 0;
	long r = wire_frame_parse(f, data, size, FUZZ_LIMIT, FUZZ_NONCE, nonce, &p, &need);
	if (r > 0) {
		FUZZ_ASSERT((size_t)r <= size);
		FUZZ_ASSERT(p.len <= FUZZ_LIMIT && p.offset + p.len <= (size_t)r);
		FUZZ_ASSERT(p.offset == wire_head_size(f) && (size_t)r == p.offset + p.len + wire_tail_size(f));
	} else if (r == WIRE_INCOMPLETE) {
		FUZZ_ASSERT(need > size && need <= wire_head_size(f) + FUZZ_LIMIT + wire_tail_size(f));
	} else {
		FUZZ_ASSERT(r == WIRE_TOOBIG || r == WIRE_FORGED);
	}
}

static void result(const uint8_t *data, size_t size)
{
	json_t *obs = NULL;
	int rc = wire_result_parse(data, size, FUZZ_NONCE, &obs);
	FUZZ_ASSERT(rc == 1 ? json_is_object(obs) : obs == NULL);
	FUZZ_ASSERT(rc == 1 || rc == WIRE_INCOMPLETE || rc == WIRE_FORGED);
	/* What passes is exactly one frame: re-encoding its payload gives the bytes back. */
	if (rc == 1) {
		size_t total = 0;
		unsigned char *again = wire_frame_encode(WIRE_RESULT, FUZZ_NONCE, data + wire_head_size(WIRE_RESULT),
							 size - wire_head_size(WIRE_RESULT) - WIRE_NONCE_LEN, &total);
		FUZZ_ASSERT(total == size && !memcmp(again, data, size));
		free(again);
	}
	json_decref(obs);
}

static void request(const uint8_t *data, size_t size)
{
	struct wire_request req;
	int rc = wire_request_parse((const char *)data, size, &req);
	if (rc == 1) {
		size_t n = json_array_size(req.exercises);
		for (size_t i = 0; i < n && i < WIRE_SWITCH_MODULES_MAX; i++) {
			struct wire_switch_entry e;
			if (wire_switch_entry_parse(json_array_get(req.exercises, i), &e) == 0)
				FUZZ_ASSERT(e.name && e.file && e.source_len <= WIRE_SOURCE_MAX);
		}
	} else {
		FUZZ_ASSERT(rc == 0 || (rc == WIRE_BADJSON && !req.root));
	}
	wire_request_release(&req);
}

static void lane(const uint8_t *data, size_t size)
{
	struct wire_lane_report r;
	if (wire_lane_parse(data, size, &r) < 0)
		return;
	FUZZ_ASSERT(WIRE_LANE_HEAD + r.text_len + r.error_len == size);
	size_t len = 0;
	char *text = r.text ? strndup(r.text, r.text_len) : NULL, *error = r.error ? strndup(r.error, r.error_len) : NULL;
	unsigned char *again = wire_lane_encode(r.index, r.flags, text, error, &len);
	/* NUL bytes inside text or error are not carried by the encoder: compare only when there are none. */
	if ((!text || strlen(text) == r.text_len) && (!error || strlen(error) == r.error_len)) {
		struct wire_lane_report back;
		FUZZ_ASSERT(wire_lane_parse(again, len, &back) == 0);
		FUZZ_ASSERT(back.index == r.index && back.text_len == r.text_len && back.error_len == r.error_len);
	}
	free(again);
	free(text);
	free(error);
}

static void probe(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct sandbox_layers l;
	if (sandbox_layers_decode(j, &l) == 0) {
		/* What decodes, encodes and decodes to the same state. */
		json_t *again = sandbox_layers_encode(&l);
		struct sandbox_layers back;
		FUZZ_ASSERT(sandbox_layers_decode(again, &back) == 0);
		FUZZ_ASSERT(!memcmp(back.on, l.on, sizeof(l.on)) && !memcmp(back.err, l.err, sizeof(l.err)));
		json_decref(again);
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	data++;
	size--;
	switch (sel % 7) {
	case 0: frame(WIRE_PLAIN, data, size); break;
	case 1: frame(WIRE_REQUEST, data, size); break;
	case 2: frame(WIRE_RESULT, data, size); break;
	case 3: result(data, size); break;
	case 4: request(data, size); break;
	case 5: lane(data, size); break;
	default: probe(data, size); break;
	}
	return 0;
}
