/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * allocator.h - the small interface every benchmarked allocator plugs into.
 *
 * The workloads (wl_*.c) know nothing else about an allocator. Sizes are
 * always bytes: a request of g granules is g << order bytes for everyone,
 * so a general-purpose allocator sees malloc(g << order) and the same
 * workload runs unchanged on a region allocator and on malloc.
 */
#ifndef BENCH_ALLOCATOR_H
#define BENCH_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A range of addresses handed to a region allocator. */
struct bench_region {
	uintptr_t base;
	size_t size;
	int order;	/* log2 of the granule */
	bool mapped;	/* backed by an mmap (else address space only) */
	unsigned int chunks;	/* genpool: add it as this many chunks (0, 1: one) */
};

/* Capabilities (bench_alloc.caps). */
#define BA_REGION	0x1u	/* manages the region it is given (else ignores it) */
#define BA_MEMORY	0x2u	/* the region must be mapped memory, it writes there */
#define BA_GENPOOL	0x4u	/* a genpool variant (for the ratio tables) */

struct bench_alloc {
	const char *name;	/* short, stable: used in benchmark names */
	const char *what;	/* one line for the JSON context */
	unsigned int caps;
	unsigned int gp_flags;	/* BA_GENPOOL: the gen_pool_create_flags() flags */

	/* 0 when usable in this process; else fills @why and returns -1. */
	int (*probe)(char *why, size_t len);
	/* A fresh allocator over @r (ignored without BA_REGION); NULL on failure. */
	void *(*init)(const struct bench_region *r);
	uintptr_t (*alloc)(void *ctx, size_t bytes);
	/* 0, or -1 when the allocator refused the free (a bug somewhere). */
	int (*free)(void *ctx, uintptr_t addr, size_t bytes);
	/* NULL when the allocator cannot align; @align is a power of two. */
	uintptr_t (*alloc_aligned)(void *ctx, size_t bytes, size_t align);
	/*
	 * Prefill only, NULL when unsupported: take exactly [addr, addr +
	 * bytes) of the region, so that a fill can be laid out directly
	 * instead of by a quadratic series of first-fit allocations.
	 */
	int (*claim)(void *ctx, uintptr_t addr, size_t bytes);
	/*
	 * Optional per-thread hooks, run by every worker thread outside the
	 * timed loop: the allocators here use thread_init to set up their
	 * per-thread state (urcu registration, thread caches) before timing.
	 */
	void (*thread_init)(void *ctx);
	void (*thread_exit)(void *ctx);
	/* 0 when everything came back and the allocator is gone. */
	int (*destroy)(void *ctx);
};

/* registry.c: every allocator this binary knows, in table order. */
extern const struct bench_alloc *const bench_allocs[];
extern const size_t bench_nr_allocs;

const struct bench_alloc *bench_alloc_find(const char *name);
/* Cached probe(): true when usable; @why (may be NULL) gets the reason. */
bool bench_alloc_usable(const struct bench_alloc *a, const char **why);

/* The allocators, one file each. */
extern const struct bench_alloc ba_genpool_lf, ba_genpool_lf_bf, ba_genpool_spin,
	ba_genpool_spin_bf, ba_genpool_mutex, ba_genpool_sc, ba_genpool_tc, ba_genpool_strict,
	ba_genpool_kfit, ba_genpool_ticket, ba_genpool_mcs, ba_genpool_tc16,
	ba_genpool_tcsc;
extern const struct bench_alloc ba_genpool_log; /* obs: the event log's cost */
extern const struct bench_alloc ba_memkind;
extern const struct bench_alloc ba_glibc;
extern const struct bench_alloc ba_jemalloc, ba_tcmalloc, ba_mimalloc;
extern const struct bench_alloc ba_genpool_oc, ba_genpool_rs; /* alloc_layers.c */

#ifdef __cplusplus
}
#endif

#endif /* BENCH_ALLOCATOR_H */
