// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_summary.c - unit tests of src/summary.c and the summary-keeping
 * claim/release of src/bitmap.c, against a naive model written from
 * summary.h (not from summary.c):
 *  - layout: levels, word counts, where each level lives, padding bits,
 *    for sizes at and around every level boundary, and one of 2^24 + 3
 *    granules (five levels) on the heap;
 *  - gp_sum_find_zero equals the plain scan at every start, on random
 *    bitmaps built only through gp_sum_claim / gp_sum_release (locked and
 *    lock-free), with invariant S (gp_sum_find_stale finds nothing) after
 *    every step and refused calls changing nothing;
 *  - gp_sum_find_stale finds a deliberately corrupted summary bit, and a
 *    word filled behind the summary's back, at the right (level, word);
 *  - gp_sum_full;
 *  - threads claiming and releasing 1-granule and multi-word ranges that
 *    fill and empty words under the same summary words, with conflicting
 *    claims that roll back: at quiescence the summary is exact and every
 *    bit is as the threads left it. No timing assertion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "rng_helpers.h"
#include "summary.h"

#define BPL GP_BITS_PER_LONG

/* A summary over its own zeroed bitmap, as gp_chunk_new lays one out. */
struct sbuf {
	struct gp_summary s;
	unsigned long nbits;
	unsigned long *bits;  /* GP_BITS_TO_LONGS(nbits) words */
	unsigned long *extra; /* gp_sum_extra_words(nbits) words */
	size_t nextra;
};

static void sbuf_init(struct sbuf *b, unsigned long nbits)
{
	b->nbits = nbits;
	b->nextra = gp_sum_extra_words(nbits);
	b->bits = calloc(GP_BITS_TO_LONGS(nbits), sizeof(unsigned long));
	/* one spare word, so that a write past the levels shows up below */
	b->extra = calloc(b->nextra + 1, sizeof(unsigned long));
	assert_non_null(b->bits);
	assert_non_null(b->extra);
	b->extra[b->nextra] = 0x5a5a5a5aUL;
	gp_sum_init(&b->s, b->bits, b->extra, nbits);
}

static void sbuf_fini(struct sbuf *b)
{
	assert_int_equal(b->extra[b->nextra], 0x5a5a5a5aUL);
	free(b->bits);
	free(b->extra);
}

/* A deterministic generator (xorshift64*). */
static bool tbit(const unsigned long *map, unsigned long i)
{
	return (map[i / BPL] >> (i % BPL)) & 1;
}

static void assign(unsigned long *map, unsigned long first, unsigned long n, bool set)
{
	for (unsigned long i = first; i < first + n; i++) {
		if (set)
			map[i / BPL] |= 1UL << (i % BPL);
		else
			map[i / BPL] &= ~(1UL << (i % BPL));
	}
}

static bool all(const unsigned long *map, unsigned long first, unsigned long n, bool set)
{
	for (unsigned long i = first; i < first + n; i++)
		if (tbit(map, i) != set)
			return false;
	return true;
}

static unsigned long words_of(unsigned long n)
{
	return n / BPL + (n % BPL != 0);
}

/*
 * The naive model of summary.h: bit j of level k >= 1 is set exactly when
 * word j of level k - 1 is full (bitmap's last word: every granule of it
 * set), and set for words that do not exist. Asserts @b's summary is that.
 */
static void assert_summary_exact(const struct sbuf *b)
{
	const struct gp_summary *s = &b->s;
	unsigned int lv = 0;
	unsigned long wd = 0;

	for (unsigned int k = 1; k <= s->top; k++) {
		for (unsigned long j = 0; j < s->words[k] * BPL; j++) {
			bool full;

			if (j >= s->words[k - 1]) {
				full = true;
			} else if (k == 1) {
				unsigned long v = s->level[0][j];

				if (j == s->words[0] - 1 && b->nbits % BPL)
					v |= ~0UL << (b->nbits % BPL);
				full = v == ~0UL;
			} else {
				full = s->level[k - 1][j] == ~0UL;
			}
			if (tbit(s->level[k], j) != full)
				fail_msg("nbits %lu: level %u bit %lu is %d, the word below is %s",
					 b->nbits, k, j, tbit(s->level[k], j), full ? "full" : "not full");
		}
	}
	assert_false(gp_sum_find_stale(s, &lv, &wd));
}

