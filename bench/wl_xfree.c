// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wl_xfree.c - cross-thread free: threads work in pairs, the even one
 * allocates 1-granule ranges and hands them through a lock-free ring
 * (ring.h) to the odd one, which frees them. Every range is freed by a
 * thread that did not allocate it: the case per-thread caches of
 * general-purpose allocators handle worst, and a pool does not notice.
 *
 * One op is one alloc (producer) or one free (consumer); the pool starts
 * empty and at most RING_SIZE ranges per pair are out at any time. Time
 * spent waiting on the ring is in the numbers: with more threads than
 * cores the partner is often not running.
 */
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "workload.h"

#define XFREE_MAX_RETRY 1000000 /* allocs failing this often: the pool is broken */

static int xfree_setup(struct wl_run *run, char *why, size_t len)
{
	size_t pairs = (size_t)run->nthreads / 2, bytes = pairs * sizeof(struct ring);

	if (wl_attach_empty(run, false, why, len))
		return -1;
	run->priv = aligned_alloc(64, bytes ? bytes : sizeof(struct ring));
	if (!run->priv)
		return -1;
	memset(run->priv, 0, bytes);
	return 0;
}

static void produce(struct wl_run *run, struct wl_thread *t, struct ring *r, size_t bytes)
{
	unsigned int spins = 0;
	uintptr_t addr;
	bool timed = wl_sampled(t);
	uint64_t t0 = timed ? lat_now() : 0;

	for (int tries = 0; !(addr = run->a->alloc(run->ctx, bytes)); tries++) {
		t->fails++;
		if (tries == XFREE_MAX_RETRY) {
			t->bad = true;
			break; /* hand on a 0: the consumer must not wait forever */
		}
		ring_wait(&spins);
	}
	if (timed)
		lat_add(&t->lat, lat_ns(t0, lat_now()));
	t->attempts++;
	for (spins = 0; !ring_push(r, addr);)
		ring_wait(&spins);
	t->ops++;
}

static void consume(struct wl_run *run, struct wl_thread *t, struct ring *r, size_t bytes)
{
	unsigned int spins = 0;
	uintptr_t addr;
	bool timed;
	uint64_t t0;

	while (!ring_pop(r, &addr))
		ring_wait(&spins);
	if (!addr)
		return;
	timed = wl_sampled(t);
	t0 = timed ? lat_now() : 0;
	if (run->a->free(run->ctx, addr, bytes))
		wl_bad_free(run, t, addr, bytes);
	if (timed)
		lat_add(&t->lat2, lat_ns(t0, lat_now()));
	t->ops++;
}

static void xfree_step(struct wl_run *run, struct wl_thread *t)
{
	struct ring *r = (struct ring *)run->priv + t->id / 2;
	size_t bytes = (size_t)run->p->granules << run->p->order;

	if (t->id % 2 == 0)
		produce(run, t, r, bytes);
	else
		consume(run, t, r, bytes);
}

static void xfree_teardown(struct wl_run *run)
{
	free(run->priv);
}

const struct workload wl_xfree = {
	.name = "xfree",
	.fail_is_op = true,
	.op = "one alloc (producer) or one free (consumer) of `gran` granules",
	.lat = "the producer's alloc (lat_*) or the consumer's free (free_*)",
	.pairs = true,
	.setup = xfree_setup,
	.step = xfree_step,
	.teardown = xfree_teardown,
};
