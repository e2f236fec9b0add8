// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wl_frag.c - fragmentation aging: a long run of random allocs and frees
 * of power-law sizes (1..`gran` granules, alpha 1.5) holding a fresh pool
 * at `occupancy` (70, 85, 95 %).
 *
 * Each thread owns an equal share (quota) of the target. A step draws a
 * size: if it fits in the quota it is allocated, else a random live range
 * of the thread is freed. An allocation refused while the quota says
 * there is room is a fragmentation failure (for memkind also its size
 * classes and metadata): fail_rate counts them. At the end, with every
 * thread stopped, thread 0 finds the largest free run by bisection on
 * alloc+free (any allocator can be asked that way). The run has a fixed
 * number of steps; latency samples (allocations only) are kept per
 * quarter of the run, to show drift as the pool ages.
 *
 * occ_first_fail: the occupancy the pool had reached when an allocation
 * was first refused (the highest live share before it; the highest of the
 * whole run when none was refused), summed over the threads' shares: the
 * achievable occupancy before the first failure. At `occ` 100 the quota is
 * the whole pool, so every run ends at such a failure; but that first one
 * comes while the untimed fill packs a clean pool, so there occ_at_fail
 * is the figure: the mean occupancy at the refusals of the timed (aged)
 * steps, i.e. how full the pool is when the allocator says no (a thread's
 * live share times the thread count: exact on one thread, an estimate on
 * more).
 *
 * One op is one step (an alloc or a free).
 */
#include <stdlib.h>

#include "fill.h"
#include "rng.h"
#include "workload.h"

#define FRAG_ALPHA	1.5
#define FRAG_EPOCHS	4

struct frag_thread {
	struct held live;
	size_t quota;			/* granules */
	size_t peak;			/* most live granules before the first failure */
	bool refused;			/* an allocation was refused */
	double fail_live;		/* live granules summed over timed refusals */
	uint64_t fail_n;
	struct lat_hist epoch[FRAG_EPOCHS];
};

struct frag_run {
	size_t largest, free_granules, live_granules;
};

static int frag_setup(struct wl_run *run, char *why, size_t len)
{
	if (wl_attach_empty(run, true, why, len))
		return -1;
	run->priv = calloc(1, sizeof(struct frag_run));
	return run->priv ? 0 : -1;
}

static unsigned int draw(struct wl_run *run, struct wl_thread *t)
{
	return rng_power_law(&t->rng, FRAG_ALPHA, run->p->granules);
}

static void free_one(struct wl_run *run, struct wl_thread *t, struct frag_thread *f)
{
	struct held *h = &f->live;
	size_t k;
	struct range r;

	if (!h->n)
		return;
	k = rng_below(&t->rng, h->n);
	r = h->v[k];
	h->v[k] = h->v[--h->n];
	h->granules -= r.bytes >> run->p->order;
	if (run->a->free(run->ctx, r.addr, r.bytes))
		wl_bad_free(run, t, r.addr, r.bytes);
}

/* After an allocation attempt: the peak until the first refusal. */
static void note(struct frag_thread *f, bool ok)
{
	if (f->refused)
		return;
	if (!ok)
		f->refused = true;
	else if (f->live.granules > f->peak)
		f->peak = f->live.granules;
}

static void frag_begin(struct wl_run *run, struct wl_thread *t)
{
	struct frag_thread *f = calloc(1, sizeof(*f));
	int order = run->p->order, misses = 0;

	if (!f)
		abort();
	f->quota = (size_t)(run->p->occupancy * (double)region_granules(&run->fx->reg)) /
		   (size_t)run->nthreads;
	/* Untimed: fill the quota, so the timed run starts at the target. */
	while (misses < 16) {
		size_t bytes = (size_t)draw(run, t) << order;
		uintptr_t addr;

		if (f->live.granules + (bytes >> order) > f->quota) {
			misses++;
			continue;
		}
		addr = run->a->alloc(run->ctx, bytes);
		if (!addr || held_push(&f->live, addr, bytes, order)) {
			note(f, false);
			break;
		}
		note(f, true);
	}
	t->priv = f;
}

static void frag_step(struct wl_run *run, struct wl_thread *t)
{
	struct frag_thread *f = t->priv;
	int order = run->p->order;
	size_t bytes = (size_t)draw(run, t) << order;
	long step = t->i++, quarter = step * FRAG_EPOCHS / (t->iters ? t->iters : 1);
	uint64_t t0, ns;
	uintptr_t addr;
	bool timed;

	t->ops++;
	if (f->live.granules + (bytes >> order) > f->quota) {
		free_one(run, t, f);
		return;
	}
	timed = wl_sampled(t);
	t0 = timed ? lat_now() : 0;
	addr = run->a->alloc(run->ctx, bytes);
	if (timed) {
		ns = lat_ns(t0, lat_now());
		lat_add(&t->lat, ns);
		lat_add(&f->epoch[quarter < FRAG_EPOCHS ? quarter : FRAG_EPOCHS - 1], ns);
	}
	t->attempts++;
	if (!addr) {
		t->fails++;
		note(f, false);
		f->fail_live += (double)f->live.granules;
		f->fail_n++;
		free_one(run, t, f);
	} else if (held_push(&f->live, addr, bytes, order)) {
		abort();
	} else {
		note(f, true);
	}
}

