// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * summary.c - the "full" summary levels above a chunk's bitmap.
 *
 * Keeping a summary bit right without a lock. Let W be a word of level k
 * and U the word of level k + 1 that holds W's bit.
 *  R1  Whoever changes W's fullness (a claim that fills a bitmap word, a
 *      release or rollback that empties a full one, or a flip of a bit of
 *      W that changes W's fullness) calls sync afterwards.
 *  R2  sync loops: seq_cst fence; read W; read U; if U's bit equals W's
 *      fullness, stop; else flip the bit with a CAS on U and loop again. A
 *      thread that flipped the bit then syncs level k + 2 the same way; one
 *      that found it right leaves that to whoever flipped it.
 * Claim: at quiescence U's bit equals W's fullness. Take the last change M
 * of W's fullness and the last flip F of U's bit. M's thread then runs a
 * sync (R1), so it reads W with its final fullness. Its fence and the fence
 * at the top of the loop iteration after F are ordered in the single total
 * order of seq_cst fences, so either M's sync reads U after F (it sees the
 * final bit, and since F is the last flip it found them equal), or the
 * iteration after F reads W after M (F's thread sees the final fullness
 * and, F being last, found them equal and stopped). Either way the final bit
 * and the final fullness were found equal. The same holds level by level, as
 * each flip is itself a change covered by R1.
 *
 * So a stale bit exists only while some change of fullness has not finished
 * its sync. Searches read summaries relaxed: they are hints, and a search
 * that trusts a stale "full" bit only misses space that a racing operation
 * is changing at that moment (the momentary ENOMEM of api.md). At quiescence
 * the summary is exact, so a search from one thread returns exactly what the
 * plain scan returns: the kernel's first fit is unchanged.
 *
 * Cost: sync runs only when a word's fullness changes (a 1-granule alloc or
 * free in a word that stays partly free does not call it), and the seq_cst
 * fence is paid there, never on a plain claim or release.
 */
#include "summary.h"

#include "atomic.h"
#include "mutant.h"
#include "testpoint.h"

#define BPL GP_BITS_PER_LONG

size_t gp_sum_extra_words(unsigned long nbits)
{
	unsigned long n = GP_BITS_TO_LONGS(nbits);
	size_t total = 0;

	while (n > 1) {
		n = GP_BITS_TO_LONGS(n);
		total += n;
	}
	return total;
}

void gp_sum_init(struct gp_summary *s, unsigned long *bitmap, unsigned long *extra,
		 unsigned long nbits)
{
	unsigned long bits;
	unsigned int k;

	s->nbits = nbits;
	s->top = 0;
	s->runs.top = 0;
	s->level[0] = bitmap;
	s->words[0] = GP_BITS_TO_LONGS(nbits);
	while (s->words[s->top] > 1) {
		bits = s->words[s->top]; /* one bit per word below */
		k = ++s->top;
		s->level[k] = extra;
		s->words[k] = GP_BITS_TO_LONGS(bits);
		extra += s->words[k];
		if (bits % BPL) /* bits standing for no word: "full" */
			s->level[k][s->words[k] - 1] = ~GP_LAST_WORD_MASK(bits);
	}
}

void gp_sum_attach_runs(struct gp_summary *s, unsigned long *extra)
{
	gp_runs_init(&s->runs, s->level[0], extra, s->nbits);
}

bool gp_sum_word_full(const struct gp_summary *s, unsigned long w, unsigned long v)
{
	if (w == s->words[0] - 1 && s->nbits % BPL)
		v |= ~GP_LAST_WORD_MASK(s->nbits); /* past the chunk's end */
	return v == ~0UL;
}

static bool level_word_full(const struct gp_summary *s, unsigned int k, unsigned long w,
			    unsigned long v)
{
	return k == 0 ? gp_sum_word_full(s, w, v) : v == ~0UL;
}

/* R2 for word @w of level @k; true when this call flipped the bit above it. */
static bool sync_one(struct gp_summary *s, unsigned int k, unsigned long w)
{
	unsigned long *up = &s->level[k + 1][w / BPL], bit = 1UL << (w % BPL), u;
	bool flipped = false, full;

	for (;;) {
		/* seq_cst: orders this thread's change of the word below before
		 * its read of @up, against the flipper's CAS on @up before its
		 * re-read of the word (store-buffering; see the claim above). */
		gp_atomic_fence_seq_cst();
		full = level_word_full(s, k, w, gp_atomic_load_relaxed(&s->level[k][w]));
		u = gp_atomic_load_relaxed(up);
		if (!!(u & bit) == full)
			return flipped;
		GP_TESTPOINT(GP_TP_SUM_BEFORE_FLIP);
		/* relaxed: the bit is a hint and guards no data */
		if (gp_atomic_cas_relaxed(up, &u, u ^ bit)) {
			flipped = true;
			if (GP_MUTANT(GP_MUT_SUM_NO_RECHECK))
				return true;
		}
	}
}

void gp_sum_sync(struct gp_summary *s, unsigned long w)
{
	if (GP_MUTANT(GP_MUT_NO_SUM_SYNC))
		return;
	for (unsigned int k = 0; k < s->top; k++, w /= BPL)
		if (!sync_one(s, k, w))
			return;
}

/*
 * Walk up while the rest of a word is full, down into the first word whose
 * bit says "not full". Positions only move forward, so a stale bit costs a
 * detour, never a loop.
 */
unsigned long gp_sum_find_zero(const struct gp_summary *s, unsigned long start)
{
	unsigned long pos = start, w, v;
	unsigned int k = 0;

	if (start >= s->nbits)
		return s->nbits;
	for (;;) {
		w = pos / BPL;
		v = gp_atomic_load_relaxed(&s->level[k][w]) | ~GP_FIRST_WORD_MASK(pos);
		if (!level_word_full(s, k, w, v)) {
			pos = w * BPL + (unsigned long)__builtin_ctzl(~v);
			if (k == 0)
				return pos < s->nbits ? pos : s->nbits;
			k--;
			pos *= BPL; /* first bit of that word, one level down */
			continue;
		}
		if (k == s->top)
			return s->nbits;
		k++;
		pos = w + 1; /* the next word of level k - 1, as a bit of level k */
		if (pos / BPL >= s->words[k])
			return s->nbits;
	}
}

bool gp_sum_full(const struct gp_summary *s)
{
	return level_word_full(s, s->top, 0, gp_atomic_load_relaxed(&s->level[s->top][0]));
}

bool gp_sum_find_stale(const struct gp_summary *s, unsigned int *level, unsigned long *word)
{
	unsigned long w, v;
	bool bit;

	for (unsigned int k = 0; k < s->top; k++) {
		for (w = 0; w < s->words[k]; w++) {
			v = gp_atomic_load_relaxed(&s->level[k][w]);
			bit = gp_bitmap_test_bit(s->level[k + 1], w);
			if (bit != level_word_full(s, k, w, v)) {
				*level = k;
				*word = w;
				return true;
			}
		}
	}
	/* bits standing for no word must be set (gp_sum_init): the search relies on them */
	for (unsigned int k = 1; k <= s->top; k++) {
		unsigned long below = s->words[k - 1], pad;

		if (!(below % BPL))
			continue;
		pad = ~GP_LAST_WORD_MASK(below);
		if ((gp_atomic_load_relaxed(&s->level[k][s->words[k] - 1]) & pad) != pad) {
			*level = k - 1;
			*word = below; /* past the level's end: the padding */
			return true;
		}
	}
	return false;
}
