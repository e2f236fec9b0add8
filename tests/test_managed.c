/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_managed.c - managed pools (devm_gen_pool_create / gen_pool_get /
 * of_gen_pool_get): owner names, pool names within an owner and the
 * owner's unnamed pool, lookup by owner and by "owner/pool" path, detaching
 * on gen_pool_destroy, and gen_pool_owner_destroy refusing a busy owner
 * without destroying anything. Refusals (EINVAL, EEXIST, EBUSY) must also
 * reach the error handler exactly once; a lookup miss is not a refusal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "genpool.h"

#define ORDER 6
#define G (1UL << ORDER)
#define BASE 0x100000UL

static int reports;
static int last_err;

static void on_error(int err, const char *msg, void *arg)
{
	(void)arg;
	assert_true(msg && msg[0]);
	reports++;
	last_err = err;
}

/* @p is NULL with errno @err, reported once to the handler. */
#define REFUSED(call, err)                                                                  \
	do {                                                                                \
		const void *p_;                                                             \
		int e_;                                                                     \
		reports = 0;                                                                \
		errno = 0;                                                                  \
		p_ = (call);                                                                \
		e_ = errno;                                                                 \
		assert_null(p_);                                                            \
		assert_int_equal(e_, err);                                                  \
		assert_int_equal(reports, 1);                                               \
		assert_int_equal(last_err, err);                                            \
		reports = 0;                                                                \
	} while (0)

/* A lookup that finds nothing: NULL with ENOENT. */
#define NOT_FOUND(path)                                                                     \
	do {                                                                                \
		struct gen_pool *p_;                                                        \
		int e_;                                                                     \
		errno = 0;                                                                  \
		p_ = gen_pool_get_path(path);                                               \
		e_ = errno;                                                                 \
		assert_null(p_);                                                            \
		assert_int_equal(e_, ENOENT);                                               \
	} while (0)

static struct gen_pool_owner *owner_new(const char *name)
{
	struct gen_pool_owner *o = gen_pool_owner_create(name);

	assert_non_null(o);
	return o;
}

static struct gen_pool *pool_new(struct gen_pool_owner *o, const char *name)
{
	struct gen_pool *p = gen_pool_create_managed(o, ORDER, -1, name);

	assert_non_null(p);
	if (name)
		assert_string_equal(gen_pool_name(p), name);
	else
		assert_null(gen_pool_name(p));
	return p;
}

/* A managed pool is a full pool: add memory, allocate, free. */
static void pool_works(struct gen_pool *p)
{
	unsigned long a = gen_pool_alloc(p, 3 * G);

	assert_true(a != 0);
	assert_int_equal(gen_pool_free(p, a, 3 * G), 0);
}

static void owner_names(void **state)
{
	struct gen_pool_owner *o;

	(void)state;
	o = owner_new("dev0");
	REFUSED(gen_pool_owner_create("dev0"), EEXIST);
	REFUSED(gen_pool_owner_create(NULL), EINVAL);
	REFUSED(gen_pool_owner_create(""), EINVAL);
	REFUSED(gen_pool_owner_create("a/b"), EINVAL);
	REFUSED(gen_pool_owner_create("/"), EINVAL);
	assert_int_equal(gen_pool_owner_destroy(o), 0);
	assert_int_equal(gen_pool_owner_destroy(NULL), 0);
	assert_int_equal(reports, 0);
}

static void pool_names(void **state)
{
	struct gen_pool_owner *o0 = owner_new("dev0"), *o1 = owner_new("dev1");
	struct gen_pool *sram, *other, *unnamed;

	(void)state;
	sram = pool_new(o0, "sram");
	REFUSED(gen_pool_create_managed(o0, ORDER, -1, "sram"), EEXIST);
	other = pool_new(o1, "sram");
	assert_ptr_not_equal(other, sram);
	REFUSED(gen_pool_create_managed(o0, ORDER, -1, "a/b"), EINVAL);
	REFUSED(gen_pool_create_managed(o0, ORDER, -1, ""), EINVAL);
	REFUSED(gen_pool_create_managed(NULL, ORDER, -1, "x"), EINVAL);
	REFUSED(gen_pool_create_managed(o0, -1, -1, "bad"), EINVAL);
	REFUSED(gen_pool_create_managed(o0, ORDER, -2, "bad"), EINVAL);
	assert_null(gen_pool_get(o0, "bad")); /* a refused create attaches nothing */
	unnamed = pool_new(o0, NULL);
	REFUSED(gen_pool_create_managed(o0, ORDER, -1, NULL), EEXIST);
	assert_ptr_not_equal(unnamed, sram);
	assert_ptr_equal(gen_pool_get(o0, "sram"), sram);
	assert_ptr_equal(gen_pool_get(o1, "sram"), other);
	assert_ptr_equal(gen_pool_get(o0, NULL), unnamed);
	assert_null(gen_pool_get(o1, NULL));
	assert_null(gen_pool_get(o0, "dram"));
	assert_null(gen_pool_get(o0, "sra"));
	assert_null(gen_pool_get(o0, "sramx"));
	assert_int_equal(gen_pool_owner_destroy(o0), 0);
	assert_int_equal(gen_pool_owner_destroy(o1), 0);
	assert_int_equal(reports, 0);
}

