// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fork.c - pools stay usable in the child of a fork() made while other
 * threads use them (pthread_atfork handlers, registered at the first pool
 * creation).
 *
 * What could break in the child, which has only the forking thread:
 *  - a lock held by another thread at the instant of fork stays held
 *    forever. Before fork (prepare) the forking thread therefore takes every
 *    lock of the library, in the lock order of lifecycle.h, and releases
 *    them after it in both processes:
 *      the fork gate (below), the managed-pool registry, the list of live
 *      pools, every pool's spinlock, the thread-cache registry, and last
 *      liburcu-bp's own locks (urcu_bp_before_fork; its after_fork_child
 *      also drops the reader registrations of the threads that are gone,
 *      so a grace period in the child does not wait for them).
 *    The mutexes held across whole slow paths (a pool's remove_mu and
 *    grow_mu, a memfd source's mu) are not taken one by one, which would
 *    have to respect the parent-before-child order of pool sources; every
 *    such path runs inside the fork gate instead, and prepare closes the
 *    gate and waits until the paths inside have left, so those mutexes are
 *    all free at fork. Every path that waits for a grace period (removal,
 *    add, set_algo) is inside the gate too, so no thread holds urcu's grace
 *    period lock when prepare asks for it.
 *  - ranges in other threads' caches would be stranded (their thread exit
 *    never runs in the child): the child returns them (gp_tcache_fork_child).
 * What the library cannot repair: an operation another thread had in flight
 * at the instant of fork (a range claimed but not yet returned to its
 * caller, a free half done) is frozen in the child as if that thread had
 * stopped there, exactly as a malloc in flight is; a program that forks
 * with threads running keeps its own bookkeeping consistent (see
 * tests/test_fork.c).
 *
 * The gate is a mutex, a condition variable, a reader count and a closed
 * flag rather than a pthread rwlock: the child must reopen it, and a glibc
 * rwlock records its writer's thread id, which differs in the child. In the
 * child the gate's mutex and condition variable are re-initialised (no
 * other thread exists that could hold or wait on them).
 *
 * Do not call urcu_bp_before_fork and friends yourself as well: the
 * library does, and they are not reentrant.
 */
#include <errno.h>
#include <pthread.h>

#include "internal.h"
#include "rcu.h"

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static unsigned long gate_inside; /* threads in a slow path; gate_mu */
static bool gate_closed;          /* a fork is being prepared; gate_mu */
static _Thread_local unsigned int gate_depth; /* nesting of this thread's slow paths */

static pthread_mutex_t pools_mu = PTHREAD_MUTEX_INITIALIZER;
static struct gen_pool *pools; /* every live pool; pools_mu */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

void gp_fork_enter(void)
{
	if (gate_depth++)
		return; /* a nested slow path (a pool source's parent) is inside already */
	pthread_mutex_lock(&gate_mu);
	while (gate_closed)
		pthread_cond_wait(&gate_cv, &gate_mu);
	gate_inside++;
	pthread_mutex_unlock(&gate_mu);
}

void gp_fork_leave(void)
{
	if (--gate_depth)
		return;
	pthread_mutex_lock(&gate_mu);
	if (--gate_inside == 0)
		pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* Close the gate and wait for the slow paths inside to leave. */
static void gate_close(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_closed = true;
	while (gate_inside)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate_mu);
	gate_closed = false;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

static void fork_prepare(void)
{
	struct gen_pool *p;

	gate_close();
	gp_managed_fork_lock();
	pthread_mutex_lock(&pools_mu);
	for (p = pools; p; p = p->life.all_next)
		gp_pool_lock(p);
	gp_tcache_fork_lock();
	urcu_bp_before_fork();
}

/* Release what prepare took, in reverse; @child first returns dead caches. */
static void fork_release(bool child)
{
	struct gen_pool *p;

	if (child) {
		for (p = pools; p; p = p->life.all_next)
			gp_tcache_fork_child(p);
		gp_thread_slots_fork_child();
	}
	gp_tcache_fork_unlock();
	for (p = pools; p; p = p->life.all_next)
		gp_pool_unlock(p);
	pthread_mutex_unlock(&pools_mu);
	gp_managed_fork_unlock();
	if (child) {
		/* prepare left both unlocked and unwaited-on by this thread */
		pthread_mutex_init(&gate_mu, NULL);
		pthread_cond_init(&gate_cv, NULL);
		gate_inside = 0;
	}
	gate_open();
}

static void fork_parent(void)
{
	urcu_bp_after_fork_parent();
	fork_release(false);
}

static void fork_child(void)
{
	urcu_bp_after_fork_child();
	fork_release(true);
}

static void atfork_init(void)
{
	/* a failure (ENOMEM) leaves fork as unsafe as it was without us */
	(void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void gp_fork_register(struct gen_pool *pool)
{
	pthread_once(&atfork_once, atfork_init);
	pthread_mutex_lock(&pools_mu);
	pool->life.all_next = pools;
	pool->life.all_pprev = &pools;
	if (pools)
		pools->life.all_pprev = &pool->life.all_next;
	pools = pool;
	pthread_mutex_unlock(&pools_mu);
}

void gp_fork_unregister(struct gen_pool *pool)
{
	pthread_mutex_lock(&pools_mu);
	*pool->life.all_pprev = pool->life.all_next;
	if (pool->life.all_next)
		pool->life.all_next->life.all_pprev = pool->life.all_pprev;
	pthread_mutex_unlock(&pools_mu);
}
