// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_bitmap.c - unit tests of src/bitmap.c: the search helpers against a
 * naive bit-by-bit model, and the claim/release protocol's all-or-nothing
 * behaviour (a refused claim or release leaves every word as it was).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "bitmap.h"

#define NBITS 300
#define NWORDS GP_BITS_TO_LONGS(NBITS)

static bool naive_test(const unsigned long *map, unsigned long bit)
{
	return (map[bit / GP_BITS_PER_LONG] >> (bit % GP_BITS_PER_LONG)) & 1;
}

static void naive_set(unsigned long *map, unsigned long start, unsigned long nr)
{
	for (unsigned long i = start; i < start + nr; i++)
		map[i / GP_BITS_PER_LONG] |= 1UL << (i % GP_BITS_PER_LONG);
}

static unsigned long naive_next(const unsigned long *map, unsigned long size,
				unsigned long start, bool want)
{
	for (unsigned long i = start; i < size; i++)
		if (naive_test(map, i) == want)
			return i;
	return size;
}

/* A deterministic pseudo-random map with runs of every length. */
static void fill_random(unsigned long *map, unsigned int seed)
{
	memset(map, 0, NWORDS * sizeof(*map));
	for (unsigned long i = 0; i < NBITS;) {
		unsigned long len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % 70 + 1;
		if ((seed >> 8) & 1)
			naive_set(map, i, len < NBITS - i ? len : NBITS - i);
		i += len;
	}
}

static void find_next_matches_model(void **state)
{
	unsigned long map[NWORDS];

	(void)state;
	for (unsigned int seed = 1; seed < 50; seed++) {
		fill_random(map, seed);
		for (unsigned long s = 0; s <= NBITS; s++) {
			assert_int_equal(gp_bitmap_find_next_bit(map, NBITS, s),
					 naive_next(map, NBITS, s, true));
			assert_int_equal(gp_bitmap_find_next_zero_bit(map, NBITS, s),
					 naive_next(map, NBITS, s, false));
		}
	}
}

static void find_next_ignores_bits_past_size(void **state)
{
	unsigned long map[2] = { ~0UL, ~0UL };

	(void)state;
	/* every bit set: no zero inside a 70-bit map even though bits past
	 * 70 are "there" in the word */
	assert_int_equal(gp_bitmap_find_next_zero_bit(map, 70, 0), 70);
	map[1] = 0;
	assert_int_equal(gp_bitmap_find_next_bit(map, 70, 64), 70);
}

static void zero_area_finds_aligned_runs(void **state)
{
	unsigned long map[NWORDS] = { 0 };

	(void)state;
	naive_set(map, 0, 5);
	assert_int_equal(gp_bitmap_find_zero_area(map, NBITS, 0, 3, 0, 0), 5);
	assert_int_equal(gp_bitmap_find_zero_area(map, NBITS, 0, 3, 7, 0), 8);
	/* offset 2: index + 2 must be a multiple of 8 -> 6 */
	assert_int_equal(gp_bitmap_find_zero_area(map, NBITS, 0, 3, 7, 2), 6);
	/* no fit returns a value > size - nr */
	assert_true(gp_bitmap_find_zero_area(map, NBITS, 0, NBITS, 0, 0) > 0);
}

static void claim_sets_exactly_the_range(void **state)
{
	static const unsigned long lens[] = { 1, 63, 64, 65, 127, 129, 200 };
	unsigned long map[NWORDS], want[NWORDS];

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (unsigned long start = 0; start + lens[i] <= NBITS; start += 37) {
			memset(map, 0, sizeof(map));
			memset(want, 0, sizeof(want));
			naive_set(want, start, lens[i]);
			assert_int_equal(gp_bitmap_claim_ll(map, start, lens[i]), 0);
			assert_memory_equal(map, want, sizeof(map));
			assert_true(gp_bitmap_range_set(map, start, lens[i]));
			assert_int_equal(gp_bitmap_release_ll(map, start, lens[i]), 0);
			assert_int_equal(gp_bitmap_find_next_bit(map, NBITS, 0), NBITS);
		}
	}
}

/* A claim that meets a set bit in a later word rolls back the earlier ones. */
static void claim_conflict_rolls_back(void **state)
{
	unsigned long map[NWORDS] = { 0 }, before[NWORDS];

	(void)state;
	naive_set(map, 200, 1);
	naive_set(map, 10, 2); /* unrelated bits that must survive */
	memcpy(before, map, sizeof(map));
	assert_int_equal(gp_bitmap_claim_ll(map, 20, 190), -EBUSY);
	assert_memory_equal(map, before, sizeof(map));
	assert_int_equal(gp_bitmap_claim_locked(map, 20, 190), -EBUSY);
	assert_memory_equal(map, before, sizeof(map));
}

/* A release over a partly free range (double free) changes nothing. */
static void release_of_free_bit_changes_nothing(void **state)
{
	unsigned long map[NWORDS] = { 0 }, before[NWORDS];

	(void)state;
	naive_set(map, 5, 150);
	map[2] &= ~(1UL << 3); /* bit 131 free in the middle */
	memcpy(before, map, sizeof(map));
	assert_int_equal(gp_bitmap_release_ll(map, 5, 150), -EBUSY);
	assert_memory_equal(map, before, sizeof(map));
	assert_int_equal(gp_bitmap_release_locked(map, 5, 150), -EBUSY);
	assert_memory_equal(map, before, sizeof(map));
}

static void count_runs_counts_maximal_runs(void **state)
{
	unsigned long map[NWORDS] = { 0 }, set = 0;

	(void)state;
	assert_int_equal(gp_bitmap_count_runs(map, NBITS, &set), 0);
	naive_set(map, 0, 1);
	naive_set(map, 60, 10);
	naive_set(map, 299, 1);
	assert_int_equal(gp_bitmap_count_runs(map, NBITS, &set), 3);
	assert_int_equal(set, 12);
}

static void weight_counts_set_bits(void **state)
{
	unsigned long map[NWORDS] = { 0 };

	(void)state;
	assert_int_equal(gp_bitmap_weight(map, NBITS), 0);
	naive_set(map, 3, 130);
	naive_set(map, 299, 1);
	assert_int_equal(gp_bitmap_weight(map, NBITS), 131);
	/* bits past size are not counted */
	assert_int_equal(gp_bitmap_weight(map, 100), 97);
}

static void single_bit_ops(void **state)
{
	unsigned long map[NWORDS] = { 0 };

	(void)state;
	assert_false(gp_bitmap_test_and_set_bit(map, 130));
	assert_true(gp_bitmap_test_bit(map, 130));
	assert_true(gp_bitmap_test_and_set_bit(map, 130));
	assert_true(gp_bitmap_test_and_clear_bit(map, 130));
	assert_false(gp_bitmap_test_and_clear_bit(map, 130));
	assert_false(gp_bitmap_test_bit(map, 130));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_next_matches_model),
		cmocka_unit_test(find_next_ignores_bits_past_size),
		cmocka_unit_test(zero_area_finds_aligned_runs),
		cmocka_unit_test(claim_sets_exactly_the_range),
		cmocka_unit_test(claim_conflict_rolls_back),
		cmocka_unit_test(release_of_free_bit_changes_nothing),
		cmocka_unit_test(count_runs_counts_maximal_runs),
		cmocka_unit_test(weight_counts_set_bits),
		cmocka_unit_test(single_bit_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
