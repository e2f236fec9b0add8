// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wl_random.c - random sizes at steady state: each thread keeps a live set
 * of `live / threads` ranges of 1..`gran` granules (uniform), and every step
 * frees one at random and allocates a new random size in its place. The
 * live set is built before the timed loop, so only the steady state is
 * measured; the total live set is the same at every thread count (2048
 * ranges of 32.5 granules on average: a quarter of a 1 GiB pool).
 *
 * One op is one free + alloc pair; a latency sample times the pair.
 */
#include <stdlib.h>

#include "rng.h"
#include "workload.h"

struct live_set {
	struct range *r;
	size_t n;
};

static int random_setup(struct wl_run *run, char *why, size_t len)
{
	return wl_attach_empty(run, false, why, len);
}

static size_t random_bytes(struct wl_run *run, struct wl_thread *t)
{
	return (size_t)(1 + rng_below(&t->rng, run->p->granules)) << run->p->order;
}

static void fill_slot(struct wl_run *run, struct wl_thread *t, struct range *slot)
{
	size_t bytes = random_bytes(run, t);

	slot->addr = run->a->alloc(run->ctx, bytes);
	slot->bytes = slot->addr ? bytes : 0;
	t->attempts++;
	t->fails += !slot->addr;
}

static void empty_slot(struct wl_run *run, struct wl_thread *t, struct range *slot)
{
	if (slot->addr && run->a->free(run->ctx, slot->addr, slot->bytes))
		wl_bad_free(run, t, slot->addr, slot->bytes);
	slot->addr = 0;
}

static void random_begin(struct wl_run *run, struct wl_thread *t)
{
	struct live_set *s = calloc(1, sizeof(*s));
	size_t n = run->p->live / (unsigned int)run->nthreads;

	if (s) {
		s->n = n ? n : 1;
		s->r = calloc(s->n, sizeof(*s->r));
	}
	if (!s || !s->r)
		abort();
	for (size_t i = 0; i < s->n; i++)
		fill_slot(run, t, &s->r[i]);
	t->attempts = t->fails = 0; /* count the steady state only */
	t->priv = s;
}

static void random_step(struct wl_run *run, struct wl_thread *t)
{
	struct live_set *s = t->priv;
	struct range *slot = &s->r[rng_below(&t->rng, s->n)];
	bool timed = wl_sampled(t);
	uint64_t t0 = timed ? lat_now() : 0;

	empty_slot(run, t, slot);
	fill_slot(run, t, slot);
	if (timed)
		lat_add(&t->lat, lat_ns(t0, lat_now()));
	t->ops++;
}

static void random_end(struct wl_run *run, struct wl_thread *t)
{
	struct live_set *s = t->priv;

	for (size_t i = 0; i < s->n; i++)
		empty_slot(run, t, &s->r[i]);
	free(s->r);
	free(s);
	t->priv = NULL;
}

const struct workload wl_random = {
	.name = "random",
	.fail_is_op = true,
	.op = "one free + alloc pair (sizes 1..`gran` granules, uniform)",
	.lat = "the free + alloc pair",
	.setup = random_setup,
	.thread_begin = random_begin,
	.step = random_step,
	.thread_end = random_end,
};
