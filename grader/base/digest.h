/*
 * digest.h - SHA-256 (nettle) of length-prefixed fields, as 64 lower-case
 * hex digits: what keys are made of, from the gradebook's content hashes
 * (book/hash.h) to the clone cache's directory names (git/repo.h).
 *
 * Each field is its length as 8 little-endian bytes, then its bytes, so
 * the fields "ab","c" and "a","bc" hash apart.  Changing this changes
 * every key already stored: gradebooks regrade and clone caches reclone.
 */
#ifndef GRADE_BASE_DIGEST_H
#define GRADE_BASE_DIGEST_H

#include <nettle/sha2.h>
#include <stddef.h>

#define DIGEST_HEX 65   /* 64 hex digits and the NUL */

/* One field into ctx (started by sha256_init). */
void digest_field(struct sha256_ctx *ctx, const void *data, size_t len);
/* ctx's digest as hex into out (ctx is then reset, as sha256_digest does). */
void digest_hex(struct sha256_ctx *ctx, char out[DIGEST_HEX]);
/* parts[0..n) as fields, a NULL part as an empty one. */
void digest_strings(const char *const *parts, size_t n, char out[DIGEST_HEX]);

#endif
