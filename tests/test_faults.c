// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_faults.c - fault injection through src/meta.c's one allocation hook.
 *
 * For every setup path that allocates metadata, fail its n-th allocation
 * for n = 1, 2, ... until the path completes without meeting a fault. Each
 * failure must be a clean ENOMEM (NULL + errno, or -ENOMEM) that leaves the
 * pool or registry exactly as before; leaks are caught by the memcheck and
 * ASan (LeakSanitizer) runs of this test in scripts/test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>

#include "internal.h"

#define BASE 0x100000UL
#define G 64UL

/* Arm the hook so the n-th metadata allocation from now fails. */
static void fail_nth(long n)
{
	gp_meta_fail_after = n;
}

static unsigned long faults_injected; /* reported at the end */

/* True when the armed fault was not reached (the path needs < n). */
static bool fault_unused(void)
{
	bool unused = gp_meta_fail_after > 0;

	gp_meta_fail_after = 0;
	faults_injected += !unused;
	return unused;
}

static struct gen_pool *pool_with_chunk(unsigned int flags)
{
	struct gen_pool *p = gen_pool_create_flags(6, -1, flags);

	assert_non_null(p);
	assert_int_equal(gen_pool_add(p, BASE, 64 * G, -1), 0);
	return p;
}

static void create_fails_cleanly(void **state)
{
	struct gen_pool *p;
	long n;

	(void)state;
	for (n = 1;; n++) {
		fail_nth(n);
		errno = 0;
		p = gen_pool_create_flags(6, -1, GEN_POOL_STRICT);
		if (fault_unused())
			break;
		assert_null(p);
		assert_int_equal(errno, ENOMEM);
	}
	assert_non_null(p);
	assert_int_equal(gen_pool_destroy(p), 0);
	assert_true(n > 2); /* the pool and its algorithm pair */
}

/* Adding a chunk: on failure the pool has no new chunk and still works. */
static void add_fails_cleanly(void **state)
{
	static const unsigned int kinds[] = { 0, GEN_POOL_STRICT, GEN_POOL_SPINLOCK };
	long n;
	int err;

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct gen_pool *p = pool_with_chunk(kinds[k]);

		for (n = 1;; n++) {
			fail_nth(n);
			err = gen_pool_add(p, BASE + 0x100000, 128 * G, 0);
			if (fault_unused())
				break;
			assert_int_equal(err, -ENOMEM);
			assert_int_equal(gen_pool_size(p), 64 * G);
			assert_int_equal(gen_pool_alloc(p, G), BASE);
			assert_int_equal(gen_pool_free(p, BASE, G), 0);
		}
		assert_int_equal(err, 0);
		assert_int_equal(gen_pool_size(p), 192 * G);
		assert_int_equal(gen_pool_destroy(p), 0);
	}
}

static int reports;

static void count_report(int err, const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
	assert_int_equal(err, ENOMEM);
	reports++;
}

/* set_algo out of memory: refused, reported, previous algorithm kept. */
static void set_algo_fails_cleanly(void **state)
{
	struct gen_pool *p = pool_with_chunk(0);
	unsigned long a, b;

	(void)state;
	a = gen_pool_alloc(p, G); /* BASE; leaves a 1-granule hole after b */
	b = gen_pool_alloc(p, 2 * G);
	assert_int_equal(gen_pool_free(p, a, G), 0);
	gen_pool_set_error_handler(count_report, NULL);
	fail_nth(1);
	gen_pool_set_algo(p, gen_pool_best_fit, NULL);
	assert_false(fault_unused());
	gen_pool_set_error_handler(NULL, NULL);
	assert_int_equal(reports, 1);
	/* still first fit: a 1-granule request takes the lowest hole */
	assert_int_equal(gen_pool_alloc(p, G), BASE);
	assert_int_equal(gen_pool_free(p, BASE, G), 0);
	assert_int_equal(gen_pool_free(p, b, 2 * G), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

/* Owners and managed pools: a failure registers nothing. */
static void managed_fails_cleanly(void **state)
{
	struct gen_pool_owner *o;
	struct gen_pool *p;
	long n;

	(void)state;
	for (n = 1;; n++) {
		fail_nth(n);
		errno = 0;
		o = gen_pool_owner_create("faulty");
		if (fault_unused())
			break;
		assert_null(o);
		assert_int_equal(errno, ENOMEM);
		assert_null(gen_pool_get_path("faulty"));
	}
	assert_non_null(o);
	for (n = 1;; n++) {
		fail_nth(n);
		errno = 0;
		p = gen_pool_create_managed(o, 6, -1, "sram");
		if (fault_unused())
			break;
		assert_null(p);
		assert_int_equal(errno, ENOMEM);
		assert_null(gen_pool_get(o, "sram"));
	}
	assert_non_null(p);
	assert_ptr_equal(gen_pool_get_path("faulty/sram"), p);
	assert_int_equal(gen_pool_owner_destroy(o), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_fails_cleanly),
		cmocka_unit_test(add_fails_cleanly),
		cmocka_unit_test(set_algo_fails_cleanly),
		cmocka_unit_test(managed_fails_cleanly),
	};

	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	printf("test_faults: %lu allocation faults injected, each failed cleanly\n",
	       faults_injected);
	return failed;
}
