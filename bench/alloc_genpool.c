// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * alloc_genpool.c - genpool's variants behind the benchmark interface.
 *
 *   genpool_lf       lock-free pool, first fit (the default);
 *   genpool_lf_bf    lock-free pool, best fit;
 *   genpool_spin     GEN_POOL_SPINLOCK pool, first fit: the same code with
 *                    the pool lock held around alloc/free (the A/B baseline);
 *   genpool_spin_bf  GEN_POOL_SPINLOCK pool, best fit;
 *   genpool_ticket   GEN_POOL_LOCK_TICKET pool, first fit: the same code under
 *                    Concurrency Kit's ticket lock (FIFO);
 *   genpool_mcs      GEN_POOL_LOCK_MCS pool, first fit: under CK's MCS queue lock;
 *   genpool_mutex    the lock-free pool behind a pthread mutex taken by the
 *                    caller: what a careful user without lock-free code does;
 *   genpool_sc       lock-free pool, gen_pool_scalable_fit (per-thread start);
 *   genpool_tc       GEN_POOL_THREAD_CACHE pool, default algorithm (first fit);
 *   genpool_tc16     the same, its cache configured for 1..16 granules
 *   genpool_tcsc     a cache pool (1..8 granules) with scalable fit as its
 *                    default: the uncached sizes spread over the chunk
 *                    (gen_pool_cache_configure; the default is 1..8): what a
 *                    user whose requests run to 16 granules would set;
 *   genpool_strict   GEN_POOL_STRICT pool, first fit (boundary maps);
 *   genpool_log      genpool_lf with its event log on (gen_pool_log_start) to
 *                    $GENPOOL_BENCH_LOG, by default /dev/null: what recording
 *                    costs the caller (records, buffers, write calls), not
 *                    the disk; set the variable to a file to include it;
 *   genpool_kfit     lock-free pool whose allocations name bench_kernel_first_fit
 *                    (below): the kernel's gen_pool_first_fit, a linear word
 *                    scan of the live bitmap from bit 0 that cannot see the
 *                    engine's summaries: the "kernel-style first fit" reference
 *                    of issue 5, run in the same process.
 *
 * The region is address space only: genpool never touches it. A region
 * with chunks > 1 is added as that many chunks of equal size (the last
 * takes the rest); such pools are only used empty (claim refuses them).
 *
 * gen_pool_scalable_fit and gen_pool_cache_flush are weak references, so
 * that gbench links against a libgenpool that does not have them yet: the
 * allocators that need them then say "not built" and are left out.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genpool.h>

#include "allocator.h"

#pragma weak gen_pool_scalable_fit
#pragma weak gen_pool_cache_flush
#pragma weak gen_pool_log_start

struct gp_ctx {
	struct gen_pool *pool;
	pthread_mutex_t lock;	/* genpool_mutex only */
	bool locked;
	unsigned int chunks;
	uintptr_t base;
};

/* @r as @r->chunks chunks of equal size (whole granules; the last takes the rest). */
static int gp_add_chunks(struct gen_pool *pool, const struct bench_region *r)
{
	unsigned int n = r->chunks > 1 ? r->chunks : 1;
	size_t per = (r->size / n) & ~(((size_t)1 << r->order) - 1);

	if (!per)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		size_t size = i == n - 1 ? r->size - (size_t)i * per : per;

		if (gen_pool_add(pool, r->base + (size_t)i * per, size, -1))
			return -1;
	}
	return 0;
}

