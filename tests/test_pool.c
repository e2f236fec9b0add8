/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pool.c - the basic pool calls end to end, with exact expected
 * addresses: granule rounding, newest-chunk-first search, chunk size
 * rounding, avail/size accounting, destroy, phys and owners,
 * for_each_chunk, has_addr, and the dma and zeroing variants.
 *
 * Algorithms through the pool, big pools, strict and spinlock pools and the
 * lost-race rollback are tested in test_pool_algo.c; refused calls (bad
 * arguments, double frees) in test_errors.c. Pool address ranges are never
 * touched except in the zalloc tests, which use real memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "genpool.h"
#include "pool_helpers.h"

#define NO_PHYS ((phys_addr_t)-1)

/* ------------------------------------------------------------------------ */
/* Granules and rounding                                                    */

static void alloc_rounds_up_to_granules(void **state)
{
	struct gen_pool *pool = new_pool(4); /* G = 16 */

	(void)state;
	add_chunk(pool, 0x1000, 0x100);
	expect_alloc(pool, 1, 0x1000);
	expect_alloc(pool, 17, 0x1010);
	expect_alloc(pool, 16, 0x1030);
	expect_alloc(pool, 33, 0x1040);
	expect_avail(pool, 0x100 - 0x70);
	expect_free(pool, 0x1000, 1);
	expect_free(pool, 0x1010, 17);
	expect_free(pool, 0x1030, 16);
	expect_free(pool, 0x1040, 33);
	destroy_empty(pool);
}

static void alloc_until_full_sets_enomem(void **state)
{
	struct gen_pool *pool = new_pool(8);

	(void)state;
	expect_full(pool, 1); /* no chunk at all */
	add_chunk(pool, 0x10000, 0x400);
	expect_alloc(pool, 0x300, 0x10000);
	expect_full(pool, 0x101);
	expect_alloc(pool, 0x100, 0x10300);
	expect_full(pool, 1);
	expect_avail(pool, 0);
	expect_free(pool, 0x10000, 0x300);
	expect_free(pool, 0x10300, 0x100);
	destroy_empty(pool);
}

static void chunk_size_rounds_down_to_granules(void **state)
{
	struct gen_pool *pool = new_pool(8);

	(void)state;
	add_chunk(pool, 0x10000, 0x1000 + 0xff);
	assert_int_equal(gen_pool_size(pool), 0x1000);
	expect_avail(pool, 0x1000);
	expect_alloc(pool, 0x1000, 0x10000);
	expect_full(pool, 1);
	/* the tail is not part of the chunk */
	assert_false(gen_pool_has_addr(pool, 0x11000, 1));
	assert_true(gen_pool_has_addr(pool, 0x10fff, 1));
	expect_free(pool, 0x10000, 0x1000);
	destroy_empty(pool);
}

/*
 * Found by fuzz_args: at order 0 a chunk of ULONG_MAX bytes has 2^64 - 1
 * granules, whose word count once wrapped to 0, so add succeeded with no
 * bitmap and alloc wrote past the chunk. Its bitmap cannot be allocated:
 * add must say ENOMEM and change nothing.
 */
static void whole_address_space_chunk_is_enomem(void **state)
{
	unsigned int flags[] = { 0, GEN_POOL_STRICT, GEN_POOL_SPINLOCK };

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		struct gen_pool *pool = gen_pool_create_flags(0, -1, flags[i]);

		assert_non_null(pool);
		assert_int_equal(gen_pool_add(pool, 1, ULONG_MAX, -1), -ENOMEM);
		assert_int_equal(gen_pool_size(pool), 0);
		assert_int_equal(gen_pool_avail(pool), 0);
		errno = 0;
		assert_int_equal(gen_pool_alloc(pool, 1), 0);
		assert_int_equal(errno, ENOMEM);
		assert_int_equal(gen_pool_destroy(pool), 0);
	}
}