/* The largest run the allocator will hand out now: bisection on alloc. */
static size_t largest_free(struct wl_run *run, size_t hi)
{
	int order = run->p->order;
	size_t lo = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		uintptr_t addr = run->a->alloc(run->ctx, mid << order);

		if (addr) {
			if (run->a->free(run->ctx, addr, mid << order))
				wl_bad_free(run, &run->t[0], addr, mid << order);
			lo = mid;
		} else {
			hi = mid - 1;
		}
	}
	return lo;
}

static void frag_end(struct wl_run *run, struct wl_thread *t)
{
	struct frag_thread *f = t->priv;
	struct frag_run *fr = run->priv;

	pthread_barrier_wait(&run->barrier); /* nobody allocates any more */
	if (t->id == 0) {
		size_t live = 0, n = region_granules(&run->fx->reg);

		for (int i = 0; i < run->nthreads; i++)
			live += ((struct frag_thread *)run->t[i].priv)->live.granules;
		fr->live_granules = live;
		fr->free_granules = n - live;
		fr->largest = largest_free(run, n - live);
	}
	pthread_barrier_wait(&run->barrier);
	if (held_release(run->a, run->ctx, &f->live))
		t->bad = true;
}

static void frag_report(struct wl_run *run)
{
	static const char *const p50[FRAG_EPOCHS] = { "q1_p50_ns", "q2_p50_ns", "q3_p50_ns",
						      "q4_p50_ns" };
	static const char *const p99[FRAG_EPOCHS] = { "q1_p99_ns", "q2_p99_ns", "q3_p99_ns",
						      "q4_p99_ns" };
	struct frag_run *fr = run->priv;
	struct lat_hist *h = calloc(FRAG_EPOCHS, sizeof(*h));
	size_t n = region_granules(&run->fx->reg), peak = 0;
	int refused = 0;
	double fail_live = 0;
	uint64_t fail_n = 0;

	if (!h)
		abort();
	for (int i = 0; i < run->nthreads; i++) {
		struct frag_thread *f = run->t[i].priv;

		peak += f->peak;
		refused += f->refused;
		fail_live += f->fail_live;
		fail_n += f->fail_n;
	}
	if (fail_n)
		wl_counter(run, "occ_at_fail",
			   fail_live * run->nthreads / (double)fail_n / (double)n);
	wl_counter(run, "occ_first_fail", (double)peak / (double)n);
	wl_counter(run, "threads_refused", refused);
	for (int i = 0; i < run->nthreads; i++)
		for (int e = 0; e < FRAG_EPOCHS; e++)
			lat_merge(&h[e], &((struct frag_thread *)run->t[i].priv)->epoch[e]);
	for (int e = 0; e < FRAG_EPOCHS; e++) {
		wl_counter(run, p50[e], lat_quantile(&h[e], 0.5));
		wl_counter(run, p99[e], lat_quantile(&h[e], 0.99));
	}
	if (h[0].n && lat_quantile(&h[0], 0.99) > 0)
		wl_counter(run, "drift_p99", lat_quantile(&h[3], 0.99) / lat_quantile(&h[0], 0.99));
	free(h);
	wl_counter(run, "occupancy_end", (double)fr->live_granules / (double)n);
	wl_counter(run, "free_granules", (double)fr->free_granules);
	wl_counter(run, "largest_free_granules", (double)fr->largest);
	if (fr->free_granules)
		wl_counter(run, "largest_free_frac",
			   (double)fr->largest / (double)fr->free_granules);
}

static void frag_teardown(struct wl_run *run)
{
	for (int i = 0; i < run->nthreads; i++)
		free(run->t[i].priv);
	free(run->priv);
}

const struct workload wl_frag = {
	.name = "frag",
	.fail_is_op = true,
	.op = "one step: an alloc (power-law size) or a free",
	.lat = "allocations only; q1..q4_* per quarter of the run",
	.needs = WL_NEEDS_REGION,
	.setup = frag_setup,
	.thread_begin = frag_begin,
	.step = frag_step,
	.thread_end = frag_end,
	.report = frag_report,
	.teardown = frag_teardown,
};