static void *gp_init(const struct bench_region *r, unsigned int flags, genpool_algo_t algo,
		     bool locked)
{
	struct gp_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pool = gen_pool_create_flags(r->order, -1, flags);
	if (!c->pool || gp_add_chunks(c->pool, r)) {
		gen_pool_destroy(c->pool);
		free(c);
		return NULL;
	}
	if (algo)
		gen_pool_set_algo(c->pool, algo, NULL);
	c->locked = locked;
	c->chunks = r->chunks > 1 ? r->chunks : 1;
	c->base = r->base;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void *init_lf(const struct bench_region *r)
{
	return gp_init(r, 0, gen_pool_first_fit, false);
}

static void *init_lf_bf(const struct bench_region *r)
{
	return gp_init(r, 0, gen_pool_best_fit, false);
}

static void *init_spin(const struct bench_region *r)
{
	return gp_init(r, GEN_POOL_SPINLOCK, gen_pool_first_fit, false);
}

static void *init_spin_bf(const struct bench_region *r)
{
	return gp_init(r, GEN_POOL_SPINLOCK, gen_pool_best_fit, false);
}

static void *init_ticket(const struct bench_region *r)
{
	return gp_init(r, GEN_POOL_LOCK_TICKET, gen_pool_first_fit, false);
}

static void *init_mcs(const struct bench_region *r)
{
	return gp_init(r, GEN_POOL_LOCK_MCS, gen_pool_first_fit, false);
}

static void *init_mutex(const struct bench_region *r)
{
	return gp_init(r, 0, gen_pool_first_fit, true);
}

static void *init_sc(const struct bench_region *r)
{
	return gp_init(r, 0, gen_pool_scalable_fit, false);
}

/* The pool's default algorithm, untouched: what a cache pool user gets. */
static void *init_tc(const struct bench_region *r)
{
	return gp_init(r, GEN_POOL_THREAD_CACHE, NULL, false);
}

#define TC16_ROUNDS 16 /* ranges per magazine: the pool's default */

/* A cache pool set up for requests of up to 16 granules (the default is 8). */
static void *init_tc16(const struct bench_region *r)
{
	struct gp_ctx *c = gp_init(r, GEN_POOL_THREAD_CACHE, NULL, false);

	if (c && gen_pool_cache_configure(c->pool, 16, TC16_ROUNDS)) {
		gen_pool_destroy(c->pool);
		free(c);
		return NULL;
	}
	return c;
}

/* A cache pool whose uncached requests take scalable fit (the default stays first fit). */
static void *init_tcsc(const struct bench_region *r)
{
	return gp_init(r, GEN_POOL_THREAD_CACHE, gen_pool_scalable_fit, false);
}

static void *init_strict(const struct bench_region *r)
{
	return gp_init(r, GEN_POOL_STRICT, gen_pool_first_fit, false);
}

static const char *log_path(void)
{
	const char *p = getenv("GENPOOL_BENCH_LOG");

	return p && *p ? p : "/dev/null";
}

static void *init_log(const struct bench_region *r)
{
	struct gp_ctx *c = gp_init(r, 0, gen_pool_first_fit, false);
	int err = c ? gen_pool_log_start(c->pool, log_path()) : 0;

	if (err)
		fprintf(stderr, "bench: gen_pool_log_start(%s): %d\n", log_path(), err);
	return c; /* destroy stops the log */
}

static int probe_log(char *why, size_t len)
{
	if (gen_pool_log_start)
		return 0;
	snprintf(why, len, "not built: this libgenpool has no event log");
	return -1;
}

static int probe_sc(char *why, size_t len)
{
	if (gen_pool_scalable_fit)
		return 0;
	snprintf(why, len, "not built: this libgenpool has no gen_pool_scalable_fit");
	return -1;
}

static int probe_tc(char *why, size_t len)
{
	struct gen_pool *pool = gen_pool_create_flags(12, -1, GEN_POOL_THREAD_CACHE);

	if (pool) {
		gen_pool_destroy(pool);
		return 0;
	}
	snprintf(why, len, "not built: gen_pool_create_flags(GEN_POOL_THREAD_CACHE) refused: %s",
		 strerror(errno));
	return -1;
}

/*
 * The kernel's gen_pool_first_fit, i.e. bitmap_find_next_zero_area(map,
 * size, start, nr, 0) over find_next_zero_bit / find_next_bit: a linear
 * scan of the live bitmap, one word at a time, from @start (0: genpool
 * passes the chunk start, as the kernel does). A custom algorithm sees only
 * the bitmap, so this pays the kernel's search cost whatever summaries the
 * engine keeps. Other threads change the words: relaxed atomic loads (the
 * claim that follows checks again, as for every genpool_algo_t).
 */
#define KBITS (sizeof(unsigned long) * CHAR_BIT)

static unsigned long k_find_next(const unsigned long *map, unsigned long size,
				 unsigned long start, unsigned long invert)
{
	unsigned long i, n, w;

	if (start >= size)
		return size;
	i = start / KBITS;
	n = (size + KBITS - 1) / KBITS;
	w = (__atomic_load_n(&map[i], __ATOMIC_RELAXED) ^ invert) & (~0UL << (start % KBITS));
	while (!w) {
		if (++i >= n)
			return size;
		w = __atomic_load_n(&map[i], __ATOMIC_RELAXED) ^ invert;
	}
	i = i * KBITS + (unsigned long)__builtin_ctzl(w);
	return i < size ? i : size;
}

unsigned long bench_kernel_first_fit(unsigned long *map, unsigned long size, unsigned long start,
				     unsigned int nr, void *data, struct gen_pool *pool,
				     unsigned long start_addr);

unsigned long bench_kernel_first_fit(unsigned long *map, unsigned long size, unsigned long start,
				     unsigned int nr, void *data, struct gen_pool *pool,
				     unsigned long start_addr)
{
	unsigned long index, end, i;

	(void)data;
	(void)pool;
	(void)start_addr;
	for (;;) {
		index = k_find_next(map, size, start, ~0UL); /* find_next_zero_bit */
		end = index + nr;
		if (end > size)
			return end;
		i = k_find_next(map, end, index, 0); /* find_next_bit */
		if (i >= end)
			return index;
		start = i + 1;
	}
}

static void *init_kfit(const struct bench_region *r)
{
	return gp_init(r, 0, gen_pool_first_fit, false);
}

static uintptr_t kfit_alloc(void *ctx, size_t bytes)
{
	struct gp_ctx *c = ctx;

	return gen_pool_alloc_algo(c->pool, bytes, bench_kernel_first_fit, NULL);
}

static void lock(struct gp_ctx *c)
{
	if (c->locked)
		pthread_mutex_lock(&c->lock);
}

static void unlock(struct gp_ctx *c)
{
	if (c->locked)
		pthread_mutex_unlock(&c->lock);
}

static uintptr_t gp_alloc(void *ctx, size_t bytes)
{
	struct gp_ctx *c = ctx;
	uintptr_t addr;

	lock(c);
	addr = gen_pool_alloc(c->pool, bytes);
	unlock(c);
	return addr;
}

static int gp_free(void *ctx, uintptr_t addr, size_t bytes)
{
	struct gp_ctx *c = ctx;
	int ret;

	lock(c);
	ret = gen_pool_free(c->pool, addr, bytes);
	unlock(c);
	return ret ? -1 : 0;
}

/* The DMA-style call a driver would make: first_fit_align underneath. */
static uintptr_t gp_alloc_aligned(void *ctx, size_t bytes, size_t align)
{
	struct gp_ctx *c = ctx;
	dma_addr_t dma;
	void *p;

	if (align > (size_t)1 << 30)	/* genpool_data_align.align is an int */
		return 0;
	lock(c);
	p = gen_pool_dma_alloc_align(c->pool, bytes, &dma, (int)align);
	unlock(c);
	return (uintptr_t)p;
}

/* Prefill: fixed_alloc takes exactly the offset asked for, or nothing. */
static int gp_claim(void *ctx, uintptr_t addr, size_t bytes)
{
	struct gp_ctx *c = ctx;
	struct genpool_data_fixed fixed = { .offset = addr - c->base };

	if (c->chunks > 1) /* offsets are per chunk: multi-chunk pools are used empty */
		return -1;
	return gen_pool_alloc_algo(c->pool, bytes, gen_pool_fixed_alloc, &fixed) == addr ? 0 : -1;
}

/*
 * A query in an RCU read section registers the thread with liburcu-bp now,
 * outside the timed loop, rather than on its first timed alloc.
 */
static void gp_thread_init(void *ctx)
{
	struct gp_ctx *c = ctx;

	(void)gen_pool_avail(c->pool);
}

/* A cache pool: give this thread's cache back when it leaves the run. */
static void tc_thread_exit(void *ctx)
{
	struct gp_ctx *c = ctx;

	if (gen_pool_cache_flush)
		gen_pool_cache_flush(c->pool);
}

static int gp_destroy(void *ctx)
{
	struct gp_ctx *c = ctx;
	int ret = gen_pool_destroy(c->pool);

	if (ret) {
		fprintf(stderr, "bench: gen_pool_destroy: %d (ranges still out)\n", ret);
		return -1;
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
	return 0;
}

#define GENPOOL_ALLOC_EX(id, alloc_name, initfn, desc, flags, probefn, allocfn, exitfn)        \
	const struct bench_alloc id = {                                                            \
		.name = alloc_name,                                                                \
		.what = desc,                                                                      \
		.caps = BA_REGION | BA_GENPOOL,                                                    \
		.gp_flags = flags,                                                                 \
		.probe = probefn,                                                                  \
		.init = initfn,                                                                    \
		.alloc = allocfn,                                                                  \
		.free = gp_free,                                                                   \
		.alloc_aligned = gp_alloc_aligned,                                                 \
		.claim = gp_claim,                                                                 \
		.thread_init = gp_thread_init,                                                     \
		.thread_exit = exitfn,                                                             \
		.destroy = gp_destroy,                                                             \
	}
#define GENPOOL_ALLOC(id, alloc_name, initfn, desc, flags)                                         \
	GENPOOL_ALLOC_EX(id, alloc_name, initfn, desc, flags, NULL, gp_alloc, NULL)

GENPOOL_ALLOC(ba_genpool_lf, "genpool_lf", init_lf, "genpool lock-free pool, first fit", 0);
GENPOOL_ALLOC(ba_genpool_lf_bf, "genpool_lf_bf", init_lf_bf, "genpool lock-free pool, best fit",
	      0);
GENPOOL_ALLOC(ba_genpool_spin, "genpool_spin", init_spin,
	      "genpool GEN_POOL_SPINLOCK pool, first fit", GEN_POOL_SPINLOCK);
GENPOOL_ALLOC(ba_genpool_spin_bf, "genpool_spin_bf", init_spin_bf,
	      "genpool GEN_POOL_SPINLOCK pool, best fit", GEN_POOL_SPINLOCK);
GENPOOL_ALLOC(ba_genpool_ticket, "genpool_ticket", init_ticket,
	      "genpool GEN_POOL_LOCK_TICKET pool (CK ticket lock), first fit", GEN_POOL_LOCK_TICKET);
GENPOOL_ALLOC(ba_genpool_mcs, "genpool_mcs", init_mcs,
	      "genpool GEN_POOL_LOCK_MCS pool (CK MCS lock), first fit", GEN_POOL_LOCK_MCS);
GENPOOL_ALLOC(ba_genpool_mutex, "genpool_mutex", init_mutex,
	      "genpool lock-free pool behind a caller's pthread mutex, first fit", 0);
GENPOOL_ALLOC(ba_genpool_strict, "genpool_strict", init_strict,
	      "genpool GEN_POOL_STRICT pool, first fit", GEN_POOL_STRICT);
GENPOOL_ALLOC_EX(ba_genpool_sc, "genpool_sc", init_sc,
		 "genpool lock-free pool, gen_pool_scalable_fit", 0, probe_sc, gp_alloc, NULL);
GENPOOL_ALLOC_EX(ba_genpool_tc, "genpool_tc", init_tc,
		 "genpool GEN_POOL_THREAD_CACHE pool, default algorithm (first fit)",
		 GEN_POOL_THREAD_CACHE, probe_tc, gp_alloc, tc_thread_exit);
GENPOOL_ALLOC_EX(ba_genpool_tc16, "genpool_tc16", init_tc16,
		 "genpool GEN_POOL_THREAD_CACHE pool, default algorithm, cache for 1..16 granules",
		 GEN_POOL_THREAD_CACHE, probe_tc, gp_alloc, tc_thread_exit);
GENPOOL_ALLOC_EX(ba_genpool_tcsc, "genpool_tcsc", init_tcsc,
		 "genpool GEN_POOL_THREAD_CACHE pool, scalable fit as its default (gen_pool_set_algo)",
		 GEN_POOL_THREAD_CACHE, probe_tc, gp_alloc, tc_thread_exit);
GENPOOL_ALLOC_EX(ba_genpool_log, "genpool_log", init_log,
		 "genpool lock-free pool, first fit, event log on (to $GENPOOL_BENCH_LOG or "
		 "/dev/null)", 0, probe_log, gp_alloc, NULL);
/* Aligned requests would go through first_fit_align (the engine's): none. */
const struct bench_alloc ba_genpool_kfit = {
	.name = "genpool_kfit",
	.what = "genpool lock-free pool, allocations through bench_kernel_first_fit (the kernel's "
		"gen_pool_first_fit: linear word scan of the live bitmap, no summaries)",
	.caps = BA_REGION | BA_GENPOOL,
	.init = init_kfit,
	.alloc = kfit_alloc,
	.free = gp_free,
	.claim = gp_claim,
	.thread_init = gp_thread_init,
	.destroy = gp_destroy,
};
