// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * runs.c - the free-run summaries of runs.h: their layout, their lock-free
 * upkeep and the search through them.
 *
 * F. A node's bounds are a left-to-right fold of its children's, then
 * rounded up (gp_runs_round). A child that may be wholly free (pre >= its
 * span) extends the current run by its span; any other child ends the
 * current run (current run + child's pre is a candidate for max, and for
 * pre if it is the first such child), contributes its own max, and starts
 * a new current run with its suf. Bitmap words are the children of level
 * 1, exactly (pre = trailing zeros, suf = leading zeros, max = the longest
 * zero run). Every step is monotone, so bounds of children fold to bounds
 * of the parent. The chunk's first node at each level keeps pre 0: no run
 * reaches it from the left and the search never weighs it whole (it starts
 * in the bitmap and climbs only past it), so its pre is never a carry; its
 * parent, also first, then sees a busy child whose max and suf still bound
 * everything, and churn at the chunk's first granules (first fit's
 * favourite place) never climbs. The percpu allocator's and
 * the maple tree's known bugs were at exactly these merges (a boundary run
 * forgotten, a hint left stale): test_runs.c checks F against a recount on
 * bitmaps with runs across word and node boundaries.
 *
 * Upkeep (invariant T of runs.h). Let N be a node, C its children.
 *  U1  Every change of a child is a seq_cst read-modify-write: the bitmap
 *      claims and releases of bitmap.c (their CASes and rollbacks) and the
 *      node CASes below. Whoever changes a child of N then syncs N.
 *  U2  sync(N) loops: seq_cst loads of C; compute F(C); seq_cst load of N;
 *      if equal, stop; else CAS N to F(C) (seq_cst), load C and N again,
 *      and loop. A thread whose CAS changed N then syncs N's parent; one
 *      that found N right leaves that to whoever changed it.
 * Claim: at quiescence N = F(C). The accesses involved are all seq_cst, so
 * they lie in one total order S that agrees with each thread's program
 * order and each location's modification order. Let M be the last change
 * of a child in S and X the last successful CAS of N. If X follows M, X's
 * thread loads C and N after X, hence after M: the final children and the
 * final N; it stopped, so it found them equal (a CAS from the final value
 * would be a later change of N). If M follows X, M's thread syncs N (U1)
 * and loads C and N after M, hence after X: the final values again, and it
 * stopped on equality for the same reason. Either way N = F(final C).
 * Levels compose: each node CAS is itself a child change covered by U1 one
 * level up.
 *  U3  Rule S: a thread that changed child c of N from `was` to `now` (one
 *      seq_cst RMW; a node, or a chunk's slot, changed by one CAS of its
 *      sync) may skip sync(N)
 *      if, with N loaded (seq_cst) after the change as n, F(C[c:=now]) = n
 *      for EVERY children vector C with C[c] = was and F(C) = n: a test of
 *      was, now and n alone (child_skips), never of the other children,
 *      which may be changing.
 * Claim with U3: let X be the last successful CAS of N (or N's initial
 * computation) and M1..Mr the child changes after X. Take a round R of U2
 * that ended on equality with all its loads after X: if some Mi was
 * followed by a full sync, the final round of the last such Mi; else X's
 * own re-check round (its loads follow X, and it ended on equality, for a
 * CAS from the final value would be a later change of N). R loaded n = the
 * final N (no CAS follows X) and F(R's children) = n. The changes of a
 * child after R loaded it come after X and after every full-synced Mi, so
 * each skipped its sync under U3 with n. Apply them to R's children in S
 * order: each child's first such change has `was` = what R loaded (S
 * agrees with its modification order), so each step keeps F = n by U3's
 * "every C"; the result is the final children. So F(final C) = final N.
 * A test that also read neighbouring children would not be sound: two
 * claims shrinking the node's one longest run from both ends could each
 * see the other's half and skip. On x86 seq_cst costs nothing over what the claim already does
 * (lock cmpxchg; seq_cst loads are plain moves), so unlike the "full" bits
 * (summary.c) no fence is needed.
 *
 * Cost. A change that rule S clears costs a load of the node; any other
 * folds its level-1 node (the 8 words of the line it just wrote) and
 * compares; it writes the node only when a bound moves to another rounding
 * step, and climbs only while nodes change and rule S does not clear the
 * change one level up. Level 1 is synced inline (gp_runs_sync), the levels
 * above out of line (sync_from), where children's maxima stay codes
 * (fold_upper). Searches
 * read nodes relaxed: hints, as in summary.c.
 */
#include "runs.h"

#include "atomic.h"
#include "bitmap.h"
#include "mutant.h"
#include "testpoint.h"

#define BPL GP_BITS_PER_LONG
#define NONE (~0UL)
#define FIELD_BITS 10
#define FIELD_MASK ((1U << FIELD_BITS) - 1)
_Static_assert(GP_RUN_MAX_SHIFT == 2 * FIELD_BITS, "the max code is the node's top field");