/* ------------------------------------------------------------------------ */
/* Layout                                                                   */

static void check_layout(unsigned long nbits, unsigned int want_top)
{
	struct sbuf b;
	unsigned long n = words_of(nbits), total = 0;
	const unsigned long *at;
	unsigned int k;

	sbuf_init(&b, nbits);
	assert_int_equal(b.s.nbits, nbits);
	assert_int_equal(b.s.top, want_top);
	assert_ptr_equal(b.s.level[0], b.bits);
	assert_int_equal(b.s.words[0], n);
	at = b.extra;
	for (k = 1; n > 1; k++) {
		unsigned long below = n;

		n = words_of(n);
		assert_int_equal(b.s.words[k], n);
		assert_ptr_equal(b.s.level[k], at); /* the levels follow each other */
		at += n;
		total += n;
		/* padding: the bits standing for no word are set, the others clear */
		for (unsigned long j = 0; j < n * BPL; j++)
			assert_int_equal(tbit(b.s.level[k], j), j >= below);
	}
	assert_int_equal(k - 1, want_top);
	assert_int_equal(b.s.words[b.s.top], 1);
	assert_int_equal(gp_sum_extra_words(nbits), total);
	/* the bitmap itself is untouched */
	for (unsigned long w = 0; w < words_of(nbits); w++)
		assert_int_equal(b.bits[w], 0);
	assert_summary_exact(&b);
	assert_false(gp_sum_full(&b.s));
	assert_int_equal(gp_sum_find_zero(&b.s, 0), 0);
	assert_int_equal(gp_sum_find_zero(&b.s, nbits - 1), nbits - 1);
	assert_int_equal(gp_sum_find_zero(&b.s, nbits), nbits);
	assert_int_equal(gp_sum_find_zero(&b.s, nbits + 1000), nbits);
	assert_int_equal(gp_sum_find_zero(&b.s, ~0UL), nbits);
	sbuf_fini(&b);
}

static void layout_at_level_boundaries(void **state)
{
	(void)state;
	check_layout(1, 0);
	check_layout(63, 0);
	check_layout(64, 0);
	check_layout(65, 1);        /* 2 words -> 1 */
	check_layout(4095, 1);      /* 64 words -> 1, no padding */
	check_layout(4096, 1);
	check_layout(4097, 2);      /* 65 -> 2 -> 1 */
	check_layout(262144, 2);    /* 4096 -> 64 -> 1 */
	check_layout(262145, 3);    /* 4097 -> 65 -> 2 -> 1 */
	check_layout((1UL << 24) + 3, 4); /* 262145 -> 4097 -> 65 -> 2 -> 1 */
}

/* Filling a whole summary makes it full; one free granule anywhere undoes that. */
static void check_fill_and_empty(unsigned long nbits, bool locked)
{
	struct sbuf b;
	unsigned long probes[] = { 0, nbits / 2, nbits - 1 };

	sbuf_init(&b, nbits);
	assert_int_equal(gp_sum_claim(&b.s, 0, nbits, locked), 0);
	assert_true(gp_sum_full(&b.s));
	assert_summary_exact(&b);
	assert_int_equal(gp_sum_find_zero(&b.s, 0), nbits);
	assert_int_equal(gp_sum_claim(&b.s, nbits - 1, 1, locked), -EBUSY);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		unsigned long p = probes[i];

		assert_int_equal(gp_sum_release(&b.s, p, 1, locked), 0);
		assert_false(gp_sum_full(&b.s));
		assert_summary_exact(&b);
		assert_int_equal(gp_sum_find_zero(&b.s, 0), p);
		assert_int_equal(gp_sum_find_zero(&b.s, p), p);
		if (p + 1 <= nbits)
			assert_int_equal(gp_sum_find_zero(&b.s, p + 1), nbits);
		assert_int_equal(gp_sum_claim(&b.s, p, 1, locked), 0);
		assert_true(gp_sum_full(&b.s));
	}
	assert_int_equal(gp_sum_release(&b.s, 0, nbits, locked), 0);
	assert_false(gp_sum_full(&b.s));
	assert_summary_exact(&b);
	sbuf_fini(&b);
}

