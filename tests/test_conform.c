/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_conform.c - kernel conformance where genpool once diverged (issue 11):
 *
 *  1. gen_pool_set_algo installs exactly the algorithm and data it is given.
 *     While that data is invalid (first_fit_align with align 0, 3, 24, -8 or
 *     no data; fixed_alloc with an offset inside a granule or no data) every
 *     entry point without an algorithm argument fails with 0 and EINVAL,
 *     reported and changing nothing, in plain, strict, spinlock and cache
 *     pools (a warmed thread cache must not serve it); the data is read at
 *     each allocation, so correcting the caller's struct in place gives the
 *     requested placement, and spoiling it again fails again.
 *  2. gen_pool_has_addr(pool, start, 0) is what the kernel returns: true for
 *     a start inside a chunk (its last byte included), false elsewhere; a
 *     range that wraps or starts at address 0 stays false.
 *  3. Every public call's refusal is reported under the name of the call the
 *     user made, the wrappers (gen_pool_free, gen_pool_add, gen_pool_alloc,
 *     the dma family, gen_pool_create, gen_pool_create_managed) included.
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
#include <unistd.h>

#include "genpool.h"
#include "error_helpers.h"

#define NGRAN 64		       /* granules of the test chunk */
#define PHYS 0x7000000UL	       /* its physical address */
#define UNTOUCHED 0xa5		       /* fill of the chunk's memory: zalloc must not touch it */
#define DMA_UNSET ((dma_addr_t)0x5a5a) /* *dma before a call that must not fill it */

static unsigned char mem[NGRAN * G] __attribute__((aligned(4096)));
static char owner_tag;

/* "genpool: <call>: ..." -- the report names @call exactly. */
static void expect_named(int err, const char *call)
{
	const char *prefix = "genpool: ";
	size_t n = strlen(prefix), len = strlen(call);

	if (rep.calls != 1 || rep.err != err || strncmp(rep.msg, prefix, n) ||
	    strncmp(rep.msg + n, call, len) || rep.msg[n + len] != ':')
		fail_msg("expected one report of errno %d from %s, got %d (errno %d): \"%s\"", err,
			 call, rep.calls, rep.err, rep.msg);
	report_reset();
}

/* ------------------------------------------------------------------------ */
/* 1. An invalid default algorithm                                          */

/* The allocation entry points that take no algorithm argument. */
enum entry { E_ALLOC, E_ALLOC_OWNER, E_DMA_ALLOC, E_DMA_ZALLOC, N_ENTRIES };
static const char *const entry_name[N_ENTRIES] = {
    "gen_pool_alloc",
    "gen_pool_alloc_owner",
    "gen_pool_dma_alloc",
    "gen_pool_dma_zalloc",
};

static unsigned long call_entry(struct gen_pool *p, enum entry e, size_t size, void **owner,
				dma_addr_t *dma)
{
	switch (e) {
	case E_ALLOC:
		return gen_pool_alloc(p, size);
	case E_ALLOC_OWNER:
		return gen_pool_alloc_owner(p, size, owner);
	case E_DMA_ALLOC:
		return (unsigned long)gen_pool_dma_alloc(p, size, dma);
	default:
		return (unsigned long)gen_pool_dma_zalloc(p, size, dma);
	}
}

/* 1 and 3 granules are thread-cached sizes in cache pools, 20 is not. */
static const size_t sizes[] = {G, 3 * G - 5, 20 * G};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* A pool kind and a built-in algorithm that takes data. */
struct param {
	unsigned int flags;
	bool fixed; /* gen_pool_fixed_alloc, else gen_pool_first_fit_align */
};

/*
 * With the pool's algorithm first fit: allocate and free a few ranges of
 * each cached size, so that a cache pool's thread cache holds ranges it
 * could hand out at once (a free parks them there).
 */
static void warm_cache(struct gen_pool *p)
{
	unsigned long warm[4];

	for (size_t s = 0; s < 2; s++) {
		for (int i = 0; i < 4; i++)
			assert_true((warm[i] = gen_pool_alloc(p, sizes[s])) != 0);
		for (int i = 0; i < 4; i++)
			assert_int_equal(gen_pool_free(p, warm[i], sizes[s]), 0);
	}
}

/*
 * A pool over mem with granule 0 held, so first fit (base + G) and the
 * placement asked for (base + 4G) differ.
 */
static struct gen_pool *make_pool(unsigned int flags, unsigned long *held)
{
	unsigned long base = (unsigned long)mem;
	struct gen_pool *p = gen_pool_create_flags(ORDER, -1, flags);

