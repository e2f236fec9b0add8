// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xalloc.c - gen_pool_xalloc: allocation under vmem_xalloc's constraints
 * (Bonwick and Adams, "Magazines and Vmem", USENIX 2001, section 4.2:
 * align, phase, nocross, minaddr, maxaddr).
 *
 * The search is an ordinary genpool_algo_t (xfit) fed the constraints as
 * its data, so it runs through the same walk and claim as every other
 * algorithm (gp_chunk_alloc_rcu: newest chunk first, claim, search again
 * from the failed bit after a lost race). It scans the chunk's free runs in
 * address order and, in each, computes the lowest start that satisfies the
 * constraints, so the first fit it returns is the lowest satisfying
 * address of the chunk. Correctness is checked against a brute-force model
 * (tests/test_xalloc.c, fuzz/fuzz_xalloc.c).
 *
 * Candidates: the addresses S + b * G of a chunk starting at S with
 * granule G that are = phase (mod align) form a lattice of period
 * P = max(G, align) (both powers of two). When P <= nocross every nocross
 * window holds the same offsets; when P > nocross every candidate has the
 * same offset in its window. Either way, if the lowest candidate at or
 * after a window boundary crosses the next boundary, every later one does
 * too: so a run needs at most two tries, and a second crossing means no
 * candidate of the chunk can ever satisfy nocross.
 */
#include <errno.h>

#include "bitmap.h"
#include "internal.h"

#define NONE (~0UL)

struct xfit_data {
	const struct genpool_constraints *c;
	unsigned long len; /* bytes: granules * G */
	int order;
};

/* Lowest b >= @b whose address S + b * G is = phase (mod align); NONE if none. */
static unsigned long align_up(const struct xfit_data *d, unsigned long start_addr, unsigned long b)
{
	unsigned long align = d->c->align, g = 1UL << d->order, want, period, r;

	if (align <= 1)
		return b;
	want = (d->c->phase - start_addr) & (align - 1); /* b * G must be = want */
	if (align <= g) /* b * G = 0 (mod align): every b or none */
		return want ? NONE : b;
	if (want & (g - 1))
		return NONE;
	period = align >> d->order;
	r = want >> d->order;
	r = b + ((r - b) & (period - 1));
	return r < b ? NONE : r; /* past the end of the address space */
}

/* First granule whose address is >= @addr (0 if @addr <= S); NONE past the end. */
static unsigned long bit_at_or_after(const struct xfit_data *d, unsigned long start_addr,
				     unsigned long addr)
{
	unsigned long off;

	if (addr <= start_addr)
		return 0;
	off = addr - start_addr;
	return (off >> d->order) + ((off & ((1UL << d->order) - 1)) != 0);
}

/* Does [a, a + len) cross a multiple of nocross? (a + len - 1 never wraps.) */
static bool crosses(const struct xfit_data *d, unsigned long a)
{
	unsigned long nc = d->c->nocross;

	return nc && ((a ^ (a + d->len - 1)) & ~(nc - 1));
}

/* Lowest b in [lo, hi] satisfying the constraints (see the top), or NONE. */
static unsigned long fit_in_run(const struct xfit_data *d, unsigned long start_addr,
				unsigned long lo, unsigned long hi)
{
	unsigned long b = bit_at_or_after(d, start_addr, d->c->minaddr), a, next;

	b = align_up(d, start_addr, b > lo ? b : lo);
	for (int tries = 0; tries < 2; tries++) {
		if (b == NONE || b > hi)
			return NONE;
		a = start_addr + (b << d->order);
		if (d->c->maxaddr && (d->c->maxaddr < d->len || a > d->c->maxaddr - d->len))
			return NONE;
		if (!crosses(d, a))
			return b;
		next = (a | (d->c->nocross - 1)) + 1; /* the boundary it crosses */
		b = align_up(d, start_addr, bit_at_or_after(d, start_addr, next));
	}
	return NONE;
}

/*
 * genpool_algo_t over the free runs of @map from @start: the lowest bit
 * whose run of @nr satisfies the constraints in @data, or @size. The runs
 * of at least @nr granules are found through the chunk's free-run index
 * (runs.h) when @map is a chunk's live bitmap, so shorter holes are never
 * visited; each candidate run is measured and tested as above.
 */
static unsigned long xfit(unsigned long *map, unsigned long size, unsigned long start,
			  unsigned int nr, void *data, struct gen_pool *pool, unsigned long start_addr)
{
	const struct gp_summary *sum = gp_algo_summary(map, size);
	const struct xfit_data *d = data;
	unsigned long z = start, e, b;

	(void)pool;
	for (;;) {
		z = gp_sum_find_zero_area(sum, map, size, z, nr, 0, 0);
		if (z >= size || nr > size - z)
			return size;
		e = gp_bitmap_find_next_bit(map, size, z + nr);
		b = fit_in_run(d, start_addr, z, e - nr);
		if (b != NONE)
			return b;
		z = e;
	}
}

/* Why @c can never be satisfied for @len bytes, or NULL. */
static const char *impossible(const struct genpool_constraints *c, unsigned long len)
{
	if (c->align & (c->align - 1))
		return "align is not a power of two";
	if (c->align ? c->phase >= c->align : c->phase != 0)
		return "phase is not below align";
	if (c->nocross & (c->nocross - 1))
		return "nocross is not a power of two";
	if (c->nocross && c->nocross < len)
		return "nocross is smaller than the length";
	if (c->maxaddr && c->maxaddr <= c->minaddr)
		return "[minaddr, maxaddr) is empty";
	return NULL;
}

struct xalloc_try {
	struct gen_pool *pool;
	unsigned long nbits;
	struct gp_algo_pair pair;
};

static unsigned long xalloc_once(void *ctx)
{
	struct xalloc_try *t = ctx;
	struct gen_pool_chunk *c;

	return gp_pool_alloc_pair(t->pool, t->nbits, &t->pair, true, &c);
}

unsigned long gen_pool_xalloc(struct gen_pool *pool, size_t size,
			      const struct genpool_constraints *c)
{
	struct xalloc_try t = { pool, 0, { .algo = xfit } };
	struct xfit_data d = { c, 0, 0 };
	unsigned long addr;
	const char *why;

	if (!pool || !c)
		return (unsigned long)GP_REFUSE_NULL(EINVAL, "%s is NULL", pool ? "c" : "pool");
	t.nbits = gp_pool_granules(pool, size);
	if (!t.nbits)
		return (unsigned long)GP_REFUSE_NULL(EINVAL, "size %zu is 0 or too large", size);
	d.order = pool->min_alloc_order;
	d.len = t.nbits << d.order;
	why = impossible(c, d.len);
	if (why)
		return (unsigned long)GP_REFUSE_NULL(EINVAL, "constraints: %s", why);
	t.pair.data = &d;
	addr = xalloc_once(&t);
	if (!addr && pool->tcache) { /* cached ranges are free: return ours, retry */
		gp_tcache_flush(pool);
		addr = xalloc_once(&t);
	}
	if (!addr)
		addr = gp_source_grow(pool, t.nbits, xalloc_once, &t);
	if (!addr)
		errno = ENOMEM;
	return addr;
}
