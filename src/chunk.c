// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chunk.c - chunk lifetime, the RCU-published chunk list, address lookup,
 * and allocation/free inside one chunk.
 *
 * Publication: a chunk is fully initialised (bitmaps zeroed, fields set,
 * next pointing at the old head) and then stored as the new list head with
 * a release store under pool->lock; readers load the head and each next
 * pointer with acquire. So a reader that sees a chunk sees it initialised.
 * gp_chunk_unpublish_locked (gen_pool_remove_chunk, remove.c) unlinks a
 * chunk with one release store; the chunk is freed only after a grace
 * period, so every walk and lookup runs inside a read-side section.
 *
 * Accounting: a claim adds its granules to the calling thread's shard of
 * the pool's claimed count after it succeeds, a release subtracts them
 * after it; gen_pool_avail sums the shards, exact at quiescence. There is
 * no per-chunk counter: a chunk with no free granule is skipped on its
 * summary's top word, and a chunk with too little room costs a search of
 * the few words its summary shows as not full.
 *
 * Boundary pools (strict and cache pools) mark each live allocation's first granule in starts[] and
 * last granule in ends[]; only the allocation's holder touches those bits,
 * and the free's test-and-clear of its start bit is the point at which one
 * of two racing frees of the same allocation wins.
 */
#include <errno.h>

#include "atomic.h"
#include "bitmap.h"
#include "internal.h"
#include "mutant.h"
#include "stats.h"
#include "testpoint.h"

/* Claims of the same run that may fail in a row before a chunk is skipped. */
#define GP_STUCK_RETRIES 1000

struct gen_pool_chunk *gp_chunk_new(const struct gen_pool *pool, unsigned long addr,
				    phys_addr_t phys, unsigned long nbits, int nid, void *owner)
{
	size_t words = GP_BITS_TO_LONGS(nbits);
	size_t maps = (pool->flags & GP_BOUNDARY_FLAGS) ? 3 : 1;
	size_t bytes;
	struct gen_pool_chunk *c;
	int placed;

	/* a chunk of nearly the whole address space at order 0: no such memory */
	if (__builtin_mul_overflow(maps, words, &bytes) ||
	    __builtin_add_overflow(bytes, gp_sum_extra_words(nbits), &bytes) ||
	    __builtin_add_overflow(bytes, gp_runs_extra_words(nbits), &bytes) ||
	    __builtin_mul_overflow(bytes, sizeof(unsigned long), &bytes) ||
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
	if (maps == 3) {
		c->starts = c->bits + words;
		c->ends = c->starts + words;
	}
	gp_sum_init(&c->sum, c->bits, c->bits + maps * words, nbits);
	gp_sum_attach_runs(&c->sum, c->bits + maps * words + gp_sum_extra_words(nbits));
	return c;
}

void gp_chunk_free(struct gen_pool_chunk *chunk)
{
	gp_meta_free(chunk, chunk->meta_size, chunk->meta_nid);
}

/* Replace the index with @ix (release), retiring the old one. */
static void index_replace_locked(struct gen_pool *pool, struct gp_chunk_index *ix)
{
	if (pool->index)
		gp_pool_retire_locked(pool, &pool->index->retired);
	/* release: pairs with the acquire in gp_index_find_rcu */
	gp_atomic_store_release(&pool->index, ix);
}

int gp_chunk_publish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
	struct gp_chunk_index *ix;

	/* a slot first (the walk reaches chunks through slots.h), then the index */
	if (gp_slots_reserve_locked(pool))
		return -ENOMEM;
	ix = gp_index_with_locked(pool, chunk);
	if (!ix)
		return -ENOMEM;
	index_replace_locked(pool, ix);
	gp_slots_publish_locked(pool, chunk);
#if GP_MUTANT(GP_MUT_PUBLISH_EARLY)
	struct gen_pool_chunk *older = pool->chunks;

	gp_atomic_store_release(&pool->chunks, chunk);
	chunk->next = older;
#else
	chunk->next = pool->chunks; /* plain: we hold the lock, chunk is private */
	/* release: pairs with the acquire in gp_chunk_first_rcu. */
	gp_atomic_store_release(&pool->chunks, chunk);
#endif
	return 0;
}

/*
 * Unlink @chunk: its predecessor's link (or the head) skips it. The index
 * goes first, so that from the list's store on neither the walk nor a
 * lookup by address can reach the chunk; readers already on it keep a
 * valid next pointer (older chunks are only freed after their own grace
 * period, which waits for those readers too).
 */
int gp_chunk_unpublish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
	struct gen_pool_chunk **pp = &pool->chunks;
	struct gp_chunk_index *ix;

	while (*pp != chunk)
		pp = &(*pp)->next;
	ix = gp_index_without_locked(pool, chunk);
	if (!ix)
		return -ENOMEM;
	index_replace_locked(pool, ix);
	gp_slots_unpublish_locked(pool, chunk);
	/* release: pairs with the acquire in gp_chunk_first_rcu/next_rcu; the
	 * successor was published before @chunk, so it is initialised. */
	gp_atomic_store_release(pp, chunk->next);
	return 0;
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
	return gp_sum_claim(&c->sum, bit, nbits, pool->flags & GP_LOCK_FLAGS);
}

