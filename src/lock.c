// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lock.c - the pool lock (lock.h). It serialises chunk list changes and
 * set_algo in every pool, and alloc/free in the lock baselines
 * (GEN_POOL_SPINLOCK, GEN_POOL_LOCK_TICKET, GEN_POOL_LOCK_MCS): the same
 * code with one of three locks around it, so that "lock-free beats a lock"
 * is measured against the best spinlocks, not only pthread's.
 *
 *  - pthread_spinlock_t: a test-and-set lock; under contention every waiter
 *    spins on the one line, and the winner is whoever is lucky.
 *  - ck_spinlock_ticket: FIFO; waiters spin on a shared "now serving" word.
 *  - ck_spinlock_mcs: FIFO; each waiter spins on its own queue node, so a
 *    hand-over touches one waiter's line.
 *
 * MCS nodes: a holder's node must live from lock to unlock, and callers
 * keep the gp_pool_lock/gp_pool_unlock pair (no node argument), so each
 * thread has a small stack of nodes, one per lock it holds at once (a
 * custom algorithm called under one pool's lock may allocate from another
 * pool); locks are released in reverse order of acquisition, as every
 * caller does. Nodes sit on their own cache lines.
 *
 * ThreadSanitizer cannot see ck_pr's inline assembly: in TSan builds each
 * CK lock is annotated as an HB pair on the lock (src/tsan.h): release
 * before ck's unlock, acquire after ck's lock returns, which is the
 * ordering ck_pr_fence_unlock/ck_pr_fence_lock give.
 */
#include "internal.h"
#include "mutant.h"
#include "tsan.h"

#define GP_MCS_NEST 4 /* locks one thread may hold at once */

struct gp_mcs_node {
	ck_spinlock_mcs_context_t node;
} GP_ALIGNED_LINE;

static _Thread_local struct gp_mcs_node tl_mcs_node[GP_MCS_NEST]
	__attribute__((tls_model("initial-exec")));
static _Thread_local unsigned int tl_mcs_depth __attribute__((tls_model("initial-exec")));

void gp_lock_init(struct gp_lock *l, unsigned int flags)
{
	if (flags & GEN_POOL_LOCK_TICKET) {
		l->kind = GP_LOCK_TICKET;
		ck_spinlock_ticket_init(&l->u.ticket);
	} else if (flags & GEN_POOL_LOCK_MCS) {
		l->kind = GP_LOCK_MCS;
		ck_spinlock_mcs_init(&l->u.mcs);
	} else {
		l->kind = GP_LOCK_PTHREAD;
		pthread_spin_init(&l->u.spin, PTHREAD_PROCESS_PRIVATE);
	}
}

void gp_lock_destroy(struct gp_lock *l)
{
	if (l->kind == GP_LOCK_PTHREAD)
		pthread_spin_destroy(&l->u.spin);
}

void gp_pool_lock(struct gen_pool *pool)
{
	struct gp_lock *l = &pool->lock;

	switch (l->kind) {
	case GP_LOCK_TICKET:
		if (!GP_MUTANT(GP_MUT_CK_LOCK_NOP))
			ck_spinlock_ticket_lock(&l->u.ticket);
		break;
	case GP_LOCK_MCS:
		GP_BUG_ON(tl_mcs_depth >= GP_MCS_NEST);
		ck_spinlock_mcs_lock(&l->u.mcs, &tl_mcs_node[tl_mcs_depth++].node);
		break;
	default:
		pthread_spin_lock(&l->u.spin);
		return;
	}
	/* acquire: pairs with the release in gp_pool_unlock of the previous holder */
	GP_TSAN_HB_ACQUIRE(l);
}

void gp_pool_unlock(struct gen_pool *pool)
{
	struct gp_lock *l = &pool->lock;

	if (l->kind == GP_LOCK_PTHREAD) {
		pthread_spin_unlock(&l->u.spin);
		return;
	}
	/* release: pairs with the acquire in gp_pool_lock of the next holder */
	GP_TSAN_HB_RELEASE(l);
	if (l->kind == GP_LOCK_TICKET) {
		if (!GP_MUTANT(GP_MUT_CK_LOCK_NOP))
			ck_spinlock_ticket_unlock(&l->u.ticket);
	} else {
		ck_spinlock_mcs_unlock(&l->u.mcs, &tl_mcs_node[--tl_mcs_depth].node);
	}
}
