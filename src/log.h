/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * log.h - the event log's hooks for the entry points (log.c).
 *
 * Logging off costs the entry points one relaxed load of pool->obs.log and
 * one branch predicted not taken (gp_log_on). Logging on, the hooks enter
 * an RCU read-side section, load the log again, and append one record to
 * the calling thread's buffer for that log; no lock and no shared atomic
 * per record. Record times follow docs/trace-format.md: an allocation's
 * clock is read after it succeeded (inside gp_log_alloc), a free's before
 * it released anything (the caller reads gp_log_clock() first).
 */
#ifndef GP_LOG_H
#define GP_LOG_H

#include <stdint.h>

#include "atomic.h"
#include "internal.h"
#include "trace_format.h"

static inline bool gp_log_on(struct gen_pool *pool)
{
	/* relaxed: only a hint; the hooks load it again inside their section */
	return __builtin_expect(gp_atomic_load_relaxed(&pool->obs.log) != NULL, 0);
}

/* CLOCK_MONOTONIC in ns: a free's time, read before it releases anything. */
uint64_t gp_log_clock(void) GP_HIDDEN;

/*
 * An alloc entry point's outcome: @size bytes asked with @algo/@data (NULL
 * algo: the pool's default), @cached when the thread cache served it; @addr
 * the result, @res an enum gp_trace_result.
 */
void gp_log_alloc(struct gen_pool *pool, size_t size, genpool_algo_t algo, void *data,
		  bool cached, unsigned long addr, unsigned int res) GP_HIDDEN;
/* A free of [@addr, @addr + @size) whose clock was read at @t_ns. */
void gp_log_free(struct gen_pool *pool, uint64_t t_ns, unsigned long addr, size_t size,
		 unsigned int res) GP_HIDDEN;
/*
 * A chunk event (GP_TR_ADD, _REMOVE, _IMPORT, _RELEASE): its start, size in
 * bytes and @aux (ADD: the physical address). For the lifecycle calls:
 * call it while the change is being published (under pool->lock for add
 * and remove), so that a log starting at that moment records it once.
 */
void gp_log_chunk(struct gen_pool *pool, unsigned int type, unsigned long addr, size_t size,
		  uint64_t aux, unsigned int res) GP_HIDDEN;

/* GENPOOL_LOG at create; a log still running at destroy is stopped. */
void gp_log_at_create(struct gen_pool *pool) GP_HIDDEN;
void gp_log_at_destroy(struct gen_pool *pool) GP_HIDDEN;

#endif /* GP_LOG_H */
