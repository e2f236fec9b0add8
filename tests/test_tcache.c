// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_tcache.c - thread caches (GEN_POOL_THREAD_CACHE): every refused
 * call, LIFO hits, exact accounting with ranges cached, flush, thread exit,
 * destroy, the drain before an ENOMEM, a reused pool address, and many
 * threads with overlap detection. No timing assertions: threads meet at
 * barriers, so the tests hold on a loaded machine.
 */
#include "error_helpers.h"
#include "pool_helpers.h"

#include <errno.h>
#include <pthread.h>

#include "bitmap.h"
#include "internal.h"
#include "tcache.h"

#define NG 64 /* granules of the test chunk at BASE_A */
#define CACHE_FLAGS GEN_POOL_THREAD_CACHE

static struct gen_pool *cache_pool(unsigned int max, unsigned int rounds)
{
	struct gen_pool *pool = gen_pool_create_flags(ORDER, -1, CACHE_FLAGS);

	assert_non_null(pool);
	if (max)
		assert_int_equal(gen_pool_cache_configure(pool, max, rounds), 0);
	assert_int_equal(gen_pool_add(pool, BASE_A, NG * G, -1), 0);
	return pool;
}

/* Granules set in the bitmaps of @pool (quiescent). */
static unsigned long claimed(struct gen_pool *pool)
{
	unsigned long n = 0;

	for (struct gen_pool_chunk *c = pool->chunks; c; c = c->next)
		n += gp_bitmap_weight(c->bits, c->nbits);
	return n;
}

