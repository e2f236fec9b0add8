// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * jobs.c - the benchmark sets: which workload runs on which allocator,
 * with which parameters and thread counts.
 *
 *   headline         what scripts/bench runs by default (about 2 minutes)
 *   headline-search  its pool-size scaling part: 64 MiB .. 64 GiB, one thread
 *   full             every workload, allocator and thread count 1..16
 *   full-search      search scaling over 64 MiB, 1, 16 and 64 GiB
 *   engine           issue 5's targets beyond the headline: bulk_big (16 GiB
 *                    fill and drain against the kernel-style first fit),
 *                    chunks (free with 1000 chunks vs 1), meta (metadata);
 *                    and issue 12's: import (import + shrink of a 2 MiB span),
 *                    churn (alloc latency while a chunk is removed and re-added)
 *   freerun          issue 10's targets: far run, 1..16-granule churn, and the
 *                    rows scripts/bench also runs on the build before the index
 *   layers           issue 13's targets: object caches and reserves (wl_layers.c)
 *   smoke            a few tiny runs: the test that the benchmark works
 *
 * The search sets are apart because their fixtures take seconds to fill:
 * they run without random interleaving, so repetitions reuse them.
 * Jobs whose allocator cannot load here, or cannot do what the workload
 * needs (a region, aligned requests), are left out and said so on stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "workload.h"

#define MAX_JOBS 1024
#define ORDER 12 /* 4 KiB granules everywhere */
#define MiB (1UL << 20)
#define GiB (1UL << 30)

static struct wl_job jobs[MAX_JOBS];
static size_t nr_jobs;

struct threads {
	int n;
	int v[8];
};

static const struct threads th_full = { 5, { 1, 2, 4, 8, 16 } };
static const struct threads th_head = { 3, { 1, 2, 8 } };
static const struct threads th_head16 = { 4, { 1, 2, 8, 16 } }; /* hot pair, 1 granule */
static const struct threads th_engine = { 3, { 1, 2, 16 } };
static const struct threads th_one = { 1, { 1 } };
static const struct threads th_smoke = { 2, { 1, 2 } };

/* Pair workloads get the even counts only (1 becomes 2, once). */
static struct threads for_workload(const struct workload *wl, const struct threads *th)
{
	struct threads out = { 0 };

	for (int i = 0; i < th->n; i++) {
		int n = wl->pairs && th->v[i] % 2 ? th->v[i] + 1 : th->v[i];

		if (!out.n || out.v[out.n - 1] != n)
			out.v[out.n++] = n;
	}
	return out;
}

static bool fits(const struct workload *wl, const struct bench_alloc *a)
{
	if ((wl->needs & WL_NEEDS_REGION) && !(a->caps & BA_REGION))
		return false;
	if ((wl->needs & WL_NEEDS_ALIGN) && !a->alloc_aligned)
		return false;
	if ((wl->needs & WL_NEEDS_GENPOOL) && !(a->caps & BA_GENPOOL))
		return false;
	return true;
}

/* Say once per allocator that its jobs are left out, and why. */
static void skipped(const struct bench_alloc *a, const char *why)
{
	static const struct bench_alloc *told[32];
	static size_t ntold;

	for (size_t i = 0; i < ntold; i++)
		if (told[i] == a)
			return;
	if (ntold < sizeof(told) / sizeof(told[0]))
		told[ntold++] = a;
	fprintf(stderr, "bench: leaving out %s: %s\n", a->name, why);
}

