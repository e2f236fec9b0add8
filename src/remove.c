// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * remove.c - gen_pool_remove_chunk and gen_pool_shrink: taking a chunk out
 * of a live pool, concurrently with lock-free allocations and frees.
 *
 * Removal in three steps, removals of one pool serialised by life.remove_mu:
 *  1. Close: claim every granule of the chunk for the remover with the
 *     ordinary claim protocol (gp_sum_claim, so the summaries stay right).
 *     The claim meets any allocated granule (ranges parked in thread caches
 *     are claimed too) and then rolls back exactly what it set (I2 of
 *     bitmap.c): -EBUSY, nothing changed. A closed chunk has no free
 *     granule, so no allocation can succeed in it any more, whichever walk
 *     it is on; and it had no allocated one, so no correct free can target
 *     it. Closing is not counted as an allocation (avail, shards).
 *  2. Unpublish (gp_chunk_unpublish_locked, under pool->lock): a new index
 *     without the chunk, then the list link that skips it, each one release
 *     store. The removal counter (life.removals) is raised in the same
 *     critical section, which retires the thread caches' memos of it.
 *  3. Grace period: gp_pool_reclaim waits until every read-side section that
 *     began before step 2 has ended, then frees the metadata. Only then does
 *     the call return, and an imported chunk goes back to its source.
 *
 * Linearisation point: the release store of step 2 that unlinks the chunk
 * from the list. Why nothing hands out or accepts an address of the chunk
 * once the call returns: a walk or lookup that starts after step 2 cannot
 * reach the chunk; one that started before ended before step 3 finished
 * (the grace period waited for it), and between steps 1 and 2 every bit of
 * the chunk was the remover's, so such a walk found no room in it and a
 * free found nothing of its own to release (boundary pools refuse it on the
 * start mark; a plain pool cannot tell a range another caller holds from
 * one it holds itself, as always). A thread cache's memo of the chunk is
 * checked against life.removals before use (tcache.c).
 *
 * A stalled remover never blocks allocation: between steps 1 and 2
 * (pause point GP_TP_REMOVE_CLOSED) it holds only remove_mu, which no
 * allocation or free takes; the chunk's bits are merely full.
 */
#include <errno.h>

#include "internal.h"
#include "log.h"
#include "stats.h"
#include "mutant.h"
#include "rcu.h"
#include "testpoint.h"

/* Claim every granule of @c, or -EBUSY with nothing changed (step 1). */
static int close_chunk(struct gen_pool *pool, struct gen_pool_chunk *c)
{
	bool locked = pool->flags & GEN_POOL_SPINLOCK;

#if GP_MUTANT(GP_MUT_REMOVE_NO_CLOSE)
	/* check, then act: an allocation may land between the two */
	(void)locked;
	return gp_bitmap_weight(c->bits, c->nbits) ? -EBUSY : 0;
#else
	return gp_sum_claim(&c->sum, 0, c->nbits, locked);
#endif
}

/* Undo close_chunk: the remover's bits go back (unpublish had no memory). */
static void reopen_chunk(struct gen_pool *pool, struct gen_pool_chunk *c)
{
#if !GP_MUTANT(GP_MUT_REMOVE_NO_CLOSE)
	GP_BUG_ON(gp_sum_release(&c->sum, 0, c->nbits, pool->flags & GEN_POOL_SPINLOCK));
#else
	(void)pool;
	(void)c;
#endif
}

/* Step 2 under pool->lock; -ENOMEM leaves the chunk published and closed. */
static int unpublish_locked(struct gen_pool *pool, struct gen_pool_chunk *c)
{
	int err = gp_chunk_unpublish_locked(pool, c);

	if (err)
		return err;
	/* release: pairs with the acquire in gp_tcache_chunk_of; the sole
	 * writer is the holder of remove_mu, so the plain read is its own */
	gp_atomic_store_release(&pool->life.removals, pool->life.removals + 1);
#if GP_MUTANT(GP_MUT_REMOVE_NO_GRACE)
	gp_chunk_free(c); /* readers may still stand on it */
#else
	gp_pool_retire_chunk_locked(pool, c);
#endif
	return 0;
}

