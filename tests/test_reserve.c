// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_reserve.c - reserves (mempool): the pool first, then the reserve,
 * then a wait; refills below min_nr; resize; destroy; every refusal
 * (reported once, nothing changed); timeouts; a waiter woken by another
 * thread's free; and the forward-progress property: with the pool exhausted
 * by other users, threads that each take one element, use it and free it
 * all keep making progress on min_nr elements. Waits are bounded by a
 * watchdog (a timed join), never by timing assertions on the fast side.
 */
#include "error_helpers.h"
#include "pool_helpers.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NG 64
#define SZ (2 * G) /* element size */

static struct gen_pool *small_pool(void)
{
	struct gen_pool *pool = new_pool(ORDER);

	add_chunk(pool, BASE_A, NG * G);
	return pool;
}

/* Take every free granule of @pool (the "other users"); returns how many. */
static unsigned long exhaust(struct gen_pool *pool, unsigned long *held, unsigned long max)
{
	unsigned long n = 0, a;

	while (n < max && (a = gen_pool_alloc(pool, G)))
		held[n++] = a;
	return n;
}

static void release(struct gen_pool *pool, unsigned long *held, unsigned long n)
{
	while (n)
		assert_int_equal(gen_pool_free(pool, held[--n], G), 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Join @t within @seconds, or fail the test (the watchdog). */
static void join_within(pthread_t t, double seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)seconds;
	if (pthread_timedjoin_np(t, NULL, &ts))
		fail_msg("a thread did not finish within %.0f s: a lost wake-up or no progress", seconds);
}

static void create_takes_min_nr(void **state)
{
	struct gen_pool *pool = small_pool();
	struct gen_pool_reserve *r = gen_pool_reserve_create(pool, SZ, 4);

	(void)state;
	assert_non_null(r);
	assert_int_equal(gen_pool_avail(pool), (NG - 8) * G);
	assert_int_equal(gen_pool_reserve_destroy(r), 0);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	expect_no_report();
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void refusals(void **state)
{
	struct gen_pool *pool = small_pool();
	struct gen_pool_reserve *r;
	unsigned long plain, a;

	(void)state;
	errno = 0;
	assert_null(gen_pool_reserve_create(NULL, SZ, 1));
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_null(gen_pool_reserve_create(pool, 0, 1));
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_null(gen_pool_reserve_create(pool, SZ, 0));
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_null(gen_pool_reserve_create(pool, (size_t)-1, 1)); /* its rounding overflows */
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_null(gen_pool_reserve_create(pool, ((size_t)UINT_MAX + 1) * G, 1));
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	errno = 0;
	assert_null(gen_pool_reserve_create(pool, SZ, NG)); /* 2 * NG granules: no room */
	assert_int_equal(errno, ENOMEM);
	expect_no_report();
	assert_int_equal(gen_pool_avail(pool), NG * G);

	r = gen_pool_reserve_create(pool, SZ, 2);
	assert_non_null(r);
	errno = 0;
	assert_int_equal(gen_pool_reserve_alloc(NULL, 0), 0);
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	errno = 0;
	assert_int_equal(gen_pool_reserve_alloc(r, -2), 0);
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_reserve_alloc(r, -1000), 0);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_avail(pool), (NG - 4) * G);

	plain = gen_pool_alloc(pool, SZ);
	a = gen_pool_reserve_alloc(r, 0);
	assert_true(plain && a);
	assert_int_equal(gen_pool_reserve_free(NULL, a), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_reserve_free(r, plain), -EINVAL); /* the pool's, not ours */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_reserve_free(r, a + G), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_reserve_free(r, 0), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_reserve_destroy(r), -EBUSY); /* a result: not reported */
	expect_no_report();
	assert_int_equal(gen_pool_reserve_free(r, a), 0);
	assert_int_equal(gen_pool_reserve_free(r, a), -EINVAL); /* double free */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_reserve_resize(NULL, 3), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_reserve_resize(r, 0), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_reserve_destroy(NULL), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_avail(pool), (NG - 6) * G);
	assert_int_equal(gen_pool_reserve_destroy(r), 0);
	assert_int_equal(gen_pool_free(pool, plain, SZ), 0);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* The pool first, then the reserve; frees refill the reserve below min_nr. */
