/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * internal.h - private structures of genpool and the prototypes shared
 * between its files, grouped by the file that defines them.
 *
 * Naming: gp_<module>_<verb>. Suffix contracts: _rcu = caller is inside an
 * RCU read-side section; _locked = caller holds pool->lock; _ll = lock-free,
 * may fail with -EBUSY.
 */
#ifndef GP_INTERNAL_H
#define GP_INTERNAL_H

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "atomic.h"
#include "genpool.h"
#include "slots.h"
#include "lifecycle.h"
#include "obs.h"
#include "lock.h"
#include "summary.h"

#define GP_HIDDEN __attribute__((visibility("hidden")))

/* Internal invariant violated: abort with file:function:line. */
#define GP_BUG_ON(cond)                                                                     \
	do {                                                                                \
		if (__builtin_expect(!!(cond), 0))                                          \
			gp_bug(__FILE__, __func__, __LINE__, #cond);                        \
	} while (0)

#define GP_KNOWN_FLAGS (GEN_POOL_SPINLOCK | GEN_POOL_STRICT | GEN_POOL_THREAD_CACHE | \
			GEN_POOL_LOCK_TICKET | GEN_POOL_LOCK_MCS)
/* The lock baselines: alloc/free under the pool lock (lock.c), plain bit ops. */
#define GP_LOCK_FLAGS (GEN_POOL_SPINLOCK | GEN_POOL_LOCK_TICKET | GEN_POOL_LOCK_MCS)
/* Pools that keep the starts[] and ends[] boundary maps. */
#define GP_BOUNDARY_FLAGS (GEN_POOL_STRICT | GEN_POOL_THREAD_CACHE)

#define GP_CACHELINE 64
#define GP_ALIGNED_LINE __attribute__((aligned(GP_CACHELINE)))

/*
 * A chunk: one contiguous range of managed addresses and its bitmaps.
 * Immutable after publication except the bitmaps. Bitmaps live in the same
 * allocation, after the struct: bits[] (the truth), then for boundary pools
 * (GEN_POOL_STRICT, GEN_POOL_THREAD_CACHE) starts[] and ends[] (first / last
 * granule of each live allocation), then the summary levels of bits[].
 */
struct gen_pool_chunk {
	struct gen_pool_chunk *next; /* older chunk; set before publication */
	unsigned long start_addr;    /* first byte */
	unsigned long end_addr;      /* last byte of the last whole granule */
	phys_addr_t phys_addr;
	void *owner;
	unsigned long nbits;   /* granules */
	unsigned long *starts; /* boundary pools only, else NULL */
	unsigned long *ends;
	size_t meta_size; /* bytes of this allocation, for gp_meta_free */
	int meta_nid;     /* node it was placed on, -1 for the heap */
	struct gp_summary sum; /* over bits[] */
	unsigned long slot;    /* its slot in the pool-level summary (slots.h) */
	struct gp_chunk_import import;   /* the source range it came from, if any */
	struct gen_pool_chunk *gone_next; /* removed, awaiting its grace period */
	/* on a line of its own: the fields above are read by every thread,
	 * the first bitmap words written by the thread whose slot starts there */
	unsigned long bits[] GP_ALIGNED_LINE;
};

/*
 * An object replaced under RCU, awaiting a grace period before it is freed.
 * It is the first member of every object that can be retired, so freeing it
 * frees the object (both are heap metadata, freed with free()).
 */
struct gp_retired {
	struct gp_retired *next;
};

/* The default algorithm and its data, published together as one pointer. */
struct gp_algo_pair {
	struct gp_retired retired; /* first: see struct gp_retired */
	genpool_algo_t algo;
	void *data;
};

/*
 * The chunks sorted by address, for lookups by address; RCU-published. The
 * bounds sit in the array itself, so a lookup reads one contiguous array
 * and touches the chunk only once it has found it.
 */
struct gp_index_entry {
	unsigned long start, end; /* the chunk's first and last byte */
	struct gen_pool_chunk *chunk;
};
struct gp_chunk_index {
	struct gp_retired retired; /* first: see struct gp_retired */
	unsigned long n;
	/*
	 * Buckets over [base, the last chunk's end], 1 << shift bytes each:
	 * the chunks that reach into bucket b are e[lo[b]] .. e[lo[b + 1]]
	 * (chunk_index.c). NULL for a few chunks, where the search is short.
	 */
	const uint32_t *lo;
	unsigned long base;
	unsigned int shift, nb;
	struct gp_index_entry e[];
};

