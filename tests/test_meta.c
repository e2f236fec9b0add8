// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_meta.c - unit tests of src/meta.c: NUMA placement of metadata.
 *
 * nid >= 0 must place a chunk's bitmap on that node (checked with
 * get_mempolicy on the memory itself), nid -1 must use the heap, and a node
 * the machine does not have is refused. On a machine without NUMA support
 * the placement checks are skipped and any nid >= 0 must still work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <numa.h>
#include <numaif.h>

#include "internal.h"

static int node_of(void *p)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, p, MPOL_F_NODE | MPOL_F_ADDR))
		return -1;
	return node;
}

static void zalloc_places_on_requested_node(void **state)
{
	int placed, node;
	unsigned char *p;

	(void)state;
	if (numa_available() < 0)
		skip();
	node = numa_max_node();
	p = gp_meta_zalloc(3 * 4096, node, &placed);
	assert_non_null(p);
	assert_int_equal(placed, node);
	for (size_t i = 0; i < 3 * 4096; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(node_of(p), node);
	gp_meta_free(p, 3 * 4096, placed);
}

static void zalloc_any_node_uses_heap(void **state)
{
	int placed;
	unsigned char *p;

	(void)state;
	p = gp_meta_zalloc(100, -1, &placed);
	assert_non_null(p);
	assert_int_equal(placed, -1);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(p[i], 0);
	gp_meta_free(p, 100, placed);
}

static void pool_on_node_zero_works(void **state)
{
	struct gen_pool *pool;
	unsigned long a;

	(void)state;
	pool = gen_pool_create(6, 0);
	assert_non_null(pool);
	assert_int_equal(gen_pool_add(pool, 0x100000, 1 << 20, 0), 0);
	a = gen_pool_alloc(pool, 64);
	assert_int_equal(a, 0x100000);
	assert_int_equal(gen_pool_free(pool, a, 64), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void missing_node_is_refused(void **state)
{
	struct gen_pool *pool;
	int bad;

	(void)state;
	if (numa_available() < 0)
		skip();
	bad = numa_max_node() + 1;
	errno = 0;
	assert_null(gen_pool_create(6, bad));
	assert_int_equal(errno, EINVAL);
	pool = gen_pool_create(6, -1);
	assert_non_null(pool);
	assert_int_equal(gen_pool_add(pool, 0x100000, 1 << 20, bad), -EINVAL);
	assert_int_equal(gen_pool_size(pool), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zalloc_places_on_requested_node),
		cmocka_unit_test(zalloc_any_node_uses_heap),
		cmocka_unit_test(pool_on_node_zero_works),
		cmocka_unit_test(missing_node_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
