/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lifecycle.h - what the chunk lifecycle adds to a pool: removal
 * (remove.c), backing-memory sources and import on the ENOMEM path
 * (source.c, source_builtin.c), constrained allocation (xalloc.c) and fork
 * safety (fork.c).
 *
 * Concurrency contract. Every path here is a slow path; alloc and free
 * never take these locks. Lock order, outermost first:
 *   the fork gate (read side, once per thread: gp_fork_enter/leave)
 *   -> life.remove_mu    serialises removals and shrinks of one pool
 *   -> life.grow_mu      one import at a time per pool; a pool source's
 *                        import takes its parent's grow_mu inside (the
 *                        parent chain is acyclic: gen_pool_set_source)
 *   -> pool->lock        chunk list changes (chunk.c), short
 * The fork gate's write side (fork.c, pthread_atfork prepare) therefore
 * finds every remove_mu and grow_mu free, and takes each pool->lock after.
 */
#ifndef GP_LIFECYCLE_H
#define GP_LIFECYCLE_H

#include <pthread.h>
#include <stddef.h>

#include "genpool.h"

struct gen_pool;
struct gen_pool_chunk;

/* Per-pool lifecycle state, embedded in struct gen_pool as `life`. */
struct gp_life {
	pthread_mutex_t remove_mu;
	pthread_mutex_t grow_mu;
	struct gen_pool_source *source; /* RCU-free: read under grow_mu or atomically */
	size_t quantum;                 /* bytes, whole granules; under grow_mu */
	/* Removals so far: a thread cache's memo of its last chunk is valid
	 * only while this is unchanged (tcache.c, gp_tcache_chunk_of). */
	unsigned long removals;
	struct gen_pool *all_next, **all_pprev; /* every live pool (fork.c) */
};

/* What a chunk remembers of the import it came from (NULL src: added). */
struct gp_chunk_import {
	struct gen_pool_source *src;
	unsigned long addr; /* the whole range import provided */
	size_t size;
};

/* pool.c calls these at create and destroy. */
void gp_life_init(struct gen_pool *pool) __attribute__((visibility("hidden")));
/* Destroy, pool idle and empty: release every import, detach the source. */
void gp_life_fini(struct gen_pool *pool) __attribute__((visibility("hidden")));

/* remove.c */
/* Take @c out of @pool; remove_mu held. 0, -EBUSY, -ENOMEM (see the .c). */
int gp_remove_locked(struct gen_pool *pool, struct gen_pool_chunk *c)
	__attribute__((visibility("hidden")));

/* source.c */
/*
 * The ENOMEM path of every allocation call: one import from the pool's
 * source (if any) and @retry once. @retry is the call's own attempt; it
 * returns an address or 0. Returns the address, or 0 (errno untouched).
 */
unsigned long gp_source_grow(struct gen_pool *pool, unsigned long nbits,
			     unsigned long (*retry)(void *ctx), void *ctx)
	__attribute__((visibility("hidden")));
/* Give an imported range back to its source (release path, one place). */
void gp_source_release(const struct gp_chunk_import *imp) __attribute__((visibility("hidden")));
/* The source a pool imports from is in use one more (+1) or one less (-1). */
void gp_source_use(struct gen_pool_source *src, int delta) __attribute__((visibility("hidden")));

/* fork.c: the read side of the fork gate, around each slow path. */
void gp_fork_enter(void) __attribute__((visibility("hidden")));
void gp_fork_leave(void) __attribute__((visibility("hidden")));
void gp_fork_register(struct gen_pool *pool) __attribute__((visibility("hidden")));
void gp_fork_unregister(struct gen_pool *pool) __attribute__((visibility("hidden")));

/* managed.c and tcache.c: their process-wide locks, for fork.c. */
void gp_managed_fork_lock(void) __attribute__((visibility("hidden")));
void gp_managed_fork_unlock(void) __attribute__((visibility("hidden")));
void gp_tcache_fork_lock(void) __attribute__((visibility("hidden")));
void gp_tcache_fork_unlock(void) __attribute__((visibility("hidden")));
/* In the child: the caches of threads that did not survive go back. */
void gp_tcache_fork_child(struct gen_pool *pool) __attribute__((visibility("hidden")));
/* The child after fork: only the forking thread's slot stays held (thread.c). */
void gp_thread_slots_fork_child(void) __attribute__((visibility("hidden")));

#endif /* GP_LIFECYCLE_H */
