/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_stats.c - gen_pool_get_stats, gen_pool_reset_high_water and
 * gen_pool_dump_stats: every field after exact sequences of calls (one
 * thread, and several threads taking turns, where high_water must still be
 * the exact peak), every refusal, the partial-struct contract, the JSON
 * lines, and counts at quiescence after threads raced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_helpers.h"
#include "genpool.h"

static struct gen_pool_stats stats_of(struct gen_pool *pool)
{
	struct gen_pool_stats st;

	assert_int_equal(gen_pool_get_stats(pool, &st, sizeof(st)), 0);
	return st;
}

/* The fields a test usually checks, in bytes and counts. */
static void expect_counts(struct gen_pool *pool, unsigned long long allocs,
			  unsigned long long frees, unsigned long long failed,
			  unsigned long long refused, size_t high_water)
{
	struct gen_pool_stats st = stats_of(pool);

	assert_int_equal(st.allocs, allocs);
	assert_int_equal(st.frees, frees);
	assert_int_equal(st.failed, failed);
	assert_int_equal(st.refused, refused);
	assert_int_equal(st.high_water, high_water);
}

static void fresh_pool_is_empty(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	struct gen_pool_stats st;

	(void)state;
	st = stats_of(pool);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.largest_free, 0);
	assert_int_equal(st.chunks, 0);
	assert_int_equal(gen_pool_add(pool, BASE_A, 32 * G, -1), 0);
	assert_int_equal(gen_pool_add(pool, BASE_B, 16 * G, -1), 0);
	st = stats_of(pool);
	assert_int_equal(st.size, 48 * G);
	assert_int_equal(st.avail, 48 * G);
	assert_int_equal(st.cached, 0);
	assert_int_equal(st.largest_free, 32 * G);
	assert_int_equal(st.chunks, 2);
	expect_counts(pool, 0, 0, 0, 0, 0);
	assert_int_equal(st.imports, 0);
	assert_int_equal(st.releases, 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void counts_follow_calls(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	unsigned long a, b, c;
	dma_addr_t dma;

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 32 * G, -1), 0);
	a = gen_pool_alloc(pool, 3 * G);
	b = gen_pool_alloc(pool, 5 * G - 1); /* rounds up to 5 granules */
	expect_counts(pool, 2, 0, 0, 0, 8 * G);
	assert_int_equal(gen_pool_free(pool, a, 3 * G), 0);
	expect_counts(pool, 2, 1, 0, 0, 8 * G);
	c = (unsigned long)gen_pool_dma_alloc(pool, 2 * G, &dma); /* 7 allocated: below the peak */
	expect_counts(pool, 3, 1, 0, 0, 8 * G);
	a = gen_pool_alloc(pool, 2 * G); /* 9: a new peak */
	expect_counts(pool, 4, 1, 0, 0, 9 * G);
	assert_int_equal(gen_pool_alloc(pool, 64 * G), 0); /* ENOMEM */
	expect_counts(pool, 4, 1, 1, 0, 9 * G);
	assert_int_equal(stats_of(pool).avail, 23 * G);
	assert_int_equal(gen_pool_free(pool, a, 2 * G), 0);
	assert_int_equal(gen_pool_free(pool, b, 5 * G), 0);
	assert_int_equal(gen_pool_free_owner(pool, c, 2 * G, NULL), 0);
	expect_counts(pool, 4, 4, 1, 0, 9 * G);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* Every refusal on a pool counts once in refused and changes nothing else. */
