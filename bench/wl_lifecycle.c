// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wl_lifecycle.c - the chunk lifecycle's costs (issue 12):
 *
 *   import   one step = an allocation of `pool_bytes` from an empty pool with
 *            an anonymous source (the import: mmap + chunk + index + publish,
 *            and the retried allocation), its free, and gen_pool_shrink (the
 *            release: close, unlink, grace period, munmap). Each phase is
 *            timed on every step: import_ns and shrink_ns are their means,
 *            import_p50/p99 via the latency histogram (lat_*: import,
 *            free_*: shrink).
 *   churn    the threads allocate and free 1 granule (first fit) on a pool
 *            of two address-only chunks; with `chunks` 1 a background thread
 *            removes the newer chunk and adds it again as fast as it can
 *            (removals are -EBUSY while a range of it is out), with 0 it
 *            does not. Sampled alloc latency (lat_p50/p99/p999_ns) with and
 *            without removal is the figure; removals_per_s says how much
 *            churn there was.
 *
 * Both run on genpool's own calls with the allocator's gp_flags (plain,
 * strict or cache pool).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <genpool.h>

#include "region.h"
#include "workload.h"

/* ---- import ---- */

struct import_run {
	struct gen_pool *pool;
	struct gen_pool_source *src;
	double import_ns, shrink_ns;
	unsigned long steps;
};

static int import_setup(struct wl_run *run, char *why, size_t len)
{
	struct import_run *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	run->priv = r;
	r->pool = gen_pool_create_flags(run->p->order, -1, run->a->gp_flags);
	r->src = gen_pool_source_anon(0);
	if (!r->pool || !r->src || gen_pool_set_source(r->pool, r->src, run->p->pool_bytes)) {
		snprintf(why, len, "%s: no pool with an anonymous source", run->a->name);
		return -1;
	}
	return 0;
}

static void import_step(struct wl_run *run, struct wl_thread *t)
{
	struct import_run *r = run->priv;
	size_t bytes = run->p->pool_bytes;
	uint64_t t0, t1, t2, t3;
	unsigned long a;

	t0 = lat_now();
	a = gen_pool_alloc(r->pool, bytes);
	t1 = lat_now();
	if (!a || gen_pool_free(r->pool, a, bytes)) {
		t->bad = true;
		return;
	}
	t2 = lat_now();
	if (gen_pool_shrink(r->pool) < bytes)
		t->bad = true;
	t3 = lat_now();
	lat_add(&t->lat, lat_ns(t0, t1));
	lat_add(&t->lat2, lat_ns(t2, t3));
	r->import_ns += (double)lat_ns(t0, t1);
	r->shrink_ns += (double)lat_ns(t2, t3);
	r->steps++;
	t->ops++;
}

static void import_report(struct wl_run *run)
{
	struct import_run *r = run->priv;

	if (!r->steps)
		return;
	wl_counter(run, "import_ns", r->import_ns / (double)r->steps);
	wl_counter(run, "shrink_ns", r->shrink_ns / (double)r->steps);
}

static void import_teardown(struct wl_run *run)
{
	struct import_run *r = run->priv;

	if (!r)
		return;
	if (r->pool)
		gen_pool_destroy(r->pool);
	if (r->src)
		gen_pool_source_destroy(r->src);
	free(r);
}

const struct workload wl_import = {
	.name = "import",
	.op = "one import of `pool_mib` (alloc from an empty pool with an anon source), its free, "
	      "and the shrink that releases it",
	.lat = "the importing alloc (lat_*) and the releasing shrink (free_*)",
	.needs = WL_NEEDS_GENPOOL,
	.setup = import_setup,
	.step = import_step,
	.report = import_report,
	.teardown = import_teardown,
};

/* ---- churn ---- */

#define CHURN_BASE (REGION_ADDR_ONLY_BASE + (1UL << 36)) /* the chunk that comes and goes */

struct churn_run {
	struct gen_pool *pool;
	pthread_t remover;
	bool removing;
	int stop;                  /* atomic */
	unsigned long removals;    /* remover only; read after join */
	uint64_t t_start, t_stop;
};

static void *remover_main(void *arg)
{
	struct churn_run *r = arg;
	size_t bytes = 64UL << 20;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		if (gen_pool_remove_chunk(r->pool, CHURN_BASE) != 0)
			continue; /* a range of it is out: try again */
		r->removals++;
		if (gen_pool_add(r->pool, CHURN_BASE, bytes, -1))
			break;
	}
	return NULL;
}

static int churn_setup(struct wl_run *run, char *why, size_t len)
{
	struct churn_run *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	run->priv = r;
	r->pool = gen_pool_create_flags(run->p->order, -1, run->a->gp_flags);
	if (!r->pool || gen_pool_add(r->pool, REGION_ADDR_ONLY_BASE, run->p->pool_bytes, -1) ||
	    gen_pool_add(r->pool, CHURN_BASE, 64UL << 20, -1)) {
		snprintf(why, len, "%s: no pool", run->a->name);
		return -1;
	}
	r->removing = run->p->chunks == 1;
	r->t_start = lat_now();
	if (r->removing && pthread_create(&r->remover, NULL, remover_main, r)) {
		r->removing = false;
		snprintf(why, len, "no remover thread");
		return -1;
	}
	return 0;
}

static void churn_step(struct wl_run *run, struct wl_thread *t)
{
	struct churn_run *r = run->priv;
	size_t g = 1UL << run->p->order;
	bool timed = wl_sampled(t);
	uint64_t t0 = timed ? lat_now() : 0;
	unsigned long a = gen_pool_alloc(r->pool, g);

	if (timed)
		lat_add(&t->lat, lat_ns(t0, lat_now()));
	if (!a) {
		t->fails++;
		return;
	}
	if (gen_pool_free(r->pool, a, g))
		wl_bad_free(run, t, a, g);
	t->ops++;
}

static void churn_stop(struct churn_run *r)
{
	if (!r->removing)
		return;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	pthread_join(r->remover, NULL);
	r->removing = false;
	r->t_stop = lat_now();
}

static void churn_report(struct wl_run *run)
{
	struct churn_run *r = run->priv;
	bool had = r->removing;
	double s;

	churn_stop(r);
	s = (double)lat_ns(r->t_start, r->t_stop) * 1e-9;
	wl_counter(run, "removals_per_s", had && s > 0 ? (double)r->removals / s : 0.0);
}

static void churn_teardown(struct wl_run *run)
{
	struct churn_run *r = run->priv;

	if (!r)
		return;
	churn_stop(r);
	if (r->pool && gen_pool_has_addr(r->pool, CHURN_BASE, 1) == false)
		gen_pool_add(r->pool, CHURN_BASE, 64UL << 20, -1);
	if (r->pool)
		gen_pool_destroy(r->pool);
	free(r);
}

const struct workload wl_churn = {
	.name = "churn",
	.op = "one alloc + free of 1 granule while (chunks 1) another thread removes and re-adds "
	      "a chunk, or (chunks 0) not",
	.lat = "one alloc",
	.needs = WL_NEEDS_GENPOOL,
	.setup = churn_setup,
	.step = churn_step,
	.report = churn_report,
	.teardown = churn_teardown,
};
