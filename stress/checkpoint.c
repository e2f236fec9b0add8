// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * checkpoint.c - quiescent checkpoints and the watchdog.
 *
 * Every cfg.checkpoint_every seconds the controller (main thread) parks all
 * workers between operations and checks, with nothing in flight:
 *   - each chunk's bitmap equals the shadow map, bit for bit;
 *   - no bit is set past the chunk's last granule;
 *   - each chunk's summary levels are exact (invariant S of summary.c), its
 *     free-run nodes too (invariant T of runs.c), and the pool-level slots;
 *     the search through the nodes equals the kernel's linear search for
 *     random lengths, starts and alignments; gen_pool_avail/size are exact;
 *   - strict pools: the start/end bitmaps mark exactly the first/last
 *     granule of each live allocation;
 *   - completeness (scalable fit: it must succeed, on a run the shadow has free);
 *   - the statistics agree with the shadow (stats_check.c);
 *   - completeness: for the longest free run of k granules of each chunk, a
 *     first-fit allocation of k succeeds, at exactly the address first fit
 *     must pick (newest chunk first, lowest granule), and is given back.
 * The watchdog fails the run when no operation and no checkpoint step has
 * completed for cfg.watchdog seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "bitmap.h"
#include "internal.h"

static pthread_mutex_t park_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_workers = PTHREAD_COND_INITIALIZER;
static pthread_cond_t park_ctl = PTHREAD_COND_INITIALIZER;
/*
 * park_req is written under park_mu and read by workers without it, relaxed:
 * it only tells a worker to take the mutex. The mutex and the condition
 * variables order everything a checkpoint reads after the workers' last
 * operations, and the workers' next operations after the checkpoint.
 */
static int park_req;
static unsigned int parked, active; /* under park_mu */

void st_park_init(void)
{
	park_req = 0;
	parked = 0;
	active = st.cfg.threads;
}

/*
 * A cache pool's ranges in a worker's magazines are claimed in the bitmap
 * but free in the shadow: each worker returns its own cache before it parks
 * or leaves (only its thread may), and the controller its own after the
 * completeness frees, so that the checkpoint sees the truth.
 */
static void return_cache(void)
{
	if (st.cfg.flags & GEN_POOL_THREAD_CACHE)
		gen_pool_cache_flush(st.pool);
}

void st_park_point(void)
{
	if (!__atomic_load_n(&park_req, __ATOMIC_RELAXED))
		return;
	return_cache();
	pthread_mutex_lock(&park_mu);
	parked++;
	pthread_cond_signal(&park_ctl);
	while (park_req)
		pthread_cond_wait(&park_workers, &park_mu);
	parked--;
	pthread_mutex_unlock(&park_mu);
}

void st_worker_exit(void)
{
	return_cache();
	pthread_mutex_lock(&park_mu);
	active--;
	pthread_cond_signal(&park_ctl);
	pthread_mutex_unlock(&park_mu);
}

static void step_done(void)
{
	__atomic_add_fetch(&st.checkpoint_steps, 1, __ATOMIC_RELAXED);
}

static bool test_bit(const unsigned long *map, unsigned long i)
{
	return (__atomic_load_n(&map[i / GP_BITS_PER_LONG], __ATOMIC_RELAXED) >>
		(i % GP_BITS_PER_LONG)) & 1;
}

/* Is granule @i of @d the first (@dir -1) or last (@dir +1) of its range? */
static bool range_edge(const struct st_chunk *d, unsigned long i, int dir)
{
	unsigned long tag = d->shadow[i];

	if (!tag)
		return false;
	if (dir < 0)
		return i == 0 || d->shadow[i - 1] != tag;
	return i + 1 == d->granules || d->shadow[i + 1] != tag;
}

/*
 * The free-run search through the nodes equals the kernel's linear search
 * (invariant T makes them equal at quiescence): random lengths, starts,
 * alignments and offsets, a few dozen per chunk and checkpoint.
 */
static void check_run_searches(const struct gen_pool_chunk *pc, unsigned int ci)
{
	static uint64_t rng = 0x9e3779b97f4a7c15ULL;
	unsigned long n = pc->nbits, nr, start, mask, off, want, got;

	for (int q = 0; q < 48; q++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		nr = 1 + rng % (q % 4 ? 24 : 300);
		start = q % 3 ? 0 : (rng >> 20) % n;
		mask = q % 2 ? (1UL << ((rng >> 40) % 9)) - 1 : 0;
		off = q % 5 == 1 ? (rng >> 50) & mask : 0;
		want = gp_bitmap_find_zero_area(pc->bits, n, start, nr, mask, off);
		want = want < n && nr <= n - want ? want : n;
		got = gp_sum_find_zero_area(&pc->sum, pc->bits, n, start, nr, mask, off);
		got = got < n && nr <= n - got ? got : n;
		if (got != want)
			st_fail(ST_CHECKPOINT, "chunk %u: search of %lu granules from %lu, align mask "
				"%#lx offset %lu: through the nodes %lu, linear %lu", ci, nr, start,
				mask, off, got, want);
	}
}

