// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_slots.c - the pool-level summary over the chunks (src/slots.c): a
 * slot per chunk (a copy of its top free-run node) and a group node per 64
 * slots (the max of theirs).
 *  - gp_runs_max_code_for(n) is the least max code whose bound is >= n, so
 *    the walk's compare of codes skips exactly the nodes that cannot hold n;
 *  - in a pool of 200 chunks of assorted sizes (four groups), first fit
 *    through the walk equals first fit over a model of the bitmaps, newest
 *    chunk first, for random sizes, while random frees punch holes: no chunk
 *    with room is skipped;
 *  - after every call every slot and group node equals its F
 *    (gp_slots_find_stale): also while a fill moves one chunk's slot on
 *    every claim and the group node is left to rule S (runs.c, group_skips);
 *  - a removed chunk's slot is reused when no live chunk is above it: a pool
 *    that removes its newest chunk and adds one, a thousand times, keeps
 *    its slot count, while a slot below a live one stays, so first fit
 *    still meets the chunks newest first (mutant slots_no_trim).
 * Small enough for memcheck and TSan: 8000 claims, then 12000 random calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rng_helpers.h"
#include "runs.h"
#include "slots.h"

#define ORDER 4
#define G (1UL << ORDER)
#define NCH 200
#define BASE (1UL << 40)

static void max_code_for_is_least(void **state)
{
	(void)state;
	for (unsigned long n = 1; n < (1UL << 34); n = n < 5000 ? n + 1 : n + n / 7) {
		uint32_t c = gp_runs_max_code_for(n);

		if (gp_runs_max_of(c << GP_RUN_MAX_SHIFT) < n)
			fail_msg("%lu granules: code %u bounds only %lu", n, c,
				 gp_runs_max_of(c << GP_RUN_MAX_SHIFT));
		if (c && gp_runs_max_of((c - 1) << GP_RUN_MAX_SHIFT) >= n)
			fail_msg("%lu granules: code %u - 1 already bounds %lu", n, c,
				 gp_runs_max_of((c - 1) << GP_RUN_MAX_SHIFT));
	}
}

/* The test's model: one bitmap per chunk, set = allocated. */
struct mchunk {
	unsigned long start, nbits;
	unsigned char *busy;
};

static struct mchunk ch[NCH];

static void add_chunks(struct gen_pool *pool, uint64_t *r)
{
	unsigned long addr = BASE;

	for (int i = 0; i < NCH; i++) {
		ch[i].nbits = 40 + rng_below(r, i % 7 ? 300 : 3000);
		ch[i].start = addr;
		ch[i].busy = calloc(ch[i].nbits, 1);
		assert_non_null(ch[i].busy);
		assert_int_equal(gen_pool_add(pool, addr, ch[i].nbits * G, -1), 0);
		addr += (ch[i].nbits + 64) * G;
	}
}

/* First fit over the model: the newest chunk with a run of @n, its lowest. */
static unsigned long model_first_fit(unsigned long n, int *ci)
{
	for (int i = NCH - 1; i >= 0; i--) {
		unsigned long run = 0;

		for (unsigned long b = 0; b < ch[i].nbits; b++) {
			run = ch[i].busy[b] ? 0 : run + 1;
			if (run == n) {
				*ci = i;
				return ch[i].start + (b + 1 - n) * G;
			}
		}
	}
	return 0;
}

static void mark(int i, unsigned long addr, unsigned long n, unsigned char v)
{
	memset(ch[i].busy + (addr - ch[i].start) / G, v, n);
}

static void expect_fresh(struct gen_pool *pool, const char *when, unsigned long step)
{
	unsigned long slot;

	if (gp_slots_find_stale(pool, &slot))
		fail_msg("%s, step %lu: slot %lu (or its group) is stale at quiescence", when,
			 step, slot);
}

/* Allocate @n granules by first fit and check it against the model. */
static unsigned long alloc_checked(struct gen_pool *pool, unsigned long n, unsigned long step)
{
	int ci = -1;
	unsigned long want = model_first_fit(n, &ci), got = gen_pool_alloc(pool, n * G);

	if (got != want)
		fail_msg("step %lu, %lu granules: the walk gave %#lx, first fit over the model %#lx",
			 step, n, got, want);
	if (got)
		mark(ci, got, n, 1);
	return got;
}