static void full_and_empty(void **state)
{
	static const unsigned long sizes[] = { 1, 63, 64, 65, 127, 4095, 4096, 4097, 262145 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_fill_and_empty(sizes[i], false);
		check_fill_and_empty(sizes[i], true);
	}
}

/* Five levels: filling and emptying the whole 2^24 + 3 granules through the summary. */
static void large_summary(void **state)
{
	(void)state;
	check_fill_and_empty((1UL << 24) + 3, false);
}

/* ------------------------------------------------------------------------ */
/* gp_sum_find_zero against the plain scan                                  */

/* A range length: mostly short, sometimes words, sometimes long. */
static unsigned long gen_len(uint64_t *r, unsigned long nbits)
{
	unsigned long k = rng_below(r, 16), len;

	if (k < 6)
		len = 1;
	else if (k < 10)
		len = 1 + rng_below(r, 8);
	else if (k < 13)
		len = 1 + rng_below(r, 3 * BPL);
	else
		len = 1 + rng_below(r, 40 * BPL);
	return len < nbits ? len : nbits;
}

/* Every start: the summary's search equals the plain scan of the bitmap. */
static void assert_search_matches(const struct sbuf *b)
{
	for (unsigned long st = 0; st <= b->nbits + 1; st++)
		if (gp_sum_find_zero(&b->s, st) !=
		    gp_bitmap_find_next_zero_bit(b->bits, b->nbits, st))
			fail_msg("nbits %lu: gp_sum_find_zero(%lu) = %lu, plain scan %lu", b->nbits,
				 st, gp_sum_find_zero(&b->s, st),
				 gp_bitmap_find_next_zero_bit(b->bits, b->nbits, st));
}

/*
 * Random claims and releases, each checked against the model: a free range
 * is claimed, a set one released, a mixed one refused by both (-EBUSY, the
 * bitmap and summary unchanged). Invariant S after every step; the search
 * compared at every start every @every steps and at the end.
 */
static void random_ops(unsigned long nbits, uint64_t seed, unsigned int steps,
		       unsigned int every, int mode /* 0 ll, 1 locked, 2 both mixed */)
{
	struct sbuf b;
	unsigned long *model = calloc(words_of(nbits), sizeof(unsigned long));
	unsigned long *before = malloc(words_of(nbits) * sizeof(unsigned long));
	unsigned long *sbefore = malloc((gp_sum_extra_words(nbits) + 1) * sizeof(unsigned long));
	size_t bytes = words_of(nbits) * sizeof(unsigned long);
	size_t sbytes = gp_sum_extra_words(nbits) * sizeof(unsigned long);
	uint64_t r = seed;

	assert_non_null(model);
	assert_non_null(before);
	assert_non_null(sbefore);
	sbuf_init(&b, nbits);
	for (unsigned int i = 0; i < steps; i++) {
		unsigned long len = gen_len(&r, nbits);
		unsigned long start = rng_below(&r, nbits - len + 1);
		bool locked = mode == 2 ? rng_next(&r) & 1 : mode == 1;

		/* sometimes fill or empty a run of whole words exactly */
		if (rng_below(&r, 8) == 0 && nbits >= 2 * BPL) {
			start = rng_below(&r, nbits / BPL) * BPL;
			len = BPL * (1 + rng_below(&r, 3));
			if (start + len > nbits)
				len = nbits - start;
		}
		if (all(model, start, len, false)) {
			assert_int_equal(gp_sum_claim(&b.s, start, len, locked), 0);
			assign(model, start, len, true);
		} else if (all(model, start, len, true)) {
			assert_int_equal(gp_sum_release(&b.s, start, len, locked), 0);
			assign(model, start, len, false);
		} else {
			memcpy(before, b.bits, bytes);
			memcpy(sbefore, b.extra, sbytes);
			assert_int_equal(gp_sum_claim(&b.s, start, len, locked), -EBUSY);
			assert_int_equal(gp_sum_release(&b.s, start, len, locked), -EBUSY);
			assert_memory_equal(b.bits, before, bytes);
			if (sbytes)
				assert_memory_equal(b.extra, sbefore, sbytes);
		}
		assert_memory_equal(b.bits, model, bytes);
		if (nbits < 20000 || i % 25 == 0) {
			assert_summary_exact(&b); /* the naive model, and find_stale */
		} else {
			unsigned int lv;
			unsigned long wd;

			assert_false(gp_sum_find_stale(&b.s, &lv, &wd));
		}
		if (every && i % every == 0)
			assert_search_matches(&b);
	}
	assert_search_matches(&b);
	sbuf_fini(&b);
	free(model);
	free(before);
	free(sbefore);
}