	assert_non_null(p);
	assert_int_equal(gen_pool_add_owner(p, base, PHYS, sizeof(mem), -1, &owner_tag), 0);
	*held = gen_pool_alloc_algo(p, G, gen_pool_first_fit, NULL);
	assert_int_equal(*held, base);
	memset(mem, UNTOUCHED, sizeof(mem));
	return p;
}

static void expect_mem_untouched(void)
{
	for (size_t i = 0; i < sizeof(mem); i++)
		if (mem[i] != UNTOUCHED)
			fail_msg("byte %zu of the chunk was written: 0x%02x", i, mem[i]);
}

/* Every entry point, every size: 0, EINVAL, reported as itself, nothing changed. */
static void expect_all_refused(struct gen_pool *p)
{
	size_t avail = gen_pool_avail(p);

	for (int e = 0; e < N_ENTRIES; e++) {
		for (size_t s = 0; s < NSIZES; s++) {
			void *owner = &owner_tag;
			dma_addr_t dma = DMA_UNSET;

			report_reset();
			errno = 0;
			assert_int_equal(call_entry(p, (enum entry)e, sizes[s], &owner, &dma), 0);
			assert_int_equal(errno, EINVAL);
			expect_named(EINVAL, entry_name[e]);
			if (e == E_ALLOC_OWNER)
				assert_null(owner);
			assert_int_equal(dma, DMA_UNSET);
		}
	}
	assert_int_equal(gen_pool_avail(p), avail);
	assert_int_equal(gen_pool_size(p), sizeof(mem));
	expect_mem_untouched();
}

/*
 * Every entry point, every size: placed at base + 4G, with owner and dma.
 * Cached ranges are flushed first and after each free, since a range parked
 * in a cache is busy to the algorithm.
 */
static void expect_all_placed(struct gen_pool *p)
{
	unsigned long want = (unsigned long)mem + 4 * G;
	size_t avail = gen_pool_avail(p);

	gen_pool_cache_flush(p);

	for (int e = 0; e < N_ENTRIES; e++) {
		for (size_t s = 0; s < NSIZES; s++) {
			void *owner = NULL;
			dma_addr_t dma = DMA_UNSET;

			report_reset();
			assert_int_equal(call_entry(p, (enum entry)e, sizes[s], &owner, &dma),
					 want);
			expect_no_report();
			if (e == E_ALLOC_OWNER)
				assert_ptr_equal(owner, &owner_tag);
			if (e >= E_DMA_ALLOC)
				assert_int_equal(dma, PHYS + 4 * G);
			for (size_t i = 0; e == E_DMA_ZALLOC && i < sizes[s]; i++)
				assert_int_equal(mem[4 * G + i], 0);
			assert_int_equal(gen_pool_free(p, want, sizes[s]), 0);
			gen_pool_cache_flush(p);
			memset(mem, UNTOUCHED, sizeof(mem));
		}
	}
	assert_int_equal(gen_pool_avail(p), avail);
}

/* Invalid data for the algorithm under test, and the valid value that places at 4G. */
static const int bad_align[] = {0, 3, 24, -8};
static const unsigned long bad_offset[] = {G / 2, G + 1, 3 * G + G / 2};

static void set_bad(const struct param *pm, void *data, size_t i)
{
	if (pm->fixed)
		((struct genpool_data_fixed *)data)->offset = bad_offset[i];
	else
		((struct genpool_data_align *)data)->align = bad_align[i];
}

static void set_good(const struct param *pm, void *data)
{
	if (pm->fixed)
		((struct genpool_data_fixed *)data)->offset = 4 * G;
	else
		((struct genpool_data_align *)data)->align = 4 * G;
}

/* Calls that name their algorithm are not affected by the pool's. */
static void expect_named_algos_work(struct gen_pool *p)
{
	dma_addr_t dma = DMA_UNSET;
	unsigned long a;

	gen_pool_cache_flush(p);
	a = gen_pool_alloc_algo(p, G, gen_pool_first_fit, NULL);
	assert_int_equal(a, (unsigned long)mem + G);
	assert_int_equal(gen_pool_free(p, a, G), 0);
	a = (unsigned long)gen_pool_dma_alloc_align(p, G, &dma, 8 * G);
	assert_int_equal(a, (unsigned long)mem + 8 * G);
	assert_int_equal(dma, PHYS + 8 * G);
	assert_int_equal(gen_pool_free(p, a, G), 0);
	expect_no_report();
	memset(mem, UNTOUCHED, sizeof(mem));
}

