/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tcache.h - private structures of the thread caches (tcache.c). Only
 * tcache.c and white-box tests include this; the core sees the gp_tcache_*
 * calls of internal.h and the opaque struct gp_tcache_pool.
 *
 * Who touches what (the synchronisation table; details in tcache.c):
 *
 *   field                        written by                 read by
 *   gp_tcache_pool.id            init (before publication)  every cached call
 *   .max_granules, .rounds       configure, registry lock,  serves (relaxed),
 *                                relaxed store; frozen at   cache creation
 *                                the first cache            (registry lock)
 *   .frozen, .caches             registry lock              registry lock
 *   .flush_gen                   cache_flush, relaxed RMW   every cached call (relaxed)
 *   .depot_granules              depot push/pop, relaxed    cached_bytes (relaxed)
 *   .depot[k].full/.empty        ck_stack (16-byte CAS)     ck_stack (16-byte CAS)
 *   gp_tcache.id, .pool, .tp,    creation (immutable)       the owner; lookup
 *    .slot
 *   .cached                      owner, relaxed store       owner; cached_bytes (relaxed)
 *   .cls[], .flush_seen          owner only                 owner only
 *   .last_chunk/_start/_end/
 *    _removals                   owner only                 owner only (gp_tcache_chunk_of)
 *   .pool_next/.pool_pprev,.dead registry lock              registry lock
 *   gp_mag.link.next             pusher (ck_stack)          poppers (ck_stack; maybe stale)
 *   gp_mag.n, .round[]           the magazine's holder      its holder (handed over by the
 *                                                           depot's CAS, release/acquire)
 *
 * A cache pool's destroy (gp_tcache_drain_all, gp_tcache_fini) runs with
 * the registry lock and no concurrent call on the pool, so it may touch any
 * cache's owner-only fields.
 */
#ifndef GP_TCACHE_H
#define GP_TCACHE_H

#include <stdint.h>

#include <ck_stack.h>

#include "internal.h"

#define GP_TC_MAX_CLASSES 64 /* gen_pool_cache_configure's bound on max_granules */
#define GP_TC_MAX_ROUNDS 256 /* and on rounds */

struct gp_round {
	unsigned long addr;           /* the range's first byte */
	struct gen_pool_chunk *chunk; /* its chunk: a hit needs no lookup */
};

/* A magazine: a LIFO array of up to the pool's `rounds` parked ranges of one class. */
struct gp_mag {
	ck_stack_entry_t link; /* first: the depot's link; a popper may read it stale */
	unsigned int n;        /* rounds held */
	struct gp_round round[];
};

/*
 * One class of the depot: ck_stacks of non-empty ("full") and of empty
 * magazines; each {head, generation} pair is swapped by one 16-byte CAS.
 */
struct gp_depot_class {
	ck_stack_t full __attribute__((aligned(16)));
	ck_stack_t empty __attribute__((aligned(16)));
} GP_ALIGNED_LINE;

struct gp_tcache;

struct gp_tcache_pool {
	/* read-mostly: read by every cached call */
	uint64_t id; /* unique for the process's lifetime: a reused pool address never matches */
	unsigned int max_granules;
	unsigned int rounds;
	unsigned long flush_gen;
	bool frozen;              /* a cache exists: configure says -EBUSY */
	struct gp_tcache *caches; /* every live cache of the pool */
	/* written by depot traffic, on its own line */
	unsigned long depot_granules GP_ALIGNED_LINE;
	struct gp_depot_class depot[GP_TC_MAX_CLASSES]; /* class k at [k - 1] */
};

/* A thread's loaded and previous magazine of one class (Bonwick's pair). */
struct gp_tc_class {
	struct gp_mag *loaded;
	struct gp_mag *prev;
};

/* One thread's cache of one pool. */
struct gp_tcache {
	uint64_t id; /* the pool's id at creation */
	struct gen_pool *pool;
	struct gp_tcache_pool *tp;
	unsigned long cached;     /* granules in this cache's magazines */
	unsigned long flush_seen; /* the pool's flush_gen last acted on */
	struct gen_pool_chunk *last_chunk; /* of the last cached call: a free's first guess */
	unsigned long last_start, last_end; /* its bounds, compared without touching it */
	unsigned long last_removals;        /* the pool's life.removals when it was set */
	unsigned int max_granules, rounds;
	unsigned int slot;             /* the owner's gp_thread_slot(): hits count on its shard */
	struct gp_tcache *thread_next; /* the owner's list */
	struct gp_tcache *pool_next;   /* the pool's list */
	struct gp_tcache **pool_pprev;
	bool dead; /* its pool is destroyed: only the struct itself is left */
	struct gp_tc_class cls[];      /* class k at [k - 1] */
} GP_ALIGNED_LINE;

#endif /* GP_TCACHE_H */
