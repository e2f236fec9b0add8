/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_algo.c - the five built-in allocation algorithms called directly, as
 * pure functions over hand-made bitmaps: gen_pool_first_fit,
 * gen_pool_first_fit_order_align, gen_pool_first_fit_align,
 * gen_pool_fixed_alloc and gen_pool_best_fit.
 *
 * Every expected start bit is the value the kernel's lib/genalloc.c computes
 * (bitmap_find_next_zero_area_off and friends), worked out by hand in the
 * comments. "No fit" is any value >= size (the genpool_algo_t contract).
 * Maps are described in bits, so the expected values do not depend on the
 * width of unsigned long; the sizes 1, 63, 64, 65, 127 and 129 put runs
 * across 64-bit word boundaries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "genpool.h"

#define BPL (sizeof(unsigned long) * CHAR_BIT)
#define MAP_BITS 320UL
#define MAP_WORDS ((MAP_BITS + BPL - 1) / BPL)

/* Order used for the algorithms that read the pool: granule 16 bytes. */
#define ORDER 4
#define G (1UL << ORDER)

struct map {
	unsigned long w[MAP_WORDS];
};

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static void set_bits(struct map *m, unsigned long start, unsigned long nr)
{
	for (unsigned long i = start; i < start + nr; i++)
		m->w[i / BPL] |= 1UL << (i % BPL);
}

static void clear_bits(struct map *m, unsigned long start, unsigned long nr)
{
	for (unsigned long i = start; i < start + nr; i++)
		m->w[i / BPL] &= ~(1UL << (i % BPL));
}

static void map_empty(struct map *m)
{
	memset(m, 0, sizeof(*m));
}

static void map_full(struct map *m)
{
	memset(m, 0xff, sizeof(*m));
}

/* The algorithms must never write the map: check it is unchanged. */
static void expect_map_unchanged(const struct map *before, const struct map *after)
{
	assert_memory_equal(before, after, sizeof(*before));
}

typedef unsigned long (*algo_fn)(unsigned long *, unsigned long, unsigned long,
				 unsigned int, void *, struct gen_pool *, unsigned long);

static unsigned long run(algo_fn algo, struct map *m, unsigned long size, unsigned long start,
			 unsigned int nr, void *data, struct gen_pool *pool,
			 unsigned long start_addr)
{
	struct map copy = *m;
	unsigned long ret = algo(m->w, size, start, nr, data, pool, start_addr);

	expect_map_unchanged(&copy, m);
	return ret;
}

static unsigned long ff(struct map *m, unsigned long size, unsigned long start, unsigned int nr)
{
	return run(gen_pool_first_fit, m, size, start, nr, NULL, NULL, 0);
}

static unsigned long order_align(struct map *m, unsigned long size, unsigned long start,
				 unsigned int nr)
{
	return run(gen_pool_first_fit_order_align, m, size, start, nr, NULL, NULL, 0);
}

static unsigned long best(struct map *m, unsigned long size, unsigned long start, unsigned int nr)
{
	return run(gen_pool_best_fit, m, size, start, nr, NULL, NULL, 0);
}

static struct gen_pool *new_pool(void)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);

	assert_non_null(pool);
	return pool;
}

static unsigned long align_fit(struct map *m, unsigned long size, unsigned long start,
			       unsigned int nr, int align, unsigned long start_addr)
{
	struct gen_pool *pool = new_pool();
	struct genpool_data_align data = { .align = align };
	unsigned long ret = run(gen_pool_first_fit_align, m, size, start, nr, &data, pool,
				start_addr);

	assert_int_equal(gen_pool_destroy(pool), 0);
	return ret;
}

static unsigned long fixed_fit(struct map *m, unsigned long size, unsigned long start,
			       unsigned int nr, unsigned long offset)
{
	struct gen_pool *pool = new_pool();
	struct genpool_data_fixed data = { .offset = offset };
	unsigned long ret = run(gen_pool_fixed_alloc, m, size, start, nr, &data, pool, 0x10000);

	assert_int_equal(gen_pool_destroy(pool), 0);
	return ret;
}

