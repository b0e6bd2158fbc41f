#include "measure/allochook.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <sys/mman.h>

/* One tracked block.  key 0 marks a free slot (no allocator returns NULL
 * for a block it hands out). */
struct slot {
	uintptr_t key;
	size_t size;
};

#define TABLE_MIN_BITS 16   /* 65536 slots, 1 MiB of address space, touched lazily */

/* Static: there is one hook per process, and the hook functions must find
 * it without a context pointer they could lose (see allochook.h). */
static struct {
	bool installed;     /* between install and uninstall */
	bool active;        /* counting (false: pass through) */
	bool probing;       /* allochook_intact()'s probe: note it, don't count */
	bool probe_seen;
	bool overflow;
	PyMemAllocatorEx orig_mem, orig_obj;   /* what install found: we chain to these */
	struct slot *table;
	unsigned bits;
	size_t count;       /* tracked blocks (= live_blocks) */
	size_t live_bytes;
	size_t peak;        /* absolute, since the reset */
	size_t base_bytes;  /* live_bytes at the reset */
	uint64_t allocations, frees;
} H;

/* ---- the table: linear probing, backward-shift deletion (no tombstones,
 * so lookups stay short however many blocks come and go) ---- */

static size_t home(uintptr_t key, unsigned bits)
{
	/* Fibonacci hashing; blocks are 8- or 16-byte aligned. */
	return (size_t)(((uint64_t)(key >> 3) * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

static struct slot *map_table(unsigned bits)
{
	void *p = mmap(NULL, sizeof(struct slot) << bits, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void unmap_table(struct slot *t, unsigned bits)
{
	if (t)
		munmap(t, sizeof(struct slot) << bits);
}

static void put(struct slot *t, unsigned bits, uintptr_t key, size_t size)
{
	size_t mask = ((size_t)1 << bits) - 1;
	size_t i = home(key, bits);
	while (t[i].key && t[i].key != key)
		i = (i + 1) & mask;
	t[i].key = key;
	t[i].size = size;
}

/* Doubles the table when it is half full.  On failure the table stays as
 * it is and new blocks go untracked (flagged as overflow). */
static bool make_room(void)
{
	if ((H.count + 1) * 2 <= ((size_t)1 << H.bits))
		return true;
	struct slot *t = map_table(H.bits + 1);
	if (!t) {
		H.overflow = true;
		return false;
	}
	for (size_t i = 0; i < ((size_t)1 << H.bits); i++)
		if (H.table[i].key)
			put(t, H.bits + 1, H.table[i].key, H.table[i].size);
	unmap_table(H.table, H.bits);
	H.table = t;
	H.bits++;
	return true;
}

static void track(void *p, size_t size)
{
	if (!make_room())
		return;
	size_t mask = ((size_t)1 << H.bits) - 1;
	size_t i = home((uintptr_t)p, H.bits);
	while (H.table[i].key && H.table[i].key != (uintptr_t)p)
		i = (i + 1) & mask;
	if (H.table[i].key) {   /* reused address we missed the free of: replace */
		H.live_bytes -= H.table[i].size;
	} else {
		H.count++;
	}
	H.table[i].key = (uintptr_t)p;
	H.table[i].size = size;
	H.live_bytes += size;
	if (H.live_bytes > H.peak)
		H.peak = H.live_bytes;
}

/* The size tracked for block p, or (size_t)-1 when p is not tracked. */
static size_t lookup(uintptr_t p)
{
	size_t mask = ((size_t)1 << H.bits) - 1;
	for (size_t i = home(p, H.bits); H.table[i].key; i = (i + 1) & mask)
		if (H.table[i].key == p)
			return H.table[i].size;
	return (size_t)-1;
}

/* Forgets p if tracked; returns whether it was. */
static bool untrack(void *p)
{
	size_t mask = ((size_t)1 << H.bits) - 1;
	size_t i = home((uintptr_t)p, H.bits);
	while (H.table[i].key != (uintptr_t)p) {
		if (!H.table[i].key)
			return false;
		i = (i + 1) & mask;
	}
	H.live_bytes -= H.table[i].size;
	H.count--;
	/* Shift later members of the cluster back so no lookup stops early. */
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!H.table[j].key)
			break;
		size_t k = home(H.table[j].key, H.bits);
		bool movable = i <= j ? (k <= i || k > j) : (k <= i && k > j);
		if (movable) {
			H.table[i] = H.table[j];
			i = j;
		}
	}
	H.table[i].key = 0;
	return true;
}

/* ---- the hook functions: ctx is the chained allocator ---- */

static void *hook_malloc(void *ctx, size_t size)
{
	PyMemAllocatorEx *next = ctx;
	void *p = next->malloc(next->ctx, size);
	if (H.probing) {
		H.probe_seen = true;
	} else if (p && H.active) {
		H.allocations++;
		track(p, size);
	}
	return p;
}

static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
	PyMemAllocatorEx *next = ctx;
	void *p = next->calloc(next->ctx, nelem, elsize);
	if (p && H.active && !H.probing) {
		H.allocations++;
		track(p, nelem * elsize);   /* the allocator checked the product */
	}
	return p;
}

static void *hook_realloc(void *ctx, void *ptr, size_t size)
{
	PyMemAllocatorEx *next = ctx;
	void *p = next->realloc(next->ctx, ptr, size);
	if (p && H.active && !H.probing) {
		H.allocations++;
		/* As tracemalloc does: the old block's trace goes, the new one is
		 * traced, whether or not the old one was. */
		if (ptr)
			untrack(ptr);
		track(p, size);
	}
	return p;
}

static void hook_free(void *ctx, void *ptr)
{
	PyMemAllocatorEx *next = ctx;
	/* Untrack first: once freed, the address may be handed out again. */
	if (ptr && H.active && !H.probing && untrack(ptr))
		H.frees++;
	next->free(next->ctx, ptr);
}

static PyMemAllocatorEx our_mem = { &H.orig_mem, hook_malloc, hook_calloc, hook_realloc, hook_free };
static PyMemAllocatorEx our_obj = { &H.orig_obj, hook_malloc, hook_calloc, hook_realloc, hook_free };

static bool is_ours(PyMemAllocatorDomain domain, const PyMemAllocatorEx *ours)
{
	PyMemAllocatorEx cur;
	PyMem_GetAllocator(domain, &cur);
	return cur.ctx == ours->ctx && cur.malloc == ours->malloc && cur.free == ours->free;
}

int allochook_install(void)
{
	if (H.installed)
		return -1;
	struct slot *t = map_table(TABLE_MIN_BITS);
	if (!t)
		return -1;
	H.table = t;
	H.bits = TABLE_MIN_BITS;
	H.count = 0;
	H.live_bytes = 0;
	H.overflow = false;
	PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &H.orig_mem);
	PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &H.orig_obj);
	allochook_reset();
	H.installed = true;
	H.active = true;
	PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &our_mem);
	PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &our_obj);
	return 0;
}

