// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_tcache_hit.c - the thread cache's hit paths (gp_tcache_alloc_hit,
 * gp_tcache_free_hit) and the depot's hand-over between threads.
 *
 *  - Every free a hit path could see (the chunk of the thread's last cached
 *    call, a served size) that the general path refuses is refused with the
 *    same error and report, and changes nothing: off a granule boundary,
 *    wrong size, past the chunk end, double free, size 0. Against the
 *    mutant hit_no_align the first one is accepted: the test fails (suite
 *    mutants).
 *  - A full magazine handed from one thread to another through the depot,
 *    with no other synchronisation between them (relaxed flags): its rounds
 *    are read by the taker. ThreadSanitizer sees no race only because the
 *    depot's ck_stack calls are annotated (src/tsan.h); against the mutant
 *    depot_no_hb, which leaves the push's release out, it reports one.
 */
#include "error_helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "internal.h"

#define NG 64
#define ROUNDS 4

static struct gen_pool *cache_pool(void)
{
	struct gen_pool *pool = gen_pool_create_flags(ORDER, -1, GEN_POOL_THREAD_CACHE);

	assert_non_null(pool);
	assert_int_equal(gen_pool_cache_configure(pool, 8, ROUNDS), 0);
	assert_int_equal(gen_pool_add(pool, BASE_A, NG * G, -1), 0);
	return pool;
}

/* @call is refused with -EINVAL, reported once, and avail does not move. */
#define EXPECT_REFUSED(pool, call)                                                          \
	do {                                                                                \
		size_t avail0 = gen_pool_avail(pool);                                       \
		assert_int_equal((call), -EINVAL);                                          \
		expect_report(EINVAL);                                                      \
		assert_int_equal(gen_pool_avail(pool), avail0);                             \
	} while (0)

static void test_hit_free_refusals(void **state)
{
	struct gen_pool *pool = cache_pool();
	unsigned long a, b;

	(void)state;
	a = gen_pool_alloc(pool, 2 * G);
	b = gen_pool_alloc(pool, G);
	assert_int_not_equal(a, 0);
	assert_int_not_equal(b, 0);
	/* a cached free: the thread's memo chunk is now A, so the frees below
	 * are seen by the hit path first (refills do not set it) */
	assert_int_equal(gen_pool_free(pool, gen_pool_alloc(pool, G), G), 0);
	assert_non_null(gp_tcache_chunk_of(pool, a));
	EXPECT_REFUSED(pool, gen_pool_free(pool, a + 1, 2 * G));     /* off a granule */
	EXPECT_REFUSED(pool, gen_pool_free(pool, a + G, G));         /* inside, not a start */
	EXPECT_REFUSED(pool, gen_pool_free(pool, a, G));             /* wrong size */
	EXPECT_REFUSED(pool, gen_pool_free(pool, a, 0));             /* size 0 */
	EXPECT_REFUSED(pool, gen_pool_free(pool, BASE_A + (NG - 1) * G, 2 * G)); /* past the end */
	assert_int_equal(gen_pool_free(pool, a, 2 * G), 0);         /* a hit */
	EXPECT_REFUSED(pool, gen_pool_free(pool, a, 2 * G));         /* double free of a cached range */
	assert_int_equal(gen_pool_alloc(pool, 2 * G), a);           /* LIFO hit */
	assert_int_equal(gen_pool_free(pool, a, 2 * G), 0);
	assert_int_equal(gen_pool_free(pool, b, G), 0);
	gen_pool_cache_flush(pool);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	assert_int_equal(gen_pool_destroy(pool), 0);
	expect_no_report();
}

/* ------------------------------------------------------------------------ */
/* Depot hand-over with no synchronisation but the depot's own              */

static struct {
	struct gen_pool *pool;
	int giver_go, given; /* relaxed flags: they order nothing for TSan */
	unsigned long got[3 * ROUNDS];
	int ngot;
} ho;

static void wait_flag(int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_RELAXED))
		sched_yield();
}

/* Frees 3 x ROUNDS single granules it allocated: a full magazine goes to the depot. */
static void *giver(void *unused)
{
	unsigned long a[3 * ROUNDS];

	(void)unused;
	wait_flag(&ho.giver_go);
	for (int i = 0; i < 3 * ROUNDS; i++)
		a[i] = gen_pool_alloc(ho.pool, G);
	for (int i = 0; i < 3 * ROUNDS; i++)
		assert_int_equal(gen_pool_free(ho.pool, a[i], G), 0);
	__atomic_store_n(&ho.given, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Its own cache exists before the giver starts (the registry lock is behind it). */
static void *taker(void *unused)
{
	unsigned long a;

	(void)unused;
	a = gen_pool_alloc(ho.pool, 2 * G); /* creates this thread's cache: another class */
	assert_int_equal(gen_pool_free(ho.pool, a, 2 * G), 0);
	__atomic_store_n(&ho.giver_go, 1, __ATOMIC_RELAXED);
	wait_flag(&ho.given);
	/* an empty cache of class 1: the depot's full magazine, then more */
	for (ho.ngot = 0; ho.ngot < ROUNDS; ho.ngot++)
		ho.got[ho.ngot] = gen_pool_alloc(ho.pool, G);
	for (int i = 0; i < ho.ngot; i++)
		assert_int_equal(gen_pool_free(ho.pool, ho.got[i], G), 0);
	return NULL;
}

static void test_depot_handover(void **state)
{
	pthread_t g, t;

	(void)state;
	memset(&ho, 0, sizeof(ho));
	ho.pool = cache_pool();
	assert_int_equal(pthread_create(&t, NULL, taker, NULL), 0);
	assert_int_equal(pthread_create(&g, NULL, giver, NULL), 0);
	pthread_join(g, NULL);
	pthread_join(t, NULL);
	for (int i = 0; i < ho.ngot; i++)
		assert_int_not_equal(ho.got[i], 0);
	gen_pool_cache_flush(ho.pool);
	assert_int_equal(gen_pool_avail(ho.pool), NG * G);
	assert_int_equal(gen_pool_destroy(ho.pool), 0);
	expect_no_report();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hit_free_refusals, setup),
		cmocka_unit_test_setup(test_depot_handover, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
