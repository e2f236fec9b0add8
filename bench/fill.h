/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fill.h - random prefill of a region, and the list of what it holds.
 */
#ifndef BENCH_FILL_H
#define BENCH_FILL_H

#include <stddef.h>
#include <stdint.h>

#include "allocator.h"
#include "region.h"

struct range {
	uintptr_t addr;
	size_t bytes;
};

/* Ranges held by the harness, to give back at the end. */
struct held {
	struct range *v;
	size_t n, cap;
	size_t granules;
};

int held_push(struct held *h, uintptr_t addr, size_t bytes, int order);
/* Free everything in @h; -1 when the allocator refused a free. */
int held_release(const struct bench_alloc *a, void *ctx, struct held *h);

/*
 * Cover the region with ranges of 1..@max_range granules (uniform), and
 * keep each with probability @occupancy (0..1), seeded by @seed: 0, or -1
 * with @why filled. @max_range 1 holds each granule independently.
 */
int fill_random(const struct bench_alloc *a, void *ctx, const struct region *g, double occupancy,
		unsigned int max_range, uint64_t seed, struct held *h, char *why, size_t len);

#endif /* BENCH_FILL_H */
