/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * replay.h - replay a trace (trace_read.h) against genpool or any other
 * allocator: the engine behind `genpool replay`, `genpool map` and the
 * replay benchmark (bench/wl_replay.c).
 *
 * A trace is first compiled into a program (replay_prog_build): one op per
 * allocation, free or chunk, with the recorded pointers replaced by dense
 * slot numbers (one per allocation, never reused), so that replaying costs
 * an array index and the allocator's own work, nothing else. A realloc
 * becomes an allocation of the new size followed by the free of the old
 * block (genpool has no realloc; every allocator is replayed the same way).
 *
 * Then either:
 * - replay_check: the verified replay into a fresh genpool pool, single
 *   threaded in the recorded interleaving, with a shadow bitmap: no two
 *   live ranges may overlap, every free must be accepted, an allocation
 *   that fails here but succeeded in the log is named (event, thread,
 *   size, pool state), and at the end every range is freed and the pool
 *   must be whole again;
 * - replay_run: the timed replay through a struct replay_alloc (genpool,
 *   glibc, jemalloc, ...), in the recorded interleaving on one thread or
 *   with the recorded threads spread over N threads (a free waits for its
 *   allocation, which the recorded order always puts earlier).
 *
 * Concurrency: a program is read-only once built and may be shared by any
 * number of runs; replay_run's worker threads share only the slot array
 * (each slot written once by its allocating op, release; read by its free,
 * acquire).
 */
#ifndef GP_TOOLS_REPLAY_H
#define GP_TOOLS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace_read.h"

enum replay_op_kind {
	RO_ALLOC,	/* slot = alloc(size, align); recorded as a success */
	RO_ALLOC_TRY,	/* recorded as a failure: tried, and freed at once if it works */
	RO_FREE,	/* free(slot) */
	RO_CHUNK,	/* pool traces: add chunk [addr, addr + size) */
};

struct replay_op {
	uint64_t size;		/* bytes asked (RO_CHUNK: chunk bytes) */
	uint64_t addr;		/* RO_CHUNK: chunk start; else the recorded address */
	uint32_t slot;		/* RO_ALLOC, RO_FREE */
	uint32_t thread;	/* recorded thread, 1.. */
	uint32_t event;		/* index of the record in the sorted trace */
	uint16_t align_log2;	/* RO_ALLOC: 0 = natural, else log2 of the alignment */
	uint8_t kind;		/* enum replay_op_kind */
	uint8_t pad;
};

struct replay_prog {
	struct replay_op *op;
	size_t nops;
	uint32_t nslots;	/* allocations (slots 0..nslots-1) */
	uint32_t nthreads;	/* highest recorded thread number */
	uint64_t *slot_size;	/* bytes of each slot's allocation */
	uint32_t *slot_event;	/* its record index */
	bool pool_source;	/* chunks come from RO_CHUNK ops */
	int order;		/* the pool trace's granule order, -1 for malloc */
	/* what the log itself says */
	size_t nallocs, nfrees, nreallocs, log_failed;
	size_t unmatched_frees;	/* free of a pointer never allocated (or already freed) */
	size_t reused_live;	/* an allocation at a still-live address (order race) */
	size_t skipped;		/* REMOVE/RELEASE and failed reallocs: not replayed */
	uint64_t peak_live_bytes;	/* bytes asked, at the log's peak */
	size_t peak_op;		/* op index right after the peak */
	uint64_t end_live_bytes;	/* bytes still live at the end (leaks) */
	uint32_t end_live_count;
};

/**
 * replay_prog_build - compile a loaded trace into a replay program
 * @t: the trace, sorted (gp_trace_load)
 * @p: filled; free with replay_prog_free
 * @err: a one-line reason on failure (no memory, no allocation at all)
 * @errlen: size of @err
 *
 * Return: 0 or -1.
 */
int replay_prog_build(const struct gp_trace *t, struct replay_prog *p, char *err, size_t errlen);
void replay_prog_free(struct replay_prog *p);

/**
 * replay_peak_granules - the log's peak of live granules at granule @order
 * @p: the program
 * @order: log2 of the granule (sizes rounded up, 0 bytes = 1 granule)
 *
 * Return: the peak, the least a pool must hold to replay without failing.
 */
uint64_t replay_peak_granules(const struct replay_prog *p, int order);

