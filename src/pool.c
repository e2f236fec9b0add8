// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pool.c - pool lifetime, adding chunks, queries and the default algorithm.
 *
 * Concurrency: pool->lock (lock.c) serialises chunk list changes and
 * set_algo; alloc and free never take it unless the pool is a lock
 * baseline (GEN_POOL_SPINLOCK, GEN_POOL_LOCK_TICKET, GEN_POOL_LOCK_MCS).
 * Queries walk the RCU-published chunk list without the lock. gen_pool_destroy must not race with any other call.
 *
 * The default algorithm is an immutable {algo, data} pair published as one
 * pointer, so a reader never sees one half of an update. The chunk index is
 * replaced the same way on every add and removal; a removed chunk is
 * retired on pool->gone the same way (gen_pool_remove_chunk, remove.c). A replaced object is freed after a
 * grace period; when the replacing call runs inside a read section (e.g. a
 * for_each_chunk callback) it cannot wait for one, so the object is kept on
 * pool->retired until a later replacement or destroy.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "atomic.h"
#include "internal.h"
#include "mutant.h"
#include "layers/layer.h"
#include "log.h"
#include "rcu.h"
#include "stats.h"

#ifdef GP_TSAN
char gp_rcu_tsan_token;
#endif

/* Granules covering @size bytes, or 0 for size 0, overflow, or too many
 * for genpool_algo_t's unsigned int count. */
unsigned long gp_pool_granules(const struct gen_pool *pool, size_t size)
{
	unsigned long g = 1UL << pool->min_alloc_order;
	unsigned long nbits;

	if (size == 0 || size > ~0UL - (g - 1))
		return 0;
	nbits = (size + g - 1) >> pool->min_alloc_order;
	return nbits > UINT_MAX ? 0 : nbits;
}

struct gen_pool *gp_pool_create(int min_alloc_order, int nid, unsigned int flags,
			       const char *caller)
{
	struct gen_pool *pool;
	struct gp_algo_pair *pair;
	int placed;

	if (min_alloc_order < 0 || min_alloc_order >= (int)(sizeof(long) * 8))
		return gp_refuse_null(EINVAL, caller, "min_alloc_order %d is outside 0..%d",
				      min_alloc_order, (int)(sizeof(long) * 8) - 1);
	if (flags & ~GP_KNOWN_FLAGS)
		return gp_refuse_null(EINVAL, caller, "unknown flags 0x%x",
				      flags & ~GP_KNOWN_FLAGS);
	if (__builtin_popcount(flags & GP_LOCK_FLAGS) > 1)
		return gp_refuse_null(EINVAL, caller, "flags 0x%x name two pool locks: give at "
				      "most one of GEN_POOL_SPINLOCK, GEN_POOL_LOCK_TICKET and "
				      "GEN_POOL_LOCK_MCS", flags & GP_LOCK_FLAGS);
	if ((flags & GP_LOCK_FLAGS) && (flags & GEN_POOL_THREAD_CACHE))
		return gp_refuse_null(EINVAL, caller, "GEN_POOL_THREAD_CACHE with a lock flag "
				      "(0x%x): the lock baselines have no caches",
				      flags & GP_LOCK_FLAGS);
	if (gp_meta_check_nid(nid))
		return gp_refuse_null(EINVAL, caller, "NUMA node %d does not exist", nid);
	pool = gp_meta_zalloc(sizeof(*pool), nid, &placed);
	pair = gp_meta_heap_zalloc(sizeof(*pair));
	if (!pool || !pair) {
		gp_meta_free(pool, sizeof(*pool), placed);
		free(pair);
		errno = ENOMEM;
		return NULL;
	}
	gp_lock_init(&pool->lock, flags);
	pair->algo = gen_pool_first_fit;
	pool->algo = pair;
	pool->cache_default = true;
	pool->min_alloc_order = min_alloc_order;
	pool->flags = flags;
	pool->meta_size = sizeof(*pool);
	pool->meta_nid = placed;
	if ((flags & GEN_POOL_THREAD_CACHE) && gp_tcache_init(pool)) {
		gp_lock_destroy(&pool->lock);
		gp_meta_free(pool, sizeof(*pool), placed);
		free(pair);
		errno = ENOMEM;
		return NULL;
	}
	gp_life_init(pool);
	gp_obs_init(pool); /* last: GENPOOL_LOG logs a complete pool */
	return pool;
}

struct gen_pool *gen_pool_create_flags(int min_alloc_order, int nid, unsigned int flags)
{
	return gp_pool_create(min_alloc_order, nid, flags, __func__);
}

struct gen_pool *gen_pool_create(int min_alloc_order, int nid)
{
	return gp_pool_create(min_alloc_order, nid, 0, __func__);
}

