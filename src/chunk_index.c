// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chunk_index.c - the pool's chunks sorted by start address, so that free,
 * has_addr and virt_to_phys find an address's chunk by binary search
 * (O(log chunks)) instead of walking the list.
 *
 * Buckets: with many chunks the binary search is about ten dependent loads
 * per free. So the index also cuts the span from the first chunk's start
 * to the last one's end into a power of two of equal buckets, at least
 * two per chunk, and records for each the first chunk that reaches it: a
 * lookup shifts the address to its bucket and searches only the chunks
 * that reach that bucket, one or two when the chunks are of similar size.
 *
 * Copy on write under RCU: gen_pool_add builds a new array with the chunk
 * inserted (gen_pool_remove_chunk one without it), under the pool lock, and publishes it with one release store; a
 * reader loads it with acquire and sees a complete sorted array. The old
 * array is retired and freed after a grace period (gp_pool_reclaim). Chunks
 * never overlap, so the chunk holding an address is the last one starting
 * at or before it, if that one reaches it.
 */
#include <string.h>

#include "internal.h"
#include "mutant.h"

/* Does entry @e start at or before @addr? (The index_lt mutant: strictly before.) */
static inline bool starts_by(const struct gp_index_entry *e, unsigned long addr)
{
	return GP_MUTANT(GP_MUT_INDEX_LT) ? e->start < addr : e->start <= addr;
}

/*
 * Branch-free binary search: the halving step is a conditional move, so a
 * lookup of random addresses costs no mispredicted branches (with 1000
 * chunks a branchy search paid about 10 of them per free).
 */
struct gen_pool_chunk *gp_index_find_rcu(struct gen_pool *pool, unsigned long addr)
{
	/* acquire: pairs with the release in gen_pool_add_owner's publication */
	const struct gp_chunk_index *ix = gp_atomic_load_acquire(&pool->index);
	const struct gp_index_entry *e;
	unsigned long n, half, b;

	if (!ix)
		return NULL;
	e = ix->e;
	n = ix->n;
	if (ix->lo) {
		b = (addr - ix->base) >> ix->shift;
		if (addr < ix->base || b >= ix->nb)
			return NULL; /* before the first chunk or past the last */
		/* the chunk holding addr, if any, is among those reaching bucket b */
		e = &ix->e[ix->lo[b]];
		n = ix->lo[b + 1] - ix->lo[b] + 1;
	}
	/* invariant: if any entry starts by addr, the last such is in e[0, n) */
	for (; n > 1; n -= half) {
		half = n / 2;
		e = starts_by(&e[half], addr) ? &e[half] : e;
	}
	return starts_by(e, addr) && addr <= e->end ? e->chunk : NULL;
}

/* Below this many chunks the index has no buckets: the search is short. */
#define BUCKETS_FROM 8
#define MAX_BUCKETS 4096U

/* Buckets for @n chunks: a power of two, at least two per chunk (capped). */
static unsigned int buckets_for(unsigned long n)
{
	unsigned int nb = 1;

	if (n < BUCKETS_FROM)
		return 0;
	while (nb < 2 * n && nb < MAX_BUCKETS)
		nb *= 2;
	return nb;
}

/* An index of @n entries (and its buckets), zeroed; NULL when out of memory. */
static struct gp_chunk_index *index_alloc(unsigned long n)
{
	unsigned int nb = buckets_for(n);
	size_t entries = sizeof(struct gp_chunk_index) + n * sizeof(struct gp_index_entry);
	struct gp_chunk_index *ix;

	ix = gp_meta_heap_zalloc(entries + (nb ? (nb + 1) * sizeof(uint32_t) : 0));
	if (ix) {
		ix->n = n;
		ix->nb = nb;
	}
	return ix;
}

/*
 * Fill the buckets of @ix, whose entries are in place: the smallest shift
 * that puts the last chunk's end in a bucket, then lo[b] = the first entry
 * whose end reaches bucket b's first byte (the last entry past the span).
 */
static void index_fill_buckets(struct gp_chunk_index *ix)
{
	uint32_t *lo = (uint32_t *)&ix->e[ix->n];
	unsigned long span, j = 0;
	unsigned int b;

	if (!ix->nb)
		return;
	ix->base = ix->e[0].start;
	span = ix->e[ix->n - 1].end - ix->base;
	for (ix->shift = 0; (span >> ix->shift) >= ix->nb; ix->shift++)
		;
	for (b = 0; b <= ix->nb; b++) {
		/* bucket b starts at base + b << shift: compare as offsets, which
		 * cannot overflow below the span, and past it take the last entry */
		unsigned long first = (unsigned long)b << ix->shift;

		if (b == ix->nb || first > span)
			first = span;
		while (j + 1 < ix->n && ix->e[j].end - ix->base < first)
			j++;
		lo[b] = (uint32_t)j;
	}
	ix->lo = lo;
}

struct gp_chunk_index *gp_index_with_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
	const struct gp_chunk_index *old = pool->index;
	unsigned long n = old ? old->n : 0, at = 0;
	struct gp_chunk_index *ix;

	ix = index_alloc(n + 1);
	if (!ix)
		return NULL;
	while (at < n && old->e[at].start < chunk->start_addr)
		at++;
	if (at)
		memcpy(ix->e, old->e, at * sizeof(ix->e[0]));
	ix->e[at] = (struct gp_index_entry){ chunk->start_addr, chunk->end_addr, chunk };
	if (n > at)
		memcpy(ix->e + at + 1, old->e + at, (n - at) * sizeof(ix->e[0]));
	index_fill_buckets(ix);
	return ix;
}

struct gp_chunk_index *gp_index_without_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
	const struct gp_chunk_index *old = pool->index;
	unsigned long n = old->n, at = 0;
	struct gp_chunk_index *ix;

	while (old->e[at].chunk != chunk)
		at++;
	ix = index_alloc(n - 1);
	if (!ix)
		return NULL;
	memcpy(ix->e, old->e, at * sizeof(ix->e[0]));
	memcpy(ix->e + at, old->e + at + 1, (n - at - 1) * sizeof(ix->e[0]));
	index_fill_buckets(ix);
	return ix;
}
