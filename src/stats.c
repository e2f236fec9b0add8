// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stats.c - gen_pool_get_stats, gen_pool_reset_high_water,
 * gen_pool_dump_stats, and the high-water protocol.
 *
 * Counting: every counter lives on the per-thread-slot shards of the
 * accounting (struct gp_shard). allocs and frees are single-writer
 * counters of the slot's own thread (a plain load and store; threads that
 * share a slot count on atomic twins), failed and refused atomic adds off
 * the fast path. The shard's live count, live[i] below, is the
 * accounting's own count of granules claimed in the bitmaps through the
 * slot (so in cache pools ranges parked in thread caches count as
 * allocated, as they do for largest_free). A reader sums the shards; each sum is exact at quiescence, and while threads race
 * it lags by the calls in flight (each counter is read once, in turn).
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
 * never below the peak of any quiescent moment. A claim adds to its live
 * count and compares it with its own ceiling, both on its own line: that
 * is the whole fast path. Above the ceiling (gp_stats_raise), with no
 * slack anywhere it raises its ceiling to its count, which raises
 * high_water by exactly the excess. Slack (a ceiling above its count, left
 * behind by frees) must be used before high_water grows, or high_water
 * would only be an upper bound: a release that leaves slack sets
 * pool->obs.slack, and a raise that finds it set asks for a rebalance
 * instead: take every shard's slack (steal: ceil[j] lowered to live[j]),
 * cover every shard past its ceiling from it, and raise only what is still
 * missing. In a sequential history (every call ordered before the next)
 * this keeps, by induction over the calls, sum ceil = the maximum of T so
 * far, i.e. high_water is exact; while calls race it can exceed the true
 * peak by what the racing calls moved (a stale slack flag, shards read one
 * by one).
 *
 * The race that matters for (I2) is a steal lowering ceil[j] while a
 * thread adds to live[j] and reads ceil[j] (a store-buffering pair, both
 * sides seq_cst: the accounting's add and gp_stats_check_ceil's load, the
 * steal's CAS and the rebalance's re-read). Either the adder reads the
 * lowered ceiling and raises it itself (or asks for a rebalance); or its
 * read came first, so its add precedes the CAS and the rebalance's re-read
 * of live[j], after all steals, sees it and covers it. Ceilings only move
 * by CAS; a steal lowers a ceiling only if no raise changed it since it
 * was read, so no raise is lost; slack taken is given back in full
 * (leftover to shard 0), so the sum of ceilings never falls, except at
 * gen_pool_reset_high_water, which gives none back: high_water becomes T.
 *
 * Progress: rebalances are serialised by a lock that alloc and free only
 * try (obs.busy). A raise that finds it taken leaves a request
 * (obs.pending) and returns; the holder re-reads the requests after it
 * unlocks and rebalances again (combine). So alloc and free never wait:
 * stress/stall parks a thread inside a rebalance while the others go on.
 * A thread stalled there delays only the covering of others' excess, which
 * is then below its true value only while that call is in flight.
 *
 * Drift: every rebalance that reads shards while their counts move can
 * over-state by what moved, and the sum of ceilings never comes down, so
 * under sustained concurrent churn high_water drifts upward from the true
 * peak; it is reported capped at the pool's size (no peak exceeds it).
 * gen_pool_reset_high_water starts again from the exact value.
 */
#include <errno.h>
#include <sched.h>
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
	gp_log_at_create(pool);
}

void gp_obs_fini(struct gen_pool *pool)
{
	gp_log_at_destroy(pool);
}

void gp_pool_count_import(struct gen_pool *pool, bool release)
{
	gp_atomic_add_relaxed(release ? &pool->obs.releases : &pool->obs.imports, 1);
}

/* Raise @sh's ceiling to its claimed count if it is below (a CAS loop). */
static void raise_to_count(struct gp_shard *sh)
{
	long ceil = gp_atomic_load_seq_cst(&sh->st.ceil), count;

	/* seq_cst: the rebalance side of the pair described at the top */
	while ((count = gp_atomic_load_seq_cst(&sh->claimed)) > ceil)
		if (gp_atomic_cas_seq_cst(&sh->st.ceil, &ceil, count))
			break;
}

/* Lower @sh's ceiling to its claimed count; the amount removed. Lock held. */
static long steal(struct gp_shard *sh)
{
	long ceil = gp_atomic_load_seq_cst(&sh->st.ceil);
	long count = gp_atomic_load_seq_cst(&sh->claimed);

	/* a failed CAS: a raise moved the ceiling meanwhile, so it has no slack to take */
	if (count >= ceil || !gp_atomic_cas_seq_cst(&sh->st.ceil, &ceil, count))
		return 0;
	return ceil - count;
}