/* -EBUSY (reported as @caller's, if not NULL) if any granule is allocated. */
int gp_pool_busy(struct gen_pool *pool, const char *caller)
{
	unsigned long bytes = 0, ranges = 0, r;
	struct gen_pool_chunk *c;

	for (c = pool->chunks; c; c = c->next) {
		bytes += gp_chunk_outstanding(pool, c, &r);
		ranges += r;
	}
	if (!bytes)
		return 0;
	if (caller)
		gp_refuse(EBUSY, caller, "%lu bytes in %lu ranges still allocated; pool left intact",
			  bytes, ranges);
	return -EBUSY;
}

static void free_retired(struct gp_retired *r)
{
	struct gp_retired *next;

	for (; r; r = next) {
		next = r->next;
		free(r); /* the object it heads */
	}
}

_Static_assert(offsetof(struct gp_algo_pair, retired) == 0, "see struct gp_retired");
_Static_assert(offsetof(struct gp_chunk_index, retired) == 0, "see struct gp_retired");

void gp_pool_retire_locked(struct gen_pool *pool, struct gp_retired *old)
{
	old->next = pool->retired;
	pool->retired = old;
}

void gp_pool_retire_chunk_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
	chunk->gone_next = pool->gone;
	pool->gone = chunk;
}

static void free_gone(struct gen_pool_chunk *c)
{
	struct gen_pool_chunk *next;

	for (; c; c = next) {
		next = c->gone_next;
		gp_chunk_free(c);
	}
}

void gp_pool_reclaim(struct gen_pool *pool)
{
	struct gp_retired *list;
	struct gen_pool_chunk *gone;

	if (gp_rcu_read_ongoing())
		return; /* cannot wait for readers from inside a reader */
	gp_pool_lock(pool);
	list = pool->retired;
	pool->retired = NULL;
	gone = pool->gone;
	pool->gone = NULL;
	gp_pool_unlock(pool);
	if (list || gone) {
		gp_rcu_synchronize();
		free_retired(list);
		free_gone(gone);
	}
	if (gone) { /* their slots at the top can take the next chunks */
		gp_pool_lock(pool);
		gp_slots_trim_locked(pool, pool->gone);
		gp_pool_unlock(pool);
	}
}

/* Free everything of an idle pool that gp_pool_busy() found empty. */
void gp_pool_free_all(struct gen_pool *pool)
{
	struct gen_pool_chunk *c, *next;

	gp_obs_fini(pool); /* first: a running log is written out */
	gp_life_fini(pool); /* imports go back to their sources first */
	free_gone(pool->gone);
	for (c = pool->chunks; c; c = next) {
		next = c->next;
		gp_chunk_free(c);
	}
	free_retired(pool->retired);
	free(pool->index);
	gp_slots_free_all(pool);
	free(pool->algo);
	if (pool->tcache)
		gp_tcache_fini(pool);
	free(pool->name);
	gp_lock_destroy(&pool->lock);
	gp_meta_free(pool, pool->meta_size, pool->meta_nid);
}

int gen_pool_destroy(struct gen_pool *pool)
{
	int err;

	if (!pool)
		return 0;
	if (pool->tcache)
		gp_tcache_drain_all(pool); /* cached ranges are free, not outstanding */
	err = gp_pool_busy(pool, __func__);
	if (err)
		return err;
	gp_managed_detach(pool);
	gp_pool_free_all(pool);
	return 0;
}

/* Why [addr, addr + size) cannot be a chunk, or NULL; sets *nbits. */
static const char *bad_range(const struct gen_pool *pool, unsigned long addr, size_t size,
			     unsigned long *nbits)
{
	if (size == 0)
		return "chunk size is 0";
	if (addr == 0)
		return "chunk contains address 0 (alloc's failure value)";
	if (addr + (size - 1) < addr)
		return "chunk wraps the address space";
	*nbits = size >> pool->min_alloc_order;
	if (*nbits == 0)
		return "chunk is smaller than one granule";
	return NULL;
}

