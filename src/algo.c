// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * algo.c - the built-in allocation algorithms: pure functions over a racy
 * snapshot of one chunk's bitmap (genpool_algo_t). They may return a run
 * that is taken by the time the caller claims it; the claim re-checks.
 *
 * Semantics are those of the kernel's lib/genalloc.c, for valid input.
 * Data that would make the kernel hang or misbehave (align 0 or not a power
 * of two, a fixed offset inside a granule) makes these return "no fit";
 * the pool refuses it with EINVAL before calling them (gp_algo_check).
 *
 * Called by the pool on a chunk's live bitmap, they search through the
 * chunk's summary (summary.h), skipping full regions; called on any other
 * map (a custom algorithm passing its own bitmap) they scan it plainly.
 * Either way the answer is the same at quiescence.
 */
#include <limits.h>

#include "bitmap.h"
#include "internal.h"
#include "mutant.h"

__thread const struct gen_pool_chunk *gp_search_chunk __attribute__((tls_model("initial-exec")));

/* The summary of @map if it is the bitmap of the chunk being searched. */
const struct gp_summary *gp_algo_summary(const unsigned long *map, unsigned long size)
{
	const struct gen_pool_chunk *c = gp_search_chunk;

	return c && c->bits == map && c->nbits == size ? &c->sum : NULL;
}

/* Kernel bitmap_find_next_zero_area_off() on @map, through its summary if any. */
static unsigned long find_area(const unsigned long *map, unsigned long size, unsigned long start,
			       unsigned long nr, unsigned long align_mask,
			       unsigned long align_offset)
{
	return gp_sum_find_zero_area(gp_algo_summary(map, size), map, size, start, nr, align_mask,
				     align_offset);
}

static unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << (GP_BITS_PER_LONG - (unsigned long)__builtin_clzl(n - 1));
}

static bool is_pow2(unsigned long n)
{
	return n && !(n & (n - 1));
}

unsigned long gen_pool_first_fit(unsigned long *map, unsigned long size, unsigned long start,
				 unsigned int nr, void *data, struct gen_pool *pool,
				 unsigned long start_addr)
{
	(void)data;
	(void)pool;
	(void)start_addr;
	return find_area(map, size, start, nr, 0, 0);
}

unsigned long gen_pool_first_fit_align(unsigned long *map, unsigned long size,
				       unsigned long start, unsigned int nr, void *data,
				       struct gen_pool *pool, unsigned long start_addr)
{
	const struct genpool_data_align *alignment = data;
	unsigned long align, mask, offset;
	int order;

	if (!alignment || !pool || alignment->align <= 0 || !is_pow2((unsigned long)alignment->align))
		return size;
	order = pool->min_alloc_order;
	align = (unsigned long)alignment->align;
	mask = ((align + (1UL << order) - 1) >> order) - 1;
	offset = (start_addr & (align - 1)) >> order;
	return find_area(map, size, start, nr, mask, offset);
}

unsigned long gen_pool_fixed_alloc(unsigned long *map, unsigned long size, unsigned long start,
				   unsigned int nr, void *data, struct gen_pool *pool,
				   unsigned long start_addr)
{
	const struct genpool_data_fixed *fixed = data;
	unsigned long offset_bit, bit;

	(void)start_addr;
	if (!fixed || !pool || (fixed->offset & ((1UL << pool->min_alloc_order) - 1)))
		return size;
	offset_bit = fixed->offset >> pool->min_alloc_order;
	bit = find_area(map, size, start + offset_bit, nr, 0, 0);
	return bit == offset_bit ? bit : size;
}

unsigned long gen_pool_first_fit_order_align(unsigned long *map, unsigned long size,
					     unsigned long start, unsigned int nr, void *data,
					     struct gen_pool *pool, unsigned long start_addr)
{
	(void)data;
	(void)pool;
	(void)start_addr;
	return find_area(map, size, start, nr, roundup_pow_of_two(nr) - 1, 0);
}

/* Smallest free hole that fits @nr; ties go to the lowest address. */
unsigned long gen_pool_best_fit(unsigned long *map, unsigned long size, unsigned long start,
				unsigned int nr, void *data, struct gen_pool *pool,
				unsigned long start_addr)
{
	unsigned long best = size + 1, best_len = size + 1, index, next;

	(void)data;
	(void)pool;
	(void)start_addr;
	index = find_area(map, size, start, nr, 0, 0);
	while (index < size) {
		/*
		 * the hole's end, past wholly free nodes in one step (the pool's
		 * tail is one long hole); holes shorter than nr were never visited
		 */
		next = gp_sum_find_next_bit(gp_algo_summary(map, size), map, size, index + nr);
		if (next - index < best_len) {
			best_len = next - index;
			best = index;
			if (best_len == nr)
				return best;
		}
		index = find_area(map, size, next + 1, nr, 0, 0);
	}
	return best;
}

