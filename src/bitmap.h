/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bitmap.h - granule bitmaps: search helpers and the lock-free claim/release
 * protocol. Knows nothing of pools or chunks.
 *
 * Bit i of a map is granule i; set means allocated. Every read of a shared
 * map word is a relaxed atomic load (searches work on a racy snapshot; the
 * claim re-checks each word in its CAS). Semantics of the search helpers are
 * those of the kernel's lib/find_bit.c and lib/bitmap.c.
 */
#ifndef GP_BITMAP_H
#define GP_BITMAP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define GP_BITS_PER_LONG (sizeof(unsigned long) * CHAR_BIT)
/* Words for @n bits; never wraps, even for n near ULONG_MAX (order-0 chunks). */
#define GP_BITS_TO_LONGS(n) ((n) / GP_BITS_PER_LONG + ((n) % GP_BITS_PER_LONG != 0))
#define GP_BIT_WORD(n) ((n) / GP_BITS_PER_LONG)
/* Bits of the first word of a run that starts at bit @start. */
#define GP_FIRST_WORD_MASK(start) (~0UL << ((start) % GP_BITS_PER_LONG))
/* Bits of the last word of a run that ends just before bit @end. */
#define GP_LAST_WORD_MASK(end) (~0UL >> (-(end) & (GP_BITS_PER_LONG - 1)))

/* First set (resp. clear) bit in [start, size), or size if none. */
unsigned long gp_bitmap_find_next_bit(const unsigned long *map, unsigned long size,
				      unsigned long start);
unsigned long gp_bitmap_find_next_zero_bit(const unsigned long *map, unsigned long size,
					   unsigned long start);
/*
 * Kernel bitmap_find_next_zero_area_off(): first run of @nr clear bits at or
 * after @start whose index + @align_offset is a multiple of @align_mask + 1.
 * Returns a value > @size - @nr when there is none.
 */
unsigned long gp_bitmap_find_zero_area(const unsigned long *map, unsigned long size,
				       unsigned long start, unsigned long nr,
				       unsigned long align_mask, unsigned long align_offset);

/* True when every bit of [start, start + nr) is set. Relaxed reads. */
bool gp_bitmap_range_set(const unsigned long *map, unsigned long start, unsigned long nr);
/* Number of set bits in [0, size). */
unsigned long gp_bitmap_weight(const unsigned long *map, unsigned long size);
/* Number of maximal runs of set bits in [0, size), and the bits in them. */
unsigned long gp_bitmap_count_runs(const unsigned long *map, unsigned long size,
				   unsigned long *bits_set);

/*
 * Lock-free claim of [start, start + nr): each word is set with one CAS
 * (acquire: pairs with the release in gp_bitmap_release_ll of the range's
 * previous owner), words in ascending order. Returns 0, or -EBUSY when a bit
 * was already set; then exactly the bits this call set are cleared again
 * before it returns, so a failed claim changes nothing.
 */
int gp_bitmap_claim_ll(unsigned long *map, unsigned long start, unsigned long nr);
/*
 * Lock-free release of [start, start + nr), the inverse. -EBUSY when a bit
 * is already clear (double free); see bitmap.c for the rollback argument.
 */
int gp_bitmap_release_ll(unsigned long *map, unsigned long start, unsigned long nr);

/* The same for callers holding the pool lock: plain loads and stores. */
int gp_bitmap_claim_locked(unsigned long *map, unsigned long start, unsigned long nr);
int gp_bitmap_release_locked(unsigned long *map, unsigned long start, unsigned long nr);

/*
 * The same over a bitmap with summary levels (summary.h), kept in line with
 * every change of a word's fullness; @locked picks the plain-store variant.
 */
struct gp_summary;
int gp_sum_claim(struct gp_summary *sum, unsigned long start, unsigned long nr, bool locked);
int gp_sum_release(struct gp_summary *sum, unsigned long start, unsigned long nr, bool locked);
/*
 * gp_bitmap_find_zero_area() searching through @sum (NULL: a plain scan).
 * Through the free-run levels a failed search returns @size.
 */
unsigned long gp_sum_find_zero_area(const struct gp_summary *sum, const unsigned long *map,
				    unsigned long size, unsigned long start, unsigned long nr,
				    unsigned long align_mask, unsigned long align_offset);

/* gp_bitmap_find_next_bit() through @sum's free-run levels (NULL: a plain scan). */
unsigned long gp_sum_find_next_bit(const struct gp_summary *sum, const unsigned long *map,
				   unsigned long size, unsigned long start);

/* Single-bit test-and-set / test-and-clear (strict boundary maps). */
bool gp_bitmap_test_and_set_bit(unsigned long *map, unsigned long bit);
bool gp_bitmap_test_and_clear_bit(unsigned long *map, unsigned long bit);
bool gp_bitmap_test_bit(const unsigned long *map, unsigned long bit);

#endif /* GP_BITMAP_H */
