// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wl_bulk.c - bulk: the threads together fill `occupancy` of an empty
 * pool with 1-granule ranges, wait for each other, then free them all.
 *
 * One step is one round (barrier, alloc phase, barrier, free phase), so
 * the pool really reaches the fill before anything is freed. Each thread
 * times its own phases: ns_per_alloc / ns_per_free are a thread's time per
 * call (threads overlap), alloc_per_s / free_per_s the sum of the
 * threads' rates. First fit makes the k-th allocation of a round scan
 * past k taken granules: the alloc phase is quadratic in the fill, which
 * is genpool's (and the kernel's) real behaviour, not an artefact.
 * One op is one alloc or one free; latency samples time single calls.
 *
 * Two more workloads run the same rounds (issue 5's targets):
 *   bulk_big  50 % of a 16 GiB pool: the engine's first fit against the
 *             kernel-style first fit (genpool_kfit) at every thread count;
 *             one round per repetition (a kernel-style round takes seconds).
 *   chunks    the pool added as `chunks` chunks (1 or 1000): the free phase
 *             looks each address's chunk up (ns_per_free), an index or a
 *             list walk; the fill walks the chunks newest first.
 */
#include <stdlib.h>

#include "workload.h"

struct bulk_thread {
	uintptr_t *addr;
	size_t n;			/* allocations per round */
	uint64_t alloc_ns, free_ns;	/* summed over rounds */
	uint64_t allocs, frees;
};

static int bulk_setup(struct wl_run *run, char *why, size_t len)
{
	return wl_attach_empty(run, false, why, len);
}

static void bulk_begin(struct wl_run *run, struct wl_thread *t)
{
	size_t total = (size_t)(run->p->occupancy * (double)region_granules(&run->fx->reg));
	struct bulk_thread *b = calloc(1, sizeof(*b));

	if (b) {
		b->n = total / (size_t)run->nthreads;
		b->addr = calloc(b->n ? b->n : 1, sizeof(*b->addr));
	}
	if (!b || !b->addr)
		abort();
	t->priv = b;
}

static uintptr_t timed_alloc(struct wl_run *run, struct wl_thread *t, size_t bytes)
{
	uint64_t t0;
	uintptr_t addr;

	if (!wl_sampled(t))
		return run->a->alloc(run->ctx, bytes);
	t0 = lat_now();
	addr = run->a->alloc(run->ctx, bytes);
	lat_add(&t->lat, lat_ns(t0, lat_now()));
	return addr;
}

static void timed_free(struct wl_run *run, struct wl_thread *t, uintptr_t addr, size_t bytes)
{
	bool timed = wl_sampled(t);
	uint64_t t0 = timed ? lat_now() : 0;

	if (run->a->free(run->ctx, addr, bytes))
		wl_bad_free(run, t, addr, bytes);
	if (timed)
		lat_add(&t->lat2, lat_ns(t0, lat_now()));
}

static void bulk_step(struct wl_run *run, struct wl_thread *t)
{
	struct bulk_thread *b = t->priv;
	size_t bytes = (size_t)1 << run->p->order, i, got = 0;
	uint64_t t0, t1, t2, t3;

	pthread_barrier_wait(&run->barrier);
	t0 = lat_now();
	for (i = 0; i < b->n; i++) {
		b->addr[i] = timed_alloc(run, t, bytes);
		got += b->addr[i] != 0;
	}
	t1 = lat_now();
	pthread_barrier_wait(&run->barrier); /* the fill is reached */
	t2 = lat_now();
	for (i = 0; i < b->n; i++)
		if (b->addr[i])
			timed_free(run, t, b->addr[i], bytes);
	t3 = lat_now();
	b->alloc_ns += lat_ns(t0, t1);
	b->free_ns += lat_ns(t2, t3);
	b->allocs += got;
	b->frees += got;
	t->attempts += b->n;
	t->fails += b->n - got;
	t->ops += 2 * got;
}

static void bulk_report(struct wl_run *run)
{
	uint64_t alloc_ns = 0, free_ns = 0, allocs = 0, frees = 0;
	double alloc_rate = 0, free_rate = 0;

	for (int i = 0; i < run->nthreads; i++) {
		struct bulk_thread *b = run->t[i].priv;

		alloc_ns += b->alloc_ns;
		free_ns += b->free_ns;
		allocs += b->allocs;
		frees += b->frees;
		if (b->alloc_ns)
			alloc_rate += 1e9 * (double)b->allocs / (double)b->alloc_ns;
		if (b->free_ns)
			free_rate += 1e9 * (double)b->frees / (double)b->free_ns;
	}
	if (allocs)
		wl_counter(run, "ns_per_alloc", (double)alloc_ns / (double)allocs);
	if (frees)
		wl_counter(run, "ns_per_free", (double)free_ns / (double)frees);
	wl_counter(run, "alloc_per_s", alloc_rate);
	wl_counter(run, "free_per_s", free_rate);
}

static void bulk_teardown(struct wl_run *run)
{
	for (int i = 0; i < run->nthreads; i++) {
		struct bulk_thread *b = run->t[i].priv;

		free(b->addr);
		free(b);
	}
}

const struct workload wl_bulk = {
	.name = "bulk",
	.lockstep = true,
	.op = "one alloc or one free of 1 granule",
	.lat = "one alloc (lat_*) or one free (free_*)",
	.setup = bulk_setup,
	.thread_begin = bulk_begin,
	.step = bulk_step,
	.report = bulk_report,
	.teardown = bulk_teardown,
};

const struct workload wl_bulk_big = {
	.name = "bulk_big",
	.lockstep = true,
	.op = "one alloc or one free of 1 granule (a 50 % fill and drain of a 16 GiB pool)",
	.lat = "one alloc (lat_*) or one free (free_*)",
	.needs = WL_NEEDS_REGION,
	.setup = bulk_setup,
	.thread_begin = bulk_begin,
	.step = bulk_step,
	.report = bulk_report,
	.teardown = bulk_teardown,
};

const struct workload wl_chunks = {
	.name = "chunks",
	.lockstep = true,
	.op = "one alloc or one free of 1 granule (bulk over a pool of `chunks` chunks)",
	.lat = "one alloc (lat_*) or one free (free_*)",
	.needs = WL_NEEDS_GENPOOL,
	.setup = bulk_setup,
	.thread_begin = bulk_begin,
	.step = bulk_step,
	.report = bulk_report,
	.teardown = bulk_teardown,
};