int gp_pool_add_chunk(struct gen_pool *pool, unsigned long addr, phys_addr_t phys, size_t size,
		      int nid, void *owner, const struct gp_chunk_import *imp, const char *caller)
{
	struct gen_pool_chunk *chunk, *other;
	unsigned long nbits;
	const char *why;
	int err;

	why = bad_range(pool, addr, size, &nbits);
	if (why)
		return GP_REFUSE_POOL_AS(pool, EINVAL, caller, "[0x%lx + %zu): %s", addr, size, why);
	if (gp_meta_check_nid(nid))
		return GP_REFUSE_POOL_AS(pool, EINVAL, caller, "NUMA node %d does not exist", nid);
	/* before the chunk exists: a thread that waits at the gate while the
	 * process forks holds nothing the child would lose (see fork.c) */
	gp_fork_enter();
	chunk = gp_chunk_new(pool, addr, phys, nbits, nid, owner);
	if (!chunk) {
		gp_fork_leave();
		return -ENOMEM;
	}
	if (imp)
		chunk->import = *imp;

	gp_pool_lock(pool);
	other = gp_chunk_overlap_locked(pool, chunk->start_addr, chunk->end_addr);
	err = other ? -EEXIST : gp_chunk_publish_locked(pool, chunk);
	if (!err) /* under the lock: see log.c on publication */
		gp_log_chunk(pool, imp ? GP_TR_IMPORT : GP_TR_ADD, chunk->start_addr,
			     chunk->end_addr - chunk->start_addr + 1, chunk->phys_addr, GP_TRES_OK);
	gp_pool_unlock(pool);
	if (!err)
		gp_pool_reclaim(pool); /* the grace period: inside the gate (fork.c) */
	gp_fork_leave();
	if (!err)
		return 0;
	if (other)
		err = GP_REFUSE_POOL_AS(pool, EEXIST, caller, "chunk [0x%lx, 0x%lx] overlaps chunk [0x%lx, 0x%lx]",
				chunk->start_addr, chunk->end_addr, other->start_addr,
				other->end_addr);
	gp_chunk_free(chunk);
	return err;
}

int gen_pool_add_owner(struct gen_pool *pool, unsigned long addr, phys_addr_t phys, size_t size,
		       int nid, void *owner)
{
	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	return gp_pool_add_chunk(pool, addr, phys, size, nid, owner, NULL, __func__);
}

int gen_pool_add_virt(struct gen_pool *pool, unsigned long addr, phys_addr_t phys, size_t size,
		      int nid)
{
	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	return gp_pool_add_chunk(pool, addr, phys, size, nid, NULL, NULL, __func__);
}

int gen_pool_add(struct gen_pool *pool, unsigned long addr, size_t size, int nid)
{
	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	return gp_pool_add_chunk(pool, addr, (phys_addr_t)-1, size, nid, NULL, NULL, __func__);
}

struct gp_algo_pair gp_pool_algo_rcu(struct gen_pool *pool)
{
	/* acquire: pairs with the release in gen_pool_set_algo. */
	const struct gp_algo_pair *pair = gp_atomic_load_acquire(&pool->algo);

	/*
	 * algo and data only, never the whole struct: its retired link is
	 * written by the gen_pool_set_algo that replaces it while readers may
	 * still be copying it (found by the stress harness's invalid window).
	 */
	return (struct gp_algo_pair){ .algo = pair->algo, .data = pair->data };
}

void gen_pool_set_algo(struct gen_pool *pool, genpool_algo_t algo, void *data)
{
	struct gp_algo_pair *pair, *old, named = gp_algo_named(algo, data);
	const char *why;

	if (!pool) {
		GP_REFUSE(EINVAL, "pool is NULL");
		return;
	}
	algo = named.algo;
	data = named.data;
	why = gp_algo_check(pool, algo, data);
	gp_fork_enter(); /* before the pair exists, and around the grace period (fork.c) */
	pair = gp_meta_heap_zalloc(sizeof(*pair));
	if (!pair) {
		gp_fork_leave();
		GP_REFUSE(ENOMEM, "out of memory; algorithm unchanged");
		return;
	}
	if (why && GP_MUTANT(GP_MUT_SET_ALGO_KEEP_OLD)) {
		free(pair);
		gp_fork_leave();
		return;
	}
	pair->algo = algo;
	pair->data = data;

	gp_pool_lock(pool);
	old = pool->algo;
	/* release: pairs with the acquire in gp_pool_algo_rcu. */
	gp_atomic_store_release(&pool->algo, pair);
	/* relaxed: read by later calls, which the caller orders after this one */
	gp_atomic_store_relaxed(&pool->cache_default,
				algo == gen_pool_first_fit || algo == gen_pool_best_fit ||
					algo == gen_pool_scalable_fit ||
					GP_MUTANT(GP_MUT_CACHE_ANY_DEFAULT));
	gp_pool_retire_locked(pool, &old->retired);
	gp_pool_unlock(pool);
	gp_pool_reclaim(pool);
	gp_fork_leave();
	/*
	 * Invalid data is installed as named, as the kernel does: every
	 * allocation through the pool's algorithm checks the data it reads
	 * (alloc.c), so until the caller corrects the struct they fail with
	 * EINVAL instead of placing with another algorithm. Reported here too,
	 * where the mistake is made.
	 */
	if (why)
		GP_REFUSE_POOL(pool, EINVAL, "%s; installed, but allocations with the pool's "
					    "algorithm fail with EINVAL until the data is valid", why);
}

