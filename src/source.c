// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * source.c - backing-memory sources on the pool side (Bonwick and Adams,
 * "Magazines and Vmem", USENIX 2001, section 4: an arena imports spans from
 * its source when it runs dry and releases them when they are wholly free).
 *
 * Import happens only on the ENOMEM path of an allocation call
 * (gp_source_grow, called by alloc.c and xalloc.c after their attempt and,
 * for cache pools, the cache return have failed); the fast path is
 * untouched. One import at a time per pool, by the pool's grow mutex
 * (life.grow_mu): a thread that fails takes it and tries its allocation
 * once more *under the mutex* before importing. So threads that fail at
 * the same moment queue on the mutex behind the first importer and, once
 * it has published its chunk (pool->lock's release, then grow_mu's release,
 * order the publication before their acquire of grow_mu), find that chunk
 * in their retry and do not import for the same shortage again. A mutex
 * rather than a generation counter: the waiters have nothing useful to do
 * but wait for the import (their attempt has failed), and a counter read
 * after the failure could not tell an import that landed between the
 * failure and the read from one that had landed before the attempt.
 *
 * One function each for import and release (import_locked,
 * gp_source_release): the statistics and event-log hook points.
 *
 * Accounting of use: a source's `users` counts the pools it is attached
 * to plus the chunks imported from it still in a pool; gen_pool_source_destroy
 * refuses with -EBUSY while it is not zero.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "stats.h"
#include "mutant.h"
#include "source.h"
#include "testpoint.h"

#define GP_SRC_DEFAULT_QUANTUM (2UL << 20)

void gp_source_use(struct gen_pool_source *src, int delta)
{
	/* relaxed: a count; destroy's acquire load below orders nothing else */
	if (src)
		gp_atomic_add_relaxed(&src->users, delta);
}

struct gen_pool_source *gp_source_new(enum gp_source_kind kind,
				      const struct gen_pool_source_ops *ops, void *arg)
{
	struct gen_pool_source *src = gp_meta_heap_zalloc(sizeof(*src));

	if (!src) {
		errno = ENOMEM;
		return NULL;
	}
	src->kind = kind;
	src->ops = *ops;
	src->arg = kind == GP_SRC_CUSTOM ? arg : src;
	src->fd = -1;
	return src;
}

struct gen_pool_source *gen_pool_source_custom(const struct gen_pool_source_ops *ops, void *arg)
{
	if (!ops || !ops->import || !ops->release)
		return GP_REFUSE_NULL(EINVAL, "%s is NULL",
				      !ops ? "ops" : !ops->import ? "ops->import" : "ops->release");
	return gp_source_new(GP_SRC_CUSTOM, ops, arg);
}

int gen_pool_source_destroy(struct gen_pool_source *src)
{
	if (!src)
		return GP_REFUSE(EINVAL, "source is NULL");
	/* acquire: the last user's decrement is ordered before our teardown */
	if (gp_atomic_load_acquire(&src->users))
		return -EBUSY;
	gp_source_builtin_fini(src);
	free(src);
	return 0;
}

void gp_source_release(const struct gp_chunk_import *imp)
{
	imp->src->ops.release(imp->src->arg, imp->addr, imp->size);
}

/*
 * Import at least @nbits granules (and at least the pool's quantum) and
 * publish them as the newest chunk; grow_mu held. 0, or -ENOMEM (or the
 * refusal of a range the source should not have provided) with the pool
 * unchanged and anything imported given back.
 */
