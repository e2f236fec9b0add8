/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * genpool.h - the public interface of libgenpool.
 *
 * A lock-free, hardened userspace port of the Linux kernel's genalloc
 * (<linux/genalloc.h>). A pool manages ranges of addresses it never touches
 * (device, GPU, RDMA, shared memory, file offsets); kernel code ports with a
 * changed include. Differences from the kernel are listed in README.md.
 *
 * Concurrency contract: every call is safe from any thread, concurrently with
 * every other call on the same pool, except gen_pool_destroy() (and
 * gen_pool_owner_destroy() for the pools it owns), which must not race with
 * any other use of that pool. No thread registration or init call is needed.
 * alloc and free never take the pool lock (unless GEN_POOL_SPINLOCK).
 *
 * Errors: calls returning int return 0 or a negative errno; calls returning
 * an address or pointer return 0/NULL and set errno. Every refused call is
 * reported once to the handler of gen_pool_set_error_handler(), or printed
 * to stderr when no handler is set and GENPOOL_DEBUG=1.
 */
#ifndef GENPOOL_H
#define GENPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GENPOOL_API __attribute__((visibility("default")))
#else
#define GENPOOL_API
#endif

#define GENPOOL_VERSION_MAJOR 0
#define GENPOOL_VERSION_MINOR 1
#define GENPOOL_VERSION_PATCH 0

/*
 * Define GENPOOL_HAVE_PHYS_ADDR_T / GENPOOL_HAVE_DMA_ADDR_T before including
 * this header when the program already has its own typedef (it must be a
 * 64-bit unsigned type).
 */
#ifndef GENPOOL_HAVE_PHYS_ADDR_T
#define GENPOOL_HAVE_PHYS_ADDR_T
typedef uint64_t phys_addr_t;
#endif
#ifndef GENPOOL_HAVE_DMA_ADDR_T
#define GENPOOL_HAVE_DMA_ADDR_T
typedef uint64_t dma_addr_t;
#endif

struct gen_pool;       /* opaque */
struct gen_pool_chunk; /* opaque; read through gen_pool_chunk_*() */

/**
 * typedef genpool_algo_t - an allocation algorithm
 * @map: the chunk's live bitmap, bit i = granule i (set = allocated)
 * @size: number of bits in @map
 * @start: bit to start searching at
 * @nr: number of granules wanted
 * @data: the algorithm's private data (from set_algo or alloc_algo)
 * @pool: the pool being allocated from
 * @start_addr: the chunk's start address
 *
 * Returns the first bit of a free run of @nr bits, or any value >= @size
 * when nothing fits. Called with no lock held (the bitmap may change under
 * it; the claim that follows checks again), and may be called several times
 * for one allocation.
 */
typedef unsigned long (*genpool_algo_t)(unsigned long *map, unsigned long size,
					unsigned long start, unsigned int nr, void *data,
					struct gen_pool *pool, unsigned long start_addr);

/** struct genpool_data_align - data for gen_pool_first_fit_align: @align in bytes, power of 2 */
struct genpool_data_align {
	int align;
};

/** struct genpool_data_fixed - data for gen_pool_fixed_alloc: @offset in bytes from chunk start */
struct genpool_data_fixed {
	unsigned long offset;
};

/* ------------------------------------------------------------------------ */
/* Pool lifetime                                                            */

/**
 * gen_pool_create - create a new special memory pool
 * @min_alloc_order: log2 of the granule size in bytes, 0..(bits of long - 1)
 * @nid: NUMA node for the pool's metadata, or -1 for any
 *
 * Returns the pool, or NULL with errno EINVAL (bad order or node) or ENOMEM.
 */
GENPOOL_API struct gen_pool *gen_pool_create(int min_alloc_order, int nid);

/* Flags for gen_pool_create_flags(). */
/** GEN_POOL_SPINLOCK - baseline: alloc/free take the pool lock, plain bit ops */
#define GEN_POOL_SPINLOCK 0x1u
/** GEN_POOL_STRICT - track allocation boundaries: a wrong-size free is refused */
#define GEN_POOL_STRICT 0x2u
/**
 * GEN_POOL_THREAD_CACHE - serve small sizes from per-thread magazines.
 * Requests of 1 up to a configurable number of granules (gen_pool_cache_
 * configure) are served from and returned to the calling thread's cache;
 * full and empty magazines move through a lock-free per-pool depot. A
 * cache pool tracks allocation boundaries as GEN_POOL_STRICT does (a cache
 * must know what it takes back), so a wrong-size free is refused.
 */