static void walk_is_first_fit_and_slots_stay_exact(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	uint64_t r = 41;
	struct held {
		unsigned long addr, n;
	} *held = calloc(100000, sizeof(*held));
	unsigned long nheld = 0, step = 0;

	(void)state;
	assert_non_null(pool);
	assert_non_null(held);
	add_chunks(pool, &r);
	/* a fill of 1-granule claims, newest chunk first: the group rule's case */
	for (; step < 8000; step++) {
		unsigned long a = alloc_checked(pool, 1, step);

		assert_true(a != 0);
		held[nheld++] = (struct held){ a, 1 };
		if (step % 97 == 0)
			expect_fresh(pool, "fill", step);
	}
	expect_fresh(pool, "fill", step);
	/* random sizes, random frees */
	for (; step < 20000; step++) {
		if (nheld && rng_below(&r, 5) < 2) {
			unsigned long k = rng_below(&r, nheld);

			assert_int_equal(gen_pool_free(pool, held[k].addr, held[k].n * G), 0);
			for (int i = 0; i < NCH; i++)
				if (held[k].addr >= ch[i].start &&
				    held[k].addr < ch[i].start + ch[i].nbits * G)
					mark(i, held[k].addr, held[k].n, 0);
			held[k] = held[--nheld];
		} else {
			unsigned long n = 1 + rng_below(&r, rng_below(&r, 4) ? 8 : 400);
			unsigned long a = alloc_checked(pool, n, step);

			if (a)
				held[nheld++] = (struct held){ a, n };
		}
		expect_fresh(pool, "churn", step);
	}
	while (nheld) {
		nheld--;
		assert_int_equal(gen_pool_free(pool, held[nheld].addr, held[nheld].n * G), 0);
	}
	expect_fresh(pool, "emptied", step);
	assert_int_equal(gen_pool_avail(pool), gen_pool_size(pool));
	assert_int_equal(gen_pool_destroy(pool), 0);
	for (int i = 0; i < NCH; i++)
		free(ch[i].busy);
	free(held);
}

/* Add the chunk of @n granules at @addr; the pool's slot count after. */
static unsigned long add_at(struct gen_pool *pool, unsigned long addr, unsigned long n)
{
	assert_int_equal(gen_pool_add(pool, addr, n * G, -1), 0);
	return pool->nslots;
}

static void removed_newest_slot_is_reused(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	const unsigned long a = BASE, b = BASE + (1UL << 30), c = BASE + (2UL << 30);
	unsigned long held;

	(void)state;
	assert_non_null(pool);
	assert_int_equal(add_at(pool, a, 100), 1);
	assert_int_equal(add_at(pool, b, 200), 2);
	/* the newest goes and comes back: always the same slot */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(gen_pool_remove_chunk(pool, b), 0);
		assert_int_equal(pool->nslots, 1);
		assert_int_equal(add_at(pool, b, 200), 2);
	}
	expect_fresh(pool, "newest removed and added", 1000);
	/* a slot below a live one stays: c above a keeps its place over b's */
	assert_int_equal(add_at(pool, c, 300), 3);
	assert_int_equal(gen_pool_remove_chunk(pool, b), 0);
	assert_int_equal(pool->nslots, 3);
	/* first fit: newest first, so c's first granule, then a's */
	held = gen_pool_alloc(pool, 250 * G);
	assert_int_equal(held, c);
	assert_int_equal(gen_pool_alloc(pool, 60 * G), a);
	expect_fresh(pool, "a slot below a live one", 0);
	/* c goes too: both slots above a come back */
	assert_int_equal(gen_pool_free(pool, held, 250 * G), 0);
	assert_int_equal(gen_pool_remove_chunk(pool, c), 0);
	assert_int_equal(pool->nslots, 1);
	assert_int_equal(add_at(pool, b, 200), 2);
	assert_int_equal(gen_pool_alloc(pool, 10 * G), b); /* the newest again */
	expect_fresh(pool, "after both came back", 0);
	assert_int_equal(gen_pool_free(pool, b, 10 * G), 0);
	assert_int_equal(gen_pool_free(pool, a, 60 * G), 0);
	assert_int_equal(gen_pool_avail(pool), gen_pool_size(pool));
	assert_int_equal(gen_pool_destroy(pool), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(max_code_for_is_least),
		cmocka_unit_test(walk_is_first_fit_and_slots_stay_exact),
		cmocka_unit_test(removed_newest_slot_is_reused),
	};

	if (getenv("TEST_SLOTS_ONLY"))
		cmocka_set_test_filter(getenv("TEST_SLOTS_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
