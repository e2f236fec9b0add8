/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_replay.c - the replay engine (tools/replay.h) on hand-made traces:
 * the program a trace compiles to (slots, reallocs, unmatched frees, a
 * realloc's address taken by another thread before its record, the peak,
 * leaks); the checked replay (clean, a failure the log did not have named
 * with its event, a log failure that succeeds here, chunks of a pool log,
 * fragmentation at the peak); the timed replay on 1 and 4 threads through
 * genpool, whose final occupancy must equal the log's (this test runs under
 * TSan in scripts/test's TSan stage); the shadow map's refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "replay_pool.h"
#include "shadow.h"

#define MAXREC 4096

static struct gp_trace_record recs[MAXREC];
static uint32_t tseq[64];
static size_t nrec;
static uint64_t now;

static void reset(void)
{
	nrec = 0;
	now = 0;
	memset(tseq, 0, sizeof(tseq));
}

static void add(uint32_t thr, uint8_t type, uint64_t addr, uint64_t size, uint64_t aux,
		uint8_t result)
{
	assert_true(nrec < MAXREC);
	recs[nrec++] = (struct gp_trace_record){ .time_ns = ++now, .thread = thr,
		.tseq = tseq[thr]++, .type = type, .addr = addr, .size = size, .aux = aux,
		.result = result };
}

static void trace_of(struct gp_trace *t, unsigned int source, int order)
{
	*t = (struct gp_trace){ .rec = recs, .n = nrec };
	t->hdr.source = source;
	t->hdr.min_alloc_order = order;
	gp_trace_sort(recs, nrec);
}

static void build(struct replay_prog *p, unsigned int source, int order)
{
	struct gp_trace t;
	char err[128];

	trace_of(&t, source, order);
	assert_int_equal(replay_prog_build(&t, p, err, sizeof(err)), 0);
}

static void test_program(void **state)
{
	struct replay_prog p;

	(void)state;
	reset();
	add(1, GP_TR_ALLOC, 0x1000, 100, 0, GP_TRES_OK);
	add(1, GP_TR_ALLOC, 0x2000, 50, 0, GP_TRES_OK);
	add(1, GP_TR_REALLOC, 0x3000, 300, 0x1000, GP_TRES_OK);	/* moved: 100 -> 300 */
	add(1, GP_TR_FREE, 0x9999, 0, 0, GP_TRES_OK);		/* never allocated */
	add(1, GP_TR_ALLOC, 0, 1 << 20, 0, GP_TRES_NOMEM);	/* failed in the log */
	add(1, GP_TR_REALLOC, 0x2000, 60, 0x2000, GP_TRES_OK);	/* in place */
	add(1, GP_TR_FREE, 0x3000, 0, 0, GP_TRES_OK);
	build(&p, GP_TRACE_SRC_MALLOC, -1);
	assert_int_equal(p.nallocs, 4);	/* 2 + realloc's new block + in-place resize */
	assert_int_equal(p.nfrees, 3);
	assert_int_equal(p.nreallocs, 2);
	assert_int_equal(p.unmatched_frees, 1);
	assert_int_equal(p.log_failed, 1);
	assert_int_equal(p.peak_live_bytes, 100 + 50 + 300);
	assert_int_equal(p.end_live_count, 1);
	assert_int_equal(p.end_live_bytes, 60);
	/* 64-byte granules: 2 + 1 + 5 at the peak */
	assert_int_equal(replay_peak_granules(&p, 6), 8);
	replay_prog_free(&p);
}

/*
 * Thread 1's realloc moves 0x1000 and glibc hands 0x1000 to thread 2 before
 * thread 1 records: the ALLOC sorts first. The REALLOC must still free
 * thread 1's block, and thread 2's later FREE its own.
 */
static void test_displaced_by_realloc(void **state)
{
	struct replay_prog p;

	(void)state;
	reset();
	add(1, GP_TR_ALLOC, 0x1000, 10, 0, GP_TRES_OK);
	add(2, GP_TR_ALLOC, 0x1000, 20, 0, GP_TRES_OK);
	add(1, GP_TR_REALLOC, 0x5000, 30, 0x1000, GP_TRES_OK);
	add(2, GP_TR_FREE, 0x1000, 0, 0, GP_TRES_OK);
	build(&p, GP_TRACE_SRC_MALLOC, -1);
	assert_int_equal(p.reused_live, 1);
	assert_int_equal(p.unmatched_frees, 0);
	assert_int_equal(p.end_live_count, 1);
	assert_int_equal(p.end_live_bytes, 30);	/* the realloc's new block */
	replay_prog_free(&p);
}

