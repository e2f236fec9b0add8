// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * alloc.c - the allocation and free entry points: argument checks, the
 * chunk walk, and the dma/zalloc family built on them.
 *
 * Lock-free: no lock is taken (GEN_POOL_SPINLOCK pools excepted: there the
 * pool lock is held around the same walk, and the bitmaps use plain
 * operations). The walk runs inside one RCU read-side section; chunks are
 * tried newest-added first, as in the kernel.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "rcu.h"
#include "testpoint.h"

static void enter(struct gen_pool *pool)
{
	if (pool->flags & GEN_POOL_SPINLOCK)
		gp_pool_lock(pool);
	gp_rcu_read_lock();
}

static void leave(struct gen_pool *pool)
{
	gp_rcu_read_unlock();
	if (pool->flags & GEN_POOL_SPINLOCK)
		gp_pool_unlock(pool);
}

/*
 * One allocation request. @pair.algo NULL means the pool's default pair; @owner
 * and @dma, when not NULL, receive the chunk's owner and the physical
 * address; @caller is the public call that refusals are reported as.
 */
struct alloc_req {
	struct gp_algo_pair pair;
	void **owner;
	dma_addr_t *dma;
	const char *caller;
};

/* The pair of a request that names no algorithm: the pool's, read at the walk. */
#define POOL_DEFAULT { NULL, NULL, NULL }

/* Walk the chunks with @pair; 0 when no chunk has room. */
static unsigned long alloc_rcu(struct gen_pool *pool, unsigned long nbits,
			       const struct gp_algo_pair *pair, const struct alloc_req *req)
{
	struct gen_pool_chunk *c;
	unsigned long addr;

	for (c = gp_chunk_first_rcu(pool); c; c = gp_chunk_next_rcu(c)) {
		GP_TESTPOINT(GP_TP_ALLOC_WALK);
		addr = gp_chunk_alloc_rcu(pool, c, nbits, pair->algo, pair->data);
		if (addr) {
			/* read here, inside the section that found the chunk */
			if (req->owner)
				*req->owner = c->owner;
			if (req->dma)
				*req->dma = c->phys_addr + (addr - c->start_addr);
			return addr;
		}
	}
	return 0;
}

/* Refusals of an alloc call: reported as @caller's, 0 with errno set. */
#define REFUSE_ALLOC(caller, ...) ((unsigned long)gp_refuse_null(EINVAL, (caller), __VA_ARGS__))

/*
 * The default pair is read inside the read section, so that algo and data
 * come from the same gen_pool_set_algo().
 */
static unsigned long do_alloc(struct gen_pool *pool, size_t size, const struct alloc_req *req)
{
	struct gp_algo_pair pair = req->pair;
	unsigned long nbits, addr;
	const char *why;

	if (req->owner)
		*req->owner = NULL;
	if (!pool)
		return REFUSE_ALLOC(req->caller, "pool is NULL");
	nbits = gp_pool_granules(pool, size);
	if (!nbits)
		return REFUSE_ALLOC(req->caller, "size %zu is 0 or too large", size);
	enter(pool);
	if (!pair.algo)
		pair = gp_pool_algo_rcu(pool);
	why = gp_algo_check(pool, pair.algo, pair.data);
	addr = why ? 0 : alloc_rcu(pool, nbits, &pair, req);
	leave(pool);
	if (why)
		return REFUSE_ALLOC(req->caller, "%s", why);
	if (!addr)
		errno = ENOMEM; /* a result, not a refusal: not reported */
	return addr;
}

unsigned long gen_pool_alloc_algo_owner(struct gen_pool *pool, size_t size, genpool_algo_t algo,
					void *data, void **owner)
{
	struct alloc_req req = { gp_algo_named(algo, data), owner, NULL, __func__ };

	return do_alloc(pool, size, &req);
}

unsigned long gen_pool_alloc_algo(struct gen_pool *pool, size_t size, genpool_algo_t algo,
				  void *data)
{
	struct alloc_req req = { gp_algo_named(algo, data), NULL, NULL, __func__ };

	return do_alloc(pool, size, &req);
}

unsigned long gen_pool_alloc_owner(struct gen_pool *pool, size_t size, void **owner)
{
	struct alloc_req req = { POOL_DEFAULT, owner, NULL, __func__ };

	return do_alloc(pool, size, &req);
}

