// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_xalloc.c - gen_pool_xalloc: every EINVAL case of api.md reported
 * once with the pool unchanged, the examples of vmem_xalloc's constraints,
 * and a property test: random pools (several chunks, orders 0..8, chunk
 * starts that are not aligned, holes from earlier allocations) and random
 * constraints, each result equal to the brute-force model's
 * (xalloc_model.h), in every pool kind.
 */
#include <errno.h>

#include "error_helpers.h"
#include "rng_helpers.h"
#include "xalloc_model.h"

static void refusals(void **state)
{
	struct gen_pool *p = gen_pool_create(ORDER, -1);
	struct genpool_constraints ok = { 0 }, c;
	static const struct genpool_constraints bad[] = {
		{ .align = 3 * G },                    /* not a power of two */
		{ .align = 4 * G, .phase = 4 * G },    /* phase >= align */
		{ .align = 0, .phase = 1 },            /* phase without align */
		{ .nocross = 3 * G },                  /* not a power of two */
		{ .nocross = 2 * G },                  /* nocross < len (4 granules) */
		{ .minaddr = BASE_A + G, .maxaddr = BASE_A + G }, /* empty */
		{ .minaddr = BASE_A + 2 * G, .maxaddr = BASE_A + G },
	};

	(void)state;
	assert_int_equal(gen_pool_add(p, BASE_A, 32 * G, -1), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = bad[i];
		errno = 0;
		assert_int_equal(gen_pool_xalloc(p, 4 * G, &c), 0);
		assert_int_equal(errno, EINVAL);
		expect_report(EINVAL);
	}
	errno = 0;
	assert_int_equal(gen_pool_xalloc(p, 0, &ok), 0);
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_xalloc(p, G, NULL), 0);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_xalloc(NULL, G, &ok), 0);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_xalloc(p, ~0UL, &ok), 0); /* rounding overflows */
	expect_report(EINVAL);
	/* possible but unsatisfiable here: ENOMEM, not reported */
	c = (struct genpool_constraints){ .minaddr = BASE_A + 40 * G };
	errno = 0;
	assert_int_equal(gen_pool_xalloc(p, G, &c), 0);
	assert_int_equal(errno, ENOMEM);
	expect_no_report();
	assert_int_equal(gen_pool_avail(p), 32 * G);
	assert_int_equal(gen_pool_destroy(p), 0);
}