static inline unsigned long span_of(unsigned int k)
{
	return k == 0 ? BPL : (BPL * GP_RUN_L1_WORDS) << (4 * (k - 1));
}

/* Nodes of level k - 1 under one node of level @k. */
static inline unsigned long fan(unsigned int k)
{
	return k == 1 ? GP_RUN_L1_WORDS : GP_RUN_FANOUT;
}

static inline unsigned long max2(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

static inline unsigned long sat_add(unsigned long a, unsigned long b)
{
	return a + b < a ? ~0UL : a + b;
}

#define CODE_L1_SPAN (64 + (6 - 3) * 8) /* 512 = 8 << 6: a level-1 node's span */

/*
 * The 10-bit code of a bound: 0..63 as themselves, then (8 + m) << (e + 3)
 * as 64 + 8e + m, m < 8: four significant bits, rounded up.
 */
static uint32_t code_of(unsigned long v)
{
	unsigned long e, m;

	if (v < 64)
		return (uint32_t)v;
	if (v == 512) /* a level-1 node's span: the commonest large bound */
		return CODE_L1_SPAN;
	e = BPL - 1 - (unsigned long)__builtin_clzl(v) - 3;
	m = (v >> e) + ((v & ((1UL << e) - 1)) != 0);
	if (m == 16) {
		e++;
		m = 8;
	}
	return (uint32_t)(64 + (e - 3) * 8 + (m - 8));
}

static inline unsigned long value_of(uint32_t c)
{
	unsigned long e;

	if (c < 64)
		return c;
	c -= 64;
	e = c / 8 + 3;
	return e + 4 >= BPL ? ~0UL : (8UL + c % 8) << e;
}

unsigned long gp_runs_round(unsigned long v)
{
	return value_of(code_of(v));
}

static uint32_t encode(struct gp_run n)
{
	return code_of(n.pre) | code_of(n.suf) << FIELD_BITS | code_of(n.max) << (2 * FIELD_BITS);
}

static struct gp_run decode(uint32_t v)
{
	return (struct gp_run){ value_of(v & FIELD_MASK), value_of(v >> FIELD_BITS & FIELD_MASK),
				value_of(v >> (2 * FIELD_BITS) & FIELD_MASK) };
}

size_t gp_runs_extra_words(unsigned long nbits)
{
	unsigned long n = GP_BITS_TO_LONGS(nbits), nodes = 0;

	n = (n + GP_RUN_L1_WORDS - 1) / GP_RUN_L1_WORDS;
	nodes += n;
	while (n > 1) {
		n = (n + GP_RUN_FANOUT - 1) / GP_RUN_FANOUT;
		nodes += n;
	}
	return (nodes + 1) / 2; /* two 32-bit nodes a word; each level is word-aligned below */
}

/* Bitmap word @w's value as F sees it: padding past the chunk's end is busy. */
static inline unsigned long padded(const struct gp_runs *r, unsigned long w, unsigned long v)
{
	if (w == r->nodes[0] - 1 && r->nbits % BPL)
		v |= ~GP_LAST_WORD_MASK(r->nbits);
	return v;
}

/* Bitmap word @w as level 1 sees it: granules past the end count as busy. */
static unsigned long word_at(const struct gp_runs *r, unsigned long w)
{
	unsigned long v;

	if (w >= r->nodes[0])
		return ~0UL;
	/* seq_cst: U2's load of a child (see the claim above) */
	v = gp_atomic_load_seq_cst(&r->bitmap[w]);
	return padded(r, w, v);
}

struct gp_run gp_runs_node(const struct gp_runs *r, unsigned int k, unsigned long i)
{
	if (i >= r->nodes[k])
		return (struct gp_run){ 0, 0, 0 }; /* past the end: busy */
	/* relaxed: a hint for searches and checks (see the top of the file) */
	return decode(gp_atomic_load_relaxed(&r->lvl[k][i]));
}

/* The fold of F: the current run, and pre/max once a busy child was met. */
struct fold {
	unsigned long pre, run, max;
	bool busy;
};

/*
 * Longest run of ones of @x: one step per run, as a bitmap word holds few
 * (a word of single-granule holes, 32 runs, is the worst case).
 */
static unsigned long longest_ones(unsigned long x)
{
	unsigned long best = 0, len;

	if (x == ~0UL)
		return BPL;
	while (x) {
		x >>= __builtin_ctzl(x); /* the run starts at bit 0; zeros come in on top */
		/* ~x != 0: x != ~0 was checked, or a shift brought in zeros */
		len = (unsigned long)__builtin_ctzl(~x);
		best = max2(best, len);
		x >>= len; /* len < 64, by the same argument */
	}
	return best;
}

/* Has @x a run of at least @len ones, 1 <= @len < 64? A few shifts, no loop per run. */
static inline bool has_run(unsigned long x, unsigned long len)
{
	unsigned long have = 1; /* bit i of x: bits i .. i + have - 1 all set */

	for (; 2 * have <= len; have *= 2)
		x &= x >> have;
	if (have < len)
		x &= x >> (len - have); /* len - have < have: the two runs overlap */
	return x != 0;
}

static inline __attribute__((always_inline)) void fold_word(struct fold *f, unsigned long v)
{
	unsigned long lo, hi, x;

	if (!v) {
		f->run += BPL;
		return;
	}
	lo = (unsigned long)__builtin_ctzl(v);
	hi = BPL - 1 - (unsigned long)__builtin_clzl(v);
	if (!f->busy) {
		f->pre = f->run + lo;
		f->busy = true;
	}
	/* the run that crosses into this word from the left ends at bit lo */
	f->max = max2(f->max, (GP_MUTANT(GP_MUT_RUN_NO_CROSS) ? 0 : f->run) + lo);
	if (hi - lo > f->max + 1) { /* only then can a run strictly inside be longer */
		x = ~v & ((1UL << hi) - 1) & ~((2UL << lo) - 1);
		/* counting the runs only when one beats the max: most words of a
		 * fragmented line hold several short runs and none that does */
		if (has_run(x, f->max + 1))
			f->max = max2(f->max, longest_ones(x));
	}
	f->run = BPL - 1 - hi;
}

/*
 * Rule S (runs.h, gp_runs_word_skips; the argument is at the top of the
 * file). F sees a child through a signature and one more number, "self":
 * for a bitmap word the signature is whether it is zero, its first busy bit
 * and its last, and self the longest run of free bits between them (for the
 * chunk's word 0, whose first free bits no run enters from the left and
 * whose node's pre is pinned at 0, its low run joins self instead); for a
 * node, whether it may be wholly free, its pre and its suf, and self its
 * max. Self enters F only through the max, and rounding is monotone, so
 * the max code of F is the larger of self's code and the code of the rest.
 */
struct child_view {
	unsigned long sig;
	uint32_t self; /* code */
};

/*
 * A word's signature: whether it is free, else its last busy bit and (not
 * word 0) its first. For two nonzero values with the same signature, the
 * window of free bits that make up their selfs (between the first and the
 * last busy bit; word 0: all below its last); else 0, with *@same false.
 */
static inline unsigned long self_window(unsigned long w, unsigned long was, unsigned long now,
					bool *same)
{
	unsigned long hi = (unsigned long)__builtin_clzl(was), lo;

	*same = (unsigned long)__builtin_clzl(now) == hi;
	if (!*same)
		return 0;
	hi = (1UL << (BPL - 1 - hi)) - 1; /* the bits below the last busy one */
	if (!w)
		return hi;
	lo = (unsigned long)__builtin_ctzl(was);
	*same = (unsigned long)__builtin_ctzl(now) == lo;
	return hi & ~((2UL << lo) - 1);
}

/* The code of a node's span at level @k: a bound is >= the span iff its code is >= this. */
static inline uint32_t span_code(unsigned int k)
{
	return k == 1 ? CODE_L1_SPAN : code_of(span_of(k)); /* code_of rounds up */
}

/* A node's view, as a child of a node whose children's span has code @full. */
static inline struct child_view node_view(uint32_t v, uint32_t full)
{
	if ((v & FIELD_MASK) >= full) /* may be wholly free: F adds its span */
		return (struct child_view){ 1, 0 };
	return (struct child_view){ 2 + (v & ((1U << (2 * FIELD_BITS)) - 1)), v >> (2 * FIELD_BITS) };
}

/*
 * For a child whose signature did not change and whose self went from
 * code @was to code @now, in a node whose max code is @m (loaded after the
 * change): does F of the node stay what it holds, for every value of its
 * other children with which the two agree? Yes when self's code stayed,
 * or stayed at or below m from below it (a run that was not the longest
 * shrank, or one grew no longer than the longest). A claim that shrinks
 * the node's longest run, and every change of a signature, still syncs.
 */
static bool self_rule(uint32_t was, uint32_t now, uint32_t m)
{
	if (was == now)
		return true;
	if (GP_MUTANT(GP_MUT_RUN_SKIP_LOOSE))
		return was <= m && now <= m;
	return was < m && now <= m;
}

/* A node's max code; seq_cst, after the change: rule S's load of the node. */
static inline uint32_t max_code(const uint32_t *node)
{
	return gp_atomic_load_seq_cst(node) >> (2 * FIELD_BITS);
}

bool gp_runs_word_skips(const struct gp_runs *r, unsigned long w, unsigned long was,
			unsigned long now)
{
	unsigned long xa, xb, window;
	uint32_t m;
	bool same;

	was = padded(r, w, was);
	now = padded(r, w, now);
	if (!was || !now) /* both free: nothing F sees changed */
		return !was && !now;
	window = self_window(w, was, now, &same);
	if (!same)
		return false;
	xa = ~was & window;
	xb = ~now & window;
	m = max_code(&r->lvl[1][w / GP_RUN_L1_WORDS]);
	/* a nonzero word's self is below 64, where codes are values: if neither
	 * word has a run of m, both selfs are below m, and self_rule says yes.
	 * One probe of the union answers for both (has_run is monotone in its
	 * bits), and loses nothing for a claim or a release, where one of the
	 * two holds the other. */
	if (m >= 64 || (m && !has_run(xa | xb, m)))
		return true;
	return self_rule(code_of(xa ? longest_ones(xa) : 0), code_of(xb ? longest_ones(xb) : 0),
			 m);
}

/* Rule S for a node of level @k that changed from @was to @now, one level up. */
static inline bool node_skips(const struct gp_runs *r, unsigned int k, unsigned long i,
			      uint32_t was, uint32_t now)
{
	struct child_view a = node_view(was, span_code(k)), b = node_view(now, span_code(k));

	return a.sig == b.sig &&
	       (a.self == b.self ||
		self_rule(a.self, b.self, max_code(&r->lvl[k + 1][i / GP_RUN_FANOUT])));
}

/* A node's children as read for one evaluation of F. */
_Static_assert(GP_RUN_L1_WORDS == 8, "snap_read unrolls a level-1 node's loads");

struct snap {
	uint64_t c[GP_RUN_FANOUT];
};

/* U2's loads of the children of node @i of level @k (seq_cst). */
static inline __attribute__((always_inline)) void snap_read(const struct gp_runs *r, unsigned int k, unsigned long i, struct snap *s)
{
	unsigned long c = i * fan(k), j;

	if (k == 1) {
		if (c + GP_RUN_L1_WORDS < r->nodes[0]) { /* not the last: no padding */
			/* unrolled: the compiler keeps a loop of atomic loads */
			const unsigned long *b = &r->bitmap[c];

			s->c[0] = gp_atomic_load_seq_cst(&b[0]);
			s->c[1] = gp_atomic_load_seq_cst(&b[1]);
			s->c[2] = gp_atomic_load_seq_cst(&b[2]);
			s->c[3] = gp_atomic_load_seq_cst(&b[3]);
			s->c[4] = gp_atomic_load_seq_cst(&b[4]);
			s->c[5] = gp_atomic_load_seq_cst(&b[5]);
			s->c[6] = gp_atomic_load_seq_cst(&b[6]);
			s->c[7] = gp_atomic_load_seq_cst(&b[7]);
		} else {
			for (j = 0; j < GP_RUN_L1_WORDS; j++)
				s->c[j] = word_at(r, c + j);
		}
		return;
	}
	if (c + GP_RUN_FANOUT <= r->nodes[k - 1]) { /* not the last: no bound per child */
		const uint32_t *kids = &r->lvl[k - 1][c];

#pragma GCC unroll 16
		for (j = 0; j < GP_RUN_FANOUT; j++)
			s->c[j] = gp_atomic_load_seq_cst(&kids[j]);
		return;
	}
	for (j = 0; j < GP_RUN_FANOUT; j++, c++)
		s->c[j] = c < r->nodes[k - 1] ? gp_atomic_load_seq_cst(&r->lvl[k - 1][c])
					      : 0; /* past the end: busy */
}

/* Load the children again; true when they all read as in @s (else @s gets them). */
static inline __attribute__((always_inline)) bool snap_unchanged(const struct gp_runs *r, unsigned int k, unsigned long i,
			   struct snap *s)
{
	struct snap again;

	uint64_t diff = 0;

	snap_read(r, k, i, &again);
	if (k == 1) /* unrolled, as the loads */
		diff = (again.c[0] ^ s->c[0]) | (again.c[1] ^ s->c[1]) | (again.c[2] ^ s->c[2]) |
		       (again.c[3] ^ s->c[3]) | (again.c[4] ^ s->c[4]) | (again.c[5] ^ s->c[5]) |
		       (again.c[6] ^ s->c[6]) | (again.c[7] ^ s->c[7]);
	else
		for (unsigned long j = 0; j < GP_RUN_FANOUT; j++)
			diff |= again.c[j] ^ s->c[j]; /* no branch per child: a change is rare */
	if (diff)
		*s = again;
	return !diff;
}

/* The node's bounds from the fold, the chunk's first node's pre 0 (see F). */
static struct gp_run fold_done(const struct fold *f, unsigned long i)
{
	struct gp_run n;

	if (!f->busy)
		n = (struct gp_run){ f->run, f->run, f->run };
	else
		n = (struct gp_run){ f->pre, f->run, max2(f->max, f->run) };
	if (i == 0)
		n.pre = 0;
	return n;
}

/* F of a level-1 node: the fold of its 8 words. */
static inline __attribute__((always_inline)) uint32_t fold_l1(const uint64_t *w, unsigned long i)
{
	struct fold f = { 0, 0, 0, false };

#pragma GCC unroll 8
	for (unsigned long j = 0; j < GP_RUN_L1_WORDS; j++)
		fold_word(&f, w[j]);
	return encode(fold_done(&f, i));
}

/*
 * F of a node of level @k >= 2, as fold_child over its decoded children,
 * but with each child's own max kept as a code: codes are monotone and
 * every stored code is code_of of its value, so the code of a max is the
 * max of the codes. Only the bounds that add up (a run carried across
 * children: pre and suf) are decoded: two decodes a child instead of three,
 * and one encode of the max instead of a decode per child.
 */
static uint32_t fold_upper(const struct snap *s, unsigned int k, unsigned long i)
{
	unsigned long span = span_of(k - 1), run = 0, pre = 0, sum = 0, cross;
	uint32_t full = span_code(k - 1), maxc = 0, c, pc;
	bool busy = false;

	for (unsigned long j = 0; j < GP_RUN_FANOUT; j++) {
		c = (uint32_t)s->c[j];
		pc = c & FIELD_MASK;
		if (pc >= full) { /* may be wholly free */
			run = sat_add(run, span);
			continue;
		}
		/* the run that ends in this child */
		cross = sat_add(GP_MUTANT(GP_MUT_RUN_UPPER_NO_CROSS) ? 0 : run, value_of(pc));
		sum = max2(sum, cross);
		if (!busy) {
			pre = cross;
			busy = true;
		}
		maxc = c >> (2 * FIELD_BITS) > maxc ? c >> (2 * FIELD_BITS) : maxc;
		run = value_of(c >> FIELD_BITS & FIELD_MASK);
	}
	if (!busy) /* as fold_done: the chunk's first node keeps pre 0 */
		return encode((struct gp_run){ i == 0 ? 0 : run, run, run });
	sum = max2(sum, run);
	c = code_of(sum);
	return (i == 0 ? 0 : code_of(pre)) | code_of(run) << FIELD_BITS |
	       (c > maxc ? c : maxc) << (2 * FIELD_BITS);
}

/* F over a snapshot, encoded. */
static inline __attribute__((always_inline)) uint32_t fold_snap(const struct snap *s, unsigned int k, unsigned long i)
{
	if (k == 1)
		return fold_l1(s->c, i);
	return fold_upper(s, k, i);
}

struct gp_run gp_runs_compute(const struct gp_runs *r, unsigned int k, unsigned long i)
{
	struct snap s;

	snap_read(r, k, i, &s);
	return decode(fold_snap(&s, k, i));
}

/*
 * U2 for node @i of level @k: how many times this call changed the node;
 * the last change went from *@was to *@now.
 */
static inline __attribute__((always_inline)) unsigned int
sync_node(struct gp_runs *r, unsigned int k, unsigned long i, uint32_t *was, uint32_t *now)
{
	uint32_t *node = &r->lvl[k][i], v, u;
	unsigned int changes = 0;
	struct snap s;

	snap_read(r, k, i, &s);
	for (;;) {
		v = fold_snap(&s, k, i);
		u = gp_atomic_load_seq_cst(node);
		if (u == v)
			return changes;
		GP_TESTPOINT(GP_TP_RUN_BEFORE_CAS);
		if (gp_atomic_cas_seq_cst(node, &u, v)) {
			changes++;
			*was = u;
			*now = v;
		}
		/* U2's next round, short-cut: unchanged children fold to v again */
		if (snap_unchanged(r, k, i, &s) && gp_atomic_load_seq_cst(node) == v)
			return changes;
	}
}

/*
 * U2 for a node whose children are @n 32-bit nodes at @kids, with F
 * @want (the slot: a copy of its one child; the group: the max of its
 * children's max). The same loop as sync_node, without the fold: how many
 * times this call changed the node, the last from *@was to *@now.
 */
static unsigned int sync_flat(uint32_t *node, const uint32_t *kids, unsigned long n,
			      uint32_t (*want)(const uint32_t *kids, unsigned long n),
			      uint32_t *was, uint32_t *now)
{
	unsigned int changes = 0;
	uint32_t v, u;

	for (;;) {
		v = want(kids, n);
		u = gp_atomic_load_seq_cst(node);
		if (u == v)
			return changes;
		if (gp_atomic_cas_seq_cst(node, &u, v)) {
			changes++;
			*was = u;
			*now = v;
		}
	}
}

/*
 * Rule S for a group node (U3), after a slot changed once from @was to
 * @now: F of a group is the max of its slots' max codes, so a slot is a
 * child with an empty signature whose self is its max code. The group
 * stays right for every value of the other slots when the code stayed,
 * or was below the group's and is at most it now. During a fill of many
 * chunks every claim moves its chunk's slot, while the group's max is an
 * untouched chunk's: this saves a max over 64 slots per claim.
 */
static bool group_skips(const uint32_t *group, uint32_t was, uint32_t now)
{
	return self_rule(was >> GP_RUN_MAX_SHIFT, now >> GP_RUN_MAX_SHIFT, max_code(group));
}

static uint32_t copy_of(const uint32_t *kids, unsigned long n)
{
	(void)n;
	return gp_atomic_load_seq_cst(kids);
}

static uint32_t max_of(const uint32_t *kids, unsigned long n)
{
	uint32_t m = 0, c;

	for (unsigned long j = 0; j < n; j++) {
		c = gp_atomic_load_seq_cst(&kids[j]) >> (2 * FIELD_BITS); /* codes are monotone */
		m = c > m ? c : m;
	}
	return m << (2 * FIELD_BITS);
}

uint32_t gp_runs_slot_want(const struct gp_runs *r)
{
	return copy_of(r->lvl[r->top], 1);
}

uint32_t gp_runs_group_want(const uint32_t *group_slots)
{
	return max_of(group_slots, GP_RUN_GROUP);
}

unsigned long gp_runs_max_of(uint32_t node)
{
	return decode(node).max;
}

uint32_t gp_runs_max_code_for(unsigned long nbits)
{
	/* code_of rounds up: the least code whose value is >= nbits */
	return code_of(nbits);
}

/*
 * The chunk's slot and its group (slots.h), after the top node changed,
 * last from @was to @now. The slot is set before the chunk is published,
 * and every thread that changes the chunk's bits found it through an
 * acquire of that publication.
 */
static void sync_slot(struct gp_runs *r, uint32_t was, uint32_t now)
{
	unsigned int n;

	if (!r->slot)
		return;
	n = sync_flat(r->slot, r->lvl[r->top], 1, copy_of, &was, &now);
	if (n && !(n == 1 && group_skips(r->group, was, now)))
		sync_flat(r->group, r->group_slots, GP_RUN_GROUP, max_of, &was, &now);
}

/* U1 from level @k >= 2 up, node @i: out of line, as most syncs stop at level 1. */
static __attribute__((noinline)) void sync_from(struct gp_runs *r, unsigned int k,
						unsigned long i)
{
	uint32_t was = 0, now = 0;
	unsigned int n;

	for (; k <= r->top; k++, i /= GP_RUN_FANOUT) {
		n = sync_node(r, k, i, &was, &now);
		if (!n)
			return;
		/* rule S one level up, for a node that changed once (U3) */
		if (k < r->top && n == 1 && node_skips(r, k, i, was, now))
			return;
	}
	sync_slot(r, was, now);
}

/* Level 1 inline, its constants folded in: the one level nearly every change syncs. */
void gp_runs_sync(struct gp_runs *r, unsigned long w)
{
	unsigned long i = w / GP_RUN_L1_WORDS;
	uint32_t was = 0, now = 0;
	unsigned int n = sync_node(r, 1, i, &was, &now);

	if (!n)
		return;
	if (r->top == 1)
		sync_slot(r, was, now);
	else if (!(n == 1 && node_skips(r, 1, i, was, now)))
		sync_from(r, 2, i / GP_RUN_FANOUT);
}

void gp_runs_attach_slot(struct gp_runs *r, uint32_t *slot, uint32_t *group,
			 const uint32_t *group_slots)
{
	uint32_t was, now;

	r->slot = slot; /* before publication: see gp_runs_sync */
	r->group = group;
	r->group_slots = group_slots;
	if (sync_flat(slot, r->lvl[r->top], 1, copy_of, &was, &now))
		sync_flat(group, group_slots, GP_RUN_GROUP, max_of, &was, &now);
}

void gp_runs_init(struct gp_runs *r, const unsigned long *bitmap, unsigned long *extra,
		  unsigned long nbits)
{
	uint32_t *next = (uint32_t *)extra;
	unsigned int k;
	struct snap s;

	r->nbits = nbits;
	r->bitmap = bitmap;
	r->slot = r->group = NULL; /* until gp_runs_attach_slot */
	r->group_slots = NULL;
	r->nodes[0] = GP_BITS_TO_LONGS(nbits);
	r->nodes[1] = (r->nodes[0] + GP_RUN_L1_WORDS - 1) / GP_RUN_L1_WORDS;
	for (k = 1;; k++) {
		r->lvl[k] = next;
		next += r->nodes[k];
		if (r->nodes[k] == 1)
			break;
		r->nodes[k + 1] = (r->nodes[k] + GP_RUN_FANOUT - 1) / GP_RUN_FANOUT;
	}
	r->top = k;
	/* bottom up, so each level folds finished children; private: no race */
	for (k = 1; k <= r->top; k++) {
		for (unsigned long i = 0; i < r->nodes[k]; i++) {
			snap_read(r, k, i, &s);
			r->lvl[k][i] = fold_snap(&s, k, i);
		}
	}
}

unsigned long gp_runs_longest(const struct gp_runs *r)
{
	return gp_runs_node(r, r->top, 0).max;
}

unsigned long gp_runs_longest_exact(const struct gp_runs *r)
{
	unsigned long lo = 0, hi = gp_runs_longest(r), mid; /* a run of lo fits, none of > hi */

	if (hi > r->nbits)
		hi = r->nbits;
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (gp_runs_find(r, 0, mid, 0, 0) < r->nbits)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* Lowest p >= s, p + off a multiple of mask + 1, with [p, p + nr) inside [s, e). */
static unsigned long fit_in(unsigned long s, unsigned long e, unsigned long nr,
			    unsigned long mask, unsigned long off)
{
	unsigned long p = ((s + off + mask) & ~mask) - off;

	return p >= s && p <= e && e - p >= nr ? p : NONE;
}

/* The first fit inside bitmap word @v (at granule @base), run by run. */
static unsigned long word_fit(unsigned long v, unsigned long base, unsigned long nr,
			      unsigned long mask, unsigned long off)
{
	unsigned long x = ~v, s, e, rest, p;

	while (x) {
		s = (unsigned long)__builtin_ctzl(x);
		rest = v >> s;
		e = rest ? s + (unsigned long)__builtin_ctzl(rest) : BPL;
		p = fit_in(base + s, base + e, nr, mask, off);
		if (p != NONE)
			return p;
		if (e == BPL || (GP_MUTANT(GP_MUT_RUN_SKIP_ALIGNED) && mask))
			break;
		x &= ~0UL << e;
	}
	return NONE;
}

/* A bitmap word as the search sees it: granules below @start count as busy. */
static unsigned long word_from(const struct gp_runs *r, unsigned long w, unsigned long start)
{
	unsigned long v = word_at(r, w);

	if (w * BPL < start)
		v |= ~GP_FIRST_WORD_MASK(start);
	return v;
}

/*
 * The free run that ends at granule @pos and starts at @from or later,
 * exactly; @bound (>= the run) limits the words read.
 */
static unsigned long run_before(const struct gp_runs *r, unsigned long pos, unsigned long from,
				unsigned long bound)
{
	unsigned long n = 0, w, v, below, most = pos - from;

	while (n < bound && n < most) {
		w = (pos - 1) / BPL;
		below = pos - w * BPL; /* granules of word w before pos: 1..64 */
		v = word_at(r, w) & GP_LAST_WORD_MASK(below);
		if (v) {
			n += below - 1 - (BPL - 1 - (unsigned long)__builtin_clzl(v));
			break;
		}
		n += below;
		pos = w * BPL;
	}
	return n < most ? n : most;
}

/*
 * Pass over the nodes of level @k >= 1 from *@i to the end of their parent
 * (or of the level), carrying the free run that ends where each begins.
 * True, with *@i that node, at the first one a fit may start before or
 * inside: the carry and its pre, or its max, may reach @nr. The max test
 * compares codes (@nr_code = code_of(@nr); codes are monotone, so the max
 * reaches @nr exactly when its code reaches @nr's), and pre is decoded only
 * when a carry could make it count: F gives every node pre <= max (a node
 * is one 32-bit value, so a racing reader still sees one F's output), hence
 * with no carry a node whose max misses @nr has a pre that misses it too.
 * This loop is most of a search: nodes are skipped far more often than
 * entered.
 */
static bool pass_nodes(const struct gp_runs *r, unsigned int k, unsigned long *i,
		       unsigned long *carry, unsigned long nr, uint32_t nr_code)
{
	unsigned long end = (*i | (fan(k + 1) - 1)) + 1, span = span_of(k), pre;
	const uint32_t *lvl = r->lvl[k];
	uint32_t v;

	if (end > r->nodes[k])
		end = r->nodes[k];
	for (; *i < end; ++*i) {
		/* relaxed: a hint (see the top of the file) */
		v = gp_atomic_load_relaxed(&lvl[*i]);
		if (v >> (2 * FIELD_BITS) >= nr_code)
			return true;
		pre = value_of(v & FIELD_MASK);
		if (*carry && sat_add(*carry, pre) >= nr)
			return true;
		*carry = pre >= span ? sat_add(*carry, span) : value_of(v >> FIELD_BITS & FIELD_MASK);
	}
	return false;
}

/*
 * Left to right from @start (from the top node down when @start is the
 * chunk's start), with the free run that ends where the current node
 * begins (the carry; exact in the bitmap, a bound above it). A node is
 * looked inside when the carry and its pre, or its max, may reach @nr;
 * else it is passed over (pass_nodes). In the bitmap a fit is checked
 * exactly, after the carry is made exact by counting back. Climb at a
 * parent's boundary. Positions only move forward, so a stale node costs a
 * detour, never a loop. Bounds never hide a fit, so at quiescence each
 * maximal run is met in address order and tested at its lowest aligned
 * point: the first fit found is the lowest, as the kernel's linear search
 * finds it.
 */
unsigned long gp_runs_find(const struct gp_runs *r, unsigned long start, unsigned long nr,
			   unsigned long mask, unsigned long off)
{
	unsigned long i = start / BPL, carry = 0, base, p, v, pre;
	uint32_t nr_code = code_of(nr);
	unsigned int k = 0;
	bool exact = true;

	if (start >= r->nbits)
		return r->nbits;
	if (!start) { /* the whole chunk: from the top down, not from the first word up */
		k = r->top;
		i = 0;
	}
	for (;;) {
		if (i >= r->nodes[k])
			return r->nbits;
		if (k == 0) {
			base = i * BPL;
			if (!exact)
				carry = run_before(r, base, start, carry);
			exact = true;
			v = word_from(r, i, start);
			pre = v ? (unsigned long)__builtin_ctzl(v) : BPL;
			if (carry + pre >= nr) {
				p = fit_in(base - carry, base + pre, nr, mask, off);
				if (p != NONE)
					return p;
			}
			p = v ? word_fit(v, base, nr, mask, off) : NONE;
			if (p != NONE)
				return p;
			carry = v ? (unsigned long)__builtin_clzl(v) : carry + BPL;
			i++;
		} else {
			unsigned long from = i;
			bool in = pass_nodes(r, k, &i, &carry, nr, nr_code);

			exact = exact && i == from; /* a passed node leaves a bound */
			if (in) {
				k--; /* a fit may start before or inside: look in */
				i *= fan(k + 1);
				continue;
			}
		}
		for (; k < r->top && i % fan(k + 1) == 0; k++)
			i /= fan(k + 1);
	}
}

/*
 * Is level-1 node value @v wholly free, at quiescence for certain? Its pre
 * and its suf both reach @span. A level-1 node is F of its words, each
 * bound the true run rounded up once, by less than an eighth (runs.h); a
 * node with a busy granule has pre + suf < span, so both bounds could
 * reach the span only if the true runs, each above 8/9 of it, summed past
 * it. Not so above level 1: F folds a child whose pre rounded up to its
 * span as wholly free (fold_child), so a parent can read as free over a
 * busy granule (test_runs.c has the case). While threads race a stale node
 * may say so wrongly; the caller then measures a hole too long, a hint
 * like any other (nothing is claimed on its strength).
 */
static bool node_free(uint32_t v, unsigned long span)
{
	uint32_t c = code_of(span);

	return (v & FIELD_MASK) >= c &&
	       (GP_MUTANT(GP_MUT_RUN_FREE_PRE_ONLY) || (v >> FIELD_BITS & FIELD_MASK) >= c);
}

/*
 * Left to right from @pos in the bitmap, passing each wholly free
 * level-1 node in one step (node_free) and reading the words of any
 * other: the first busy bit is exact. Level 1 only, not above (see
 * node_free); a long free run costs a node read per 512 granules.
 */
unsigned long gp_runs_busy_from(const struct gp_runs *r, unsigned long pos, unsigned long limit)
{
	const unsigned long span = span_of(1), first = pos / BPL;
	unsigned long w = first, v;

	while (w * BPL < limit) {
		/* relaxed: a hint (see the top of the file) */
		if (w % GP_RUN_L1_WORDS == 0 && w * BPL + span <= limit &&
		    node_free(gp_atomic_load_relaxed(&r->lvl[1][w / GP_RUN_L1_WORDS]), span)) {
			w += GP_RUN_L1_WORDS;
			continue;
		}
		v = word_at(r, w);
		if (w == first)
			v &= GP_FIRST_WORD_MASK(pos);
		if (v) {
			v = w * BPL + (unsigned long)__builtin_ctzl(v);
			return v < limit ? v : limit;
		}
		w++;
	}
	return limit;
}

bool gp_runs_find_stale(const struct gp_runs *r, unsigned int *level, unsigned long *node)
{
	struct snap s;

	for (unsigned int k = 1; k <= r->top; k++) {
		for (unsigned long i = 0; i < r->nodes[k]; i++) {
			snap_read(r, k, i, &s);
			if (gp_atomic_load_relaxed(&r->lvl[k][i]) != fold_snap(&s, k, i)) {
				*level = k;
				*node = i;
				return true;
			}
		}
	}
	return false;
}
