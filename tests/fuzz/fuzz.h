/*
 * fuzz.h - what every fuzz target in tests/fuzz/ defines.
 *
 * A target is one function, LLVMFuzzerTestOneInput(), that takes any bytes
 * and must neither crash, leak, hang nor trip a sanitizer.  It is built two
 * ways (tests/meson.build): always with replay.c, which feeds it the files
 * of its seed corpus (tests/data/fuzz/NAME/) as a normal test; and, with
 * -Dfuzz=true under clang, as a libFuzzer binary (tests/fuzz/README.md).
 */
#ifndef GRADE_FUZZ_H
#define GRADE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: a failure stops the process, which
 * both libFuzzer and the replay report (and keep the input of). */
#define FUZZ_ASSERT(cond) ((cond) ? (void)0 : __builtin_trap())

#endif
