// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_lock.c - the pool locks (src/lock.c): GEN_POOL_SPINLOCK,
 * GEN_POOL_LOCK_TICKET and GEN_POOL_LOCK_MCS. Refused flag combinations
 * (two lock flags, a lock flag with GEN_POOL_THREAD_CACHE); the same
 * results as the lock-free pool for a sequence of calls; mutual exclusion
 * under threads; an MCS lock taken while another MCS pool's is held (the
 * per-thread node stack).
 */
#include "error_helpers.h"
#include "pool_helpers.h"

#include <errno.h>
#include <pthread.h>

#include "internal.h"

static const unsigned int lock_flags[] = { GEN_POOL_SPINLOCK, GEN_POOL_LOCK_TICKET,
					   GEN_POOL_LOCK_MCS };
#define NLOCKS (sizeof(lock_flags) / sizeof(lock_flags[0]))

static void test_two_lock_flags_refused(void **state)
{
	static const unsigned int bad[] = {
		GEN_POOL_SPINLOCK | GEN_POOL_LOCK_TICKET,
		GEN_POOL_SPINLOCK | GEN_POOL_LOCK_MCS,
		GEN_POOL_LOCK_TICKET | GEN_POOL_LOCK_MCS,
		GEN_POOL_SPINLOCK | GEN_POOL_LOCK_TICKET | GEN_POOL_LOCK_MCS,
		GEN_POOL_LOCK_TICKET | GEN_POOL_LOCK_MCS | GEN_POOL_STRICT,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(gen_pool_create_flags(ORDER, -1, bad[i]));
		assert_int_equal(errno, EINVAL);
		expect_report(EINVAL);
	}
}

static void test_lock_with_thread_cache_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < NLOCKS; i++) {
		errno = 0;
		assert_null(gen_pool_create_flags(ORDER, -1, lock_flags[i] | GEN_POOL_THREAD_CACHE));
		assert_int_equal(errno, EINVAL);
		expect_report(EINVAL);
	}
}

/* Each lock kind, alone and with STRICT, is accepted and keeps its kind. */
static void test_lock_kinds_created(void **state)
{
	static const enum gp_lock_kind kind[] = { GP_LOCK_PTHREAD, GP_LOCK_TICKET, GP_LOCK_MCS };

	(void)state;
	for (size_t i = 0; i < NLOCKS; i++) {
		for (unsigned int strict = 0; strict <= GEN_POOL_STRICT; strict += GEN_POOL_STRICT) {
			struct gen_pool *pool = gen_pool_create_flags(ORDER, -1, lock_flags[i] | strict);

			assert_non_null(pool);
			assert_int_equal(pool->lock.kind, kind[i]);
			assert_int_equal(gen_pool_destroy(pool), 0);
		}
	}
	expect_no_report();
}

/* A lock pool gives the lock-free pool's results, refusals included. */
static void run_sequence(unsigned int flags)
{
	struct gen_pool *pool = new_pool_flags(ORDER, flags);
	unsigned long a, b, c;

	add_chunk(pool, BASE_A, 32 * G);
	add_chunk(pool, BASE_B, 16 * G);
	expect_alloc(pool, 3 * G, BASE_B); /* newest chunk first */
	a = BASE_B;
	b = gen_pool_alloc(pool, 13 * G);
	assert_int_equal(b, BASE_B + 3 * G);
	c = gen_pool_alloc(pool, G); /* B is full: A */
	assert_int_equal(c, BASE_A);
	expect_avail(pool, 31 * G);
	assert_int_equal(gen_pool_free(pool, a, 3 * G), 0);
	assert_int_equal(gen_pool_free(pool, a, 3 * G), -EINVAL); /* double free */
	expect_report(EINVAL);
	expect_avail(pool, 34 * G);
	gen_pool_set_algo(pool, gen_pool_best_fit, NULL);
	expect_alloc(pool, 3 * G, a); /* the exact hole */
	assert_int_equal(gen_pool_free(pool, a, 3 * G), 0);
	assert_int_equal(gen_pool_free(pool, b, 13 * G), 0);
	assert_int_equal(gen_pool_free(pool, c, G), 0);
	expect_avail(pool, 48 * G);
	destroy_empty(pool);
}