void allochook_uninstall(void)
{
	if (!H.installed)
		return;
	H.active = false;
	if (is_ours(PYMEM_DOMAIN_MEM, &our_mem))
		PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &H.orig_mem);
	if (is_ours(PYMEM_DOMAIN_OBJ, &our_obj))
		PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &H.orig_obj);
	unmap_table(H.table, H.bits);
	H.table = NULL;
	H.count = 0;
	H.live_bytes = 0;
	H.installed = false;
}

bool allochook_installed(void)
{
	return H.installed;
}

/* Allocates one byte through the domain's current allocator and sees
 * whether our hook was called on the way. */
static bool reaches_us(PyMemAllocatorDomain domain)
{
	H.probing = true;
	H.probe_seen = false;
	void *p = domain == PYMEM_DOMAIN_MEM ? PyMem_Malloc(1) : PyObject_Malloc(1);
	bool seen = H.probe_seen;
	if (domain == PYMEM_DOMAIN_MEM)
		PyMem_Free(p);
	else
		PyObject_Free(p);
	H.probing = false;
	return seen;
}

bool allochook_intact(void)
{
	if (!H.installed)
		return false;
	bool mem = is_ours(PYMEM_DOMAIN_MEM, &our_mem) || reaches_us(PYMEM_DOMAIN_MEM);
	bool obj = is_ours(PYMEM_DOMAIN_OBJ, &our_obj) || reaches_us(PYMEM_DOMAIN_OBJ);
	return mem && obj;
}

int allochook_reinstall(void)
{
	if (!H.installed)
		return -1;
	if (!is_ours(PYMEM_DOMAIN_MEM, &our_mem) && !reaches_us(PYMEM_DOMAIN_MEM)) {
		PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &H.orig_mem);
		PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &our_mem);
	}
	if (!is_ours(PYMEM_DOMAIN_OBJ, &our_obj) && !reaches_us(PYMEM_DOMAIN_OBJ)) {
		PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &H.orig_obj);
		PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &our_obj);
	}
	return 0;
}

void allochook_reset(void)
{
	H.allocations = 0;
	H.frees = 0;
	H.base_bytes = H.live_bytes;
	H.peak = H.live_bytes;
}

void allochook_read(struct allochook_stats *out)
{
	out->allocations = H.allocations;
	out->frees = H.frees;
	out->live_blocks = H.count;
	out->live_bytes = H.live_bytes;
	out->net_bytes = (long long)H.live_bytes - (long long)H.base_bytes;
	out->peak_bytes = H.peak - H.base_bytes;
	out->overflow = H.overflow;
}

bool allochook_holds(const void *addr)
{
	if (!H.installed || !H.table)
		return false;
	for (uintptr_t off = 0; off <= 64 && off <= (uintptr_t)addr; off += 8) {
		size_t size = lookup((uintptr_t)addr - off);
		if (size != (size_t)-1 && size > off)
			return true;
	}
	return false;
}