static void pool_then_reserve_then_refill(void **state)
{
	struct gen_pool *pool = small_pool();
	struct gen_pool_reserve *r = gen_pool_reserve_create(pool, SZ, 2);
	unsigned long held[NG], n, a, b, c, d;

	(void)state;
	a = gen_pool_reserve_alloc(r, 0); /* from the pool: avail drops */
	assert_int_equal(gen_pool_avail(pool), (NG - 6) * G);
	n = exhaust(pool, held, NG);
	assert_int_equal(n, NG - 6);
	b = gen_pool_reserve_alloc(r, 0); /* from the reserve */
	c = gen_pool_reserve_alloc(r, 0);
	assert_true(a && b && c);
	errno = 0;
	assert_int_equal(gen_pool_reserve_alloc(r, 0), 0);
	assert_int_equal(errno, ENOMEM);
	expect_no_report();
	/* frees refill the reserve first: the pool gains nothing until it holds 2 */
	assert_int_equal(gen_pool_reserve_free(r, a), 0);
	assert_int_equal(gen_pool_avail(pool), 0);
	assert_int_equal(gen_pool_reserve_free(r, b), 0);
	assert_int_equal(gen_pool_avail(pool), 0);
	assert_int_equal(gen_pool_reserve_free(r, c), 0);
	assert_int_equal(gen_pool_avail(pool), SZ);
	d = gen_pool_reserve_alloc(r, 0); /* the pool's again */
	assert_int_equal(d, c);
	assert_int_equal(gen_pool_reserve_free(r, d), 0);
	release(pool, held, n);
	assert_int_equal(gen_pool_reserve_destroy(r), 0);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void timeout_gives_etimedout(void **state)
{
	struct gen_pool *pool = small_pool();
	struct gen_pool_reserve *r = gen_pool_reserve_create(pool, SZ, 1);
	unsigned long held[NG], n = exhaust(pool, held, NG), a;
	double t0;

	(void)state;
	a = gen_pool_reserve_alloc(r, 0);
	assert_true(a);
	t0 = now_s();
	errno = 0;
	assert_int_equal(gen_pool_reserve_alloc(r, 50), 0);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(now_s() - t0 >= 0.049);
	expect_no_report();
	assert_int_equal(gen_pool_reserve_free(r, a), 0);
	release(pool, held, n);
	assert_int_equal(gen_pool_reserve_destroy(r), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void resize(void **state)
{
	struct gen_pool *pool = small_pool();
	struct gen_pool_reserve *r = gen_pool_reserve_create(pool, SZ, 2);
	unsigned long a, b;

	(void)state;
	assert_int_equal(gen_pool_reserve_resize(r, 5), 0);
	assert_int_equal(gen_pool_avail(pool), (NG - 10) * G);
	assert_int_equal(gen_pool_reserve_resize(r, 40), -ENOMEM); /* 80 granules: no */
	expect_no_report();
	assert_int_equal(gen_pool_avail(pool), (NG - 10) * G);
	assert_int_equal(gen_pool_reserve_resize(r, 1), 0);
	assert_int_equal(gen_pool_avail(pool), (NG - 2) * G);
	/* shrinking with elements out trims what is held; growing fills up to min_nr */
	a = gen_pool_reserve_alloc(r, 0);
	b = gen_pool_reserve_alloc(r, 0);
	assert_int_equal(gen_pool_avail(pool), (NG - 6) * G);
	assert_int_equal(gen_pool_reserve_resize(r, 3), 0);
	assert_int_equal(gen_pool_avail(pool), (NG - 10) * G);
	assert_int_equal(gen_pool_reserve_free(r, a), 0);
	assert_int_equal(gen_pool_reserve_free(r, b), 0);
	assert_int_equal(gen_pool_avail(pool), (NG - 6) * G);
	assert_int_equal(gen_pool_reserve_destroy(r), 0);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */

struct waiter {
	struct gen_pool_reserve *r;
	atomic_int started;
	unsigned long got;
	int err;
};

static void *wait_forever(void *arg)
{
	struct waiter *w = arg;

	atomic_store(&w->started, 1);
	w->got = gen_pool_reserve_alloc(w->r, -1);
	w->err = errno;
	return NULL;
}

/* A waiter sleeps until another thread frees an element, and gets it. */
static void waiter_woken_by_free(void **state)
{
	struct gen_pool *pool = small_pool();
	struct gen_pool_reserve *r = gen_pool_reserve_create(pool, SZ, 1);
	unsigned long held[NG], n = exhaust(pool, held, NG), a;

	(void)state;
	for (int round = 0; round < 20; round++) {
		struct waiter w = { .r = r };
		pthread_t t;

		a = gen_pool_reserve_alloc(r, 0);
		assert_true(a);
		pthread_create(&t, NULL, wait_forever, &w);
		while (!atomic_load(&w.started))
			sched_yield();
		usleep(round % 4 ? 2000 : 0); /* mostly asleep by now; sometimes not yet */
		assert_int_equal(gen_pool_reserve_free(r, a), 0);
		join_within(t, 5); /* a wake-up takes microseconds; valgrind, milliseconds */
		assert_int_equal(w.got, a);
		assert_int_equal(gen_pool_reserve_free(r, w.got), 0);
	}
	release(pool, held, n);
	assert_int_equal(gen_pool_reserve_destroy(r), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

#define USERS 4
#define ROUNDS 3000

struct progress {
	struct gen_pool *pool;
	struct gen_pool_reserve *r;
	atomic_int stop;
	atomic_ulong done[USERS];
	unsigned long hog[NG];
	unsigned long nhog;
};

/* The other users: take every granule the pool frees, and keep it. */
static void *hog(void *arg)
{
	struct progress *p = arg;
	unsigned long a;

	while (!atomic_load(&p->stop)) {
		if (p->nhog < NG && (a = gen_pool_alloc(p->pool, G)))
			p->hog[p->nhog++] = a;
		else
			sched_yield();
	}
	return NULL;
}

struct user {
	struct progress *p;
	int id;
};

static void *user(void *arg)
{
	struct user *u = arg;

	for (int i = 0; i < ROUNDS; i++) {
		unsigned long e = gen_pool_reserve_alloc(u->p->r, -1);

		if (!e || gen_pool_reserve_free(u->p->r, e))
			abort();
		atomic_fetch_add(&u->p->done[u->id], 1);
	}
	return NULL;
}

/*
 * The mempool property: the pool exhausted by a hog that keeps whatever it
 * frees, USERS threads take one element each, use it and free it, ROUNDS
 * times, on min_nr = 2 elements. All finish.
 */
static void forward_progress_on_min_nr(void **state)
{
	struct progress p = { 0 };
	struct user u[USERS];
	pthread_t h, t[USERS];

	(void)state;
	p.pool = small_pool();
	p.r = gen_pool_reserve_create(p.pool, SZ, 2);
	p.nhog = exhaust(p.pool, p.hog, NG);
	pthread_create(&h, NULL, hog, &p);
	for (int i = 0; i < USERS; i++) {
		u[i] = (struct user){ &p, i };
		pthread_create(&t[i], NULL, user, &u[i]);
	}
	for (int i = 0; i < USERS; i++)
		join_within(t[i], 60);
	for (int i = 0; i < USERS; i++)
		assert_int_equal(atomic_load(&p.done[i]), ROUNDS);
	atomic_store(&p.stop, 1);
	pthread_join(h, NULL);
	assert_int_equal(gen_pool_avail(p.pool), 0); /* the reserve kept both elements */
	release(p.pool, p.hog, p.nhog);
	assert_int_equal(gen_pool_reserve_destroy(p.r), 0);
	assert_int_equal(gen_pool_avail(p.pool), NG * G);
	assert_int_equal(gen_pool_destroy(p.pool), 0);
}

/* argv[1]: run only the tests whose name matches (the mutants suite runs one). */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(create_takes_min_nr, setup),
		cmocka_unit_test_setup(refusals, setup),
		cmocka_unit_test_setup(pool_then_reserve_then_refill, setup),
		cmocka_unit_test_setup(timeout_gives_etimedout, setup),
		cmocka_unit_test_setup(resize, setup),
		cmocka_unit_test_setup(waiter_woken_by_free, setup),
		cmocka_unit_test_setup(forward_progress_on_min_nr, setup),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
