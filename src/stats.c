// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stats.c - gen_pool_get_stats, gen_pool_reset_high_water,
 * gen_pool_dump_stats, and the high-water protocol.
 *
 * Counting: every counter lives on the per-thread-slot shards of the
 * accounting (struct gp_shard): allocs, frees, failed and refused are
 * relaxed increments, and the shard's live count (granules handed out less
 * granules given back through this slot) is one atomic add. A reader sums
 * the shards; each sum is exact at quiescence, and while threads race it
 * lags by the calls in flight (each counter is read once, in turn).
 *
 * High water without a shared counter. The allocated total is T = sum of
 * live[i], which no thread sees without reading every shard. Two cheap
 * ideas fail:
 *  - each shard's running maximum of its own live count: the sum of those
 *    maxima is not a peak of the sum. Thread A allocates N and thread B
 *    frees them, twice: A's shard peaks at 2N, B's at 0; the true peak is N.
 *  - each shard's maximum of the total it computed after its own
 *    allocations: reading 32 shards per allocation is the shared traffic we
 *    avoid, and checking only when the shard's own count reaches a new
 *    maximum misses peaks: A allocates 1 (sees 1), frees it, B allocates 1
 *    (sees 1), A allocates 1 again (no new maximum for A), and T = 2 was
 *    never seen.
 * The protocol here gives each shard a ceiling ceil[i] and keeps
 *
 *   (I1) high_water = sum of ceil[i]      (at quiescence)
 *   (I2) live[i] <= ceil[i] for every i   (at quiescence)
 *
 * so T = sum live[i] <= sum ceil[i] = high_water at every quiescent moment,
 * and since the sum of the ceilings never decreases (below), high_water is
 * never below the peak of any quiescent moment. An allocation adds to its
 * live count and compares it with its own ceiling, both on its own line:
 * that is the whole fast path. Above the ceiling (gp_stats_raise), it
 * raises its ceiling to its live count, which raises high_water by exactly
 * the excess. To keep high_water exact, and not merely an upper bound,
 * slack (a ceiling above its live count, left behind by frees) must be
 * used before high_water grows: a free that leaves slack sets pool->obs.slack,
 * and a raise that finds it set first takes, under stats_lock, every other
 * shard's slack (steal: ceil[j] lowered to live[j]) and adds it to its own
 * ceiling; only what is still missing raises high_water. In a sequential
 * history (every call ordered before the next) this keeps, by induction
 * over the calls, sum ceil = the maximum of T so far, i.e. high_water is
 * exact; while calls race it can exceed the true peak by what the racing
 * calls moved (a stale slack flag, a steal reading shards one by one).
 *
 * The race that matters for (I2) is steal() lowering ceil[j] while a
 * thread adds to live[j] and reads ceil[j] (a store-buffering pair, both
 * sides seq_cst: gp_stats_alloc's add and load, steal's CAS and load).
 * Either the adder reads the lowered ceiling, and raises it itself if it
 * is past it; or its read came first, so its add precedes steal's CAS and
 * steal's re-read of live[j] sees it, and steal raises the ceiling back
 * over it. Ceilings only move by CAS; steals are serialised by stats_lock
 * and lower a ceiling only if no raise changed it since they read it, so
 * no raise is lost, and the amount a steal removes is exactly what it
 * gives on (re-raises are raises), so the sum of ceilings never falls
 * except at gen_pool_reset_high_water, which steals all slack and gives it
 * to no one: high_water becomes T.
 *
 * Progress: an allocation only tries stats_lock; taken (another steal, a
 * reader summing the ceilings, a reset), it raises its own ceiling without
 * stealing. So alloc and free stay lock-free (stress/stall parks a thread
 * inside a steal), at the price of an over-statement while they overlap.
 */
#include <errno.h>
#include <string.h>

#include "atomic.h"
#include "bitmap.h"
#include "internal.h"
#include "log.h"
#include "mutant.h"
#include "rcu.h"
#include "stats.h"
#include "testpoint.h"

void gp_obs_init(struct gen_pool *pool)
{
	pthread_mutex_init(&pool->obs.stats_lock, NULL);
	gp_log_at_create(pool);
}

