// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_remove.c - gen_pool_remove_chunk: what a removal changes (size,
 * avail, lookups, frees, later allocations), every refusal and result of
 * api.md section 3 with the pool left exactly as it was, each pool kind
 * (lock-free, spinlock, strict, cache), thread caches holding ranges of
 * the chunk, the caches' memo of a removed chunk, re-adding the same range,
 * and a failed index allocation.
 */
#include <pthread.h>

#include <errno.h>

#include "error_helpers.h"
#include "internal.h"

#define BASE_D 0x400000UL /* chunk D: 300 granules (several bitmap words) */

/* Chunks A (oldest), B, C (newest) of error_helpers.h, plus D when @big. */
static struct gen_pool *pool_abc(unsigned int flags, bool big)
{
	struct gen_pool *p = gen_pool_create_flags(ORDER, -1, flags);

	assert_non_null(p);
	assert_int_equal(gen_pool_add_virt(p, BASE_A, 0xa000, 32 * G, -1), 0);
	assert_int_equal(gen_pool_add_virt(p, BASE_B, 0xb000, 16 * G, -1), 0);
	assert_int_equal(gen_pool_add_virt(p, BASE_C, 0xc000, 8 * G, -1), 0);
	if (big)
		assert_int_equal(gen_pool_add(p, BASE_D, 300 * G, -1), 0);
	return p;
}

static void count(struct gen_pool *pool, struct gen_pool_chunk *c, void *data)
{
	(void)pool;
	(void)c;
	++*(int *)data;
}

static int chunks_of(struct gen_pool *p)
{
	int n = 0;

	gen_pool_for_each_chunk(p, count, &n);
	return n;
}

/* After removing B: nothing of B is reachable, the rest works as before. */
static void remove_middle(void **state)
{
	static const unsigned int kinds[] = { 0, GEN_POOL_SPINLOCK, GEN_POOL_STRICT,
					      GEN_POOL_THREAD_CACHE };

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct gen_pool *p = pool_abc(kinds[k], false);

		assert_int_equal(gen_pool_remove_chunk(p, BASE_B), 0);
		expect_no_report();
		assert_int_equal(gen_pool_size(p), 40 * G);
		assert_int_equal(gen_pool_avail(p), 40 * G);
		assert_int_equal(chunks_of(p), 2);
		assert_false(gen_pool_has_addr(p, BASE_B, G));
		assert_int_equal(gen_pool_virt_to_phys(p, BASE_B + G), (phys_addr_t)-1);
		assert_true(gen_pool_has_addr(p, BASE_C, 8 * G));
		/* C, then A: never B */
		assert_int_equal(gen_pool_alloc(p, 8 * G), BASE_C);
		assert_int_equal(gen_pool_alloc(p, 9 * G), BASE_A);
		errno = 0;
		assert_int_equal(gen_pool_alloc(p, 24 * G), 0);
		assert_int_equal(errno, ENOMEM);
		/* a free into the removed chunk is refused */
		assert_int_equal(gen_pool_free(p, BASE_B, G), -EINVAL);
		expect_report(EINVAL);
		assert_int_equal(gen_pool_free(p, BASE_C, 8 * G), 0);
		assert_int_equal(gen_pool_free(p, BASE_A, 9 * G), 0);
		/* the same range can come back */
		assert_int_equal(gen_pool_add(p, BASE_B, 16 * G, -1), 0);
		assert_int_equal(gen_pool_alloc(p, 16 * G), BASE_B);
		assert_int_equal(gen_pool_free(p, BASE_B, 16 * G), 0);
		assert_int_equal(gen_pool_destroy(p), 0);
	}
}