#define assert_no_fit(ret, size) assert_true((ret) >= (size))

/* ------------------------------------------------------------------------ */
/* gen_pool_first_fit                                                       */

static void first_fit_empty_map_returns_start(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	assert_int_equal(ff(&m, 1, 0, 1), 0);
	assert_int_equal(ff(&m, 63, 0, 63), 0);
	assert_int_equal(ff(&m, 64, 0, 64), 0);
	assert_int_equal(ff(&m, 65, 0, 65), 0);
	assert_int_equal(ff(&m, 129, 0, 129), 0);
	assert_int_equal(ff(&m, 129, 0, 1), 0);
}

static void first_fit_request_larger_than_map_has_no_fit(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	assert_no_fit(ff(&m, 1, 0, 2), 1);
	assert_no_fit(ff(&m, 63, 0, 64), 63);
	assert_no_fit(ff(&m, 64, 0, 65), 64);
	assert_no_fit(ff(&m, 129, 0, 130), 129);
}

static void first_fit_full_map_has_no_fit(void **state)
{
	struct map m;

	(void)state;
	map_full(&m);
	assert_no_fit(ff(&m, 1, 0, 1), 1);
	assert_no_fit(ff(&m, 64, 0, 1), 64);
	assert_no_fit(ff(&m, 65, 0, 1), 65);
	assert_no_fit(ff(&m, 129, 0, 1), 129);
}

static void first_fit_finds_last_free_bit_of_each_size(void **state)
{
	static const unsigned long sizes[] = { 1, 63, 64, 65, 127, 129 };
	struct map m;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		map_full(&m);
		clear_bits(&m, sizes[i] - 1, 1);
		assert_int_equal(ff(&m, sizes[i], 0, 1), sizes[i] - 1);
		assert_no_fit(ff(&m, sizes[i], 0, 2), sizes[i]);
	}
}

static void first_fit_run_crosses_word_boundary(void **state)
{
	struct map m;

	(void)state;
	/* [0,60) busy: a run of 10 starts at 60 and crosses bit 64 */
	map_empty(&m);
	set_bits(&m, 0, 60);
	assert_int_equal(ff(&m, 129, 0, 10), 60);
	/* bit 66 busy too: 60..65 is too short, next run starts at 67 */
	set_bits(&m, 66, 1);
	assert_int_equal(ff(&m, 129, 0, 10), 67);
	/* a run from 120 crossing bit 128 to the end of a 129-bit map */
	set_bits(&m, 0, 120);
	assert_int_equal(ff(&m, 129, 0, 9), 120);
	assert_no_fit(ff(&m, 129, 0, 10), 129);
}

static void first_fit_skips_holes_too_small(void **state)
{
	struct map m;

	(void)state;
	/* holes: [3,5) len 2, [10,13) len 3, [40,100) len 60 */
	map_full(&m);
	clear_bits(&m, 3, 2);
	clear_bits(&m, 10, 3);
	clear_bits(&m, 40, 60);
	assert_int_equal(ff(&m, 127, 0, 1), 3);
	assert_int_equal(ff(&m, 127, 0, 2), 3);
	assert_int_equal(ff(&m, 127, 0, 3), 10);
	assert_int_equal(ff(&m, 127, 0, 4), 40);
	assert_int_equal(ff(&m, 127, 0, 60), 40);
	assert_no_fit(ff(&m, 127, 0, 61), 127);
}

static void first_fit_honours_start(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	assert_int_equal(ff(&m, 129, 70, 5), 70);
	set_bits(&m, 72, 1);
	assert_int_equal(ff(&m, 129, 70, 5), 73);
	/* a busy start bit is skipped */
	assert_int_equal(ff(&m, 129, 72, 1), 73);
	/* free space before start is not considered */
	assert_no_fit(ff(&m, 129, 125, 5), 129);
	assert_int_equal(ff(&m, 129, 124, 5), 124);
}

