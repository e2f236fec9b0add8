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
#include <stdio.h>

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
/**
 * gen_pool_alloc_owner - allocate with the pool's algorithm, returning the owner
 *
 * The pool's algorithm and data (gen_pool_set_algo()) are read at each
 * call; while that data is invalid for a built-in algorithm the call fails
 * with EINVAL. Otherwise as gen_pool_alloc_algo_owner().
 */
GENPOOL_API unsigned long gen_pool_alloc_owner(struct gen_pool *pool, size_t size, void **owner);
/** gen_pool_alloc - gen_pool_alloc_owner() without owner */
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
/** gen_pool_dma_alloc - gen_pool_dma_alloc_algo() with the pool's algorithm, as gen_pool_alloc() */
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
/** gen_pool_dma_zalloc - zeroing gen_pool_dma_alloc(); nothing is written when it fails */
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
/**
 * gen_pool_has_addr - true when [start, start + size) lies inside one chunk
 *
 * As the kernel's: @start inside a chunk and start + size - 1 not past its
 * end. So for @size 0 it is true exactly when @start is inside a chunk (the
 * kernel's end, start - 1, is below the chunk end). Unlike the kernel, a
 * range that wraps the address space is false (the kernel's end would wrap
 * below the chunk end too); address 0 is in no chunk.
 */
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
 * other. They are installed exactly as given, as in the kernel. @data is
 * read again at every allocation through the pool's algorithm
 * (gen_pool_alloc(), gen_pool_alloc_owner(), gen_pool_dma_alloc(),
 * gen_pool_dma_zalloc()): while it is invalid for a built-in algorithm
 * (gen_pool_first_fit_align without data or with an align that is not a
 * power of two > 0; gen_pool_fixed_alloc without data or with an offset
 * that is not a multiple of the granule) those fail with EINVAL, reported;
 * a thread cache never serves them. Invalid data is also reported here.
 * A caller that corrects the struct afterwards (ordered before the
 * allocations that should see it) gets the placement it asks for. Out of
 * memory for the pair: reported with ENOMEM, the previous algorithm stays.
 */
GENPOOL_API void gen_pool_set_algo(struct gen_pool *pool, genpool_algo_t algo, void *data);

/* Built-in algorithms (genpool_algo_t). */
/** gen_pool_first_fit - the lowest free run of @nr granules (the default algorithm) */
GENPOOL_API unsigned long gen_pool_first_fit(unsigned long *map, unsigned long size,
					     unsigned long start, unsigned int nr, void *data,
					     struct gen_pool *pool, unsigned long start_addr);
/**
 * gen_pool_first_fit_align - the lowest free run whose address is aligned
 * to the struct genpool_data_align given as @data (bytes, a power of 2)
 */
GENPOOL_API unsigned long gen_pool_first_fit_align(unsigned long *map, unsigned long size,
						   unsigned long start, unsigned int nr,
						   void *data, struct gen_pool *pool,
						   unsigned long start_addr);
/**
 * gen_pool_fixed_alloc - the run at the offset in bytes from the chunk start
 * given by the struct genpool_data_fixed in @data, if all of it is free
 */
GENPOOL_API unsigned long gen_pool_fixed_alloc(unsigned long *map, unsigned long size,
					       unsigned long start, unsigned int nr, void *data,
					       struct gen_pool *pool, unsigned long start_addr);
/**
 * gen_pool_first_fit_order_align - the lowest free run aligned, relative to
 * the chunk start, to @nr rounded up to a power of two granules
 */
GENPOOL_API unsigned long gen_pool_first_fit_order_align(unsigned long *map, unsigned long size,
							 unsigned long start, unsigned int nr,
							 void *data, struct gen_pool *pool,
							 unsigned long start_addr);