static void find_zero_matches_plain_scan(void **state)
{
	static const unsigned long sizes[] = { 1, 2, 63, 64, 65, 130, 200, 4095, 4097, 9000 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int mode = 0; mode < 3; mode++)
			random_ops(sizes[i], 0x9e3779b97f4a7c15ULL * (i + 1) + (uint64_t)mode,
				   sizes[i] < 1000 ? 600 : 300, sizes[i] < 1000 ? 7 : 50, mode);
}

/* Four levels of summary: long full runs that make the search climb and descend. */
static void find_zero_matches_plain_scan_deep(void **state)
{
	(void)state;
	random_ops(262145 + 77, 42, 400, 0, 2);
}

/* A search from inside full regions of every level lands on the first free granule. */
static void find_zero_skips_full_regions(void **state)
{
	const unsigned long nbits = 262145 + 100;
	const unsigned long holes[] = { 5, 64 * 64 * 10 + 7, 64 * 64 * 64 - 1, 64 * 64 * 64 + 1,
					nbits - 1 };
	struct sbuf b;

	(void)state;
	sbuf_init(&b, nbits);
	assert_int_equal(gp_sum_claim(&b.s, 0, nbits, false), 0);
	for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++)
		assert_int_equal(gp_sum_release(&b.s, holes[i], 1, false), 0);
	assert_summary_exact(&b);
	for (unsigned long st = 0; st < nbits; st += 997) {
		unsigned long want = nbits;

		for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++)
			if (holes[i] >= st) {
				want = holes[i];
				break;
			}
		assert_int_equal(gp_sum_find_zero(&b.s, st), want);
	}
	for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		assert_int_equal(gp_sum_find_zero(&b.s, holes[i]), holes[i]);
		if (i + 1 < sizeof(holes) / sizeof(holes[0]))
			assert_int_equal(gp_sum_find_zero(&b.s, holes[i] + 1), holes[i + 1]);
	}
	assert_int_equal(gp_sum_find_zero(&b.s, nbits), nbits);
	sbuf_fini(&b);
}

/* gp_sum_find_zero_area through the summary equals the plain gp_bitmap_find_zero_area. */
static void find_zero_area_matches_plain(void **state)
{
	const unsigned long nbits = 5000;
	static const unsigned long nrs[] = { 1, 3, 64, 65, 130, 700 };
	static const unsigned long masks[] = { 0, 1, 7, 63 };
	struct sbuf b;
	uint64_t r = 7;

	(void)state;
	sbuf_init(&b, nbits);
	for (unsigned int round = 0; round < 40; round++) {
		unsigned long len = gen_len(&r, nbits), start = rng_below(&r, nbits - len + 1);

		if (gp_sum_claim(&b.s, start, len, false) != 0)
			(void)gp_sum_release(&b.s, start, len, true);
		for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
			for (size_t j = 0; j < sizeof(masks) / sizeof(masks[0]); j++)
				for (unsigned long st = 0; st < nbits; st += 61) {
					unsigned long off = st % 5 & masks[j];
					unsigned long a = gp_sum_find_zero_area(
						&b.s, b.bits, nbits, st, nrs[i], masks[j], off);
					unsigned long p = gp_bitmap_find_zero_area(
						b.bits, nbits, st, nrs[i], masks[j], off);

					/* both "no fit" (> size - nr) or the same run */
					if (!(a == p || (a > nbits - nrs[i] && p > nbits - nrs[i])))
						fail_msg("area nr %lu mask %lu start %lu: summary %lu, "
							 "plain %lu", nrs[i], masks[j], st, a, p);
				}
	}
	sbuf_fini(&b);
}

/* ------------------------------------------------------------------------ */
/* gp_sum_find_stale                                                        */

