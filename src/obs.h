/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * obs.h - what a pool carries for looking inside it: the statistics'
 * per-shard counters and the pool's event-log pointer (types only; the
 * hooks the entry points call are in stats.h and log.h).
 *
 * Concurrency contract: the counters of struct gp_stat_shard live on the
 * accounting shards of struct gp_shard (internal.h), one cache line per
 * thread slot, so counting never makes two threads write one line (unless
 * more threads than shards share a slot). Sums over the shards are exact
 * at quiescence. The high-water protocol and its proof are in stats.c; the
 * log's publication and retirement under RCU in log.c.
 */
#ifndef GP_OBS_H
#define GP_OBS_H

#include <pthread.h>

/*
 * One shard's counters (stats.h). allocs and frees have one writer, the
 * slot's own thread; threads that share the slot (beyond GP_NSHARDS
 * threads) count on the _shared twins with atomic adds.
 */
struct gp_stat_shard {
	long ceil;  /* this shard's part of high_water (stats.c): sum of ceil = high_water */
	unsigned long long allocs, frees; /* successful alloc / free entry points */
	unsigned long long allocs_shared, frees_shared;
	unsigned long long failed, refused; /* ENOMEM results; refused calls (atomic adds) */
};

struct gp_log; /* log.c */

/* Per pool. */
struct gp_obs {
	struct gp_log *log;    /* RCU-published; NULL: not logging (the fast path's one test) */
	pthread_mutex_t log_lock; /* serialises gen_pool_log_start / _stop of this pool */
	/* written only off the fast path, on a line of their own */
	int slack __attribute__((aligned(64))); /* some shard's ceil may exceed its live */
	int busy;     /* the high-water rebalance lock: tried, never waited for on alloc */
	int pending;  /* a raise asked for a rebalance (stats.c: combine) */
	unsigned long long imports, releases;   /* source traffic (gp_pool_count_import) */
};

#endif /* GP_OBS_H */
