// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_objcache.c - object caches: geometry and alignment, the ctor once
 * per object, every refusal (reported once, nothing changed), ENOMEM,
 * shrink and gen_pool_avail, destroy with live objects, cross-thread frees,
 * thread exit, racing double frees. The pool's memory is never mapped
 * (BASE_A is an address-only range): a cache that touched it would crash.
 */
#include "error_helpers.h"
#include "pool_helpers.h"

#include <pthread.h>
#include <stdlib.h>

#define NG 256 /* granules of the test chunk */

static struct gen_pool *pool_with(unsigned int flags)
{
	struct gen_pool *pool = new_pool_flags(ORDER, flags);

	add_chunk(pool, BASE_A, NG * G);
	return pool;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

struct ctor_log {
	unsigned long calls, first, last;
};

static void count_ctor(unsigned long obj, void *arg)
{
	struct ctor_log *log = arg;

	if (!log->calls || obj < log->first)
		log->first = obj;
	if (obj > log->last)
		log->last = obj;
	log->calls++;
}

/* Objects are distinct, aligned, inside the pool, and never overlap. */
static void objects_aligned_and_disjoint(void **state)
{
	static const struct { size_t size, align; unsigned int flags, order; size_t want; } cases[] = {
		{ 24, 0, 0, ORDER, G },     /* align 0: the granule */
		{ 24, 128, 0, ORDER, 128 },
		{ 100, 8, 0, 3, 8 },
		{ 24, 0, GEN_POOL_OBJ_HWCACHE_ALIGN, 3, 64 },
		{ 24, 256, GEN_POOL_OBJ_HWCACHE_ALIGN, 3, 256 },
		{ 5000, 0, 0, ORDER, G },
	};
	unsigned long objs[200];

	(void)state;
	for (unsigned int k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct gen_pool *pool = new_pool(cases[k].order);
		struct gen_pool_objcache *c;
		size_t avail;

		add_chunk(pool, BASE_A, 4UL << 20);
		avail = gen_pool_avail(pool);
		c = gen_pool_objcache_create(pool, "t", cases[k].size, cases[k].align,
					     cases[k].flags, NULL, NULL);
		assert_non_null(c);
		for (unsigned int i = 0; i < 200; i++) {
			objs[i] = gen_pool_objcache_alloc(c);
			assert_true(objs[i] != 0);
			assert_int_equal(objs[i] % cases[k].want, 0);
			assert_true(gen_pool_has_addr(pool, objs[i], cases[k].size));
		}
		qsort(objs, 200, sizeof(objs[0]), cmp_ulong);
		for (unsigned int i = 1; i < 200; i++)
			assert_true(objs[i] >= objs[i - 1] + cases[k].size);
		for (unsigned int i = 0; i < 200; i++)
			assert_int_equal(gen_pool_objcache_free(c, objs[i]), 0);
		assert_int_equal(gen_pool_objcache_destroy(c), 0);
		assert_int_equal(gen_pool_avail(pool), avail);
		expect_no_report();
		assert_int_equal(gen_pool_destroy(pool), 0);
	}
}

/* The ctor runs once per object of a new slab, before the first object is returned. */
static void ctor_once_per_object(void **state)
{
	struct gen_pool *pool = pool_with(0);
	struct ctor_log log = { 0 };
	struct gen_pool_objcache *c;
	unsigned long a, b, per_slab, objs[200], n = 0;

	(void)state;
	c = gen_pool_objcache_create(pool, NULL, 32, 0, 0, count_ctor, &log);
	assert_non_null(c);
	assert_int_equal(log.calls, 0);
	a = gen_pool_objcache_alloc(c);
	per_slab = log.calls;
	assert_true(per_slab >= 8 && per_slab < 200);
	assert_true(a >= log.first && a <= log.last);
	assert_int_equal(log.last - log.first, (per_slab - 1) * G);
	assert_int_equal(gen_pool_objcache_free(c, a), 0);
	b = gen_pool_objcache_alloc(c);
	assert_int_equal(b, a); /* LIFO: the magazine's last */
	objs[n++] = b;
	for (unsigned long i = 1; i < per_slab; i++)
		assert_true(objs[n++] = gen_pool_objcache_alloc(c));
	assert_int_equal(log.calls, per_slab); /* one slab: no second ctor call */
	assert_true(objs[n++] = gen_pool_objcache_alloc(c));
	assert_int_equal(log.calls, 2 * per_slab); /* a second slab */
	assert_int_equal(gen_pool_objcache_destroy(c), -EBUSY); /* a result: not reported */
	expect_no_report();
	while (n)
		assert_int_equal(gen_pool_objcache_free(c, objs[--n]), 0);
	assert_int_equal(gen_pool_objcache_shrink(c), 2 * per_slab * G);
	assert_true((a = gen_pool_objcache_alloc(c)) != 0); /* a slab created again: ctor again */
	assert_int_equal(log.calls, 3 * per_slab);
	assert_int_equal(gen_pool_objcache_destroy(c), -EBUSY);
	assert_int_equal(gen_pool_destroy(pool), -EBUSY); /* the cache's slab is out */
	report_reset();
	assert_int_equal(gen_pool_objcache_free(c, a), 0);
	assert_int_equal(gen_pool_objcache_destroy(c), 0);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void create_refusals(void **state)
{
	struct gen_pool *pool = pool_with(0);

	(void)state;
	errno = 0;
	assert_null(gen_pool_objcache_create(NULL, "x", 8, 0, 0, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_null(gen_pool_objcache_create(pool, "x", 0, 0, 0, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_null(gen_pool_objcache_create(pool, "x", 8, 3, 0, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_null(gen_pool_objcache_create(pool, "x", 8, 48, 0, NULL, NULL));
	expect_report(EINVAL);
	assert_null(gen_pool_objcache_create(pool, "x", 8, 0, 0x80, NULL, NULL));
	expect_report(EINVAL);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	assert_int_equal(gen_pool_objcache_destroy(NULL), -EINVAL);
	expect_report(EINVAL);
	errno = 0;
	assert_int_equal(gen_pool_objcache_alloc(NULL), 0);
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_free(NULL, BASE_A), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_shrink(NULL), 0);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* A foreign, misaligned, other cache's or already free object: -EINVAL, nothing changed. */
static void free_refusals(void **state)
{
	struct gen_pool *pool = pool_with(GEN_POOL_STRICT);
	struct gen_pool_objcache *c = gen_pool_objcache_create(pool, "a", 48, 16, 0, NULL, NULL);
	struct gen_pool_objcache *d = gen_pool_objcache_create(pool, "b", 48, 16, 0, NULL, NULL);
	unsigned long a, b, other, plain;
	size_t avail;

	(void)state;
	a = gen_pool_objcache_alloc(c);
	b = gen_pool_objcache_alloc(c);
	other = gen_pool_objcache_alloc(d);
	plain = gen_pool_alloc(pool, G);
	assert_true(a && b && other && plain);
	avail = gen_pool_avail(pool);
	assert_int_equal(gen_pool_objcache_free(c, a + 16), -EINVAL); /* inside, misaligned */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_free(c, a + 1), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_free(c, other), -EINVAL); /* another cache's */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_free(c, plain), -EINVAL); /* the pool's, not a slab */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_free(c, BASE_A + (NG + 10) * G), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_free(c, 0), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_free(c, a), 0);
	assert_int_equal(gen_pool_objcache_free(c, a), -EINVAL); /* double free */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_free(c, a + 48 * 3), -EINVAL); /* never allocated */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_avail(pool), avail);
	/* nothing changed: b and other are still live, a comes back first */
	assert_int_equal(gen_pool_objcache_alloc(c), a);
	assert_int_equal(gen_pool_objcache_destroy(c), -EBUSY);
	assert_int_equal(gen_pool_objcache_free(c, a), 0);
	assert_int_equal(gen_pool_objcache_free(c, b), 0);
	assert_int_equal(gen_pool_objcache_free(d, other), 0);
	assert_int_equal(gen_pool_objcache_destroy(c), 0);
	assert_int_equal(gen_pool_objcache_destroy(d), 0);
	assert_int_equal(gen_pool_free(pool, plain, G), 0);
	assert_int_equal(gen_pool_avail(pool), NG * G);
	expect_no_report();
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void enomem_not_reported(void **state)
{
	struct gen_pool *pool = new_pool(ORDER);
	struct gen_pool_objcache *c;
	unsigned long objs[1024], n = 0, obj;

	(void)state;
	add_chunk(pool, BASE_A, 8192); /* two 4 KiB slabs of 64-byte objects */
	c = gen_pool_objcache_create(pool, NULL, 64, 0, 0, NULL, NULL);
	while ((obj = gen_pool_objcache_alloc(c)))
		objs[n++] = obj;
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(n, 128);
	expect_no_report();
	assert_int_equal(gen_pool_avail(pool), 0);
	while (n)
		assert_int_equal(gen_pool_objcache_free(c, objs[--n]), 0);
	assert_int_equal(gen_pool_objcache_shrink(c), 8192);
	assert_int_equal(gen_pool_avail(pool), 8192);
	assert_int_equal(gen_pool_objcache_destroy(c), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* Shrink gives back exactly the wholly free slabs; avail grows by its result. */
static void shrink_gives_back_free_slabs(void **state)
{
	struct gen_pool *pool = pool_with(GEN_POOL_THREAD_CACHE);
	struct gen_pool_objcache *c = gen_pool_objcache_create(pool, "s", 64, 0, 0, NULL, NULL);
	unsigned long objs[192];
	size_t avail0 = gen_pool_avail(pool), got, before;

	(void)state;
	for (int i = 0; i < 192; i++) /* three slabs of 64 */
		assert_true(objs[i] = gen_pool_objcache_alloc(c));
	assert_int_equal(gen_pool_avail(pool), avail0 - 3 * 4096);
	for (int i = 0; i < 192; i++)
		if (i != 70) /* one object stays live: its slab stays */
			assert_int_equal(gen_pool_objcache_free(c, objs[i]), 0);
	before = gen_pool_avail(pool);
	got = gen_pool_objcache_shrink(c);
	assert_int_equal(got, 2 * 4096);
	assert_int_equal(gen_pool_avail(pool), before + got);
	assert_int_equal(gen_pool_objcache_shrink(c), 0);
	/* the objects of the kept slab are still served, the live one refused */
	assert_int_equal(gen_pool_objcache_free(c, objs[70]), 0);
	assert_int_equal(gen_pool_objcache_free(c, objs[70]), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_objcache_shrink(c), 4096);
	assert_int_equal(gen_pool_avail(pool), avail0);
	/* a freed object of a given-back slab is refused */
	assert_int_equal(gen_pool_objcache_free(c, objs[0]), -EINVAL);
	expect_report(EINVAL);
	/* and the cache grows again */
	assert_true(objs[0] = gen_pool_objcache_alloc(c));
	assert_int_equal(gen_pool_objcache_free(c, objs[0]), 0);
	assert_int_equal(gen_pool_objcache_destroy(c), 0);
	assert_int_equal(gen_pool_avail(pool), avail0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */

#define NT 4
#define PER 300

struct xthread {
	struct gen_pool_objcache *c;
	unsigned long objs[PER];
	pthread_barrier_t *bar;
};

static void *alloc_many(void *arg)
{
	struct xthread *x = arg;

	for (int i = 0; i < PER; i++)
		x->objs[i] = gen_pool_objcache_alloc(x->c);
	return NULL;
}

static void *free_many(void *arg)
{
	struct xthread *x = arg;

	for (int i = 0; i < PER; i++)
		if (gen_pool_objcache_free(x->c, x->objs[i]))
			abort();
	return NULL;
}

/* Objects freed by other threads than their allocator; thread exit returns magazines. */
static void cross_thread_frees(void **state)
{
	struct gen_pool *pool = new_pool(ORDER);
	struct xthread x[NT];
	pthread_t th[NT];
	struct gen_pool_objcache *c;
	size_t avail0;

	(void)state;
	add_chunk(pool, BASE_A, 16UL << 20);
	avail0 = gen_pool_avail(pool);
	c = gen_pool_objcache_create(pool, "x", 40, 8, 0, NULL, NULL);
	for (int i = 0; i < NT; i++) {
		x[i].c = c;
		pthread_create(&th[i], NULL, alloc_many, &x[i]);
	}
	for (int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < NT; i++) /* every object distinct */
		for (int j = 0; j < PER; j++) {
			assert_true(x[i].objs[j]);
			for (int k = 0; k < PER; k++)
				for (int l = 0; l < NT; l++)
					if (l != i || k != j)
						assert_true(x[l].objs[k] != x[i].objs[j]);
		}
	for (int i = 0; i < NT; i++) /* thread i frees thread (i + 1)'s objects */
		pthread_create(&th[i], NULL, free_many, &x[(i + 1) % NT]);
	for (int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	/* every thread has exited: its magazines went back, every slab is free */
	assert_true(gen_pool_objcache_shrink(c) > 0);
	assert_int_equal(gen_pool_avail(pool), avail0);
	assert_int_equal(gen_pool_objcache_destroy(c), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

struct racer {
	struct gen_pool_objcache *c;
	pthread_barrier_t *bar;
	unsigned long *obj;
	int wins;
};

static void *double_free_racer(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 500; i++) {
		pthread_barrier_wait(r->bar);
		if (gen_pool_objcache_free(r->c, *r->obj) == 0)
			r->wins++;
		pthread_barrier_wait(r->bar);
	}
	return NULL;
}

static void ignore_error(int err, const char *msg, void *arg)
{
	(void)err;
	(void)msg;
	(void)arg;
}

/* Of two racing frees of one object exactly one succeeds. */
static void racing_double_frees(void **state)
{
	struct gen_pool *pool = pool_with(0);
	struct gen_pool_objcache *c = gen_pool_objcache_create(pool, "r", 64, 0, 0, NULL, NULL);
	pthread_barrier_t bar;
	struct racer r[2];
	pthread_t th[2];
	unsigned long obj;

	(void)state;
	gen_pool_set_error_handler(ignore_error, NULL);
	pthread_barrier_init(&bar, NULL, 3);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){ c, &bar, &obj, 0 };
		pthread_create(&th[i], NULL, double_free_racer, &r[i]);
	}
	for (int i = 0; i < 500; i++) {
		obj = gen_pool_objcache_alloc(c);
		pthread_barrier_wait(&bar);
		pthread_barrier_wait(&bar);
		assert_int_equal(r[0].wins + r[1].wins, i + 1);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
	assert_int_equal(gen_pool_objcache_destroy(c), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(objects_aligned_and_disjoint, setup),
		cmocka_unit_test_setup(ctor_once_per_object, setup),
		cmocka_unit_test_setup(create_refusals, setup),
		cmocka_unit_test_setup(free_refusals, setup),
		cmocka_unit_test_setup(enomem_not_reported, setup),
		cmocka_unit_test_setup(shrink_gives_back_free_slabs, setup),
		cmocka_unit_test_setup(cross_thread_frees, setup),
		cmocka_unit_test_setup(racing_double_frees, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
