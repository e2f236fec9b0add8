// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_pages.c - page orders (gen_pool_alloc_pages, gen_pool_free_pages):
 * the lowest aligned address, newest chunk first, a misaligned chunk start,
 * alignments beyond an int (the wide path), every refusal and ENOMEM, each
 * refusal reported once with the pool unchanged.
 */
#include "error_helpers.h"
#include "pool_helpers.h"

#include <limits.h>

/* A refused call left @pool as it was: avail unchanged. */
#define EXPECT_UNCHANGED(pool, before) assert_int_equal(gen_pool_avail(pool), (before))

static void lowest_aligned_address(void **state)
{
	struct gen_pool *pool = new_pool(ORDER);

	(void)state;
	add_chunk(pool, BASE_A, 32 * G);
	assert_int_equal(gen_pool_alloc_pages(pool, 2), BASE_A);
	assert_int_equal(gen_pool_alloc_pages(pool, 0), BASE_A + 4 * G);
	assert_int_equal(gen_pool_alloc_pages(pool, 2), BASE_A + 8 * G);
	assert_int_equal(gen_pool_alloc_pages(pool, 1), BASE_A + 6 * G);
	assert_int_equal(gen_pool_alloc_pages(pool, 3), BASE_A + 16 * G);
	assert_int_equal(gen_pool_avail(pool), (32 - 4 - 1 - 4 - 2 - 8) * G);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A + 6 * G, 1), 0);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A + 16 * G, 3), 0);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A + 8 * G, 2), 0);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A + 4 * G, 0), 0);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A, 2), 0);
	assert_int_equal(gen_pool_avail(pool), 32 * G);
	expect_no_report();
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* The address is aligned, not the offset in the chunk. */
static void misaligned_chunk_start(void **state)
{
	struct gen_pool *pool = new_pool(ORDER);

	(void)state;
	add_chunk(pool, BASE_B + G, 16 * G);
	assert_int_equal(gen_pool_alloc_pages(pool, 2), BASE_B + 4 * G);
	assert_int_equal(gen_pool_alloc_pages(pool, 3), BASE_B + 8 * G);
	errno = 0;
	assert_int_equal(gen_pool_alloc_pages(pool, 2), 0); /* B+1..3 and B+16 are left */
	assert_int_equal(errno, ENOMEM);
	expect_no_report();
	assert_int_equal(gen_pool_free_pages(pool, BASE_B + 4 * G, 2), 0);
	assert_int_equal(gen_pool_free_pages(pool, BASE_B + 8 * G, 3), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void newest_chunk_first(void **state)
{
	struct gen_pool *pool = new_pool(ORDER);

	(void)state;
	add_chunk(pool, BASE_A, 32 * G);
	add_chunk(pool, BASE_B, 8 * G);
	assert_int_equal(gen_pool_alloc_pages(pool, 3), BASE_B);
	assert_int_equal(gen_pool_alloc_pages(pool, 0), BASE_A); /* B is full */
	assert_int_equal(gen_pool_free_pages(pool, BASE_B, 3), 0);
	assert_int_equal(gen_pool_alloc_pages(pool, 1), BASE_B);
	assert_int_equal(gen_pool_free_pages(pool, BASE_B, 1), 0);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A, 0), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* Alignments above 2^30 bytes (beyond struct genpool_data_align's int). */
static void wide_alignment(void **state)
{
	const unsigned long base = 0x40000000000UL; /* 4 TiB: 2 GiB aligned, never touched */
	struct gen_pool *pool = new_pool(20);      /* 1 MiB granules */

	(void)state;
	add_chunk(pool, base + (1UL << 20), 8UL << 30);
	assert_int_equal(gen_pool_alloc_pages(pool, 11), base + (2UL << 30));
	assert_int_equal(gen_pool_alloc_pages(pool, 11), base + (4UL << 30));
	assert_int_equal(gen_pool_alloc_pages(pool, 11), base + (6UL << 30));
	errno = 0;
	assert_int_equal(gen_pool_alloc_pages(pool, 11), 0);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(gen_pool_alloc_pages(pool, 10), base + (1UL << 30));
	assert_int_equal(gen_pool_free_pages(pool, base + (2UL << 30), 11), 0);
	assert_int_equal(gen_pool_free_pages(pool, base + (4UL << 30), 11), 0);
	assert_int_equal(gen_pool_free_pages(pool, base + (6UL << 30), 11), 0);
	assert_int_equal(gen_pool_free_pages(pool, base + (1UL << 30), 10), 0);
	assert_int_equal(gen_pool_avail(pool), 8UL << 30);
	expect_no_report();
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void refusals(void **state)
{
	struct gen_pool *pool = new_pool(ORDER), *big = new_pool(40);
	size_t before;

	(void)state;
	add_chunk(pool, BASE_A, 32 * G);
	before = gen_pool_avail(pool);
	errno = 0;
	assert_int_equal(gen_pool_alloc_pages(NULL, 0), 0);
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	errno = 0;
	assert_int_equal(gen_pool_alloc_pages(pool, 32), 0); /* 2^32 granules > UINT_MAX */
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_alloc_pages(pool, UINT_MAX), 0);
	expect_report(EINVAL);
	errno = 0;
	assert_int_equal(gen_pool_alloc_pages(big, 24), 0); /* 2^40 << 24 overflows */
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	EXPECT_UNCHANGED(pool, before);
	/* no room: a result, not reported */
	errno = 0;
	assert_int_equal(gen_pool_alloc_pages(pool, 6), 0);
	assert_int_equal(errno, ENOMEM);
	expect_no_report();
	assert_int_equal(gen_pool_free_pages(NULL, BASE_A, 0), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A, 32), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A, 0), -EINVAL); /* double free */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_free_pages(pool, BASE_C + 64 * G, 0), -EINVAL); /* foreign */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_alloc_pages(pool, 1), BASE_A);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A + 1, 1), -EINVAL); /* misaligned */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_avail(pool), before - 2 * G);
	assert_int_equal(gen_pool_free_pages(pool, BASE_A, 1), 0);
	EXPECT_UNCHANGED(pool, before);
	assert_int_equal(gen_pool_destroy(pool), 0);
	assert_int_equal(gen_pool_destroy(big), 0);
}

