// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_runs.c - the free-run summaries (src/runs.h):
 *  - every node equals a recount of its span (pre, suf, max, rounded up as
 *    gp_runs_round does; a node that may be free extends a run by its span),
 *    on hand-made bitmaps with runs across word, level-1 and level-2
 *    boundaries and on random ones built only through gp_sum_claim /
 *    gp_sum_release (locked and lock-free), chunk ends inside a word;
 *  - gp_runs_find equals the kernel's linear bitmap_find_next_zero_area_off
 *    (gp_bitmap_find_zero_area) for every tried start, length, alignment
 *    mask and offset;
 *  - the rounding: exact below 64, at most 12.5 % over, monotone, and a
 *    chunk of 2^23 granules (six levels) still answers exactly;
 *  - gp_runs_busy_from (a free run's end, best fit's measure of a hole)
 *    equals the plain scan for the next busy granule, also past a node
 *    whose pre alone rounds up to its span;
 *  - gp_runs_find_stale finds a corrupted node;
 *  - rule S (a sync skipped) holds whatever the node's other words are;
 *  - the metadata budget: bitmap + full bits + run levels <= 1.1 bits per
 *    granule for chunks of 8192 granules and more (smaller chunks pay a
 *    word or two of rounding per level: 1.25 bits at 512 granules).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <genpool.h>

#include "bitmap.h"
#include "rng_helpers.h"
#include "summary.h"

#define BPL GP_BITS_PER_LONG

struct rbuf {
	struct gp_summary s;
	unsigned long nbits;
	unsigned long *bits, *extra;
};

static void rbuf_init(struct rbuf *b, unsigned long nbits)
{
	size_t full = gp_sum_extra_words(nbits), runs = gp_runs_extra_words(nbits);

	b->nbits = nbits;
	b->bits = calloc(GP_BITS_TO_LONGS(nbits), sizeof(unsigned long));
	b->extra = calloc(full + runs + 1, sizeof(unsigned long));
	assert_non_null(b->bits);
	assert_non_null(b->extra);
	b->extra[full + runs] = 0x5a5a5a5aUL; /* a write past the levels shows up */
	gp_sum_init(&b->s, b->bits, b->extra, nbits);
	gp_sum_attach_runs(&b->s, b->extra + full);
}

static void rbuf_fini(struct rbuf *b)
{
	assert_int_equal(b->extra[gp_sum_extra_words(b->nbits) + gp_runs_extra_words(b->nbits)],
			 0x5a5a5a5aUL);
	free(b->bits);
	free(b->extra);
}

static bool busy(const struct rbuf *b, unsigned long i)
{
	return i >= b->nbits || ((b->bits[i / BPL] >> (i % BPL)) & 1);
}

static unsigned long span_of(unsigned int k)
{
	return (BPL * GP_RUN_L1_WORDS) << (4 * (k - 1));
}

/*
 * The model of F: node @i of level @k from the bits (level 1) or from the
 * children as stored (higher levels), by a fold written out independently.
 */
static struct gp_run model(const struct rbuf *b, unsigned int k, unsigned long i)
{
	unsigned long nch = k == 1 ? GP_RUN_L1_WORDS * BPL : GP_RUN_FANOUT;
	unsigned long unit = k == 1 ? 1 : span_of(k - 1), run = 0, pre = 0, max = 0;
	bool seen = false;

