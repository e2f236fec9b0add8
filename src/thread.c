// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * thread.c - a small number per thread ("slot"), assigned on a thread's
 * first call. Shards of the accounting and statistics and scalable fit's
 * per-thread start are picked by it, so that threads calling at once
 * touch different cache lines; a shard below GP_NSHARDS counts allocs and
 * frees single-writer (stats.h), so no two live threads may hold the
 * same slot below GP_THREAD_SLOTS_REUSED.
 *
 * Reuse. Slots 0..GP_THREAD_SLOTS_REUSED-1 are held in a bitmap: a thread
 * takes the lowest free one and gives it back at its exit (a key
 * destructor), so the threads alive at once hold small, distinct slots
 * however many threads came and went before (a process that starts a
 * worker per task, or a benchmark that starts threads per run, would
 * otherwise run out of single-writer shards after 32 threads and leave
 * scalable fit's starts to chance). Past the bitmap, slots are handed out
 * from a counter above it and never reused.
 *
 * Hand-over. The exiting thread's last single-writer count must happen
 * before the next holder's first: the release clears the bit with release
 * order and the take sets it with an acquire CAS. The exiting thread then
 * runs on as a retired slot (its slot + GP_THREAD_SLOTS_REUSED: the same
 * shard, the same scalable-fit start, but counted through the shared
 * atomic counters), since other destructors may still call the library.
 * A thread that still holds thread caches keeps its slot for one more
 * destructor round: a cache counts its hits on its owner's slot
 * (tcache.h), and the caches' own destructor frees them.
 */
#include <pthread.h>
#include <stdint.h>

#include "atomic.h"
#include "internal.h"
#include "lifecycle.h"
#include "mutant.h"

__thread unsigned int gp_tls_slot __attribute__((tls_model("initial-exec")));

#define BPL GP_BITS_PER_LONG
#define SLOT_WORDS (GP_THREAD_SLOTS_REUSED / BPL)

static unsigned long slots_used[SLOT_WORDS]; /* bit set: a live thread holds it */
static unsigned int next_beyond;             /* slots past the bitmap: the count handed out */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t slot_key;
static bool slot_key_ok; /* written once under pthread_once */

static void slot_exit(void *value);
static void give_back(unsigned int s);

static void make_key(void)
{
	slot_key_ok = pthread_key_create(&slot_key, slot_exit) == 0;
}

/* The lowest free reusable slot, now held; or GP_THREAD_SLOTS_REUSED when all are. */
static unsigned int take_reusable(void)
{
	for (unsigned int w = 0; w < SLOT_WORDS; w++) {
		unsigned long v = gp_atomic_load_relaxed(&slots_used[w]);

		while (~v) {
			unsigned long bit = (unsigned long)__builtin_ctzl(~v);

			/* acquire: the previous holder's counts (see Hand-over) */
			if (gp_atomic_cas_acquire(&slots_used[w], &v, v | 1UL << bit))
				return w * BPL + (unsigned int)bit;
		}
	}
	return GP_THREAD_SLOTS_REUSED;
}

/* A slot past the bitmap, never reused; distinct until the counter wraps. */
static unsigned int take_beyond(void)
{
	unsigned int n = __atomic_fetch_add(&next_beyond, 1, __ATOMIC_RELAXED);

	return GP_THREAD_SLOTS_REUSED + n % (UINT32_MAX - GP_THREAD_SLOTS_REUSED);
}

unsigned int gp_thread_slot_assign(void)
{
	unsigned int s = GP_THREAD_SLOTS_REUSED;

	/* without a destructor a slot could not come back: take one beyond */
	if (!pthread_once(&key_once, make_key) && slot_key_ok) {
		s = take_reusable();
		if (s < GP_THREAD_SLOTS_REUSED &&
		    pthread_setspecific(slot_key, (void *)(uintptr_t)(s + 1))) {
			give_back(s);
			s = GP_THREAD_SLOTS_REUSED;
		}
	}
	if (s == GP_THREAD_SLOTS_REUSED)
		s = take_beyond();
	gp_tls_slot = s + 1; /* 0 means "none yet" */
	return s;
}

static void give_back(unsigned int s)
{
	/* release: this thread's counts on the slot's shard (see Hand-over) */
	gp_atomic_fetch_and_release(&slots_used[s / BPL], ~(1UL << (s % BPL)));
}

/* Thread exit: retire the slot, and give it back once no cache counts on it. */
static void slot_exit(void *value)
{
	unsigned int s = (unsigned int)((uintptr_t)value - 1);

	if (gp_tcache_thread_has_caches()) {
		/* another round: the caches' destructor runs in this one (after
		 * PTHREAD_DESTRUCTOR_ITERATIONS rounds the slot stays held: a
		 * thread that makes a cache in every round loses us one slot) */
		(void)pthread_setspecific(slot_key, value);
		return;
	}
	if (!GP_MUTANT(GP_MUT_SLOT_NOT_RETIRED))
		gp_tls_slot = s + GP_THREAD_SLOTS_REUSED + 1;
	give_back(s);
}

void gp_thread_slots_fork_child(void)
{
	unsigned int own = gp_tls_slot ? gp_tls_slot - 1 : GP_THREAD_SLOTS_REUSED;

	/* the child's one thread: every other holder is gone without an exit */
	for (unsigned int w = 0; w < SLOT_WORDS; w++)
		gp_atomic_store_relaxed(&slots_used[w], 0UL);
	if (own < GP_THREAD_SLOTS_REUSED)
		gp_atomic_store_relaxed(&slots_used[own / BPL], 1UL << (own % BPL));
}