/*
 * Steps 1-3 for @c of @pool (remove_mu held, not in a read-side section).
 * GEN_POOL_SPINLOCK pools close under the pool lock, as their allocations
 * claim under it with plain stores.
 */
int gp_remove_locked(struct gen_pool *pool, struct gen_pool_chunk *c)
{
	bool spin = pool->flags & GEN_POOL_SPINLOCK;
	struct gp_chunk_import imp = c->import;
	unsigned long start = c->start_addr, bytes = c->end_addr - c->start_addr + 1;
	int err;

	if (spin)
		gp_pool_lock(pool);
	err = close_chunk(pool, c);
	if (err) {
		if (spin)
			gp_pool_unlock(pool);
		return err;
	}
	if (!spin) {
		GP_TESTPOINT(GP_TP_REMOVE_CLOSED);
		gp_pool_lock(pool);
	}
	err = unpublish_locked(pool, c);
	if (err && spin)
		reopen_chunk(pool, c); /* under the lock, as it was closed */
	if (!err) /* under the lock, as the add's record (log.h) */
		gp_log_chunk(pool, GP_TR_REMOVE, start, bytes, c->phys_addr, GP_TRES_OK);
	gp_pool_unlock(pool);
	if (err) {
		if (!spin)
			reopen_chunk(pool, c);
		return err;
	}
	gp_pool_reclaim(pool); /* step 3: the grace period, then the metadata */
	if (imp.src) {
		gp_source_release(&imp);
		gp_source_use(imp.src, -1);
		gp_pool_count_import(pool, true);
		gp_log_chunk(pool, GP_TR_RELEASE, imp.addr, imp.size, 0, GP_TRES_OK);
	}
	return 0;
}

/* The chunk of @pool starting exactly at @start, or NULL (remove_mu held). */
static struct gen_pool_chunk *chunk_at(struct gen_pool *pool, unsigned long start)
{
	struct gen_pool_chunk *c;

	gp_rcu_read_lock();
	c = gp_index_find_rcu(pool, start);
	gp_rcu_read_unlock();
	/* outside the section: only removal frees chunks, and we serialise it */
	return c && c->start_addr == start ? c : NULL;
}

/* Enter the slow path that removes: the fork gate, remove_mu, own caches back. */
static void remove_begin(struct gen_pool *pool)
{
	gp_fork_enter();
	pthread_mutex_lock(&pool->life.remove_mu);
	if (pool->tcache)
		gp_tcache_flush(pool); /* the caller's cache and the depot */
}

static void remove_end(struct gen_pool *pool)
{
	pthread_mutex_unlock(&pool->life.remove_mu);
	gp_fork_leave();
}

int gen_pool_remove_chunk(struct gen_pool *pool, unsigned long start)
{
	struct gen_pool_chunk *c;
	int err;

	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	if (gp_rcu_read_ongoing())
		return -EDEADLK; /* the grace period would wait for ourselves */
	remove_begin(pool);
	c = chunk_at(pool, start);
	err = c ? gp_remove_locked(pool, c) : -EINVAL;
	remove_end(pool);
	if (!c)
		return GP_REFUSE(EINVAL, "no chunk starts at 0x%lx", start);
	return err;
}

size_t gen_pool_shrink(struct gen_pool *pool)
{
	struct gen_pool_chunk *c, *next;
	size_t bytes = 0, provided;

	if (!pool) {
		GP_REFUSE(EINVAL, "pool is NULL");
		return 0;
	}
	if (gp_rcu_read_ongoing())
		return 0; /* as gen_pool_remove_chunk's -EDEADLK: nothing released */
	remove_begin(pool);
	/* no read section: with remove_mu held no chunk of the list is freed */
	for (c = gp_chunk_first_rcu(pool); c; c = next) {
		next = gp_chunk_next_rcu(c);
		provided = c->import.size;
		if (c->import.src && gp_remove_locked(pool, c) == 0)
			bytes += provided;
	}
	remove_end(pool);
	return bytes;
}