/*
 * Granules claimed in the bitmaps, counted per thread slot so that no two
 * threads update the same line; gen_pool_avail sums them. A shard may go
 * negative (a range freed by another thread than its allocator).
 */
#define GP_NSHARDS 32
struct gp_shard {
	long claimed;
	struct gp_stat_shard st; /* statistics (obs.h, stats.c) */
} GP_ALIGNED_LINE;

struct gen_pool {
	struct gp_lock lock;           /* chunk list changes; alloc/free in GP_LOCK_FLAGS pools */
	struct gen_pool_chunk *chunks; /* newest first; RCU-published */
	struct gp_chunk_index *index;  /* RCU-published; NULL until the first add */
	struct gp_algo_pair *algo;     /* RCU-published; never NULL */
	struct gp_retired *retired;    /* replaced pairs and indexes; under lock */
	struct gp_tcache_pool *tcache; /* GEN_POOL_THREAD_CACHE only (tcache.c) */
	struct gp_slot_dir *slot_dir;  /* pool-level summary (slots.h); RCU-published */
	unsigned long nslots;          /* slots given out; release-published */
	bool cache_default; /* the default algorithm places as first fit may: cache it */
	int min_alloc_order;
	unsigned int flags;
	size_t meta_size;
	int meta_nid;
	/* managed pools (managed.c); under the registry mutex */
	struct gen_pool_owner *mgr_owner;
	struct gen_pool *mgr_next;
	char *name;
	struct gp_life life; /* removal, sources, fork (lifecycle.h) */
	struct gen_pool_chunk *gone; /* removed chunks awaiting a grace period; under lock */
	struct gp_obs obs; /* statistics and event log (obs.h) */
	struct gp_shard shards[GP_NSHARDS];
};

/*
 * thread.c: a small number per thread, for shards and scalable fit's hint.
 * Slots below GP_THREAD_SLOTS_REUSED are held by one live thread at a time
 * and given back at its exit; the threads alive at once hold the lowest.
 */
#define GP_THREAD_SLOTS_REUSED 256U
extern __thread unsigned int gp_tls_slot GP_HIDDEN __attribute__((tls_model("initial-exec")));
unsigned int gp_thread_slot_assign(void) GP_HIDDEN;
/* The calling thread's slot: assigned at its first call, kept until its exit. */
static inline unsigned int gp_thread_slot(void)
{
	unsigned int s = gp_tls_slot;

	return __builtin_expect(s != 0, 1) ? s - 1 : gp_thread_slot_assign();
}

/* algo.c: the granule where scalable fit starts for the thread of @slot */
unsigned long gp_scalable_start(unsigned long size, unsigned int slot) GP_HIDDEN;

/* meta.c: every metadata allocation goes through here */
void *gp_meta_zalloc(size_t size, int nid, int *placed_nid) GP_HIDDEN;
void gp_meta_free(void *p, size_t size, int placed_nid) GP_HIDDEN;
int gp_meta_check_nid(int nid) GP_HIDDEN;
/* Small heap metadata (algorithm pairs, names, owners): freed with free(). */
void *gp_meta_heap_zalloc(size_t size) GP_HIDDEN;
char *gp_meta_strdup(const char *s) GP_HIDDEN;
extern long gp_meta_fail_after GP_HIDDEN; /* tests: fail the n-th allocation */

/* error.c */
void gp_bug(const char *file, const char *func, int line, const char *cond)
	__attribute__((noreturn)) GP_HIDDEN;
int gp_refuse(int err, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) GP_HIDDEN;
/* Report a refused call; returns -err. */
#define GP_REFUSE(err, ...) gp_refuse((err), __func__, __VA_ARGS__)
/* Report a refused call of one returning a pointer: sets errno, returns NULL. */
void *gp_refuse_null(int err, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) GP_HIDDEN;
#define GP_REFUSE_NULL(err, ...) gp_refuse_null((err), __func__, __VA_ARGS__)

/* chunk.c */
struct gen_pool_chunk *gp_chunk_new(const struct gen_pool *pool, unsigned long addr,
				    phys_addr_t phys, unsigned long nbits, int nid,
				    void *owner) GP_HIDDEN;
