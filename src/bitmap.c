// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bitmap.c - granule bitmap search and the lock-free claim/release protocol.
 *
 * Invariants of the _ll protocol (the bitmap is the truth):
 *  I1  A bit is set by exactly one successful CAS and cleared by exactly one
 *      successful CAS; a word CAS never changes bits outside its mask.
 *  I2  A claim sets its words in ascending order and, on finding a bit of
 *      its mask already set, clears exactly the bits it set before returning.
 *      Those bits were set by this call and nobody else can clear them (a
 *      release requires all its bits set, and no correct caller frees a
 *      range it was never given), so the rollback is exact.
 *  I3  Linearisation: a successful claim takes effect at the CAS of its last
 *      word; a failed one has no effect (its transient bits only make other
 *      searches skip a run, never hand it out twice). A release takes effect
 *      at the CAS of its first word.
 *  Progress: a CAS fails only when another thread changed the word, and a
 *  claim that meets a set bit gives up instead of waiting for it. Among
 *  claims that conflict, the one whose conflicting word is highest cannot be
 *  stopped by the others, so some thread always completes (lock-free).
 *
 * Sources followed: Linux lib/genalloc.c (bitmap_set_ll/clear_ll),
 * lib/find_bit.c and lib/bitmap.c (search semantics).
 */
#include "bitmap.h"

#include <errno.h>

#include "atomic.h"
#include "mutant.h"
#include "summary.h"
#include "testpoint.h"

/*
 * Step through the words of [*pos, end): yields the word index and the mask
 * of the run's bits in it, and advances *pos to the next word's first bit.
 */
static inline bool span_next(unsigned long *pos, unsigned long end, unsigned long *word,
			     unsigned long *mask)
{
	unsigned long next;

	if (*pos >= end)
		return false;
	*word = GP_BIT_WORD(*pos);
	*mask = GP_FIRST_WORD_MASK(*pos);
	next = (*word + 1) * GP_BITS_PER_LONG;
	if (next >= end) {
		*mask &= GP_LAST_WORD_MASK(end);
		next = end;
	}
	*pos = next;
	return true;
}

/* First bit in [start, size) whose value XOR @invert is 1. */
static unsigned long find_next(const unsigned long *map, unsigned long size, unsigned long start,
			       unsigned long invert)
{
	unsigned long i, w, bit;

	if (start >= size)
		return size;
	i = GP_BIT_WORD(start);
	w = (gp_atomic_load_relaxed(&map[i]) ^ invert) & GP_FIRST_WORD_MASK(start);
	while (!w) {
		if ((i + 1) * GP_BITS_PER_LONG >= size)
			return size;
		i++;
		w = gp_atomic_load_relaxed(&map[i]) ^ invert;
	}
	bit = i * GP_BITS_PER_LONG + (unsigned long)__builtin_ctzl(w);
	return bit < size ? bit : size;
}

unsigned long gp_bitmap_find_next_bit(const unsigned long *map, unsigned long size,
				      unsigned long start)
{
	return find_next(map, size, start, 0);
}

unsigned long gp_bitmap_find_next_zero_bit(const unsigned long *map, unsigned long size,
					   unsigned long start)
{
	return find_next(map, size, start, ~0UL);
}

/* First clear bit at or after @start: through the summary when there is one. */
static unsigned long next_zero(const struct gp_summary *sum, const unsigned long *map,
			       unsigned long size, unsigned long start)
{
	return sum ? gp_sum_find_zero(sum, start) : gp_bitmap_find_next_zero_bit(map, size, start);
}

/* Can @sum's free-run levels answer this request (runs.h)? */
static bool by_runs(const struct gp_summary *sum, unsigned long nr, unsigned long align_mask)
{
	/* one granule, unaligned: the "full" bits find it in fewer reads */
	return sum && sum->runs.top && nr && (nr > 1 || align_mask);
}