	for (unsigned long c = 0; c < nch; c++) {
		struct gp_run ch;

		if (k == 1) { /* a granule: free is a run of one */
			unsigned long g = i * span_of(1) + c;

			ch = busy(b, g) ? (struct gp_run){ 0, 0, 0 } : (struct gp_run){ 1, 1, 1 };
		} else {
			ch = gp_runs_node(&b->s.runs, k - 1, i * GP_RUN_FANOUT + c);
		}
		if (ch.pre >= unit) {
			run += unit;
			continue;
		}
		if (!seen)
			pre = run + ch.pre;
		seen = true;
		max = run + ch.pre > max ? run + ch.pre : max;
		max = ch.max > max ? ch.max : max;
		run = ch.suf;
	}
	if (!seen) /* a chunk's first node keeps pre 0 (runs.c: never a carry) */
		return (struct gp_run){ gp_runs_round(i == 0 ? 0 : run), gp_runs_round(run),
					gp_runs_round(run) };
	max = run > max ? run : max;
	/* a chunk's first node keeps pre 0 (runs.c: no carry ever reaches it) */
	return (struct gp_run){ gp_runs_round(i == 0 ? 0 : pre), gp_runs_round(run),
				gp_runs_round(max) };
}

static void assert_runs_exact(const struct rbuf *b)
{
	const struct gp_runs *r = &b->s.runs;
	unsigned int lv;
	unsigned long nd;

	for (unsigned int k = 1; k <= r->top; k++) {
		for (unsigned long i = 0; i < r->nodes[k]; i++) {
			struct gp_run want = model(b, k, i), got = gp_runs_node(r, k, i);

			if (got.pre != want.pre || got.suf != want.suf || got.max != want.max)
				fail_msg("nbits %lu level %u node %lu: got pre %lu suf %lu max %lu, "
					 "model %lu %lu %lu",
					 b->nbits, k, i, got.pre, got.suf, got.max, want.pre,
					 want.suf, want.max);
		}
	}
	assert_false(gp_runs_find_stale(r, &lv, &nd));
}

/* The kernel's answer, as gp_runs_find gives it: the fit or nbits. */
static unsigned long plain_find(const struct rbuf *b, unsigned long start, unsigned long nr,
				unsigned long mask, unsigned long off)
{
	unsigned long p;

	if (start >= b->nbits)
		return b->nbits;
	p = gp_bitmap_find_zero_area(b->bits, b->nbits, start, nr, mask, off);
	return p < b->nbits && nr <= b->nbits - p ? p : b->nbits;
}

static void check_find(const struct rbuf *b, unsigned long start, unsigned long nr,
		       unsigned long mask, unsigned long off)
{
	unsigned long want = plain_find(b, start, nr, mask, off);
	unsigned long got = gp_runs_find(&b->s.runs, start, nr, mask, off);

	if (got != want)
		fail_msg("nbits %lu: find(start %lu, nr %lu, mask %#lx, off %lu) = %lu, "
			 "the linear scan says %lu",
			 b->nbits, start, nr, mask, off, got, want);
}

/* The longest free run, counted plainly. */
static unsigned long plain_longest(const struct rbuf *b)
{
	unsigned long best = 0, run = 0;

	for (unsigned long g = 0; g < b->nbits; g++) {
		run = busy(b, g) ? 0 : run + 1;
		best = run > best ? run : best;
	}
	return best;
}

/* gp_runs_busy_from equals the plain scan for the next busy granule. */
static void check_busy_from(const struct rbuf *b, unsigned long pos, unsigned long limit)
{
	unsigned long want = gp_bitmap_find_next_bit(b->bits, limit, pos);
	unsigned long got = gp_runs_busy_from(&b->s.runs, pos, limit);

	if (got != (want < limit ? want : limit))
		fail_msg("nbits %lu: busy_from(%lu, limit %lu) = %lu, the linear scan says %lu",
			 b->nbits, pos, limit, got, want);
}