/*
 * Flip each summary bit that stands for a word (some of every level), and
 * each must be reported at its own (level, word); flipping back heals it.
 */
static void check_corruption(unsigned long nbits, bool fill)
{
	struct sbuf b;
	unsigned int lv;
	unsigned long wd;

	sbuf_init(&b, nbits);
	if (fill) /* every other word full, so both directions of staleness occur */
		for (unsigned long w = 0; w + 1 < words_of(nbits); w += 2)
			assert_int_equal(gp_sum_claim(&b.s, w * BPL, BPL, false), 0);
	assert_summary_exact(&b);
	for (unsigned int k = 1; k <= b.s.top; k++) {
		unsigned long below = b.s.words[k - 1];

		for (unsigned long j = 0; j < below; j += (below > 200 ? 37 : 1)) {
			unsigned long *w = &b.s.level[k][j / BPL], m = 1UL << (j % BPL);

			*w ^= m;
			lv = 99;
			wd = ~0UL;
			assert_true(gp_sum_find_stale(&b.s, &lv, &wd));
			/* the first stale bit reported is this one */
			assert_int_equal(lv, k - 1);
			assert_int_equal(wd, j);
			*w ^= m;
			assert_false(gp_sum_find_stale(&b.s, &lv, &wd));
		}
	}
	sbuf_fini(&b);
}

static void find_stale_detects_corrupted_bit(void **state)
{
	static const unsigned long sizes[] = { 65, 130, 4096, 4097, 262145 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_corruption(sizes[i], false);
		check_corruption(sizes[i], true);
	}
}

/* A bitmap word filled or emptied behind the summary's back (no sync). */
static void find_stale_detects_unsynced_word(void **state)
{
	const unsigned long nbits = 4097 + 64 * 3 + 5; /* three levels, partial last word */
	const unsigned long last = words_of(nbits) - 1;
	struct sbuf b;
	unsigned int lv;
	unsigned long wd;

	(void)state;
	sbuf_init(&b, nbits);
	b.bits[3] = ~0UL; /* full, summary says not */
	assert_true(gp_sum_find_stale(&b.s, &lv, &wd));
	assert_int_equal(lv, 0);
	assert_int_equal(wd, 3);
	b.bits[3] = 0;
	assert_false(gp_sum_find_stale(&b.s, &lv, &wd));

	/* the last word is full when its nbits % 64 granules are set */
	b.bits[last] = (1UL << (nbits % BPL)) - 1;
	assert_true(gp_sum_find_stale(&b.s, &lv, &wd));
	assert_int_equal(lv, 0);
	assert_int_equal(wd, last);
	b.bits[last] = 0;

	/* claimed through the summary, then one bit cleared by hand */
	assert_int_equal(gp_sum_claim(&b.s, 64 * 10, 64 * 50, false), 0);
	assert_false(gp_sum_find_stale(&b.s, &lv, &wd));
	b.bits[30] &= ~(1UL << 9);
	assert_true(gp_sum_find_stale(&b.s, &lv, &wd));
	assert_int_equal(lv, 0);
	assert_int_equal(wd, 30);
	b.bits[30] |= 1UL << 9;

	/* a level-1 word made full by hand, summary level 2 not told */
	assert_int_equal(gp_sum_release(&b.s, 64 * 10, 64 * 50, false), 0);
	assert_false(gp_sum_find_stale(&b.s, &lv, &wd));
	b.s.level[1][0] = ~0UL;
	assert_true(gp_sum_find_stale(&b.s, &lv, &wd));
	/* level 0 word 0 is not full while its bit says so: reported first */
	assert_int_equal(lv, 0);
	assert_int_equal(wd, 0);
	b.s.level[1][0] = 0;
	assert_false(gp_sum_find_stale(&b.s, &lv, &wd));
	sbuf_fini(&b);
}