static void get_path(void **state)
{
	struct gen_pool_owner *o = owner_new("dev0");
	struct gen_pool *sram = pool_new(o, "sram"), *unnamed;

	(void)state;
	assert_ptr_equal(gen_pool_get_path("dev0/sram"), sram);
	NOT_FOUND("dev0"); /* no unnamed pool yet */
	unnamed = pool_new(o, NULL);
	assert_ptr_equal(gen_pool_get_path("dev0"), unnamed);
	NOT_FOUND("nope/sram");
	NOT_FOUND("nope");
	NOT_FOUND("dev0/dram");
	NOT_FOUND("dev/sram");
	NOT_FOUND("dev00/sram");
	REFUSED(gen_pool_get_path(""), EINVAL);
	REFUSED(gen_pool_get_path("/x"), EINVAL);
	REFUSED(gen_pool_get_path("/"), EINVAL);
	REFUSED(gen_pool_get_path(NULL), EINVAL);
	REFUSED(gen_pool_get_path("dev0/"), EINVAL);
	REFUSED(gen_pool_get_path("dev0/sram/x"), EINVAL);
	assert_int_equal(gen_pool_owner_destroy(o), 0);
	NOT_FOUND("dev0/sram");
	NOT_FOUND("dev0");
}

static void names_of_pools(void **state)
{
	struct gen_pool_owner *o = owner_new("dev0");
	struct gen_pool *plain = gen_pool_create(ORDER, -1);

	(void)state;
	assert_non_null(plain);
	assert_null(gen_pool_name(plain));
	assert_null(gen_pool_name(NULL));
	assert_string_equal(gen_pool_name(pool_new(o, "sram")), "sram");
	assert_null(gen_pool_name(pool_new(o, NULL)));
	assert_int_equal(gen_pool_destroy(plain), 0);
	assert_int_equal(gen_pool_owner_destroy(o), 0);
}

static void destroy_detaches(void **state)
{
	struct gen_pool_owner *o = owner_new("dev0");
	struct gen_pool *sram = pool_new(o, "sram"), *unnamed = pool_new(o, NULL);

	(void)state;
	assert_int_equal(gen_pool_add(sram, BASE, 16 * G, -1), 0);
	pool_works(sram);
	assert_int_equal(gen_pool_destroy(sram), 0);
	assert_null(gen_pool_get(o, "sram"));
	NOT_FOUND("dev0/sram");
	assert_ptr_equal(gen_pool_get(o, NULL), unnamed);
	assert_int_equal(gen_pool_destroy(unnamed), 0);
	assert_null(gen_pool_get(o, NULL));
	NOT_FOUND("dev0");
	/* both names are free again */
	sram = pool_new(o, "sram");
	assert_ptr_equal(gen_pool_get_path("dev0/sram"), sram);
	unnamed = pool_new(o, NULL);
	assert_ptr_equal(gen_pool_get_path("dev0"), unnamed);
	assert_int_equal(gen_pool_owner_destroy(o), 0);
}

static void owner_destroy_busy(void **state)
{
	struct gen_pool_owner *o = owner_new("dev0");
	struct gen_pool *sram = pool_new(o, "sram"), *idle = pool_new(o, "idle");
	unsigned long a;

	(void)state;
	assert_int_equal(gen_pool_add(sram, BASE, 16 * G, -1), 0);
	assert_int_equal(gen_pool_add(idle, BASE, 16 * G, -1), 0);
	a = gen_pool_alloc(sram, 2 * G);
	assert_true(a != 0);
	reports = 0;
	assert_int_equal(gen_pool_owner_destroy(o), -EBUSY);
	assert_int_equal(reports, 1);
	assert_int_equal(last_err, EBUSY);
	reports = 0;
	/* nothing destroyed: owner, both pools, their contents */
	REFUSED(gen_pool_owner_create("dev0"), EEXIST);
	assert_ptr_equal(gen_pool_get(o, "sram"), sram);
	assert_ptr_equal(gen_pool_get_path("dev0/idle"), idle);
	assert_int_equal(gen_pool_avail(sram), 14 * G);
	assert_int_equal(gen_pool_avail(idle), 16 * G);
	pool_works(sram);
	pool_works(idle);
	assert_int_equal(gen_pool_free(sram, a, 2 * G), 0);
	assert_int_equal(gen_pool_owner_destroy(o), 0);
	NOT_FOUND("dev0/sram");
	/* the name can be reused, by an owner with no pools */
	o = owner_new("dev0");
	NOT_FOUND("dev0/sram");
	assert_null(gen_pool_get(o, "sram"));
	assert_int_equal(gen_pool_owner_destroy(o), 0);
	assert_int_equal(reports, 0);
}

static int setup(void **state)
{
	(void)state;
	gen_pool_set_error_handler(on_error, NULL);
	reports = 0;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(owner_names, setup),
		cmocka_unit_test_setup(pool_names, setup),
		cmocka_unit_test_setup(get_path, setup),
		cmocka_unit_test_setup(names_of_pools, setup),
		cmocka_unit_test_setup(destroy_detaches, setup),
		cmocka_unit_test_setup(owner_destroy_busy, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