static void refusals_are_counted(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	struct genpool_data_align bad = { .align = 3 };
	struct gen_pool_stats st;
	unsigned long a;

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 32 * G, -1), 0);
	a = gen_pool_alloc(pool, G);
	assert_int_equal(gen_pool_alloc(pool, 0), 0);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_alloc_algo(pool, G, gen_pool_first_fit_align, &bad), 0);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_free(pool, a + G, G), -EINVAL); /* never allocated */
	expect_report(EINVAL);
	assert_int_equal(gen_pool_free(pool, a, 0), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_add(pool, BASE_A, G, -1), -EEXIST);
	expect_report(EEXIST);
	gen_pool_set_algo(pool, gen_pool_first_fit_align, &bad);
	expect_report(EINVAL);
	gen_pool_for_each_chunk(pool, NULL, NULL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_get_stats(pool, NULL, sizeof(st)), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_get_stats(pool, &st, 0), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_dump_stats(pool, NULL), -EINVAL);
	expect_report(EINVAL);
	st = stats_of(pool);
	assert_int_equal(st.refused, 10);
	assert_int_equal(st.allocs, 1);
	assert_int_equal(st.frees, 0);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.high_water, G);
	assert_int_equal(st.avail, 31 * G);
	assert_int_equal(gen_pool_free(pool, a, G), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* NULL handles: reported, nothing else. */
static void null_pool_is_refused(void **state)
{
	struct gen_pool_stats st;

	(void)state;
	assert_int_equal(gen_pool_get_stats(NULL, &st, sizeof(st)), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_dump_stats(NULL, stdout), -EINVAL);
	expect_report(EINVAL);
	gen_pool_reset_high_water(NULL);
	expect_report(EINVAL);
}

/* Exactly min(st_size, sizeof) bytes are written. */
static void partial_struct_is_respected(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	unsigned char buf[sizeof(struct gen_pool_stats) + 16];
	struct gen_pool_stats st;
	size_t part = offsetof(struct gen_pool_stats, high_water);

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 32 * G, -1), 0);
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(gen_pool_get_stats(pool, (struct gen_pool_stats *)buf, part), 0);
	memcpy(&st, buf, part);
	assert_int_equal(st.size, 32 * G);
	for (size_t i = part; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xab);
	memset(buf, 0xab, sizeof(buf));
	/* a caller compiled against a later, longer struct */
	assert_int_equal(gen_pool_get_stats(pool, (struct gen_pool_stats *)buf, sizeof(buf)), 0);
	for (size_t i = sizeof(st); i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xab);
	assert_int_equal(gen_pool_get_stats(pool, (struct gen_pool_stats *)buf, 1), 0);
	expect_no_report();
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* A run that crosses bitmap words, between allocations, in the second chunk. */
static void largest_free_spans_words(void **state)
{
	struct gen_pool *pool = gen_pool_create(0, -1);
	unsigned long a, b, c;

	(void)state;
	assert_int_equal(gen_pool_add(pool, 0x10000, 100, -1), 0);
	assert_int_equal(gen_pool_add(pool, 0x20000, 300, -1), 0); /* newest: searched first */
	a = gen_pool_alloc(pool, 10);
	b = gen_pool_alloc(pool, 150);
	c = gen_pool_alloc(pool, 140);
	assert_int_equal(a, 0x20000);
	assert_int_equal(stats_of(pool).largest_free, 100); /* the older chunk, untouched */
	assert_int_equal(gen_pool_free(pool, b, 150), 0);
	assert_int_equal(stats_of(pool).largest_free, 150); /* bits 10..159: three words */
	assert_int_equal(gen_pool_free(pool, a, 10), 0);
	assert_int_equal(stats_of(pool).largest_free, 160);
	assert_int_equal(gen_pool_free(pool, c, 140), 0);
	assert_int_equal(stats_of(pool).largest_free, 300);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* ------------------------------------------------------------------------ */
/* High water across threads that take turns                                */

struct turn {
	struct gen_pool *pool;
	unsigned long *addrs;
	unsigned int n;
	bool do_free;
};

static void *take_turn(void *arg)
{
	struct turn *t = arg;

	for (unsigned int i = 0; i < t->n; i++) {
		if (t->do_free) {
			assert_int_equal(gen_pool_free(t->pool, t->addrs[i], G), 0);
		} else {
			t->addrs[i] = gen_pool_alloc(t->pool, G);
			assert_true(t->addrs[i] != 0);
		}
	}
	return NULL;
}

/* Run one turn in a new thread (a new thread slot, so another shard). */
static void turn_in_thread(struct gen_pool *pool, unsigned long *addrs, unsigned int n,
			   bool do_free)
{
	struct turn t = { pool, addrs, n, do_free };
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, take_turn, &t), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
}