static void test_check_clean_and_findings(void **state)
{
	struct replay_pool_cfg cfg = { .algo = RA_FIRST, .order = -1, .slack_pct = 100 };
	struct replay_report r;
	struct replay_prog p;
	char err[128];

	(void)state;
	reset();
	add(1, GP_TR_ADD, 0x100000, 1024, 0, GP_TRES_OK);
	add(1, GP_TR_ALLOC, 0x100000, 512, 0, GP_TRES_OK);
	add(1, GP_TR_ALLOC, 0x100200, 256, 0, GP_TRES_OK);
	add(1, GP_TR_ALLOC, 0, 4096, 0, GP_TRES_NOMEM);	/* fails here too */
	add(1, GP_TR_FREE, 0x100000, 512, 0, GP_TRES_OK);
	build(&p, GP_TRACE_SRC_POOL, 6);
	assert_int_equal(replay_check(&p, &cfg, &r, NULL, NULL, err, sizeof(err)), 0);
	assert_true(replay_clean(&r));
	assert_int_equal(r.failed_both, 1);
	assert_int_equal(r.order, 6);
	assert_int_equal(r.pool_bytes, 1024);
	assert_int_equal(r.end_used_bytes, 256);
	/* at the peak: [0, 768) used, one free run of 256: no fragmentation */
	assert_true(r.frag_at_peak == 0.0);
	assert_true(r.log_frag_at_peak == 0.0);
	/* at 1 KiB granules the chunk is one granule: the second alloc fails */
	cfg.order = 10;
	assert_int_equal(replay_check(&p, &cfg, &r, NULL, NULL, err, sizeof(err)), 0);
	assert_false(replay_clean(&r));
	assert_int_equal(r.failed_new, 1);
	assert_non_null(strstr(r.first_failure, "event 2 (thread 1): alloc of 256 bytes"));
	assert_non_null(strstr(r.first_failure, "0 free"));
	assert_true(r.whole_at_end);
	replay_prog_free(&p);
}

static void test_log_failure_succeeds_here(void **state)
{
	struct replay_pool_cfg cfg = { .algo = RA_BEST, .order = 4, .slack_pct = 100 };
	struct replay_report r;
	struct replay_prog p;
	char err[128];

	(void)state;
	reset();
	add(1, GP_TR_ALLOC, 0x1000, 100, 0, GP_TRES_OK);
	add(1, GP_TR_ALLOC, 0, 16, 0, GP_TRES_NOMEM);	/* the pool has room for it */
	build(&p, GP_TRACE_SRC_MALLOC, -1);
	assert_int_equal(replay_check(&p, &cfg, &r, NULL, NULL, err, sizeof(err)), 0);
	assert_true(replay_clean(&r));
	assert_int_equal(r.succeeded_new, 1);
	assert_int_equal(r.end_live, 1);
	replay_prog_free(&p);
}

/* Four recorded threads with cross-thread frees, replayed on 1 and 4 threads. */
static void make_mt_trace(void)
{
	uint64_t x = 88172645463325252ull;

	reset();
	for (int i = 0; i < 1500; i++) {
		uint32_t thr = 1 + (uint32_t)i % 4;
		uint64_t addr = 0x10000 + (uint64_t)i * 0x1000;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		add(thr, GP_TR_ALLOC, addr, 1 + x % 700, 0, GP_TRES_OK);
		/* the previous thread frees most of what this one allocated a while ago */
		if (i >= 8 && i % 5)
			add(1 + (thr + 2) % 4, GP_TR_FREE, addr - 8 * 0x1000, 0, 0, GP_TRES_OK);
	}
}

static void test_timed_threads_final_occupancy(void **state)
{
	struct replay_pool_cfg cfg = { .algo = RA_SCALABLE, .order = 4, .slack_pct = 100 };
	struct replay_prog p;
	struct replay_pool rp;
	struct replay_alloc a;
	struct replay_result res;
	char err[128];

	(void)state;
	make_mt_trace();
	build(&p, GP_TRACE_SRC_MALLOC, -1);
	assert_int_equal(p.nthreads, 4);
	for (unsigned int n = 1; n <= 4; n += 3) {
		for (int cache = 0; cache < 2; cache++) {
			uintptr_t *live = NULL;
			uint64_t want = 0;

			cfg.cache = cache;
			assert_int_equal(replay_pool_create(&rp, &p, &cfg, true, err, sizeof(err)), 0);
			replay_pool_alloc_ops(&rp, &a);
			assert_int_equal(replay_run(&p, &a, n, &res, true, &live), 0);
			assert_int_equal(res.failed, 0);
			assert_int_equal(res.end_live_bytes, p.end_live_bytes);
			gen_pool_cache_flush(rp.pool);
			for (uint32_t s = 0; s < p.nslots; s++)
				if (live[s])
					want += replay_granules(p.slot_size[s], 4) << 4;
			assert_int_equal(gen_pool_size(rp.pool) - gen_pool_avail(rp.pool), want);
			for (uint32_t s = 0; s < p.nslots; s++)
				if (live[s])
					assert_int_equal(replay_pool_free(&rp, live[s], p.slot_size[s]), 0);
			free(live);
			assert_int_equal(replay_pool_destroy(&rp), 0);
		}
	}
	replay_prog_free(&p);
}