/* The job, or NULL when it is left out (its allocator or the workload's needs). */
__attribute__((format(printf, 5, 6))) static struct wl_job *
add(const struct workload *wl, const char *alloc, struct wl_params p, const struct threads *th,
    const char *fmt, ...)
{
	const struct bench_alloc *a = bench_alloc_find(alloc);
	struct wl_job *j = &jobs[nr_jobs];
	struct threads t = for_workload(wl, th);
	const char *why;
	va_list ap;
	int len;

	if (!a || !fits(wl, a) || nr_jobs == MAX_JOBS)
		return NULL;
	if (!bench_alloc_usable(a, &why)) {
		skipped(a, why);
		return NULL;
	}
	memset(j, 0, sizeof(*j));
	j->wl = wl;
	j->a = a;
	j->p = p;
	j->p.order = ORDER;
	len = snprintf(j->name, sizeof(j->name), "%s/%s/", wl->name, alloc);
	va_start(ap, fmt);
	vsnprintf(j->name + len, sizeof(j->name) - (size_t)len, fmt, ap);
	va_end(ap);
	memcpy(j->threads, t.v, sizeof(t.v));
	j->nthreads = t.n;
	atomic_init(&j->live, NULL);
	nr_jobs++;
	return j;
}

/* for_each_in(x, array): x takes each element of a static array in turn. */
#define in(name, list) in_list(name, list, sizeof(list) / sizeof(list[0]))

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

#define for_each_in(var, list)                                                                     \
	for (size_t var##_i = 0;                                                                   \
	     var##_i < sizeof(list) / sizeof(list[0]) && ((var = list[var##_i]), 1); var##_i++)

static const char *const all_main[] = { "genpool_lf", "genpool_spin", "genpool_mutex", "memkind",
					"glibc",      "jemalloc",     "tcmalloc",      "mimalloc" };
static const char *const head_five[] = { "genpool_lf", "genpool_spin", "genpool_mutex", "memkind",
					 "jemalloc" };
static const char *const with_bf[] = { "genpool_lf", "genpool_lf_bf", "genpool_spin",
				       "genpool_spin_bf", "genpool_mutex", "memkind",
				       "glibc", "jemalloc", "tcmalloc", "mimalloc" };
static const char *const regions[] = { "genpool_lf", "genpool_lf_bf", "genpool_spin",
				       "genpool_spin_bf", "genpool_mutex", "memkind" };
static const char *const search_allocs[] = { "genpool_lf", "genpool_spin", "genpool_mutex",
					     "memkind", "genpool_sc" };
/* The lock baselines under Concurrency Kit's locks (issue 15), beside genpool_spin. */
static const char *const ck_locks[] = { "genpool_ticket", "genpool_mcs" };
/* The scalable engine (issue 5): scalable fit and thread caches. */
static const char *const engine[] = { "genpool_sc", "genpool_tc" };

static void add_hot_pair(const char *a, unsigned int gran, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = 64 * MiB, .occupancy = 0.5, .fill_range = 64,
			       .granules = gran };

	add(&wl_hot_pair, a, p, th, "gran:%u", gran);
}

static void add_search(const char *a, size_t pool, int fill, unsigned int gran,
		       const struct threads *th)
{
	struct wl_params p = { .pool_bytes = pool, .occupancy = fill / 100.0, .fill_range = 1,
			       .granules = gran };

	add(&wl_search, a, p, th, "pool_mib:%zu/fill:%d/gran:%u", pool / MiB, fill, gran);
}

static void add_align(const char *a, size_t align, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = 256 * MiB, .occupancy = 0.5, .fill_range = 64,
			       .granules = 1, .align = align };

	add(&wl_align, a, p, th, "align_kib:%zu/gran:1", align >> 10);
}

static void add_bulk(const char *a, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = 64 * MiB, .occupancy = 0.5, .granules = 1 };

	add(&wl_bulk, a, p, th, "fill:50");
}

static void add_xfree(const char *a, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = 64 * MiB, .granules = 1 };

	add(&wl_xfree, a, p, th, "gran:1");
}

static void add_random(const char *a, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = 1 * GiB, .granules = 64, .live = 2048 };

	add(&wl_random, a, p, th, "max_gran:64");
}

/* Issue 15's churn target: 1..16 granules, half of them above a cache pool's default classes. */
static void add_random_small(const char *a, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = 1 * GiB, .granules = 16, .live = 2048 };

	add(&wl_random, a, p, th, "max_gran:16");
}

