/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stats.h - the statistics hooks that alloc and free call (stats.c has the
 * reader side and the high-water protocol with its proof).
 *
 * Every path that hands granules to a caller calls gp_stats_alloc() after
 * it succeeded, every path that takes them back gp_stats_free() after the
 * release; an ENOMEM result calls gp_stats_failed(), a refused call on a
 * pool gp_stats_refused() (GP_REFUSE_POOL does both, report and count). The
 * claimed-granule accounting of the bitmaps goes through
 * gp_stats_account(), which also keeps the high-water ceilings: high_water
 * is the peak of granules claimed in the bitmaps (in cache pools, ranges
 * parked in thread caches count, as they do for largest_free).
 *
 * Cost on the fast path, no shared line written: the call counts are
 * single-writer counters of the thread that owns the slot (a plain load
 * and store); the high-water check reuses the accounting's atomic add and
 * reads the shard's ceiling. A thread-cache hit touches neither.
 */
#ifndef GP_STATS_H
#define GP_STATS_H

#include "atomic.h"
#include "internal.h"
#include "mutant.h"

/* Slow path: shard @sh passed its high-water ceiling (stats.c). */
void gp_stats_raise(struct gen_pool *pool, struct gp_shard *sh) GP_HIDDEN;

/*
 * Count one on @own (the slot's own thread: a plain load and store, no
 * lock prefix) or, for a thread that shares the slot, on @shared (an
 * atomic add). Slots below GP_NSHARDS belong to one thread for the life of
 * the process (thread.c never gives a slot number twice), so an own
 * counter has a single writer; readers load it relaxed.
 */
static inline void gp_stats_count(unsigned int slot, unsigned long long *own,
				  unsigned long long *shared)
{
	if (__builtin_expect(slot < GP_NSHARDS, 1))
		gp_atomic_store_relaxed(own, gp_atomic_load_relaxed(own) + 1);
	else
		gp_atomic_add_relaxed(shared, 1);
}

/*
 * @n granules, now counted at @count on @sh, went to a caller: past the
 * ceiling, raise it. seq_cst, with the seq_cst add that produced @count: a
 * store-buffering pair with steal() in stats.c (which lowers a ceiling,
 * then reads the count). Either this thread sees the lowered ceiling and
 * raises it, or steal() sees this add and puts the ceiling back above it.
 */
static inline void gp_stats_check_ceil(struct gen_pool *pool, struct gp_shard *sh, long count)
{
	if (__builtin_expect(count > gp_atomic_load_seq_cst(&sh->st.ceil), 0))
		gp_stats_raise(pool, sh);
}

/*
 * Granules came back, leaving @count on @sh: below the ceiling is slack,
 * which the next shard to pass its own ceiling must take rather than raise
 * high_water. Relaxed: the flag only keeps high_water exact (stats.c); a
 * stale read can over-state it while calls overlap, never under-state it.
 * Read before written, so that a set flag costs a read of a line nobody
 * writes.
 */
static inline void gp_stats_note_slack(struct gen_pool *pool, struct gp_shard *sh, long count)
{
	if (count < gp_atomic_load_relaxed(&sh->st.ceil) &&
	    !gp_atomic_load_relaxed(&pool->obs.slack))
		gp_atomic_store_seq_cst(&pool->obs.slack, 1); /* rare: 0 to 1 */
}

/* The bitmaps' accounting: @granules claimed (negative: released) by this thread. */
static inline void gp_stats_account(struct gen_pool *pool, long granules)
{
	struct gp_shard *sh = &pool->shards[gp_thread_slot() % GP_NSHARDS];
	/* seq_cst: see gp_stats_check_ceil; on x86-64 the same locked add */
	long claimed = gp_atomic_add_fetch_seq_cst(&sh->claimed, granules);

	if (granules > 0)
		gp_stats_check_ceil(pool, sh, claimed);
	else
		gp_stats_note_slack(pool, sh, claimed);
}

/*
 * A successful alloc entry point, counted for the calling thread, whose
 * gp_thread_slot() is @slot (a thread cache keeps its owner's, so that a
 * hit reads no thread-local).
 */
static inline void gp_stats_alloc_slot(struct gen_pool *pool, unsigned int slot)
{
	struct gp_shard *sh = &pool->shards[slot % GP_NSHARDS];

	gp_stats_count(slot, &sh->st.allocs, &sh->st.allocs_shared);
}

/* A successful free entry point, as gp_stats_alloc_slot. */
static inline void gp_stats_free_slot(struct gen_pool *pool, unsigned int slot)
{
	struct gp_shard *sh = &pool->shards[slot % GP_NSHARDS];

	if (!GP_MUTANT(GP_MUT_FREE_NOT_COUNTED))
		gp_stats_count(slot, &sh->st.frees, &sh->st.frees_shared);
}

/* @nbits granules went to a caller (a successful alloc entry point). */
static inline void gp_stats_alloc(struct gen_pool *pool, unsigned long nbits)
{
	(void)nbits; /* the granules were counted when they were claimed */
	gp_stats_alloc_slot(pool, gp_thread_slot());
}

/* @nbits granules came back from a caller (a successful free entry point). */
static inline void gp_stats_free(struct gen_pool *pool, unsigned long nbits)
{
	(void)nbits; /* ... and uncounted when they were released */
	gp_stats_free_slot(pool, gp_thread_slot());
}

static inline void gp_stats_failed(struct gen_pool *pool)
{
	gp_atomic_add_relaxed(&pool->shards[gp_thread_slot() % GP_NSHARDS].st.failed, 1);
}

static inline void gp_stats_refused(struct gen_pool *pool)
{
	gp_atomic_add_relaxed(&pool->shards[gp_thread_slot() % GP_NSHARDS].st.refused, 1);
}

/* Report a refused call on @pool (not NULL) and count it; returns -err. */
#define GP_REFUSE_POOL(pool, err, ...) (gp_stats_refused(pool), GP_REFUSE((err), __VA_ARGS__))
/* The same, reported as the public call @caller (a wrapper's helper). */
#define GP_REFUSE_POOL_AS(pool, err, caller, ...)                                          \
	(gp_stats_refused(pool), gp_refuse((err), (caller), __VA_ARGS__))

#endif /* GP_STATS_H */
