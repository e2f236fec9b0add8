/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_pool_algo.c - allocation algorithms through the pool, with exact
 * expected addresses: set_algo and custom algorithms, aligned, best-fit and
 * fixed allocation across chunks, a pool of more than 4 GiB, strict and
 * spinlock pools (one table-driven sequence run against every kind of
 * pool), and a claim that loses a simulated race and must roll back.
 *
 * The basic pool calls are tested in test_pool.c. Pool address ranges are
 * never touched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "genpool.h"
#include "pool_helpers.h"

#define BPL (sizeof(unsigned long) * CHAR_BIT)

/* ------------------------------------------------------------------------ */
/* Algorithms through the pool                                              */

struct algo_call {
	int calls;
	void *data;
	struct gen_pool *pool;
	unsigned long size, start, start_addr;
	unsigned int nr;
};

static unsigned long recording_fit(unsigned long *map, unsigned long size, unsigned long start,
				   unsigned int nr, void *data, struct gen_pool *pool,
				   unsigned long start_addr)
{
	struct algo_call *call = data;

	call->calls++;
	call->data = data;
	call->pool = pool;
	call->size = size;
	call->start = start;
	call->nr = nr;
	call->start_addr = start_addr;
	return gen_pool_first_fit(map, size, start, nr, NULL, pool, start_addr);
}

static void expect_call(const struct algo_call *call, struct gen_pool *pool,
			unsigned long size, unsigned int nr, unsigned long start_addr)
{
	assert_int_equal(call->calls, 1);
	assert_ptr_equal(call->data, call);
	assert_ptr_equal(call->pool, pool);
	assert_int_equal(call->size, size);
	assert_int_equal(call->start, 0);
	assert_int_equal(call->nr, nr);
	assert_int_equal(call->start_addr, start_addr);
}

static void set_algo_passes_data_pool_and_start(void **state)
{
	struct gen_pool *pool = new_pool(5); /* G = 32 */
	struct algo_call call = { 0 }, other = { 0 };

	(void)state;
	add_chunk(pool, 0x8000, 0x400); /* 32 granules */
	gen_pool_set_algo(pool, recording_fit, &call);
	expect_alloc(pool, 0x41, 0x8000);
	expect_call(&call, pool, 32, 3, 0x8000);
	/* alloc_algo overrides the pool's algorithm with its own data */
	memset(&call, 0, sizeof(call));
	expect_alloc_algo(pool, 0x20, recording_fit, &other, 0x8060);
	assert_int_equal(call.calls, 0);
	expect_call(&other, pool, 32, 1, 0x8000);
	/* NULL restores first fit: recording_fit is not called again */
	gen_pool_set_algo(pool, NULL, NULL);
	expect_alloc(pool, 0x20, 0x8080);
	assert_int_equal(call.calls, 0);
	assert_int_equal(other.calls, 1);
	expect_free(pool, 0x8000, 0x41);
	expect_free(pool, 0x8060, 0x20);
	expect_free(pool, 0x8080, 0x20);
	destroy_empty(pool);
}

#define BASE 0x100000UL

/*
 * Order 4 chunk of 64 granules at BASE, with free holes [2,5) and
 * [10,13) (length 3) and [20,24) (length 4); the rest allocated granule
 * by granule.
 */
static struct gen_pool *holey_pool(void)
{
	struct gen_pool *pool = new_pool(4);

	add_chunk(pool, BASE, 64 * 16);
	fill_granules(pool, BASE, 16, 64);
	for (unsigned long i = 2; i < 5; i++)
		expect_free(pool, BASE + i * 16, 16);
	for (unsigned long i = 10; i < 13; i++)
		expect_free(pool, BASE + i * 16, 16);
	for (unsigned long i = 20; i < 24; i++)
		expect_free(pool, BASE + i * 16, 16);
	return pool;
}

/* Non-strict pool: freeing a range granule by granule is allowed. */
static void drain_granules(struct gen_pool *pool, unsigned long base, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		expect_free(pool, base + i * 16, 16);
}

