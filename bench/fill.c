// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fill.c - random prefill: the region is cut into ranges of random size,
 * as if allocated one after another into an empty pool, and each range
 * is kept with probability p (freed otherwise).
 *
 * An allocator that can claim a given range (genpool, through
 * gen_pool_fixed_alloc) gets the layout directly, adjacent kept ranges
 * claimed as one: linear in the pool size even at 64 GiB. That is the
 * layout the allocations themselves would give a first-fit pool (what
 * bench/quick.c does by allocating every granule). Any other allocator
 * makes the allocations until it has covered the region or runs out,
 * then frees the ones not kept: a heap with the same live objects.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fill.h"
#include "rng.h"

int held_push(struct held *h, uintptr_t addr, size_t bytes, int order)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		struct range *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = (struct range){ addr, bytes };
	h->granules += bytes >> order;
	return 0;
}

int held_release(const struct bench_alloc *a, void *ctx, struct held *h)
{
	int bad = 0;

	for (size_t i = 0; i < h->n; i++)
		if (a->free(ctx, h->v[i].addr, h->v[i].bytes))
			bad = -1;
	free(h->v);
	*h = (struct held){ 0 };
	return bad;
}

static size_t draw_range(uint64_t *rng, unsigned int max_range)
{
	return 1 + (size_t)rng_below(rng, max_range);
}

static bool kept(uint64_t *rng, double p)
{
	return p >= 1.0 || rng_unit(rng) < p;
}

static int claim_run(const struct bench_alloc *a, void *ctx, const struct region *g,
		     size_t first, size_t granules, struct held *h)
{
	int order = g->r.order;
	uintptr_t addr = g->r.base + (first << order);

	return a->claim(ctx, addr, granules << order) || held_push(h, addr, granules << order, order)
		       ? -1
		       : 0;
}

static int fill_claim(const struct bench_alloc *a, void *ctx, const struct region *g, double p,
		      unsigned int max_range, uint64_t *rng, struct held *h)
{
	size_t n = region_granules(g), pos = 0, first = 0, run = 0, s;

	while (pos < n) {
		s = draw_range(rng, max_range);
		s = s < n - pos ? s : n - pos;
		if (kept(rng, p)) {
			if (!run)
				first = pos;
			run += s;
		} else if (run) {
			if (claim_run(a, ctx, g, first, run, h))
				return -1;
			run = 0;
		}
		pos += s;
	}
	return run ? claim_run(a, ctx, g, first, run, h) : 0;
}

/* Allocate everything first, then free: freeing early would let it compact. */
static int fill_generic(const struct bench_alloc *a, void *ctx, const struct region *g, double p,
			unsigned int max_range, uint64_t *rng, struct held *h)
{
	size_t n = region_granules(g), covered = 0, s, i, out = 0;
	int order = g->r.order;
	uintptr_t addr;

	while (covered < n) {
		s = draw_range(rng, max_range);
		s = s < n - covered ? s : n - covered;
		addr = a->alloc(ctx, s << order);
		if (!addr)
			break; /* metadata in the region: not everything fits */
		if (held_push(h, addr, s << order, order))
			return -1;
		covered += s;
	}
	for (i = 0; i < h->n; i++) {
		if (kept(rng, p)) {
			h->v[out++] = h->v[i];
			continue;
		}
		h->granules -= h->v[i].bytes >> order;
		if (a->free(ctx, h->v[i].addr, h->v[i].bytes))
			return -1;
	}
	h->n = out;
	return 0;
}

int fill_random(const struct bench_alloc *a, void *ctx, const struct region *g, double occupancy,
		unsigned int max_range, uint64_t seed, struct held *h, char *why, size_t len)
{
	uint64_t rng = rng_seed(seed);
	int ret;

	*h = (struct held){ 0 };
	if (occupancy <= 0)
		return 0;
	if (!max_range)
		max_range = 1;
	ret = a->claim ? fill_claim(a, ctx, g, occupancy, max_range, &rng, h)
		       : fill_generic(a, ctx, g, occupancy, max_range, &rng, h);
	if (ret)
		snprintf(why, len, "prefill failed after %zu ranges", h->n);
	return ret;
}