static void invalid_default_algo(void **state)
{
	const struct param *pm = *state;
	genpool_algo_t algo = pm->fixed ? gen_pool_fixed_alloc : gen_pool_first_fit_align;
	union {
		struct genpool_data_align align;
		struct genpool_data_fixed fixed;
	} data;
	size_t nbad = pm->fixed ? sizeof(bad_offset) / sizeof(bad_offset[0])
				: sizeof(bad_align) / sizeof(bad_align[0]);
	unsigned long held;
	struct gen_pool *p;

	setup(NULL);
	p = make_pool(pm->flags, &held);
	for (size_t i = 0; i < nbad; i++) {
		warm_cache(p);
		memset(&data, 0, sizeof(data));
		set_bad(pm, &data, i);
		gen_pool_set_algo(p, algo, &data);
		expect_named(EINVAL, "gen_pool_set_algo");
		expect_all_refused(p);
		expect_named_algos_work(p);
		/* the caller corrects the struct it passed: read at the next allocation */
		set_good(pm, &data);
		expect_all_placed(p);
		/* and spoils it again */
		set_bad(pm, &data, i);
		expect_all_refused(p);
		/* first fit restored: nothing refused */
		gen_pool_set_algo(p, NULL, NULL);
		expect_no_report();
		assert_int_equal(gen_pool_alloc_owner(p, 20 * G, NULL), (unsigned long)mem + G);
		assert_int_equal(gen_pool_free(p, (unsigned long)mem + G, 20 * G), 0);
	}
	/* no data at all */
	warm_cache(p);
	gen_pool_set_algo(p, algo, NULL);
	expect_named(EINVAL, "gen_pool_set_algo");
	expect_all_refused(p);
	gen_pool_set_algo(p, NULL, NULL);
	assert_int_equal(gen_pool_free(p, held, G), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
	expect_no_report();
}

/* Valid data spoiled after set_algo: refused from the next allocation on. */
static void data_read_at_allocation(void **state)
{
	const struct param *pm = *state;
	struct genpool_data_align align = {.align = 4 * G};
	unsigned long held;
	struct gen_pool *p;

	setup(NULL);
	p = make_pool(pm->flags, &held);
	warm_cache(p);
	gen_pool_set_algo(p, gen_pool_first_fit_align, &align);
	expect_no_report();
	expect_all_placed(p);
	warm_cache(p); /* through the aligned default: uncached, but parks on free */
	align.align = 3;
	expect_all_refused(p);
	align.align = 4 * G;
	expect_all_placed(p);
	gen_pool_set_algo(p, NULL, NULL);
	assert_int_equal(gen_pool_free(p, held, G), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
	expect_no_report();
}

/* ------------------------------------------------------------------------ */
/* 2. has_addr of an empty range                                            */

static void has_addr_empty_range(void **state)
{
	struct gen_pool *p = gen_pool_create(ORDER, -1);
	unsigned long a_end = BASE_A + 32 * G - 1, c_end = BASE_C + 8 * G - 1;

	(void)state;
	assert_non_null(p);
	assert_int_equal(gen_pool_add(p, BASE_A, 32 * G + G / 2, -1), 0); /* half-granule tail */
	assert_int_equal(gen_pool_add(p, BASE_B, 16 * G, -1), 0);
	assert_int_equal(gen_pool_add(p, BASE_C, 8 * G, -1), 0); /* adjacent to B */
	/* inside a chunk, as the kernel: end = start - 1 is not past the chunk end */
	assert_true(gen_pool_has_addr(p, BASE_A, 0));
	assert_true(gen_pool_has_addr(p, BASE_A + 5 * G + 3, 0));
	assert_true(gen_pool_has_addr(p, a_end, 0));
	assert_true(gen_pool_has_addr(p, BASE_B + 16 * G - 1, 0));
	assert_true(gen_pool_has_addr(p, BASE_C, 0));
	assert_true(gen_pool_has_addr(p, c_end, 0));
	/* outside every chunk: before, in the tail past the last whole granule, after */
	assert_false(gen_pool_has_addr(p, BASE_A - 1, 0));
	assert_false(gen_pool_has_addr(p, a_end + 1, 0));
	assert_false(gen_pool_has_addr(p, c_end + 1, 0));
	assert_false(gen_pool_has_addr(p, 0, 0));
	assert_false(gen_pool_has_addr(p, ULONG_MAX, 0));
	/* wrapping ranges stay false, even where the kernel's end lands in the chunk */
	assert_false(gen_pool_has_addr(p, BASE_A + G, ULONG_MAX));
	assert_false(gen_pool_has_addr(p, BASE_A + G, (size_t)0 - G));
	assert_false(gen_pool_has_addr(p, BASE_A, (size_t)0 - BASE_A + 1));
	assert_false(gen_pool_has_addr(p, 0, 1));
	assert_false(gen_pool_has_addr(p, 0, BASE_A + 1));
	expect_no_report();
	/* a NULL pool is refused whatever the size */
	assert_false(gen_pool_has_addr(NULL, BASE_A, 0));
	expect_named(EINVAL, "gen_pool_has_addr");
	assert_int_equal(gen_pool_destroy(p), 0);
}

/* ------------------------------------------------------------------------ */
/* 3. Refusals name the call the user made                                  */

static struct gen_pool *np; /* a plain pool with chunk A and granule 0 of it allocated */
static struct gen_pool_owner *nowner;

/* One refused call each, returning the errno it must report. */
static int r_create(void)
{
	return gen_pool_create(-1, -1) ? 0 : EINVAL;
}
static int r_create_flags(void)
{
	return gen_pool_create_flags(ORDER, -1, 1u << 30) ? 0 : EINVAL;
}
static int r_create_managed(void)
{
	return gen_pool_create_managed(nowner, 99, -1, "x") ? 0 : EINVAL;
}
static int r_destroy(void)
{
	return -gen_pool_destroy(np);
}
static int r_add(void)
{
	return -gen_pool_add(np, BASE_A + G, G, -1);
}
static int r_add_zero(void)
{
	return -gen_pool_add(np, BASE_B, 0, -1);
}
static int r_add_virt(void)
{
	return -gen_pool_add_virt(np, BASE_A, PHYS, G, -1);
}
static int r_add_owner(void)
{
	return -gen_pool_add_owner(np, 0, PHYS, G, -1, NULL);
}
static int r_alloc(void)
{
	return gen_pool_alloc(np, 0) ? 0 : errno;
}
static int r_alloc_null(void)
{
	return gen_pool_alloc(NULL, G) ? 0 : errno;
}
static int r_alloc_owner(void)
{
	void *o;

	return gen_pool_alloc_owner(np, 0, &o) ? 0 : errno;
}
static int r_alloc_algo(void)
{
	return gen_pool_alloc_algo(np, G, gen_pool_first_fit_align, NULL) ? 0 : errno;
}
static int r_alloc_algo_owner(void)
{
	void *o;

	return gen_pool_alloc_algo_owner(np, 0, NULL, NULL, &o) ? 0 : errno;
}
static int r_dma_alloc(void)
{
	return gen_pool_dma_alloc(np, 0, NULL) ? 0 : errno;
}
static int r_dma_alloc_algo(void)
{
	struct genpool_data_fixed f = {.offset = 1};

	return gen_pool_dma_alloc_algo(np, G, NULL, gen_pool_fixed_alloc, &f) ? 0 : errno;
}
static int r_dma_alloc_align(void)
{
	return gen_pool_dma_alloc_align(np, G, NULL, 3) ? 0 : errno;
}
static int r_dma_zalloc(void)
{
	return gen_pool_dma_zalloc(np, 0, NULL) ? 0 : errno;
}
static int r_dma_zalloc_algo(void)
{
	return gen_pool_dma_zalloc_algo(np, 0, NULL, NULL, NULL) ? 0 : errno;
}
static int r_dma_zalloc_align(void)
{
	return gen_pool_dma_zalloc_align(np, G, NULL, 0) ? 0 : errno;
}
static int r_free(void)
{
	return -gen_pool_free(np, BASE_A + G, G);
}
static int r_free_null(void)
{
	return -gen_pool_free(NULL, BASE_A, G);
}
static int r_free_owner(void)
{
	void *o;

	return -gen_pool_free_owner(np, BASE_A + 1, G, &o);
}
static int r_set_algo(void)
{
	static struct genpool_data_align zero;

	gen_pool_set_algo(np, gen_pool_first_fit_align, &zero);
	return EINVAL;
}
static int r_for_each_chunk(void)
{
	gen_pool_for_each_chunk(np, NULL, NULL);
	return EINVAL;
}
static int r_has_addr(void)
{
	return gen_pool_has_addr(NULL, BASE_A, G) ? 0 : EINVAL;
}
static int r_virt_to_phys(void)
{
	return gen_pool_virt_to_phys(NULL, BASE_A) + 1 ? 0 : EINVAL;
}
static int r_avail(void)
{
	return gen_pool_avail(NULL) ? 0 : EINVAL;
}
static int r_size(void)
{
	return gen_pool_size(NULL) ? 0 : EINVAL;
}
static int r_cache_configure(void)
{
	return -gen_pool_cache_configure(np, 4, 4);
}
static int r_cache_flush(void)
{
	gen_pool_cache_flush(NULL);
	return EINVAL;
}
static int r_owner_create(void)
{
	return gen_pool_owner_create("a/b") ? 0 : errno;
}
static int r_get_path(void)
{
	return gen_pool_get_path("/") ? 0 : errno;
}

static const struct {
	const char *call;
	int (*fn)(void);
} refusals[] = {
    {"gen_pool_create", r_create},
    {"gen_pool_create_flags", r_create_flags},
    {"gen_pool_create_managed", r_create_managed},
    {"gen_pool_destroy", r_destroy},
    {"gen_pool_add", r_add},
    {"gen_pool_add", r_add_zero},
    {"gen_pool_add_virt", r_add_virt},
    {"gen_pool_add_owner", r_add_owner},
    {"gen_pool_alloc", r_alloc},
    {"gen_pool_alloc", r_alloc_null},
    {"gen_pool_alloc_owner", r_alloc_owner},
    {"gen_pool_alloc_algo", r_alloc_algo},
    {"gen_pool_alloc_algo_owner", r_alloc_algo_owner},
    {"gen_pool_dma_alloc", r_dma_alloc},
    {"gen_pool_dma_alloc_algo", r_dma_alloc_algo},
    {"gen_pool_dma_alloc_align", r_dma_alloc_align},
    {"gen_pool_dma_zalloc", r_dma_zalloc},
    {"gen_pool_dma_zalloc_algo", r_dma_zalloc_algo},
    {"gen_pool_dma_zalloc_align", r_dma_zalloc_align},
    {"gen_pool_free", r_free},
    {"gen_pool_free", r_free_null},
    {"gen_pool_free_owner", r_free_owner},
    {"gen_pool_set_algo", r_set_algo},
    {"gen_pool_for_each_chunk", r_for_each_chunk},
    {"gen_pool_has_addr", r_has_addr},
    {"gen_pool_virt_to_phys", r_virt_to_phys},
    {"gen_pool_avail", r_avail},
    {"gen_pool_size", r_size},
    {"gen_pool_cache_configure", r_cache_configure},
    {"gen_pool_cache_flush", r_cache_flush},
    {"gen_pool_owner_create", r_owner_create},
    {"gen_pool_get_path", r_get_path},
};

static void refusals_name_the_call(void **state)
{
	(void)state;
	np = gen_pool_create(ORDER, -1);
	assert_non_null(np);
	assert_int_equal(gen_pool_add(np, BASE_A, 32 * G, -1), 0);
	assert_int_equal(gen_pool_alloc(np, G), BASE_A);
	nowner = gen_pool_owner_create("conform");
	assert_non_null(nowner);
	expect_no_report();
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		int err;

		report_reset();
		errno = 0;
		err = refusals[i].fn();
		if (!err)
			fail_msg("%s (case %zu) was not refused", refusals[i].call, i);
		expect_named(err, refusals[i].call);
	}
	gen_pool_set_algo(np, NULL, NULL);
	assert_int_equal(gen_pool_free(np, BASE_A, G), 0);
	assert_int_equal(gen_pool_destroy(np), 0);
	assert_int_equal(gen_pool_owner_destroy(nowner), 0);
	expect_no_report();
}

/* ------------------------------------------------------------------------ */

/* Each kind of pool with each built-in algorithm that takes data. */
#define KIND_TESTS(fn, kind, flags)                                                          \
	{ #fn "/" kind "/first_fit_align", fn, NULL, NULL, &(struct param){ flags, false } }, \
	{                                                                                  \
		#fn "/" kind "/fixed_alloc", fn, NULL, NULL, &(struct param){ flags, true }  \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		KIND_TESTS(invalid_default_algo, "plain", 0),
		KIND_TESTS(invalid_default_algo, "strict", GEN_POOL_STRICT),
		KIND_TESTS(invalid_default_algo, "spinlock", GEN_POOL_SPINLOCK),
		KIND_TESTS(invalid_default_algo, "cache", GEN_POOL_THREAD_CACHE),
		{ "data_read_at_allocation/plain", data_read_at_allocation, NULL, NULL,
		  &(struct param){ 0, false } },
		{ "data_read_at_allocation/cache", data_read_at_allocation, NULL, NULL,
		  &(struct param){ GEN_POOL_THREAD_CACHE, false } },
		cmocka_unit_test_setup(has_addr_empty_range, setup),
		cmocka_unit_test_setup(refusals_name_the_call, setup),
	};

	unsetenv("GENPOOL_DEBUG");
	/* any failure exits 1: suite 'mutants' runs this against mutants (expect_caught.sh) */
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