static void first_fit_ignores_bits_past_size(void **state)
{
	struct map m;

	(void)state;
	/* size 100, not a multiple of 64: bits 100.. are set but outside */
	map_empty(&m);
	set_bits(&m, 100, MAP_BITS - 100);
	set_bits(&m, 0, 90);
	assert_int_equal(ff(&m, 100, 0, 10), 90);
	assert_no_fit(ff(&m, 100, 0, 11), 100);
	/* and clear bits past size are not used either */
	map_full(&m);
	clear_bits(&m, 95, 20);
	assert_int_equal(ff(&m, 100, 0, 5), 95);
	assert_no_fit(ff(&m, 100, 0, 6), 100);
}

/* ------------------------------------------------------------------------ */
/* gen_pool_first_fit_order_align                                           */

static void order_align_nr3_aligns_to_4(void **state)
{
	struct map m;

	(void)state;
	/* nr 3 -> mask 3 */
	map_empty(&m);
	assert_int_equal(order_align(&m, 64, 0, 3), 0);
	set_bits(&m, 0, 1);
	/* zero at 1 -> rounded to 4 */
	assert_int_equal(order_align(&m, 64, 0, 3), 4);
	set_bits(&m, 0, 5);
	/* zero at 5 -> 8 */
	assert_int_equal(order_align(&m, 64, 0, 3), 8);
	/* [0,3) free but bit 1 busy: 0 fails, retry from 2 -> 4 */
	map_empty(&m);
	set_bits(&m, 1, 1);
	assert_int_equal(order_align(&m, 64, 0, 3), 4);
	/* 7 bits: 4 + 3 = 7 fits, a 6-bit map does not */
	assert_int_equal(order_align(&m, 7, 0, 3), 4);
	assert_no_fit(order_align(&m, 6, 0, 3), 6);
}

static void order_align_nr1_is_first_fit(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	set_bits(&m, 0, 63);
	assert_int_equal(order_align(&m, 65, 0, 1), 63);
	set_bits(&m, 63, 1);
	assert_int_equal(order_align(&m, 65, 0, 1), 64);
}

static void order_align_across_word_boundary(void **state)
{
	struct map m;

	(void)state;
	/* nr 4 (mask 3): zero at 62 rounds to 64 */
	map_empty(&m);
	set_bits(&m, 0, 62);
	assert_int_equal(order_align(&m, 129, 0, 4), 64);
	/* nr 5 (mask 7): 62 -> 64 */
	assert_int_equal(order_align(&m, 129, 0, 5), 64);
	/* nr 64 (mask 63): bit 0 busy -> 64; needs 128 bits */
	map_empty(&m);
	set_bits(&m, 0, 1);
	assert_int_equal(order_align(&m, 129, 0, 64), 64);
	assert_int_equal(order_align(&m, 128, 0, 64), 64);
	assert_no_fit(order_align(&m, 127, 0, 64), 127);
	/* nr 65 (mask 127): 128 + 65 > 129 */
	assert_no_fit(order_align(&m, 129, 0, 65), 129);
}

static void order_align_honours_start(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	/* nr 2 (mask 1): start 5 -> 6 */
	assert_int_equal(order_align(&m, 64, 5, 2), 6);
	/* nr 3 (mask 3): start 5 -> 8 */
	assert_int_equal(order_align(&m, 64, 5, 3), 8);
	/* alignment is to the bit index, not to start */
	assert_int_equal(order_align(&m, 64, 4, 3), 4);
}

static void order_align_full_map_has_no_fit(void **state)
{
	struct map m;

	(void)state;
	map_full(&m);
	assert_no_fit(order_align(&m, 129, 0, 1), 129);
	assert_no_fit(order_align(&m, 129, 0, 3), 129);
}

/* ------------------------------------------------------------------------ */
/* gen_pool_first_fit_align (order 4: granule 16 bytes)                     */

