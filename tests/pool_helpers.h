/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pool_helpers.h - helpers shared by test_pool.c and test_pool_algo.c:
 * pool creation, adding chunks, and allocations and frees asserted to
 * return exact addresses.
 */
#ifndef GENPOOL_TESTS_POOL_HELPERS_H
#define GENPOOL_TESTS_POOL_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "genpool.h"

static inline struct gen_pool *new_pool_flags(int order, unsigned int flags)
{
	struct gen_pool *pool = gen_pool_create_flags(order, -1, flags);

	assert_non_null(pool);
	return pool;
}

static inline struct gen_pool *new_pool(int order)
{
	struct gen_pool *pool = gen_pool_create(order, -1);

	assert_non_null(pool);
	return pool;
}

static inline void add_chunk(struct gen_pool *pool, unsigned long addr, size_t size)
{
	assert_int_equal(gen_pool_add(pool, addr, size, -1), 0);
}

static inline void add_chunk_phys(struct gen_pool *pool, unsigned long addr, phys_addr_t phys,
			   size_t size)
{
	assert_int_equal(gen_pool_add_virt(pool, addr, phys, size, -1), 0);
}

static inline void expect_alloc(struct gen_pool *pool, size_t size, unsigned long expected)
{
	assert_int_equal(gen_pool_alloc(pool, size), expected);
}

static inline void expect_alloc_algo(struct gen_pool *pool, size_t size, genpool_algo_t algo,
			      void *data, unsigned long expected)
{
	assert_int_equal(gen_pool_alloc_algo(pool, size, algo, data), expected);
}

static inline void expect_fixed(struct gen_pool *pool, size_t size, unsigned long offset,
			 unsigned long expected)
{
	struct genpool_data_fixed fixed = { .offset = offset };

	expect_alloc_algo(pool, size, gen_pool_fixed_alloc, &fixed, expected);
}

static inline void expect_aligned(struct gen_pool *pool, size_t size, int align,
			   unsigned long expected)
{
	struct genpool_data_align data = { .align = align };

	expect_alloc_algo(pool, size, gen_pool_first_fit_align, &data, expected);
}

static inline void expect_alloc_fails(struct gen_pool *pool, size_t size, genpool_algo_t algo,
			       void *data)
{
	errno = 0;
	assert_int_equal(gen_pool_alloc_algo(pool, size, algo, data), 0);
	assert_int_equal(errno, ENOMEM);
}

static inline void expect_full(struct gen_pool *pool, size_t size)
{
	expect_alloc_fails(pool, size, NULL, NULL);
}

static inline void expect_fixed_fails(struct gen_pool *pool, size_t size, unsigned long offset)
{
	struct genpool_data_fixed fixed = { .offset = offset };

	expect_alloc_fails(pool, size, gen_pool_fixed_alloc, &fixed);
}

static inline void expect_free(struct gen_pool *pool, unsigned long addr, size_t size)
{
	assert_int_equal(gen_pool_free(pool, addr, size), 0);
}

static inline void expect_avail(struct gen_pool *pool, size_t avail)
{
	assert_int_equal(gen_pool_avail(pool), avail);
}

/* The pool is whole again and destroys cleanly. */
static inline void destroy_empty(struct gen_pool *pool)
{
	assert_int_equal(gen_pool_avail(pool), gen_pool_size(pool));
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* Allocate @n granules one by one from an empty chunk at @base. */
static inline void fill_granules(struct gen_pool *pool, unsigned long base, unsigned long g,
			  unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		expect_alloc(pool, g, base + i * g);
}

#endif /* GENPOOL_TESTS_POOL_HELPERS_H */