/*
 * Thread A allocates N, B frees them, A' allocates N again, and so on: the
 * shards move in opposite directions, and a sum of per-shard peaks would
 * say k * N. The true peak is N, and high_water must say exactly that.
 */
static void high_water_is_exact_across_threads(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	unsigned long addrs[21];

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 64 * G, -1), 0);
	for (int round = 0; round < 4; round++) {
		turn_in_thread(pool, addrs, 20, false);
		assert_int_equal(stats_of(pool).high_water, 20 * G);
		turn_in_thread(pool, addrs, 20, true);
		assert_int_equal(stats_of(pool).high_water, 20 * G);
	}
	turn_in_thread(pool, addrs, 10, false);
	take_turn(&(struct turn){ pool, addrs + 10, 10, false }); /* this thread: 20 */
	assert_int_equal(stats_of(pool).high_water, 20 * G);
	take_turn(&(struct turn){ pool, addrs + 10, 1, true });
	turn_in_thread(pool, addrs + 10, 1, false);
	assert_int_equal(stats_of(pool).high_water, 20 * G);
	turn_in_thread(pool, addrs + 20, 1, false); /* 21 */
	assert_int_equal(stats_of(pool).high_water, 21 * G);
	gen_pool_reset_high_water(pool);
	expect_no_report();
	assert_int_equal(stats_of(pool).high_water, 21 * G);
	turn_in_thread(pool, addrs, 12, true); /* 9 left */
	assert_int_equal(stats_of(pool).high_water, 21 * G);
	gen_pool_reset_high_water(pool);
	assert_int_equal(stats_of(pool).high_water, 9 * G);
	turn_in_thread(pool, addrs, 2, false); /* 11 */
	assert_int_equal(stats_of(pool).high_water, 11 * G);
	turn_in_thread(pool, addrs, 2, true);
	turn_in_thread(pool, addrs + 12, 9, true);
	gen_pool_reset_high_water(pool);
	assert_int_equal(stats_of(pool).high_water, 0);
	assert_int_equal(stats_of(pool).allocs, stats_of(pool).frees);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* ------------------------------------------------------------------------ */
/* Thread caches                                                            */

/*
 * Cached ranges are available (avail) but claimed in the bitmaps: they
 * count as allocated for largest_free and high_water (the bitmaps' peak).
 */
static void cache_pool_counts_cached_as_available(void **state)
{
	struct gen_pool *pool = gen_pool_create_flags(ORDER, -1, GEN_POOL_THREAD_CACHE);
	struct gen_pool_stats st;
	unsigned long a, b;
	size_t peak;

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 256 * G, -1), 0);
	a = gen_pool_alloc(pool, G);
	b = gen_pool_alloc(pool, 2 * G);
	assert_int_equal(gen_pool_free(pool, a, G), 0);
	st = stats_of(pool);
	assert_int_equal(st.allocs, 2);
	assert_int_equal(st.frees, 1);
	assert_true(st.cached >= G); /* the freed granule at least, and refills */
	assert_int_equal(st.high_water, 2 * G + st.cached);
	peak = st.high_water;
	assert_int_equal(st.avail, 256 * G - 2 * G);
	/* cached ranges are claimed in the bitmap: not part of a free run */
	assert_true(st.largest_free <= 256 * G - 2 * G - st.cached);
	assert_int_equal(gen_pool_free(pool, b, 2 * G), 0);
	gen_pool_cache_flush(pool);
	st = stats_of(pool);
	assert_int_equal(st.cached, 0);
	assert_int_equal(st.largest_free, 256 * G);
	assert_int_equal(st.high_water, peak);
	gen_pool_reset_high_water(pool);
	assert_int_equal(stats_of(pool).high_water, 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* ------------------------------------------------------------------------ */
/* JSON lines                                                               */

#define starts_with(s, prefix) (strncmp((s), (prefix), strlen(prefix)) == 0)

static char *dump_of(struct gen_pool *pool)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(gen_pool_dump_stats(pool, f), 0);
	fclose(f);
	return text;
}