void gen_pool_for_each_chunk(struct gen_pool *pool,
			     void (*func)(struct gen_pool *pool, struct gen_pool_chunk *chunk,
					  void *data),
			     void *data)
{
	struct gen_pool_chunk *c;

	if (!pool || !func) {
		if (pool)
			gp_stats_refused(pool);
		GP_REFUSE(EINVAL, "%s is NULL", pool ? "func" : "pool");
		return;
	}
	gp_rcu_read_lock();
	for (c = gp_chunk_first_rcu(pool); c; c = gp_chunk_next_rcu(c))
		func(pool, c, data);
	gp_rcu_read_unlock();
}

/*
 * The kernel's test for valid input: start in a chunk and end = start +
 * size - 1 not past its end. For size 0 that end is start - 1, so an empty
 * range at an address inside a chunk is inside it, as in the kernel; it is
 * tested as [start, start]. A range that wraps is false (the kernel's end
 * would wrap below the chunk end and say true); address 0 is in no chunk.
 */
bool gen_pool_has_addr(struct gen_pool *pool, unsigned long start, size_t size)
{
	unsigned long end = size ? start + size - 1 : start;
	struct gen_pool_chunk *c;
	bool found;

	if (!pool) {
		GP_REFUSE(EINVAL, "pool is NULL");
		return false;
	}
	if (end < start)
		return false;
	gp_rcu_read_lock();
	c = gp_index_find_rcu(pool, start);
	found = c && end <= c->end_addr;
	gp_rcu_read_unlock();
	return found;
}

phys_addr_t gen_pool_virt_to_phys(struct gen_pool *pool, unsigned long addr)
{
	struct gen_pool_chunk *c;
	phys_addr_t phys = (phys_addr_t)-1;

	if (!pool) {
		GP_REFUSE(EINVAL, "pool is NULL");
		return phys;
	}
	gp_rcu_read_lock();
	c = gp_index_find_rcu(pool, addr);
	if (c)
		phys = c->phys_addr + (addr - c->start_addr);
	gp_rcu_read_unlock();
	return phys;
}

/* Granules claimed in the bitmaps: the sum of the shards. */
static long claimed_granules(struct gen_pool *pool)
{
	long n = 0;

	for (unsigned int i = 0; i < GP_NSHARDS; i++)
		n += gp_atomic_load_relaxed(&pool->shards[i].claimed);
	return n;
}

/* Bytes of whole granules in all chunks. */
static size_t chunk_bytes(struct gen_pool *pool)
{
	struct gen_pool_chunk *c;
	size_t total = 0;

	gp_rcu_read_lock();
	for (c = gp_chunk_first_rcu(pool); c; c = gp_chunk_next_rcu(c))
		total += c->end_addr - c->start_addr + 1;
	gp_rcu_read_unlock();
	return total;
}

/*
 * Free bytes: the chunks' size less what is claimed, plus what thread caches
 * hold (cached ranges are available). Read in this order, so that a chunk
 * added meanwhile counts in size, not in avail; clamped to [0, size],
 * since the shards and caches are read one after another while they move.
 */
size_t gen_pool_avail(struct gen_pool *pool)
{
	size_t cached, size, used;
	long claimed;

	if (!pool) {
		GP_REFUSE(EINVAL, "pool is NULL");
		return 0;
	}
	cached = pool->tcache ? gp_tcache_cached_bytes(pool) : 0;
	claimed = claimed_granules(pool);
	size = chunk_bytes(pool);
	used = claimed > 0 ? (size_t)claimed << pool->min_alloc_order : 0;
	used = used > cached ? used - cached : 0;
	return used < size ? size - used : 0;
}

size_t gen_pool_size(struct gen_pool *pool)
{
	if (!pool) {
		GP_REFUSE(EINVAL, "pool is NULL");
		return 0;
	}
	return chunk_bytes(pool);
}

unsigned long gen_pool_chunk_start(const struct gen_pool_chunk *chunk)
{
	return chunk ? chunk->start_addr : 0;
}

unsigned long gen_pool_chunk_end(const struct gen_pool_chunk *chunk)
{
	return chunk ? chunk->end_addr : 0;
}

phys_addr_t gen_pool_chunk_phys(const struct gen_pool_chunk *chunk)
{
	return chunk ? chunk->phys_addr : (phys_addr_t)-1;
}

void *gen_pool_chunk_owner(const struct gen_pool_chunk *chunk)
{
	return chunk ? chunk->owner : NULL;
}

/* For the layers (src/layers/layer.h): the granule in bytes. */
unsigned long gp_layer_granule(const struct gen_pool *pool)
{
	return 1UL << pool->min_alloc_order;
}