void gp_chunk_free(struct gen_pool_chunk *chunk) GP_HIDDEN;
/*
 * The only two chunk-list mutations: each updates the list and rebuilds the
 * index (copy on write, the old index retired). -ENOMEM (no index memory):
 * nothing changed. Unpublish leaves chunk->next alone, so a reader standing
 * on the chunk walks on; the caller retires the chunk (gp_pool_retire_chunk_locked).
 */
int gp_chunk_publish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk) GP_HIDDEN;
int gp_chunk_unpublish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk) GP_HIDDEN;
struct gen_pool_chunk *gp_chunk_first_rcu(struct gen_pool *pool) GP_HIDDEN;
struct gen_pool_chunk *gp_chunk_next_rcu(struct gen_pool_chunk *chunk) GP_HIDDEN;
struct gen_pool_chunk *gp_chunk_overlap_locked(struct gen_pool *pool, unsigned long first,
					       unsigned long last) GP_HIDDEN;
unsigned long gp_chunk_alloc_rcu(struct gen_pool *pool, struct gen_pool_chunk *chunk,
				 unsigned long nbits, genpool_algo_t algo, void *data,
				 bool live) GP_HIDDEN;
int gp_chunk_free_rcu(struct gen_pool *pool, struct gen_pool_chunk *chunk, unsigned long bit,
		      unsigned long nbits) GP_HIDDEN;
unsigned long gp_chunk_outstanding(const struct gen_pool *pool,
				   const struct gen_pool_chunk *chunk,
				   unsigned long *ranges) GP_HIDDEN;
/* Longest free run of @chunk in granules (cached ranges count as allocated). */
unsigned long gp_chunk_largest_free_rcu(const struct gen_pool_chunk *chunk) GP_HIDDEN;

/* chunk_index.c */
struct gen_pool_chunk *gp_index_find_rcu(struct gen_pool *pool, unsigned long addr) GP_HIDDEN;
/* A copy of the index with @chunk added, or NULL (no memory). */
struct gp_chunk_index *gp_index_with_locked(struct gen_pool *pool,
					    struct gen_pool_chunk *chunk) GP_HIDDEN;
/* A copy of the index without @chunk, or NULL (no memory). */
struct gp_chunk_index *gp_index_without_locked(struct gen_pool *pool,
					       struct gen_pool_chunk *chunk) GP_HIDDEN;

/* algo.c */
/* Set around each algorithm call on a chunk, so the built-ins find its summary. */
extern __thread const struct gen_pool_chunk *gp_search_chunk GP_HIDDEN
	__attribute__((tls_model("initial-exec")));
/* @map's summary if it is the live bitmap of the chunk being searched, else NULL. */
const struct gp_summary *gp_algo_summary(const unsigned long *map, unsigned long size) GP_HIDDEN;
const char *gp_algo_check(const struct gen_pool *pool, genpool_algo_t algo,
			  const void *data) GP_HIDDEN;

/*
 * An algorithm named by a caller (set_algo, alloc_algo and the dma _algo
 * calls): NULL means first fit, and then the caller's data is ignored.
 */
static inline struct gp_algo_pair gp_algo_named(genpool_algo_t algo, void *data)
{
	return algo ? (struct gp_algo_pair){ .algo = algo, .data = data }
		    : (struct gp_algo_pair){ .algo = gen_pool_first_fit };
}

/* pool.c */
/* gen_pool_create_flags, with its refusals reported as @caller's. */
struct gen_pool *gp_pool_create(int min_alloc_order, int nid, unsigned int flags,
				const char *caller) GP_HIDDEN;
void gp_lock_init(struct gp_lock *l, unsigned int flags) GP_HIDDEN;
void gp_lock_destroy(struct gp_lock *l) GP_HIDDEN;
void gp_pool_lock(struct gen_pool *pool) GP_HIDDEN;
void gp_pool_unlock(struct gen_pool *pool) GP_HIDDEN;
struct gp_algo_pair gp_pool_algo_rcu(struct gen_pool *pool) GP_HIDDEN;
unsigned long gp_pool_granules(const struct gen_pool *pool, size_t size) GP_HIDDEN;
int gp_pool_busy(struct gen_pool *pool, const char *caller) GP_HIDDEN;
/*
 * Granules claimed (negative: released) are counted on the calling thread's
 * shard by gp_stats_account() (stats.h), which also keeps the high water.
 */