#define GEN_POOL_THREAD_CACHE 0x4u
/**
 * GEN_POOL_LOCK_TICKET - baseline as GEN_POOL_SPINLOCK, with Concurrency
 * Kit's ticket lock (ck_spinlock_ticket, FIFO) as the pool lock: alloc/free
 * take it and use plain bit operations; chunk changes take it too.
 */
#define GEN_POOL_LOCK_TICKET 0x8u
/**
 * GEN_POOL_LOCK_MCS - baseline as GEN_POOL_SPINLOCK, with Concurrency Kit's
 * MCS queue lock (ck_spinlock_mcs: each waiter spins on its own cache line)
 * as the pool lock. At most one of the three lock flags may be given.
 */
#define GEN_POOL_LOCK_MCS 0x10u

/**
 * gen_pool_create_flags - create a pool with extension flags
 * @min_alloc_order: as gen_pool_create()
 * @nid: as gen_pool_create()
 * @flags: a combination of GEN_POOL_STRICT, GEN_POOL_THREAD_CACHE and at
 *         most one lock flag: GEN_POOL_SPINLOCK, GEN_POOL_LOCK_TICKET or
 *         GEN_POOL_LOCK_MCS (two lock flags together are refused, and so is
 *         a lock flag with THREAD_CACHE: the baselines have no caches)
 *
 * Returns the pool, or NULL with errno EINVAL (unknown flag, two lock
 * flags, a lock flag with GEN_POOL_THREAD_CACHE) or as gen_pool_create().
 */
GENPOOL_API struct gen_pool *gen_pool_create_flags(int min_alloc_order, int nid,
						   unsigned int flags);

/**
 * gen_pool_destroy - destroy a pool and its chunks
 * @pool: the pool, or NULL (a no-op returning 0)
 *
 * Returns 0, or -EBUSY when allocations are outstanding: the pool is then
 * left intact and usable, and the error handler is told how many bytes in
 * how many ranges are still out. Must not race with any other call on @pool.
 */
GENPOOL_API int gen_pool_destroy(struct gen_pool *pool);

/* ------------------------------------------------------------------------ */
/* Adding memory                                                            */

/**
 * gen_pool_add_owner - add a chunk of address space to a pool
 * @pool: the pool
 * @addr: first address of the chunk (not 0; 0 is alloc's failure value)
 * @phys: physical address of @addr, or (phys_addr_t)-1 when unknown
 * @size: size in bytes; rounded down to whole granules
 * @nid: NUMA node for the chunk's bitmap, or -1 for any
 * @owner: private pointer handed back by the *_owner allocation calls
 *
 * Returns 0; -EINVAL for size 0, a range smaller than one granule, a range
 * that wraps or contains address 0, or a bad @nid; -EEXIST when the range
 * overlaps a chunk already in the pool; -ENOMEM. The chunk is searched
 * before every chunk added earlier.
 */
GENPOOL_API int gen_pool_add_owner(struct gen_pool *pool, unsigned long addr, phys_addr_t phys,
				   size_t size, int nid, void *owner);
/** gen_pool_add_virt - gen_pool_add_owner() with no owner */
GENPOOL_API int gen_pool_add_virt(struct gen_pool *pool, unsigned long addr, phys_addr_t phys,
				  size_t size, int nid);
/** gen_pool_add - gen_pool_add_virt() with phys (phys_addr_t)-1 */
GENPOOL_API int gen_pool_add(struct gen_pool *pool, unsigned long addr, size_t size, int nid);

/* ------------------------------------------------------------------------ */
/* Allocation and free (lock-free)                                          */

