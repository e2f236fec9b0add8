// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wl_pair.c - the alloc+free pair workloads, over a randomly prefilled
 * fixture (fill.h; the layouts are below):
 *
 *   hot_pair  alloc + free of one size, again and again; the pool half
 *             full (64 MiB of 4 KiB granules): the fast path under
 *             contention, every thread hitting the same first hole.
 *   search    the same over 64 MiB .. 64 GiB address-only pools filled to
 *             50 % or 90 %: how the search cost grows with the pool.
 *   align     DMA-style requests: alloc aligned to 64 KiB or 2 MiB (genpool
 *             through gen_pool_dma_alloc_align, i.e. first_fit_align;
 *             memkind_posix_memalign; posix_memalign and the like).
 *
 * One op is one attempt: an alloc, and the free when it succeeded; a
 * latency sample times it. An attempt that finds no room (a whole search
 * for nothing) is an op too, counted in fail_rate: in search at 90 % most
 * 16-granule attempts fail, and their cost is the point.
 *
 * Prefill: hot_pair and align cut the pool into ranges of 1..64 granules
 * and keep half of them (so 64-granule requests can fit); search keeps
 * each granule independently, as bench/quick.c does, so a 16-granule
 * request must look far (50 %) or fails after a full scan (90 %).
 */
#include <stdio.h>

#include "workload.h"

static int pair_setup(struct wl_run *run, char *why, size_t len)
{
	const struct wl_params *p = run->p;

	run->fx = fixture_get(run->a, p->pool_bytes, p->order, p->occupancy, p->fill_range,
			      p->chunks, false, why, len);
	if (!run->fx)
		return -1;
	run->ctx = run->fx->ctx;
	return 0;
}

static void pair_step(struct wl_run *run, struct wl_thread *t)
{
	size_t bytes = (size_t)run->p->granules << run->p->order;
	bool timed = wl_sampled(t);
	uint64_t t0 = timed ? lat_now() : 0;
	uintptr_t addr = run->a->alloc(run->ctx, bytes);

	if (addr && run->a->free(run->ctx, addr, bytes))
		wl_bad_free(run, t, addr, bytes);
	if (timed)
		lat_add(&t->lat, lat_ns(t0, lat_now()));
	t->fails += !addr;
	t->attempts++;
	t->ops++;
}

static void align_step(struct wl_run *run, struct wl_thread *t)
{
	size_t bytes = (size_t)run->p->granules << run->p->order, align = run->p->align;
	bool timed = wl_sampled(t);
	uint64_t t0 = timed ? lat_now() : 0;
	uintptr_t addr = run->a->alloc_aligned(run->ctx, bytes, align);

	if (addr && run->a->free(run->ctx, addr, bytes))
		wl_bad_free(run, t, addr, bytes);
	if (timed)
		lat_add(&t->lat, lat_ns(t0, lat_now()));
	if (addr & (align - 1)) {
		if (!t->bad)
			fprintf(stderr, "bench: %s: %#lx is not aligned to %zu\n", run->a->name,
				(unsigned long)addr, align);
		t->bad = true;
	}
	t->fails += !addr;
	t->attempts++;
	t->ops++;
}

static void pair_report(struct wl_run *run)
{
	wl_counter(run, "prefill_s", run->fx->fill_seconds);
}

const struct workload wl_hot_pair = {
	.name = "hot_pair",
	.fail_is_op = true,
	.op = "one attempt: alloc of `gran` granules, then its free (fail_rate: no room)",
	.lat = "the attempt (alloc + free)",
	.setup = pair_setup,
	.step = pair_step,
	.report = pair_report,
};

const struct workload wl_search = {
	.name = "search",
	.fail_is_op = true,
	.op = "one attempt: alloc of `gran` granules, then its free (fail_rate: no room)",
	.lat = "the attempt (alloc + free)",
	.needs = WL_NEEDS_REGION,
	.setup = pair_setup,
	.step = pair_step,
	.report = pair_report,
};

const struct workload wl_align = {
	.name = "align",
	.fail_is_op = true,
	.op = "one attempt: aligned alloc of `gran` granules, then its free",
	.lat = "the attempt (aligned alloc + free)",
	.needs = WL_NEEDS_ALIGN,
	.setup = pair_setup,
	.step = align_step,
	.report = pair_report,
};