/* Replace under the lock: @old goes on the retired list; then, unlocked: */
void gp_pool_retire_locked(struct gen_pool *pool, struct gp_retired *old) GP_HIDDEN;
/* The same for an unpublished chunk (its metadata is freed with gp_chunk_free). */
void gp_pool_retire_chunk_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk) GP_HIDDEN;
/* free what was retired once no reader can hold it (unless inside a reader). */
void gp_pool_reclaim(struct gen_pool *pool) GP_HIDDEN;
void gp_pool_free_all(struct gen_pool *pool) GP_HIDDEN;
/* Check, make and publish a chunk (gen_pool_add_owner and imports); @caller for reports. */
int gp_pool_add_chunk(struct gen_pool *pool, unsigned long addr, phys_addr_t phys, size_t size,
		      int nid, void *owner, const struct gp_chunk_import *imp,
		      const char *caller) GP_HIDDEN;

/*
 * Thread caches (tcache.c). A cached ("parked") range stays claimed in
 * bits[] and keeps its ends[] mark, but its starts[] mark is clear, so a
 * second free of it is refused like any free of a range that is not live.
 */
int gp_tcache_init(struct gen_pool *pool) GP_HIDDEN;        /* at create; -ENOMEM */
void gp_tcache_fini(struct gen_pool *pool) GP_HIDDEN;       /* at destroy, after drain_all */
bool gp_tcache_serves(struct gen_pool *pool, unsigned long nbits) GP_HIDDEN;
unsigned long gp_tcache_alloc(struct gen_pool *pool, unsigned long nbits,
			      struct gen_pool_chunk **chunk) GP_HIDDEN;
int gp_tcache_free(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
		   unsigned long nbits) GP_HIDDEN;
void gp_tcache_flush(struct gen_pool *pool) GP_HIDDEN;     /* own cache and the depot */
void gp_tcache_drain_all(struct gen_pool *pool) GP_HIDDEN; /* every cache; pool idle */
size_t gp_tcache_cached_bytes(struct gen_pool *pool) GP_HIDDEN;
bool gp_tcache_thread_has_caches(void) GP_HIDDEN; /* the calling thread owns a cache */
/* The chunk of this thread's last cached call if it holds @addr, else NULL. */
struct gen_pool_chunk *gp_tcache_chunk_of(struct gen_pool *pool, unsigned long addr) GP_HIDDEN;
/* The hit paths of gen_pool_alloc/gen_pool_free (tcache.c): 0 / false: not a hit */
unsigned long gp_tcache_alloc_hit(struct gen_pool *pool, size_t size) GP_HIDDEN;
bool gp_tcache_free_hit(struct gen_pool *pool, unsigned long addr, size_t size) GP_HIDDEN;

/* What tcache.c uses of the core (chunk.c, alloc.c). */
/* Allocate @nbits with scalable fit, no cache; @live false leaves the start mark clear. */
unsigned long gp_pool_alloc_raw(struct gen_pool *pool, unsigned long nbits, bool live,
				struct gen_pool_chunk **chunk) GP_HIDDEN;
/* The same with @pair's algorithm (xalloc.c): one walk, no cache, no import. */
unsigned long gp_pool_alloc_pair(struct gen_pool *pool, unsigned long nbits,
				 const struct gp_algo_pair *pair, bool live,
				 struct gen_pool_chunk **chunk) GP_HIDDEN;
/* Free into a cache: exactly one live allocation? Then clear its start mark. 0 / -EINVAL. */
int gp_chunk_park(struct gen_pool_chunk *c, unsigned long bit, unsigned long nbits) GP_HIDDEN;
/* A parked range handed out again: set its start mark. */
void gp_chunk_unpark(struct gen_pool_chunk *c, unsigned long bit) GP_HIDDEN;
/* Return a parked range to the bitmap (end mark, bits, accounting). */
void gp_chunk_release_parked(struct gen_pool *pool, struct gen_pool_chunk *c,
			     unsigned long bit, unsigned long nbits) GP_HIDDEN;

/* managed.c */
void gp_managed_detach(struct gen_pool *pool) GP_HIDDEN;

/*
 * Statistics and event log (stats.c, log.c; fast-path hooks in stats.h and
 * log.h). init at create, before the pool is returned; fini at destroy,
 * which stops a log that is still running.
 */
void gp_obs_init(struct gen_pool *pool) GP_HIDDEN;
void gp_obs_fini(struct gen_pool *pool) GP_HIDDEN;
/* A chunk came from (@release false) or went back to its source: count it. */
void gp_pool_count_import(struct gen_pool *pool, bool release) GP_HIDDEN;

#endif /* GP_INTERNAL_H */