/** gen_pool_best_fit - the smallest free hole that fits @nr granules (ties: the lowest) */
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
/** gen_pool_chunk_start - first byte of the chunk (0 for NULL) */
GENPOOL_API unsigned long gen_pool_chunk_start(const struct gen_pool_chunk *chunk);
/** gen_pool_chunk_end - last byte of the chunk's last whole granule (inclusive) */
GENPOOL_API unsigned long gen_pool_chunk_end(const struct gen_pool_chunk *chunk);
/** gen_pool_chunk_phys - physical address the chunk was added with ((phys_addr_t)-1 for NULL) */
GENPOOL_API phys_addr_t gen_pool_chunk_phys(const struct gen_pool_chunk *chunk);
/** gen_pool_chunk_owner - the owner pointer the chunk was added with (NULL for NULL) */
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

/* ------------------------------------------------------------------------ */
/* Chunk lifecycle: removal, backing-memory sources, constrained allocation */

/**
 * gen_pool_remove_chunk - take a chunk out of a live pool
 * @pool: the pool
 * @start: the chunk's start address, as gen_pool_chunk_start() gives it
 *
 * Safe concurrently with every allocation and free of @pool. The chunk is
 * first closed (every granule claimed for the remover, so no allocation can
 * land in it), then unlinked; its metadata is freed after an RCU grace
 * period, which the call waits for. Returns 0: from then on no call hands
 * out or accepts an address in the chunk, gen_pool_size()/avail() no longer
 * count it, and the caller may unmap its memory at once (a chunk imported
 * from a source goes back to the source). -EINVAL: no chunk of @pool starts
 * at @start (or @pool is NULL); -EBUSY: a granule of it is allocated
 * (ranges held in other threads' caches count; the caller's own cache and
 * the depot are returned first), nothing changed; -EDEADLK: called inside a
 * gen_pool_for_each_chunk() callback (or any RCU read-side section), which
 * the grace period would wait for; -ENOMEM: no memory for the new chunk
 * index, nothing changed.
 */
GENPOOL_API int gen_pool_remove_chunk(struct gen_pool *pool, unsigned long start);

struct gen_pool_source; /* opaque: where a pool imports memory from */

/**
 * struct gen_pool_source_ops - a custom backing-memory source
 * @import: provide at least @size bytes: set *@addr and *@phys
 *          ((phys_addr_t)-1 if none) and return the size provided, or 0
 *          with errno set
 * @release: take back, whole, a range that @import provided
 */
struct gen_pool_source_ops {
	size_t (*import)(void *arg, size_t size, unsigned long *addr, phys_addr_t *phys);
	void (*release)(void *arg, unsigned long addr, size_t size);
};

/** gen_pool_source_custom - a source calling @ops with @arg (import and release required) */
GENPOOL_API struct gen_pool_source *gen_pool_source_custom(const struct gen_pool_source_ops *ops,
							   void *arg);
/** GEN_POOL_SRC_HUGETLB - MAP_HUGETLB; an import fails with ENOMEM when no huge page is free */
#define GEN_POOL_SRC_HUGETLB 0x1u
/** GEN_POOL_SRC_SHARED - MAP_SHARED (inherited across fork) */
#define GEN_POOL_SRC_SHARED 0x2u
/** GEN_POOL_SRC_POPULATE - MAP_POPULATE: pages are faulted in at import */
#define GEN_POOL_SRC_POPULATE 0x4u
/**
 * gen_pool_source_anon - anonymous mmap'ed memory, munmap'ed at release
 * @flags: GEN_POOL_SRC_HUGETLB, GEN_POOL_SRC_SHARED, GEN_POOL_SRC_POPULATE
 *
 * HUGETLB imports are whole huge pages. NULL with EINVAL for unknown flags.
 */
GENPOOL_API struct gen_pool_source *gen_pool_source_anon(unsigned int flags);
/**
 * gen_pool_source_memfd - one memfd that grows by ftruncate, mapped MAP_SHARED
 * @name: the memfd's name (memfd_create)
 * @flags: of the GEN_POOL_SRC_ flags HUGETLB applies (an import fails with
 *         ENOMEM when no huge page is free)
 *
 * Each import maps the next part of the file; a release unmaps it and punches
 * the hole. Another process given gen_pool_source_fd() maps the same memory:
 * a pool address A is file offset A - (the import's base) + its offset, which
 * gen_pool_virt_to_phys() returns (phys of a memfd chunk = file offset).
 * NULL with the errno of memfd_create, or EINVAL for a NULL name or bad flags.
 */