/* After any sequence of claims and releases (also refused ones): nothing stale. */
static void find_stale_clean_after_any_sequence(void **state)
{
	(void)state;
	/* random_ops asserts gp_sum_find_stale == false after every step */
	random_ops(4097 + 64 * 64 + 3, 1234, 3000, 0, 2);
	random_ops(70, 99, 3000, 0, 0);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */

/*
 * The map: three levels (8229 granules: 129 words -> 3 -> 1). Regions:
 *  A  words 0..31: granule i belongs to thread i % NT; 1-granule claims
 *     and releases, so every word is shared by all threads and fills or
 *     empties only by the last of them, under the same level-1 word.
 *  B  words 32..95: blocks of 2 words, block j to thread j % NT; claims of
 *     whole blocks, of one word, and of runs straddling the two words, so
 *     words fill and empty while neighbours' do too (same level-1 words).
 *  C  words 96..128: shared; any thread claims random runs, which may meet
 *     another's bits and roll back (-EBUSY), and releases what it got.
 * Each thread's model of what it holds is exact (nobody else touches its
 * bits in A and B, and in C it only releases what its claim got).
 */
#define MT_NBITS (128 * 64 + 37)
#define MT_THREADS 4
#define MT_OPS 20000
#define A_WORDS 32
#define B_FIRST 32
#define B_WORDS 64
#define C_FIRST 96

struct mt {
	struct sbuf b;
	pthread_barrier_t go;
};

struct mt_thread {
	struct mt *mt;
	unsigned int id, round;
	pthread_t tid;
	unsigned long mine[GP_BITS_TO_LONGS(MT_NBITS)]; /* what this thread holds */
	struct { unsigned long start, len; } c_held[8];
	unsigned int nc;
	unsigned long busy; /* refused claims in C */
	int failed;         /* first unexpected result, for the main thread */
};

static void mt_fail(struct mt_thread *t, int why)
{
	if (!t->failed)
		t->failed = why;
}

static void *mt_worker(void *arg)
{
	struct mt_thread *t = arg;
	struct gp_summary *s = &t->mt->b.s;
	uint64_t r = 0x1234567ULL * (t->id + 1) + 0x9e3779b9ULL * t->round;

	pthread_barrier_wait(&t->mt->go);
	for (unsigned int i = 0; i < MT_OPS && !t->failed; i++) {
		unsigned int what = (unsigned int)rng_below(&r, 8);
		unsigned long start, len;

		if (what < 3) { /* A: one granule of mine */
			start = rng_below(&r, A_WORDS * BPL / MT_THREADS) * MT_THREADS + t->id;
			len = 1;
		} else if (what < 6) { /* B: in one of my blocks */
			unsigned long nblk = B_WORDS / 2 / MT_THREADS;
			unsigned long blk = (rng_below(&r, nblk) * MT_THREADS + t->id) * 2;
			unsigned long base = (B_FIRST + blk) * BPL;

			switch (rng_below(&r, 4)) {
			case 0: start = base; len = 2 * BPL; break;        /* both words */
			case 1: start = base + BPL; len = BPL; break;      /* the second */
			case 2: start = base + 32; len = BPL; break;       /* straddling */
			default: start = base; len = BPL; break;           /* the first */
			}
		} else { /* C: shared */
			if (t->nc && (t->nc == 8 || rng_next(&r) & 1)) {
				unsigned int k = (unsigned int)rng_below(&r, t->nc);

				start = t->c_held[k].start;
				len = t->c_held[k].len;
				if (gp_sum_release(s, start, len, false) != 0)
					mt_fail(t, 1);
				assign(t->mine, start, len, false);
				t->c_held[k] = t->c_held[--t->nc];
				continue;
			}
			len = 1 + rng_below(&r, 3 * BPL);
			start = C_FIRST * BPL + rng_below(&r, MT_NBITS - C_FIRST * BPL - len + 1);
			if (gp_sum_claim(s, start, len, false) == 0) {
				assign(t->mine, start, len, true);
				t->c_held[t->nc].start = start;
				t->c_held[t->nc].len = len;
				t->nc++;
			} else {
				t->busy++;
			}
			continue;
		}
		/* A or B: my bits; claim when all free in my model, release when all mine */
		if (all(t->mine, start, len, false)) {
			if (gp_sum_claim(s, start, len, false) != 0)
				mt_fail(t, 2);
			else if (!gp_bitmap_range_set(s->level[0], start, len))
				mt_fail(t, 3);
			assign(t->mine, start, len, true);
		} else if (all(t->mine, start, len, true)) {
			if (gp_sum_release(s, start, len, false) != 0)
				mt_fail(t, 4);
			assign(t->mine, start, len, false);
		} else { /* part mine (a straddling run): must be refused both ways */
			if (gp_sum_claim(s, start, len, false) != -EBUSY)
				mt_fail(t, 5);
			if (gp_sum_release(s, start, len, false) != -EBUSY)
				mt_fail(t, 6);
		}
	}
	return NULL;
}

static void threads_keep_summary_exact(void **state)
{
	static struct mt mt;
	static struct mt_thread th[MT_THREADS];
	unsigned long words = GP_BITS_TO_LONGS(MT_NBITS);

	(void)state;
	memset(th, 0, sizeof(th));
	sbuf_init(&mt.b, MT_NBITS);
	assert_int_equal(mt.b.s.top, 2);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(pthread_barrier_init(&mt.go, NULL, MT_THREADS), 0);
		for (unsigned int i = 0; i < MT_THREADS; i++) {
			th[i].mt = &mt;
			th[i].id = i;
			th[i].round = (unsigned int)round;
			assert_int_equal(pthread_create(&th[i].tid, NULL, mt_worker, &th[i]), 0);
		}
		for (unsigned int i = 0; i < MT_THREADS; i++)
			assert_int_equal(pthread_join(th[i].tid, NULL), 0);
		pthread_barrier_destroy(&mt.go);

		/* quiescence: every bit as the threads left it, the summary exact */
		for (unsigned long w = 0; w < words; w++) {
			unsigned long want = 0;

			for (unsigned int i = 0; i < MT_THREADS; i++) {
				if (th[i].failed)
					fail_msg("thread %u: unexpected result (check %d)", i,
						 th[i].failed);
				assert_int_equal(want & th[i].mine[w], 0); /* disjoint */
				want |= th[i].mine[w];
			}
			if (mt.b.bits[w] != want)
				fail_msg("round %d word %lu is 0x%lx, the threads hold 0x%lx", round,
					 w, mt.b.bits[w], want);
		}
		assert_summary_exact(&mt.b);
		assert_search_matches(&mt.b);
		/* leave some held, some not: the next round starts from there */
	}
	/* and everything can be given back */
	for (unsigned int i = 0; i < MT_THREADS; i++)
		for (unsigned long b = 0; b < MT_NBITS; b++)
			if (tbit(th[i].mine, b))
				assert_int_equal(gp_sum_release(&mt.b.s, b, 1, false), 0);
	for (unsigned long w = 0; w < words; w++)
		assert_int_equal(mt.b.bits[w], 0);
	assert_summary_exact(&mt.b);
	sbuf_fini(&mt.b);
}