static void align_aligned_chunk(void **state)
{
	struct map m;

	(void)state;
	/* align 64 -> mask ((64 + 15) >> 4) - 1 = 3, offset 0 */
	map_empty(&m);
	assert_int_equal(align_fit(&m, 64, 0, 1, 64, 0x10000), 0);
	set_bits(&m, 0, 1);
	assert_int_equal(align_fit(&m, 64, 0, 1, 64, 0x10000), 4);
	assert_int_equal(align_fit(&m, 64, 0, 5, 64, 0x10000), 4);
	/* [4,9) needed for nr 5; bit 7 busy -> next multiple of 4 after 8 */
	set_bits(&m, 7, 1);
	assert_int_equal(align_fit(&m, 64, 0, 5, 64, 0x10000), 8);
}

static void align_misaligned_start_addr(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	/* align 64, start 0x10020: offset (0x20 & 63) >> 4 = 2;
	 * index 0 -> ((0 + 2 + 3) & ~3) - 2 = 2; address 0x10040 */
	assert_int_equal(align_fit(&m, 64, 0, 1, 64, 0x10020), 2);
	/* align 128, start 0x10030: mask 7, offset 3;
	 * index 0 -> ((0 + 3 + 7) & ~7) - 3 = 5; address 0x10080 */
	assert_int_equal(align_fit(&m, 64, 0, 1, 128, 0x10030), 5);
	set_bits(&m, 5, 1);
	assert_int_equal(align_fit(&m, 64, 0, 1, 128, 0x10030), 13);
	/* misalignment inside a granule is not corrected:
	 * start 0x10008: offset (8 & 63) >> 4 = 0 */
	map_empty(&m);
	assert_int_equal(align_fit(&m, 64, 0, 1, 64, 0x10008), 0);
}

static void align_across_word_boundary(void **state)
{
	struct map m;

	(void)state;
	/* align 64 (mask 3), [0,63) busy: zero at 63 */
	map_empty(&m);
	set_bits(&m, 0, 63);
	/* offset 0: 63 -> 64 */
	assert_int_equal(align_fit(&m, 129, 0, 2, 64, 0x10000), 64);
	/* offset 1 (start 0x10010): ((63 + 1 + 3) & ~3) - 1 = 63 */
	assert_int_equal(align_fit(&m, 129, 0, 2, 64, 0x10010), 63);
	/* offset 2 (start 0x10020): ((63 + 2 + 3) & ~3) - 2 = 66 */
	assert_int_equal(align_fit(&m, 129, 0, 2, 64, 0x10020), 66);
}

static void align_small_align_is_first_fit(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	set_bits(&m, 0, 3);
	/* align 4 and 16 (<= granule): mask 0, offset 0 */
	assert_int_equal(align_fit(&m, 64, 0, 1, 4, 0x10004), 3);
	assert_int_equal(align_fit(&m, 64, 0, 1, 16, 0x10010), 3);
	/* align 32: mask 1; start 0x10010 -> offset 1: ((3+1+1)&~1)-1 = 3 */
	assert_int_equal(align_fit(&m, 64, 0, 1, 32, 0x10010), 3);
	/* ... start 0x10000 -> offset 0: 3 -> 4 */
	assert_int_equal(align_fit(&m, 64, 0, 1, 32, 0x10000), 4);
}

static void align_honours_start_and_size(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	/* align 64 (mask 3): start 5 -> 8 */
	assert_int_equal(align_fit(&m, 64, 5, 1, 64, 0x10000), 8);
	/* size 7, nr 4, bit 0 busy: 1 -> 4, 4 + 4 > 7 */
	set_bits(&m, 0, 1);
	assert_no_fit(align_fit(&m, 7, 0, 4, 64, 0x10000), 7);
	assert_int_equal(align_fit(&m, 8, 0, 4, 64, 0x10000), 4);
	map_full(&m);
	assert_no_fit(align_fit(&m, 129, 0, 1, 64, 0x10000), 129);
}

/* ------------------------------------------------------------------------ */
/* gen_pool_fixed_alloc (order 4: offset in bytes, offset_bit = offset >> 4) */