static void best_fit_pool_ties_pick_lowest(void **state)
{
	struct gen_pool *pool = holey_pool();

	(void)state;
	gen_pool_set_algo(pool, gen_pool_best_fit, NULL);
	expect_alloc(pool, 32, BASE + 2 * 16); /* [2,5) of len 3, before [10,13) */
	expect_alloc(pool, 48, BASE + 10 * 16);
	expect_alloc(pool, 48, BASE + 20 * 16);
	expect_alloc(pool, 16, BASE + 4 * 16);
	expect_alloc(pool, 16, BASE + 23 * 16);
	expect_full(pool, 16);
	drain_granules(pool, BASE, 64);
	destroy_empty(pool);
}

static void best_fit_pool_prefers_exact_hole(void **state)
{
	struct gen_pool *pool = holey_pool();

	(void)state;
	/* first fit takes the first hole, best fit the exact one */
	expect_alloc(pool, 64, BASE + 20 * 16);
	expect_free(pool, BASE + 20 * 16, 64);
	expect_alloc_algo(pool, 64, gen_pool_best_fit, NULL, BASE + 20 * 16);
	expect_free(pool, BASE + 20 * 16, 64);
	expect_alloc(pool, 16, BASE + 2 * 16);
	expect_alloc_algo(pool, 16, gen_pool_best_fit, NULL, BASE + 3 * 16);
	/* hole [10,13) is now the only one of length 3 */
	expect_alloc_algo(pool, 16, gen_pool_best_fit, NULL, BASE + 4 * 16);
	expect_alloc_algo(pool, 16, gen_pool_best_fit, NULL, BASE + 10 * 16);
	for (unsigned long i = 2; i < 5; i++)
		expect_free(pool, BASE + i * 16, 16);
	expect_free(pool, BASE + 10 * 16, 16);
	for (unsigned long i = 0; i < 64; i++)
		if (!(i >= 2 && i < 5) && !(i >= 10 && i < 13) && !(i >= 20 && i < 24))
			expect_free(pool, BASE + i * 16, 16);
	destroy_empty(pool);
}

static void order_align_pool_aligns_to_request(void **state)
{
	struct gen_pool *pool = new_pool(4);

	(void)state;
	add_chunk(pool, 0x10010, 0x400); /* alignment is relative to chunk start */
	expect_alloc(pool, 16, 0x10010);
	expect_alloc_algo(pool, 48, gen_pool_first_fit_order_align, NULL, 0x10010 + 4 * 16);
	expect_alloc_algo(pool, 16, gen_pool_first_fit_order_align, NULL, 0x10010 + 1 * 16);
	expect_alloc_algo(pool, 80, gen_pool_first_fit_order_align, NULL, 0x10010 + 8 * 16);
	expect_free(pool, 0x10010, 16);
	expect_free(pool, 0x10010 + 4 * 16, 48);
	expect_free(pool, 0x10010 + 1 * 16, 16);
	expect_free(pool, 0x10010 + 8 * 16, 80);
	destroy_empty(pool);
}

static void aligned_alloc_from_misaligned_chunk(void **state)
{
	struct gen_pool *pool = new_pool(8);

	(void)state;
	add_chunk(pool, 0x10100, 0x10000);
	expect_aligned(pool, 0x100, 0x1000, 0x11000);
	expect_aligned(pool, 0x1000, 0x1000, 0x12000);
	expect_alloc(pool, 0x100, 0x10100);
	expect_aligned(pool, 0x100, 0x200, 0x10200);
	expect_aligned(pool, 0x100, 0x200, 0x10400);
	/* align below the granule: first fit */
	expect_aligned(pool, 0x100, 0x10, 0x10300);
	expect_free(pool, 0x11000, 0x100);
	expect_free(pool, 0x12000, 0x1000);
	expect_free(pool, 0x10100, 0x100);
	expect_free(pool, 0x10200, 0x100);
	expect_free(pool, 0x10400, 0x100);
	expect_free(pool, 0x10300, 0x100);
	destroy_empty(pool);
}

