// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chunk.c - chunk lifetime, the RCU-published chunk list, address lookup,
 * and allocation/free inside one chunk.
 *
 * Publication: a chunk is fully initialised (bitmaps zeroed, fields set,
 * next pointing at the old head) and then stored as the new list head with
 * a release store under pool->lock; readers load the head and each next
 * pointer with acquire. So a reader that sees a chunk sees it initialised.
 * Chunks are never unlinked while the pool is live (only gen_pool_destroy,
 * which has the pool to itself, frees them), so a walk needs the read-side
 * section only for the algorithm pair and for later removal support.
 *
 * Accounting: @avail is decremented after a successful claim and
 * incremented after a successful release. Between the two it may be
 * transiently low (an allocation can then skip a chunk that just got room:
 * the momentary ENOMEM api.md allows) but it never goes stale: at
 * quiescence it equals the free bits times the granule size.
 *
 * Strict pools mark each live allocation's first granule in starts[] and
 * last granule in ends[]; only the allocation's holder touches those bits,
 * and the free's test-and-clear of its start bit is the point at which one
 * of two racing frees of the same allocation wins.
 */
#include <errno.h>

#include "atomic.h"
#include "bitmap.h"
#include "internal.h"
#include "mutant.h"
#include "testpoint.h"

/* Claims of the same run that may fail in a row before a chunk is skipped. */
#define GP_STUCK_RETRIES 1000

struct gen_pool_chunk *gp_chunk_new(const struct gen_pool *pool, unsigned long addr,
				    phys_addr_t phys, unsigned long nbits, int nid, void *owner)
{
	size_t words = GP_BITS_TO_LONGS(nbits);
	size_t maps = (pool->flags & GEN_POOL_STRICT) ? 3 : 1;
	size_t bytes;
	struct gen_pool_chunk *c;
	int placed;

	/* a chunk of nearly the whole address space at order 0: no such memory */
	if (__builtin_mul_overflow(maps * sizeof(unsigned long), words, &bytes) ||
	    __builtin_add_overflow(bytes, sizeof(struct gen_pool_chunk), &bytes))
		return NULL;
	c = gp_meta_zalloc(bytes, nid, &placed);
	if (!c)
		return NULL;
	c->meta_size = bytes;
	c->meta_nid = placed;
	c->start_addr = addr;
	c->end_addr = addr + (nbits << pool->min_alloc_order) - 1;
	c->phys_addr = phys;
	c->owner = owner;
	c->nbits = nbits;
	c->avail = nbits << pool->min_alloc_order;
	if (maps == 3) {
		c->starts = c->bits + words;
		c->ends = c->starts + words;
	}
	return c;
}

void gp_chunk_free(struct gen_pool_chunk *chunk)
{
	gp_meta_free(chunk, chunk->meta_size, chunk->meta_nid);
}

void gp_chunk_publish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
#if GP_MUTANT(GP_MUT_PUBLISH_EARLY)
	struct gen_pool_chunk *older = pool->chunks;

	gp_atomic_store_release(&pool->chunks, chunk);
	chunk->next = older;
#else
	chunk->next = pool->chunks; /* plain: we hold the lock, chunk is private */
	/* release: pairs with the acquire in gp_chunk_first_rcu. */
	gp_atomic_store_release(&pool->chunks, chunk);
#endif
}

struct gen_pool_chunk *gp_chunk_first_rcu(struct gen_pool *pool)
{
	/* acquire: pairs with the release in gp_chunk_publish_locked. */
	return gp_atomic_load_acquire(&pool->chunks);
}

struct gen_pool_chunk *gp_chunk_next_rcu(struct gen_pool_chunk *chunk)
{
	/* acquire: the next chunk was published (release) before @chunk. */
	return gp_atomic_load_acquire(&chunk->next);
}

#define for_each_chunk_rcu(c, pool)                                                          \
	for ((c) = gp_chunk_first_rcu(pool); (c); (c) = gp_chunk_next_rcu(c))

struct gen_pool_chunk *gp_chunk_find_rcu(struct gen_pool *pool, unsigned long addr)
{
	struct gen_pool_chunk *c;

	for_each_chunk_rcu(c, pool)
		if (addr >= c->start_addr && addr <= c->end_addr)
			return c;
	return NULL;
}

struct gen_pool_chunk *gp_chunk_overlap_locked(struct gen_pool *pool, unsigned long first,
					       unsigned long last)
{
	struct gen_pool_chunk *c;

	for (c = pool->chunks; c; c = c->next)
		if (first <= c->end_addr && last >= c->start_addr)
			return c;
	return NULL;
}

static int claim(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
		 unsigned long nbits)
{
	if (pool->flags & GEN_POOL_SPINLOCK)
		return gp_bitmap_claim_locked(c->bits, bit, nbits);
	return gp_bitmap_claim_ll(c->bits, bit, nbits);
}