GENPOOL_API struct gen_pool_source *gen_pool_source_memfd(const char *name, unsigned int flags);
/** gen_pool_source_fd - the fd of a memfd source; -EINVAL for any other source or NULL */
GENPOOL_API int gen_pool_source_fd(const struct gen_pool_source *src);
/**
 * gen_pool_source_pool - import from another pool (vmem's arena hierarchy)
 * @parent: the pool imported from, with gen_pool_alloc and gen_pool_free
 *
 * phys of an imported span is gen_pool_virt_to_phys(@parent, addr).
 */
GENPOOL_API struct gen_pool_source *gen_pool_source_pool(struct gen_pool *parent);
/** gen_pool_source_destroy - free a source; -EBUSY while a pool uses it, -EINVAL for NULL */
GENPOOL_API int gen_pool_source_destroy(struct gen_pool_source *src);
/**
 * gen_pool_set_source - let @pool grow from @src on demand
 * @pool: the pool
 * @src: the source, or NULL to detach (imported chunks stay, and still go
 *       back to their source at shrink, removal or destroy)
 * @quantum: the least import, bytes; 0 means 2 MiB
 *
 * An allocation that would fail with ENOMEM imports max(@quantum, request)
 * rounded up to whole granules, adds it as the newest chunk and retries
 * once; one import at a time per pool (threads failing meanwhile wait for
 * it and retry before importing again). Returns 0, or -EINVAL (NULL pool, a
 * @quantum that overflows when rounded up to granules, a pool source whose
 * chain of parents contains @pool).
 */
GENPOOL_API int gen_pool_set_source(struct gen_pool *pool, struct gen_pool_source *src,
				    size_t quantum);
/**
 * gen_pool_shrink - give every wholly free imported chunk back to its source
 *
 * Returns the bytes import had provided for the chunks released; 0 (and a
 * report) for a NULL pool. Chunks added with gen_pool_add*() are never
 * released.
 */
GENPOOL_API size_t gen_pool_shrink(struct gen_pool *pool);

/**
 * struct genpool_constraints - where gen_pool_xalloc() may place a range
 * @align: 0 (the granule) or a power of two: (addr - @phase) % @align == 0
 * @phase: < @align; 0 when @align is 0
 * @nocross: 0 or a power of two: [addr, addr + len) crosses no multiple of it
 * @minaddr: addr >= @minaddr
 * @maxaddr: addr + len <= @maxaddr; 0 means no limit
 */
struct genpool_constraints {
	unsigned long align;
	unsigned long phase;
	unsigned long nocross;
	unsigned long minaddr;
	unsigned long maxaddr;
};

/**
 * gen_pool_xalloc - allocate under constraints (vmem_xalloc); free with gen_pool_free
 * @pool: the pool
 * @size: bytes; len = @size rounded up to whole granules
 * @c: the constraints
 *
 * Returns the lowest satisfying address in the first chunk (newest first)
 * that has one, or 0 with errno EINVAL when no address could ever satisfy
 * @c (@phase >= @align, @align or @nocross not a power of two, @nocross <
 * len, an empty [@minaddr, @maxaddr)), for @size 0 and a NULL @c or pool;
 * ENOMEM when no free range does (after an import, if the pool has a source).
 */
GENPOOL_API unsigned long gen_pool_xalloc(struct gen_pool *pool, size_t size,
					  const struct genpool_constraints *c);

/* Layers over the pool (api.md section 3): LDD3's primitives               */

/**
 * gen_pool_alloc_pages - allocate 2^@order granules aligned to their size
 * @pool: the pool
 * @order: log2 of the number of granules (__get_free_pages' order)
 *
 * Returns the lowest address aligned to (granule << @order) at which
 * 2^@order free granules start, in the first chunk (newest first) that has
 * one; 0 with errno ENOMEM when none has. A NULL @pool, or an @order whose
 * size overflows or exceeds UINT_MAX granules: 0 with errno EINVAL.
 * Concurrency: as gen_pool_alloc (lock-free).
 */