static void examples(void **state)
{
	struct gen_pool *p = gen_pool_create(ORDER, -1);
	unsigned long base = BASE_A + 3 * G; /* a start aligned to 3 granules only */
	struct genpool_constraints c;

	(void)state;
	assert_int_equal(gen_pool_add(p, base, 64 * G, -1), 0);
	/* align 8 granules, phase 1 granule: the lowest a = 8k + 1 (granules) >= base */
	c = (struct genpool_constraints){ .align = 8 * G, .phase = G };
	assert_int_equal(gen_pool_xalloc(p, 2 * G, &c), BASE_A + 9 * G);
	/* nocross 8 granules: 5 granules at base end just below BASE_A + 8G */
	c = (struct genpool_constraints){ .nocross = 8 * G };
	assert_int_equal(gen_pool_xalloc(p, 5 * G, &c), base);
	/* 6 would cross: the next window, past the taken 9 and 10 */
	assert_int_equal(gen_pool_xalloc(p, 6 * G, &c), BASE_A + 16 * G);
	/* first fit would take 8: minaddr moves it */
	c = (struct genpool_constraints){ .minaddr = BASE_A + 30 * G };
	assert_int_equal(gen_pool_xalloc(p, G, &c), BASE_A + 30 * G);
	/* maxaddr: the range must end by it */
	c = (struct genpool_constraints){ .maxaddr = BASE_A + 16 * G };
	assert_int_equal(gen_pool_xalloc(p, 5 * G, &c), BASE_A + 11 * G);
	c.maxaddr = BASE_A + 15 * G;
	assert_int_equal(gen_pool_xalloc(p, 5 * G, &c), 0);
	assert_int_equal(errno, ENOMEM);
	/* an align below the granule only checks the chunk's own alignment */
	c = (struct genpool_constraints){ .align = 16, .phase = 0 };
	assert_int_equal(gen_pool_xalloc(p, G, &c), BASE_A + 8 * G);
	c.phase = 8;
	assert_int_equal(gen_pool_xalloc(p, G, &c), 0);
	assert_int_equal(errno, ENOMEM);
	expect_no_report();
	assert_int_equal(gen_pool_free(p, BASE_A + 9 * G, 2 * G), 0);
	assert_int_equal(gen_pool_free(p, BASE_A + 16 * G, 6 * G), 0);
	assert_int_equal(gen_pool_free(p, BASE_A + 30 * G, G), 0);
	assert_int_equal(gen_pool_free(p, base, 5 * G), 0);
	assert_int_equal(gen_pool_free(p, BASE_A + 11 * G, 5 * G), 0);
	assert_int_equal(gen_pool_free(p, BASE_A + 8 * G, G), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

/* Random constraints that are valid for @len, often tight around @m's chunks. */
static struct genpool_constraints random_constraints(uint64_t *rng, const struct xm_pool *m,
						     unsigned long len)
{
	struct genpool_constraints c = { 0 };
	const struct xm_chunk *k = &m->c[rng_below(rng, m->n)];
	unsigned long span = k->granules << m->order;

	if (rng_below(rng, 2)) {
		c.align = 1UL << rng_below(rng, (unsigned long)m->order + 8);
		c.phase = rng_below(rng, 3) ? rng_below(rng, c.align) : 0;
	}
	if (rng_below(rng, 3) == 0) {
		c.nocross = 1;
		while (c.nocross < len)
			c.nocross <<= 1;
		c.nocross <<= rng_below(rng, 4);
	}
	if (rng_below(rng, 3) == 0)
		c.minaddr = k->base + rng_below(rng, span);
	if (rng_below(rng, 3) == 0)
		c.maxaddr = c.minaddr + 1 + rng_below(rng, span + len);
	return c;
}

static void property_one(uint64_t seed, unsigned int flags)
{
	static struct xm_pool m;
	uint64_t rng = seed;
	struct gen_pool *p;
	unsigned long live[256][2];
	unsigned int nlive = 0;

	memset(&m, 0, sizeof(m));
	m.order = (int)rng_below(&rng, 9);
	m.n = 1 + (unsigned int)rng_below(&rng, XM_MAX_CHUNKS);
	p = gen_pool_create_flags(m.order, -1, flags);
	assert_non_null(p);
	for (unsigned int i = 0; i < m.n; i++) {
		struct xm_chunk *c = &m.c[i];

		c->granules = 1 + rng_below(&rng, XM_MAX_GRANULES);
		/* apart by 1 << 32, plus a start that is a random number of granules in */
		c->base = (0x100000000UL * (i + 1)) + (rng_below(&rng, 4096) << m.order);
		assert_int_equal(gen_pool_add(p, c->base, c->granules << m.order, -1), 0);
	}
	for (int op = 0; op < 300; op++) {
		unsigned long nr = 1 + rng_below(&rng, rng_below(&rng, 4) ? 8 : 90);
		size_t size = (nr << m.order) - rng_below(&rng, 1UL << m.order);
		struct genpool_constraints c = random_constraints(&rng, &m, nr << m.order);
		unsigned long want, got;

		if (xm_invalid(&c, nr << m.order))
			continue;
		if (nlive == 256 || (nlive && rng_below(&rng, 3) == 0)) {
			unsigned int i = (unsigned int)rng_below(&rng, nlive);

			assert_int_equal(gen_pool_free(p, live[i][0], live[i][1] << m.order), 0);
			for (unsigned int k = 0; k < m.n; k++)
				if (live[i][0] >= m.c[k].base &&
				    live[i][0] < m.c[k].base + (m.c[k].granules << m.order))
					for (unsigned long b = 0; b < live[i][1]; b++)
						m.c[k].busy[((live[i][0] - m.c[k].base) >> m.order) + b] = false;
			live[i][0] = live[--nlive][0];
			live[i][1] = live[nlive][1];
			/* a cached range is allocated in the bitmap, and the model's is free */
			gen_pool_cache_flush(p);
			continue;
		}
		want = xm_alloc(&m, nr, &c);
		errno = 0;
		got = gen_pool_xalloc(p, size, &c);
		if (got != want)
			fail_msg("seed %llu op %d: xalloc(%lu granules, align %lx phase %lx nocross %lx "
				 "min %lx max %lx) = 0x%lx, model 0x%lx", (unsigned long long)seed, op,
				 nr, c.align, c.phase, c.nocross, c.minaddr, c.maxaddr, got, want);
		if (!got) {
			assert_int_equal(errno, ENOMEM);
			continue;
		}
		live[nlive][0] = got;
		live[nlive++][1] = nr;
	}
	expect_no_report();
	while (nlive--)
		assert_int_equal(gen_pool_free(p, live[nlive][0], live[nlive][1] << m.order), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

static void property(void **state)
{
	static const unsigned int kinds[] = { 0, GEN_POOL_SPINLOCK, GEN_POOL_STRICT,
					      GEN_POOL_THREAD_CACHE };

	(void)state;
	for (uint64_t seed = 1; seed <= 160; seed++)
		property_one(seed * 0x9e3779b97f4a7c15ULL, kinds[seed % 4]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(refusals, setup),
		cmocka_unit_test_setup(examples, setup),
		cmocka_unit_test_setup(property, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