/**
 * gen_pool_alloc_algo_owner - allocate a range with a given algorithm
 * @pool: the pool
 * @size: bytes wanted; rounded up to whole granules
 * @algo: the algorithm (NULL means gen_pool_first_fit)
 * @data: the algorithm's data
 * @owner: if not NULL, set to NULL on entry and to the chunk's owner on success
 *
 * Chunks are tried newest-added first. Returns the address, or 0 with errno
 * EINVAL (NULL pool; size 0, overflowing when rounded up, or of more than
 * UINT_MAX granules, which genpool_algo_t's @nr cannot express; bad data
 * for a built-in algorithm) or ENOMEM (no room; not reported as an error).
 */
GENPOOL_API unsigned long gen_pool_alloc_algo_owner(struct gen_pool *pool, size_t size,
						    genpool_algo_t algo, void *data, void **owner);
/** gen_pool_alloc_algo - gen_pool_alloc_algo_owner() without owner */
GENPOOL_API unsigned long gen_pool_alloc_algo(struct gen_pool *pool, size_t size,
					      genpool_algo_t algo, void *data);
/** gen_pool_alloc_owner - allocate with the pool's algorithm, returning the owner */
GENPOOL_API unsigned long gen_pool_alloc_owner(struct gen_pool *pool, size_t size, void **owner);
/** gen_pool_alloc - allocate @size bytes with the pool's algorithm */
GENPOOL_API unsigned long gen_pool_alloc(struct gen_pool *pool, size_t size);

/**
 * gen_pool_dma_alloc_algo - allocate and return the physical address too
 * @pool: the pool
 * @size: bytes wanted
 * @dma: if not NULL, receives the physical address of the range
 * @algo: the algorithm
 * @data: its data
 *
 * Returns the address as a pointer, or NULL with errno as gen_pool_alloc().
 */
GENPOOL_API void *gen_pool_dma_alloc_algo(struct gen_pool *pool, size_t size, dma_addr_t *dma,
					  genpool_algo_t algo, void *data);
/** gen_pool_dma_alloc - gen_pool_dma_alloc_algo() with the pool's algorithm */
GENPOOL_API void *gen_pool_dma_alloc(struct gen_pool *pool, size_t size, dma_addr_t *dma);
/** gen_pool_dma_alloc_align - gen_pool_dma_alloc_algo() with first_fit_align at @align bytes */
GENPOOL_API void *gen_pool_dma_alloc_align(struct gen_pool *pool, size_t size, dma_addr_t *dma,
					   int align);
/**
 * gen_pool_dma_zalloc_algo - as gen_pool_dma_alloc_algo(), then zero exactly
 * @size bytes at the returned address (the only call that touches pool memory)
 */
GENPOOL_API void *gen_pool_dma_zalloc_algo(struct gen_pool *pool, size_t size, dma_addr_t *dma,
					   genpool_algo_t algo, void *data);
/** gen_pool_dma_zalloc - zeroing gen_pool_dma_alloc() */
GENPOOL_API void *gen_pool_dma_zalloc(struct gen_pool *pool, size_t size, dma_addr_t *dma);
/** gen_pool_dma_zalloc_align - zeroing gen_pool_dma_alloc_align() */
GENPOOL_API void *gen_pool_dma_zalloc_align(struct gen_pool *pool, size_t size, dma_addr_t *dma,
					    int align);

/**
 * gen_pool_free_owner - return a range to the pool
 * @pool: the pool
 * @addr: the address an allocation returned
 * @size: the size it was allocated with
 * @owner: if not NULL, set to NULL on entry and to the chunk's owner on success
 *
 * Returns 0, or -EINVAL when @addr is in no chunk, not on a granule
 * boundary, the range runs past the chunk end, @size is 0, any granule of
 * the range is already free (double free), or (GEN_POOL_STRICT) @size is not
 * the size of the allocation at @addr. On error the pool is unchanged.
 */
GENPOOL_API int gen_pool_free_owner(struct gen_pool *pool, unsigned long addr, size_t size,
				    void **owner);
/** gen_pool_free - gen_pool_free_owner() without owner */
GENPOOL_API int gen_pool_free(struct gen_pool *pool, unsigned long addr, size_t size);

/* ------------------------------------------------------------------------ */
/* Queries                                                                  */