static void check_searches(const struct rbuf *b, uint64_t *seed, unsigned int tries)
{
	assert_int_equal(gp_runs_longest_exact(&b->s.runs), plain_longest(b));
	static const unsigned long lens[] = { 1, 2, 3, 7, 16, 32, 63, 64, 65, 100, 511,
					      512, 513, 1000, 4096, 9000 };

	for (unsigned int t = 0; t < tries; t++) {
		unsigned long nr = lens[rng_below(seed, sizeof(lens) / sizeof(lens[0]))];
		unsigned long start = rng_below(seed, 4) ? 0 : rng_below(seed, b->nbits + 8);
		unsigned long mask = 0, off = 0;

		if (rng_below(seed, 2)) {
			mask = (1UL << rng_below(seed, 11)) - 1;
			off = rng_below(seed, 2) ? rng_below(seed, mask + 1) : 0;
		}
		check_find(b, start, nr, mask, off);
		start = rng_below(seed, b->nbits);
		check_busy_from(b, start, start + rng_below(seed, b->nbits - start + 1));
	}
}

/* Set or clear [first, first + n) through the summary, as the pool does. */
static void flip(struct rbuf *b, unsigned long first, unsigned long n, bool set, bool locked)
{
	int rc = set ? gp_sum_claim(&b->s, first, n, locked)
		     : gp_sum_release(&b->s, first, n, locked);

	assert_int_equal(rc, 0);
}

/* Runs placed across every kind of boundary, then checked and searched. */
static void test_boundaries(void **state)
{
	static const unsigned long sizes[] = { 1, 63, 64, 65, 511, 512, 513, 8192, 8193,
					       3 * 8192 + 77, 131072 + 5 };
	uint64_t seed = 11;

	(void)state;
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		struct rbuf b;
		unsigned long n = sizes[z];

		rbuf_init(&b, n);
		assert_runs_exact(&b);
		check_searches(&b, &seed, 200);
		if (n > 2) { /* busy at both ends, one run in the middle */
			flip(&b, 0, 1, true, false);
			flip(&b, n - 1, 1, true, false);
			assert_runs_exact(&b);
		}
		/* a busy granule on each side of each word and node boundary */
		for (unsigned long edge = 64; edge + 1 < n; edge *= 8) {
			flip(&b, edge - 1, 2, true, edge & 1);
			assert_runs_exact(&b);
			check_searches(&b, &seed, 100);
			flip(&b, edge - 1, 1, false, false);
			assert_runs_exact(&b);
			check_searches(&b, &seed, 100);
		}
		rbuf_fini(&b);
	}
}

/*
 * A node that is not wholly free but whose pre rounds up to its span (a
 * free run of 500 of its 512 granules, then busy) is not passed as free
 * by gp_runs_busy_from: its pre and its suf cannot both round up so far.
 */
static void test_busy_from_nearly_free(void **state)
{
	const unsigned long span = GP_RUN_L1_WORDS * BPL, run = 500;
	struct rbuf b;

	(void)state;
	assert_true(gp_runs_round(run) >= span); /* the case this test is about */
	rbuf_init(&b, 4 * span);
	flip(&b, 0, 4 * span, true, false);
	flip(&b, span / 2, span / 2 + run, false, false); /* from node 0 into node 1 */
	assert_runs_exact(&b);
	check_busy_from(&b, span / 2, 4 * span);
	assert_int_equal(gp_runs_busy_from(&b.s.runs, span / 2, 4 * span), span + run);
	/* and as best fit sees it: this hole is the smaller one by 8 granules */
	flip(&b, 2 * span, span / 2 + run + 8, false, false);
	assert_int_equal(gp_runs_busy_from(&b.s.runs, 2 * span, 4 * span),
			 2 * span + span / 2 + run + 8);
	rbuf_fini(&b);
}

/* Random churn of random lengths, density swept up and down. */
static void churn(unsigned long nbits, uint64_t seed, unsigned int rounds)
{
	struct rbuf b;

	rbuf_init(&b, nbits);
	for (unsigned int r = 0; r < rounds; r++) {
		unsigned long len = 1 + rng_below(&seed, r % 3 ? 8 : 300);
		unsigned long at = rng_below(&seed, nbits);
		bool locked = rng_below(&seed, 2);

		if (len > nbits - at)
			len = nbits - at;
		/* claim when the range is free, release when it is all busy */
		if (gp_sum_claim(&b.s, at, len, locked) != 0 &&
		    gp_bitmap_range_set(b.bits, at, len) && (r / 500) % 2)
			flip(&b, at, len, false, locked);
		if (r % 97 == 0) {
			assert_runs_exact(&b);
			check_searches(&b, &seed, 50);
		}
	}
	assert_runs_exact(&b);
	check_searches(&b, &seed, 300);
	rbuf_fini(&b);
}