static unsigned long check_bits(const struct gen_pool_chunk *pc, const struct st_chunk *d,
				unsigned int ci)
{
	unsigned long set = 0, bad = 0, word;
	unsigned int level;

	for (unsigned long i = 0; i < d->granules; i++) {
		bool bit = test_bit(pc->bits, i), strict_ok = true;

		set += bit;
		if (pc->starts)
			strict_ok = test_bit(pc->starts, i) == range_edge(d, i, -1) &&
				    test_bit(pc->ends, i) == range_edge(d, i, +1);
		if (bit == (d->shadow[i] != 0) && strict_ok)
			continue;
		if (bad++ < 3)
			st_fail(ST_CHECKPOINT, "chunk %u granule %lu: bit %d, shadow 0x%lx%s", ci,
				i, bit, d->shadow[i], strict_ok ? "" : ", strict start/end wrong");
	}
	for (unsigned long i = d->granules; i % GP_BITS_PER_LONG; i++)
		if (test_bit(pc->bits, i))
			st_fail(ST_CHECKPOINT, "chunk %u: bit %lu set past the end (%lu)", ci, i,
				d->granules);
	if (gp_sum_find_stale(&pc->sum, &level, &word))
		st_fail(ST_CHECKPOINT, "chunk %u: summary bit for level %u word %lu is stale", ci,
			level, word);
	if (gp_runs_find_stale(&pc->sum.runs, &level, &word))
		st_fail(ST_CHECKPOINT, "chunk %u: free-run node %lu of level %u is stale "
			"(invariant T)", ci, word, level);
	check_run_searches(pc, ci);
	return (d->granules - set) * st.granule;
}

struct chunk_list {
	const struct gen_pool_chunk *c[ST_MAX_CHUNKS + 1];
	unsigned int n;
};

static void collect(struct gen_pool *pool, struct gen_pool_chunk *chunk, void *data)
{
	struct chunk_list *l = data;

	(void)pool;
	if (l->n <= ST_MAX_CHUNKS)
		l->c[l->n++] = chunk;
}

static int descriptor_of(const struct gen_pool_chunk *pc)
{
	for (unsigned int i = 0; i < st.nchunks; i++)
		if (st.chunks[i].base == pc->start_addr)
			return (int)i;
	return -1;
}

/* Where first fit must put k granules: newest chunk with room, lowest run. */
static unsigned long first_fit_expected(const struct chunk_list *l, unsigned long k)
{
	for (unsigned int j = 0; j < l->n; j++) {
		const struct st_chunk *d = &st.chunks[descriptor_of(l->c[j])];
		unsigned long run = 0;

		for (unsigned long i = 0; i < d->granules; i++) {
			run = d->shadow[i] ? 0 : run + 1;
			if (run == k)
				return d->base + (i + 1 - k) * st.granule;
		}
	}
	return 0;
}

/*
 * Free a completeness probe of k granules; in a cache pool it lands in this
 * thread's cache, which goes back at once so the next probe sees the truth.
 */
static void checkpoint_free(unsigned long got, unsigned long k)
{
	if (got && gen_pool_free(st.pool, got, k * st.granule))
		st_fail(ST_CHECKPOINT, "completeness: free of 0x%lx failed", got);
	return_cache();
}

/* Is [addr, addr + k granules) free in the shadow of the chunk holding it? */
static bool shadow_free(unsigned long addr, unsigned long k)
{
	int ci = st_region_find(addr);
	const struct st_chunk *d;
	unsigned long first;

	if (ci < 0)
		return false;
	d = &st.chunks[ci];
	first = (addr - d->base) / st.granule;
	if (first + k > d->granules)
		return false;
	for (unsigned long i = first; i < first + k; i++)
		if (d->shadow[i])
			return false;
	return true;
}

/*
 * Scalable fit may place k granules anywhere free, but must not fail, from
 * whichever thread's start it begins: the controller takes on, in turn, the
 * slots that start at the chunk's start, half, quarter and three quarters.
 */
static void check_scalable(unsigned long k, unsigned int ci)
{
	static const unsigned int slots[] = { 0, 1, 2, 3 };
	unsigned int own = gp_tls_slot;
	unsigned long got;

	for (unsigned int i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		gp_tls_slot = slots[i] + 1; /* stored + 1, see src/thread.c */
		errno = 0;
		got = gen_pool_alloc_algo(st.pool, k * st.granule, gen_pool_scalable_fit, NULL);
		if (!got || !shadow_free(got, k))
			st_fail(ST_CHECKPOINT, "completeness: scalable fit of %lu granules from "
				"slot %u (chunk %u has a free run) returned 0x%lx (errno %d)%s", k,
				slots[i], ci, got, errno, got ? ", not a free run" : "");
		checkpoint_free(got, k);
	}
	gp_tls_slot = own;
}

