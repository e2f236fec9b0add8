// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stats_check.c - the statistics against the shadow map, at each quiescent
 * checkpoint (called by checkpoint.c with the bitmaps already found equal
 * to the shadow):
 *   - size, avail and chunks are exact, and nothing is cached (every
 *     thread returned its cache before it parked);
 *   - largest_free is the longest run of free shadow granules of any chunk;
 *   - allocs - frees is the number of live allocations the harness holds
 *     (in workers' lists and the exchange slots);
 *   - high_water is at least what is allocated now, and never below what
 *     any earlier checkpoint found allocated since the last reset;
 *   - exactness with nothing racing: after gen_pool_reset_high_water it is
 *     what is allocated, and after one granule allocated by the controller
 *     (if there is room) exactly what is claimed in the bitmaps (one
 *     granule more; in a cache pool, with the magazine the thread took).
 */
#include "harness.h"

/* The longest run of free granules in the shadow, in bytes. */
static size_t shadow_largest_free(void)
{
	unsigned long best = 0;

	for (unsigned int c = 0; c < st.nchunks; c++) {
		const struct st_chunk *d = &st.chunks[c];
		unsigned long run = 0;

		for (unsigned long i = 0; i < d->granules; i++) {
			run = d->shadow[i] ? 0 : run + 1;
			best = run > best ? run : best;
		}
	}
	return best * st.granule;
}

/* Allocations the harness holds: the workers' lists and the exchange slots. */
static unsigned long long live_allocations(void)
{
	unsigned long long n = 0;

	for (unsigned int i = 0; i < st.cfg.threads; i++)
		n += (unsigned long long)st.workers[i].nlive;
	for (unsigned int s = 0; s < ST_NSLOTS; s++)
		n += __atomic_load_n(&st.slots[s], __ATOMIC_RELAXED) != NULL;
	return n;
}

static size_t high_water(void)
{
	struct gen_pool_stats s;

	gen_pool_get_stats(st.pool, &s, sizeof(s));
	return s.high_water;
}

/* Bytes claimed in the bitmaps now: allocated, plus what caches hold. */
static size_t claimed_now(void)
{
	struct gen_pool_stats s;

	gen_pool_get_stats(st.pool, &s, sizeof(s));
	return s.size - s.avail + s.cached;
}

/* Reset, then one granule more: high_water must follow exactly. */
static void check_exact_high_water(size_t allocated)
{
	unsigned long probe;

	gen_pool_reset_high_water(st.pool);
	if (high_water() != allocated)
		st_fail(ST_CHECKPOINT, "stats: high_water %zu after a reset, %zu allocated",
			high_water(), allocated);
	probe = gen_pool_alloc(st.pool, st.granule);
	if (!probe)
		return; /* full */
	/* in a cache pool the granule came with a magazine's worth of claims */
	if (high_water() != claimed_now() || claimed_now() < allocated + st.granule)
		st_fail(ST_CHECKPOINT, "stats: high_water %zu after one granule more than %zu "
			"(%zu claimed now)", high_water(), allocated, claimed_now());
	if (gen_pool_free(st.pool, probe, st.granule))
		st_fail(ST_CHECKPOINT, "stats: free of the probe 0x%lx failed", probe);
	if (st.cfg.flags & GEN_POOL_THREAD_CACHE)
		gen_pool_cache_flush(st.pool); /* the next checks read the bitmaps */
}

void st_check_stats(size_t avail, size_t size)
{
	static size_t peak; /* allocated bytes at the fullest checkpoint so far */
	struct gen_pool_stats s;
	size_t largest = shadow_largest_free();
	unsigned long long live = live_allocations();

	if (gen_pool_get_stats(st.pool, &s, sizeof(s))) {
		st_fail(ST_CHECKPOINT, "gen_pool_get_stats failed");
		return;
	}
	if (st.checkpoints == 0)
		peak = 0; /* a new run */
	peak = size - avail > peak ? size - avail : peak;
	if (s.size != size || s.avail != avail || s.chunks != st.nchunks || s.cached)
		st_fail(ST_CHECKPOINT, "stats: size %zu avail %zu chunks %lu cached %zu; the "
			"shadow says %zu, %zu, %u, 0", s.size, s.avail, s.chunks, s.cached, size,
			avail, st.nchunks);
	if (s.largest_free != largest)
		st_fail(ST_CHECKPOINT, "stats: largest_free %zu, the shadow's longest free run "
			"is %zu", s.largest_free, largest);
	if (s.allocs - s.frees != live)
		st_fail(ST_CHECKPOINT, "stats: allocs %llu - frees %llu = %llu live, the harness "
			"holds %llu", s.allocs, s.frees, s.allocs - s.frees, live);
	/* (no upper bound: while calls overlap it may exceed the true peak) */
	if (s.high_water < peak)
		st_fail(ST_CHECKPOINT, "stats: high_water %zu, but %zu bytes were allocated at "
			"a checkpoint", s.high_water, peak);
	check_exact_high_water(size - avail);
	peak = size - avail;
}