static void test_sequence_every_lock(void **state)
{
	(void)state;
	for (size_t i = 0; i < NLOCKS; i++) {
		run_sequence(lock_flags[i]);
		run_sequence(lock_flags[i] | GEN_POOL_STRICT);
	}
}

/* ------------------------------------------------------------------------ */
/* Mutual exclusion: threads allocate and free single granules; owners     */
/* are recorded per granule and must never be two.                         */

/*
 * Two threads, few rounds: the FIFO locks hand the lock to the next waiter
 * in line even when it is descheduled, so with more threads than cores
 * (this machine has 2, shared) every hand-over can wait a time slice.
 */
#define THREADS 2
#define ROUNDS 1000
#define GRANULES 64

struct excl {
	struct gen_pool *pool;
	int owner[GRANULES];
	int overlaps;
};

struct excl_arg {
	struct excl *x;
	int id;
};

static void *excl_worker(void *p)
{
	struct excl_arg *a = p;
	struct excl *x = a->x;

	for (int i = 0; i < ROUNDS; i++) {
		unsigned long addr = gen_pool_alloc(x->pool, G);
		unsigned long g;

		if (!addr)
			continue;
		g = (addr - BASE_A) / G;
		/* another owner here means two threads hold one granule */
		if (__atomic_exchange_n(&x->owner[g], a->id, __ATOMIC_ACQ_REL) != 0)
			__atomic_add_fetch(&x->overlaps, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&x->owner[g], 0, __ATOMIC_RELEASE);
		if (gen_pool_free(x->pool, addr, G))
			__atomic_add_fetch(&x->overlaps, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_threads_every_lock(void **state)
{
	(void)state;
	for (size_t i = 0; i < NLOCKS; i++) {
		struct excl x = { .pool = new_pool_flags(ORDER, lock_flags[i]) };
		struct excl_arg args[THREADS];
		pthread_t t[THREADS];

		add_chunk(x.pool, BASE_A, GRANULES * G);
		for (int k = 0; k < THREADS; k++) {
			args[k] = (struct excl_arg){ &x, k + 1 };
			assert_int_equal(pthread_create(&t[k], NULL, excl_worker, &args[k]), 0);
		}
		for (int k = 0; k < THREADS; k++)
			pthread_join(t[k], NULL);
		assert_int_equal(x.overlaps, 0);
		expect_avail(x.pool, GRANULES * G);
		destroy_empty(x.pool);
	}
	expect_no_report();
}

/* ------------------------------------------------------------------------ */
/* MCS nesting: a custom algorithm, called under pool 1's MCS lock, takes  */
/* pool 2's (a second node of the thread's stack).                          */

static unsigned long nested_fit(unsigned long *map, unsigned long size, unsigned long start,
				unsigned int nr, void *data, struct gen_pool *pool,
				unsigned long start_addr)
{
	struct gen_pool *inner = data;
	unsigned long a = gen_pool_alloc(inner, G);

	if (a)
		gen_pool_free(inner, a, G);
	return gen_pool_first_fit(map, size, start, nr, NULL, pool, start_addr);
}

static void test_mcs_nested(void **state)
{
	struct gen_pool *outer = new_pool_flags(ORDER, GEN_POOL_LOCK_MCS);
	struct gen_pool *inner = new_pool_flags(ORDER, GEN_POOL_LOCK_MCS);

	(void)state;
	add_chunk(outer, BASE_A, 32 * G);
	add_chunk(inner, BASE_B, 16 * G);
	expect_alloc_algo(outer, G, nested_fit, inner, BASE_A);
	expect_alloc_algo(outer, G, nested_fit, inner, BASE_A + G);
	expect_free(outer, BASE_A, G);
	expect_free(outer, BASE_A + G, G);
	expect_avail(inner, 16 * G);
	destroy_empty(outer);
	destroy_empty(inner);
	expect_no_report();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_two_lock_flags_refused, setup),
		cmocka_unit_test_setup(test_lock_with_thread_cache_refused, setup),
		cmocka_unit_test_setup(test_lock_kinds_created, setup),
		cmocka_unit_test_setup(test_sequence_every_lock, setup),
		cmocka_unit_test_setup(test_threads_every_lock, setup),
		cmocka_unit_test_setup(test_mcs_nested, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
