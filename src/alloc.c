// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * alloc.c - the allocation and free entry points: argument checks, the
 * chunk walk, and the dma/zalloc family built on them.
 *
 * Lock-free: no lock is taken (the lock baselines, GP_LOCK_FLAGS, excepted: there the
 * pool lock is held around the same walk, and the bitmaps use plain
 * operations). The walk runs inside one RCU read-side section; chunks are
 * tried newest-added first, as in the kernel. A chunk reached inside a
 * section stays allocated memory until the section ends, even if
 * gen_pool_remove_chunk unlinks it meanwhile (remove.c).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "log.h"
#include "rcu.h"
#include "stats.h"
#include "testpoint.h"

/* always inlined: every uncached call runs both, and as calls they cost ~50 instructions a pair */
static inline __attribute__((always_inline)) void enter(struct gen_pool *pool)
{
	if (pool->flags & GP_LOCK_FLAGS)
		gp_pool_lock(pool);
	gp_rcu_read_lock();
}

static inline __attribute__((always_inline)) void leave(struct gen_pool *pool)
{
	gp_rcu_read_unlock();
	if (pool->flags & GP_LOCK_FLAGS)
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
#define POOL_DEFAULT { .algo = NULL }

/* Tell the request's caller where @addr came from. */
static void fill_out(const struct alloc_req *req, const struct gen_pool_chunk *c,
		     unsigned long addr)
{
	if (req->owner)
		*req->owner = c->owner;
	if (req->dma)
		*req->dma = c->phys_addr + (addr - c->start_addr);
}

/* Walk the chunks with @pair; 0 when no chunk has room. */
static unsigned long walk_rcu(struct gen_pool *pool, unsigned long nbits,
			      const struct gp_algo_pair *pair, bool live,
			      struct gen_pool_chunk **chunk)
{
	unsigned long addr, pos = ~0UL;
	struct gen_pool_chunk *c;

	/* newest first, past every chunk the pool-level summary rules out */
	while ((c = gp_slots_next_rcu(pool, nbits, &pos))) {
		GP_TESTPOINT(GP_TP_ALLOC_WALK);
		addr = gp_chunk_alloc_rcu(pool, c, nbits, pair->algo, pair->data, live);
		if (addr) {
			*chunk = c;
			return addr;
		}
	}
	return 0;
}

unsigned long gp_pool_alloc_pair(struct gen_pool *pool, unsigned long nbits,
				 const struct gp_algo_pair *pair, bool live,
				 struct gen_pool_chunk **chunk)
{
	unsigned long addr;

	enter(pool);
	addr = walk_rcu(pool, nbits, pair, live, chunk);
	leave(pool);
	return addr;
}

unsigned long gp_pool_alloc_raw(struct gen_pool *pool, unsigned long nbits, bool live,
				struct gen_pool_chunk **chunk)
{
	const struct gp_algo_pair pair = { .algo = gen_pool_scalable_fit };

	return gp_pool_alloc_pair(pool, nbits, &pair, live, chunk);
}

/*
 * The uncached allocation: the walk, in one read section with the pair.
 * The pair's data is checked at every call, the pool's default included:
 * gen_pool_set_algo installs invalid data as given, and the caller may
 * correct the struct later. For the algorithms that take no data the check
 * is two pointer compares; for align/fixed a load or two of the data.
 */
static unsigned long alloc_walk(struct gen_pool *pool, unsigned long nbits,
				const struct alloc_req *req, const char **why)
{
	struct gp_algo_pair pair = req->pair;
	struct gen_pool_chunk *c;
	unsigned long addr = 0;

	enter(pool);
	if (!pair.algo)
		pair = gp_pool_algo_rcu(pool);
	*why = gp_algo_check(pool, pair.algo, pair.data);
	if (!*why)
		addr = walk_rcu(pool, nbits, &pair, true, &c);
	/* read here, inside the section that found the chunk */
	if (addr)
		fill_out(req, c, addr);
	leave(pool);
	return addr;
}

/* Refusals of an alloc call: reported as @caller's, 0 with errno set. */
#define REFUSE_ALLOC(caller, ...) ((unsigned long)gp_refuse_null(EINVAL, (caller), __VA_ARGS__))

/*
 * Does @req go through @pool's thread cache? Only the default algorithm
 * does, and only when it is one that takes no data (cache_default), so a
 * cache never serves a pool whose default has data, valid or not: those
 * requests take the walk and its check.
 */
static bool cached_request(struct gen_pool *pool, unsigned long nbits,
			   const struct alloc_req *req)
{
	/* relaxed: set_algo's store is ordered before this call by the caller */
	return pool->tcache && !req->pair.algo && gp_atomic_load_relaxed(&pool->cache_default) &&
	       gp_tcache_serves(pool, nbits);
}

/* One try: through the thread cache, or the walk. */
static unsigned long alloc_once(struct gen_pool *pool, unsigned long nbits,
				const struct alloc_req *req, const char **why)
{
	struct gen_pool_chunk *c;
	unsigned long addr;

	if (!cached_request(pool, nbits, req))
		return alloc_walk(pool, nbits, req, why);
	addr = gp_tcache_alloc(pool, nbits, &c);
	if (addr)
		fill_out(req, c, addr);
	return addr;
}

/* One request's attempt, as gp_source_grow retries it after an import. */
struct alloc_try {
	struct gen_pool *pool;
	unsigned long nbits;
	const struct alloc_req *req;
	const char **why;
};

static unsigned long alloc_retry(void *ctx)
{
	struct alloc_try *t = ctx;

	return alloc_once(t->pool, t->nbits, t->req, t->why);
}

/*
 * The default pair is read inside the read section, so that algo and data
 * come from the same gen_pool_set_algo(). A cache pool that would fail
 * first returns its own cache and the depot to the bitmaps and tries again;
 * then a pool with a source imports (source.c) and tries once more.
 */
static unsigned long do_alloc(struct gen_pool *pool, size_t size, const struct alloc_req *req)
{
	unsigned long nbits, addr;
	const char *why = NULL;
	struct alloc_try t = { pool, 0, req, &why };

	if (req->owner)
		*req->owner = NULL;
	if (!pool)
		return REFUSE_ALLOC(req->caller, "pool is NULL");
	nbits = gp_pool_granules(pool, size);
	if (!nbits) {
		gp_stats_refused(pool);
		return REFUSE_ALLOC(req->caller, "size %zu is 0 or too large", size);
	}
	addr = alloc_once(pool, nbits, req, &why);
	if (!addr && !why && pool->tcache) {
		gp_tcache_flush(pool);
		addr = alloc_once(pool, nbits, req, &why);
	}
	if (!addr && !why) {
		t.nbits = nbits;
		addr = gp_source_grow(pool, nbits, alloc_retry, &t);
	}
	if (gp_log_on(pool))
		gp_log_alloc(pool, size, req->pair.algo, req->pair.data,
			     cached_request(pool, nbits, req), addr,
			     why ? GP_TRES_REFUSED : addr ? GP_TRES_OK : GP_TRES_NOMEM);
	if (why) {
		gp_stats_refused(pool);
		return REFUSE_ALLOC(req->caller, "%s", why);
	}
	if (!addr) {
		gp_stats_failed(pool);
		errno = ENOMEM; /* a result, not a refusal: not reported */
		return 0;
	}
	gp_stats_alloc(pool, nbits);
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

static inline unsigned long alloc_general(struct gen_pool *pool, size_t size)
{
	struct alloc_req req = { POOL_DEFAULT, NULL, NULL, "gen_pool_alloc" };

	return do_alloc(pool, size, &req);
}

/*
 * A cache pool's gen_pool_alloc: a thread-cache hit, else the general path
 * (refusals included). Out of line, so that neither path pays for the
 * other's stack frame: a hit sets up no request and saves no registers.
 */
static __attribute__((noinline)) unsigned long alloc_general_ool(struct gen_pool *pool,
								 size_t size)
{
	return alloc_general(pool, size);
}

/*
 * A hit is counted like any allocation (statistics: the hit path counts it
 * on its cache's slot); with the event log on, every call takes the general
 * path, which writes the record.
 */
static __attribute__((noinline)) unsigned long alloc_cached(struct gen_pool *pool, size_t size)
{
	unsigned long addr = gp_log_on(pool) ? 0 : gp_tcache_alloc_hit(pool, size);

	return addr ? addr : alloc_general_ool(pool, size);
}

unsigned long gen_pool_alloc(struct gen_pool *pool, size_t size)
{
	if (pool && pool->tcache)
		return alloc_cached(pool, size);
	return alloc_general_ool(pool, size);
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
	struct alloc_req req = { { .algo = gen_pool_first_fit_align, .data = &data }, NULL, dma, __func__ };

	return dma_alloc(pool, size, &req, false);
}

void *gen_pool_dma_zalloc_align(struct gen_pool *pool, size_t size, dma_addr_t *dma, int align)
{
	struct genpool_data_align data = { .align = align };
	struct alloc_req req = { { .algo = gen_pool_first_fit_align, .data = &data }, NULL, dma, __func__ };

	return dma_alloc(pool, size, &req, true);
}

/* Check a free's range against the chunk @c holding @addr; message on refusal. */
static const char *check_in_chunk(const struct gen_pool *pool, const struct gen_pool_chunk *c,
				  unsigned long addr, unsigned long nbits, unsigned long *bit)
{
	unsigned long off = addr - c->start_addr;

	if (off & ((1UL << pool->min_alloc_order) - 1))
		return "is not on a granule boundary";
	*bit = off >> pool->min_alloc_order;
	if (nbits > c->nbits - *bit)
		return "runs past the end of its chunk";
	return NULL;
}

/* Find and check the chunk and bit range of a free; message on refusal. */
static const char *locate_rcu(struct gen_pool *pool, unsigned long addr, unsigned long nbits,
			      struct gen_pool_chunk **chunk, unsigned long *bit)
{
	*chunk = gp_index_find_rcu(pool, addr);
	if (!*chunk)
		return "is in no chunk";
	return check_in_chunk(pool, *chunk, addr, nbits, bit);
}

/*
 * The free itself; -EINVAL with *why set, or -EINVAL alone for a range not
 * (exactly) allocated; *owner gets the chunk's owner. A cached size whose
 * chunk the thread's cache knows needs no read section; the rest locates
 * the chunk inside one. The owner is read before the range is given back:
 * after that the chunk may be removed (gen_pool_remove_chunk) and freed.
 */
static int do_free(struct gen_pool *pool, unsigned long addr, unsigned long nbits, void **owner,
		   const char **why)
{
	bool cached = pool->tcache && gp_tcache_serves(pool, nbits);
	struct gen_pool_chunk *c;
	unsigned long bit = 0;
	int err = 0;

	c = cached ? gp_tcache_chunk_of(pool, addr) : NULL;
	if (c) {
		*why = check_in_chunk(pool, c, addr, nbits, &bit);
		*owner = c->owner;
	} else {
		enter(pool);
		*why = locate_rcu(pool, addr, nbits, &c, &bit);
		if (!*why)
			*owner = c->owner;
		if (!*why && !cached)
			err = gp_chunk_free_rcu(pool, c, bit, nbits);
		leave(pool);
	}
	if (*why)
		return -EINVAL;
	/* outside the section: the range is allocated in c, so c cannot be
	 * removed before the cache parks or releases it (remove.c) */
	return cached ? gp_tcache_free(pool, c, bit, nbits) : err;
}

/* do_free() with a log record, whose time is read before anything is released. */
static int logged_free(struct gen_pool *pool, unsigned long addr, size_t size,
		       unsigned long nbits, void **owner, const char **why)
{
	uint64_t t = gp_log_clock();
	int err = do_free(pool, addr, nbits, owner, why);

	gp_log_free(pool, t, addr, size, err ? GP_TRES_REFUSED : GP_TRES_OK);
	return err;
}

/* gen_pool_free_owner, with its refusals reported as @caller's. */
static int free_call(struct gen_pool *pool, unsigned long addr, size_t size, void **owner,
		     const char *caller)
{
	const char *why = NULL;
	void *own = NULL;
	unsigned long nbits;
	int err;

	if (owner)
		*owner = NULL;
	if (!pool)
		return gp_refuse(EINVAL, caller, "pool is NULL");
	nbits = gp_pool_granules(pool, size);
	if (!nbits)
		return GP_REFUSE_POOL_AS(pool, EINVAL, caller, "size %zu is 0 or too large", size);
	if (gp_log_on(pool))
		err = logged_free(pool, addr, size, nbits, &own, &why);
	else
		err = do_free(pool, addr, nbits, &own, &why);
	if (why)
		return GP_REFUSE_POOL_AS(pool, EINVAL, caller, "range 0x%lx + %zu %s", addr, size, why);
	if (err)
		return GP_REFUSE_POOL_AS(pool, EINVAL, caller, "range 0x%lx + %zu is %s", addr, size,
				 (pool->flags & GP_BOUNDARY_FLAGS) ?
					 "not exactly one live allocation" :
					 "already free in part or whole (double free)");
	gp_stats_free(pool, nbits);
	if (owner)
		*owner = own;
	return 0;
}

int gen_pool_free_owner(struct gen_pool *pool, unsigned long addr, size_t size, void **owner)
{
	return free_call(pool, addr, size, owner, __func__);
}

static __attribute__((noinline)) int free_general_ool(struct gen_pool *pool, unsigned long addr,
						      size_t size)
{
	return free_call(pool, addr, size, NULL, "gen_pool_free");
}

/* A cache pool's gen_pool_free: a hit (counted there), else the general path (as alloc_cached). */
static __attribute__((noinline)) int free_cached(struct gen_pool *pool, unsigned long addr,
						 size_t size)
{
	if (gp_log_on(pool) || !gp_tcache_free_hit(pool, addr, size))
		return free_general_ool(pool, addr, size);
	return 0;
}

/*
 * Both paths are tail calls: with the general path inlined here, the
 * compiler saved its registers before the cache test too, which cost a
 * cache hit about 17 instructions (bench/icount.py).
 */
int gen_pool_free(struct gen_pool *pool, unsigned long addr, size_t size)
{
	if (pool && pool->tcache)
		return free_cached(pool, addr, size);
	return free_general_ool(pool, addr, size);
}