static void test_random(void **state)
{
	(void)state;
	churn(700, 1, 3000);
	churn(8192 * 3 + 1, 2, 6000);
	churn(70000, 3, 8000);
}

/* The rounding of every bound: exact below 64, within 12.5 %, monotone. */
static void test_rounding(void **state)
{
	unsigned long prev = 0;

	(void)state;
	for (unsigned long v = 0; v < 100000; v++) {
		unsigned long r = gp_runs_round(v);

		assert_true(r >= v);
		assert_true(r >= prev);
		if (v < 64)
			assert_int_equal(r, v);
		else
			assert_true(r - v <= v / 8);
		prev = r;
	}
	assert_int_equal(gp_runs_round(512), 512);
	assert_int_equal(gp_runs_round(511), 512);
	assert_int_equal(gp_runs_round(8192), 8192);
	assert_true(gp_runs_round(~0UL) == ~0UL);
	assert_true(gp_runs_round(1UL << 62) == 1UL << 62);
}

/* A chunk of six levels: bounds far above 2^21 still search exactly. */
static void test_big_chunk(void **state)
{
	struct rbuf b;
	unsigned long n = 1UL << 23;
	uint64_t seed = 5;

	(void)state;
	rbuf_init(&b, n);
	assert_true(b.s.runs.top >= 5);
	assert_int_equal(gp_runs_longest(&b.s.runs), n);
	check_find(&b, 0, n, 0, 0);
	check_find(&b, 0, n - 3, 0, 0);
	flip(&b, 3 * (n / 8), 1, true, false);
	flip(&b, 5 * (n / 8) + 3, 1, true, false);
	assert_runs_exact(&b);
	check_find(&b, 1, 1UL << 21, 0, 0);
	check_find(&b, 1, (1UL << 22) + 5, 0, 0);
	check_find(&b, 3 * (n / 8), 1UL << 21, (1UL << 20) - 1, 0);
	check_find(&b, 0, 1UL << 21, (1UL << 21) - 1, 7);
	check_searches(&b, &seed, 100);
	rbuf_fini(&b);
}

static void test_stale_found(void **state)
{
	struct rbuf b;
	unsigned int lv = 0;
	unsigned long nd = 0;

	(void)state;
	rbuf_init(&b, 8192 * 2);
	flip(&b, 700, 5, true, false);
	assert_runs_exact(&b);
	b.s.runs.lvl[1][1] ^= 1; /* pre of the node over granules 512..1023 */
	assert_true(gp_runs_find_stale(&b.s.runs, &lv, &nd));
	assert_int_equal(lv, 1);
	assert_int_equal(nd, 1);
	b.s.runs.lvl[1][1] ^= 1;
	b.s.runs.lvl[2][1] ^= 1U << 20; /* max of the second level-2 node */
	assert_true(gp_runs_find_stale(&b.s.runs, &lv, &nd));
	assert_int_equal(lv, 2);
	assert_int_equal(nd, 1);
	b.s.runs.lvl[2][1] ^= 1U << 20;
	assert_false(gp_runs_find_stale(&b.s.runs, &lv, &nd));
	rbuf_fini(&b);
}

