/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objcache.h - what the object caches (objcache.c, objcache_slab.c) share
 * between their two files, and the one query the benchmarks and tests use.
 * Not a public header.
 *
 * Synchronisation table (details in objcache.c):
 *
 *   field                        written by                   read by
 *   gen_pool_objcache geometry   create (before return)       everyone
 *   .slabs (list head)           slab_grow, release CAS       walkers, acquire
 *   oc_slab.base, .next          before publication           everyone (after acquire)
 *   oc_slab.backed               grow (release), shrink       free's check (acquire)
 *   oc_slab free/live words      atomic RMW                   atomic
 *   radix slots                  CAS (release)                lookups (acquire)
 *   .flush_gen                   shrink, relaxed RMW          every call, relaxed
 *   oc_thread.*                  its owner thread; under      the owner; destroy and
 *                                oc_registry at exit/destroy  thread exit (registry)
 */
#ifndef GP_OBJCACHE_H
#define GP_OBJCACHE_H

#include <stdint.h>

#include "../atomic.h"
#include "layer.h"

#define OC_RADIX_BITS 9
#define OC_RADIX_FANOUT (1u << OC_RADIX_BITS)

/*
 * One slab: a range of slab_bytes from the pool holding per_slab objects.
 * The descriptor lives in the heap, never in the slab. It is type-stable:
 * created for one base, never freed before the cache is destroyed, and
 * reused when a later slab starts at the same base. Bookkeeping per object:
 * two bits (free and live); per slab: this header, one radix slot and the
 * rounding of the two bitmaps up to whole words.
 *
 *   free bit  live bit   the object is
 *   1         0          in the slab's free set
 *   0         0          in a magazine (a thread's or the depot's), or claimed
 *                        by a shrink that is taking the slab back
 *   0         1          live: held by the caller
 */
struct oc_slab {
	struct oc_slab *next; /* the cache's list of every descriptor, push-only */
	unsigned long base;   /* immutable */
	int backed;           /* 1 while the range is allocated from the pool */
	unsigned long bits[]; /* nwords free words, then nwords live words */
};

struct oc_radix {
	void *slot[OC_RADIX_FANOUT]; /* inner nodes, or at the last level slabs */
};

struct gen_pool_objcache {
	struct gen_pool *pool;
	char *name;
	size_t size, stride, align;
	unsigned long slab_len;   /* bytes allocated from the pool per slab: slab_bytes */
	unsigned long slab_bytes; /* a power of two: a block of the radix key */
	unsigned int slab_shift;  /* log2(slab_bytes) */
	unsigned int per_slab, nwords;
	unsigned int stride_shift; /* log2(stride) when stride is a power of two, else 0 */
	unsigned int levels;       /* of the radix tree */
	unsigned int rounds;       /* per magazine */
	void (*ctor)(unsigned long obj, void *arg);
	void *arg;
	uint64_t id; /* unique for the process's lifetime */
	struct oc_radix *root;
	struct gp_depot *depot;
	/* written by refills, growth and shrinks: a line of their own, so that
	 * the read-mostly geometry above stays shared in every core's cache */
	struct oc_slab *slabs __attribute__((aligned(64)));
	struct oc_slab *hint; /* where the last refill found objects; relaxed */
	unsigned long flush_gen;
	struct oc_thread *threads; /* under oc_registry */
};

/* objcache_slab.c: slabs, their bits and the address lookup */
/* The backed slab holding @obj's address, or NULL. */
struct oc_slab *oc_slab_lookup(struct gen_pool_objcache *c, unsigned long obj) GP_LAYER_HIDDEN;
/*
 * Take up to @want objects from the slabs' free sets into @out; returns how
 * many. The walk starts at *@last (the thread's own last slab) when set, so
 * that threads keep to their own slabs and their bits to their own lines.
 */
unsigned int oc_slab_take(struct gen_pool_objcache *c, unsigned long *out, unsigned int want,
			  struct oc_slab **last) GP_LAYER_HIDDEN;
/* A new slab: @want objects into @out (the rest go to its free set); 0: ENOMEM. */
unsigned int oc_slab_grow(struct gen_pool_objcache *c, unsigned long *out, unsigned int want,
			  struct oc_slab **last) GP_LAYER_HIDDEN;
/* Put an object (not live) back into its slab's free set. */
void oc_slab_put(struct gen_pool_objcache *c, struct oc_slab *s, unsigned long obj) GP_LAYER_HIDDEN;
size_t oc_slab_shrink(struct gen_pool_objcache *c) GP_LAYER_HIDDEN;
unsigned long oc_slab_live(const struct gen_pool_objcache *c) GP_LAYER_HIDDEN;
void oc_slab_free_all(struct gen_pool_objcache *c) GP_LAYER_HIDDEN; /* destroy */

static inline unsigned long *oc_free_words(struct oc_slab *s)
{
	return s->bits;
}

static inline unsigned long *oc_live_words(const struct gen_pool_objcache *c, struct oc_slab *s)
{
	return s->bits + c->nwords;
}

/* The hit paths' helpers, inline: they run on every alloc and free. */

/* Does @s hold @obj's address now? Only a backed slab does (S3 of objcache_slab.c). */
static inline bool oc_slab_holds(const struct gen_pool_objcache *c, const struct oc_slab *s,
				 unsigned long obj)
{
	/* acquire: pairs with grow's release of backed */
	return s && obj >= s->base && obj - s->base < c->slab_len &&
	       gp_atomic_load_acquire(&s->backed);
}

/* @guess (the thread's last slab) when it holds @obj, else the lookup's answer. */
static inline struct oc_slab *oc_slab_of(struct gen_pool_objcache *c, struct oc_slab *guess,
					 unsigned long obj)
{
	return oc_slab_holds(c, guess, obj) ? guess : oc_slab_lookup(c, obj);
}

/* The object's index in @s, or -1 when @obj is not an object of @s. */
static inline long oc_slab_index(const struct gen_pool_objcache *c, const struct oc_slab *s,
				 unsigned long obj)
{
	unsigned long off = obj - s->base, i;

	if (obj < s->base || off >= (unsigned long)c->per_slab * c->stride)
		return -1;
	if (c->stride_shift)
		return off & (c->stride - 1) ? -1 : (long)(off >> c->stride_shift);
	i = off / c->stride;
	return i * c->stride == off ? (long)i : -1;
}

#endif /* GP_OBJCACHE_H */