/*
 * Where the thread of @slot starts in a chunk of @size granules. The chunk
 * is cut into regions of 1024 granules (two 64-byte lines of bitmap words,
 * so that the adjacent-line prefetcher does not pull a neighbour's line
 * either) and slot s takes region rev6(s) / 64 of the way through: the
 * 6-bit reversal puts any two slots that differ in their low bits far
 * apart (slots 0 and 1 at 0 and 1/2, 2 and 3 at 1/4 and 3/4, ...), as
 * sbitmap's per-CPU hints aim to (sbitmap's lesson: different CPUs,
 * different lines). Small chunks give several slots the same start.
 *
 * Inside its region a thread starts at granule 544: the middle of a word
 * of the region's second line, not at the region's first granule. A
 * thread's claims and releases land near its start, and a start on a
 * boundary made them the first free granule of a word, of a level-1 node
 * and often of every node above (a region start is a multiple of 1024):
 * each claim then moved the pre bounds of the free-run index all the way
 * up, a fold and a CAS per level, on nodes the threads share near the top
 * (runs.c; the 2-thread hot pair fell below the 1-thread one). In the
 * middle of a word the claimed granule mostly has busy bits on both sides
 * in its word, and rule S clears the change. A chunk of fewer than two
 * regions keeps start 0: every thread shares it, and scalable fit there
 * is first fit.
 */
#define GP_HINT_ALIGN 1024UL
#define GP_HINT_SLOTS 64UL
#define GP_HINT_INSIDE (GP_HINT_ALIGN / 2 + GP_BITS_PER_LONG / 2)
unsigned long gp_scalable_start(unsigned long size, unsigned int slot)
{
	unsigned long regions = size / GP_HINT_ALIGN, s = slot % GP_HINT_SLOTS, r = 0;

	if (regions < 2)
		return 0;
	for (unsigned int i = 0; i < 6; i++)
		r |= ((s >> i) & 1) << (5 - i);
	return r * regions / GP_HINT_SLOTS * GP_HINT_ALIGN + GP_HINT_INSIDE;
}

/*
 * First fit from the thread's own start, then first fit from @start (0 on a
 * first try). A retry (@start = the position of a run lost to another
 * thread) at or after the thread's start goes on from there and then wraps
 * to 0, since the part before the thread's start may never have been
 * searched. So the last pass always covers every granule the earlier ones
 * skipped, and this fails only where first fit fails.
 */
unsigned long gen_pool_scalable_fit(unsigned long *map, unsigned long size, unsigned long start,
				    unsigned int nr, void *data, struct gen_pool *pool,
				    unsigned long start_addr)
{
	unsigned long hint, bit;

	(void)data;
	(void)pool;
	(void)start_addr;
	if (gp_algo_summary(map, size)) {
		hint = gp_scalable_start(size, gp_thread_slot());
		if (hint > start) {
			bit = find_area(map, size, hint, nr, 0, 0);
			if ((bit < size && nr <= size - bit) || GP_MUTANT(GP_MUT_SCALABLE_ONLY_HINT))
				return bit;
		} else if (hint && start) {
			/*
			 * A retry after a claim lost at or after the thread's
			 * start: go on from there, then wrap to the chunk start,
			 * which this thread may never have searched.
			 */
			bit = find_area(map, size, start, nr, 0, 0);
			if (bit < size && nr <= size - bit)
				return bit;
			start = 0;
		}
	}
	return find_area(map, size, start, nr, 0, 0);
}

/*
 * Why @algo cannot be run with @data on @pool, or NULL when it can. Only the
 * built-in algorithms are checked: a custom one owns its data.
 */
const char *gp_algo_check(const struct gen_pool *pool, genpool_algo_t algo, const void *data)
{
	if (algo == gen_pool_first_fit_align) {
		const struct genpool_data_align *a = data;

		if (!a)
			return "first_fit_align needs struct genpool_data_align";
		if (a->align <= 0 || !is_pow2((unsigned long)a->align))
			return "alignment is not a power of two";
	} else if (algo == gen_pool_fixed_alloc) {
		const struct genpool_data_fixed *f = data;

		if (!f)
			return "fixed_alloc needs struct genpool_data_fixed";
		if (f->offset & ((1UL << pool->min_alloc_order) - 1))
			return "fixed offset is not a multiple of the granule";
	}
	return NULL;
}