unsigned long gen_pool_alloc(struct gen_pool *pool, size_t size)
{
	struct alloc_req req = { POOL_DEFAULT, NULL, NULL, __func__ };

	return do_alloc(pool, size, &req);
}

/* The dma family: allocate with @req, fill *dma, zero exactly @size on request. */
static void *dma_alloc(struct gen_pool *pool, size_t size, const struct alloc_req *req, bool zero)
{
	unsigned long addr = do_alloc(pool, size, req);

	if (addr && zero)
		memset((void *)addr, 0, size);
	return (void *)addr;
}

void *gen_pool_dma_alloc_algo(struct gen_pool *pool, size_t size, dma_addr_t *dma,
			      genpool_algo_t algo, void *data)
{
	struct alloc_req req = { gp_algo_named(algo, data), NULL, dma, __func__ };

	return dma_alloc(pool, size, &req, false);
}

void *gen_pool_dma_alloc(struct gen_pool *pool, size_t size, dma_addr_t *dma)
{
	struct alloc_req req = { POOL_DEFAULT, NULL, dma, __func__ };

	return dma_alloc(pool, size, &req, false);
}

void *gen_pool_dma_zalloc_algo(struct gen_pool *pool, size_t size, dma_addr_t *dma,
			       genpool_algo_t algo, void *data)
{
	struct alloc_req req = { gp_algo_named(algo, data), NULL, dma, __func__ };

	return dma_alloc(pool, size, &req, true);
}

void *gen_pool_dma_zalloc(struct gen_pool *pool, size_t size, dma_addr_t *dma)
{
	struct alloc_req req = { POOL_DEFAULT, NULL, dma, __func__ };

	return dma_alloc(pool, size, &req, true);
}

void *gen_pool_dma_alloc_align(struct gen_pool *pool, size_t size, dma_addr_t *dma, int align)
{
	struct genpool_data_align data = { .align = align };
	struct alloc_req req = { { gen_pool_first_fit_align, &data, NULL }, NULL, dma, __func__ };

	return dma_alloc(pool, size, &req, false);
}

void *gen_pool_dma_zalloc_align(struct gen_pool *pool, size_t size, dma_addr_t *dma, int align)
{
	struct genpool_data_align data = { .align = align };
	struct alloc_req req = { { gen_pool_first_fit_align, &data, NULL }, NULL, dma, __func__ };

	return dma_alloc(pool, size, &req, true);
}

/* Find and check the chunk and bit range of a free; message on refusal. */
static const char *locate_rcu(struct gen_pool *pool, unsigned long addr, unsigned long nbits,
			      struct gen_pool_chunk **chunk, unsigned long *bit)
{
	unsigned long off;

	*chunk = gp_chunk_find_rcu(pool, addr);
	if (!*chunk)
		return "is in no chunk";
	off = addr - (*chunk)->start_addr;
	if (off & ((1UL << pool->min_alloc_order) - 1))
		return "is not on a granule boundary";
	*bit = off >> pool->min_alloc_order;
	if (nbits > (*chunk)->nbits - *bit)
		return "runs past the end of its chunk";
	return NULL;
}

int gen_pool_free_owner(struct gen_pool *pool, unsigned long addr, size_t size, void **owner)
{
	struct gen_pool_chunk *c = NULL;
	unsigned long nbits, bit = 0;
	const char *why;
	int err = 0;

	if (owner)
		*owner = NULL;
	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	nbits = gp_pool_granules(pool, size);
	if (!nbits)
		return GP_REFUSE(EINVAL, "size %zu is 0 or too large", size);
	enter(pool);
	why = locate_rcu(pool, addr, nbits, &c, &bit);
	if (!why)
		err = gp_chunk_free_rcu(pool, c, bit, nbits);
	leave(pool);
	if (why)
		return GP_REFUSE(EINVAL, "range 0x%lx + %zu %s", addr, size, why);
	if (err)
		return GP_REFUSE(EINVAL, "range 0x%lx + %zu is %s", addr, size,
				 (pool->flags & GEN_POOL_STRICT) ?
					 "not exactly one live allocation" :
					 "already free in part or whole (double free)");
	if (owner)
		*owner = c->owner;
	return 0;
}

int gen_pool_free(struct gen_pool *pool, unsigned long addr, size_t size)
{
	return gen_pool_free_owner(pool, addr, size, NULL);
}
