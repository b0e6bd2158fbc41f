/*
 * allochook.h - a PyMem_SetAllocator hook that counts what Python code
 * allocates, for the alloc, leak and memprof check kinds.
 *
 * Installed on the MEM and OBJ domains only, chained to the allocators it
 * found there.  RAW is left alone: PyMem_RawMalloc may be called without
 * the GIL, so hooking it would need a lock in every allocation, and the
 * objects student code creates come from MEM and OBJ (large objects too:
 * pymalloc hands requests over 512 bytes to malloc from inside the OBJ
 * domain, after our hook has seen them).
 *
 * Bookkeeping lives in C memory only: counters in static storage and an
 * open-addressing table (pointer -> requested size) in mmap'ed pages, so
 * the hook never allocates through Python and never recurses.  A table,
 * not a size header in front of each block: the hook is uninstalled after
 * the measured window, and a block it allocated may be freed long after by
 * the original allocator, which must get the very pointer it returned.
 * As with tracemalloc, only blocks allocated while the hook is installed
 * are tracked; freeing an older block passes through uncounted.
 *
 * Student code can replace the hook: tracemalloc.start() chains its own
 * hook over ours (and keeps counting through us), but start() before our
 * install and stop() after it restores the allocator it found, which is
 * not ours.  allochook_intact() says whether ours are still the current
 * allocators; readings taken while it is false are incomplete.  The hook
 * functions stay valid forever: when inactive they only pass through, so
 * a stale pointer to them kept by tracemalloc is harmless.
 *
 * Every function needs the GIL.  Nothing here is reentrant with itself
 * beyond what the GIL gives: one install at a time.
 */
#ifndef GRADE_ALLOCHOOK_H
#define GRADE_ALLOCHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct allochook_stats {
	uint64_t allocations;   /* malloc, calloc and realloc calls that returned memory, since the reset */
	uint64_t frees;         /* frees of tracked blocks since the reset */
	size_t live_blocks;     /* tracked blocks alive now */
	size_t live_bytes;      /* their requested sizes, summed */
	long long net_bytes;    /* live_bytes now minus at the reset */
	size_t peak_bytes;      /* the highest live_bytes since the reset, minus live_bytes at the reset */
	bool overflow;          /* the table could not grow: the numbers undercount */
};

/* Installs the hook on MEM and OBJ, chained to the current allocators, and
 * resets the counters.  Returns 0, or -1 when already installed or the
 * table cannot be mapped. */
int allochook_install(void);

/* Stops counting and gives the domains back the allocators found at
 * install, unless someone replaced ours meanwhile (then theirs stay: they
 * chain to ours, which now only passes through).  Releases the table.
 * Safe to call when not installed. */
void allochook_uninstall(void);

bool allochook_installed(void);

/* True while our allocators are the current ones on both domains, or when
 * something chained over them that still calls them (see the header
 * comment: tracemalloc keeps counting through us while it traces). */
bool allochook_intact(void);

/* Puts our allocators back on the domains where they were removed; the
 * blocks allocated meanwhile were not seen.  Returns 0 or -1 (not
 * installed). */
int allochook_reinstall(void);

/* Counters to zero, the peak to the current live bytes. */
void allochook_reset(void);

/* Copies the counters; allocates nothing. */
void allochook_read(struct allochook_stats *out);

/* Whether addr lies in a block allocated (and still live) since install:
 * the block starts at addr or up to 64 bytes before it (an object's
 * pre-header: the GC link, managed-dict pointers) and is long enough to
 * hold it.  Blocks never overlap, so a block that starts before addr and
 * reaches past it is the one that holds it.  Allocates nothing. */
bool allochook_holds(const void *addr);

#endif
