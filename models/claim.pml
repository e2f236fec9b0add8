/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * claim.pml - a model of genpool's lock-free multi-word claim with rollback
 * (src/bitmap.c: gp_bitmap_claim_ll / gp_bitmap_release_ll), for spin.
 *
 * Three threads claim overlapping runs that span words of a 3-word bitmap
 * (2 granules per word), each word with one atomic compare-and-swap that
 * fails if any bit of its mask is already set. A failed claim clears the
 * words it set, then retries (bounded). A successful claim takes a shadow
 * owner per granule, then gives them back and releases its words.
 *
 * Checked (assertions):
 *   - no granule ever has two owners (the property users rely on);
 *   - a rollback clears only bits that are still set (B2 in papers/design.md:
 *     nobody else can clear bits a failed claim set);
 *   - a release finds all its bits set (no lost claim).
 *
 * -DMUTANT_NO_CHECK: the word CAS ignores bits already set (must fail).
 * -DMUTANT_BAD_ROLLBACK: the rollback also clears the word that failed,
 *  i.e. bits another thread holds (must fail).
 */
#define W 3       /* words */
#define B 2       /* granules per word */
#define TRIES 2   /* claims attempted per run */

byte word[W];
byte owner[W * B];

/* Bits of granules [start, start + cnt) that fall in word w. */
inline word_mask(w, start, cnt, m)
{
	m = 0;
	g = w * B;
	do
	:: g < w * B + B ->
		if
		:: g >= start && g < start + cnt -> m = m | (1 << (g - w * B))
		:: else -> skip
		fi;
		g++
	:: else -> break
	od
}

inline claim_word(w, m, ok)
{
#ifdef MUTANT_NO_CHECK
	atomic { word[w] = word[w] | m; ok = 1 }
#else
	atomic {
		if
		:: (word[w] & m) == 0 -> word[w] = word[w] | m; ok = 1
		:: else -> ok = 0
		fi
	}
#endif
}

proctype worker(byte id; byte start; byte cnt)
{
	byte w, last, m, g, i, ok, tries;

	last = (start + cnt - 1) / B;
	tries = 0;
	do
	:: tries < TRIES ->
		tries++;
		w = start / B;
		ok = 1;
		do
		:: w <= last && ok ->
			word_mask(w, start, cnt, m);
			claim_word(w, m, ok);
			if
			:: ok -> w++
			:: else -> skip
			fi
		:: else -> break
		od;
		if
		:: !ok ->
			/* roll back the words before the one that failed */
			i = start / B;
#ifdef MUTANT_BAD_ROLLBACK
			w++;
#endif
			do
			:: i < w ->
				word_mask(i, start, cnt, m);
				atomic { assert((word[i] & m) == m); word[i] = word[i] & ~m };
				i++
			:: else -> break
			od
		:: ok ->
			i = start;
			do
			:: i < start + cnt ->
				atomic { assert(owner[i] == 0); owner[i] = id };
				i++
			:: else -> break
			od;
			i = start;
			do
			:: i < start + cnt -> owner[i] = 0; i++
			:: else -> break
			od;
			w = start / B;
			do
			:: w <= last ->
				word_mask(w, start, cnt, m);
				atomic { assert((word[w] & m) == m); word[w] = word[w] & ~m };
				w++
			:: else -> break
			od
		fi
	:: else -> break
	od
}

init
{
	atomic {
		run worker(1, 0, 3);  /* words 0-1 */
		run worker(2, 1, 4);  /* words 0-2 */
		run worker(3, 3, 3)   /* words 1-2 */
	}
}
