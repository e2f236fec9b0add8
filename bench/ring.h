/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ring.h - a single-producer single-consumer ring of addresses, lock-free,
 * to hand allocations from one thread to another.
 *
 * head is written by the producer only, tail by the consumer only; each
 * publishes with release and reads the other's index with acquire, so
 * a slot's content is visible before its index. The indices run freely
 * and wrap through the power-of-two size.
 */
#ifndef BENCH_RING_H
#define BENCH_RING_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_SIZE 256u

struct ring {
	_Alignas(64) atomic_size_t head;
	_Alignas(64) atomic_size_t tail;
	_Alignas(64) uintptr_t slot[RING_SIZE];
};

static inline bool ring_push(struct ring *r, uintptr_t v)
{
	size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (h - atomic_load_explicit(&r->tail, memory_order_acquire) == RING_SIZE)
		return false;
	r->slot[h & (RING_SIZE - 1)] = v;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return true;
}

static inline bool ring_pop(struct ring *r, uintptr_t *v)
{
	size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (atomic_load_explicit(&r->head, memory_order_acquire) == t)
		return false;
	*v = r->slot[t & (RING_SIZE - 1)];
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return true;
}

/*
 * Waiting for the other side: spin briefly, then yield. With more threads
 * than cores the other side may not be running at all, and spinning
 * would only burn the time slice it needs.
 */
static inline void ring_wait(unsigned int *spins)
{
	if (++*spins >= 64) {
		sched_yield();
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

#endif /* BENCH_RING_H */
