// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tcache.c - per-thread caches of small ranges (GEN_POOL_THREAD_CACHE):
 * Bonwick's magazines over the lock-free bitmap, with a lock-free depot.
 *
 * Requests of 1..max_granules granules (one size class per granule count)
 * are served from the calling thread's cache of the pool. A cache holds per
 * class two magazines, loaded and previous; a magazine is a LIFO array of
 * up to `rounds` ranges. Full and empty magazines move between threads
 * through the pool's depot: per class, two lock-free stacks (Concurrency
 * Kit's ck_stack).
 *
 * Invariants:
 *  T1  A cached ("parked") range is claimed in chunk->bits and keeps its
 *      ends[] mark, but its starts[] mark is clear. It is in exactly one
 *      place: one magazine of one cache, or one magazine in the depot.
 *      gp_chunk_park's test-and-clear of the start mark is the point at
 *      which a free takes a range from its holder (of two racing frees of
 *      one range exactly one parks it, the other gets -EINVAL and changes
 *      nothing); gp_chunk_unpark's set of the mark is where an allocation
 *      hands it out. So a free of a cached range is refused in any thread.
 *  T2  A magazine is either held (a cache's loaded/prev, or a thread between
 *      a depot pop and its next use), or on exactly one depot stack. Its
 *      rounds are touched only by its holder. Magazines are freed only by
 *      gp_tcache_fini (pool idle), so a popper that reads the link of a
 *      stale head reads live memory; the generation makes its CAS fail.
 *  T3  Every pop and take-all increments the stack's generation, so a
 *      {head, generation} that compares equal has lost no entry since it
 *      was read (pushes only add entries in front of it).
 *  T4  A cache is written only by its owner thread, except under the
 *      registry lock by destroy (no call runs concurrently on the pool) and
 *      never after its pool is destroyed: destroy marks it dead under the
 *      lock, and thread exit, which takes the same lock, then only frees it.
 *  T5  A cache's key is its pool's id, unique for the life of the process,
 *      so a dead cache never matches a pool allocated at the same address.
 *  T6  Between a cache's prev and its loaded magazine: prev is NULL, empty
 *      or full (Bonwick), so a miss needs at most one depot operation.
 *
 * Linearisation points: a hit alloc at gp_chunk_unpark; a cached free at
 * gp_chunk_park; a refill at each gp_pool_alloc_raw; a return to the bitmap
 * at gp_chunk_release_parked (inside a read-side section: release_parked);
 * depot push/pop at ck_stack's successful CAS.
 *
 * Hit paths (alloc and free): the thread-local memo, one relaxed load of the
 * flush generation, the magazine, and one atomic RMW, the start-mark
 * test-and-set/clear (hardening: it is what refuses a double free); no other
 * RMW, no lock, no RCU section. Misses use the depot (lock-free) or the
 * core's raw allocation. The registry lock is taken only at a thread's first
 * cached call on a pool, at thread exit, by cached_bytes (gen_pool_avail)
 * and at destroy.
 *
 * Accounting (gen_pool_avail): cached granules are available. Each cache
 * counts its own (owner's relaxed stores) and the depot counts those in its
 * full magazines (relaxed RMW, off the hit path). Counts are lowered before
 * ranges leave a place and raised after they arrive, so the sum is at most
 * transiently low, never high, and exact at quiescence.
 *
 * Sources followed: J. Bonwick, J. Adams, "Magazines and Vmem" (USENIX
 * 2001), sections 3-4; R. K. Treiber, "Systems Programming: Coping with
 * Parallelism" (IBM RJ 5118, 1986), the stack that Concurrency Kit's
 * ck_stack implements (used here, with its generation counter).
 */
#include <errno.h>
#include <string.h>

#include "atomic.h"
#include "internal.h"
#include "layers/layer.h"
#include "mutant.h"
#include "lifecycle.h"
#include "rcu.h"
#include "stats.h"
#include "tcache.h"
#include "tsan.h"

#ifndef CK_F_STACK_POP_MPMC
#error "tcache.c needs ck_stack_pop_mpmc (a double-width CAS in Concurrency Kit's ck_pr)"
#endif

#define GP_TC_DEFAULT_MAX 8     /* classes 1..8 granules */
#define GP_TC_DEFAULT_ROUNDS 16 /* ranges per magazine */

#define GP_TLS __attribute__((tls_model("initial-exec")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ------------------------------------------------------------------------ */
/* Registry: pools' cache lists, thread exit, pool ids                      */

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static uint64_t next_pool_id; /* registry lock */
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static bool exit_key_ok; /* written once under pthread_once */

static _Thread_local struct gp_tcache *tl_memo GP_TLS;   /* the last cache used */
static _Thread_local struct gp_tcache *tl_caches GP_TLS; /* all of this thread's */

/* ------------------------------------------------------------------------ */
/* Depot stacks: Concurrency Kit's ck_stack, multi-producer multi-consumer  */

/*
 * Which ck_stack operations, and why (T2, T3):
 *  - pop is ck_stack_pop_mpmc: a CAS of {head, generation} that bumps the
 *    generation. The _upmc pop compares the head alone and is open to ABA:
 *    a popper reads head m and m->next n; meanwhile m and n are popped and
 *    m is pushed back; its CAS of m to n then succeeds and puts n, which
 *    another thread holds, back on the stack. Magazines are reused
 *    constantly, so that interleaving is reachable here.
 *  - push is ck_stack_push_mpmc (a CAS of the head alone): it never reads
 *    an entry's link, and every pop between a popper's read and its CAS
 *    changes the generation, so pushes need no generation of their own.
 *  - take-all is the generation-bumping CAS below, not
 *    ck_stack_batch_pop_mpmc: that one swaps the head to NULL and leaves
 *    the generation, which reopens the ABA above (a popper holding
 *    {m, g} succeeds after m is taken with the rest and pushed back).
 * The magazine's rounds and count are handed over by release/acquire fences
 * around the CK calls (compiler barriers on x86, where the CAS itself is a
 * full barrier) and, for ThreadSanitizer, by an HB pair on the magazine;
 * ck's own link accesses are hidden from TSan (src/tsan.h).
 */
static inline struct gp_mag *mag_of(ck_stack_entry_t *e)
{
	return (struct gp_mag *)e; /* the link is the first member */
}

static void depot_push(ck_stack_t *s, struct gp_mag *m)
{
	/* release: m's rounds and n, written and read by its holder until
	 * now; pairs with the acquire in depot_pop/depot_take_all of m */
	if (!GP_MUTANT(GP_MUT_DEPOT_NO_HB))
		GP_TSAN_HB_RELEASE(m);
	ck_pr_fence_release();
	GP_TSAN_IGNORE_BEGIN();
	ck_stack_push_mpmc(s, &m->link);
	GP_TSAN_IGNORE_END();
}

static struct gp_mag *depot_pop(ck_stack_t *s)
{
	ck_stack_entry_t *e;

	GP_TSAN_IGNORE_BEGIN();
	e = ck_stack_pop_mpmc(s);
	GP_TSAN_IGNORE_END();
	/* acquire: pairs with depot_push's release of the magazine taken */
	ck_pr_fence_acquire();
	if (e)
		GP_TSAN_HB_ACQUIRE(e);
	return mag_of(e);
}

/*
 * Empty stacks. ck_stack's generation is a char *, and its pop computes
 * generation + 1: from NULL that is pointer arithmetic on a null pointer,
 * undefined (UBSan's pointer-overflow check reports it), so the count
 * starts at 1. It only has to change; 2^64 pops never wrap it.
 */
static void depot_class_init(struct gp_depot_class *cls)
{
	ck_stack_init(&cls->full);
	ck_stack_init(&cls->empty);
	cls->full.generation = (char *)1;
	cls->empty.generation = (char *)1;
}

static void depot_init(struct gp_tcache_pool *tp)
{
	for (unsigned long i = 0; i < GP_TC_MAX_CLASSES; i++)
		depot_class_init(&tp->depot[i]);
}

/* Detach the whole stack; the magazines, linked by link.next, are the caller's. */
static struct gp_mag *depot_take_all(ck_stack_t *s)
{
	struct ck_stack old, new;
	ck_stack_entry_t *e;

	GP_TSAN_IGNORE_BEGIN();
	/* the order of ck_stack_pop_mpmc's reads: generation, then head */
	old.generation = ck_pr_load_ptr(&s->generation);
	ck_pr_fence_load();
	old.head = ck_pr_load_ptr(&s->head);
	new.head = NULL;
	do
		new.generation = old.generation + 1; /* T3: see above */
	while (old.head && !ck_pr_cas_ptr_2_value(s, &old, &new, &old));
	GP_TSAN_IGNORE_END();
	/* acquire: pairs with depot_push's release of each magazine taken */
	ck_pr_fence_acquire();
	for (e = old.head; e; e = e->next)
		GP_TSAN_HB_ACQUIRE(e);
	return mag_of(old.head);
}

/* ------------------------------------------------------------------------ */
/* Magazines and rounds                                                     */

static struct gp_mag *mag_new(unsigned int rounds)
{
	struct gp_mag *m = malloc(sizeof(*m) + rounds * sizeof(m->round[0]));

	if (m) {
		m->link.next = NULL;
		m->n = 0;
	}
	return m;
}

static inline unsigned long round_bit(const struct gen_pool *pool, const struct gp_round *r)
{
	return (r->addr - r->chunk->start_addr) >> pool->min_alloc_order;
}

/*
 * Return a parked range to the bitmaps, inside a read-side section. The
 * range's last granule coming free lets gen_pool_remove_chunk close and
 * unpublish @c, while the release still updates @c's free-run index; the
 * removal's grace period waits for this section, so it frees @c only after.
 * (The uncached free releases inside its own section, alloc.c.)
 */
static void release_parked(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
			   unsigned long nbits)
{
	gp_rcu_read_lock();
	gp_chunk_release_parked(pool, c, bit, nbits);
	gp_rcu_read_unlock();
}

/* Return every round of @m (class @nbits) to the bitmaps. */
static void mag_release(struct gen_pool *pool, struct gp_mag *m, unsigned long nbits)
{
	for (; m && m->n; m->n--) {
		struct gp_round *r = &m->round[m->n - 1];

		release_parked(pool, r->chunk, round_bit(pool, r), nbits);
	}
}

/* Free a list of magazines linked by next (pool idle). */
static void mag_free_list(struct gp_mag *m)
{
	struct gp_mag *next;

	for (; m; m = next) {
		next = mag_of(m->link.next);
		free(m);
	}
}

static inline void set_cached(struct gp_tcache *tc, unsigned long granules)
{
	/* relaxed: a hint for gen_pool_avail; only the owner writes it (T4) */
	gp_atomic_store_relaxed(&tc->cached, granules);
}

static inline unsigned long get_cached(struct gp_tcache *tc)
{
	return gp_atomic_load_relaxed(&tc->cached);
}

/* ------------------------------------------------------------------------ */
/* The depot                                                                */

static inline struct gp_depot_class *depot_of(struct gp_tcache_pool *tp, unsigned long nbits)
{
	return &tp->depot[nbits - 1];
}

/* Hand the non-empty @m of class @nbits from @tc to the depot. */
static void depot_put_full(struct gp_tcache *tc, struct gp_mag *m, unsigned long nbits)
{
	unsigned long g = m->n * nbits;

	set_cached(tc, get_cached(tc) - g);
	/* raised before the push, so a popper's decrement never precedes it */
	gp_atomic_add_relaxed(&tc->tp->depot_granules, g);
	depot_push(&depot_of(tc->tp, nbits)->full, m);
}

static struct gp_mag *depot_get_full(struct gp_tcache *tc, unsigned long nbits)
{
	struct gp_mag *m = depot_pop(&depot_of(tc->tp, nbits)->full);

	if (m) {
		gp_atomic_sub_relaxed(&tc->tp->depot_granules, m->n * nbits);
		set_cached(tc, get_cached(tc) + m->n * nbits);
	}
	return m;
}

/* An empty magazine from the depot, or a new one; NULL when out of memory. */
static struct gp_mag *depot_get_empty(struct gp_tcache *tc, unsigned long nbits)
{
	struct gp_mag *m = depot_pop(&depot_of(tc->tp, nbits)->empty);

	return m ? m : mag_new(tc->rounds);
}

/* Return the depot's full magazines to the bitmaps; they become empty ones. */
static void depot_release(struct gen_pool *pool)
{
	struct gp_tcache_pool *tp = pool->tcache;
	struct gp_mag *m, *next;
	unsigned long k, g;

	for (k = 1; k <= GP_TC_MAX_CLASSES; k++) {
		m = depot_take_all(&depot_of(tp, k)->full);
		for (g = 0; m; m = next) {
			next = mag_of(m->link.next);
			g += m->n * k;
			mag_release(pool, m, k);
			depot_push(&depot_of(tp, k)->empty, m);
		}
		if (g)
			gp_atomic_sub_relaxed(&tp->depot_granules, g);
	}
}

/* ------------------------------------------------------------------------ */
/* A thread's cache: creation, lookup, return                               */

/* Return every round of @tc to the bitmaps; its magazines stay, empty. */
static void cache_release(struct gp_tcache *tc)
{
	unsigned long k;

	set_cached(tc, 0); /* lowered first: avail may be low, never high */
	for (k = 1; k <= tc->max_granules; k++) {
		mag_release(tc->pool, tc->cls[k - 1].loaded, k);
		if (!GP_MUTANT(GP_MUT_TC_KEEP_PREV))
			mag_release(tc->pool, tc->cls[k - 1].prev, k);
	}
}

static void cache_unlink_locked(struct gp_tcache *tc)
{
	*tc->pool_pprev = tc->pool_next;
	if (tc->pool_next)
		tc->pool_next->pool_pprev = tc->pool_pprev;
}

/* A live pool's cache whose thread is gone: its ranges back, magazines to the depot. */
static void cache_retire_locked(struct gp_tcache *tc)
{
	unsigned long k;

	cache_release(tc);
	for (k = 1; k <= tc->max_granules; k++) {
		if (tc->cls[k - 1].loaded)
			depot_push(&depot_of(tc->tp, k)->empty, tc->cls[k - 1].loaded);
		if (tc->cls[k - 1].prev)
			depot_push(&depot_of(tc->tp, k)->empty, tc->cls[k - 1].prev);
	}
	cache_unlink_locked(tc);
}

bool gp_tcache_thread_has_caches(void)
{
	return tl_caches != NULL; /* this thread's own list */
}

/* Thread exit: give back what the thread's caches hold, then free them. */
static void thread_exit(void *unused)
{
	struct gp_tcache *tc, *next;

	(void)unused;
	pthread_mutex_lock(&registry);
	for (tc = tl_caches; tc; tc = next) {
		next = tc->thread_next;
		if (!tc->dead) /* its pool is live: destroy waits for the lock (T4) */
			cache_retire_locked(tc);
		free(tc);
	}
	tl_caches = NULL;
	tl_memo = NULL;
	pthread_mutex_unlock(&registry);
}

static void exit_key_init(void)
{
	exit_key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
}

/* Free this thread's caches of destroyed pools. */
static void sweep_dead_locked(void)
{
	struct gp_tcache **pp = &tl_caches, *tc;

	while ((tc = *pp)) {
		if (tc->dead) {
			*pp = tc->thread_next;
			if (tl_memo == tc)
				tl_memo = NULL;
			free(tc);
		} else {
			pp = &tc->thread_next;
		}
	}
}

static struct gp_tcache *cache_alloc(struct gen_pool *pool)
{
	struct gp_tcache_pool *tp = pool->tcache;
	size_t bytes = sizeof(struct gp_tcache) + tp->max_granules * sizeof(struct gp_tc_class);
	struct gp_tcache *tc;

	bytes = (bytes + GP_CACHELINE - 1) & ~(size_t)(GP_CACHELINE - 1);
	tc = aligned_alloc(GP_CACHELINE, bytes);
	if (!tc)
		return NULL;
	memset(tc, 0, bytes);
	tc->id = tp->id;
	tc->pool = pool;
	tc->tp = tp;
	tc->max_granules = tp->max_granules;
	tc->rounds = tp->rounds;
	tc->slot = gp_thread_slot(); /* the creating thread is the owner */
	tc->flush_seen = gp_atomic_load_relaxed(&tp->flush_gen);
	return tc;
}

/* The first cached call of this thread on @pool; NULL: serve it uncached. */
static struct gp_tcache *cache_create(struct gen_pool *pool)
{
	struct gp_tcache_pool *tp = pool->tcache;
	struct gp_tcache *tc;

	if (pthread_once(&exit_key_once, exit_key_init) || !exit_key_ok)
		return NULL; /* no destructor: a cache would be stranded at exit */
	pthread_mutex_lock(&registry);
	sweep_dead_locked();
	tc = cache_alloc(pool);
	/* non-NULL value, so that thread_exit runs for this thread */
	if (tc && pthread_setspecific(exit_key, tc)) {
		free(tc);
		tc = NULL;
	}
	if (tc) {
		tp->frozen = true;
		tc->pool_next = tp->caches;
		tc->pool_pprev = &tp->caches;
		if (tp->caches)
			tp->caches->pool_pprev = &tc->pool_next;
		tp->caches = tc;
		tc->thread_next = tl_caches;
		tl_caches = tc;
		tl_memo = tc;
	}
	pthread_mutex_unlock(&registry);
	return tc;
}

/* This thread's cache of @pool, or NULL; no atomics, no lock (T5). */
static inline struct gp_tcache *cache_find(struct gen_pool *pool)
{
	uint64_t id = pool->tcache->id;
	struct gp_tcache *tc = tl_memo;

	if (likely(tc && tc->id == id))
		return tc;
	for (tc = tl_caches; tc; tc = tc->thread_next)
		if (tc->id == id)
			return tl_memo = tc;
	return NULL;
}

/* The cache for a cached call: created at first use, caught up with flushes. */
static inline struct gp_tcache *cache_get(struct gen_pool *pool)
{
	struct gp_tcache *tc = cache_find(pool);
	unsigned long gen;

	if (unlikely(!tc))
		return cache_create(pool);
	/* relaxed: a flush asks for the return of caches; it orders nothing */
	gen = gp_atomic_load_relaxed(&tc->tp->flush_gen);
	if (unlikely(gen != tc->flush_seen)) {
		tc->flush_seen = gen;
		cache_release(tc);
	}
	return tc;
}

/* ------------------------------------------------------------------------ */
/* Allocation                                                               */

/*
 * Remember @c (which holds a range this call is handing out or parking, so
 * it cannot be removed now) for gp_tcache_chunk_of, with its bounds and the
 * pool's removal count: the memo is used only while no removal happened.
 */
static inline void remember_chunk(struct gp_tcache *tc, struct gen_pool_chunk *c)
{
	tc->last_chunk = c;
	tc->last_start = c->start_addr;
	tc->last_end = c->end_addr;
	/* relaxed: a newer value than the chunk's only costs a lookup later */
	tc->last_removals = gp_atomic_load_relaxed(&tc->pool->life.removals);
}

/*
 * The chunk of this thread's last cached call on @pool if it holds @addr,
 * else NULL: lets a cached free skip the RCU section and the index search.
 * Safe without a section: the memo is compared by its copied bounds, and
 * returned only while the pool's removal count is the one it was taken
 * under. A free of an address in it after a removal of any chunk has
 * returned sees the new count (the acquire below) and looks the address
 * up in the index instead; a legitimate free of an address in the memo's
 * chunk holds a range of it, so that chunk cannot be removed meanwhile.
 */
static inline struct gen_pool_chunk *memo_chunk(struct gen_pool *pool, struct gp_tcache *tc,
						unsigned long addr)
{
	if (!tc->last_chunk)
		return NULL;
	/* acquire: pairs with the release in remove.c's unpublish_locked */
	if (gp_atomic_load_acquire(&pool->life.removals) != tc->last_removals)
		return NULL;
	return addr >= tc->last_start && addr <= tc->last_end ? tc->last_chunk : NULL;
}

/* Hit: hand out @m's last round (T1). */
static inline unsigned long take(struct gp_tcache *tc, struct gp_mag *m, unsigned long nbits,
				 struct gen_pool_chunk **chunk)
{
	struct gp_round *r = &m->round[--m->n];

	set_cached(tc, get_cached(tc) - nbits);
	gp_chunk_unpark(r->chunk, round_bit(tc->pool, r));
	remember_chunk(tc, r->chunk);
	*chunk = r->chunk;
	return r->addr;
}

static inline void swap_mags(struct gp_tc_class *k)
{
	struct gp_mag *m = k->loaded;

	k->loaded = k->prev;
	k->prev = m;
}

/*
 * Refill: the range returned is allocated live, and up to rounds - 1 more
 * are parked in the (empty) loaded magazine. Without a magazine the one
 * range is still returned, uncached.
 */
static unsigned long refill(struct gp_tcache *tc, unsigned long nbits,
			    struct gen_pool_chunk **chunk)
{
	struct gp_tc_class *k = &tc->cls[nbits - 1];
	unsigned long addr = gp_pool_alloc_raw(tc->pool, nbits, true, chunk);
	struct gp_round r;

	if (!addr)
		return 0;
	if (!k->loaded && k->prev)
		swap_mags(k); /* prev is empty here (T6) */
	if (!k->loaded)
		k->loaded = depot_get_empty(tc, nbits);
	while (k->loaded && k->loaded->n + 1 < tc->rounds) {
		r.addr = gp_pool_alloc_raw(tc->pool, nbits, false, &r.chunk);
		if (!r.addr)
			break;
		k->loaded->round[k->loaded->n++] = r;
		set_cached(tc, get_cached(tc) + nbits);
	}
	return addr;
}

/* Loaded is empty: previous, else a full magazine of the depot, else refill. */
static unsigned long alloc_miss(struct gp_tcache *tc, unsigned long nbits,
				struct gen_pool_chunk **chunk)
{
	struct gp_tc_class *k = &tc->cls[nbits - 1];
	struct gp_mag *full;

	if (k->prev && k->prev->n) {
		swap_mags(k);
		return take(tc, k->loaded, nbits, chunk);
	}
	full = depot_get_full(tc, nbits);
	if (!full)
		return refill(tc, nbits, chunk);
	if (k->prev)
		depot_push(&depot_of(tc->tp, nbits)->empty, k->prev);
	k->prev = k->loaded;
	k->loaded = full;
	return take(tc, full, nbits, chunk);
}

unsigned long gp_tcache_alloc(struct gen_pool *pool, unsigned long nbits,
			      struct gen_pool_chunk **chunk)
{
	struct gp_tcache *tc = cache_get(pool);
	struct gp_mag *m;

	/* no cache (out of memory), or a configure raced with serves() */
	if (unlikely(!tc || nbits > tc->max_granules))
		return gp_pool_alloc_raw(pool, nbits, true, chunk);
	m = tc->cls[nbits - 1].loaded;
	if (likely(m && m->n))
		return take(tc, m, nbits, chunk);
	return alloc_miss(tc, nbits, chunk);
}

/* ------------------------------------------------------------------------ */
/* Free                                                                     */

/* Park the range at @addr of @c (its first granule) in @m. */
static inline void put_addr(struct gp_tcache *tc, struct gp_mag *m, struct gen_pool_chunk *c,
			    unsigned long addr, unsigned long nbits)
{
	m->round[m->n].addr = addr;
	m->round[m->n].chunk = c;
	m->n++;
	set_cached(tc, get_cached(tc) + nbits);
}

static inline void put(struct gp_tcache *tc, struct gp_mag *m, struct gen_pool_chunk *c,
		       unsigned long bit, unsigned long nbits)
{
	put_addr(tc, m, c, c->start_addr + (bit << tc->pool->min_alloc_order), nbits);
}

/* Loaded is full (or absent): previous if empty, else trade prev for an empty one. */
static void free_miss(struct gp_tcache *tc, struct gen_pool_chunk *c, unsigned long bit,
		      unsigned long nbits)
{
	struct gp_tc_class *k = &tc->cls[nbits - 1];
	struct gp_mag *empty;

	if (k->prev && !k->prev->n) {
		swap_mags(k);
		put(tc, k->loaded, c, bit, nbits);
		return;
	}
	empty = depot_get_empty(tc, nbits);
	if (!empty) { /* out of memory: never lose the range */
		release_parked(tc->pool, c, bit, nbits);
		return;
	}
	if (k->prev)
		depot_put_full(tc, k->prev, nbits); /* full (T6) */
	k->prev = k->loaded;
	k->loaded = empty;
	put(tc, empty, c, bit, nbits);
}

int gp_tcache_free(struct gen_pool *pool, struct gen_pool_chunk *c, unsigned long bit,
		   unsigned long nbits)
{
	struct gp_tcache *tc;
	struct gp_mag *m;

	if (gp_chunk_park(c, bit, nbits))
		return -EINVAL; /* not exactly one live allocation: nothing changed */
	tc = cache_get(pool);
	if (unlikely(!tc || nbits > tc->max_granules)) {
		release_parked(pool, c, bit, nbits);
		return 0;
	}
	remember_chunk(tc, c);
	m = tc->cls[nbits - 1].loaded;
	if (likely(m && m->n < tc->rounds))
		put(tc, m, c, bit, nbits);
	else
		free_miss(tc, c, bit, nbits);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Hit paths: gen_pool_alloc and gen_pool_free try these first              */

/*
 * A hit needs: a cache pool, this thread's memo cache of it (no lookup), no
 * flush pending, and a size its caches serve. Then the call is served here
 * without the general path's layers (argument checks, request, cache
 * lookup, chunk lookup): 0 / false means "not handled here", and the
 * general path then does everything, every check and refusal included. A
 * hit changes state only where the general path would (gp_chunk_unpark,
 * gp_chunk_park after the same checks), so callers cannot tell them apart.
 */
static inline struct gp_tcache *hit_cache(struct gen_pool *pool, size_t size,
					  unsigned long *nbits)
{
	struct gp_tcache_pool *tp = pool->tcache;
	struct gp_tcache *tc = tl_memo;
	unsigned long g;

	if (!tp || !tc || tc->id != tp->id)
		return NULL;
	/* size 0 wraps to the largest count: not served, as too large */
	g = ((size - 1) >> pool->min_alloc_order) + 1;
	/* relaxed: as cache_get */
	if (g - 1 >= tc->max_granules ||
	    gp_atomic_load_relaxed(&tp->flush_gen) != tc->flush_seen)
		return NULL;
	*nbits = g;
	return tc;
}

unsigned long gp_tcache_alloc_hit(struct gen_pool *pool, size_t size)
{
	unsigned long nbits;
	struct gp_tcache *tc = hit_cache(pool, size, &nbits);
	struct gen_pool_chunk *c;
	unsigned long addr;
	struct gp_mag *m;

	/* relaxed: as cached_request (alloc.c) */
	if (!tc || !gp_atomic_load_relaxed(&pool->cache_default))
		return 0;
	m = tc->cls[nbits - 1].loaded;
	if (!m || !m->n)
		return 0;
	addr = take(tc, m, nbits, &c);
	gp_stats_alloc_slot(pool, tc->slot); /* a hit is counted like any allocation */
	return addr;
}

/*
 * flatten: gp_chunk_park is inlined here (LTO alone kept it a call), so a
 * hit pays no call, return and argument moves; bench/icount.py measures it.
 */
__attribute__((flatten)) bool gp_tcache_free_hit(struct gen_pool *pool, unsigned long addr,
						 size_t size)
{
	unsigned long nbits, off, bit;
	struct gp_tcache *tc = hit_cache(pool, size, &nbits);
	struct gen_pool_chunk *c = tc ? memo_chunk(pool, tc, addr) : NULL;
	struct gp_mag *m;

	/* the chunk of the last cached call, while no removal has happened since */
	if (!c)
		return false;
	off = addr - c->start_addr;
	bit = off >> pool->min_alloc_order;
	if (((off & ((1UL << pool->min_alloc_order) - 1)) && !GP_MUTANT(GP_MUT_HIT_NO_ALIGN)) ||
	    nbits > c->nbits - bit)
		return false;
	m = tc->cls[nbits - 1].loaded;
	/* room first: once parked, the range must go into this magazine */
	if (!m || m->n >= tc->rounds || gp_chunk_park(c, bit, nbits))
		return false; /* a refused park changed nothing: the general path reports it */
	put_addr(tc, m, c, addr, nbits);
	gp_stats_free_slot(pool, tc->slot); /* ... and a free */
	return true;
}

struct gen_pool_chunk *gp_tcache_chunk_of(struct gen_pool *pool, unsigned long addr)
{
	struct gp_tcache *tc = cache_find(pool);

	return tc ? memo_chunk(pool, tc, addr) : NULL;
}

/* ------------------------------------------------------------------------ */
/* Pool lifetime, configuration, flush, accounting                          */

int gp_tcache_init(struct gen_pool *pool)
{
	struct gp_tcache_pool *tp = aligned_alloc(GP_CACHELINE, sizeof(*tp));

	if (!tp)
		return -ENOMEM;
	memset(tp, 0, sizeof(*tp));
	depot_init(tp);
	tp->max_granules = GP_TC_DEFAULT_MAX;
	tp->rounds = GP_TC_DEFAULT_ROUNDS;
	pthread_mutex_lock(&registry);
	tp->id = ++next_pool_id;
	pthread_mutex_unlock(&registry);
	pool->tcache = tp;
	return 0;
}

void gp_tcache_drain_all(struct gen_pool *pool)
{
	struct gp_tcache *tc;

	if (!pool->tcache)
		return;
	pthread_mutex_lock(&registry); /* against thread_exit of a cache's owner */
	for (tc = pool->tcache->caches; tc; tc = tc->pool_next)
		cache_release(tc);
	pthread_mutex_unlock(&registry);
	depot_release(pool);
}

void gp_tcache_fini(struct gen_pool *pool)
{
	struct gp_tcache_pool *tp = pool->tcache;
	struct gp_tcache *tc;
	unsigned long k;

	if (!tp)
		return;
	pthread_mutex_lock(&registry);
	while ((tc = tp->caches)) {
		for (k = 1; k <= tc->max_granules; k++) {
			free(tc->cls[k - 1].loaded);
			free(tc->cls[k - 1].prev);
		}
		tc->dead = true; /* its owner frees the struct (T4) */
		cache_unlink_locked(tc);
	}
	sweep_dead_locked(); /* the calling thread's own, now */
	pthread_mutex_unlock(&registry);
	for (k = 1; k <= GP_TC_MAX_CLASSES; k++) {
		GP_BUG_ON(!CK_STACK_ISEMPTY(&depot_of(tp, k)->full)); /* drained first */
		mag_free_list(depot_take_all(&depot_of(tp, k)->empty));
	}
	free(tp);
	pool->tcache = NULL;
}

bool gp_tcache_serves(struct gen_pool *pool, unsigned long nbits)
{
	/* relaxed: frozen before the first cache; a racing configure is
	 * tolerated by gp_tcache_alloc/free (they check their cache's copy) */
	return pool->tcache && nbits <= gp_atomic_load_relaxed(&pool->tcache->max_granules);
}

int gen_pool_cache_configure(struct gen_pool *pool, unsigned int max_granules,
			     unsigned int rounds)
{
	bool busy;

	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	if (!pool->tcache)
		return GP_REFUSE_POOL(pool, EINVAL, "pool was not created with GEN_POOL_THREAD_CACHE");
	if (max_granules < 1 || max_granules > GP_TC_MAX_CLASSES)
		return GP_REFUSE_POOL(pool, EINVAL, "max_granules %u is outside 1..%d", max_granules,
				 GP_TC_MAX_CLASSES);
	if (rounds < 1 || rounds > GP_TC_MAX_ROUNDS)
		return GP_REFUSE_POOL(pool, EINVAL, "rounds %u is outside 1..%d", rounds, GP_TC_MAX_ROUNDS);
	pthread_mutex_lock(&registry);
	busy = pool->tcache->frozen;
	if (!busy) {
		/* relaxed: read by serves() without the lock */
		gp_atomic_store_relaxed(&pool->tcache->max_granules, max_granules);
		gp_atomic_store_relaxed(&pool->tcache->rounds, rounds);
	}
	pthread_mutex_unlock(&registry);
	if (busy)
		return GP_REFUSE(EBUSY, "the pool's caches are in use; configuration unchanged");
	return 0;
}

void gp_tcache_flush(struct gen_pool *pool)
{
	struct gp_tcache *tc;

	if (!pool->tcache)
		return;
	tc = cache_find(pool);
	if (tc)
		cache_release(tc);
	depot_release(pool);
}

void gen_pool_cache_flush(struct gen_pool *pool)
{
	struct gp_tcache *tc;

	if (!pool) {
		(void)GP_REFUSE(EINVAL, "pool is NULL");
		return;
	}
	if (!pool->tcache)
		return;
	/* relaxed: see cache_get; other threads act on it at their next call */
	gp_atomic_add_relaxed(&pool->tcache->flush_gen, 1);
	tc = cache_find(pool);
	if (tc)
		tc->flush_seen = gp_atomic_load_relaxed(&pool->tcache->flush_gen);
	gp_tcache_flush(pool);
}

size_t gp_tcache_cached_bytes(struct gen_pool *pool)
{
	struct gp_tcache_pool *tp = pool->tcache;
	struct gp_tcache *tc;
	size_t granules;

	if (!tp)
		return 0;
	pthread_mutex_lock(&registry);
	granules = gp_atomic_load_relaxed(&tp->depot_granules);
	for (tc = tp->caches; tc; tc = tc->pool_next)
		granules += get_cached(tc);
	pthread_mutex_unlock(&registry);
	return granules << pool->min_alloc_order;
}

/* ------------------------------------------------------------------------ */
/* fork (fork.c): the registry is held across fork by the forking thread    */

void gp_tcache_fork_lock(void)
{
	pthread_mutex_lock(&registry);
}

void gp_tcache_fork_unlock(void)
{
	pthread_mutex_unlock(&registry);
}

/*
 * In the child, registry held, only the forking thread alive: every cache
 * of @pool that is not this thread's belonged to a thread that does not
 * exist here and whose exit will never run, so it goes back now (T4: it is
 * touched by nobody else). A range another thread was moving at the
 * instant of fork (between a depot pop and its magazine's use) is lost to
 * the child, as a malloc'ed block in flight is.
 */
void gp_tcache_fork_child(struct gen_pool *pool)
{
	struct gp_tcache *tc, *next, *mine;

	if (!pool->tcache)
		return;
	for (tc = pool->tcache->caches; tc; tc = next) {
		next = tc->pool_next;
		for (mine = tl_caches; mine && mine != tc; mine = mine->thread_next)
			;
		if (mine)
			continue;
		cache_retire_locked(tc);
		free(tc);
	}
}

/* The depot for the layers (src/layers/layer.h): the object caches keep     */
/* their per-thread magazines in struct gp_mag and trade them through the    */
/* same stacks. A layer's magazine holds addresses only (round.chunk NULL).  */

struct gp_depot {
	struct gp_depot_class cls;
};

struct gp_mag *gp_mag_new(unsigned int rounds)
{
	return mag_new(rounds);
}

void gp_mag_free(struct gp_mag *m)
{
	free(m);
}

unsigned int gp_mag_count(const struct gp_mag *m)
{
	return m->n;
}

unsigned long gp_mag_pop(struct gp_mag *m)
{
	return m->round[--m->n].addr;
}

void gp_mag_push(struct gp_mag *m, unsigned long addr)
{
	m->round[m->n].addr = addr;
	m->round[m->n].chunk = NULL;
	m->n++;
}

/* The next magazine of a list that depot_take_all detached (the caller's own). */
struct gp_mag *gp_mag_next(const struct gp_mag *m)
{
	return mag_of(m->link.next);
}

struct gp_depot *gp_depot_new(void)
{
	struct gp_depot *d = aligned_alloc(GP_CACHELINE, sizeof(*d));

	if (d) {
		memset(d, 0, sizeof(*d));
		depot_class_init(&d->cls);
	}
	return d;
}

void gp_depot_free(struct gp_depot *d)
{
	if (!d)
		return;
	GP_BUG_ON(!CK_STACK_ISEMPTY(&d->cls.full)); /* the caller took them first */
	mag_free_list(depot_take_all(&d->cls.empty));
	free(d);
}

void gp_depot_put_full(struct gp_depot *d, struct gp_mag *m)
{
	depot_push(&d->cls.full, m);
}

struct gp_mag *gp_depot_get_full(struct gp_depot *d)
{
	return depot_pop(&d->cls.full);
}

void gp_depot_put_empty(struct gp_depot *d, struct gp_mag *m)
{
	depot_push(&d->cls.empty, m);
}

struct gp_mag *gp_depot_get_empty(struct gp_depot *d, unsigned int rounds)
{
	struct gp_mag *m = depot_pop(&d->cls.empty);

	return m ? m : mag_new(rounds);
}

struct gp_mag *gp_depot_take_full(struct gp_depot *d)
{
	return depot_take_all(&d->cls.full);
}
