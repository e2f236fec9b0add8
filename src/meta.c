// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * meta.c - the single place genpool allocates its own metadata (pool
 * structs, chunk structs and their bitmaps), so that NUMA placement and, in
 * tests, fault injection apply to all of it.
 *
 * Placement: nid >= 0 on a NUMA-capable system puts the memory on that node
 * with libnuma (page-granular mmap, zero-filled); nid -1, or a system without
 * NUMA support, uses calloc. Thread-safe: libnuma and calloc are.
 *
 * Fault injection: tests set gp_meta_fail_after to n > 0 and the n-th
 * metadata allocation from then on fails as if out of memory (then the
 * count stays at 0: off). Costs one relaxed load per metadata allocation,
 * which is never on the alloc/free path.
 */
#include <errno.h>
#include <numa.h>
#include <string.h>

#include "atomic.h"
#include "internal.h"

long gp_meta_fail_after;

/* True when fault injection says this allocation must fail. */
static bool inject_failure(void)
{
	if (gp_atomic_load_relaxed(&gp_meta_fail_after) <= 0)
		return false;
	return __atomic_sub_fetch(&gp_meta_fail_after, 1, __ATOMIC_RELAXED) == 0;
}

/* -EINVAL unless @nid is -1 or a node this system has. */
int gp_meta_check_nid(int nid)
{
	if (nid < -1)
		return -EINVAL;
	if (nid >= 0 && numa_available() >= 0 && nid > numa_max_node())
		return -EINVAL;
	return 0;
}

/*
 * Zeroed heap memory aligned to a cache line: pools and chunks hold
 * line-aligned members (the shards), which calloc's 16 bytes would break.
 */
static void *zalloc_lines(size_t size)
{
	size_t rounded = (size + GP_CACHELINE - 1) & ~(size_t)(GP_CACHELINE - 1);
	void *p;

	if (rounded < size)
		return NULL;
	p = aligned_alloc(GP_CACHELINE, rounded);
	if (p)
		memset(p, 0, rounded);
	return p;
}

void *gp_meta_zalloc(size_t size, int nid, int *placed_nid)
{
	void *p;

	*placed_nid = -1;
	if (inject_failure())
		return NULL;
	if (nid >= 0 && numa_available() >= 0) {
		p = numa_alloc_onnode(size, nid);
		if (p) {
			*placed_nid = nid;
			return p;
		}
		/* fall back to the heap: placement is a preference */
	}
	*placed_nid = -1;
	return zalloc_lines(size);
}

void gp_meta_free(void *p, size_t size, int placed_nid)
{
	if (!p)
		return;
	if (placed_nid >= 0)
		numa_free(p, size);
	else
		free(p);
}

/*
 * Line-aligned and padded too: the algorithm pair and the chunk index are
 * read on every call, and must not share a line with the caller's own
 * heap data, which may be written all the time.
 */
void *gp_meta_heap_zalloc(size_t size)
{
	return inject_failure() ? NULL : zalloc_lines(size);
}

char *gp_meta_strdup(const char *s)
{
	return inject_failure() ? NULL : strdup(s);
}