static void add_frag(const char *a, int occ, long ops, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = 256 * MiB, .occupancy = occ / 100.0, .granules = 256,
			       .total_ops = ops };

	add(&wl_frag, a, p, th, "occ:%d/max_gran:256", occ);
}

/* One round (fill, drain) per repetition: a kernel-style round takes seconds. */
static void add_bulk_big(const char *a, size_t pool, int reps, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = pool, .occupancy = 0.5, .granules = 1 };
	struct wl_job *j = add(&wl_bulk_big, a, p, th, "pool_mib:%zu/fill:50", pool / MiB);

	if (j) {
		j->iters = 1;
		j->reps = reps;
	}
}

static void add_chunks(const char *a, size_t pool, unsigned int chunks, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = pool, .occupancy = 0.5, .granules = 1,
			       .chunks = chunks };

	add(&wl_chunks, a, p, th, "pool_mib:%zu/chunks:%u/fill:50", pool / MiB, chunks);
}

/* A measurement, not a timing: once. */
static void add_meta(const char *a, size_t pool)
{
	struct wl_params p = { .pool_bytes = pool };
	struct wl_job *j = add(&wl_meta, a, p, &th_one, "pool_mib:%zu", pool / MiB);

	if (j)
		j->reps = 1;
}

static void set_full(void)
{
	static const unsigned int grans[] = { 1, 8, 64 };
	static const int occs[] = { 70, 85, 95 };
	const char *a;
	unsigned int g;
	int o;

	for_each_in(g, grans) {
		for_each_in(a, all_main) add_hot_pair(a, g, &th_full);
		for_each_in(a, engine) add_hot_pair(a, g, &th_full);
	}
	add_hot_pair("genpool_log", 1, &th_full);
	for_each_in(a, all_main) add_bulk(a, &th_full);
	for_each_in(a, engine) add_bulk(a, &th_full);
	for_each_in(a, all_main) add_xfree(a, &th_full);
	for_each_in(a, engine) add_xfree(a, &th_full);
	for_each_in(a, with_bf) add_random(a, &th_full);
	for_each_in(a, engine) add_random(a, &th_full);
	for_each_in(a, all_main) {
		add_align(a, 64 << 10, &th_full);
		add_align(a, 2 << 20, &th_full);
	}
	for_each_in(o, occs) {
		for_each_in(a, regions) add_frag(a, o, 1000000, &th_full);
		for_each_in(a, engine) add_frag(a, o, 1000000, &th_full);
	}
}

static void set_full_search(void)
{
	static const size_t pools[] = { 64 * MiB, 1 * GiB, 16 * GiB, 64 * GiB };
	static const int fills[] = { 50, 90 };
	static const unsigned int grans[] = { 1, 16 };
	const char *a;
	size_t s;
	int f;
	unsigned int g;

	/* Grouped by fixture (allocator, pool, fill): one prefill serves them all. */
	for_each_in(a, search_allocs)
		for_each_in(s, pools)
			for_each_in(f, fills)
				for_each_in(g, grans) add_search(a, s, f, g, &th_full);
}