/*
 * Take all slack, then cover every shard whose count passed its ceiling,
 * from the slack first; raise only what is still missing. Slack left over
 * stays on shard 0 (the sum of ceilings never falls). With @reset, nothing
 * is left over: high_water becomes what is claimed. Lock held.
 */
static void rebalance_locked(struct gen_pool *pool, bool reset)
{
	long got = 0, need, give;

	gp_atomic_store_relaxed(&pool->obs.slack, 0); /* a free after this sets it again */
	GP_TESTPOINT(GP_TP_OBS_STEAL);
	for (unsigned int i = 0; i < GP_NSHARDS; i++)
		got += steal(&pool->shards[i]);
	/* re-read after every steal: an add that read an old ceiling is seen here */
	for (unsigned int i = 0; i < GP_NSHARDS; i++) {
		struct gp_shard *sh = &pool->shards[i];

		need = gp_atomic_load_seq_cst(&sh->claimed) - gp_atomic_load_seq_cst(&sh->st.ceil);
		give = need < got ? need : got;
		if (give > 0 && !reset) {
			gp_atomic_add_fetch_seq_cst(&sh->st.ceil, give);
			got -= give;
		}
		if (need > 0 && (!GP_MUTANT(GP_MUT_HW_NO_RAISE) || reset))
			raise_to_count(sh);
	}
	if (got > 0 && !reset) {
		gp_atomic_add_fetch_seq_cst(&pool->shards[0].st.ceil, got);
		gp_atomic_store_relaxed(&pool->obs.slack, 1);
	}
}

static bool try_lock(struct gen_pool *pool)
{
	int free_ = 0;

	/* seq_cst: with the pending flag, see gp_stats_raise */
	return gp_atomic_cas_seq_cst(&pool->obs.busy, &free_, 1);
}

static void unlock(struct gen_pool *pool)
{
	gp_atomic_store_seq_cst(&pool->obs.busy, 0);
}

/*
 * Rebalance while anyone asked for it and the lock is free. A thread that
 * finds the lock taken returns at once: the holder, after it unlocks,
 * sees the request (seq_cst: the request is stored before the failed CAS
 * on the lock, which precedes the unlock, which precedes the holder's
 * re-read of the request) and rebalances again.
 */
static void combine(struct gen_pool *pool)
{
	while (gp_atomic_load_seq_cst(&pool->obs.pending) && try_lock(pool)) {
		gp_atomic_store_seq_cst(&pool->obs.pending, 0);
		rebalance_locked(pool, false);
		unlock(pool);
	}
}

void gp_stats_raise(struct gen_pool *pool, struct gp_shard *sh)
{
	/*
	 * While a rebalance runs, the slack it is collecting is not flagged:
	 * ask it to cover this excess rather than raise past its slack.
	 */
	if (!gp_atomic_load_seq_cst(&pool->obs.slack) &&
	    !gp_atomic_load_seq_cst(&pool->obs.busy)) {
		/* no slack anywhere: the excess is a new peak */
		if (!GP_MUTANT(GP_MUT_HW_NO_RAISE))
			raise_to_count(sh);
		return;
	}
	gp_atomic_store_seq_cst(&pool->obs.pending, 1);
	combine(pool);
}

/* Readers and reset: take the lock (they may wait; alloc and free never do). */
static void lock_wait(struct gen_pool *pool)
{
	while (!try_lock(pool))
		sched_yield();
}

void gen_pool_reset_high_water(struct gen_pool *pool)
{
	if (!pool) {
		GP_REFUSE(EINVAL, "pool is NULL");
		return;
	}
	lock_wait(pool);
	rebalance_locked(pool, true);
	unlock(pool);
	combine(pool); /* requests that came while we held it */
}

/* The counters summed over the shards; the ceilings under the rebalance lock. */
static void sum_shards(struct gen_pool *pool, struct gen_pool_stats *st)
{
	long ceil = 0;

	for (unsigned int i = 0; i < GP_NSHARDS; i++) {
		struct gp_stat_shard *s = &pool->shards[i].st;

		st->allocs += gp_atomic_load_relaxed(&s->allocs) +
			      gp_atomic_load_relaxed(&s->allocs_shared);
		st->frees += gp_atomic_load_relaxed(&s->frees) +
			     gp_atomic_load_relaxed(&s->frees_shared);
		st->failed += gp_atomic_load_relaxed(&s->failed);
		st->refused += gp_atomic_load_relaxed(&s->refused);
	}
	lock_wait(pool); /* no rebalance half done */
	for (unsigned int i = 0; i < GP_NSHARDS; i++)
		ceil += gp_atomic_load_seq_cst(&pool->shards[i].st.ceil);
	unlock(pool);
	combine(pool);
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
	/* no peak exceeds the pool: what racing rebalances over-stated, capped */
	st->high_water = st->high_water < st->size ? st->high_water : st->size;
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