static void dump_writes_pool_and_chunks(void **state)
{
	struct gen_pool_owner *owner = gen_pool_owner_create("dev\"0");
	struct gen_pool *pool = gen_pool_create_managed(owner, ORDER, -1, "sram\\1");
	char *text, *line2, *line3;

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 32 * G, -1), 0);
	assert_int_equal(gen_pool_add_virt(pool, BASE_B, 0x9000, 16 * G, -1), 0);
	assert_int_equal(gen_pool_alloc(pool, 3 * G), BASE_B);
	text = dump_of(pool);
	line2 = strchr(text, '\n') + 1;
	line3 = strchr(line2, '\n') + 1;
	assert_string_equal(strchr(line3, '\n') + 1, "");
	assert_true(starts_with(text, "{\"type\":\"pool\",\"name\":\"sram\\\\1\","));
	assert_non_null(strstr(text, "\"size\":3072,\"avail\":2880,\"cached\":0,"
				     "\"largest_free\":2048,\"high_water\":192,\"chunks\":2,"
				     "\"allocs\":1,\"frees\":0,\"failed\":0,\"refused\":0,"
				     "\"imports\":0,\"releases\":0}\n"));
	assert_true(strncmp(line2, "{\"type\":\"chunk\",\"start\":2097152,\"end\":2098175,"
				   "\"phys\":36864,\"size\":1024,\"free\":832,"
				   "\"largest_free\":832}\n", line3 - line2) == 0);
	assert_true(starts_with(line3, "{\"type\":\"chunk\",\"start\":1048576,"));
	free(text);
	assert_int_equal(gen_pool_free(pool, BASE_B, 3 * G), 0);
	assert_int_equal(gen_pool_owner_destroy(owner), 0);

	pool = gen_pool_create(ORDER, -1); /* unmanaged: no name key */
	text = dump_of(pool);
	assert_true(starts_with(text, "{\"type\":\"pool\",\"min_alloc_order\":6,"));
	free(text);
	assert_int_equal(gen_pool_destroy(pool), 0);
	expect_no_report();
}

/* A stream that cannot be written: the failed write's error, not a refusal. */
static void dump_reports_a_failed_write(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	FILE *ro = fopen("/dev/null", "r");
	int err;

	(void)state;
	assert_non_null(ro);
	err = gen_pool_dump_stats(pool, ro);
	assert_true(err < 0 && err != -EINVAL);
	expect_no_report();
	assert_int_equal(stats_of(pool).refused, 0);
	fclose(ro);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* ------------------------------------------------------------------------ */
/* Threads racing, then quiescence: every field exact                       */

#define RACERS 4
#define RACE_OPS 20000
#define RACE_HOLD 24

struct racer {
	struct gen_pool *pool;
	pthread_barrier_t *bar;
	unsigned int seed;
	unsigned long long allocs, frees, failed;
	unsigned long held[RACE_HOLD];
	size_t sizes[RACE_HOLD];
};

static void *race(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->bar);
	for (unsigned int i = 0; i < RACE_OPS; i++) {
		unsigned int k = rand_r(&r->seed) % RACE_HOLD;

		if (r->held[k]) {
			assert_int_equal(gen_pool_free(r->pool, r->held[k], r->sizes[k]), 0);
			r->held[k] = 0;
			r->frees++;
			continue;
		}
		r->sizes[k] = (1 + rand_r(&r->seed) % 6) * G;
		r->held[k] = gen_pool_alloc(r->pool, r->sizes[k]);
		if (r->held[k])
			r->allocs++;
		else
			r->failed++;
	}
	pthread_barrier_wait(r->bar); /* quiescent: the main thread checks */
	pthread_barrier_wait(r->bar);
	return NULL;
}