static void set_headline(void)
{
	static const unsigned int grans[] = { 1, 8 };
	static const char *const align_allocs[] = { "genpool_lf", "genpool_spin", "memkind",
						    "jemalloc" };
	static const char *const frag_allocs[] = { "genpool_lf", "genpool_lf_bf", "memkind",
						   "genpool_sc", "genpool_tc" };
	/* occ 100: the quota is the pool, so the run meets its first failure */
	static const char *const frag_full[] = { "genpool_lf", "genpool_sc", "genpool_tc" };
	/* 16 threads: who the scaling targets need, and jemalloc beside them */
	/* issue 15: random 1..16-granule churn, cache pool vs jemalloc (2 threads) */
	static const char *const churn16[] = { "genpool_tc", "genpool_lf", "jemalloc" };
	static const struct threads th_churn = { 2, { 1, 2 } };
	static const char *const to16[] = { "genpool_lf", "genpool_spin", "jemalloc", "genpool_sc",
					    "genpool_tc" };
	const char *a;
	unsigned int g;

	/* 1 granule up to 16 threads: issue 5's scaling targets (2 vs 1, 16 vs 2) */
	for_each_in(g, grans) {
		for_each_in(a, all_main) add_hot_pair(a, g, g == 1 && in(a, to16) ? &th_head16
										   : &th_head);
		for_each_in(a, engine) add_hot_pair(a, g, g == 1 ? &th_head16 : &th_head);
		for_each_in(a, ck_locks) add_hot_pair(a, g, g == 1 ? &th_head16 : &th_head);
	}
	/* the event log's cost: the hot pair with logging on, beside genpool_lf's */
	add_hot_pair("genpool_log", 1, &th_head);
	for_each_in(a, head_five) add_random(a, &th_head);
	for_each_in(a, head_five) add_bulk(a, &th_head);
	for_each_in(a, head_five) add_xfree(a, &th_head);
	for_each_in(a, churn16) add_random_small(a, &th_churn);
	for_each_in(a, ck_locks) {
		add_random(a, &th_head);
		add_bulk(a, &th_head);
		add_xfree(a, &th_head);
	}
	for_each_in(a, align_allocs) {
		add_align(a, 64 << 10, &th_one);
		add_align(a, 2 << 20, &th_one);
	}
	for_each_in(a, frag_allocs) {
		add_frag(a, 85, 200000, &th_one);
		add_frag(a, 95, 200000, &th_one);
	}
	for_each_in(a, frag_full) add_frag(a, 100, 200000, &th_one);
}

static void set_headline_search(void)
{
	static const size_t pools[] = { 64 * MiB, 1 * GiB, 16 * GiB, 64 * GiB };
	static const size_t memkind_pools[] = { 64 * MiB, 1 * GiB }; /* seconds to fill above */
	static const int fills[] = { 50, 90 };
	static const unsigned int grans[] = { 1, 16 };
	static const char *const allocs[] = { "genpool_lf", "genpool_spin", "genpool_sc" };
	const char *a;
	size_t s;
	int f;
	unsigned int g;

	for_each_in(a, allocs)
		for_each_in(s, pools)
			for_each_in(f, fills)
				for_each_in(g, grans)
					if (f == 90 || strcmp(a, "genpool_sc")) /* sc: 90 % only */
						add_search(a, s, f, g, &th_one);
	for_each_in(s, memkind_pools)
		for_each_in(f, fills)
			for_each_in(g, grans) add_search("memkind", s, f, g, &th_one);
}

/* Issue 12: import + shrink of one span; allocation latency under chunk churn. */
static void add_import(const char *a, size_t bytes)
{
	struct wl_params p = { .pool_bytes = bytes };

	add(&wl_import, a, p, &th_one, "pool_mib:%zu", bytes / MiB);
}

static void add_churn(const char *a, unsigned int removal, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = 64 * MiB, .granules = 1, .chunks = removal };

	add(&wl_churn, a, p, th, "remove:%u", removal);
}

static const struct threads th_churn = { 2, { 1, 2 } };

/*
 * The lock-free pool and the spinlock baseline (whose removal closes the
 * chunk under the pool lock). Not the cache pool: its threads' caches keep
 * ranges of the newest chunk parked, so a removal there is always -EBUSY.
 */
static void set_lifecycle(void)
{
	static const char *const pools[] = { "genpool_lf", "genpool_spin" };
	const char *a;

	for_each_in(a, pools) {
		add_import(a, 2 * MiB);
		add_churn(a, 0, &th_churn);
		add_churn(a, 1, &th_churn);
	}
}

/*
 * Issue 5's targets that the headline sets do not hold: the 16 GiB fill
 * and drain against the kernel-style first fit (once per thread count for
 * genpool_kfit, whose round takes seconds), free with 1000 chunks against
 * 1, and the metadata a chunk costs (plain, strict and cache pools).
 */