/* A word of random busy runs: the layouts rule S must judge. */
static unsigned long runs_word(uint64_t *seed)
{
	unsigned long w = 0, at = rng_below(seed, 8), len;

	while (at < BPL) {
		len = 1 + rng_below(seed, rng_below(seed, 2) ? 4 : 40);
		if (rng_below(seed, 2))
			w |= (len >= BPL ? ~0UL : ((1UL << len) - 1)) << at;
		at += len;
	}
	return rng_below(seed, 16) ? w : (rng_below(seed, 2) ? 0 : ~0UL);
}

/*
 * Rule S (runs.c, U3) is sound only if it holds for EVERY value of the
 * node's other words, since they may be changing while it is applied:
 * for random nodes (bits written directly, the levels then built exactly)
 * and a random claim or release of part of one word, whenever
 * gp_runs_word_skips says the node need not be synced, the node as stored
 * must equal F of its children after the change. Node 0 of the chunk and
 * the chunk's padded last word are among the cases, as are words at a
 * node's edges, which must never be skipped when an edge moves.
 */
/* @b over @nbits granules of random words (runs_word), summaries computed. */
static void random_words(struct rbuf *b, unsigned long nbits, uint64_t *seed)
{
	rbuf_init(b, nbits);
	for (unsigned long w = 0; w < GP_BITS_TO_LONGS(nbits); w++)
		b->bits[w] = runs_word(seed);
	gp_sum_init(&b->s, b->bits, b->extra, nbits);
	gp_sum_attach_runs(&b->s, b->extra + gp_sum_extra_words(nbits));
}

static void test_rule_s(void **state)
{
	const unsigned long nbits = 3 * 512 - 37; /* the last node ends inside a word */
	unsigned long skipped = 0, w, was, now, at, len, mask;
	uint64_t seed = 23;
	struct rbuf b;

	(void)state;
	for (unsigned int t = 0; t < 40000; t++) {
		random_words(&b, nbits, &seed);
		w = t % 4 ? rng_below(&seed, GP_BITS_TO_LONGS(nbits)) : (t / 4 % 3) * 8;
		was = b.bits[w];
		at = rng_below(&seed, BPL);
		len = 1 + rng_below(&seed, BPL - at);
		mask = (len >= BPL ? ~0UL : ((1UL << len) - 1)) << at;
		now = rng_below(&seed, 2) ? was | mask : was & ~mask;
		b.bits[w] = now;
		if (gp_runs_word_skips(&b.s.runs, w, was, now)) {
			struct gp_run want = gp_runs_compute(&b.s.runs, 1, w / GP_RUN_L1_WORDS),
				      got = gp_runs_node(&b.s.runs, 1, w / GP_RUN_L1_WORDS);

			skipped += was != now;
			if (got.pre != want.pre || got.suf != want.suf || got.max != want.max)
				fail_msg("rule S skipped word %lu: %#lx -> %#lx, node %lu/%lu/%lu, "
					 "F %lu/%lu/%lu", w, was, now, got.pre, got.suf, got.max,
					 want.pre, want.suf, want.max);
		}
		rbuf_fini(&b);
	}
	assert_true(skipped > 1000); /* the rule clears real changes, not only no-ops */
}

/* Longest run of ones, bit by bit: the reference for rule S's self. */
static unsigned long ref_longest(unsigned long x)
{
	unsigned long best = 0, cur = 0;

	for (unsigned int i = 0; i < BPL; i++) {
		cur = x >> i & 1 ? cur + 1 : 0;
		best = cur > best ? cur : best;
	}
	return best;
}

/*
 * Rule S's decision for a word, from its definition (runs.c, U3): the
 * signature (zero, last busy bit, first busy bit but in word 0) must stay,
 * and the longest free run strictly between the busy bits (word 0: below
 * the last) must stay, or be below the node's max m before and at most m
 * after. Bounds below 64 are their own codes; a word's self is below 64.
 */