static void race_and_check(unsigned int flags)
{
	struct gen_pool *pool = gen_pool_create_flags(ORDER, -1, flags);
	struct racer r[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_t bar;
	unsigned long long allocs = 0, frees = 0, failed = 0;
	size_t held = 0;
	struct gen_pool_stats st;

	/* room for 3 of the 4 threads' worst case: some allocations fail */
	assert_int_equal(gen_pool_add(pool, BASE_A, 3 * RACE_HOLD * 6 * G, -1), 0);
	pthread_barrier_init(&bar, NULL, RACERS + 1);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < RACERS; i++) {
		r[i].pool = pool;
		r[i].bar = &bar;
		r[i].seed = 17u + (unsigned int)i;
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < RACERS; i++) {
		allocs += r[i].allocs;
		frees += r[i].frees;
		failed += r[i].failed;
		for (int k = 0; k < RACE_HOLD; k++)
			held += r[i].held[k] ? r[i].sizes[k] : 0;
	}
	st = stats_of(pool);
	assert_int_equal(st.allocs, allocs);
	assert_int_equal(st.frees, frees);
	assert_int_equal(st.failed, failed);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.avail, st.size - held);
	assert_true(st.high_water >= held);
	assert_true(st.high_water <= st.size);
	gen_pool_reset_high_water(pool);
	st = stats_of(pool); /* the bitmaps' use: ranges parked in caches count */
	assert_int_equal(st.high_water, held + st.cached);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < RACERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		for (int k = 0; k < RACE_HOLD; k++)
			if (r[i].held[k])
				assert_int_equal(gen_pool_free(pool, r[i].held[k], r[i].sizes[k]), 0);
	}
	if (flags & GEN_POOL_THREAD_CACHE)
		gen_pool_cache_flush(pool);
	st = stats_of(pool);
	assert_int_equal(st.avail, st.size);
	assert_int_equal(st.largest_free, st.size);
	assert_int_equal(st.allocs, st.frees);
	assert_int_equal(gen_pool_destroy(pool), 0);
	pthread_barrier_destroy(&bar);
}

static void race_lock_free(void **state)
{
	(void)state;
	race_and_check(0);
}

static void race_spinlock(void **state)
{
	(void)state;
	race_and_check(GEN_POOL_SPINLOCK);
}

static void race_cache(void **state)
{
	(void)state;
	race_and_check(GEN_POOL_THREAD_CACHE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(fresh_pool_is_empty, setup),
		cmocka_unit_test_setup(counts_follow_calls, setup),
		cmocka_unit_test_setup(refusals_are_counted, setup),
		cmocka_unit_test_setup(null_pool_is_refused, setup),
		cmocka_unit_test_setup(partial_struct_is_respected, setup),
		cmocka_unit_test_setup(largest_free_spans_words, setup),
		cmocka_unit_test_setup(high_water_is_exact_across_threads, setup),
		cmocka_unit_test_setup(cache_pool_counts_cached_as_available, setup),
		cmocka_unit_test_setup(dump_writes_pool_and_chunks, setup),
		cmocka_unit_test_setup(dump_reports_a_failed_write, setup),
		cmocka_unit_test_setup(race_lock_free, setup),
		cmocka_unit_test_setup(race_spinlock, setup),
		cmocka_unit_test_setup(race_cache, setup),
	};

	/* one test only (a mutant check runs the one that catches its bug) */
	if (getenv("TEST_STATS_ONLY"))
		cmocka_set_test_filter(getenv("TEST_STATS_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
