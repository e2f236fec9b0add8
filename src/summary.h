/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * summary.h - hierarchical "full" summaries above a granule bitmap, so that a
 * search for a free granule skips full regions in O(levels) instead of
 * scanning every word.
 *
 * Level 0 is the bitmap itself (bit set = granule allocated). Level k >= 1
 * has one bit per word of level k - 1: set = that word is full. Levels are
 * added until one fits in a single word, so a 64 GiB chunk of 4 KiB granules
 * (2^24 granules) has levels of 2^18, 2^12 and 2^6 bits: 1 + 1/64 + 1/4096 +
 * ... < 1.016 bits per granule in all. Bits of a level >= 1 past its end are
 * set (they stand for words that do not exist, which are "full"); bits of
 * level 0 past the chunk's end are clear, as before, and the fullness test
 * of its last word masks them.
 *
 * Invariant S (see summary.c for the argument): at quiescence - no claim,
 * release or sync in progress - every summary bit equals the fullness of the
 * word it stands for. While threads race a bit may be stale either way; a
 * stale "not full" costs one wasted word read, a stale "full" can hide a free
 * granule only until the modification that made it stale completes its sync,
 * which is the momentary ENOMEM api.md allows. Nothing is ever handed out on
 * the strength of a summary: the claim's CAS on the bitmap word decides.
 */
#ifndef GP_SUMMARY_H
#define GP_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>

#include "bitmap.h"
#include "runs.h"

/* 64^11 > 2^64: enough levels for any chunk, level 0 included. */
#define GP_SUM_MAX_LEVELS 12

struct gp_summary {
	unsigned int top;    /* index of the highest level; 0 = the bitmap alone */
	unsigned long nbits; /* granules (bits of level 0) */
	unsigned long words[GP_SUM_MAX_LEVELS];  /* words of each level */
	unsigned long *level[GP_SUM_MAX_LEVELS]; /* level[0] is the bitmap */
	struct gp_runs runs; /* free-run levels (runs.h); runs.top 0 = none */
};

/* Words needed by the levels >= 1 of a summary over @nbits bits. */
size_t gp_sum_extra_words(unsigned long nbits);
/*
 * Lay out @s over @bitmap (zeroed, GP_BITS_TO_LONGS(nbits) words) and @extra
 * (zeroed, gp_sum_extra_words(nbits) words), and set the padding bits. The
 * summary is then exact for the all-free bitmap.
 */
void gp_sum_init(struct gp_summary *s, unsigned long *bitmap, unsigned long *extra,
		 unsigned long nbits);

/*
 * Attach free-run levels (runs.h) over the same bitmap, in @extra
 * (gp_runs_extra_words(nbits) words). Chunks have them; a summary without
 * them (unit tests of the full bits) keeps the plain multi-granule search.
 */
void gp_sum_attach_runs(struct gp_summary *s, unsigned long *extra);

/*
 * Bitmap word @w may have changed fullness: bring the levels above it in
 * line (see summary.c). Called after every change of a word's fullness.
 */
void gp_sum_sync(struct gp_summary *s, unsigned long w);

/* Is word @w of the bitmap full, given its value @v? */
bool gp_sum_word_full(const struct gp_summary *s, unsigned long w, unsigned long v);

/* First clear bit of the bitmap at or after @start, or nbits if none. */
unsigned long gp_sum_find_zero(const struct gp_summary *s, unsigned long start);

/* True when the summary says every granule is allocated (a hint). */
bool gp_sum_full(const struct gp_summary *s);

/*
 * Quiescent check of invariant S: true, with the first (level, word) whose
 * summary bit one level up disagrees with the word's fullness, or false when
 * the summary is exact. Tests and the stress harness's checkpoints.
 */
bool gp_sum_find_stale(const struct gp_summary *s, unsigned int *level, unsigned long *word);

#endif /* GP_SUMMARY_H */