void gp_obs_fini(struct gen_pool *pool)
{
	gp_log_at_destroy(pool);
	pthread_mutex_destroy(&pool->obs.stats_lock);
}

void gp_pool_count_import(struct gen_pool *pool, bool release)
{
	gp_atomic_add_relaxed(release ? &pool->obs.releases : &pool->obs.imports, 1);
}

/* Raise @s's ceiling to its live count if it is below (a CAS loop). */
static void raise_to_live(struct gp_stat_shard *s)
{
	long ceil = gp_atomic_load_seq_cst(&s->ceil), live;

	/* seq_cst: the steal side of the pair described at the top */
	while ((live = gp_atomic_load_seq_cst(&s->live)) > ceil)
		if (gp_atomic_cas_seq_cst(&s->ceil, &ceil, live))
			break;
}

/* Lower @s's ceiling to its live count; the amount removed. stats_lock held. */
static long steal(struct gp_stat_shard *s)
{
	long ceil = gp_atomic_load_seq_cst(&s->ceil);
	long live = gp_atomic_load_seq_cst(&s->live);

	/* a failed CAS: a raise moved the ceiling meanwhile, so it has no slack to take */
	if (live >= ceil || !gp_atomic_cas_seq_cst(&s->ceil, &ceil, live))
		return 0;
	/* an add that read the old ceiling is in live now: cover it again */
	raise_to_live(s);
	return ceil - live;
}

/* Take every other shard's slack onto @s, if a free left any. */
static void take_slack(struct gen_pool *pool, struct gp_stat_shard *s)
{
	long got = 0;

	/*
	 * Never wait on the alloc path: with another steal (or a reader) in,
	 * raise instead, over-stating high_water by as much while they overlap.
	 */
	if (pthread_mutex_trylock(&pool->obs.stats_lock))
		return;
	if (gp_atomic_load_relaxed(&pool->obs.slack)) {
		/* cleared before the shards are read: a later free sets it again */
		gp_atomic_store_relaxed(&pool->obs.slack, 0);
		GP_TESTPOINT(GP_TP_OBS_STEAL);
		for (unsigned int i = 0; i < GP_NSHARDS; i++)
			if (&pool->shards[i].st != s)
				got += steal(&pool->shards[i].st);
		if (got)
			gp_atomic_add_fetch_seq_cst(&s->ceil, got);
	}
	pthread_mutex_unlock(&pool->obs.stats_lock);
}

void gp_stats_raise(struct gen_pool *pool, struct gp_stat_shard *s)
{
	bool slack = gp_atomic_load_relaxed(&pool->obs.slack);

	if (slack)
		take_slack(pool, s);
	if (slack || !GP_MUTANT(GP_MUT_HW_NO_RAISE))
		raise_to_live(s);
	/* more slack taken than needed: it is on this shard now */
	if (gp_atomic_load_relaxed(&s->ceil) > gp_atomic_load_relaxed(&s->live))
		gp_atomic_store_relaxed(&pool->obs.slack, 1);
}

void gen_pool_reset_high_water(struct gen_pool *pool)
{
	if (!pool) {
		GP_REFUSE(EINVAL, "pool is NULL");
		return;
	}
	pthread_mutex_lock(&pool->obs.stats_lock);
	gp_atomic_store_relaxed(&pool->obs.slack, 0);
	for (unsigned int i = 0; i < GP_NSHARDS; i++)
		steal(&pool->shards[i].st);
	pthread_mutex_unlock(&pool->obs.stats_lock);
}

/* The counters summed over the shards; high_water under stats_lock. */
static void sum_shards(struct gen_pool *pool, struct gen_pool_stats *st)
{
	long ceil = 0;

	pthread_mutex_lock(&pool->obs.stats_lock); /* no steal half done */
	for (unsigned int i = 0; i < GP_NSHARDS; i++) {
		struct gp_stat_shard *s = &pool->shards[i].st;

		st->allocs += gp_atomic_load_relaxed(&s->allocs);
		st->frees += gp_atomic_load_relaxed(&s->frees);
		st->failed += gp_atomic_load_relaxed(&s->failed);
		st->refused += gp_atomic_load_relaxed(&s->refused);
		ceil += gp_atomic_load_seq_cst(&s->ceil);
	}
	pthread_mutex_unlock(&pool->obs.stats_lock);
	st->high_water = ceil > 0 ? (size_t)ceil << pool->min_alloc_order : 0;
	st->imports = gp_atomic_load_relaxed(&pool->obs.imports);
	st->releases = gp_atomic_load_relaxed(&pool->obs.releases);
}

