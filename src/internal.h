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
#include <stdlib.h>

#include "genpool.h"

#define GP_HIDDEN __attribute__((visibility("hidden")))

/* Internal invariant violated: abort with file:function:line. */
#define GP_BUG_ON(cond)                                                                     \
	do {                                                                                \
		if (__builtin_expect(!!(cond), 0))                                          \
			gp_bug(__FILE__, __func__, __LINE__, #cond);                        \
	} while (0)

#define GP_KNOWN_FLAGS (GEN_POOL_SPINLOCK | GEN_POOL_STRICT)

/*
 * A chunk: one contiguous range of managed addresses and its bitmaps.
 * Immutable after publication except the bitmaps and @avail. Bitmaps live
 * in the same allocation, after the struct: bits[] (the truth), then for
 * GEN_POOL_STRICT pools starts[] and ends[] (first / last granule of each
 * live allocation).
 */
struct gen_pool_chunk {
	struct gen_pool_chunk *next; /* older chunk; set before publication */
	unsigned long avail;         /* free bytes: a hint, exact at quiescence */
	unsigned long start_addr;    /* first byte */
	unsigned long end_addr;      /* last byte of the last whole granule */
	phys_addr_t phys_addr;
	void *owner;
	unsigned long nbits;   /* granules */
	unsigned long *starts; /* GEN_POOL_STRICT only, else NULL */
	unsigned long *ends;
	size_t meta_size; /* bytes of this allocation, for gp_meta_free */
	int meta_nid;     /* node it was placed on, -1 for the heap */
	unsigned long bits[];
};

/* The default algorithm and its data, published together as one pointer. */
struct gp_algo_pair {
	genpool_algo_t algo;
	void *data;
	struct gp_algo_pair *retired_next; /* on pool->retired, awaiting a grace period */
};

struct gen_pool {
	pthread_spinlock_t lock;       /* chunk list changes; alloc/free if SPINLOCK */
	struct gen_pool_chunk *chunks; /* newest first; RCU-published */
	struct gp_algo_pair *algo;     /* RCU-published; never NULL */
	struct gp_algo_pair *retired;  /* old pairs; under lock */
	int min_alloc_order;
	unsigned int flags;
	size_t meta_size;
	int meta_nid;
	/* managed pools (managed.c); under the registry mutex */
	struct gen_pool_owner *mgr_owner;
	struct gen_pool *mgr_next;
	char *name;
};

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
void gp_chunk_publish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk) GP_HIDDEN;
struct gen_pool_chunk *gp_chunk_first_rcu(struct gen_pool *pool) GP_HIDDEN;
struct gen_pool_chunk *gp_chunk_next_rcu(struct gen_pool_chunk *chunk) GP_HIDDEN;
struct gen_pool_chunk *gp_chunk_find_rcu(struct gen_pool *pool, unsigned long addr) GP_HIDDEN;
struct gen_pool_chunk *gp_chunk_overlap_locked(struct gen_pool *pool, unsigned long first,
					       unsigned long last) GP_HIDDEN;
unsigned long gp_chunk_alloc_rcu(struct gen_pool *pool, struct gen_pool_chunk *chunk,
				 unsigned long nbits, genpool_algo_t algo, void *data) GP_HIDDEN;
int gp_chunk_free_rcu(struct gen_pool *pool, struct gen_pool_chunk *chunk, unsigned long bit,
		      unsigned long nbits) GP_HIDDEN;
unsigned long gp_chunk_outstanding(const struct gen_pool *pool,
				   const struct gen_pool_chunk *chunk,
				   unsigned long *ranges) GP_HIDDEN;

/* algo.c */
const char *gp_algo_check(const struct gen_pool *pool, genpool_algo_t algo,
			  const void *data) GP_HIDDEN;

/*
 * An algorithm named by a caller (set_algo, alloc_algo and the dma _algo
 * calls): NULL means first fit, and then the caller's data is ignored.
 */
static inline struct gp_algo_pair gp_algo_named(genpool_algo_t algo, void *data)
{
	return algo ? (struct gp_algo_pair){ algo, data, NULL }
		    : (struct gp_algo_pair){ gen_pool_first_fit, NULL, NULL };
}

/* pool.c */
void gp_pool_lock(struct gen_pool *pool) GP_HIDDEN;
void gp_pool_unlock(struct gen_pool *pool) GP_HIDDEN;
struct gp_algo_pair gp_pool_algo_rcu(struct gen_pool *pool) GP_HIDDEN;
unsigned long gp_pool_granules(const struct gen_pool *pool, size_t size) GP_HIDDEN;
int gp_pool_busy(struct gen_pool *pool, const char *caller) GP_HIDDEN;
void gp_pool_free_all(struct gen_pool *pool) GP_HIDDEN;

/* managed.c */
void gp_managed_detach(struct gen_pool *pool) GP_HIDDEN;

#endif /* GP_INTERNAL_H */