/**
 * gen_pool_for_each_chunk - call @func for each chunk, newest first
 *
 * @func runs inside an RCU read-side section: it may allocate and free, and
 * read the chunk with gen_pool_chunk_*(), but must not destroy the pool.
 */
GENPOOL_API void gen_pool_for_each_chunk(struct gen_pool *pool,
					 void (*func)(struct gen_pool *pool,
						      struct gen_pool_chunk *chunk, void *data),
					 void *data);
/** gen_pool_has_addr - true when [start, start + size) lies inside one chunk */
GENPOOL_API bool gen_pool_has_addr(struct gen_pool *pool, unsigned long start, size_t size);
/** gen_pool_virt_to_phys - physical address of @addr, or (phys_addr_t)-1 if in no chunk */
GENPOOL_API phys_addr_t gen_pool_virt_to_phys(struct gen_pool *pool, unsigned long addr);
/** gen_pool_avail - free bytes in the pool (exact when the pool is quiescent) */
GENPOOL_API size_t gen_pool_avail(struct gen_pool *pool);
/** gen_pool_size - total bytes of whole granules in the pool */
GENPOOL_API size_t gen_pool_size(struct gen_pool *pool);

/**
 * gen_pool_set_algo - set the pool's default algorithm
 * @algo: the algorithm, NULL restores gen_pool_first_fit
 * @data: its data
 *
 * @algo and @data are published together: no allocation sees one without the
 * other. Invalid data for a built-in algorithm is refused (reported, and the
 * previous algorithm stays).
 */
GENPOOL_API void gen_pool_set_algo(struct gen_pool *pool, genpool_algo_t algo, void *data);

/* Built-in algorithms (genpool_algo_t). */
GENPOOL_API unsigned long gen_pool_first_fit(unsigned long *map, unsigned long size,
					     unsigned long start, unsigned int nr, void *data,
					     struct gen_pool *pool, unsigned long start_addr);
GENPOOL_API unsigned long gen_pool_first_fit_align(unsigned long *map, unsigned long size,
						   unsigned long start, unsigned int nr,
						   void *data, struct gen_pool *pool,
						   unsigned long start_addr);
GENPOOL_API unsigned long gen_pool_fixed_alloc(unsigned long *map, unsigned long size,
					       unsigned long start, unsigned int nr, void *data,
					       struct gen_pool *pool, unsigned long start_addr);
GENPOOL_API unsigned long gen_pool_first_fit_order_align(unsigned long *map, unsigned long size,
							 unsigned long start, unsigned int nr,
							 void *data, struct gen_pool *pool,
							 unsigned long start_addr);
GENPOOL_API unsigned long gen_pool_best_fit(unsigned long *map, unsigned long size,
					    unsigned long start, unsigned int nr, void *data,
					    struct gen_pool *pool, unsigned long start_addr);
/**
 * gen_pool_scalable_fit - first fit from the calling thread's own region
 *
 * Each thread starts its search at its own slot of the chunk, so threads
 * that allocate at once claim different cache lines; the search wraps
 * around to the chunk start before giving up, so it fails only where
 * first fit would fail too. Called with a map that is not a pool chunk's
 * (a custom algorithm passing its own bitmap), it is plain first fit.
 */
GENPOOL_API unsigned long gen_pool_scalable_fit(unsigned long *map, unsigned long size,
						unsigned long start, unsigned int nr, void *data,
						struct gen_pool *pool, unsigned long start_addr);

/* Chunk accessors, for gen_pool_for_each_chunk() callbacks. */
GENPOOL_API unsigned long gen_pool_chunk_start(const struct gen_pool_chunk *chunk);
/** gen_pool_chunk_end - last byte of the chunk's last whole granule (inclusive) */
GENPOOL_API unsigned long gen_pool_chunk_end(const struct gen_pool_chunk *chunk);
GENPOOL_API phys_addr_t gen_pool_chunk_phys(const struct gen_pool_chunk *chunk);
GENPOOL_API void *gen_pool_chunk_owner(const struct gen_pool_chunk *chunk);

/* ------------------------------------------------------------------------ */
/* Thread caches (GEN_POOL_THREAD_CACHE pools)                              */

