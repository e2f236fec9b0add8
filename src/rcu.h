/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rcu.h - genpool's use of liburcu's bulletproof (bp) flavour.
 *
 * bp needs no thread registration: the first read lock of a thread
 * registers it, so callers never do. Read-side sections are kept to one
 * chunk walk. Outside sanitizer builds the fast paths are inlined
 * (_LGPL_SOURCE, set by the build); under sanitizers they are called out of
 * line and the grace period is annotated for ThreadSanitizer, which cannot
 * see urcu 0.13's inline-asm barriers: every read-side section releases a
 * token before it unlocks, and synchronize acquires it after the grace
 * period, which is exactly the ordering urcu guarantees.
 */
#ifndef GP_RCU_H
#define GP_RCU_H

#include <urcu/urcu-bp.h>

#include "tsan.h"

#ifdef GP_TSAN
extern char gp_rcu_tsan_token __attribute__((visibility("hidden")));
#define GP_TSAN_RELEASE() __tsan_release(&gp_rcu_tsan_token)
#define GP_TSAN_ACQUIRE() __tsan_acquire(&gp_rcu_tsan_token)
#else
#define GP_TSAN_RELEASE() ((void)0)
#define GP_TSAN_ACQUIRE() ((void)0)
#endif

static inline void gp_rcu_read_lock(void)
{
	urcu_bp_read_lock();
}

static inline void gp_rcu_read_unlock(void)
{
	GP_TSAN_RELEASE(); /* pairs with GP_TSAN_ACQUIRE in gp_rcu_synchronize */
	urcu_bp_read_unlock();
}

static inline bool gp_rcu_read_ongoing(void)
{
	return urcu_bp_read_ongoing();
}

static inline void gp_rcu_synchronize(void)
{
	urcu_bp_synchronize_rcu();
	GP_TSAN_ACQUIRE(); /* pairs with GP_TSAN_RELEASE in gp_rcu_read_unlock */
}

#endif /* GP_RCU_H */