/* Chunks and the longest free run among them, in one read-side section. */
static void scan_chunks(struct gen_pool *pool, struct gen_pool_stats *st)
{
	struct gen_pool_chunk *c;
	unsigned long best = 0, run;

	gp_rcu_read_lock();
	for (c = gp_chunk_first_rcu(pool); c; c = gp_chunk_next_rcu(c)) {
		st->chunks++;
		run = gp_chunk_largest_free_rcu(c);
		best = run > best ? run : best;
	}
	gp_rcu_read_unlock();
	st->largest_free = (size_t)best << pool->min_alloc_order;
}

static void collect(struct gen_pool *pool, struct gen_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	sum_shards(pool, st);
	st->cached = pool->tcache ? gp_tcache_cached_bytes(pool) : 0;
	st->avail = gen_pool_avail(pool);
	st->size = gen_pool_size(pool);
	scan_chunks(pool, st);
}

int gen_pool_get_stats(struct gen_pool *pool, struct gen_pool_stats *st, size_t st_size)
{
	struct gen_pool_stats all;

	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	if (!st || !st_size)
		return GP_REFUSE_POOL(pool, EINVAL, "%s", !st ? "st is NULL" : "st_size is 0");
	collect(pool, &all);
	memcpy(st, &all, st_size < sizeof(all) ? st_size : sizeof(all));
	return 0;
}

/* @s as a JSON string (quotes, backslashes and control characters escaped). */
static void put_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void dump_pool_line(struct gen_pool *pool, const struct gen_pool_stats *st, FILE *out)
{
	fputs("{\"type\":\"pool\"", out);
	if (pool->name) {
		fputs(",\"name\":", out);
		put_json_string(out, pool->name);
	}
	fprintf(out,
		",\"min_alloc_order\":%d,\"size\":%zu,\"avail\":%zu,\"cached\":%zu,"
		"\"largest_free\":%zu,\"high_water\":%zu,\"chunks\":%lu,\"allocs\":%llu,"
		"\"frees\":%llu,\"failed\":%llu,\"refused\":%llu,\"imports\":%llu,"
		"\"releases\":%llu}\n",
		pool->min_alloc_order, st->size, st->avail, st->cached, st->largest_free,
		st->high_water, st->chunks, st->allocs, st->frees, st->failed, st->refused,
		st->imports, st->releases);
}

/* One line per chunk, newest first (the order of the walk). */
static void dump_chunk_lines(struct gen_pool *pool, FILE *out)
{
	struct gen_pool_chunk *c;
	unsigned int order = (unsigned int)pool->min_alloc_order;

	gp_rcu_read_lock();
	for (c = gp_chunk_first_rcu(pool); c; c = gp_chunk_next_rcu(c)) {
		unsigned long used = gp_bitmap_weight(c->bits, c->nbits);

		fprintf(out,
			"{\"type\":\"chunk\",\"start\":%lu,\"end\":%lu,\"phys\":%llu,"
			"\"size\":%lu,\"free\":%lu,\"largest_free\":%lu}\n",
			c->start_addr, c->end_addr, (unsigned long long)c->phys_addr,
			c->nbits << order, (c->nbits - used) << order,
			gp_chunk_largest_free_rcu(c) << order);
	}
	gp_rcu_read_unlock();
}

int gen_pool_dump_stats(struct gen_pool *pool, FILE *out)
{
	struct gen_pool_stats st;

	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	if (!out)
		return GP_REFUSE_POOL(pool, EINVAL, "out is NULL");
	collect(pool, &st);
	dump_pool_line(pool, &st, out);
	dump_chunk_lines(pool, out);
	errno = 0;
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