static void set_engine(void)
{
	static const char *const big[] = { "genpool_lf", "genpool_sc" };
	static const char *const meta[] = { "genpool_lf", "genpool_strict", "genpool_tc" };
	static const char *const chunked[] = { "genpool_lf", "genpool_sc", "genpool_tc" };
	static const unsigned int nchunks[] = { 1, 1000 };
	const char *a;
	unsigned int n;

	for_each_in(a, big) add_bulk_big(a, 16 * GiB, 3, &th_engine);
	add_bulk_big("genpool_kfit", 16 * GiB, 1, &th_engine);
	for_each_in(a, chunked)
		for_each_in(n, nchunks) add_chunks(a, 1 * GiB, n, &th_one);
	for_each_in(a, meta) {
		add_meta(a, 64 * MiB);
		add_meta(a, 64 * GiB);
	}
	set_lifecycle();
}

static void add_far_run(const char *a, size_t pool, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = pool, .granules = 32 };

	add(&wl_far_run, a, p, th, "pool_mib:%zu/gran:32", pool / MiB);
}

static void add_random_max(const char *a, unsigned int max, const struct threads *th)
{
	struct wl_params p = { .pool_bytes = 1 * GiB, .granules = max, .live = 2048 };

	add(&wl_random, a, p, th, "max_gran:%u", max);
}

/*
 * Issue 10's targets (the free-run index) beyond the headline sets: the far
 * run at 64 MiB, 1 and 16 GiB (and the kernel-style linear first fit at
 * 64 MiB), random 1..16-granule churn at 1, 2 and 16 threads against
 * memkind and jemalloc, and the 1-granule hot pair and search that
 * scripts/bench also runs on the build from before the index.
 */
static void set_freerun(void)
{
	static const size_t pools[] = { 64 * MiB, 1 * GiB, 16 * GiB };
	static const char *const churn[] = { "genpool_lf", "genpool_sc", "genpool_tc",
					     "genpool_tc16", "genpool_tcsc", "memkind", "jemalloc" };
	static const struct threads th_rand16 = { 3, { 1, 2, 16 } };
	const char *a;
	size_t s;

	for_each_in(s, pools) add_far_run("genpool_lf", s, &th_one);
	add_far_run("genpool_kfit", 64 * MiB, &th_one);
	for_each_in(a, churn) add_random_max(a, 16, &th_rand16);
	add_hot_pair("genpool_lf", 1, &th_one);
	add_search("genpool_lf", 64 * MiB, 90, 1, &th_one);
}

/*
 * The layers' targets (issue 13): the object cache's pair against jemalloc's
 * malloc/free of the same size and its scaling, its bookkeeping, and the
 * reserve under exhaustion (throughput, wake-up latency).
 */
static void add_layers(const struct threads *oc, const struct threads *je,
		       const struct threads *rs, long wake_iters)
{
	struct wl_params p = { .pool_bytes = 256 * MiB, .granules = 1 };
	struct wl_job *j;

	add(&wl_obj_pair, "genpool_oc", p, oc, "bytes:%d", BENCH_OBJ_BYTES);
	add(&wl_obj_pair, "jemalloc", p, je, "bytes:%d", BENCH_OBJ_BYTES);
	if ((j = add(&wl_obj_meta, "genpool_oc", p, &th_one, "bytes:64+8")))
		j->reps = 1;
	add(&wl_rs_exhaust, "genpool_rs", p, rs, "min_nr:2");
	if ((j = add(&wl_rs_wake, "genpool_rs", p, &th_smoke, "min_nr:1")))
		j->iters = wake_iters;
}