static void fixed_free_offset_returns_offset_bit(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	assert_int_equal(fixed_fit(&m, 64, 0, 1, 0), 0);
	assert_int_equal(fixed_fit(&m, 64, 0, 2, 4 * G), 4);
	assert_int_equal(fixed_fit(&m, 64, 0, 1, 63 * G), 63);
	/* bits before the offset do not matter */
	set_bits(&m, 0, 4);
	assert_int_equal(fixed_fit(&m, 64, 0, 2, 4 * G), 4);
}

static void fixed_busy_granule_has_no_fit(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	set_bits(&m, 5, 1);
	/* [4,6) contains busy 5 */
	assert_no_fit(fixed_fit(&m, 64, 0, 2, 4 * G), 64);
	/* the offset itself busy */
	assert_no_fit(fixed_fit(&m, 64, 0, 1, 5 * G), 64);
	/* just after it is free */
	assert_int_equal(fixed_fit(&m, 64, 0, 3, 6 * G), 6);
}

static void fixed_across_word_boundary(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	assert_int_equal(fixed_fit(&m, 129, 0, 4, 62 * G), 62);
	set_bits(&m, 65, 1);
	assert_no_fit(fixed_fit(&m, 129, 0, 4, 62 * G), 129);
	assert_int_equal(fixed_fit(&m, 129, 0, 63, 66 * G), 66);
	assert_no_fit(fixed_fit(&m, 129, 0, 64, 66 * G), 129);
}

static void fixed_offset_past_end_has_no_fit(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	assert_no_fit(fixed_fit(&m, 64, 0, 1, 64 * G), 64);
	assert_no_fit(fixed_fit(&m, 64, 0, 2, 63 * G), 64);
	assert_no_fit(fixed_fit(&m, 64, 0, 1, 70 * G), 64);
}

static void fixed_start_is_added_to_offset(void **state)
{
	struct map m;

	(void)state;
	/* kernel: search from start + offset_bit, then compare to offset_bit:
	 * start 2, offset bit 4 -> found 6 != 4 -> no fit */
	map_empty(&m);
	assert_no_fit(fixed_fit(&m, 64, 2, 1, 4 * G), 64);
}

/* ------------------------------------------------------------------------ */
/* gen_pool_best_fit                                                        */

/* A 129-bit map busy except holes [0,10), [20,24), [60,66). */
static void three_holes(struct map *m)
{
	map_full(m);
	clear_bits(m, 0, 10);
	clear_bits(m, 20, 4);
	clear_bits(m, 60, 6);
}

static void best_fit_empty_map_returns_start(void **state)
{
	struct map m;

	(void)state;
	map_empty(&m);
	assert_int_equal(best(&m, 129, 0, 5), 0);
	assert_int_equal(best(&m, 1, 0, 1), 0);
	assert_int_equal(best(&m, 65, 0, 65), 0);
	assert_int_equal(best(&m, 129, 7, 5), 7);
}

static void best_fit_picks_smallest_hole(void **state)
{
	struct map m;

	(void)state;
	three_holes(&m);
	assert_int_equal(best(&m, 129, 0, 1), 20);
	assert_int_equal(best(&m, 129, 0, 4), 20);
	/* hole [60,66) crosses bit 64 */
	assert_int_equal(best(&m, 129, 0, 5), 60);
	assert_int_equal(best(&m, 129, 0, 6), 60);
	assert_int_equal(best(&m, 129, 0, 7), 0);
	assert_int_equal(best(&m, 129, 0, 10), 0);
	assert_no_fit(best(&m, 129, 0, 11), 129);
}

static void best_fit_ties_pick_lowest(void **state)
{
	struct map m;

	(void)state;
	/* holes [0,8) len 8, [10,16) len 6, [70,76) len 6 */
	map_full(&m);
	clear_bits(&m, 0, 8);
	clear_bits(&m, 10, 6);
	clear_bits(&m, 70, 6);
	assert_int_equal(best(&m, 129, 0, 5), 10);
	assert_int_equal(best(&m, 129, 0, 6), 10);
	assert_int_equal(best(&m, 129, 0, 7), 0);
	/* two equal holes only: the lower one */
	set_bits(&m, 0, 8);
	assert_int_equal(best(&m, 129, 0, 1), 10);
}