static void test_shadow(void **state)
{
	struct shadow s;
	uint64_t freeg, longest;

	(void)state;
	shadow_init(&s, 4);
	assert_int_equal(shadow_add(&s, 0x1000, 0x1000), 0);
	assert_int_equal(shadow_add(&s, 0x1800, 0x100), -1);	/* overlaps */
	assert_int_equal(shadow_add(&s, 0x4000, 0x400), 0);
	assert_int_equal(shadow_add(&s, UINT64_MAX - 0xff, 0x200), -1);	/* wraps */
	assert_int_equal(s.nchunks, 2);
	assert_int_equal(shadow_take(&s, 0x1000, 100), 0);
	assert_int_equal(shadow_take(&s, 0x1000 + 99 * 16, 2), 1);	/* overlap */
	assert_int_equal(shadow_take(&s, 0x3000, 1), -1);	/* in no chunk */
	assert_int_equal(shadow_take(&s, 0x4000 + 0x3f0, 2), -1);	/* past the end */
	/* first + granules would wrap to a small number: refused, nothing marked */
	assert_int_equal(shadow_take(&s, 0x4000 + 0x10, UINT64_MAX), -1);
	assert_int_equal(shadow_take(&s, 0x4000 + 0x10, 1), 0);
	assert_int_equal(shadow_give(&s, 0x4000 + 0x10, 1), 0);
	assert_int_equal(shadow_give(&s, 0x1000, 50), 0);
	assert_int_equal(shadow_give(&s, 0x1000, 50), 1);	/* not held */
	shadow_free_runs(&s, &freeg, &longest);
	assert_int_equal(freeg, 256 + 64 - 51);
	assert_int_equal(longest, 256 - 101);
	shadow_fini(&s);
}

/* Sizes near 2^64, as a corrupt or fuzzed log has them: no wrap anywhere. */
static void test_huge_sizes(void **state)
{
	struct replay_pool_cfg cfg = { .algo = RA_FIRST, .order = 4, .slack_pct = 100 };
	struct replay_report r;
	struct replay_prog p;
	char err[128];

	(void)state;
	assert_int_equal(replay_granules(UINT64_MAX, 4), (UINT64_MAX >> 4) + 1);
	assert_int_equal(replay_granules(UINT64_MAX - 15, 4), UINT64_MAX >> 4);
	assert_int_equal(replay_granules(UINT64_MAX, 0), UINT64_MAX);
	reset();
	add(1, GP_TR_ALLOC, 0x1000, UINT64_MAX - 0x100, 0, GP_TRES_OK);
	add(1, GP_TR_ALLOC, 0x2000, UINT64_MAX - 0x100, 0, GP_TRES_OK);
	build(&p, GP_TRACE_SRC_MALLOC, -1);
	assert_int_equal(replay_peak_granules(&p, 0), UINT64_MAX);	/* saturated */
	assert_int_equal(replay_check(&p, &cfg, &r, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "beyond the address space"));
	replay_prog_free(&p);
}

static void test_parse_algo(void **state)
{
	struct replay_pool_cfg c = { 0 };
	char name[48];

	(void)state;
	assert_int_equal(replay_parse_algo("align:4096", &c), 0);
	assert_int_equal(c.algo, RA_ALIGN);
	assert_int_equal(c.align, 4096);
	c.cache = true;
	replay_algo_name(&c, name, sizeof(name));
	assert_string_equal(name, "align:4096+cache");
	assert_int_equal(replay_parse_algo("align:3", &c), -1);
	assert_int_equal(replay_parse_algo("align:", &c), -1);
	assert_int_equal(replay_parse_algo("worst", &c), -1);
	assert_int_equal(replay_parse_algo("scalable", &c), 0);
	assert_int_equal(c.algo, RA_SCALABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program),
		cmocka_unit_test(test_displaced_by_realloc),
		cmocka_unit_test(test_check_clean_and_findings),
		cmocka_unit_test(test_log_failure_succeeds_here),
		cmocka_unit_test(test_timed_threads_final_occupancy),
		cmocka_unit_test(test_shadow),
		cmocka_unit_test(test_huge_sizes),
		cmocka_unit_test(test_parse_algo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
