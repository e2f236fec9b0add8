// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * alloc_genpool.c - genpool's variants behind the benchmark interface.
 *
 *   genpool_lf       lock-free pool, first fit (the default);
 *   genpool_lf_bf    lock-free pool, best fit;
 *   genpool_spin     GEN_POOL_SPINLOCK pool, first fit: the same code with
 *                    the pool lock held around alloc/free (the A/B baseline);
 *   genpool_spin_bf  GEN_POOL_SPINLOCK pool, best fit;
 *   genpool_mutex    the lock-free pool behind a pthread mutex taken by the
 *                    caller: what a careful user without lock-free code does.
 *
 * The region is address space only: genpool never touches it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <genpool.h>

#include "allocator.h"

struct gp_ctx {
	struct gen_pool *pool;
	pthread_mutex_t lock;	/* genpool_mutex only */
	bool locked;
	uintptr_t base;
};

static void *gp_init(const struct bench_region *r, unsigned int flags, genpool_algo_t algo,
		     bool locked)
{
	struct gp_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pool = gen_pool_create_flags(r->order, -1, flags);
	if (!c->pool || gen_pool_add(c->pool, r->base, r->size, -1)) {
		gen_pool_destroy(c->pool);
		free(c);
		return NULL;
	}
	gen_pool_set_algo(c->pool, algo, NULL);
	c->locked = locked;
	c->base = r->base;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void *init_lf(const struct bench_region *r)
{
	return gp_init(r, 0, gen_pool_first_fit, false);
}

static void *init_lf_bf(const struct bench_region *r)
{
	return gp_init(r, 0, gen_pool_best_fit, false);
}

static void *init_spin(const struct bench_region *r)
{
	return gp_init(r, GEN_POOL_SPINLOCK, gen_pool_first_fit, false);
}

static void *init_spin_bf(const struct bench_region *r)
{
	return gp_init(r, GEN_POOL_SPINLOCK, gen_pool_best_fit, false);
}

static void *init_mutex(const struct bench_region *r)
{
	return gp_init(r, 0, gen_pool_first_fit, true);
}

static void lock(struct gp_ctx *c)
{
	if (c->locked)
		pthread_mutex_lock(&c->lock);
}

static void unlock(struct gp_ctx *c)
{
	if (c->locked)
		pthread_mutex_unlock(&c->lock);
}

static uintptr_t gp_alloc(void *ctx, size_t bytes)
{
	struct gp_ctx *c = ctx;
	uintptr_t addr;

	lock(c);
	addr = gen_pool_alloc(c->pool, bytes);
	unlock(c);
	return addr;
}

static int gp_free(void *ctx, uintptr_t addr, size_t bytes)
{
	struct gp_ctx *c = ctx;
	int ret;

	lock(c);
	ret = gen_pool_free(c->pool, addr, bytes);
	unlock(c);
	return ret ? -1 : 0;
}

/* The DMA-style call a driver would make: first_fit_align underneath. */
static uintptr_t gp_alloc_aligned(void *ctx, size_t bytes, size_t align)
{
	struct gp_ctx *c = ctx;
	dma_addr_t dma;
	void *p;

	if (align > (size_t)1 << 30)	/* genpool_data_align.align is an int */
		return 0;
	lock(c);
	p = gen_pool_dma_alloc_align(c->pool, bytes, &dma, (int)align);
	unlock(c);
	return (uintptr_t)p;
}

/* Prefill: fixed_alloc takes exactly the offset asked for, or nothing. */
static int gp_claim(void *ctx, uintptr_t addr, size_t bytes)
{
	struct gp_ctx *c = ctx;
	struct genpool_data_fixed fixed = { .offset = addr - c->base };

	return gen_pool_alloc_algo(c->pool, bytes, gen_pool_fixed_alloc, &fixed) == addr ? 0 : -1;
}

/*
 * A query in an RCU read section registers the thread with liburcu-bp now,
 * outside the timed loop, rather than on its first timed alloc.
 */
static void gp_thread_init(void *ctx)
{
	struct gp_ctx *c = ctx;

	(void)gen_pool_avail(c->pool);
}

static int gp_destroy(void *ctx)
{
	struct gp_ctx *c = ctx;
	int ret = gen_pool_destroy(c->pool);

	if (ret) {
		fprintf(stderr, "bench: gen_pool_destroy: %d (ranges still out)\n", ret);
		return -1;
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
	return 0;
}

#define GENPOOL_ALLOC(id, alloc_name, initfn, desc)                                                \
	const struct bench_alloc id = {                                                            \
		.name = alloc_name,                                                                \
		.what = desc,                                                                      \
		.caps = BA_REGION | BA_GENPOOL,                                                    \
		.init = initfn,                                                                    \
		.alloc = gp_alloc,                                                                 \
		.free = gp_free,                                                                   \
		.alloc_aligned = gp_alloc_aligned,                                                 \
		.claim = gp_claim,                                                                 \
		.thread_init = gp_thread_init,                                                     \
		.destroy = gp_destroy,                                                             \
	}

GENPOOL_ALLOC(ba_genpool_lf, "genpool_lf", init_lf, "genpool lock-free pool, first fit");
GENPOOL_ALLOC(ba_genpool_lf_bf, "genpool_lf_bf", init_lf_bf, "genpool lock-free pool, best fit");
GENPOOL_ALLOC(ba_genpool_spin, "genpool_spin", init_spin,
	      "genpool GEN_POOL_SPINLOCK pool, first fit");
GENPOOL_ALLOC(ba_genpool_spin_bf, "genpool_spin_bf", init_spin_bf,
	      "genpool GEN_POOL_SPINLOCK pool, best fit");
GENPOOL_ALLOC(ba_genpool_mutex, "genpool_mutex", init_mutex,
	      "genpool lock-free pool behind a caller's pthread mutex, first fit");
