// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * objcache.c - object caches over a pool (LDD3's kmem_cache): objects of one
 * size and alignment, carved from slabs allocated from the pool, served
 * through per-thread magazines.
 *
 * The magazine layer is the thread cache's (tcache.c, Bonwick's magazines):
 * each thread holds per cache a loaded and a previous magazine; full and
 * empty magazines move between threads through a depot of lock-free stacks,
 * the same struct gp_mag and the same depot code (layer.h). Below it, the
 * slabs (objcache_slab.c) hold each object's two out-of-band bits.
 *
 * Linearisation points: an allocation at the set of the object's live bit
 * (mark_live); a free at the test-and-clear of it (a free whose bit was
 * clear is refused there, nothing changed; of two racing frees of one
 * object exactly one clears it); the rest moves objects that nobody else
 * can name (in a magazine: free = 0, live = 0).
 *
 * Progress: alloc and free are lock-free. A hit touches the thread's
 * magazine and one atomic RMW (the live bit); a miss one depot operation
 * (lock-free stacks) or a refill from the slabs (atomic claims of whole
 * words), or a new slab (the pool's lock-free allocation, then the ctor).
 * The registry mutex below is taken only at a thread's first call on a
 * cache, at thread exit and by destroy, as in tcache.c.
 *
 * Shrink asks every thread to return its magazines (flush_gen, read relaxed
 * at each call, like gen_pool_cache_flush), returns its own and the depot's
 * at once, and gives back every slab whose objects are all in its free set
 * (objcache_slab.c, S2): objects in other threads' magazines keep their
 * slab until those threads next call the cache.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../atomic.h"
#include "../mutant.h"
#include "objcache.h"

#define OC_ROUNDS 32            /* objects per magazine */
#define OC_MIN_SLAB 4096UL      /* bytes: small objects share a slab this big at least */
#define OC_MIN_PER_SLAB 8UL     /* objects */
#define OC_MAX_ALIGN (1UL << 30) /* struct genpool_data_align holds an int */
#define OC_MAX_STRIDE (1UL << 40)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define BITS_PER_LONG (8 * sizeof(unsigned long))

/* One thread's magazines of one cache (T4 of tcache.c: written by its owner). */
struct oc_thread {
	uint64_t id; /* the cache's id: a reused cache address never matches */
	struct gen_pool_objcache *cache;
	struct gp_mag *loaded, *prev;
	struct oc_slab *last; /* the slab of the last object handled: a lookup's guess */
	unsigned long flush_seen;
	struct oc_thread *thread_next;                 /* the owner's list */
	struct oc_thread *cache_next, **cache_pprev;   /* the cache's, under the registry */
	bool dead; /* its cache is destroyed: only the struct is left, for its owner */
};

static pthread_mutex_t oc_registry = PTHREAD_MUTEX_INITIALIZER;
static uint64_t oc_next_id; /* registry */
static pthread_once_t oc_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t oc_key;
static bool oc_key_ok;
static _Thread_local struct oc_thread *tl_memo __attribute__((tls_model("initial-exec")));
static _Thread_local struct oc_thread *tl_threads __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------------------ */
/* Objects between magazines and slabs                                      */

/* Every object of @m back to its slab's free set; @m stays, empty. */
static void mag_return(struct gen_pool_objcache *c, struct gp_mag *m)
{
	while (m && gp_mag_count(m)) {
		unsigned long obj = gp_mag_pop(m);

		oc_slab_put(c, oc_slab_lookup(c, obj), obj);
	}
}

static void thread_return(struct oc_thread *t)
{
	mag_return(t->cache, t->loaded);
	mag_return(t->cache, t->prev);
}

/* The depot's full magazines back to the slabs; they become empty ones. */
static void depot_return(struct gen_pool_objcache *c)
{
	struct gp_mag *m = gp_depot_take_full(c->depot), *next;

	for (; m; m = next) {
		next = gp_mag_next(m);
		mag_return(c, m);
		gp_depot_put_empty(c->depot, m);
	}
}

/* ------------------------------------------------------------------------ */
/* Per-thread state: creation, lookup, thread exit                          */

static void unlink_locked(struct oc_thread *t)
{
	*t->cache_pprev = t->cache_next;
	if (t->cache_next)
		t->cache_next->cache_pprev = t->cache_pprev;
}

static void thread_exit(void *unused)
{
	struct oc_thread *t, *next;

	(void)unused;
	pthread_mutex_lock(&oc_registry);
	for (t = tl_threads; t; t = next) {
		next = t->thread_next;
		if (!t->dead) { /* its cache is live: destroy waits for the registry */
			thread_return(t);
			if (t->loaded)
				gp_depot_put_empty(t->cache->depot, t->loaded);
			if (t->prev)
				gp_depot_put_empty(t->cache->depot, t->prev);
			unlink_locked(t);
		}
		free(t);
	}
	tl_threads = NULL;
	tl_memo = NULL;
	pthread_mutex_unlock(&oc_registry);
}

static void key_init(void)
{
	oc_key_ok = pthread_key_create(&oc_key, thread_exit) == 0;
}

/* Free this thread's states of destroyed caches. */
static void sweep_dead_locked(void)
{
	struct oc_thread **pp = &tl_threads, *t;

	while ((t = *pp)) {
		if (t->dead) {
			*pp = t->thread_next;
			free(t);
		} else {
			pp = &t->thread_next;
		}
	}
	tl_memo = NULL;
}

/* The first call of this thread on @c; NULL: serve it without magazines. */
static struct oc_thread *thread_create(struct gen_pool_objcache *c)
{
	struct oc_thread *t;

	if (pthread_once(&oc_key_once, key_init) || !oc_key_ok)
		return NULL; /* no destructor: magazines would be stranded at exit */
	pthread_mutex_lock(&oc_registry);
	sweep_dead_locked();
	t = calloc(1, sizeof(*t));
	/* non-NULL value, so that thread_exit runs for this thread */
	if (t && pthread_setspecific(oc_key, t)) {
		free(t);
		t = NULL;
	}
	if (t) {
		t->id = c->id;
		t->cache = c;
		t->flush_seen = gp_atomic_load_relaxed(&c->flush_gen);
		t->cache_next = c->threads;
		t->cache_pprev = &c->threads;
		if (c->threads)
			c->threads->cache_pprev = &t->cache_next;
		c->threads = t;
		t->thread_next = tl_threads;
		tl_threads = t;
		tl_memo = t;
	}
	pthread_mutex_unlock(&oc_registry);
	return t;
}

static inline struct oc_thread *thread_find(struct gen_pool_objcache *c)
{
	struct oc_thread *t = tl_memo;

	if (likely(t && t->id == c->id))
		return t;
	for (t = tl_threads; t; t = t->thread_next)
		if (t->id == c->id)
			return tl_memo = t;
	return NULL;
}

/* The calling thread's state of @c, created at first use, caught up with shrinks. */
static inline struct oc_thread *thread_get(struct gen_pool_objcache *c)
{
	struct oc_thread *t = thread_find(c);
	unsigned long gen;

	if (unlikely(!t))
		return thread_create(c);
	/* relaxed: a shrink asks for the magazines back; it orders nothing */
	gen = gp_atomic_load_relaxed(&c->flush_gen);
	if (unlikely(gen != t->flush_seen)) {
		t->flush_seen = gen;
		thread_return(t);
	}
	return t;
}

/* ------------------------------------------------------------------------ */
/* Allocation                                                               */

static inline void swap_mags(struct oc_thread *t)
{
	struct gp_mag *m = t->loaded;

	t->loaded = t->prev;
	t->prev = m;
}

/*
 * @want objects from the slabs, or from a new one; 0: errno ENOMEM. A
 * thread's first refill grows a slab of its own when the pool has room (as
 * SLUB's per-CPU slabs): threads that share a slab share its bit words.
 */
static unsigned int slabs_take(struct gen_pool_objcache *c, unsigned long *out,
			       unsigned int want, struct oc_slab **last)
{
	unsigned int n = *last ? 0 : oc_slab_grow(c, out, want, last);

	if (!n)
		n = oc_slab_take(c, out, want, last);
	return n ? n : oc_slab_grow(c, out, want, last);
}

/* Refill the thread's loaded magazine from the slabs; returns one object. */
static unsigned long refill(struct oc_thread *t)
{
	struct gen_pool_objcache *c = t->cache;
	unsigned long objs[OC_ROUNDS];
	unsigned int n, i;

	if (!t->loaded && t->prev)
		swap_mags(t); /* prev is empty here */
	if (!t->loaded)
		t->loaded = gp_depot_get_empty(c->depot, c->rounds);
	n = slabs_take(c, objs, t->loaded ? c->rounds : 1, &t->last);
	if (!n)
		return 0;
	for (i = 1; i < n; i++)
		gp_mag_push(t->loaded, objs[i]);
	return objs[0];
}

/* Loaded is empty: previous, else a full magazine of the depot, else refill. */
static unsigned long alloc_miss(struct oc_thread *t)
{
	struct gp_mag *full;

	if (t->prev && gp_mag_count(t->prev)) {
		swap_mags(t);
		return gp_mag_pop(t->loaded);
	}
	full = gp_depot_get_full(t->cache->depot);
	if (!full)
		return refill(t);
	if (t->prev)
		gp_depot_put_empty(t->cache->depot, t->prev);
	t->prev = t->loaded;
	t->loaded = full;
	return gp_mag_pop(full);
}

/* Hand @obj out: the linearisation point of an allocation. */
static inline void mark_live(struct gen_pool_objcache *c, struct oc_slab *s, unsigned long obj)
{
	long i = s ? oc_slab_index(c, s, obj) : -1;
	unsigned long bit, old;

	GP_BUG_ON(i < 0); /* an object in a magazine or a claim has a backed slab */
	bit = 1UL << (i % BITS_PER_LONG);

	/* relaxed: the object came to this thread through a magazine or a claim,
	 * whose release/acquire pairs already order its previous holder's use */
	old = gp_atomic_fetch_or_relaxed(&oc_live_words(c, s)[i / BITS_PER_LONG], bit);
	GP_BUG_ON(old & bit); /* an object in a magazine or a free set was live */
}

unsigned long gen_pool_objcache_alloc(struct gen_pool_objcache *cache)
{
	struct oc_thread *t;
	struct oc_slab *s = NULL;
	unsigned long obj;

	if (!cache)
		return GP_REFUSE_ADDR(EINVAL, "cache is NULL");
	t = thread_get(cache);
	if (unlikely(!t)) { /* no per-thread state: one object straight from the slabs */
		if (!oc_slab_take(cache, &obj, 1, &s) && !oc_slab_grow(cache, &obj, 1, &s))
			return 0;
		mark_live(cache, s, obj);
		return obj;
	}
	if (likely(t->loaded && gp_mag_count(t->loaded)))
		obj = gp_mag_pop(t->loaded);
	else if (!(obj = alloc_miss(t)))
		return 0; /* errno ENOMEM: the pool has no room for a slab */
	t->last = s = oc_slab_of(cache, t->last, obj);
	mark_live(cache, s, obj);
	return obj;
}

/* ------------------------------------------------------------------------ */
/* Free                                                                     */

/* Loaded is full or absent: previous if empty, else trade prev for an empty one. */
static void free_miss(struct oc_thread *t, struct oc_slab *s, unsigned long obj)
{
	struct gen_pool_objcache *c = t->cache;
	struct gp_mag *empty;

	if (t->prev && !gp_mag_count(t->prev)) {
		swap_mags(t);
		gp_mag_push(t->loaded, obj);
		return;
	}
	empty = gp_depot_get_empty(c->depot, c->rounds);
	if (!empty) { /* out of memory: the object goes straight to its slab */
		oc_slab_put(c, s, obj);
		return;
	}
	if (t->prev)
		gp_depot_put_full(c->depot, t->prev); /* full: it was not empty */
	t->prev = t->loaded;
	t->loaded = empty;
	gp_mag_push(empty, obj);
}

/* Take @obj back from the caller: the linearisation point of a free. */
static int clear_live(struct gen_pool_objcache *c, struct oc_slab *s, unsigned long obj)
{
	long i = s ? oc_slab_index(c, s, obj) : -1;
	unsigned long bit, old;

	/* acquire: pairs with grow's release of backed (S3 of objcache_slab.c) */
	if (i < 0 || !gp_atomic_load_acquire(&s->backed))
		return gp_refuse(EINVAL, "gen_pool_objcache_free", "0x%lx is not an object of cache %s",
				 obj, c->name ? c->name : "(unnamed)");
	bit = 1UL << (i % BITS_PER_LONG);
	/* relaxed: ownership goes on through the magazine or the slab's release */
	old = gp_atomic_fetch_and_relaxed(&oc_live_words(c, s)[i / BITS_PER_LONG], ~bit);
	if (!(old & bit) && !GP_MUTANT(GP_MUT_OC_NO_LIVE_CHECK))
		return gp_refuse(EINVAL, "gen_pool_objcache_free",
				 "object 0x%lx of cache %s is not live (double free?)", obj,
				 c->name ? c->name : "(unnamed)");
	return 0;
}

int gen_pool_objcache_free(struct gen_pool_objcache *cache, unsigned long obj)
{
	struct oc_thread *t;
	struct oc_slab *s;
	int err;

	if (!cache)
		return GP_REFUSE(EINVAL, "cache is NULL");
	t = thread_get(cache);
	s = oc_slab_of(cache, t ? t->last : NULL, obj);
	err = clear_live(cache, s, obj);
	if (err)
		return err;
	if (unlikely(!t)) {
		oc_slab_put(cache, s, obj);
		return 0;
	}
	t->last = s;
	if (likely(t->loaded && gp_mag_count(t->loaded) < cache->rounds))
		gp_mag_push(t->loaded, obj);
	else
		free_miss(t, s, obj);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Create, shrink, destroy                                                  */

static unsigned long pow2_ceil(unsigned long x)
{
	return x <= 1 ? 1 : 1UL << (BITS_PER_LONG - (unsigned long)__builtin_clzl(x - 1));
}

/* The geometry of @c from its object size and alignment; false: too large. */
static bool set_geometry(struct gen_pool_objcache *c, unsigned long granule)
{
	unsigned long want;

	if (c->align > OC_MAX_ALIGN || c->size > OC_MAX_STRIDE)
		return false;
	c->stride = (c->size + c->align - 1) & ~(c->align - 1);
	c->stride_shift = (c->stride & (c->stride - 1)) ? 0 : (unsigned int)__builtin_ctzl(c->stride);
	want = c->stride * OC_MIN_PER_SLAB > OC_MIN_SLAB ? c->stride * OC_MIN_PER_SLAB : OC_MIN_SLAB;
	want = (want + granule - 1) & ~(granule - 1);
	c->slab_bytes = pow2_ceil(want);
	c->slab_shift = (unsigned int)__builtin_ctzl(c->slab_bytes);
	c->per_slab = (unsigned int)(c->slab_bytes / c->stride);
	if (c->per_slab > 64 * BITS_PER_LONG) /* a few words of bits per slab at most */
		c->per_slab = 64 * BITS_PER_LONG;
	/* a whole block: then no two slabs start in one block (objcache_slab.c) */
	c->slab_len = c->slab_bytes;
	c->nwords = (c->per_slab + BITS_PER_LONG - 1) / BITS_PER_LONG;
	c->levels = (BITS_PER_LONG - c->slab_shift + OC_RADIX_BITS - 1) / OC_RADIX_BITS;
	c->rounds = OC_ROUNDS;
	return true;
}

static void cache_free(struct gen_pool_objcache *c)
{
	gp_depot_free(c->depot);
	free(c->root);
	free(c->name);
	free(c);
}

struct gen_pool_objcache *gen_pool_objcache_create(struct gen_pool *pool, const char *name,
						   size_t size, size_t align, unsigned int flags,
						   void (*ctor)(unsigned long obj, void *arg),
						   void *arg)
{
	struct gen_pool_objcache *c;
	unsigned long g;

	if (!pool)
		return GP_REFUSE_NULL(EINVAL, "pool is NULL");
	if (!size)
		return GP_REFUSE_NULL(EINVAL, "size is 0");
	if (align & (align - 1))
		return GP_REFUSE_NULL(EINVAL, "align %zu is not 0 or a power of two", align);
	if (flags & ~GEN_POOL_OBJ_HWCACHE_ALIGN)
		return GP_REFUSE_NULL(EINVAL, "unknown flags 0x%x", flags);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL; /* errno ENOMEM */
	g = gp_layer_granule(pool);
	c->pool = pool;
	c->size = size;
	c->align = align ? align : g;
	if ((flags & GEN_POOL_OBJ_HWCACHE_ALIGN) && c->align < 64)
		c->align = 64;
	c->ctor = ctor;
	c->arg = arg;
	if (!set_geometry(c, g)) {
		free(c);
		return GP_REFUSE_NULL(EINVAL, "size %zu or align %zu is too large", size, align);
	}
	c->name = name ? strdup(name) : NULL;
	c->root = calloc(1, sizeof(*c->root));
	c->depot = gp_depot_new();
	if ((name && !c->name) || !c->root || !c->depot) {
		cache_free(c);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&oc_registry);
	c->id = ++oc_next_id;
	pthread_mutex_unlock(&oc_registry);
	return c;
}

size_t gen_pool_objcache_shrink(struct gen_pool_objcache *cache)
{
	struct oc_thread *t;

	if (!cache) {
		(void)GP_REFUSE(EINVAL, "cache is NULL");
		return 0;
	}
	/* relaxed: see thread_get; other threads act on it at their next call */
	gp_atomic_add_relaxed(&cache->flush_gen, 1);
	t = thread_find(cache);
	if (t) {
		t->flush_seen = gp_atomic_load_relaxed(&cache->flush_gen);
		thread_return(t);
	}
	depot_return(cache);
	return oc_slab_shrink(cache);
}

int gen_pool_objcache_destroy(struct gen_pool_objcache *cache)
{
	struct oc_thread *t;
	struct gp_mag *m, *next;

	if (!cache)
		return GP_REFUSE(EINVAL, "cache is NULL");
	if (oc_slab_live(cache))
		return -EBUSY; /* a result, not a refusal: nothing changed */
	pthread_mutex_lock(&oc_registry); /* against thread_exit of a state's owner */
	while ((t = cache->threads)) {
		gp_mag_free(t->loaded); /* their objects are not live: the slabs go whole */
		gp_mag_free(t->prev);
		t->loaded = t->prev = NULL;
		t->dead = true; /* its owner frees the struct */
		unlink_locked(t);
	}
	sweep_dead_locked(); /* the calling thread's own, now */
	pthread_mutex_unlock(&oc_registry);
	for (m = gp_depot_take_full(cache->depot); m; m = next) {
		next = gp_mag_next(m);
		gp_mag_free(m);
	}
	oc_slab_free_all(cache);
	cache_free(cache);
	return 0;
}
