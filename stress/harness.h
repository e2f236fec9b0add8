/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * harness.h - the genpool stress harness (stress/genpool_stress): shared
 * state of one run and the prototypes its files share.
 *
 * One run = one configuration (pool kind x memory mode) for a time or op
 * budget. Files: main.c (options, runs, report), region.c (chunks: mmap'd
 * with guard pages, or address-only at the top of the address space),
 * shadow.c (ownership map and data pattern), worker.c (the operation mix),
 * checkpoint.c (quiescent checks, parking, watchdog).
 *
 * The shadow map has one word per granule holding the tag of the
 * allocation that owns it (0 = free). Its accesses are relaxed atomics
 * only, so it never orders anything: any happens-before that ThreadSanitizer
 * sees between two owners of a granule comes from genpool itself.
 */
#ifndef STRESS_HARNESS_H
#define STRESS_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genpool.h"

#define ST_MAX_THREADS 64
#define ST_MAX_CHUNKS 8   /* initial chunks plus those added during a run */
#define ST_INITIAL_CHUNKS 3
#define ST_MAX_LIVE 48    /* live ranges per thread */
#define ST_NSLOTS 16      /* cross-thread exchange slots */
#define ST_MAX_MESSAGES 25

enum st_mode { ST_MEM, ST_TOP };

struct st_config {
	unsigned int threads;
	double seconds;        /* per run */
	unsigned long ops;     /* per run, all threads; 0 = no limit */
	uint64_t seed;
	int algo;              /* index into st_algos, or -1 for the mix */
	int order;             /* min_alloc_order */
	unsigned int flags;    /* gen_pool_create_flags */
	const char *kind;      /* "lock-free", "spinlock", "strict", "cache", "ticket", "mcs" */
	enum st_mode mode;
	double checkpoint_every; /* seconds between quiescent checkpoints */
	double watchdog;       /* seconds without progress that fail the run */
	bool stop_on_failure;  /* end the run at the first failure */
	bool inject_hang;      /* test of the watchdog: every worker hangs */
};

/* One chunk of the pool, as the harness knows it. */
struct st_chunk {
	unsigned long base;      /* first byte */
	unsigned long granules;
	phys_addr_t phys;
	unsigned long *shadow;   /* granules words: owner tag or 0 */
	void *map;               /* ST_MEM: the whole mapping, guards included */
	size_t map_len;
};

/* A live allocation. @tag is unique per allocation: thread id and sequence. */
struct st_range {
	unsigned long addr;
	size_t size;        /* bytes as requested; rounds up to @nr granules */
	unsigned long nr;
	uint64_t tag;
	unsigned int chunk;
};

struct st_counters {
	unsigned long ops, allocs, frees, passes, queries, refusals, enomem, adds;
};

struct st_worker {
	pthread_t thread;
	unsigned int id;
	uint64_t rng;
	uint64_t seq;
	unsigned long ops_done; /* read by the watchdog: relaxed atomics */
	struct st_counters n;
	struct st_range live[ST_MAX_LIVE];
	int nlive;
};

/* Failures, by kind; each is a count in the JSON line. */
enum st_fail { ST_OVERLAP, ST_PATTERN, ST_CHECKPOINT, ST_WATCHDOG, ST_OTHER, ST_NFAIL };

struct st_run {
	struct st_config cfg;
	struct gen_pool *pool;
	struct st_chunk chunks[ST_MAX_CHUNKS];
	unsigned int nchunks; /* release-stored after a descriptor is filled */
	unsigned int added;   /* release-stored after gen_pool_add returned */
	unsigned long granule;
	double start, deadline;
	unsigned long ops_total; /* relaxed; for --ops */
	struct st_range *slots[ST_NSLOTS]; /* exchange: acq_rel swaps */
	unsigned long fails[ST_NFAIL];     /* relaxed */
	unsigned long checkpoints, checkpoint_steps;
	int stop;                          /* relaxed; set by st_fail */
	struct st_worker workers[ST_MAX_THREADS];
};

extern struct st_run st; /* the current run */

struct st_algo {
	const char *name;
	genpool_algo_t algo;
};
extern const struct st_algo st_algos[];
extern const unsigned int st_nalgos;

/* main.c */
double st_now(void);
void st_fail(enum st_fail kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t st_rand(uint64_t *state);
void st_report(void); /* the summary and the JSON line of this run */

/* region.c */
int st_region_setup(void);
int st_region_add_one(void); /* one more chunk, published to the pool */
void st_region_teardown(void);
unsigned int st_region_count(void); /* descriptors: >= chunks in the pool */
unsigned int st_region_added(void); /* chunks surely in the pool */
int st_region_find(unsigned long addr); /* chunk index, or -1 */
unsigned long st_region_foreign_addr(uint64_t r); /* in no chunk */

/* shadow.c */
bool st_shadow_claim(const struct st_range *r);
void st_shadow_release(const struct st_range *r);
void st_pattern_write(const struct st_range *r);
void st_pattern_verify(const struct st_range *r);
/* First index of the longest run of free granules of chunk @c; length in @len. */
unsigned long st_shadow_longest_free(unsigned int c, unsigned long *len);

/* worker.c */
void *st_worker_main(void *arg);
void st_range_free(struct st_worker *w, const struct st_range *r);
bool st_refusal_expected(void); /* this thread is making a call that must be refused */
void st_expect_refusal(bool on); /* around such calls */

/* algo_toggle.c: the pool's default made invalid for a moment (issue 11) */
void st_algo_toggle(struct st_worker *w);
/* gen_pool_dma_alloc, judged against the toggling; 0 with EINVAL once judged */
void *st_default_alloc(size_t size, dma_addr_t *dma);

/* checkpoint.c */
void st_park_init(void);
void st_park_point(void);  /* workers: park here while a checkpoint runs */
void st_worker_exit(void); /* a finished worker no longer parks */
void st_checkpoint(bool final);
void st_check_stats(size_t avail, size_t size); /* stats_check.c */
void st_controller_loop(void); /* until every worker is done */
void st_watchdog_start(void);
void st_watchdog_stop(void);

#endif /* STRESS_HARNESS_H */