static void fixed_alloc_tries_each_chunk(void **state)
{
	struct gen_pool *pool = new_pool(8);

	(void)state;
	add_chunk(pool, 0x10000, 0x2000); /* A: 32 granules */
	add_chunk(pool, 0x20000, 0x1000); /* B: 16 granules, newest */
	expect_fixed(pool, 0x100, 0x200, 0x20200);
	expect_fixed(pool, 0x100, 0x200, 0x10200);
	expect_fixed_fails(pool, 0x100, 0x200);
	/* granules 3,4 free in both: B first */
	expect_fixed(pool, 0x200, 0x300, 0x20300);
	/* [1,3) overlaps busy granule 2 in both chunks */
	expect_fixed_fails(pool, 0x200, 0x100);
	/* past B's end: only A has offset 0x1800 */
	expect_fixed(pool, 0x100, 0x1800, 0x11800);
	expect_fixed_fails(pool, 0x100, 0x2000);
	expect_fixed(pool, 0x100, 0xf00, 0x20f00);
	expect_avail(pool, 0x3000 - 0x600);
	expect_free(pool, 0x20200, 0x100);
	expect_free(pool, 0x10200, 0x100);
	expect_free(pool, 0x20300, 0x200);
	expect_free(pool, 0x11800, 0x100);
	expect_free(pool, 0x20f00, 0x100);
	destroy_empty(pool);
}

/* ------------------------------------------------------------------------ */
/* A pool of more than 4 GiB of address space (never touched)               */

static void big_pool_addresses_above_4g(void **state)
{
	const unsigned long base = (unsigned long)1 << 40;
	const size_t gib = (size_t)1 << 30;
	struct gen_pool *pool;

	(void)state;
	if (sizeof(unsigned long) < 8)
		skip();
	pool = new_pool(12);
	assert_int_equal(gen_pool_add(pool, base, 16 * gib, -1), 0);
	assert_int_equal(gen_pool_size(pool), 16 * gib);
	expect_alloc(pool, 8 * gib, base);
	expect_alloc(pool, 4 * gib, base + 8 * gib);
	expect_alloc(pool, 4096, base + 12 * gib);
	expect_avail(pool, 4 * gib - 4096);
	expect_full(pool, 4 * gib);
	expect_alloc(pool, 4 * gib - 4096, base + 12 * gib + 4096);
	expect_avail(pool, 0);
	assert_true(gen_pool_has_addr(pool, base + 15 * gib, gib));
	assert_false(gen_pool_has_addr(pool, base + 15 * gib, gib + 1));
	expect_free(pool, base, 8 * gib);
	expect_fixed(pool, gib, 5 * gib, base + 5 * gib);
	/* holes [0,5G) and [6G,8G): best fit takes the exact one */
	expect_alloc_algo(pool, 2 * gib, gen_pool_best_fit, NULL, base + 6 * gib);
	expect_alloc(pool, gib, base);
	expect_avail(pool, 4 * gib);
	expect_free(pool, base, gib);
	expect_free(pool, base + 5 * gib, gib);
	expect_free(pool, base + 6 * gib, 2 * gib);
	expect_free(pool, base + 8 * gib, 4 * gib);
	expect_free(pool, base + 12 * gib, 4096);
	expect_free(pool, base + 12 * gib + 4096, 4 * gib - 4096);
	destroy_empty(pool);
}

/* ------------------------------------------------------------------------ */
/* Strict and spinlock pools                                                */

static void strict_free_with_right_size_succeeds(void **state)
{
	struct gen_pool *pool = new_pool_flags(8, GEN_POOL_STRICT);

	(void)state;
	add_chunk(pool, 0x10000, 0x1000);
	expect_alloc(pool, 0x200, 0x10000);
	expect_alloc(pool, 0x300, 0x10200);
	expect_alloc(pool, 0x100, 0x10500);
	expect_free(pool, 0x10200, 0x300);
	expect_free(pool, 0x10000, 0x200);
	/* the freed ranges merge: a larger allocation can reuse them */
	expect_alloc(pool, 0x500, 0x10000);
	expect_free(pool, 0x10000, 0x500);
	expect_free(pool, 0x10500, 0x100);
	destroy_empty(pool);
}