static int release(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
		   unsigned long nbits)
{
	return gp_sum_release(&c->sum, bit, nbits, pool->flags & GP_LOCK_FLAGS);
}

/* Run @algo on @c, with the chunk named for the built-ins (algo.c). */
static unsigned long search(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long start,
			    unsigned long nbits, genpool_algo_t algo, void *data)
{
	unsigned long bit;

	gp_search_chunk = c;
	bit = algo(c->bits, c->nbits, start, (unsigned int)nbits, data, pool, c->start_addr);
	gp_search_chunk = NULL;
	return bit;
}

/*
 * Search @c with @algo and claim what it finds; 0 when nothing fits. A lost
 * race (the claim met a bit set since the search) searches again from the
 * failed position, as the kernel does: the bits that stopped us now belong
 * to a thread that got further, so every retry follows someone's progress.
 * @live false (a range going straight into a thread cache) leaves the
 * start mark of a boundary pool clear.
 */
unsigned long gp_chunk_alloc_rcu(struct gen_pool *pool, struct gen_pool_chunk *c,
				 unsigned long nbits, genpool_algo_t algo, void *data, bool live)
{
	unsigned long bit = 0, failed = ~0UL, size = c->nbits;
	unsigned int stuck = 0;

#if GP_MUTANT(GP_MUT_SEARCH_START)
	static _Thread_local unsigned long carried;

	bit = carried < size ? carried : 0;
#endif
	if (nbits > size || gp_sum_full(&c->sum))
		return 0;
	for (;;) {
		bit = search(pool, c, bit, nbits, algo, data);
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
		if (live)
			gp_bitmap_test_and_set_bit(c->starts, bit);
	}
	GP_TESTPOINT(GP_TP_ALLOC_BEFORE_AVAIL);
	if (!GP_MUTANT(GP_MUT_NO_AVAIL))
		gp_stats_account(pool, (long)nbits);
	return c->start_addr + (bit << pool->min_alloc_order);
}

/* Strict pools: is [bit, bit + nbits) exactly one live allocation? */
static bool strict_bounds_match(const struct gen_pool_chunk *c, unsigned long bit,
				unsigned long nbits)
{
	unsigned long last = bit + nbits - 1;

	/* no end mark before the last granule (none to look for in a 1-granule range) */
	return gp_bitmap_test_bit(c->starts, bit) && gp_bitmap_test_bit(c->ends, last) &&
	       (last == bit || gp_bitmap_find_next_bit(c->ends, last, bit) == last);
}

/* Free into a thread cache: validate, then clear the start mark (see internal.h). */
int gp_chunk_park(struct gen_pool_chunk *c, unsigned long bit, unsigned long nbits)
{
	if (!strict_bounds_match(c, bit, nbits))
		return -EINVAL;
	/* one of two racing frees of this allocation wins here */
	return gp_bitmap_test_and_clear_bit(c->starts, bit) ? 0 : -EINVAL;
}

void gp_chunk_unpark(struct gen_pool_chunk *c, unsigned long bit)
{
	GP_BUG_ON(gp_bitmap_test_and_set_bit(c->starts, bit));
}

/* Release the bits and, once they are free, uncount them; -EBUSY as release(). */
static int release_counted(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
			   unsigned long nbits)
{
	if (release(pool, c, bit, nbits))
		return -EBUSY;
	GP_TESTPOINT(GP_TP_FREE_BEFORE_AVAIL);
	gp_stats_account(pool, -(long)nbits);
	return 0;
}

/* A range whose start mark is clear (parked): its end mark, then its bits. */
void gp_chunk_release_parked(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
			     unsigned long nbits)
{
	gp_bitmap_test_and_clear_bit(c->ends, bit + nbits - 1);
	GP_BUG_ON(release_counted(pool, c, bit, nbits) != 0);
}

/*
 * Return [bit, bit + nbits) of @c; the range is known to lie inside @c.
 * -EINVAL (pool unchanged) when a granule is already free or, in boundary
 * pools, the range is not exactly one allocation.
 */
int gp_chunk_free_rcu(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
		      unsigned long nbits)
{
	if (!c->starts)
		return release_counted(pool, c, bit, nbits) ? -EINVAL : 0;
	if (gp_chunk_park(c, bit, nbits))
		return -EINVAL;
	gp_chunk_release_parked(pool, c, bit, nbits);
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

/*
 * The longest run of clear bits in @c's bitmap, in granules: a plain scan
 * from bit 0 (ranges parked in thread caches are set, so they count as
 * allocated). Relaxed reads: exact at quiescence, a racy snapshot while
 * threads change the map. The one place statistics read runs from, so that
 * free-run summaries can answer it in O(1) later without other changes.
 */
unsigned long gp_chunk_largest_free_rcu(const struct gen_pool_chunk *c)
{
	/* through the free-run index: a few searches under the top node's bound */
	unsigned long n = gp_runs_longest_exact(&c->sum.runs);

#if GP_MUTANT(GP_MUT_LARGEST_FREE_WORD)
	if (n > GP_BITS_PER_LONG) /* as if no run went on across a word */
		n = GP_BITS_PER_LONG;
#endif
	return n;
}
