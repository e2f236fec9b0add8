// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * meta.c - the single place genpool allocates its own metadata (pool
 * structs, chunk structs and their bitmaps), so that NUMA placement and, in
 * tests, fault injection apply to all of it.
 *
 * Placement: nid >= 0 on a NUMA-capable system puts the memory on that node
 * with libnuma (page-granular mmap, zero-filled); nid -1, or a system without
 * NUMA support, uses calloc. Thread-safe: libnuma and calloc are.
 */
#include <errno.h>
#include <numa.h>
#include <string.h>

#include "internal.h"

/* -EINVAL unless @nid is -1 or a node this system has. */
int gp_meta_check_nid(int nid)
{
	if (nid < -1)
		return -EINVAL;
	if (nid >= 0 && numa_available() >= 0 && nid > numa_max_node())
		return -EINVAL;
	return 0;
}

void *gp_meta_zalloc(size_t size, int nid, int *placed_nid)
{
	void *p;

	if (nid >= 0 && numa_available() >= 0) {
		p = numa_alloc_onnode(size, nid);
		if (p) {
			*placed_nid = nid;
			return p;
		}
		/* fall back to the heap: placement is a preference */
	}
	*placed_nid = -1;
	return calloc(1, size);
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