static bool ref_word_skips(unsigned long w, unsigned long was, unsigned long now,
			   unsigned long m)
{
	unsigned long la, lb, sa, sb;

	if (!was || !now)
		return was == now;
	if (63 - __builtin_clzl(was) != 63 - __builtin_clzl(now) ||
	    (w && __builtin_ctzl(was) != __builtin_ctzl(now)))
		return false;
	sa = ~was & ((1UL << (63 - __builtin_clzl(was))) - 1);
	sb = ~now & ((1UL << (63 - __builtin_clzl(now))) - 1);
	if (w) {
		sa &= ~((2UL << __builtin_ctzl(was)) - 1);
		sb &= ~((2UL << __builtin_ctzl(now)) - 1);
	}
	la = ref_longest(sa);
	lb = ref_longest(sb);
	return la == lb || m >= 64 || (la < m && lb <= m);
}

/*
 * Rule S decides exactly as its definition, no more (unsound: test_rule_s)
 * and no less (a lost skip costs a fold): gp_runs_word_skips's shortcuts
 * (has_run before counting runs) against runs counted bit by bit, on
 * random words and nodes whose max is often the changed word's own
 * longest run.
 */
static void test_rule_s_exact(void **state)
{
	const unsigned long nbits = 4 * 512;
	unsigned long w, was, now, at, len, mask, m, skips = 0;
	uint64_t seed = 29;
	struct rbuf b;
	bool got, want;

	(void)state;
	for (unsigned int t = 0; t < 40000; t++) {
		random_words(&b, nbits, &seed);
		w = rng_below(&seed, GP_BITS_TO_LONGS(nbits));
		was = b.bits[w];
		at = rng_below(&seed, BPL);
		len = 1 + rng_below(&seed, t % 2 ? 2 : BPL - at); /* often one or two granules */
		len = len < BPL - at ? len : BPL - at;
		mask = (len >= BPL ? ~0UL : ((1UL << len) - 1)) << at;
		now = rng_below(&seed, 2) ? was | mask : was & ~mask;
		b.bits[w] = now;
		m = gp_runs_node(&b.s.runs, 1, w / GP_RUN_L1_WORDS).max;
		got = gp_runs_word_skips(&b.s.runs, w, was, now);
		want = ref_word_skips(w, was, now, m);
		if (got != want)
			fail_msg("word %lu: %#lx -> %#lx, node max %lu: rule S says %d, its "
				 "definition %d", w, was, now, m, got, want);
		skips += got && was != now;
		rbuf_fini(&b);
	}
	assert_true(skips > 1000);
}

static void test_metadata_budget(void **state)
{
	(void)state;
	for (unsigned long n = 8192; n <= (1UL << 26); n = n * 4 + 1) {
		double words = (double)(GP_BITS_TO_LONGS(n) + gp_sum_extra_words(n) +
					gp_runs_extra_words(n));
		double bits_per_granule = words * BPL / (double)n;

		if (bits_per_granule > 1.1)
			fail_msg("%lu granules: %.4f bits per granule", n, bits_per_granule);
	}
}

/*
 * Through a pool: every built-in algorithm placed by the index equals the
 * same algorithm run on a private copy of the bitmap (the plain scan, the
 * kernel's code path), on holes placed across word and node boundaries,
 * with best-fit ties (two holes of the same size: the lower wins).
 */