/* Every chunk, in every order of age; an empty pool is an ordinary pool. */
static void remove_all(void **state)
{
	struct gen_pool *p = pool_abc(0, true);

	(void)state;
	assert_int_equal(gen_pool_remove_chunk(p, BASE_C), 0); /* the head */
	assert_int_equal(gen_pool_remove_chunk(p, BASE_A), 0); /* the tail */
	assert_int_equal(gen_pool_remove_chunk(p, BASE_D), 0);
	assert_int_equal(gen_pool_remove_chunk(p, BASE_B), 0);
	assert_int_equal(gen_pool_size(p), 0);
	assert_int_equal(chunks_of(p), 0);
	errno = 0;
	assert_int_equal(gen_pool_alloc(p, G), 0);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(gen_pool_remove_chunk(p, BASE_A), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_add(p, BASE_A, 32 * G, -1), 0);
	assert_int_equal(gen_pool_alloc(p, G), BASE_A);
	assert_int_equal(gen_pool_free(p, BASE_A, G), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

/* Busy: the removal changes nothing, not even a granule of the first words. */
static void remove_busy(void **state)
{
	static const unsigned int kinds[] = { 0, GEN_POOL_SPINLOCK, GEN_POOL_STRICT };

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct gen_pool *p = pool_abc(kinds[k], true);
		unsigned long last = BASE_D + 299 * G;
		struct genpool_data_fixed at = { 299 * G };

		/* D is the newest: its last granule, in its fifth bitmap word */
		assert_int_equal(gen_pool_alloc_algo(p, G, gen_pool_fixed_alloc, &at), last);
		assert_int_equal(gen_pool_remove_chunk(p, BASE_D), -EBUSY);
		expect_no_report();
		assert_int_equal(gen_pool_size(p), 356 * G);
		assert_int_equal(gen_pool_avail(p), 355 * G);
		/* the rolled-back words are free again: first fit starts at D */
		assert_int_equal(gen_pool_alloc(p, 299 * G), BASE_D);
		assert_int_equal(gen_pool_free(p, BASE_D, 299 * G), 0);
		assert_int_equal(gen_pool_free(p, last, G), 0);
		assert_int_equal(gen_pool_remove_chunk(p, BASE_D), 0);
		assert_int_equal(gen_pool_destroy(p), 0);
	}
}

static void remove_refusals(void **state)
{
	struct gen_pool *p = pool_abc(0, false);

	(void)state;
	assert_int_equal(gen_pool_remove_chunk(NULL, BASE_A), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_remove_chunk(p, BASE_A + G), -EINVAL); /* inside, not a start */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_remove_chunk(p, 0x900000), -EINVAL); /* in no chunk */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_size(p), 56 * G);
	assert_int_equal(chunks_of(p), 3);
	assert_int_equal(gen_pool_destroy(p), 0);
}

static int deadlk_result;

static void remove_inside(struct gen_pool *pool, struct gen_pool_chunk *c, void *data)
{
	(void)data;
	deadlk_result = gen_pool_remove_chunk(pool, gen_pool_chunk_start(c));
}

static void remove_in_callback(void **state)
{
	struct gen_pool *p = pool_abc(0, false);

	(void)state;
	gen_pool_for_each_chunk(p, remove_inside, NULL);
	assert_int_equal(deadlk_result, -EDEADLK);
	expect_no_report();
	assert_int_equal(chunks_of(p), 3);
	assert_int_equal(gen_pool_size(p), 56 * G);
	assert_int_equal(gen_pool_destroy(p), 0);
}