static void chunks_searched_newest_first(void **state)
{
	struct gen_pool *pool = new_pool(8);

	(void)state;
	add_chunk(pool, 0x10000, 0x1000); /* A */
	add_chunk(pool, 0x20000, 0x1000); /* B, newest */
	assert_int_equal(gen_pool_size(pool), 0x2000);
	expect_alloc(pool, 0x100, 0x20000);
	expect_alloc(pool, 0xf00, 0x20100);
	expect_alloc(pool, 0x100, 0x10000);
	/* a request that fits only A, while B still has room */
	expect_free(pool, 0x20000, 0x100);
	expect_alloc(pool, 0x200, 0x10100);
	expect_alloc(pool, 0x100, 0x20000);
	expect_free(pool, 0x20000, 0x100);
	expect_free(pool, 0x20100, 0xf00);
	expect_free(pool, 0x10000, 0x100);
	expect_free(pool, 0x10100, 0x200);
	destroy_empty(pool);
}

/* ------------------------------------------------------------------------ */
/* Accounting and destroy                                                   */

static void avail_exact_after_allocs_and_frees(void **state)
{
	struct gen_pool *pool = new_pool(6); /* G = 64 */

	(void)state;
	add_chunk(pool, 0x40000, 0x800); /* 32 granules */
	add_chunk(pool, 0x50000, 0x400); /* 16 granules, newest */
	assert_int_equal(gen_pool_size(pool), 0xc00);
	expect_alloc(pool, 0x41, 0x50000); /* 2 granules */
	expect_avail(pool, 0xc00 - 0x80);
	expect_alloc(pool, 0x380, 0x50080); /* 14: B full */
	expect_avail(pool, 0xc00 - 0x400);
	expect_alloc(pool, 0x40, 0x40000);
	expect_avail(pool, 0xc00 - 0x440);
	expect_free(pool, 0x50000, 0x41);
	expect_avail(pool, 0xc00 - 0x3c0);
	expect_alloc(pool, 0x40, 0x50000);
	expect_alloc(pool, 0x40, 0x50040);
	expect_alloc(pool, 0x40, 0x40040);
	expect_avail(pool, 0xc00 - 0x480);
	expect_free(pool, 0x50080, 0x380);
	expect_free(pool, 0x40000, 0x40);
	expect_free(pool, 0x50000, 0x40);
	expect_free(pool, 0x50040, 0x40);
	expect_free(pool, 0x40040, 0x40);
	destroy_empty(pool);
}

static void destroy_null_returns_zero(void **state)
{
	(void)state;
	assert_int_equal(gen_pool_destroy(NULL), 0);
}

static void destroy_busy_pool_stays_usable(void **state)
{
	struct gen_pool *pool = new_pool(8);

	(void)state;
	add_chunk(pool, 0x10000, 0x1000);
	expect_alloc(pool, 0x100, 0x10000);
	assert_int_equal(gen_pool_destroy(pool), -EBUSY);
	expect_avail(pool, 0xf00);
	expect_alloc(pool, 0x100, 0x10100);
	expect_free(pool, 0x10000, 0x100);
	assert_int_equal(gen_pool_destroy(pool), -EBUSY);
	expect_free(pool, 0x10100, 0x100);
	destroy_empty(pool);
}

static void destroy_empty_pool_without_chunks(void **state)
{
	(void)state;
	assert_int_equal(gen_pool_destroy(new_pool(0)), 0);
}

/* ------------------------------------------------------------------------ */
/* phys, owners, chunk iteration                                            */

