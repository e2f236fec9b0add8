// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * thread.c - a small number per thread ("slot"), handed out round-robin on
 * a thread's first call. Shards of the claimed-granule count and scalable
 * fit's per-thread search start are picked by it, so that threads calling
 * at once touch different cache lines. Slots are never given back: a slot
 * is a spreading hint, two threads sharing one are only slower.
 */
#include "internal.h"

__thread unsigned int gp_tls_slot __attribute__((tls_model("initial-exec")));

static unsigned int next_slot;

unsigned int gp_thread_slot_assign(void)
{
	/* relaxed: only uniqueness matters, not order */
	unsigned int s = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED);

	/* stored + 1 so that 0 means "none yet"; wraps harmlessly */
	gp_tls_slot = s + 1 ? s + 1 : 1;
	return gp_tls_slot - 1;
}
