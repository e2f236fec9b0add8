/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xalloc_model.h - the brute-force model of gen_pool_xalloc, shared by
 * tests/test_xalloc.c and fuzz/fuzz_xalloc.c: try every granule of every
 * chunk, newest first, lowest first, and test api.md's constraints on the
 * address directly. Written from api.md, sharing no code with src/xalloc.c.
 */
#ifndef TESTS_XALLOC_MODEL_H
#define TESTS_XALLOC_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "genpool.h"

#define XM_MAX_CHUNKS 4
#define XM_MAX_GRANULES 700

struct xm_chunk {
	unsigned long base, granules;
	bool busy[XM_MAX_GRANULES];
};

/* Chunks in the order they were added: [n - 1] is the newest. */
struct xm_pool {
	int order;
	unsigned int n;
	struct xm_chunk c[XM_MAX_CHUNKS];
};

static inline bool xm_satisfies(const struct genpool_constraints *c, unsigned long a,
				unsigned long len)
{
	if (c->align && (a - c->phase) % c->align)
		return false;
	if (c->nocross && a / c->nocross != (a + len - 1) / c->nocross)
		return false;
	if (a < c->minaddr)
		return false;
	return !c->maxaddr || (c->maxaddr >= len && a <= c->maxaddr - len);
}

/* Would a range of @len bytes be impossible for any pool (api.md's EINVAL)? */
static inline bool xm_invalid(const struct genpool_constraints *c, unsigned long len)
{
	bool pow2_align = (c->align & (c->align - 1)) == 0;
	bool pow2_nocross = (c->nocross & (c->nocross - 1)) == 0;

	return !pow2_align || (c->align ? c->phase >= c->align : c->phase != 0) ||
	       !pow2_nocross || (c->nocross && c->nocross < len) ||
	       (c->maxaddr && c->maxaddr <= c->minaddr);
}

/* The address xalloc must return for @nr granules, or 0; marks it busy. */
static inline unsigned long xm_alloc(struct xm_pool *m, unsigned long nr,
				     const struct genpool_constraints *cons)
{
	unsigned long g = 1UL << m->order, len = nr << m->order;

	for (unsigned int k = m->n; k-- > 0;) {
		struct xm_chunk *c = &m->c[k];

		for (unsigned long b = 0; b + nr <= c->granules; b++) {
			unsigned long i;

			for (i = b; i < b + nr && !c->busy[i]; i++)
				;
			if (i < b + nr || !xm_satisfies(cons, c->base + b * g, len))
				continue;
			for (i = b; i < b + nr; i++)
				c->busy[i] = true;
			return c->base + b * g;
		}
	}
	return 0;
}

#endif /* TESTS_XALLOC_MODEL_H */