/* Strict and cache pools know each allocation's size: a wrong order is refused. */
static void wrong_order_refused(void **state)
{
	unsigned int kinds[] = { GEN_POOL_STRICT, GEN_POOL_THREAD_CACHE };

	(void)state;
	for (unsigned int k = 0; k < 2; k++) {
		struct gen_pool *pool = new_pool_flags(ORDER, kinds[k]);
		unsigned long a;

		add_chunk(pool, BASE_A, 32 * G);
		a = gen_pool_alloc_pages(pool, 2);
		assert_int_equal(a, BASE_A);
		assert_int_equal(gen_pool_free_pages(pool, a, 1), -EINVAL);
		expect_report(EINVAL);
		assert_int_equal(gen_pool_free_pages(pool, a, 3), -EINVAL);
		expect_report(EINVAL);
		assert_int_equal(gen_pool_avail(pool), 28 * G);
		assert_int_equal(gen_pool_free_pages(pool, a, 2), 0);
		gen_pool_cache_flush(pool);
		assert_int_equal(gen_pool_avail(pool), 32 * G);
		assert_int_equal(gen_pool_destroy(pool), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(lowest_aligned_address, setup),
		cmocka_unit_test_setup(misaligned_chunk_start, setup),
		cmocka_unit_test_setup(newest_chunk_first, setup),
		cmocka_unit_test_setup(wide_alignment, setup),
		cmocka_unit_test_setup(refusals, setup),
		cmocka_unit_test_setup(wrong_order_refused, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
