/*
 * Keys from strings (base/digest.h): length-prefixed, and pinned, since
 * every stored key (gradebooks, clone caches) depends on the bytes.
 */
#include <criterion/criterion.h>

#include "base/digest.h"

Test(digest, strings_are_length_prefixed)
{
	char a[DIGEST_HEX], b[DIGEST_HEX];
	const char *x[] = { "ab", "c" }, *y[] = { "a", "bc" };
	digest_strings(x, 2, a);
	digest_strings(y, 2, b);
	cr_assert_str_neq(a, b);
	const char *empty[] = { "" };
	digest_strings(empty, 1, a);
	/* SHA-256 of eight zero bytes (the empty string's length prefix). */
	cr_assert_str_eq(a, "af5570f5a1810b7af78caf4bc70a660f0df51e42baf91d4de5b2328de0e83dfc");
}

Test(digest, fields_build_the_same_key_as_strings)
{
	char a[DIGEST_HEX], b[DIGEST_HEX];
	const char *parts[] = { "repo", "file:///srv/alice.git" };
	digest_strings(parts, 2, a);
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	digest_field(&ctx, "repo", 4);
	digest_field(&ctx, "file:///srv/alice.git", 21);
	digest_hex(&ctx, b);
	cr_assert_str_eq(a, b);
	const char *with_null[] = { "repo", NULL };
	const char *with_empty[] = { "repo", "" };
	digest_strings(with_null, 2, a);
	digest_strings(with_empty, 2, b);
	cr_assert_str_eq(a, b, "a NULL part is an empty field");
}