enum step_op { ALLOC, FREE };

struct step {
	enum step_op op;
	int slot;
	size_t size;
	genpool_algo_t algo;
	void *data;
	unsigned long expect; /* ALLOC: the address, 0 for ENOMEM */
};

#define SEQ_A 0x100000UL /* 64 granules of 64 bytes, added first */
#define SEQ_B 0x200000UL /* 32 granules, newest */
#define SEQ_SLOTS 12

static struct genpool_data_fixed seq_fixed = { .offset = 0x100 };
static struct genpool_data_align seq_align = { .align = 0x200 };

/* Expected addresses worked out by hand from the kernel algorithms. */
static const struct step sequence[] = {
	{ ALLOC, 0, 0x40, NULL, NULL, SEQ_B },
	{ ALLOC, 1, 0x100, NULL, NULL, SEQ_B + 0x40 },		/* B 1..4 */
	{ ALLOC, 2, 0x600, NULL, NULL, SEQ_B + 0x140 },		/* B 5..28 */
	{ ALLOC, 3, 0x100, NULL, NULL, SEQ_A },			/* B has 3 left */
	{ FREE, 1, 0x100, NULL, NULL, 0 },
	/* B holes [1,5) and [29,32): the smaller */
	{ ALLOC, 4, 0x80, gen_pool_best_fit, NULL, SEQ_B + 29 * 0x40 },
	{ ALLOC, 5, 0x40, NULL, NULL, SEQ_B + 0x40 },
	{ ALLOC, 6, 0x40, gen_pool_fixed_alloc, &seq_fixed, SEQ_B + 0x100 },
	{ ALLOC, 7, 0x40, gen_pool_fixed_alloc, &seq_fixed, SEQ_A + 0x100 },
	/* nr 4: B's free 2,3 and 31 do not fit; A's 5 rounds to 8 */
	{ ALLOC, 8, 0x100, gen_pool_first_fit_order_align, NULL, SEQ_A + 0x200 },
	/* 8-granule alignment: B's 8 busy, 32 past the end; A's 8 busy -> 16 */
	{ ALLOC, 9, 0x40, gen_pool_first_fit_align, &seq_align, SEQ_A + 0x400 },
	{ ALLOC, 10, 0x1000, NULL, NULL, 0 },
	{ FREE, 0, 0x40, NULL, NULL, 0 },
	{ ALLOC, 11, 0x40, NULL, NULL, SEQ_B },
	{ FREE, 2, 0x600, NULL, NULL, 0 },
	/* 23 granules: best fit within B (the newest chunk) first */
	{ ALLOC, 2, 0x5c0, gen_pool_best_fit, NULL, SEQ_B + 0x140 },
	/* A: [5,8), [12,16) too small -> 17 */
	{ ALLOC, 1, 0x5c0, NULL, NULL, SEQ_A + 17 * 0x40 },
};

static size_t granules_bytes(size_t size)
{
	return (size + 0x3f) & ~(size_t)0x3f;
}

static void run_step(struct gen_pool *pool, const struct step *s, unsigned long *slots,
		     size_t *used)
{
	if (s->op == FREE) {
		expect_free(pool, slots[s->slot], s->size);
		slots[s->slot] = 0;
		*used -= granules_bytes(s->size);
		return;
	}
	if (!s->expect) {
		expect_alloc_fails(pool, s->size, s->algo, s->data);
		return;
	}
	expect_alloc_algo(pool, s->size, s->algo, s->data, s->expect);
	slots[s->slot] = s->expect;
	*used += granules_bytes(s->size);
}