static void set_smoke(void)
{
	static const char *const allocs[] = { "genpool_lf", "genpool_spin", "genpool_mutex",
					      "memkind", "glibc", "jemalloc", "tcmalloc",
					      "mimalloc", "genpool_sc", "genpool_tc",
					      "genpool_strict", "genpool_kfit", "genpool_log",
					      "genpool_ticket", "genpool_mcs" };
	const char *a;

	for_each_in(a, allocs) {
		/*
		 * The FIFO locks: the hot pair and the metadata only. Their other
		 * pair workloads run 2 threads at least, which wait a time slice
		 * per lock hand-over on a loaded machine (minutes in a smoke test).
		 */
		if (in(a, ck_locks)) {
			add_hot_pair(a, 8, &th_one);
			add_meta(a, 64 * MiB);
			continue;
		}
		add_hot_pair(a, 8, &th_smoke);
		add_bulk(a, &th_smoke);
		add_xfree(a, &th_smoke);
		add_random(a, &th_smoke);
		add_align(a, 2 << 20, &th_smoke);
		add_search(a, 64 * MiB, 90, 16, &th_smoke);
		add_frag(a, 95, 4000, &th_smoke);
		add_bulk_big(a, 64 * MiB, 1, &th_smoke);
		add_chunks(a, 64 * MiB, 16, &th_smoke);
		add_meta(a, 64 * MiB);
		add_far_run(a, 64 * MiB, &th_smoke);
		add_import(a, 2 * MiB);
		add_churn(a, 1, &th_smoke);
	}
	add_layers(&th_smoke, &th_one, &th_smoke, 20);
}

static void set_layers(void)
{
	static const struct threads oc = { 3, { 1, 2, 16 } };
	static const struct threads rs = { 2, { 2, 16 } };

	add_layers(&oc, &th_one, &rs, 2000);
}

static const struct {
	const char *name;
	void (*build)(void);
} sets[] = {
	{ "layers", set_layers },
	{ "headline", set_headline }, { "headline-search", set_headline_search },
	{ "full", set_full },	      { "full-search", set_full_search },
	{ "engine", set_engine },     { "smoke", set_smoke },
	{ "freerun", set_freerun },
};

const char *harness_sets(void)
{
	return "headline, headline-search, engine, freerun, layers, full, full-search, smoke";
}

int harness_select(const char *set)
{
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		if (!strcmp(sets[i].name, set)) {
			nr_jobs = 0;
			sets[i].build();
			return 0;
		}
	}
	return -1;
}

size_t harness_nr_jobs(void)
{
	return nr_jobs;
}

struct wl_job *harness_job(size_t i)
{
	return i < nr_jobs ? &jobs[i] : NULL;
}

const char *harness_job_name(const struct wl_job *job)
{
	return job->name;
}

int harness_job_threads(const struct wl_job *job, int *out, int max)
{
	int n = job->nthreads < max ? job->nthreads : max;

	memcpy(out, job->threads, (size_t)n * sizeof(*out));
	return n;
}

/*
 * The FIFO locks (CK's ticket and MCS) hand the lock to the next waiter in
 * line even when it is descheduled, so once runnable threads outnumber the
 * CPUs (more threads than CPUs, or 2 threads on a machine others load) an
 * op can cost a scheduler time slice; Google Benchmark sizes a timed run
 * from its first, uncontended trial, and such runs went on for many
 * minutes. With 2 threads or more they run for a fixed time instead
 * (FIFO_SECONDS, all threads at once): every thread steps until then, and
 * the iterations left over do nothing (about a nanosecond each). ops/s is
 * the ops done over the run's time, as for every other run; a fixed op
 * count would not do, since the threads' few ops then barely overlap.
 */
#define FIFO_ITERS 2000000L
#define FIFO_SECONDS 0.3

static bool fifo_contended(const struct wl_job *job, int threads)
{
	return in(job->a->name, ck_locks) && threads > 1;
}

long harness_job_iterations(const struct wl_job *job, int threads)
{
	long n = job->p.total_ops / threads;

	if (job->iters)
		return job->iters;
	if (fifo_contended(job, threads))
		return FIFO_ITERS / threads;
	return job->p.total_ops ? (n > 0 ? n : 1) : 0;
}

double harness_job_seconds(const struct wl_job *job, int threads)
{
	return fifo_contended(job, threads) ? FIFO_SECONDS : 0;
}

int harness_job_repetitions(const struct wl_job *job)
{
	return job->reps;
}
