/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shadow.h - an independent record of which granules a replay holds, one
 * bit per granule per chunk: the replay's overlap check, its fragmentation
 * measure, and the occupancy that `genpool map` draws. Knows nothing of
 * genpool. Single-threaded.
 */
#ifndef GP_TOOLS_SHADOW_H
#define GP_TOOLS_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shadow_chunk {
	uint64_t start;		/* first byte */
	uint64_t granules;
	uint64_t *bits;		/* bit set = granule held */
};

struct shadow {
	int order;
	struct shadow_chunk *chunk;	/* sorted by start, disjoint */
	size_t nchunks;
};

void shadow_init(struct shadow *s, int order);
void shadow_fini(struct shadow *s);
/*
 * Add a chunk of @bytes (rounded down to granules); -1 on no memory, on
 * overlap, or when it would reach past 2^64 - 1.
 */
int shadow_add(struct shadow *s, uint64_t start, uint64_t bytes);
/* The chunk holding @addr, or NULL. */
struct shadow_chunk *shadow_find(const struct shadow *s, uint64_t addr);
/*
 * Mark @granules from @addr held. Return: 0; 1 when some were held already
 * (the overlap is marked anyway); -1 when the range is not inside one
 * chunk (nothing marked).
 */
int shadow_take(struct shadow *s, uint64_t addr, uint64_t granules);
/* Clear them. Return: 0; 1 when some were not held; -1 when in no chunk. */
int shadow_give(struct shadow *s, uint64_t addr, uint64_t granules);
bool shadow_test(const struct shadow_chunk *c, uint64_t granule);

/* Free granules in all chunks and the longest free run (granules). */
void shadow_free_runs(const struct shadow *s, uint64_t *free_granules, uint64_t *longest);
/* 1 - longest free run / free space (0 when nothing or all of it is free in one run). */
double shadow_fragmentation(const struct shadow *s);

#endif /* GP_TOOLS_SHADOW_H */