static int import_locked(struct gen_pool *pool, struct gen_pool_source *src, unsigned long nbits)
{
	size_t want = nbits << pool->min_alloc_order, got;
	struct gp_chunk_import imp = { src, 0, 0 };
	phys_addr_t phys = (phys_addr_t)-1;
	int err;

	if (want < pool->life.quantum)
		want = pool->life.quantum;
	GP_TESTPOINT(GP_TP_SRC_IMPORT);
	got = src->ops.import(src->arg, want, &imp.addr, &phys);
	if (!got)
		return -ENOMEM;
	imp.size = got;
	if (got < want) {
		gp_source_release(&imp); /* less than asked: as good as nothing */
		return -ENOMEM;
	}
	gp_source_use(src, 1); /* before publication: a removal may release it at once */
	err = gp_pool_add_chunk(pool, imp.addr, phys, got, -1, NULL, &imp, "import");
	if (err) {
		gp_source_release(&imp);
		gp_source_use(src, -1);
	} else {
		gp_pool_count_import(pool, false); /* its IMPORT record: gp_pool_add_chunk */
	}
	return err;
}

unsigned long gp_source_grow(struct gen_pool *pool, unsigned long nbits,
			     unsigned long (*retry)(void *ctx), void *ctx)
{
	struct gen_pool_source *src;
	unsigned long addr = 0;

	/* acquire: pairs with the release in gen_pool_set_source */
	if (!gp_atomic_load_acquire(&pool->life.source))
		return 0;
	gp_fork_enter();
	pthread_mutex_lock(&pool->life.grow_mu);
	/* a peer's import may have landed while we waited for the mutex */
	if (!GP_MUTANT(GP_MUT_IMPORT_TWICE))
		addr = retry(ctx);
	src = pool->life.source; /* under grow_mu: set_source changes it under it too */
	if (!addr && src && import_locked(pool, src, nbits) == 0)
		addr = retry(ctx);
	pthread_mutex_unlock(&pool->life.grow_mu);
	gp_fork_leave();
	return addr;
}

/* Does the chain of parent pools above @src reach @pool (an import cycle)? */
static bool source_cycle(const struct gen_pool *pool, const struct gen_pool_source *src)
{
	unsigned int depth = 0;

	for (; src && src->kind == GP_SRC_POOL; src = gp_atomic_load_acquire(&src->parent->life.source))
		if (src->parent == pool || ++depth > 1000)
			return true;
	return false;
}

int gen_pool_set_source(struct gen_pool *pool, struct gen_pool_source *src, size_t quantum)
{
	size_t g, q = quantum ? quantum : GP_SRC_DEFAULT_QUANTUM;
	struct gen_pool_source *old;

	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	g = 1UL << pool->min_alloc_order;
	if (q > ~(size_t)0 - (g - 1))
		return GP_REFUSE(EINVAL, "quantum %zu overflows when rounded up to %zu-byte granules",
				 quantum, g);
	q = (q + g - 1) & ~(g - 1);
	if (source_cycle(pool, src))
		return GP_REFUSE(EINVAL, "the source imports from this pool (a cycle)");
	gp_source_use(src, 1);
	gp_fork_enter();
	pthread_mutex_lock(&pool->life.grow_mu);
	old = pool->life.source;
	pool->life.quantum = q;
	/* release: pairs with the acquire in gp_source_grow */
	gp_atomic_store_release(&pool->life.source, src);
	pthread_mutex_unlock(&pool->life.grow_mu);
	gp_fork_leave();
	gp_source_use(old, -1);
	return 0;
}

void gp_life_init(struct gen_pool *pool)
{
	pthread_mutex_init(&pool->life.remove_mu, NULL);
	pthread_mutex_init(&pool->life.grow_mu, NULL);
	gp_fork_register(pool);
}

void gp_life_fini(struct gen_pool *pool)
{
	struct gen_pool_chunk *c;

	gp_fork_unregister(pool);
	for (c = pool->chunks; c; c = c->next) {
		if (!c->import.src)
			continue;
		gp_source_release(&c->import);
		gp_source_use(c->import.src, -1);
	}
	gp_source_use(pool->life.source, -1);
	pthread_mutex_destroy(&pool->life.remove_mu);
	pthread_mutex_destroy(&pool->life.grow_mu);
}