/* The genpool configuration of a checked replay. */
enum replay_algo { RA_FIRST, RA_BEST, RA_ALIGN, RA_SCALABLE };

struct replay_pool_cfg {
	enum replay_algo algo;
	unsigned long align;	/* RA_ALIGN: bytes, a power of two */
	bool cache;		/* GEN_POOL_THREAD_CACHE */
	int order;		/* granule order; -1: the trace's, or 6 for malloc traces */
	unsigned int slack_pct;	/* malloc traces: pool = peak x (100 + slack) / 100 */
};

/* What a checked replay found. */
struct replay_report {
	size_t ops, allocs, frees;
	size_t failed_new;	/* failed here, succeeded in the log: a finding */
	size_t failed_both;	/* failed here and in the log */
	size_t succeeded_new;	/* failed in the log, succeeded here (freed at once) */
	size_t overlaps;	/* live ranges that overlapped: a genpool bug */
	size_t refused_frees;	/* frees genpool refused: a genpool bug */
	uint64_t pool_bytes;
	int order;
	double ns_per_op;	/* the checked pass, checks included */
	uint64_t peak_used_bytes;	/* granules at the replay's peak, in bytes */
	double frag_at_peak;	/* 1 - largest free run / free bytes, at the peak */
	double log_frag_at_peak;	/* the same from the log's addresses; < 0: n/a */
	uint64_t end_used_bytes;	/* live at the end, before the final frees */
	uint32_t end_live;
	bool whole_at_end;	/* avail == size after freeing everything, destroy ok */
	char first_failure[400];	/* the first finding, named; "" if none */
};

/**
 * replay_check - the verified single-threaded replay into a fresh pool
 * @p: the program
 * @cfg: pool configuration
 * @r: filled
 * @progress: a terminal to draw a progress line on, or NULL
 * @findings: where to print each finding (one line each), or NULL
 * @err: a one-line reason when the pool cannot even be built
 * @errlen: size of @err
 *
 * Return: 0 when the replay ran (look at @r for findings), -1 with @err.
 */
int replay_check(const struct replay_prog *p, const struct replay_pool_cfg *cfg,
		 struct replay_report *r, FILE *progress, FILE *findings,
		 char *err, size_t errlen);

/**
 * replay_clean - did a checked replay find nothing wrong?
 * @r: a report from replay_check
 *
 * Return: no new failure, no overlap, no refused free, pool whole at the end.
 */
bool replay_clean(const struct replay_report *r);

/* An allocator for timed replays. */
struct replay_alloc {
	void *ctx;
	uintptr_t (*alloc)(void *ctx, size_t bytes, size_t align);	/* 0 on failure */
	int (*free)(void *ctx, uintptr_t addr, size_t bytes);
	void (*thread_init)(void *ctx);		/* optional, per worker thread */
	void (*thread_exit)(void *ctx);		/* optional */
};

struct replay_result {
	uint64_t elapsed_ns;	/* wall time of all ops */
	size_t ops;		/* alloc and free ops executed (chunks excluded) */
	size_t failed;		/* allocations that failed (the log's failures included) */
	uint64_t end_live_bytes;	/* bytes asked of what was live at the end */
};

/**
 * replay_run - the timed replay of a program through @a
 * @p: the program (pool traces: RO_CHUNK ops are skipped; give @a a region)
 * @a: the allocator
 * @nthreads: 1: the recorded interleaving on the calling thread; N > 1:
 *	recorded thread t runs on worker (t - 1) % N
 * @res: filled
 * @keep_live: when true, what was live at the end stays allocated and its
 *	addresses are left in *@live (caller frees); else it is freed, untimed
 * @live: see @keep_live; may be NULL when @keep_live is false
 *
 * Return: 0, or -1 when threads or memory could not be had.
 */
int replay_run(const struct replay_prog *p, const struct replay_alloc *a, unsigned int nthreads,
	       struct replay_result *res, bool keep_live, uintptr_t **live);

/* Granules of @bytes at @order (0 bytes is one granule, as for genpool). */
static inline uint64_t replay_granules(uint64_t bytes, int order)
{
	uint64_t partial = bytes & ((1ull << order) - 1);

	/* not (bytes + granule - 1) >> order, which wraps for sizes near 2^64 */
	return bytes ? (bytes >> order) + (partial != 0) : 1;
}

#endif /* GP_TOOLS_REPLAY_H */
