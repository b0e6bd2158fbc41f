/*
 * digest.c - SHA-256 of length-prefixed fields (digest.h).
 */
#include "base/digest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void digest_field(struct sha256_ctx *ctx, const void *data, size_t len)
{
	uint8_t n[8];
	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)((uint64_t)len >> (8 * i));
	sha256_update(ctx, sizeof(n), n);
	sha256_update(ctx, len, data);
}

void digest_hex(struct sha256_ctx *ctx, char out[DIGEST_HEX])
{
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(ctx, sizeof(d), d);
	char *hex = hex_encode(d, sizeof(d));
	memcpy(out, hex, DIGEST_HEX);
	free(hex);
}

void digest_strings(const char *const *parts, size_t n, char out[DIGEST_HEX])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	for (size_t i = 0; i < n; i++)
		digest_field(&ctx, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) : 0);
	digest_hex(&ctx, out);
}
