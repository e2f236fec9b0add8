/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * atomic.h - the only way genpool code touches shared words.
 *
 * Thin wrappers over the GCC/Clang __atomic builtins. The memory order is
 * part of every name (gp_atomic_<op>_<order>), never a default, so each
 * barrier is visible at its call site; every acquire/release there carries a
 * comment naming its pair. Going through __atomic (not volatile or inline
 * asm) keeps every shared access visible to ThreadSanitizer.
 */
#ifndef GP_ATOMIC_H
#define GP_ATOMIC_H

#include <stdbool.h>

#define gp_atomic_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define gp_atomic_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define gp_atomic_load_seq_cst(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define gp_atomic_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define gp_atomic_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

#define gp_atomic_add_relaxed(p, v) ((void)__atomic_fetch_add((p), (v), __ATOMIC_RELAXED))
#define gp_atomic_sub_relaxed(p, v) ((void)__atomic_fetch_sub((p), (v), __ATOMIC_RELAXED))
#define gp_atomic_fetch_or_relaxed(p, v) __atomic_fetch_or((p), (v), __ATOMIC_RELAXED)
#define gp_atomic_fetch_and_relaxed(p, v) __atomic_fetch_and((p), (v), __ATOMIC_RELAXED)
#define gp_atomic_fetch_and_release(p, v) __atomic_fetch_and((p), (v), __ATOMIC_RELEASE)
#define gp_atomic_fetch_or_acquire(p, v) __atomic_fetch_or((p), (v), __ATOMIC_ACQUIRE)
#define gp_atomic_fetch_or_seq_cst(p, v) __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define gp_atomic_fetch_and_seq_cst(p, v) __atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define gp_atomic_fetch_or_release(p, v) __atomic_fetch_or((p), (v), __ATOMIC_RELEASE)
#define gp_atomic_fetch_and_acquire(p, v) __atomic_fetch_and((p), (v), __ATOMIC_ACQUIRE)

/*
 * Compare-and-swap; on failure *expected is refreshed with the current value
 * (the caller's retry loop re-checks it). Strong: no spurious failure, so a
 * failed CAS always means another thread changed the word.
 */
#define gp_atomic_cas_acquire(p, expected, desired)                                         \
	__atomic_compare_exchange_n((p), (expected), (desired), false, __ATOMIC_ACQUIRE,     \
				    __ATOMIC_RELAXED)
#define gp_atomic_cas_release(p, expected, desired)                                         \
	__atomic_compare_exchange_n((p), (expected), (desired), false, __ATOMIC_RELEASE,     \
				    __ATOMIC_RELAXED)
#define gp_atomic_cas_relaxed(p, expected, desired)                                         \
	__atomic_compare_exchange_n((p), (expected), (desired), false, __ATOMIC_RELAXED,     \
				    __ATOMIC_RELAXED)

#define gp_atomic_fence_seq_cst() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/*
 * Sequentially consistent accesses, for store-buffering pairs (each side
 * writes one word, then reads the other's; seq_cst guarantees that at least
 * one of them sees the other's write). On x86-64 the RMW is the same locked
 * instruction as a relaxed one and the load a plain mov.
 */
#define gp_atomic_load_seq_cst(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define gp_atomic_store_seq_cst(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define gp_atomic_add_fetch_seq_cst(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define gp_atomic_sub_fetch_relaxed(p, v) __atomic_sub_fetch((p), (v), __ATOMIC_RELAXED)
#define gp_atomic_cas_seq_cst(p, expected, desired)                                         \
	__atomic_compare_exchange_n((p), (expected), (desired), false, __ATOMIC_SEQ_CST,     \
				    __ATOMIC_SEQ_CST)

#endif /* GP_ATOMIC_H */