GENPOOL_API unsigned long gen_pool_alloc_pages(struct gen_pool *pool, unsigned int order);

/**
 * gen_pool_free_pages - free what gen_pool_alloc_pages(@pool, @order) returned
 *
 * gen_pool_free(@pool, @addr, granule << @order) with its refusals (so a
 * strict or cache pool refuses a wrong @order): 0 or -EINVAL.
 */
GENPOOL_API int gen_pool_free_pages(struct gen_pool *pool, unsigned long addr, unsigned int order);

/** struct gen_pool_objcache - a cache of equal objects in a pool (kmem_cache); opaque */
struct gen_pool_objcache;

/* gen_pool_objcache_create flag: align objects to max(align, 64) bytes */
#define GEN_POOL_OBJ_HWCACHE_ALIGN 0x1u

/**
 * gen_pool_objcache_create - a cache of objects of @size bytes (kmem_cache_create)
 * @pool: the pool the slabs come from
 * @name: a name for reports, copied; may be NULL
 * @size: object size in bytes, > 0
 * @align: 0 (the granule) or a power of two
 * @flags: 0 or GEN_POOL_OBJ_HWCACHE_ALIGN
 * @ctor: NULL, or called once per object with its address and @arg when its
 *        slab is created, before the object is first returned
 * @arg: passed to @ctor
 *
 * Objects are carved from slabs, each one range allocated from @pool; an
 * object never straddles a slab. The cache's bookkeeping lives in the heap
 * and never touches the pool's memory (only @ctor does). Returns the cache,
 * or NULL with errno EINVAL (NULL pool, size 0, a bad align, unknown flags)
 * or ENOMEM.
 */
GENPOOL_API struct gen_pool_objcache *gen_pool_objcache_create(
	struct gen_pool *pool, const char *name, size_t size, size_t align, unsigned int flags,
	void (*ctor)(unsigned long obj, void *arg), void *arg);

/**
 * gen_pool_objcache_alloc - an object of @cache (kmem_cache_alloc)
 *
 * Lock-free; served from the calling thread's magazine when it can be.
 * Returns the object's address, or 0 with errno ENOMEM (the pool has no
 * room for another slab) or EINVAL (NULL cache).
 */
GENPOOL_API unsigned long gen_pool_objcache_alloc(struct gen_pool_objcache *cache);

/**
 * gen_pool_objcache_free - give an object back (kmem_cache_free)
 *
 * Lock-free. 0, or -EINVAL when @obj is not an object of @cache or is not
 * live (a double free): nothing changed. Of two racing frees of one object
 * exactly one succeeds.
 */
GENPOOL_API int gen_pool_objcache_free(struct gen_pool_objcache *cache, unsigned long obj);

/**
 * gen_pool_objcache_shrink - give every slab with no live object back to the pool
 *
 * Returns the bytes given back (gen_pool_avail grows by them). Objects in
 * the calling thread's magazines and in the depot are returned to their
 * slabs first; other threads return theirs at their next call on @cache, so
 * their slabs are given back by a later shrink. Safe concurrently with
 * alloc and free. NULL cache: reported, 0.
 */
GENPOOL_API size_t gen_pool_objcache_shrink(struct gen_pool_objcache *cache);

/**
 * gen_pool_objcache_destroy - free @cache (kmem_cache_destroy)
 *
 * -EBUSY while objects are live (nothing changed); else every slab goes back
 * to the pool and 0 is returned. Not concurrent with other calls on @cache.
 * NULL: -EINVAL.
 */
GENPOOL_API int gen_pool_objcache_destroy(struct gen_pool_objcache *cache);

/** struct gen_pool_reserve - min_nr elements held back for forward progress (mempool); opaque */
struct gen_pool_reserve;

/**
 * gen_pool_reserve_create - a reserve of @min_nr elements of @size bytes (mempool_create)
 *
 * Allocates the @min_nr elements from @pool at once. NULL with errno EINVAL
 * (NULL pool, size 0, min_nr 0) or ENOMEM (the pool cannot supply them now).
 */