static void find_stale_detects_corrupted_padding(void **state)
{
	static const unsigned long sizes[] = { 65, 4097, 262145 };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct sbuf b;
		unsigned int lv;
		unsigned long wd;

		sbuf_init(&b, sizes[i]);
		for (unsigned int k = 1; k <= b.s.top; k++) {
			unsigned long below = b.s.words[k - 1];

			if (!(below % BPL))
				continue;
			b.s.level[k][b.s.words[k] - 1] ^= 1UL << (below % BPL);
			assert_true(gp_sum_find_stale(&b.s, &lv, &wd));
			assert_int_equal(lv, k - 1);
			assert_int_equal(wd, below);
			b.s.level[k][b.s.words[k] - 1] ^= 1UL << (below % BPL);
		}
		sbuf_fini(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_at_level_boundaries),
		cmocka_unit_test(full_and_empty),
		cmocka_unit_test(large_summary),
		cmocka_unit_test(find_zero_matches_plain_scan),
		cmocka_unit_test(find_zero_matches_plain_scan_deep),
		cmocka_unit_test(find_zero_skips_full_regions),
		cmocka_unit_test(find_zero_area_matches_plain),
		cmocka_unit_test(find_stale_detects_corrupted_bit),
		cmocka_unit_test(find_stale_detects_corrupted_padding),
		cmocka_unit_test(find_stale_detects_unsynced_word),
		cmocka_unit_test(find_stale_clean_after_any_sequence),
		cmocka_unit_test(threads_keep_summary_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
