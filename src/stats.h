/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stats.h - the statistics hooks that the entry points call (stats.c has
 * the reader side and the high-water protocol with its proof).
 *
 * Every path that hands granules to a caller calls gp_stats_alloc() after
 * it succeeded, every path that takes them back gp_stats_free() after the
 * release; an ENOMEM result calls gp_stats_failed(), a refused call on a
 * pool gp_stats_refused() (GP_REFUSE_POOL does both, report and count).
 * Each is a few atomic operations on the calling thread's own shard line:
 * no shared word is written on the fast path.
 */
#ifndef GP_STATS_H
#define GP_STATS_H

#include "atomic.h"
#include "internal.h"
#include "mutant.h"

static inline struct gp_stat_shard *gp_stats_shard(struct gen_pool *pool)
{
	return &pool->shards[gp_thread_slot() % GP_NSHARDS].st;
}

/* Slow path of gp_stats_alloc: this shard's live count passed its ceiling. */
void gp_stats_raise(struct gen_pool *pool, struct gp_stat_shard *s) GP_HIDDEN;

/* @nbits granules went to a caller (a successful alloc entry point). */
static inline void gp_stats_alloc(struct gen_pool *pool, unsigned long nbits)
{
	struct gp_stat_shard *s = gp_stats_shard(pool);
	long live;

	gp_atomic_add_relaxed(&s->allocs, 1);
	/*
	 * seq_cst, with the seq_cst load of ceil: a store-buffering pair with
	 * steal() in stats.c (which lowers ceil, then reads live). Either this
	 * thread sees the lowered ceiling and raises it, or steal() sees this
	 * increment and puts the ceiling back above it.
	 */
	live = gp_atomic_add_fetch_seq_cst(&s->live, (long)nbits);
	if (__builtin_expect(live > gp_atomic_load_seq_cst(&s->ceil), 0))
		gp_stats_raise(pool, s);
}

/* @nbits granules came back from a caller (a successful free entry point). */
static inline void gp_stats_free(struct gen_pool *pool, unsigned long nbits)
{
	struct gp_stat_shard *s = gp_stats_shard(pool);
	long live;

	if (!GP_MUTANT(GP_MUT_FREE_NOT_COUNTED))
		gp_atomic_add_relaxed(&s->frees, 1);
	live = gp_atomic_sub_fetch_relaxed(&s->live, (long)nbits);
	/*
	 * Slack: this shard's ceiling now exceeds its count, and the next
	 * shard to pass its own ceiling must take the slack rather than raise
	 * high_water. Relaxed: the flag only keeps high_water exact (see
	 * stats.c); a stale read can over-state it while threads race, never
	 * under-state it. Read before written, so that a set flag costs a
	 * read of a line nobody writes.
	 */
	if (live < gp_atomic_load_relaxed(&s->ceil) && !gp_atomic_load_relaxed(&pool->obs.slack))
		gp_atomic_store_relaxed(&pool->obs.slack, 1);
}

static inline void gp_stats_failed(struct gen_pool *pool)
{
	gp_atomic_add_relaxed(&gp_stats_shard(pool)->failed, 1);
}

static inline void gp_stats_refused(struct gen_pool *pool)
{
	gp_atomic_add_relaxed(&gp_stats_shard(pool)->refused, 1);
}

/* Report a refused call on @pool (not NULL) and count it; returns -err. */
#define GP_REFUSE_POOL(pool, err, ...) (gp_stats_refused(pool), GP_REFUSE((err), __VA_ARGS__))

#endif /* GP_STATS_H */
