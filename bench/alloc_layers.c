// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * alloc_layers.c - genpool's layers behind the benchmark interface.
 *
 *   genpool_oc   an object cache (gen_pool_objcache_*) of BENCH_OBJ_BYTES
 *                objects over a lock-free pool of the region: alloc(bytes)
 *                serves exactly that size (other sizes fail), so it runs
 *                the object workloads (wl_layers.c) beside jemalloc's
 *                malloc/free of the same size.
 *   genpool_rs   a label for the reserve workloads, which build their own
 *                pool and reserve (they need the pool exhausted); its
 *                alloc/free are the plain pool's.
 *
 * Both are weak references to the layer calls, so that gbench links against
 * a libgenpool without them: they then say "not built" and are left out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genpool.h>

#include "allocator.h"
#include "workload.h"

#pragma weak gen_pool_objcache_create
#pragma weak gen_pool_reserve_create

struct oc_ctx {
	struct gen_pool *pool;
	struct gen_pool_objcache *cache;
};

static int probe_oc(char *why, size_t len)
{
	if (gen_pool_objcache_create && gen_pool_reserve_create)
		return 0;
	snprintf(why, len, "not built: this libgenpool has no object caches or reserves");
	return -1;
}

static void *oc_init(const struct bench_region *r)
{
	struct oc_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pool = gen_pool_create(r->order, -1);
	if (!c->pool || gen_pool_add(c->pool, r->base, r->size, -1))
		goto fail;
	/* align 8: 0 would mean the granule (4 KiB here) */
	c->cache = gen_pool_objcache_create(c->pool, "bench", BENCH_OBJ_BYTES, 8, 0, NULL, NULL);
	if (c->cache)
		return c;
fail:
	gen_pool_destroy(c->pool);
	free(c);
	return NULL;
}

static uintptr_t oc_alloc(void *ctx, size_t bytes)
{
	struct oc_ctx *c = ctx;

	return bytes == BENCH_OBJ_BYTES ? gen_pool_objcache_alloc(c->cache) : 0;
}

static int oc_free(void *ctx, uintptr_t addr, size_t bytes)
{
	struct oc_ctx *c = ctx;

	return bytes == BENCH_OBJ_BYTES && !gen_pool_objcache_free(c->cache, addr) ? 0 : -1;
}

static int oc_destroy(void *ctx)
{
	struct oc_ctx *c = ctx;

	gen_pool_objcache_shrink(c->cache);
	if (gen_pool_objcache_destroy(c->cache) || gen_pool_destroy(c->pool)) {
		fprintf(stderr, "bench: genpool_oc: objects or slabs still out at destroy\n");
		return -1;
	}
	free(c);
	return 0;
}

const struct bench_alloc ba_genpool_oc = {
	.name = "genpool_oc",
	.what = "genpool object cache (gen_pool_objcache_*) of 64-byte objects, lock-free pool",
	.caps = BA_REGION | BA_GENPOOL,
	.probe = probe_oc,
	.init = oc_init,
	.alloc = oc_alloc,
	.free = oc_free,
	.destroy = oc_destroy,
};

static void *rs_init(const struct bench_region *r)
{
	struct gen_pool *pool = gen_pool_create(r->order, -1);

	if (pool && gen_pool_add(pool, r->base, r->size, -1)) {
		gen_pool_destroy(pool);
		pool = NULL;
	}
	return pool;
}

static uintptr_t rs_alloc(void *ctx, size_t bytes)
{
	return gen_pool_alloc(ctx, bytes);
}

static int rs_free(void *ctx, uintptr_t addr, size_t bytes)
{
	return gen_pool_free(ctx, addr, bytes) ? -1 : 0;
}

static int rs_destroy(void *ctx)
{
	return gen_pool_destroy(ctx) ? -1 : 0;
}

const struct bench_alloc ba_genpool_rs = {
	.name = "genpool_rs",
	.what = "genpool reserves (gen_pool_reserve_*): the workloads build pool and reserve",
	.caps = BA_REGION | BA_GENPOOL,
	.probe = probe_oc,
	.init = rs_init,
	.alloc = rs_alloc,
	.free = rs_free,
	.destroy = rs_destroy,
};
