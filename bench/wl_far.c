// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wl_far.c - far_run: a request whose only fitting run is at the far end
 * of a pool whose free space is otherwise small holes (issue 10's "far run"
 * target). The pool is cut into holes of `gran` - 1 granules, each closed
 * by one held granule, except its last 2 * `gran` granules, which stay
 * free. One op is an alloc of `gran` granules (it must land at the far
 * end) and its free. A linear first fit (the kernel's, genpool_kfit) reads
 * every hole on the way; a search that knows the longest run under each
 * node skips them.
 */
#include <stdio.h>
#include <stdlib.h>

#include "workload.h"

static int far_setup(struct wl_run *run, char *why, size_t len)
{
	const struct wl_params *p = run->p;
	size_t n, gap = p->granules - 1, g;
	struct held *h;
	int order;

	if (wl_attach_empty(run, true, why, len))
		return -1;
	n = region_granules(&run->fx->reg);
	order = run->fx->reg.r.order;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	run->priv = h;
	for (g = gap; g + 2 * p->granules < n; g += gap + 1) {
		uintptr_t addr = run->fx->reg.r.base + (g << order);

		if (run->a->claim(run->ctx, addr, (size_t)1 << order) ||
		    held_push(h, addr, (size_t)1 << order, order)) {
			snprintf(why, len, "far_run: could not hold granule %zu", g);
			held_release(run->a, run->ctx, h); /* the fixture goes back whole */
			return -1;
		}
	}
	return 0;
}

static void far_step(struct wl_run *run, struct wl_thread *t)
{
	size_t bytes = (size_t)run->p->granules << run->p->order;
	uintptr_t end = run->fx->reg.r.base + run->fx->reg.r.size, addr;
	bool timed = wl_sampled(t);
	uint64_t t0 = timed ? lat_now() : 0;

	addr = run->a->alloc(run->ctx, bytes);
	if (addr && run->a->free(run->ctx, addr, bytes))
		wl_bad_free(run, t, addr, bytes);
	if (timed)
		lat_add(&t->lat, lat_ns(t0, lat_now()));
	/* the one fitting run is in the last 2 * gran granules */
	if (addr && end - addr > 2 * bytes && !t->bad) {
		fprintf(stderr, "bench: far_run: %s placed the run at %#lx, not at the end\n",
			run->a->name, (unsigned long)addr);
		t->bad = true;
	}
	t->fails += !addr;
	t->attempts++;
	t->ops++;
}

static void far_teardown(struct wl_run *run)
{
	struct held *h = run->priv;

	if (h && held_release(run->a, run->ctx, h))
		fprintf(stderr, "bench: far_run: %s refused a free of the holes' walls\n",
			run->a->name);
	free(h);
	run->priv = NULL;
}

const struct workload wl_far_run = {
	.name = "far_run",
	.fail_is_op = true,
	.op = "one alloc of `gran` granules (the only fitting run is at the pool's far end), "
	      "then its free",
	.lat = "the alloc + free",
	.needs = WL_NEEDS_REGION | WL_NEEDS_GENPOOL, /* holds chosen granules (claim) */
	.setup = far_setup,
	.step = far_step,
	.teardown = far_teardown,
};