unsigned long gp_sum_find_zero_area(const struct gp_summary *sum, const unsigned long *map,
				    unsigned long size, unsigned long start, unsigned long nr,
				    unsigned long align_mask, unsigned long align_offset)
{
	unsigned long index, end, busy;

	if (by_runs(sum, nr, align_mask))
		return gp_runs_find(&sum->runs, start, nr, align_mask, align_offset);
	for (;;) {
		index = next_zero(sum, map, size, start);
		index = ((index + align_offset + align_mask) & ~align_mask) - align_offset;
		end = index + nr;
		if (end < index)
			return ~0UL; /* nr so large the run wraps: no fit */
		if (end > size)
			return end;
		busy = gp_bitmap_find_next_bit(map, end, index);
		if (busy >= end)
			return index;
		start = busy + 1;
	}
}

unsigned long gp_sum_find_next_bit(const struct gp_summary *sum, const unsigned long *map,
				   unsigned long size, unsigned long start)
{
	if (sum && sum->runs.top)
		return start < size ? gp_runs_busy_from(&sum->runs, start, size) : size;
	return gp_bitmap_find_next_bit(map, size, start);
}

unsigned long gp_bitmap_find_zero_area(const unsigned long *map, unsigned long size,
				       unsigned long start, unsigned long nr,
				       unsigned long align_mask, unsigned long align_offset)
{
	return gp_sum_find_zero_area(NULL, map, size, start, nr, align_mask, align_offset);
}

bool gp_bitmap_range_set(const unsigned long *map, unsigned long start, unsigned long nr)
{
	unsigned long pos = start, word, mask;

	while (span_next(&pos, start + nr, &word, &mask))
		if ((gp_atomic_load_relaxed(&map[word]) & mask) != mask)
			return false;
	return true;
}

unsigned long gp_bitmap_count_runs(const unsigned long *map, unsigned long size,
				   unsigned long *bits_set)
{
	unsigned long pos = 0, runs = 0, set = 0, s, e;

	while ((s = gp_bitmap_find_next_bit(map, size, pos)) < size) {
		e = gp_bitmap_find_next_zero_bit(map, size, s);
		runs++;
		set += e - s;
		pos = e;
	}
	if (bits_set)
		*bits_set = set;
	return runs;
}

unsigned long gp_bitmap_weight(const unsigned long *map, unsigned long size)
{
	unsigned long pos = 0, word, mask, n = 0;

	while (span_next(&pos, size, &word, &mask))
		n += (unsigned long)__builtin_popcountl(gp_atomic_load_relaxed(&map[word]) & mask);
	return n;
}

/*
 * Bitmap word @word of @sum went from @was to @now: sync the "full" bits if
 * its fullness changed. True when the free-run nodes above it may have to
 * change too (runs.c, U1; rule S, U3, says when they cannot), or when the
 * call was already @dirty: the caller syncs every node over its words once
 * its whole claim or release is done (note_runs), as one sync after the
 * last change covers every change before it, so a multi-word call that
 * must sync has nothing left to save by testing rule S on later words.
 */
static bool note_word(struct gp_summary *sum, unsigned long word, unsigned long was,
		      unsigned long now, bool dirty)
{
	if (!sum)
		return false;
	if (gp_sum_word_full(sum, word, now) != gp_sum_word_full(sum, word, was))
		gp_sum_sync(sum, word);
	return dirty || (sum->runs.top && !gp_runs_word_skips(&sum->runs, word, was, now));
}

/* Sync the free-run nodes over words [first, last] of @sum, if @dirty. */
static void note_runs(struct gp_summary *sum, unsigned long first, unsigned long last,
		      bool dirty)
{
	if (!dirty)
		return;
	for (unsigned long g = first / GP_RUN_L1_WORDS; g <= last / GP_RUN_L1_WORDS; g++)
		gp_runs_sync(&sum->runs, g * GP_RUN_L1_WORDS);
}

