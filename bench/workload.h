/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * workload.h - the harness's view of a workload, a job and a run.
 *
 * A workload is plain C over struct bench_alloc: setup (thread 0, before
 * the threads start), thread_begin and thread_end (every thread, outside
 * the timed loop), step (one timed iteration), report (thread 0, after
 * every thread has finished: extra counters) and teardown. Every thread
 * of a run executes the same number of steps (Google Benchmark's rule),
 * which lets a workload use the run's barrier inside a step.
 */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "allocator.h"
#include "fixture.h"
#include "harness.h"
#include "latency.h"

struct wl_params {
	size_t pool_bytes;
	int order;		/* log2 of the granule */
	double occupancy;	/* prefill (pair workloads) or target (bulk, frag), 0..1 */
	unsigned int fill_range; /* prefill ranges: 1..fill_range granules (fill.h) */
	unsigned int granules;	/* request size, or the largest one */
	size_t align;		/* aligned requests: bytes */
	unsigned int live;	/* random: ranges live over all threads */
	long total_ops;		/* fixed work per run (frag), 0: timed */
	unsigned int chunks;	/* genpool: the region as this many chunks (0, 1: one) */
};

#define WL_NEEDS_REGION	0x1u	/* meaningless without a region (frag, search) */
#define WL_NEEDS_ALIGN	0x2u
#define WL_NEEDS_GENPOOL	0x4u	/* chunks, metadata: genpool's own calls */

struct workload {
	const char *name;
	const char *op;		/* what one op is, for ops/s and ns/op */
	const char *lat;	/* what a latency sample times */
	bool pairs;		/* threads work in pairs: even counts only */
	bool lockstep;		/* every step waits for every thread (a barrier) */
	bool fail_is_op;	/* a refused alloc counts as an op (ok_per_s leaves it out) */
	unsigned int needs;
	int (*setup)(struct wl_run *run, char *why, size_t len);
	void (*thread_begin)(struct wl_run *run, struct wl_thread *t);
	void (*step)(struct wl_run *run, struct wl_thread *t);
	void (*thread_end)(struct wl_run *run, struct wl_thread *t);
	void (*report)(struct wl_run *run);
	void (*teardown)(struct wl_run *run);
};

struct wl_job {
	const struct workload *wl;
	const struct bench_alloc *a;
	struct wl_params p;
	char name[128];
	int threads[8];
	int nthreads;
	long iters;		/* fixed iterations per thread, 0: total_ops or timed */
	int reps;		/* fixed repetitions, 0: the command line's */
	_Atomic(struct wl_run *) live;	/* the run in progress, published by thread 0 */
};

struct wl_thread {
	int id;
	long iters;		/* steps this run */
	long i;			/* steps done so far (workloads that need it) */
	uint64_t ops, attempts, fails, tick;
	bool bad;		/* the allocator refused a free: a bug */
	uint64_t rng;
	struct lat_hist lat;	/* the workload's timed operation */
	struct lat_hist lat2;	/* frees, where a workload times them apart */
	void *priv;
	/* time-bounded runs of a pairs workload: the steps the even thread of
	 * the pair took before its deadline, -1 while it still steps (run.c) */
	_Atomic long stopped_at;
} __attribute__((aligned(64)));

struct wl_counter {
	const char *name;
	double value;
};

#define WL_MAX_COUNTERS 40

struct wl_run {
	struct wl_job *job;
	const struct workload *wl;
	const struct bench_alloc *a;
	const struct wl_params *p;
	struct fixture *fx;
	void *ctx;		/* the allocator (fx->ctx) */
	int nthreads;
	struct wl_thread *t;	/* [nthreads] */
	pthread_barrier_t barrier;
	atomic_int departed;
	/* time-bounded lockstep runs: the steps every thread takes, -1 until
	 * thread 0 passes its deadline (run.c, harness_keep_stepping) */
	_Atomic long stop_at;
	bool failed;		/* setup failed: nobody steps */
	char error[200];
	void *priv;
	struct wl_counter c[WL_MAX_COUNTERS];
	int nc;
};

/* Time this operation? One in LAT_EVERY, per thread. */
static inline bool wl_sampled(struct wl_thread *t)
{
	return (++t->tick & (LAT_EVERY - 1)) == 0;
}

void wl_counter(struct wl_run *run, const char *name, double value);
/* Give @run an empty pool of its params' size and order (a new one if @fresh). */
int wl_attach_empty(struct wl_run *run, bool fresh, char *why, size_t len);
/* Record a refused free: the run is reported as an error. */
void wl_bad_free(struct wl_run *run, struct wl_thread *t, uintptr_t addr, size_t bytes);

extern const struct workload wl_hot_pair, wl_search, wl_align, wl_bulk, wl_xfree, wl_random,
	wl_frag, wl_bulk_big, wl_chunks, wl_meta, wl_far_run;
extern const struct workload wl_import, wl_churn; /* wl_lifecycle.c (issue 12) */
/* wl_layers.c: the layers over the pool (object caches, reserves) */
#define BENCH_OBJ_BYTES 64
extern const struct workload wl_obj_pair, wl_obj_meta, wl_rs_exhaust, wl_rs_wake;

#endif /* BENCH_WORKLOAD_H */