GENPOOL_API struct gen_pool_reserve *gen_pool_reserve_create(struct gen_pool *pool, size_t size,
							     unsigned int min_nr);

/**
 * gen_pool_reserve_alloc - an element (mempool_alloc)
 * @timeout_ms: 0 never waits; -1 waits for ever; > 0 waits at least that
 *              long; other negative values are refused (EINVAL)
 *
 * Tries the pool, then the reserve, then waits for a gen_pool_reserve_free
 * (asleep, on a Concurrency Kit event count; never spinning) and tries
 * again. Returns the element, or 0 with errno ENOMEM (no wait asked),
 * ETIMEDOUT or EINVAL.
 */
GENPOOL_API unsigned long gen_pool_reserve_alloc(struct gen_pool_reserve *r, int timeout_ms);

/**
 * gen_pool_reserve_free - give an element back (mempool_free)
 *
 * Refills the reserve while it holds fewer than min_nr elements, else frees
 * to the pool; wakes the waiters. -EINVAL for an address that is not out of
 * this reserve (nothing changed).
 */
GENPOOL_API int gen_pool_reserve_free(struct gen_pool_reserve *r, unsigned long addr);

/**
 * gen_pool_reserve_resize - set min_nr at once (mempool_resize)
 *
 * Growing allocates the missing elements from the pool (-ENOMEM and nothing
 * changed when it cannot); shrinking frees the surplus to the pool. min_nr 0
 * or a NULL reserve: -EINVAL.
 */
GENPOOL_API int gen_pool_reserve_resize(struct gen_pool_reserve *r, unsigned int min_nr);

/**
 * gen_pool_reserve_destroy - free @r (mempool_destroy)
 *
 * -EBUSY while elements are out (nothing changed); else the reserve's
 * elements go back to the pool. Not concurrent with other calls on @r.
 * NULL: -EINVAL.
 */
GENPOOL_API int gen_pool_reserve_destroy(struct gen_pool_reserve *r);

/* Statistics                                                               */

/**
 * struct gen_pool_stats - what gen_pool_get_stats() reports
 * @size: bytes in all chunks (whole granules), as gen_pool_size()
 * @avail: free bytes, cached ranges included, as gen_pool_avail()
 * @cached: bytes held in thread caches and the depot (GEN_POOL_THREAD_CACHE)
 * @largest_free: the longest free run of any chunk, in bytes; ranges in
 *                thread caches count as allocated here
 * @high_water: the most bytes (whole granules) allocated at once since
 *              create or since gen_pool_reset_high_water(), which sets it
 *              to the bytes allocated then; in GEN_POOL_THREAD_CACHE pools
 *              ranges held in thread caches count as allocated here (it is
 *              the peak of the bitmaps' use, as @largest_free sees them)
 * @chunks: number of chunks
 * @allocs: successful calls of the alloc entry points (gen_pool_alloc*,
 *          gen_pool_dma_*alloc*)
 * @frees: successful calls of gen_pool_free and gen_pool_free_owner
 * @failed: allocations that failed with ENOMEM
 * @refused: refused calls on this pool (bad input, reported to the error
 *           handler); a refused call changes nothing but this count
 * @imports: chunks imported from a backing-memory source
 * @releases: imported chunks given back to their source
 *
 * Exact whenever the pool is quiescent (no call in flight). While threads
 * race: the counters and @avail lag by the calls in flight (each is a sum
 * over per-thread shards read one after another); @largest_free is a scan
 * of bitmaps that may change under it; @high_water is never below the
 * allocated bytes of any quiescent moment since create or the last reset,
 * and can exceed the true peak by what calls racing with each other moved
 * (under sustained concurrent churn it can drift upward; it is capped at
 * @size, and a reset starts again from the exact value). In a program whose
 * calls do not overlap it is the exact peak, also when one thread frees
 * what another allocated.
 */
struct gen_pool_stats {
	size_t size, avail;
	size_t cached;
	size_t largest_free;
	size_t high_water;
	unsigned long chunks;
	unsigned long long allocs, frees;
	unsigned long long failed, refused;
	unsigned long long imports, releases;
};

