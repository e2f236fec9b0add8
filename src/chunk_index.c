// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chunk_index.c - the pool's chunks sorted by start address, so that free,
 * has_addr and virt_to_phys find an address's chunk by binary search
 * (O(log chunks)) instead of walking the list.
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
	unsigned long n, half;

	if (!ix)
		return NULL;
	/* invariant: if any entry starts by addr, the last such is in e[0, n) */
	for (e = ix->e, n = ix->n; n > 1; n -= half) {
		half = n / 2;
		e = starts_by(&e[half], addr) ? &e[half] : e;
	}
	return starts_by(e, addr) && addr <= e->end ? e->chunk : NULL;
}

struct gp_chunk_index *gp_index_with_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
	const struct gp_chunk_index *old = pool->index;
	unsigned long n = old ? old->n : 0, at = 0;
	struct gp_chunk_index *ix;

	ix = gp_meta_heap_zalloc(sizeof(*ix) + (n + 1) * sizeof(ix->e[0]));
	if (!ix)
		return NULL;
	while (at < n && old->e[at].start < chunk->start_addr)
		at++;
	if (at)
		memcpy(ix->e, old->e, at * sizeof(ix->e[0]));
	ix->e[at] = (struct gp_index_entry){ chunk->start_addr, chunk->end_addr, chunk };
	if (n > at)
		memcpy(ix->e + at + 1, old->e + at, (n - at) * sizeof(ix->e[0]));
	ix->n = n + 1;
	return ix;
}

struct gp_chunk_index *gp_index_without_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
	const struct gp_chunk_index *old = pool->index;
	unsigned long n = old->n, at = 0;
	struct gp_chunk_index *ix;

	while (old->e[at].chunk != chunk)
		at++;
	ix = gp_meta_heap_zalloc(sizeof(*ix) + (n - 1) * sizeof(ix->e[0]));
	if (!ix)
		return NULL;
	memcpy(ix->e, old->e, at * sizeof(ix->e[0]));
	memcpy(ix->e + at, old->e + at + 1, (n - at - 1) * sizeof(ix->e[0]));
	ix->n = n - 1;
	return ix;
}
