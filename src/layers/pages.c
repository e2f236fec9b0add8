// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pages.c - page orders over a pool (LDD3's __get_free_pages/free_pages):
 * 2^order granules at an address aligned to (granule << order).
 *
 * A layer over the public API: an allocation is gen_pool_alloc_algo with
 * gen_pool_first_fit_align (which aligns the *address*, correcting for a
 * chunk start's misalignment in whole granules), so it searches through
 * whatever index the aligned algorithm uses, chunks newest first; a free is
 * gen_pool_free of the order's size, so a strict or cache pool refuses a
 * wrong order as it refuses any wrong size. Alignments beyond what
 * struct genpool_data_align can hold (an int: at most 2^30 bytes) use
 * pages_fit_wide below, a plain scan of the aligned candidates.
 *
 * Concurrency: that of gen_pool_alloc_algo and gen_pool_free (lock-free);
 * no state of its own.
 */
#include <errno.h>
#include <limits.h>

#include "../atomic.h"
#include "layer.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define GP_MAX_INT_ALIGN (1UL << 30) /* the largest power of two in an int */

/* The order's size in bytes, or 0 when it overflows or exceeds UINT_MAX granules. */
static unsigned long order_bytes(const struct gen_pool *pool, unsigned int order)
{
	unsigned long g = gp_layer_granule(pool);

	if (order >= 32) /* 2^32 granules > UINT_MAX */
		return 0;
	if (order >= BITS_PER_LONG || g > (~0UL >> order))
		return 0;
	return g << order;
}

/* Are bits [b, b + nr) of @map all clear? Relaxed reads: the claim decides. */
static bool range_clear(const unsigned long *map, unsigned long b, unsigned long nr)
{
	unsigned long end = b + nr;

	while (b < end) {
		unsigned long w = gp_atomic_load_relaxed(&map[b / BITS_PER_LONG]);
		unsigned long off = b % BITS_PER_LONG;
		unsigned long n = BITS_PER_LONG - off < end - b ? BITS_PER_LONG - off : end - b;
		unsigned long mask = (n == BITS_PER_LONG ? ~0UL : ((1UL << n) - 1)) << off;

		if (w & mask)
			return false;
		b += n;
	}
	return true;
}

/*
 * A genpool_algo_t for alignments above 2^30 bytes: the lowest start bit
 * >= @start whose address is a multiple of *(unsigned long *)@data and whose
 * @nr granules are free; @size when none. Such alignments leave few
 * candidates per chunk (its size over the alignment), so a scan is cheap.
 */
static unsigned long pages_fit_wide(unsigned long *map, unsigned long size, unsigned long start,
				    unsigned int nr, void *data, struct gen_pool *pool,
				    unsigned long start_addr)
{
	unsigned long align = *(const unsigned long *)data;
	unsigned long g = gp_layer_granule(pool);
	unsigned long skew = (align - (start_addr & (align - 1))) & (align - 1);
	unsigned long step = align / g, b;

	if (skew % g)
		return size; /* no granule of this chunk is aligned */
	b = skew / g;
	if (b < start)
		b += (start - b + step - 1) / step * step;
	for (; b < size && nr <= size - b; b += step)
		if (range_clear(map, b, nr))
			return b;
	return size;
}

unsigned long gen_pool_alloc_pages(struct gen_pool *pool, unsigned int order)
{
	unsigned long bytes;

	if (!pool)
		return GP_REFUSE_ADDR(EINVAL, "pool is NULL");
	bytes = order_bytes(pool, order);
	if (!bytes)
		return GP_REFUSE_ADDR(EINVAL, "order %u: size overflows or exceeds UINT_MAX granules",
				      order);
	if (bytes <= GP_MAX_INT_ALIGN) {
		struct genpool_data_align a = { .align = (int)bytes };

		return gen_pool_alloc_algo(pool, bytes, gen_pool_first_fit_align, &a);
	}
	return gen_pool_alloc_algo(pool, bytes, pages_fit_wide, &bytes);
}

int gen_pool_free_pages(struct gen_pool *pool, unsigned long addr, unsigned int order)
{
	unsigned long bytes;

	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	bytes = order_bytes(pool, order);
	if (!bytes)
		return GP_REFUSE(EINVAL, "order %u: size overflows or exceeds UINT_MAX granules",
				 order);
	return gen_pool_free(pool, addr, bytes);
}