static void test_pool_algorithms(void **state)
{
	static const unsigned long holes[][2] = { /* first granule, length */
		{ 60, 5 }, { 500, 14 }, { 1020, 9 }, { 2040, 14 }, { 4093, 33 },
		{ 8100, 70 }, { 9000, 9 }, { 12280, 200 }, { 16000, 64 },
	};
	const unsigned long n = 16384, base = 1UL << 40, order = 12;
	struct gen_pool *pool = gen_pool_create((int)order, -1);
	struct genpool_data_align al;
	struct genpool_data_fixed fx;
	unsigned long copy[16384 / 64];

	(void)state;
	assert_non_null(pool);
	assert_int_equal(gen_pool_add(pool, base, n << order, -1), 0);
	assert_int_equal(gen_pool_alloc(pool, n << order), base);
	for (size_t h = 0; h < sizeof(holes) / sizeof(holes[0]); h++)
		assert_int_equal(gen_pool_free(pool, base + (holes[h][0] << order),
					       holes[h][1] << order), 0);
	for (unsigned long nr = 1; nr <= 210; nr += (nr < 16 ? 1 : 13)) {
		struct {
			genpool_algo_t algo;
			void *data;
		} algos[] = { { gen_pool_first_fit, NULL }, { gen_pool_best_fit, NULL },
			      { gen_pool_first_fit_order_align, NULL },
			      { gen_pool_first_fit_align, &al }, { gen_pool_fixed_alloc, &fx } };

		al.align = (int)(8UL << order);
		fx.offset = 4093UL << order;
		for (size_t a = 0; a < sizeof(algos) / sizeof(algos[0]); a++) {
			unsigned long want, got;

			/* the plain scan on a copy: the kernel's answer */
			memset(copy, 0xff, sizeof(copy));
			for (size_t h = 0; h < sizeof(holes) / sizeof(holes[0]); h++)
				for (unsigned long g = holes[h][0]; g < holes[h][0] + holes[h][1]; g++)
					copy[g / BPL] &= ~(1UL << (g % BPL));
			want = algos[a].algo(copy, n, 0, (unsigned int)nr, algos[a].data, pool, base);
			want = want < n && nr <= n - want ? base + (want << order) : 0;
			got = gen_pool_alloc_algo(pool, nr << order, algos[a].algo, algos[a].data);
			if (got != want)
				fail_msg("algorithm %zu, %lu granules: pool gave %#lx, the plain scan %#lx",
					 a, nr, got, want);
			if (got)
				assert_int_equal(gen_pool_free(pool, got, nr << order), 0);
		}
	}
	/* best-fit ties: holes of 14 at 500 and 2040, of 9 at 1020 and 9000 */
	assert_int_equal(gen_pool_alloc_algo(pool, 14UL << order, gen_pool_best_fit, NULL),
			 base + (500UL << order));
	assert_int_equal(gen_pool_alloc_algo(pool, 9UL << order, gen_pool_best_fit, NULL),
			 base + (1020UL << order));
	assert_int_equal(gen_pool_alloc_algo(pool, 14UL << order, gen_pool_best_fit, NULL),
			 base + (2040UL << order));
	assert_int_equal(gen_pool_free(pool, base + (500UL << order), 14UL << order), 0);
	assert_int_equal(gen_pool_free(pool, base + (1020UL << order), 9UL << order), 0);
	assert_int_equal(gen_pool_free(pool, base + (2040UL << order), 14UL << order), 0);
	for (unsigned long g = 0, h = 0; g < n; h++) { /* the walls between the holes */
		unsigned long end = h < sizeof(holes) / sizeof(holes[0]) ? holes[h][0] : n;

		if (end > g)
			assert_int_equal(gen_pool_free(pool, base + (g << order), (end - g) << order),
					 0);
		g = h < sizeof(holes) / sizeof(holes[0]) ? holes[h][0] + holes[h][1] : n;
	}
	assert_int_equal(gen_pool_destroy(pool), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundaries),   cmocka_unit_test(test_random),
		cmocka_unit_test(test_rounding),     cmocka_unit_test(test_big_chunk),
		cmocka_unit_test(test_stale_found),     cmocka_unit_test(test_rule_s),
		cmocka_unit_test(test_rule_s_exact),
		cmocka_unit_test(test_busy_from_nearly_free),
		cmocka_unit_test(test_metadata_budget), cmocka_unit_test(test_pool_algorithms),
	};

	/* one test only (the mutant check runs the one that catches its bug) */
	if (getenv("TEST_RUNS_ONLY"))
		cmocka_set_test_filter(getenv("TEST_RUNS_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
