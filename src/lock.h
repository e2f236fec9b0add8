/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lock.h - the pool lock: pthread's spinlock, or in the lock-baseline pools
 * Concurrency Kit's ticket lock (GEN_POOL_LOCK_TICKET) or MCS queue lock
 * (GEN_POOL_LOCK_MCS). The kind is fixed at create; lock.c has the calls.
 */
#ifndef GP_LOCK_H
#define GP_LOCK_H

#include <pthread.h>

#include <ck_spinlock.h>

enum gp_lock_kind {
	GP_LOCK_PTHREAD, /* every pool but the CK baselines */
	GP_LOCK_TICKET,
	GP_LOCK_MCS,
};

struct gp_lock {
	enum gp_lock_kind kind;
	union {
		pthread_spinlock_t spin;
		ck_spinlock_ticket_t ticket;
		ck_spinlock_mcs_t mcs; /* the queue's tail; nodes are per thread (lock.c) */
	} u;
};

#endif /* GP_LOCK_H */