static int release(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
		   unsigned long nbits)
{
	if (pool->flags & GEN_POOL_SPINLOCK)
		return gp_bitmap_release_locked(c->bits, bit, nbits);
	return gp_bitmap_release_ll(c->bits, bit, nbits);
}

/*
 * Search @c with @algo and claim what it finds; 0 when nothing fits. A lost
 * race (the claim met a bit set since the search) searches again from the
 * failed position, as the kernel does: the bits that stopped us now belong
 * to a thread that got further, so every retry follows someone's progress.
 */
unsigned long gp_chunk_alloc_rcu(struct gen_pool *pool, struct gen_pool_chunk *c,
				 unsigned long nbits, genpool_algo_t algo, void *data)
{
	unsigned long bytes = nbits << pool->min_alloc_order;
	unsigned long bit = 0, failed = ~0UL, size = c->nbits;
	unsigned int stuck = 0;

#if GP_MUTANT(GP_MUT_SEARCH_START)
	static _Thread_local unsigned long carried;

	bit = carried < size ? carried : 0;
#endif
	if (bytes > gp_atomic_load_relaxed(&c->avail))
		return 0;
	for (;;) {
		bit = algo(c->bits, size, bit, (unsigned int)nbits, data, pool, c->start_addr);
		/* a custom algorithm may return a run that overhangs the end */
		if (bit >= size || nbits > size - bit) {
#if GP_MUTANT(GP_MUT_SEARCH_START)
			carried = bit;
#endif
			return 0;
		}
		/*
		 * The built-in algorithms return a failed run again only if a
		 * peer rolled it back meanwhile; one that ignores the bitmap
		 * would do so forever. Give up on the chunk rather than hang.
		 */
		if (bit == failed && ++stuck > GP_STUCK_RETRIES)
			return 0;
		if (claim(pool, c, bit, nbits) == 0)
			break;
		failed = bit;
	}
	if (c->starts) {
		gp_bitmap_test_and_set_bit(c->ends, bit + nbits - 1);
		gp_bitmap_test_and_set_bit(c->starts, bit);
	}
	GP_TESTPOINT(GP_TP_ALLOC_BEFORE_AVAIL);
	if (!GP_MUTANT(GP_MUT_NO_AVAIL))
		gp_atomic_sub_relaxed(&c->avail, bytes);
	return c->start_addr + (bit << pool->min_alloc_order);
}

/* Strict pools: is [bit, bit + nbits) exactly one live allocation? */
static bool strict_bounds_match(const struct gen_pool_chunk *c, unsigned long bit,
				unsigned long nbits)
{
	unsigned long last = bit + nbits - 1;

	return gp_bitmap_test_bit(c->starts, bit) && gp_bitmap_test_bit(c->ends, last) &&
	       gp_bitmap_find_next_bit(c->ends, last, bit) == last;
}

static int strict_free(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
		       unsigned long nbits)
{
	if (!strict_bounds_match(c, bit, nbits))
		return -EINVAL;
	/* one of two racing frees of this allocation wins here */
	if (!gp_bitmap_test_and_clear_bit(c->starts, bit))
		return -EINVAL;
	gp_bitmap_test_and_clear_bit(c->ends, bit + nbits - 1);
	GP_BUG_ON(release(pool, c, bit, nbits) != 0);
	return 0;
}

/*
 * Return [bit, bit + nbits) of @c; the range is known to lie inside @c.
 * -EINVAL (pool unchanged) when a granule is already free or, in strict
 * pools, the range is not exactly one allocation.
 */
int gp_chunk_free_rcu(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
		      unsigned long nbits)
{
	int err;

	if (c->starts)
		err = strict_free(pool, c, bit, nbits);
	else
		err = release(pool, c, bit, nbits) ? -EINVAL : 0;
	if (err)
		return err;
	GP_TESTPOINT(GP_TP_FREE_BEFORE_AVAIL);
	gp_atomic_add_relaxed(&c->avail, nbits << pool->min_alloc_order);
	return 0;
}

/*
 * Bytes still allocated in @c, and in how many ranges: allocations in strict
 * pools (their start marks), maximal runs of allocated granules otherwise.
 */
unsigned long gp_chunk_outstanding(const struct gen_pool *pool,
				   const struct gen_pool_chunk *c, unsigned long *ranges)
{
	unsigned long set;

	if (c->starts) {
		*ranges = gp_bitmap_weight(c->starts, c->nbits);
		set = gp_bitmap_weight(c->bits, c->nbits);
	} else {
		*ranges = gp_bitmap_count_runs(c->bits, c->nbits, &set);
	}
	return set << pool->min_alloc_order;
}