/* Set @mask in *w if none of it is set; *now = the new value. I1. */
static bool claim_word(unsigned long *w, unsigned long mask, unsigned long *now)
{
	unsigned long old = gp_atomic_load_relaxed(w);

	do {
		if (old & mask)
			return false;
		/* acquire (in seq_cst): pairs with the release in
		 * release_word() of the range's previous owner, so its accesses
		 * happen before ours; seq_cst for the free-run upkeep (runs.c, U1). */
	} while (!gp_atomic_cas_seq_cst(w, &old, old | mask) && !GP_MUTANT(GP_MUT_CAS_RESULT));
	*now = old | mask;
	return true;
}

/* Clear @mask in *w if all of it is set; *was = the old value. I1. */
static bool release_word(unsigned long *w, unsigned long mask, unsigned long *was)
{
	unsigned long old = gp_atomic_load_relaxed(w);

	do {
		if ((old & mask) != mask)
			return false;
		/* release (in seq_cst): pairs with the acquire in claim_word()
		 * of the next owner of these granules; seq_cst for runs.c, U1. */
#if GP_MUTANT(GP_MUT_RELAXED_RELEASE)
	} while (!gp_atomic_cas_relaxed(w, &old, old & ~mask));
#else
	} while (!gp_atomic_cas_seq_cst(w, &old, old & ~mask));
#endif
	*was = old;
	return true;
}

/* Undo the words of [start, upto) that a failed claim set (I2). */
static void undo_claim(unsigned long *map, struct gp_summary *sum, unsigned long start,
		       unsigned long upto)
{
	unsigned long pos = start, word, mask, old;

	bool dirty = false;

	while (span_next(&pos, upto, &word, &mask)) {
		/* these bits were ours alone and guarded no data: seq_cst
		 * only for the free-run upkeep (runs.c, U1) */
		old = gp_atomic_fetch_and_seq_cst(&map[word], ~mask);
		dirty = note_word(sum, word, old, old & ~mask, dirty);
	}
	if (upto > start)
		note_runs(sum, start / GP_BITS_PER_LONG, (upto - 1) / GP_BITS_PER_LONG, dirty);
}

/*
 * Re-set the words of [start, upto) that a failed release cleared. A
 * release fails part-way only when another thread freed an overlapping range
 * at the same moment (a double free by the caller): then a granule freed in
 * the window may already have a new owner, and the OR leaves it to them.
 * Sequential misuse never gets here: the pre-check refuses it untouched.
 */
static void undo_release(unsigned long *map, struct gp_summary *sum, unsigned long start,
			 unsigned long upto)
{
	unsigned long pos = start, word, mask, old;

	bool dirty = false;

	while (span_next(&pos, upto, &word, &mask)) {
		/* seq_cst: for the free-run upkeep (runs.c, U1) */
		old = gp_atomic_fetch_or_seq_cst(&map[word], mask);
		dirty = note_word(sum, word, old, old | mask, dirty);
	}
	if (upto > start)
		note_runs(sum, start / GP_BITS_PER_LONG, (upto - 1) / GP_BITS_PER_LONG, dirty);
}

static int claim_ll(unsigned long *map, struct gp_summary *sum, unsigned long start,
		    unsigned long nr)
{
	unsigned long pos = start, word, mask, now;
	bool dirty = false;

	while (span_next(&pos, start + nr, &word, &mask)) {
		if (!claim_word(&map[word], mask, &now)) {
			/* the rollback syncs what it restores (a word whose
			 * runs our bits changed changes back) */
			if (!GP_MUTANT(GP_MUT_NO_ROLLBACK))
				undo_claim(map, sum, start, word * GP_BITS_PER_LONG);
			return -EBUSY;
		}
		dirty = note_word(sum, word, now & ~mask, now, dirty);
		GP_TESTPOINT_IF(pos < start + nr, GP_TP_CLAIM_BETWEEN_WORDS);
	}
	note_runs(sum, start / GP_BITS_PER_LONG, (start + nr - 1) / GP_BITS_PER_LONG, dirty);
	return 0;
}