static void best_fit_exact_later_beats_larger_earlier(void **state)
{
	struct map m;

	(void)state;
	/* holes [0,8) len 8, [100,105) len 5 */
	map_full(&m);
	clear_bits(&m, 0, 8);
	clear_bits(&m, 100, 5);
	assert_int_equal(best(&m, 129, 0, 5), 100);
	assert_int_equal(best(&m, 129, 0, 4), 100);
	assert_int_equal(best(&m, 129, 0, 6), 0);
}

static void best_fit_hole_at_end_of_map(void **state)
{
	struct map m;

	(void)state;
	/* size 127: holes [10,18) len 8, [120,127) len 7 up to the end */
	map_full(&m);
	clear_bits(&m, 10, 8);
	clear_bits(&m, 120, 7);
	assert_int_equal(best(&m, 127, 0, 7), 120);
	assert_int_equal(best(&m, 127, 0, 8), 10);
	/* bits past size are clear but not part of the hole */
	clear_bits(&m, 127, MAP_BITS - 127);
	assert_int_equal(best(&m, 127, 0, 7), 120);
	assert_int_equal(best(&m, 127, 0, 6), 120);
}

static void best_fit_honours_start(void **state)
{
	struct map m;

	(void)state;
	/* holes [0,3) len 3, [40,45) len 5 */
	map_full(&m);
	clear_bits(&m, 0, 3);
	clear_bits(&m, 40, 5);
	assert_int_equal(best(&m, 129, 0, 3), 0);
	assert_int_equal(best(&m, 129, 1, 2), 1);
	assert_int_equal(best(&m, 129, 10, 3), 40);
	assert_int_equal(best(&m, 129, 42, 3), 42);
	assert_no_fit(best(&m, 129, 43, 3), 129);
}

static void best_fit_full_map_has_no_fit(void **state)
{
	struct map m;

	(void)state;
	map_full(&m);
	assert_no_fit(best(&m, 1, 0, 1), 1);
	assert_no_fit(best(&m, 64, 0, 1), 64);
	assert_no_fit(best(&m, 129, 0, 1), 129);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_fit_empty_map_returns_start),
		cmocka_unit_test(first_fit_request_larger_than_map_has_no_fit),
		cmocka_unit_test(first_fit_full_map_has_no_fit),
		cmocka_unit_test(first_fit_finds_last_free_bit_of_each_size),
		cmocka_unit_test(first_fit_run_crosses_word_boundary),
		cmocka_unit_test(first_fit_skips_holes_too_small),
		cmocka_unit_test(first_fit_honours_start),
		cmocka_unit_test(first_fit_ignores_bits_past_size),
		cmocka_unit_test(order_align_nr3_aligns_to_4),
		cmocka_unit_test(order_align_nr1_is_first_fit),
		cmocka_unit_test(order_align_across_word_boundary),
		cmocka_unit_test(order_align_honours_start),
		cmocka_unit_test(order_align_full_map_has_no_fit),
		cmocka_unit_test(align_aligned_chunk),
		cmocka_unit_test(align_misaligned_start_addr),
		cmocka_unit_test(align_across_word_boundary),
		cmocka_unit_test(align_small_align_is_first_fit),
		cmocka_unit_test(align_honours_start_and_size),
		cmocka_unit_test(fixed_free_offset_returns_offset_bit),
		cmocka_unit_test(fixed_busy_granule_has_no_fit),
		cmocka_unit_test(fixed_across_word_boundary),
		cmocka_unit_test(fixed_offset_past_end_has_no_fit),
		cmocka_unit_test(fixed_start_is_added_to_offset),
		cmocka_unit_test(best_fit_empty_map_returns_start),
		cmocka_unit_test(best_fit_picks_smallest_hole),
		cmocka_unit_test(best_fit_ties_pick_lowest),
		cmocka_unit_test(best_fit_exact_later_beats_larger_earlier),
		cmocka_unit_test(best_fit_hole_at_end_of_map),
		cmocka_unit_test(best_fit_honours_start),
		cmocka_unit_test(best_fit_full_map_has_no_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