static void free_slots(struct gen_pool *pool, const unsigned long *slots)
{
	size_t sizes[SEQ_SLOTS] = { 0 };

	/* the last size each slot was allocated with */
	for (size_t i = 0; i < sizeof(sequence) / sizeof(sequence[0]); i++)
		if (sequence[i].op == ALLOC && sequence[i].expect)
			sizes[sequence[i].slot] = sequence[i].size;
	for (int i = 0; i < SEQ_SLOTS; i++)
		if (slots[i])
			expect_free(pool, slots[i], sizes[i]);
}

static void run_sequence(unsigned int flags)
{
	struct gen_pool *pool = new_pool_flags(6, flags);
	unsigned long slots[SEQ_SLOTS] = { 0 };
	size_t used = 0;

	add_chunk(pool, SEQ_A, 64 * 0x40);
	add_chunk(pool, SEQ_B, 32 * 0x40);
	for (size_t i = 0; i < sizeof(sequence) / sizeof(sequence[0]); i++) {
		run_step(pool, &sequence[i], slots, &used);
		expect_avail(pool, 96 * 0x40 - used);
	}
	free_slots(pool, slots);
	destroy_empty(pool);
}

static void sequence_lock_free(void **state)
{
	(void)state;
	run_sequence(0);
}

static void sequence_spinlock(void **state)
{
	(void)state;
	run_sequence(GEN_POOL_SPINLOCK);
}

static void sequence_strict(void **state)
{
	(void)state;
	run_sequence(GEN_POOL_STRICT);
}

static void sequence_spinlock_strict(void **state)
{
	(void)state;
	run_sequence(GEN_POOL_SPINLOCK | GEN_POOL_STRICT);
}

/* ------------------------------------------------------------------------ */
/* A claim that loses a (simulated) race and rolls back                     */

/*
 * Chunk of 8 words of granules. The request spans words 0, 1 and 2; on its
 * first call the algorithm finds bit 0 with first fit, then sets RACE_BIT in
 * word 2 behind the pool's back, as a concurrent allocator would, and
 * returns 0. The claim sets words 0 and 1, fails on word 2, must clear words
 * 0 and 1 again and retry; the retry (first fit) lands just after RACE_BIT.
 * The pool never counted RACE_BIT as allocated, so once everything the pool
 * handed out is freed, avail equals size although RACE_BIT is still set.
 */
#define RACE_ORDER 4
#define RACE_G (1UL << RACE_ORDER)
#define RACE_BASE 0x400000UL
#define RACE_BITS (8 * BPL)
#define RACE_BIT (2 * BPL + 2)
#define RACE_NR (2 * BPL + 22)

struct race {
	int calls;
	unsigned long first;
	bool rolled_back; /* at the retry, [0, RACE_BIT) was clear again */
	unsigned long map[8];
};

static unsigned long racing_fit(unsigned long *map, unsigned long size, unsigned long start,
				unsigned int nr, void *data, struct gen_pool *pool,
				unsigned long start_addr)
{
	struct race *race = data;
	unsigned long bit = gen_pool_first_fit(map, size, start, nr, NULL, pool, start_addr);

	if (race->calls++ == 0) {
		race->first = bit;
		__atomic_fetch_or(&map[RACE_BIT / BPL], 1UL << (RACE_BIT % BPL), __ATOMIC_SEQ_CST);
	} else if (race->calls == 2) {
		race->rolled_back = true;
		for (unsigned long i = 0; i < RACE_BIT; i++)
			if (__atomic_load_n(&map[i / BPL], __ATOMIC_SEQ_CST) & (1UL << (i % BPL)))
				race->rolled_back = false;
	}
	return bit;
}

/* Copies the live bitmap and fits nothing. */
static unsigned long peek_map(unsigned long *map, unsigned long size, unsigned long start,
			      unsigned int nr, void *data, struct gen_pool *pool,
			      unsigned long start_addr)
{
	struct race *race = data;

	(void)start;
	(void)nr;
	(void)pool;
	(void)start_addr;
	assert_int_equal(size, RACE_BITS);
	for (unsigned long i = 0; i < 8; i++)
		race->map[i] = __atomic_load_n(&map[i], __ATOMIC_SEQ_CST);
	return size;
}