/**
 * gen_pool_cache_configure - set a cache pool's size classes and magazine size
 * @pool: a pool created with GEN_POOL_THREAD_CACHE
 * @max_granules: requests of 1..@max_granules granules are cached (1..64)
 * @rounds: ranges per magazine (1..256)
 *
 * Only before the pool's first cached allocation or free. Each thread may hold up
 * to 2 magazines per class, so the space a thread's cache can strand is at
 * most 2 x @rounds x (1 + 2 + ... + @max_granules) granules.
 * Returns 0, -EINVAL (not a cache pool, or a value out of range) or
 * -EBUSY (a cache is already in use).
 */
GENPOOL_API int gen_pool_cache_configure(struct gen_pool *pool, unsigned int max_granules,
					 unsigned int rounds);

/**
 * gen_pool_cache_flush - return cached ranges to the pool's bitmaps
 * @pool: the pool; a pool without caches is a no-op
 *
 * Returns the calling thread's cache and the depot at once; every other
 * thread's cache is returned at that thread's next call on @pool or at its
 * exit (a thread's cache is touched only by its thread, without atomics).
 * gen_pool_destroy returns all caches first.
 */
GENPOOL_API void gen_pool_cache_flush(struct gen_pool *pool);

/* ------------------------------------------------------------------------ */
/* Error reporting                                                          */

/**
 * gen_pool_set_error_handler - set the process-wide handler for refused calls
 * @handler: called once per refused call with the (positive) errno, a
 *           one-line message and @arg; NULL removes the handler
 * @arg: passed to @handler
 *
 * With no handler, nothing is printed unless GENPOOL_DEBUG=1 is set in the
 * environment, which prints one line per refused call to stderr. The
 * handler may be called from any thread, and must not call genpool.
 */
GENPOOL_API void gen_pool_set_error_handler(void (*handler)(int err, const char *msg, void *arg),
					    void *arg);

/* ------------------------------------------------------------------------ */
/* Managed pools (devm_gen_pool_create / gen_pool_get / of_gen_pool_get)    */

struct gen_pool_owner; /* opaque: the userspace stand-in for a struct device */

/**
 * gen_pool_owner_create - create a named owner that pools can be attached to
 * @name: unique among live owners, non-empty, without '/'
 *
 * Returns the owner, or NULL with errno EINVAL (bad name), EEXIST (name in
 * use) or ENOMEM.
 */
GENPOOL_API struct gen_pool_owner *gen_pool_owner_create(const char *name);

/**
 * gen_pool_owner_destroy - destroy an owner and every pool attached to it
 *
 * Returns 0 (NULL is a no-op), or -EBUSY when any of its pools has
 * allocations outstanding: then nothing is destroyed. Must not race with
 * other calls on the owner's pools.
 */
GENPOOL_API int gen_pool_owner_destroy(struct gen_pool_owner *owner);

/**
 * gen_pool_create_managed - create a pool attached to @owner (devm_gen_pool_create)
 * @owner: the owner
 * @min_alloc_order: as gen_pool_create()
 * @nid: as gen_pool_create()
 * @name: the pool's name, unique within @owner, without '/'; NULL for the
 *        owner's single unnamed pool
 *
 * Returns the pool, or NULL with errno EINVAL, EEXIST (name taken) or ENOMEM.
 * gen_pool_destroy() on it also detaches it from @owner.
 */
GENPOOL_API struct gen_pool *gen_pool_create_managed(struct gen_pool_owner *owner,
						     int min_alloc_order, int nid,
						     const char *name);

/** gen_pool_get - the pool named @name (NULL: the unnamed one) of @owner, or NULL */
GENPOOL_API struct gen_pool *gen_pool_get(struct gen_pool_owner *owner, const char *name);

/**
 * gen_pool_get_path - look a pool up by "owner/pool" (of_gen_pool_get)
 *
 * "owner" alone names the owner's unnamed pool. Returns NULL with errno
 * ENOENT when no such pool exists, EINVAL for a malformed path.
 */
GENPOOL_API struct gen_pool *gen_pool_get_path(const char *path);

/** gen_pool_name - the pool's name, or NULL for an unmanaged or unnamed pool */
GENPOOL_API const char *gen_pool_name(const struct gen_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* GENPOOL_H */