/* No memory for the new index: -ENOMEM, the chunk open and usable again. */
static void remove_no_memory(void **state)
{
	struct gen_pool *p = pool_abc(0, false);

	(void)state;
	gp_meta_fail_after = 1;
	assert_int_equal(gen_pool_remove_chunk(p, BASE_C), -ENOMEM);
	assert_int_equal(gp_meta_fail_after, 0);
	expect_no_report();
	assert_int_equal(gen_pool_size(p), 56 * G);
	assert_int_equal(gen_pool_avail(p), 56 * G);
	assert_int_equal(gen_pool_alloc(p, 8 * G), BASE_C);
	assert_int_equal(gen_pool_free(p, BASE_C, 8 * G), 0);
	assert_int_equal(gen_pool_remove_chunk(p, BASE_C), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

/* ---- cache pools ---- */

struct helper {
	struct gen_pool *pool;
	unsigned long addr;
};

/* Allocate and free one granule in another thread: it stays in that thread's cache. */
static void *cache_one(void *arg)
{
	struct helper *h = arg;

	h->addr = gen_pool_alloc(h->pool, G);
	assert_int_equal(gen_pool_free(h->pool, h->addr, G), 0);
	return NULL;
}

static void run(void *(*fn)(void *), struct helper *h)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, h), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static void remove_cached(void **state)
{
	struct gen_pool *p = pool_abc(GEN_POOL_THREAD_CACHE, false);
	struct helper h = { p, 0 };
	unsigned long a;

	(void)state;
	/* our own cache: returned by the removal itself */
	a = gen_pool_alloc(p, G);
	assert_int_equal(a, BASE_C);
	assert_int_equal(gen_pool_free(p, a, G), 0);
	assert_int_equal(gen_pool_remove_chunk(p, BASE_C), 0);
	assert_int_equal(gen_pool_add(p, BASE_C, 8 * G, -1), 0);
	/* another thread's: busy until that thread returns it; it exits, and
	 * thread exit gives its cache back */
	run(cache_one, &h);
	assert_int_equal(h.addr, BASE_C);
	assert_int_equal(gen_pool_remove_chunk(p, BASE_C), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

/* A thread that keeps its cache until told, so its ranges stay cached. */
struct holder {
	struct gen_pool *pool;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int step; /* 0 start, 1 cached, 2 flush now, 3 flushed, 4 exit */
};

static void holder_wait(struct holder *h, int step)
{
	while (h->step < step)
		pthread_cond_wait(&h->cv, &h->mu);
}

static void holder_set(struct holder *h, int step)
{
	h->step = step;
	pthread_cond_broadcast(&h->cv);
}

static void *holder_main(void *arg)
{
	struct holder *h = arg;
	unsigned long a = gen_pool_alloc(h->pool, G);

	assert_int_equal(gen_pool_free(h->pool, a, G), 0);
	pthread_mutex_lock(&h->mu);
	holder_set(h, 1);
	holder_wait(h, 2);
	pthread_mutex_unlock(&h->mu);
	gen_pool_cache_flush(h->pool);
	pthread_mutex_lock(&h->mu);
	holder_set(h, 3);
	holder_wait(h, 4);
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static void remove_other_cache(void **state)
{
	struct gen_pool *p = pool_abc(GEN_POOL_THREAD_CACHE, false);
	struct holder h = { .pool = p };
	pthread_t t;

	(void)state;
	pthread_mutex_init(&h.mu, NULL);
	pthread_cond_init(&h.cv, NULL);
	assert_int_equal(pthread_create(&t, NULL, holder_main, &h), 0);
	pthread_mutex_lock(&h.mu);
	holder_wait(&h, 1);
	pthread_mutex_unlock(&h.mu);
	assert_int_equal(gen_pool_remove_chunk(p, BASE_C), -EBUSY);
	expect_no_report();
	assert_int_equal(chunks_of(p), 3);
	pthread_mutex_lock(&h.mu);
	holder_set(&h, 2);
	holder_wait(&h, 3);
	pthread_mutex_unlock(&h.mu);
	assert_int_equal(gen_pool_remove_chunk(p, BASE_C), 0);
	pthread_mutex_lock(&h.mu);
	holder_set(&h, 4);
	pthread_mutex_unlock(&h.mu);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

/*
 * The cache's memo of its last chunk: after that chunk is removed and its
 * range added again as a new chunk, a free of an address in it must reach
 * the new chunk, never the freed one (ASan would see the old one's use).
 */
static void memo_after_readd(void **state)
{
	struct gen_pool *p = pool_abc(GEN_POOL_THREAD_CACHE, false);
	unsigned long a;

	(void)state;
	a = gen_pool_alloc(p, G); /* memo: C */
	assert_int_equal(a, BASE_C);
	assert_int_equal(gen_pool_free(p, a, G), 0);
	assert_int_equal(gen_pool_remove_chunk(p, BASE_C), 0);
	assert_int_equal(gen_pool_free(p, BASE_C, G), -EINVAL); /* memo is stale: refused */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_add(p, BASE_C, 8 * G, -1), 0);
	assert_int_equal(gen_pool_alloc_algo(p, 2 * G, gen_pool_first_fit, NULL), BASE_C);
	assert_int_equal(gen_pool_free(p, BASE_C, 2 * G), 0);
	a = gen_pool_alloc(p, G); /* through the cache again: its memo is the new C */
	assert_true(a >= BASE_C && a < BASE_C + 8 * G);
	assert_int_equal(gen_pool_free(p, a, G), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(remove_middle, setup),
		cmocka_unit_test_setup(remove_all, setup),
		cmocka_unit_test_setup(remove_busy, setup),
		cmocka_unit_test_setup(remove_refusals, setup),
		cmocka_unit_test_setup(remove_in_callback, setup),
		cmocka_unit_test_setup(remove_no_memory, setup),
		cmocka_unit_test_setup(remove_cached, setup),
		cmocka_unit_test_setup(remove_other_cache, setup),
		cmocka_unit_test_setup(memo_after_readd, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