static int release_ll(unsigned long *map, struct gp_summary *sum, unsigned long start,
		      unsigned long nr)
{
	unsigned long pos = start, word, mask, was;
	bool dirty = false;

	if (!gp_bitmap_range_set(map, start, nr))
		return -EBUSY;
	while (span_next(&pos, start + nr, &word, &mask)) {
		if (!release_word(&map[word], mask, &was)) {
			undo_release(map, sum, start, word * GP_BITS_PER_LONG);
			return -EBUSY;
		}
		dirty = note_word(sum, word, was, was & ~mask, dirty);
	}
	/* the mutant: a release that leaves the free-run nodes stale */
	note_runs(sum, start / GP_BITS_PER_LONG, (start + nr - 1) / GP_BITS_PER_LONG,
		  dirty && !GP_MUTANT(GP_MUT_RUN_STALE_RELEASE));
	return 0;
}

/*
 * Under the pool lock: if every bit of [start, start + nr) is clear (@set)
 * or set (!@set), flip them all with plain stores; else -EBUSY, unchanged.
 */
static int flip_locked(unsigned long *map, struct gp_summary *sum, unsigned long start,
		       unsigned long nr, bool set)
{
	unsigned long pos = start, word, mask, old;

	while (span_next(&pos, start + nr, &word, &mask))
		if ((map[word] & mask) != (set ? 0 : mask))
			return -EBUSY;
	bool dirty = false;

	pos = start;
	while (span_next(&pos, start + nr, &word, &mask)) {
		old = map[word];
		map[word] = old ^ mask;
		dirty = note_word(sum, word, old, old ^ mask, dirty);
	}
	note_runs(sum, start / GP_BITS_PER_LONG, (start + nr - 1) / GP_BITS_PER_LONG, dirty);
	return 0;
}

int gp_bitmap_claim_ll(unsigned long *map, unsigned long start, unsigned long nr)
{
	return claim_ll(map, NULL, start, nr);
}

int gp_bitmap_release_ll(unsigned long *map, unsigned long start, unsigned long nr)
{
	return release_ll(map, NULL, start, nr);
}

int gp_bitmap_claim_locked(unsigned long *map, unsigned long start, unsigned long nr)
{
	return flip_locked(map, NULL, start, nr, true);
}

int gp_bitmap_release_locked(unsigned long *map, unsigned long start, unsigned long nr)
{
	return flip_locked(map, NULL, start, nr, false);
}

int gp_sum_claim(struct gp_summary *sum, unsigned long start, unsigned long nr, bool locked)
{
	return locked ? flip_locked(sum->level[0], sum, start, nr, true)
		      : claim_ll(sum->level[0], sum, start, nr);
}

int gp_sum_release(struct gp_summary *sum, unsigned long start, unsigned long nr, bool locked)
{
	return locked ? flip_locked(sum->level[0], sum, start, nr, false)
		      : release_ll(sum->level[0], sum, start, nr);
}

bool gp_bitmap_test_and_set_bit(unsigned long *map, unsigned long bit)
{
	unsigned long mask = 1UL << (bit % GP_BITS_PER_LONG);

	/* acquire: pairs with the release in gp_bitmap_test_and_clear_bit. */
	return gp_atomic_fetch_or_acquire(&map[GP_BIT_WORD(bit)], mask) & mask;
}

bool gp_bitmap_test_and_clear_bit(unsigned long *map, unsigned long bit)
{
	unsigned long mask = 1UL << (bit % GP_BITS_PER_LONG);

	/* release: pairs with the acquire in gp_bitmap_test_and_set_bit. */
	return gp_atomic_fetch_and_release(&map[GP_BIT_WORD(bit)], ~mask) & mask;
}

bool gp_bitmap_test_bit(const unsigned long *map, unsigned long bit)
{
	return (gp_atomic_load_relaxed(&map[GP_BIT_WORD(bit)]) >> (bit % GP_BITS_PER_LONG)) & 1;
}