static void check_complete(const struct chunk_list *l, unsigned int ci)
{
	unsigned long k, want, got;

	st_shadow_longest_free(ci, &k);
	if (!k)
		return;
	want = first_fit_expected(l, k);
	errno = 0;
	got = gen_pool_alloc_algo(st.pool, k * st.granule, gen_pool_first_fit, NULL);
	if (got != want)
		st_fail(ST_CHECKPOINT, "completeness: first fit of %lu granules (chunk %u has a "
			"free run) returned 0x%lx (errno %d), expected 0x%lx", k, ci, got, errno,
			want);
	checkpoint_free(got, k);
	check_scalable(k, ci);
}

static void check_pool(bool final)
{
	struct chunk_list l = { .n = 0 };
	size_t avail = 0, size = 0;
	unsigned long stale_slot;

	return_cache(); /* main.c's drain of the exchange slots frees from here */
	gen_pool_for_each_chunk(st.pool, collect, &l);
	if (l.n != st.nchunks)
		st_fail(ST_CHECKPOINT, "pool has %u chunks, harness added %u", l.n, st.nchunks);
	for (unsigned int j = 0; j < l.n; j++) {
		int ci = descriptor_of(l.c[j]);

		if (ci < 0 || l.c[j]->nbits != st.chunks[ci].granules) {
			st_fail(ST_CHECKPOINT, "pool chunk at 0x%lx is not one the harness added",
				l.c[j]->start_addr);
			return;
		}
		avail += check_bits(l.c[j], &st.chunks[ci], (unsigned int)ci);
		size += st.chunks[ci].granules * st.granule;
		step_done();
	}
	if (gp_slots_find_stale(st.pool, &stale_slot))
		st_fail(ST_CHECKPOINT, "pool-level summary: slot %lu (or its group) is stale",
			stale_slot);
	if (gen_pool_avail(st.pool) != avail || gen_pool_size(st.pool) != size)
		st_fail(ST_CHECKPOINT, "gen_pool_avail %zu / size %zu, bitmaps say %zu / %zu",
			gen_pool_avail(st.pool), gen_pool_size(st.pool), avail, size);
	if (final && avail != size)
		st_fail(ST_CHECKPOINT, "at the end %zu of %zu bytes are still allocated",
			size - avail, size);
	st_check_stats(avail, size);
	for (unsigned int j = 0; j < l.n; j++) {
		check_complete(&l, (unsigned int)descriptor_of(l.c[j]));
		step_done();
	}
}

void st_checkpoint(bool final)
{
	check_pool(final);
	st.checkpoints++;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

/* Park every worker, check, release; until all workers have finished. */
void st_controller_loop(void)
{
	double next = st_now() + st.cfg.checkpoint_every;

	pthread_mutex_lock(&park_mu);
	while (active) {
		pthread_mutex_unlock(&park_mu);
		sleep_s(0.01);
		pthread_mutex_lock(&park_mu);
		if (!active || st_now() < next)
			continue;
		__atomic_store_n(&park_req, 1, __ATOMIC_RELAXED);
		while (parked < active)
			pthread_cond_wait(&park_ctl, &park_mu);
		st_checkpoint(false);
		__atomic_store_n(&park_req, 0, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&park_workers);
		next = st_now() + st.cfg.checkpoint_every;
	}
	pthread_mutex_unlock(&park_mu);
}

/* ---- watchdog ---- */

static pthread_t watchdog_thread;
static int watchdog_stop;

static unsigned long progress(void)
{
	unsigned long p = __atomic_load_n(&st.checkpoint_steps, __ATOMIC_RELAXED);

	for (unsigned int t = 0; t < st.cfg.threads; t++)
		p += __atomic_load_n(&st.workers[t].ops_done, __ATOMIC_RELAXED);
	return p;
}

static void *watchdog_main(void *arg)
{
	unsigned long last = progress();
	double since = st_now();

	(void)arg;
	while (!__atomic_load_n(&watchdog_stop, __ATOMIC_ACQUIRE)) {
		unsigned long p;

		sleep_s(0.05);
		p = progress();
		if (p != last) {
			last = p;
			since = st_now();
			continue;
		}
		if (st_now() - since < st.cfg.watchdog)
			continue;
		st_fail(ST_WATCHDOG, "no operation completed for %.0f s", st.cfg.watchdog);
		for (unsigned int t = 0; t < st.cfg.threads; t++)
			fprintf(stderr, "genpool_stress: thread %u stopped after %lu ops\n", t,
				__atomic_load_n(&st.workers[t].ops_done, __ATOMIC_RELAXED));
		st_report();
		fflush(NULL);
		_exit(1);
	}
	return NULL;
}

void st_watchdog_start(void)
{
	__atomic_store_n(&watchdog_stop, 0, __ATOMIC_RELAXED);
	if (pthread_create(&watchdog_thread, NULL, watchdog_main, NULL)) {
		perror("genpool_stress: pthread_create");
		exit(2);
	}
}

void st_watchdog_stop(void)
{
	/* release: pairs with the acquire in watchdog_main */
	__atomic_store_n(&watchdog_stop, 1, __ATOMIC_RELEASE);
	pthread_join(watchdog_thread, NULL);
}