/**
 * gen_pool_get_stats - read a pool's statistics
 * @pool: the pool
 * @st: where to write them
 * @st_size: sizeof(*st) as the caller was compiled (later versions may add
 *           fields at the end)
 *
 * Writes exactly min(@st_size, sizeof(struct gen_pool_stats)) bytes. Cheap
 * enough to leave on: counting adds no shared write to alloc and free (see
 * struct gen_pool_stats for how each field behaves under concurrency).
 * Reading sums the per-thread shards, scans each chunk's bitmap for
 * @largest_free, and in cache pools takes the cache registry mutex; it
 * may wait for a high-water rebalance another thread is in (alloc and free
 * never wait for one).
 *
 * Returns 0, or -EINVAL (reported) for a NULL @pool, a NULL @st or an
 * @st_size of 0.
 */
GENPOOL_API int gen_pool_get_stats(struct gen_pool *pool, struct gen_pool_stats *st,
				   size_t st_size);

/**
 * gen_pool_reset_high_water - start a new high-water period
 * @pool: the pool
 *
 * Sets high_water to the bytes allocated now. A NULL @pool is reported
 * and nothing happens.
 */
GENPOOL_API void gen_pool_reset_high_water(struct gen_pool *pool);

/**
 * gen_pool_dump_stats - write a pool's statistics as JSON lines
 * @pool: the pool
 * @out: an open stream
 *
 * Writes one JSON object per line: first the pool ("type":"pool", its
 * "name" if it is a named managed pool, "min_alloc_order", then every
 * field of struct gen_pool_stats under its own name), then one line per
 * chunk, newest first ("type":"chunk", "start", "end" (last byte),
 * "phys", "size", "free" (bytes whose bitmap bits are clear; cached
 * ranges count as allocated), "largest_free"). Numbers are decimal.
 *
 * Returns 0, -EINVAL (reported) for a NULL @pool or @out, or the -errno
 * of a failed write (-EIO if the stream does not say).
 */
GENPOOL_API int gen_pool_dump_stats(struct gen_pool *pool, FILE *out);

/* ------------------------------------------------------------------------ */
/* Event log                                                                */

/**
 * gen_pool_log_start - record a pool's events in a file
 * @pool: the pool
 * @path: the file to create (an existing file is truncated)
 *
 * Writes the trace format of docs/trace-format.md (source 1, a pool's log):
 * a header, an ADD record for each chunk the pool has now, then one
 * 48-byte record per add, alloc (size asked, algorithm, result) and free
 * (size, result), from any thread. Ranges allocated before the log started
 * are not recorded. Each thread appends to its own buffer, so logging
 * does not serialise threads; buffers are written when full, at
 * gen_pool_log_stop() or gen_pool_destroy(), and at their thread's exit. A
 * log cut off by a crash is readable up to its last whole record.
 *
 * GENPOOL_LOG=<prefix> in the environment starts a log for every pool at
 * creation, in <prefix>.<pid>.<n> (n counts the process's pools from 1); a
 * file that cannot be created is reported on stderr and the pool is
 * created without a log.
 *
 * Returns 0; -EINVAL (reported) for a NULL @pool or @path; -EBUSY if the
 * pool logs already; -ENOMEM; or the -errno of a path that cannot be
 * created or written (then no file is left).
 */
GENPOOL_API int gen_pool_log_start(struct gen_pool *pool, const char *path);

/**
 * gen_pool_log_stop - stop a pool's event log
 * @pool: the pool
 *
 * Waits until no thread is writing a record, writes out every thread's
 * buffer and closes the file. Safe while other threads allocate and free.
 *
 * Returns 0; -EINVAL (reported) for a NULL @pool or a pool that does not
 * log; -EIO when the log is stopped but some records could not be written;
 * -EDEADLK, nothing done, when called inside a gen_pool_for_each_chunk()
 * callback (a grace period cannot end there).
 */
GENPOOL_API int gen_pool_log_stop(struct gen_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* GENPOOL_H */
