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

static unsigned long refuse_alloc(int err)
{
	errno = err;
	return 0;
}

/* Walk the chunks with @algo; 0 when no chunk has room. */
static unsigned long alloc_rcu(struct gen_pool *pool, unsigned long nbits, genpool_algo_t algo,
			       void *data, void **owner)
{
	struct gen_pool_chunk *c;
	unsigned long addr;

	for (c = gp_chunk_first_rcu(pool); c; c = gp_chunk_next_rcu(c)) {
		addr = gp_chunk_alloc_rcu(pool, c, nbits, algo, data);
		if (addr) {
			if (owner)
				*owner = c->owner;
			return addr;
		}
	}
	return 0;
}

/*
 * @algo NULL means the pool's default pair, read inside the read section so
 * that algo and data come from the same gen_pool_set_algo().
 */
static unsigned long do_alloc(struct gen_pool *pool, size_t size, genpool_algo_t algo,
			      void *data, void **owner)
{
	struct gp_algo_pair pair = { algo, data, NULL };
	unsigned long nbits, addr;
	const char *why;

	if (owner)
		*owner = NULL;
	if (!pool) {
		GP_REFUSE(EINVAL, "pool is NULL");
		return refuse_alloc(EINVAL);
	}
	nbits = gp_pool_granules(pool, size);
	if (!nbits) {
		GP_REFUSE(EINVAL, "size %zu is 0 or too large", size);
		return refuse_alloc(EINVAL);
	}
	enter(pool);
	if (!pair.algo)
		pair = gp_pool_algo_rcu(pool);
	why = gp_algo_check(pool, pair.algo, pair.data);
	addr = why ? 0 : alloc_rcu(pool, nbits, pair.algo, pair.data, owner);
	leave(pool);
	if (why) {
		GP_REFUSE(EINVAL, "%s", why);
		return refuse_alloc(EINVAL);
	}
	return addr ? addr : refuse_alloc(ENOMEM);
}

unsigned long gen_pool_alloc_algo_owner(struct gen_pool *pool, size_t size, genpool_algo_t algo,
					void *data, void **owner)
{
	if (!algo) {
		algo = gen_pool_first_fit;
		data = NULL;
	}
	return do_alloc(pool, size, algo, data, owner);
}

unsigned long gen_pool_alloc_algo(struct gen_pool *pool, size_t size, genpool_algo_t algo,
				  void *data)
{
	return gen_pool_alloc_algo_owner(pool, size, algo, data, NULL);
}

unsigned long gen_pool_alloc_owner(struct gen_pool *pool, size_t size, void **owner)
{
	return do_alloc(pool, size, NULL, NULL, owner);
}

unsigned long gen_pool_alloc(struct gen_pool *pool, size_t size)
{
	return do_alloc(pool, size, NULL, NULL, NULL);
}

/* Common tail of the dma family: translate, and zero on request. */
static void *dma_finish(struct gen_pool *pool, unsigned long addr, size_t size, dma_addr_t *dma,
			bool zero)
{
	if (!addr)
		return NULL;
	if (dma)
		*dma = gen_pool_virt_to_phys(pool, addr);
	if (zero)
		memset((void *)addr, 0, size);
	return (void *)addr;
}

void *gen_pool_dma_alloc_algo(struct gen_pool *pool, size_t size, dma_addr_t *dma,
			      genpool_algo_t algo, void *data)
{
	return dma_finish(pool, gen_pool_alloc_algo(pool, size, algo, data), size, dma, false);
}

void *gen_pool_dma_alloc(struct gen_pool *pool, size_t size, dma_addr_t *dma)
{
	return dma_finish(pool, gen_pool_alloc(pool, size), size, dma, false);
}

void *gen_pool_dma_zalloc_algo(struct gen_pool *pool, size_t size, dma_addr_t *dma,
			       genpool_algo_t algo, void *data)
{
	return dma_finish(pool, gen_pool_alloc_algo(pool, size, algo, data), size, dma, true);
}

void *gen_pool_dma_zalloc(struct gen_pool *pool, size_t size, dma_addr_t *dma)
{
	return dma_finish(pool, gen_pool_alloc(pool, size), size, dma, true);
}

/* The _align variants: first_fit_align with data that lives for the call. */
static void *dma_alloc_align(struct gen_pool *pool, size_t size, dma_addr_t *dma, int align,
			     bool zero)
{
	struct genpool_data_align data = { .align = align };
	unsigned long addr = gen_pool_alloc_algo(pool, size, gen_pool_first_fit_align, &data);

	return dma_finish(pool, addr, size, dma, zero);
}

void *gen_pool_dma_alloc_align(struct gen_pool *pool, size_t size, dma_addr_t *dma, int align)
{
	return dma_alloc_align(pool, size, dma, align, false);
}

void *gen_pool_dma_zalloc_align(struct gen_pool *pool, size_t size, dma_addr_t *dma, int align)
{
	return dma_alloc_align(pool, size, dma, align, true);
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