/* Every granule is back in the bitmap, and the pool destroys cleanly. */
static void expect_whole_and_destroy(struct gen_pool *pool)
{
	gen_pool_cache_flush(pool);
	assert_int_equal(claimed(pool), 0);
	assert_int_equal(gen_pool_avail(pool), gen_pool_size(pool));
	assert_int_equal(gp_tcache_cached_bytes(pool), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* The state a refused call must leave unchanged. */
struct snap {
	unsigned long bits[NG / GP_BITS_PER_LONG + 1];
	unsigned long starts[NG / GP_BITS_PER_LONG + 1];
	unsigned long ends[NG / GP_BITS_PER_LONG + 1];
	size_t avail, cached;
};

static void take_snap(struct gen_pool *pool, struct snap *s)
{
	struct gen_pool_chunk *c = pool->chunks;
	size_t words = GP_BITS_TO_LONGS(c->nbits) * sizeof(long);

	memset(s, 0, sizeof(*s));
	memcpy(s->bits, c->bits, words);
	memcpy(s->starts, c->starts, words);
	memcpy(s->ends, c->ends, words);
	s->avail = gen_pool_avail(pool);
	s->cached = gp_tcache_cached_bytes(pool);
}

static void expect_unchanged(struct gen_pool *pool, const struct snap *before)
{
	struct snap now;

	take_snap(pool, &now);
	assert_memory_equal(&now, before, sizeof(now));
}

/* Run @fn(@arg) in a new thread and wait for it (and its exit destructor). */
static void in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/* ------------------------------------------------------------------------ */
/* Refused calls                                                            */

static void test_create_with_spinlock_refused(void **state)
{
	(void)state;
	errno = 0;
	assert_null(gen_pool_create_flags(ORDER, -1, GEN_POOL_SPINLOCK | GEN_POOL_THREAD_CACHE));
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
}

static void test_configure_refusals(void **state)
{
	struct gen_pool *plain = gen_pool_create(ORDER, -1);
	struct gen_pool *pool = cache_pool(0, 0);
	static const unsigned int bad[][2] = { { 0, 1 }, { 65, 1 }, { 1, 0 }, { 8, 257 } };

	(void)state;
	assert_int_equal(gen_pool_cache_configure(NULL, 8, 16), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_cache_configure(plain, 8, 16), -EINVAL);
	expect_report(EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gen_pool_cache_configure(pool, bad[i][0], bad[i][1]), -EINVAL);
		expect_report(EINVAL);
	}
	assert_true(gp_tcache_serves(pool, 8)); /* the default, unchanged */
	assert_false(gp_tcache_serves(pool, 9));
	assert_int_equal(gen_pool_cache_configure(pool, 64, 256), 0);
	assert_int_equal(gen_pool_cache_configure(pool, 2, 4), 0); /* again, before use */
	expect_no_report();
	assert_true(gp_tcache_serves(pool, 2));
	assert_false(gp_tcache_serves(pool, 3));

	unsigned long a = gen_pool_alloc(pool, G);
	assert_int_not_equal(a, 0);
	assert_int_equal(gen_pool_cache_configure(pool, 4, 4), -EBUSY);
	expect_report(EBUSY);
	assert_false(gp_tcache_serves(pool, 3)); /* unchanged */
	assert_int_equal(gen_pool_free(pool, a, G), 0);
	expect_whole_and_destroy(pool);
	assert_int_equal(gen_pool_destroy(plain), 0);
}

static void test_flush_null_and_plain(void **state)
{
	struct gen_pool *plain = gen_pool_create(ORDER, -1);

	(void)state;
	gen_pool_cache_flush(NULL);
	expect_report(EINVAL);
	gen_pool_cache_flush(plain); /* no caches: a no-op, not a refusal */
	expect_no_report();
	assert_int_equal(gen_pool_destroy(plain), 0);
}

static void test_double_free_same_thread(void **state)
{
	struct gen_pool *pool = cache_pool(8, 4);
	unsigned long a = gen_pool_alloc(pool, 2 * G);
	struct snap before;

	(void)state;
	assert_int_not_equal(a, 0);
	assert_int_equal(gen_pool_free(pool, a, 2 * G), 0);
	take_snap(pool, &before);
	assert_int_equal(gen_pool_free(pool, a, 2 * G), -EINVAL);
	expect_report(EINVAL);
	expect_unchanged(pool, &before);
	assert_int_equal(gen_pool_alloc(pool, 2 * G), a); /* still cached, once */
	assert_int_equal(gen_pool_free(pool, a, 2 * G), 0);
	expect_whole_and_destroy(pool);
}

struct free_arg {
	struct gen_pool *pool;
	unsigned long addr;
	size_t size;
	int ret;
};

static void *free_in_thread(void *p)
{
	struct free_arg *f = p;

	f->ret = gen_pool_free(f->pool, f->addr, f->size);
	return NULL;
}

static void test_double_free_other_thread(void **state)
{
	struct gen_pool *pool = cache_pool(8, 4);
	unsigned long a = gen_pool_alloc(pool, G), b = gen_pool_alloc(pool, G);
	struct free_arg f = { pool, a, G, 1 };
	struct snap before;

	(void)state;
	/* cached in this thread, freed again in another */
	assert_int_equal(gen_pool_free(pool, a, G), 0);
	take_snap(pool, &before);
	in_thread(free_in_thread, &f);
	assert_int_equal(f.ret, -EINVAL);
	expect_report(EINVAL);
	expect_unchanged(pool, &before);
	assert_int_equal(gen_pool_alloc(pool, G), a);

	/* cached in another thread (returned at its exit), freed again here */
	f.addr = b;
	in_thread(free_in_thread, &f);
	assert_int_equal(f.ret, 0);
	assert_int_equal(gen_pool_free(pool, b, G), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_free(pool, a, G), 0);
	expect_whole_and_destroy(pool);
}

static void test_wrong_size_free(void **state)
{
	struct gen_pool *pool = cache_pool(8, 4);
	unsigned long a = gen_pool_alloc(pool, 2 * G);
	struct snap before;

	(void)state;
	take_snap(pool, &before);
	assert_int_equal(gen_pool_free(pool, a, G), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_free(pool, a, 3 * G), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_free(pool, a + G, G), -EINVAL);
	expect_report(EINVAL);
	expect_unchanged(pool, &before);
	assert_int_equal(gen_pool_free(pool, a, 2 * G), 0);
	expect_whole_and_destroy(pool);
}

/* ------------------------------------------------------------------------ */
/* Hits, accounting, flush                                                  */

static void test_hit_is_lifo(void **state)
{
	struct gen_pool *pool = cache_pool(8, 8);
	unsigned long a[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_not_equal(a[i] = gen_pool_alloc(pool, 3 * G), 0);
	expect_free(pool, a[2], 3 * G);
	expect_free(pool, a[0], 3 * G);
	expect_free(pool, a[3], 3 * G);
	assert_int_equal(gen_pool_alloc(pool, 3 * G), a[3]);
	assert_int_equal(gen_pool_alloc(pool, 3 * G), a[0]);
	assert_int_equal(gen_pool_alloc(pool, 3 * G), a[2]);
	for (int i = 0; i < 4; i++)
		expect_free(pool, a[i], 3 * G);
	expect_whole_and_destroy(pool);
}

static void test_avail_exact_with_ranges_cached(void **state)
{
	struct gen_pool *pool = cache_pool(4, 4);
	unsigned long a[12];
	size_t live = 0;

	(void)state;
	for (int i = 0; i < 12; i++) { /* sizes 1..4 granules, refills cache more */
		assert_int_not_equal(a[i] = gen_pool_alloc(pool, (size_t)(i % 4 + 1) * G), 0);
		live += (size_t)(i % 4 + 1) * G;
		assert_int_equal(gen_pool_avail(pool), NG * G - live);
	}
	assert_true(gp_tcache_cached_bytes(pool) > 0); /* refills parked ranges */
	for (int i = 0; i < 12; i += 2) {
		expect_free(pool, a[i], (size_t)(i % 4 + 1) * G);
		live -= (size_t)(i % 4 + 1) * G;
		assert_int_equal(gen_pool_avail(pool), NG * G - live);
	}
	for (int i = 1; i < 12; i += 2)
		expect_free(pool, a[i], (size_t)(i % 4 + 1) * G);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	assert_true(claimed(pool) > 0); /* the cache holds them ... */
	expect_whole_and_destroy(pool); /* ... and flush returns them */
}

/* More frees than two magazines hold: the depot gets full magazines. */
static void test_flush_returns_cache_and_depot(void **state)
{
	struct gen_pool *pool = cache_pool(2, 2);
	unsigned long a[NG + 1];
	int n = 0;

	(void)state;
	while ((a[n] = gen_pool_alloc(pool, G)))
		n++;
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(n, NG); /* the cache gave its last ranges before failing */
	for (int i = 0; i < n; i++)
		expect_free(pool, a[i], G);
	assert_true(pool->tcache->depot_granules > 0);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	gen_pool_cache_flush(pool);
	assert_int_equal(claimed(pool), 0);
	assert_int_equal(pool->tcache->depot_granules, 0);
	expect_whole_and_destroy(pool);
}

/* ------------------------------------------------------------------------ */
/* Threads: exit, flush generation, destroy, ENOMEM drain, reuse            */

static void *alloc_free_some(void *p)
{
	struct gen_pool *pool = p;
	unsigned long a = gen_pool_alloc(pool, G), b = gen_pool_alloc(pool, 3 * G);

	assert_int_not_equal(a, 0);
	assert_int_not_equal(b, 0);
	expect_free(pool, a, G);
	expect_free(pool, b, 3 * G);
	return NULL;
}

static void test_thread_exit_returns_cache(void **state)
{
	struct gen_pool *pool = cache_pool(8, 4);

	(void)state;
	in_thread(alloc_free_some, pool);
	/* nothing in the depot (two magazines per class sufficed) */
	assert_int_equal(claimed(pool), 0);
	assert_int_equal(gp_tcache_cached_bytes(pool), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* A helper thread that runs steps between barriers with the main thread. */
struct stepper {
	struct gen_pool *pool;
	pthread_barrier_t bar;
	unsigned long live, seen;
	int ret;
};

static void *flush_gen_thread(void *p)
{
	struct stepper *s = p;

	alloc_free_some(s->pool);
	s->live = gen_pool_alloc(s->pool, 2 * G);
	pthread_barrier_wait(&s->bar); /* 1: main flushes */
	pthread_barrier_wait(&s->bar); /* 2 */
	s->ret = gen_pool_free(s->pool, s->live, 2 * G); /* the next call: catches up */
	pthread_barrier_wait(&s->bar); /* 3: main checks */
	pthread_barrier_wait(&s->bar); /* 4 */
	return NULL;
}

static void test_flush_reaches_other_thread_at_next_call(void **state)
{
	struct stepper s = { .pool = cache_pool(8, 4) };
	pthread_t t;

	(void)state;
	pthread_barrier_init(&s.bar, NULL, 2);
	assert_int_equal(pthread_create(&t, NULL, flush_gen_thread, &s), 0);
	pthread_barrier_wait(&s.bar); /* 1 */
	assert_true(claimed(s.pool) > 2); /* the thread's cache holds ranges */
	gen_pool_cache_flush(s.pool);
	pthread_barrier_wait(&s.bar); /* 2 */
	pthread_barrier_wait(&s.bar); /* 3 */
	assert_int_equal(s.ret, 0);
	assert_int_equal(claimed(s.pool), 2); /* only the range just freed */
	assert_int_equal(gp_tcache_cached_bytes(s.pool), 2 * G);
	pthread_barrier_wait(&s.bar); /* 4 */
	pthread_join(t, NULL);
	pthread_barrier_destroy(&s.bar);
	expect_whole_and_destroy(s.pool);
}

static void test_destroy_with_cached_ranges_only(void **state)
{
	struct gen_pool *pool = cache_pool(8, 4);
	unsigned long a = gen_pool_alloc(pool, G);

	(void)state;
	expect_free(pool, a, G);
	assert_true(claimed(pool) > 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
	expect_no_report();
}

/* The thread keeps its cache while main destroys the pool, then exits. */
static void *idle_during_destroy(void *p)
{
	struct stepper *s = p;

	alloc_free_some(s->pool);
	pthread_barrier_wait(&s->bar); /* 1: main destroys */
	pthread_barrier_wait(&s->bar); /* 2 */
	return NULL;                   /* exit: the cache is dead, only freed */
}

static void test_destroy_while_owner_idle(void **state)
{
	struct stepper s = { .pool = cache_pool(8, 4) };
	pthread_t t;

	(void)state;
	pthread_barrier_init(&s.bar, NULL, 2);
	assert_int_equal(pthread_create(&t, NULL, idle_during_destroy, &s), 0);
	pthread_barrier_wait(&s.bar); /* 1 */
	assert_true(claimed(s.pool) > 0);
	assert_int_equal(gen_pool_destroy(s.pool), 0);
	pthread_barrier_wait(&s.bar); /* 2 */
	pthread_join(t, NULL);
	pthread_barrier_destroy(&s.bar);
	expect_no_report();
}

static void test_destroy_busy_keeps_pool(void **state)
{
	struct gen_pool *pool = cache_pool(8, 4);
	unsigned long live = gen_pool_alloc(pool, G), a = gen_pool_alloc(pool, 2 * G);

	(void)state;
	expect_free(pool, a, 2 * G);
	assert_int_equal(gen_pool_destroy(pool), -EBUSY);
	expect_report(EBUSY);
	/* destroy returned the caches; the live range is still live */
	assert_int_equal(claimed(pool), 1);
	assert_int_equal(gen_pool_avail(pool), (NG - 1) * G);
	assert_int_equal(gen_pool_free(pool, live, G), 0);
	assert_int_equal(gen_pool_free(pool, live, G), -EINVAL); /* cached again */
	expect_report(EINVAL);
	a = gen_pool_alloc(pool, 2 * G);
	assert_int_not_equal(a, 0);
	expect_free(pool, a, 2 * G);
	expect_whole_and_destroy(pool);
}

/* Another thread fills the pool with 1-granule ranges and frees them all. */
static void *fill_then_free(void *p)
{
	struct stepper *s = p;
	unsigned long a[NG];
	int n = 0;

	while (n < NG && (a[n] = gen_pool_alloc(s->pool, G)))
		n++;
	s->ret = n;
	for (int i = 0; i < n; i++)
		expect_free(s->pool, a[i], G);
	pthread_barrier_wait(&s->bar); /* 1: its cache keeps 2 x rounds ranges */
	pthread_barrier_wait(&s->bar); /* 2 */
	return NULL;
}

static void test_failing_alloc_drains_own_cache_and_depot(void **state)
{
	struct stepper s = { .pool = cache_pool(8, 4) };
	unsigned long mine[8], big;
	pthread_t t;

	(void)state;
	/* this thread's own cache holds 1-granule ranges too */
	for (int i = 0; i < 8; i++)
		assert_int_not_equal(mine[i] = gen_pool_alloc(s.pool, G), 0);
	for (int i = 0; i < 8; i++)
		expect_free(s.pool, mine[i], G);
	pthread_barrier_init(&s.bar, NULL, 2);
	assert_int_equal(pthread_create(&t, NULL, fill_then_free, &s), 0);
	pthread_barrier_wait(&s.bar); /* 1 */
	assert_true(s.ret >= NG - 8); /* all but what this thread's cache keeps */
	assert_int_equal(claimed(s.pool), NG); /* all parked: caches and depot */
	assert_int_equal(gen_pool_avail(s.pool), NG * G);
	big = gen_pool_alloc(s.pool, 8 * G); /* no room until the drain */
	assert_int_not_equal(big, 0);
	expect_free(s.pool, big, 8 * G);
	pthread_barrier_wait(&s.bar); /* 2 */
	pthread_join(t, NULL);
	pthread_barrier_destroy(&s.bar);
	expect_whole_and_destroy(s.pool);
}

/* Thread with a cache of the old pool calls the new one at the same address. */
static void *across_reuse(void *p)
{
	struct stepper *s = p;
	unsigned long a;

	alloc_free_some(s->pool);
	pthread_barrier_wait(&s->bar); /* 1: main destroys and recreates */
	pthread_barrier_wait(&s->bar); /* 2 */
	a = gen_pool_alloc(s->pool, G);
	s->seen = a;
	s->ret = gen_pool_free(s->pool, a, G);
	return NULL;
}

static void test_reused_pool_address(void **state)
{
	struct stepper s = { .pool = cache_pool(8, 4) };
	struct gen_pool *old = s.pool, *spare[8];
	int nspare = 0;
	pthread_t t;

	(void)state;
	pthread_barrier_init(&s.bar, NULL, 2);
	assert_int_equal(pthread_create(&t, NULL, across_reuse, &s), 0);
	pthread_barrier_wait(&s.bar); /* 1 */
	alloc_free_some(old); /* this thread's memo points at old's cache too */
	assert_int_equal(gen_pool_destroy(old), 0);
	for (;;) { /* try for the same address: malloc usually gives it back */
		s.pool = gen_pool_create_flags(ORDER, -1, CACHE_FLAGS);
		assert_non_null(s.pool);
		if (s.pool == old || nspare == 8)
			break;
		spare[nspare++] = s.pool;
	}
	if (s.pool != old)
		print_message("note: the pool address was not reused; tested anyway\n");
	assert_int_equal(gen_pool_cache_configure(s.pool, 2, 2), 0); /* fresh: not busy */
	assert_int_equal(gen_pool_add(s.pool, BASE_B, 16 * G, -1), 0);
	pthread_barrier_wait(&s.bar); /* 2 */
	pthread_join(t, NULL);
	pthread_barrier_destroy(&s.bar);
	assert_true(s.seen >= BASE_B && s.seen < BASE_B + 16 * G);
	assert_int_equal(s.ret, 0);
	alloc_free_some(s.pool); /* 3 granules: uncached with max 2 */
	assert_int_equal(gen_pool_avail(s.pool), 16 * G);
	gen_pool_cache_flush(s.pool);
	assert_int_equal(claimed(s.pool), 0);
	assert_int_equal(gen_pool_destroy(s.pool), 0);
	while (nspare)
		assert_int_equal(gen_pool_destroy(spare[--nspare]), 0);
}

/* ------------------------------------------------------------------------ */
/* Many threads                                                             */

#define HAMMER_THREADS 4
#define HAMMER_OPS 20000
#define HAMMER_LIVE 16
#define HAMMER_NG 512
#define HAMMER_SLOTS 8

static struct {
	struct gen_pool *pool;
	unsigned char busy[HAMMER_NG]; /* 1 while a granule is handed out */
	unsigned long slot[HAMMER_SLOTS]; /* handoff: addr | size in granules << 48 */
	int overlaps, bad_frees, allocs;
} hm;

static bool mark(unsigned long addr, unsigned long n, unsigned char from, unsigned char to)
{
	unsigned long first = (addr - BASE_A) / G;
	bool ok = true;

	for (unsigned long i = first; i < first + n; i++) {
		unsigned char expect = from;

		if (!__atomic_compare_exchange_n(&hm.busy[i], &expect, to, false,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			ok = false;
	}
	return ok;
}

static void hammer_free(unsigned long v)
{
	unsigned long addr = v & ((1UL << 48) - 1), n = v >> 48;

	if (!mark(addr, n, 1, 0))
		__atomic_fetch_add(&hm.overlaps, 1, __ATOMIC_RELAXED);
	if (gen_pool_free(hm.pool, addr, n * G))
		__atomic_fetch_add(&hm.bad_frees, 1, __ATOMIC_RELAXED);
}

static void *hammer(void *p)
{
	unsigned int seed = (unsigned int)(uintptr_t)p;
	unsigned long live[HAMMER_LIVE], v;
	int nlive = 0;

	for (int op = 0; op < HAMMER_OPS; op++) {
		unsigned int r = rand_r(&seed);

		if (nlive < HAMMER_LIVE && (r & 1)) {
			unsigned long n = r / 2 % 10 + 1; /* 9 and 10 are uncached */
			unsigned long addr = gen_pool_alloc(hm.pool, n * G);

			if (!addr)
				continue; /* momentary ENOMEM: peers hold the space */
			if (!mark(addr, n, 0, 1))
				__atomic_fetch_add(&hm.overlaps, 1, __ATOMIC_RELAXED);
			live[nlive++] = addr | n << 48;
			__atomic_fetch_add(&hm.allocs, 1, __ATOMIC_RELAXED);
		} else if (nlive) {
			int i = (int)(r / 2 % (unsigned int)nlive);

			v = live[i];
			live[i] = live[--nlive];
			if (r & 8) /* hand it to another thread, take what is there */
				v = __atomic_exchange_n(&hm.slot[r / 16 % HAMMER_SLOTS], v,
							__ATOMIC_ACQ_REL);
			if (v)
				hammer_free(v);
		}
		if (op % 4096 == 0)
			gen_pool_cache_flush(hm.pool);
		if (op % 1024 == 0)
			(void)gen_pool_avail(hm.pool);
	}
	while (nlive)
		hammer_free(live[--nlive]);
	return NULL;
}

static void test_many_threads(void **state)
{
	pthread_t t[HAMMER_THREADS];

	(void)state;
	memset(&hm, 0, sizeof(hm));
	hm.pool = gen_pool_create_flags(ORDER, -1, CACHE_FLAGS);
	assert_non_null(hm.pool);
	assert_int_equal(gen_pool_add(hm.pool, BASE_A, HAMMER_NG * G, -1), 0);
	for (uintptr_t i = 0; i < HAMMER_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)(i + 1)), 0);
	for (int i = 0; i < HAMMER_THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < HAMMER_SLOTS; i++)
		if (hm.slot[i])
			hammer_free(hm.slot[i]);
	assert_true(hm.allocs > HAMMER_THREADS * HAMMER_OPS / 4);
	assert_int_equal(hm.overlaps, 0);
	assert_int_equal(hm.bad_frees, 0);
	expect_no_report();
	for (int i = 0; i < HAMMER_NG; i++)
		assert_int_equal(hm.busy[i], 0);
	/* the threads' caches came back at exit; the depot comes back here */
	assert_int_equal(gen_pool_avail(hm.pool), HAMMER_NG * G);
	expect_whole_and_destroy(hm.pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_create_with_spinlock_refused, setup),
		cmocka_unit_test_setup(test_configure_refusals, setup),
		cmocka_unit_test_setup(test_flush_null_and_plain, setup),
		cmocka_unit_test_setup(test_double_free_same_thread, setup),
		cmocka_unit_test_setup(test_double_free_other_thread, setup),
		cmocka_unit_test_setup(test_wrong_size_free, setup),
		cmocka_unit_test_setup(test_hit_is_lifo, setup),
		cmocka_unit_test_setup(test_avail_exact_with_ranges_cached, setup),
		cmocka_unit_test_setup(test_flush_returns_cache_and_depot, setup),
		cmocka_unit_test_setup(test_thread_exit_returns_cache, setup),
		cmocka_unit_test_setup(test_flush_reaches_other_thread_at_next_call, setup),
		cmocka_unit_test_setup(test_destroy_with_cached_ranges_only, setup),
		cmocka_unit_test_setup(test_destroy_while_owner_idle, setup),
		cmocka_unit_test_setup(test_destroy_busy_keeps_pool, setup),
		cmocka_unit_test_setup(test_failing_alloc_drains_own_cache_and_depot, setup),
		cmocka_unit_test_setup(test_reused_pool_address, setup),
		cmocka_unit_test_setup(test_many_threads, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
