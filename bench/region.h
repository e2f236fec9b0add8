/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * region.h - the address ranges handed to region allocators.
 *
 * genpool needs address space only: its regions are never mapped and sit
 * at REGION_ADDR_ONLY_BASE (as device memory would, outside the heap).
 * memkind writes its metadata into its region, so it gets an anonymous
 * MAP_NORESERVE mapping: 64 GiB of it costs only the pages it touches.
 * Both are aligned to REGION_ALIGN, so aligned requests mean the same.
 */
#ifndef BENCH_REGION_H
#define BENCH_REGION_H

#include <stdbool.h>
#include <stddef.h>

#include "allocator.h"

#define REGION_ADDR_ONLY_BASE	(1UL << 40)
#define REGION_ALIGN		(2UL << 20)

struct region {
	struct bench_region r;
	void *raw;		/* the mapping, when mapped */
	size_t rawlen;
};

/* 0, or -1 with @why filled (a mapping the kernel refused). */
int region_create(struct region *g, size_t size, int order, bool mapped, char *why, size_t len);
void region_destroy(struct region *g);

static inline size_t region_granules(const struct region *g)
{
	return g->r.size >> g->r.order;
}

#endif /* BENCH_REGION_H */