static void virt_to_phys_adds_offset(void **state)
{
	struct gen_pool *pool = new_pool(8);

	(void)state;
	add_chunk(pool, 0x10000, 0x1000);			   /* phys unknown */
	add_chunk_phys(pool, 0x20000, 0x80000000ULL, 0x1080); /* 0x1000 kept */
	assert_int_equal(gen_pool_virt_to_phys(pool, 0x20000), 0x80000000ULL);
	assert_int_equal(gen_pool_virt_to_phys(pool, 0x20010), 0x80000010ULL);
	assert_int_equal(gen_pool_virt_to_phys(pool, 0x20fff), 0x80000fffULL);
	/* the rounded-off tail and outside addresses are in no chunk */
	assert_int_equal(gen_pool_virt_to_phys(pool, 0x21000), NO_PHYS);
	assert_int_equal(gen_pool_virt_to_phys(pool, 0x1ffff), NO_PHYS);
	assert_int_equal(gen_pool_virt_to_phys(pool, 0x30000), NO_PHYS);
	/* gen_pool_add: phys is (phys_addr_t)-1 and the offset wraps */
	assert_int_equal(gen_pool_virt_to_phys(pool, 0x10000), NO_PHYS);
	assert_int_equal(gen_pool_virt_to_phys(pool, 0x10010), (phys_addr_t)0xf);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static int owner_a, owner_b;

static void alloc_owner_reports_chunk_owner(void **state)
{
	struct gen_pool *pool = new_pool(8);
	void *owner = &owner_a;

	(void)state;
	assert_int_equal(gen_pool_add_owner(pool, 0x10000, 0x1000, 0x100, -1, &owner_a), 0);
	assert_int_equal(gen_pool_add_owner(pool, 0x20000, 0x2000, 0x100, -1, &owner_b), 0);
	assert_int_equal(gen_pool_alloc_owner(pool, 0x100, &owner), 0x20000);
	assert_ptr_equal(owner, &owner_b);
	assert_int_equal(gen_pool_alloc_owner(pool, 0x100, &owner), 0x10000);
	assert_ptr_equal(owner, &owner_a);
	/* failure: *owner set to NULL */
	errno = 0;
	assert_int_equal(gen_pool_alloc_owner(pool, 0x100, &owner), 0);
	assert_int_equal(errno, ENOMEM);
	assert_null(owner);
	/* the owner pointer itself may be NULL */
	assert_int_equal(gen_pool_free_owner(pool, 0x10000, 0x100, NULL), 0);
	assert_int_equal(gen_pool_alloc_owner(pool, 0x100, NULL), 0x10000);
	owner = NULL;
	assert_int_equal(gen_pool_free_owner(pool, 0x20000, 0x100, &owner), 0);
	assert_ptr_equal(owner, &owner_b);
	assert_int_equal(gen_pool_free_owner(pool, 0x10000, 0x100, &owner), 0);
	assert_ptr_equal(owner, &owner_a);
	destroy_empty(pool);
}

static void alloc_owner_of_plain_chunk_is_null(void **state)
{
	struct gen_pool *pool = new_pool(8);
	void *owner = &owner_a;

	(void)state;
	add_chunk(pool, 0x10000, 0x100);
	assert_int_equal(gen_pool_alloc_algo_owner(pool, 0x100, gen_pool_best_fit, NULL, &owner),
			 0x10000);
	assert_null(owner);
	owner = &owner_a;
	assert_int_equal(gen_pool_free_owner(pool, 0x10000, 0x100, &owner), 0);
	assert_null(owner);
	destroy_empty(pool);
}

#define MAX_SEEN 4

struct chunk_seen {
	int n;
	unsigned long start[MAX_SEEN], end[MAX_SEEN];
	phys_addr_t phys[MAX_SEEN];
	void *owner[MAX_SEEN];
	struct gen_pool *pool;
};

static void record_chunk(struct gen_pool *pool, struct gen_pool_chunk *chunk, void *data)
{
	struct chunk_seen *seen = data;

	assert_ptr_equal(pool, seen->pool);
	assert_true(seen->n < MAX_SEEN);
	seen->start[seen->n] = gen_pool_chunk_start(chunk);
	seen->end[seen->n] = gen_pool_chunk_end(chunk);
	seen->phys[seen->n] = gen_pool_chunk_phys(chunk);
	seen->owner[seen->n] = gen_pool_chunk_owner(chunk);
	seen->n++;
}

static void expect_seen(const struct chunk_seen *seen, int i, unsigned long start,
			unsigned long end, phys_addr_t phys, void *owner)
{
	assert_int_equal(seen->start[i], start);
	assert_int_equal(seen->end[i], end);
	assert_int_equal(seen->phys[i], phys);
	assert_ptr_equal(seen->owner[i], owner);
}

static void for_each_chunk_visits_newest_first(void **state)
{
	struct gen_pool *pool = new_pool(8);
	struct chunk_seen seen = { .pool = pool };

	(void)state;
	gen_pool_for_each_chunk(pool, record_chunk, &seen);
	assert_int_equal(seen.n, 0);
	assert_int_equal(gen_pool_add_owner(pool, 0x10000, 0x5000, 0x1000, -1, &owner_a), 0);
	add_chunk(pool, 0x20000, 0x8ff);
	add_chunk_phys(pool, 0x30000, 0x9000, 0x100);
	gen_pool_for_each_chunk(pool, record_chunk, &seen);
	assert_int_equal(seen.n, 3);
	expect_seen(&seen, 0, 0x30000, 0x300ff, 0x9000, NULL);
	expect_seen(&seen, 1, 0x20000, 0x207ff, NO_PHYS, NULL);
	expect_seen(&seen, 2, 0x10000, 0x10fff, 0x5000, &owner_a);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* ------------------------------------------------------------------------ */
/* has_addr                                                                 */

static void has_addr_needs_range_in_one_chunk(void **state)
{
	struct gen_pool *pool = new_pool(8);

	(void)state;
	add_chunk(pool, 0x20000, 0x1000); /* B */
	add_chunk(pool, 0x21000, 0x1000); /* C, adjacent to B */
	assert_true(gen_pool_has_addr(pool, 0x20000, 0x1000));
	assert_true(gen_pool_has_addr(pool, 0x20f00, 0x100));
	assert_true(gen_pool_has_addr(pool, 0x21000, 0x1000));
	assert_true(gen_pool_has_addr(pool, 0x21fff, 1));
	/* spanning B and C */
	assert_false(gen_pool_has_addr(pool, 0x20f00, 0x101));
	assert_false(gen_pool_has_addr(pool, 0x20000, 0x2000));
	/* past either end */
	assert_false(gen_pool_has_addr(pool, 0x21000, 0x1001));
	assert_false(gen_pool_has_addr(pool, 0x1ffff, 1));
	assert_false(gen_pool_has_addr(pool, 0x1ffff, 2));
	assert_false(gen_pool_has_addr(pool, 0x22000, 1));
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* ------------------------------------------------------------------------ */
/* dma and zeroing variants                                                 */

static void dma_alloc_fills_phys(void **state)
{
	struct gen_pool *pool = new_pool(8);
	dma_addr_t dma = 0;

	(void)state;
	add_chunk_phys(pool, 0x10000, 0x70000000ULL, 0x1000);
	assert_ptr_equal(gen_pool_dma_alloc(pool, 0x100, &dma), (void *)0x10000UL);
	assert_int_equal(dma, 0x70000000ULL);
	assert_ptr_equal(gen_pool_dma_alloc(pool, 0x80, NULL), (void *)0x10100UL);
	assert_ptr_equal(gen_pool_dma_alloc_algo(pool, 0x100, &dma, gen_pool_first_fit_order_align,
						 NULL), (void *)0x10200UL);
	assert_int_equal(dma, 0x70000200ULL);
	errno = 0;
	assert_ptr_equal(gen_pool_dma_alloc_align(pool, 0x100, &dma, 0x1000), NULL);
	assert_int_equal(errno, ENOMEM);
	assert_ptr_equal(gen_pool_dma_alloc_align(pool, 0x100, &dma, 0x400), (void *)0x10400UL);
	assert_int_equal(dma, 0x70000400ULL);
	expect_free(pool, 0x10000, 0x100);
	expect_free(pool, 0x10100, 0x80);
	expect_free(pool, 0x10200, 0x100);
	expect_free(pool, 0x10400, 0x100);
	destroy_empty(pool);
}

static void dma_alloc_align_in_misaligned_chunk(void **state)
{
	struct gen_pool *pool = new_pool(8);
	dma_addr_t dma = 0;

	(void)state;
	add_chunk_phys(pool, 0x10100, 0x100100ULL, 0x10000);
	/* first granule of the chunk is 0x10100; 0x1000-aligned is 0x11000 */
	assert_ptr_equal(gen_pool_dma_alloc_align(pool, 0x100, &dma, 0x1000), (void *)0x11000UL);
	assert_int_equal(dma, 0x101000ULL);
	assert_ptr_equal(gen_pool_dma_alloc_align(pool, 0x100, &dma, 0x1000), (void *)0x12000UL);
	assert_int_equal(dma, 0x102000ULL);
	expect_free(pool, 0x11000, 0x100);
	expect_free(pool, 0x12000, 0x100);
	destroy_empty(pool);
}

#define ZBUF_SIZE 0x1000
#define ZBUF_ALIGN 0x400
#define ZBUF_PHYS 0x5000ULL

/* A pool of order 6 (G = 64) over real memory prefilled with 0xAA. */
static struct gen_pool *zpool_create(unsigned char **buf)
{
	struct gen_pool *pool = new_pool(6);

	*buf = aligned_alloc(ZBUF_ALIGN, ZBUF_SIZE);
	assert_non_null(*buf);
	memset(*buf, 0xaa, ZBUF_SIZE);
	add_chunk_phys(pool, (unsigned long)*buf, ZBUF_PHYS, ZBUF_SIZE);
	return pool;
}

/* Bytes [off, off + size) are 0, and every other byte is still 0xAA. */
static void expect_zeroed_exactly(const unsigned char *buf, size_t off, size_t size)
{
	for (size_t i = 0; i < ZBUF_SIZE; i++)
		assert_int_equal(buf[i], i >= off && i < off + size ? 0 : 0xaa);
}

static void zalloc_zeroes_exactly_size(void **state)
{
	unsigned char *buf;
	struct gen_pool *pool = zpool_create(&buf);
	dma_addr_t dma = 0;

	(void)state;
	assert_ptr_equal(gen_pool_dma_zalloc(pool, 10, &dma), buf);
	assert_int_equal(dma, ZBUF_PHYS);
	expect_zeroed_exactly(buf, 0, 10);
	expect_free(pool, (unsigned long)buf, 10);
	memset(buf, 0xaa, ZBUF_SIZE);
	assert_ptr_equal(gen_pool_dma_zalloc(pool, 65, NULL), buf);
	expect_zeroed_exactly(buf, 0, 65);
	expect_free(pool, (unsigned long)buf, 65);
	assert_int_equal(gen_pool_destroy(pool), 0);
	free(buf);
}

static void zalloc_align_zeroes_aligned_range(void **state)
{
	unsigned char *buf;
	struct gen_pool *pool = zpool_create(&buf);
	dma_addr_t dma = 0;

	(void)state;
	expect_alloc(pool, 64, (unsigned long)buf);
	assert_ptr_equal(gen_pool_dma_zalloc_align(pool, 100, &dma, 0x100), buf + 0x100);
	assert_int_equal(dma, ZBUF_PHYS + 0x100);
	expect_zeroed_exactly(buf, 0x100, 100);
	expect_free(pool, (unsigned long)buf, 64);
	expect_free(pool, (unsigned long)buf + 0x100, 100);
	assert_int_equal(gen_pool_destroy(pool), 0);
	free(buf);
}

static void zalloc_algo_uses_algo(void **state)
{
	unsigned char *buf;
	struct gen_pool *pool = zpool_create(&buf);
	struct genpool_data_fixed fixed = { .offset = 0x200 };
	dma_addr_t dma = 0;

	(void)state;
	assert_ptr_equal(gen_pool_dma_zalloc_algo(pool, 3, &dma, gen_pool_fixed_alloc, &fixed),
			 buf + 0x200);
	assert_int_equal(dma, ZBUF_PHYS + 0x200);
	expect_zeroed_exactly(buf, 0x200, 3);
	/* a failed zalloc touches nothing */
	errno = 0;
	assert_null(gen_pool_dma_zalloc_algo(pool, 3, &dma, gen_pool_fixed_alloc, &fixed));
	assert_int_equal(errno, ENOMEM);
	expect_zeroed_exactly(buf, 0x200, 3);
	expect_free(pool, (unsigned long)buf + 0x200, 3);
	assert_int_equal(gen_pool_destroy(pool), 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alloc_rounds_up_to_granules),
		cmocka_unit_test(alloc_until_full_sets_enomem),
		cmocka_unit_test(chunk_size_rounds_down_to_granules),
		cmocka_unit_test(whole_address_space_chunk_is_enomem),
		cmocka_unit_test(chunks_searched_newest_first),
		cmocka_unit_test(avail_exact_after_allocs_and_frees),
		cmocka_unit_test(destroy_null_returns_zero),
		cmocka_unit_test(destroy_busy_pool_stays_usable),
		cmocka_unit_test(destroy_empty_pool_without_chunks),
		cmocka_unit_test(virt_to_phys_adds_offset),
		cmocka_unit_test(alloc_owner_reports_chunk_owner),
		cmocka_unit_test(alloc_owner_of_plain_chunk_is_null),
		cmocka_unit_test(for_each_chunk_visits_newest_first),
		cmocka_unit_test(has_addr_needs_range_in_one_chunk),
		cmocka_unit_test(dma_alloc_fills_phys),
		cmocka_unit_test(dma_alloc_align_in_misaligned_chunk),
		cmocka_unit_test(zalloc_zeroes_exactly_size),
		cmocka_unit_test(zalloc_align_zeroes_aligned_range),
		cmocka_unit_test(zalloc_algo_uses_algo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