/* Clears RACE_BIT again (test cleanup) and fits nothing. */
static unsigned long unrace(unsigned long *map, unsigned long size, unsigned long start,
			    unsigned int nr, void *data, struct gen_pool *pool,
			    unsigned long start_addr)
{
	(void)start;
	(void)nr;
	(void)data;
	(void)pool;
	(void)start_addr;
	__atomic_fetch_and(&map[RACE_BIT / BPL], ~(1UL << (RACE_BIT % BPL)), __ATOMIC_SEQ_CST);
	return size;
}

static bool race_bit_set(const struct race *race, unsigned long bit)
{
	return (race->map[bit / BPL] >> (bit % BPL)) & 1;
}

/* The map holds exactly [lo, hi) plus RACE_BIT. */
static void expect_map(struct gen_pool *pool, struct race *race, unsigned long lo,
		       unsigned long hi)
{
	expect_alloc_fails(pool, RACE_G, peek_map, race);
	for (unsigned long i = 0; i < RACE_BITS; i++)
		assert_int_equal(race_bit_set(race, i), i == RACE_BIT || (i >= lo && i < hi));
}

static void run_lost_race(unsigned int flags)
{
	struct gen_pool *pool = new_pool_flags(RACE_ORDER, flags);
	struct race race = { 0 };
	const unsigned long after = RACE_BASE + (RACE_BIT + 1) * RACE_G;

	add_chunk(pool, RACE_BASE, RACE_BITS * RACE_G);
	expect_alloc_algo(pool, RACE_NR * RACE_G, racing_fit, &race, after);
	assert_int_equal(race.calls, 2);
	assert_int_equal(race.first, 0);
	assert_true(race.rolled_back);
	expect_avail(pool, (RACE_BITS - RACE_NR) * RACE_G);
	/* words 0 and 1 were rolled back; only RACE_BIT and the run are set */
	expect_map(pool, &race, RACE_BIT + 1, RACE_BIT + 1 + RACE_NR);
	expect_fixed(pool, RACE_BIT * RACE_G, 0, RACE_BASE);
	expect_fixed_fails(pool, RACE_G, RACE_BIT * RACE_G);
	expect_avail(pool, (RACE_BITS - RACE_NR - RACE_BIT) * RACE_G);
	/* free what the pool handed out: RACE_BIT was never counted */
	expect_free(pool, RACE_BASE, RACE_BIT * RACE_G);
	expect_free(pool, after, RACE_NR * RACE_G);
	expect_avail(pool, RACE_BITS * RACE_G);
	expect_map(pool, &race, 0, 0);
	expect_alloc_fails(pool, RACE_G, unrace, NULL);
	destroy_empty(pool);
}

static void lost_race_rolls_back_lock_free(void **state)
{
	(void)state;
	run_lost_race(0);
}

static void lost_race_rolls_back_spinlock(void **state)
{
	(void)state;
	run_lost_race(GEN_POOL_SPINLOCK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_algo_passes_data_pool_and_start),
		cmocka_unit_test(best_fit_pool_ties_pick_lowest),
		cmocka_unit_test(best_fit_pool_prefers_exact_hole),
		cmocka_unit_test(order_align_pool_aligns_to_request),
		cmocka_unit_test(aligned_alloc_from_misaligned_chunk),
		cmocka_unit_test(fixed_alloc_tries_each_chunk),
		cmocka_unit_test(big_pool_addresses_above_4g),
		cmocka_unit_test(strict_free_with_right_size_succeeds),
		cmocka_unit_test(sequence_lock_free),
		cmocka_unit_test(sequence_spinlock),
		cmocka_unit_test(sequence_strict),
		cmocka_unit_test(sequence_spinlock_strict),
		cmocka_unit_test(lost_race_rolls_back_lock_free),
		cmocka_unit_test(lost_race_rolls_back_spinlock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
