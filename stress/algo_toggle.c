// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * algo_toggle.c - the pool's default algorithm made invalid and valid again
 * while the other threads allocate through it (issue 11: invalid data is
 * installed, and every allocation through the pool's algorithm fails with
 * EINVAL while it is, thread caches included).
 *
 * Every ST_TOGGLE_EVERY_US microseconds one worker (whoever takes the toggling
 * flag) installs gen_pool_first_fit_align with an invalid align, allocates
 * through the default itself (each call must fail with EINVAL), and
 * restores first fit. st_phase counts the steps, mod 4:
 *
 *     0  first fit installed, no set_algo in progress
 *     1  set_algo(invalid) in progress
 *     2  the invalid pair installed: set_algo(invalid) has returned
 *     3  set_algo(first fit) in progress
 *
 * A call through the default that reads the same phase before and after
 * (acquire loads, pairing with the release stores below) lies wholly inside
 * that phase: in 0 it must not fail with EINVAL, in 2 it must (set_algo
 * installed the pair, and no thread cache served the request). Where the
 * phase moved, either result is allowed. Phase 2's argument leans on the
 * relaxed cache_default flag (src/alloc.c) being read in order with the
 * phase, which x86's TSO gives; phase 0's and the toggler's own calls need
 * nothing but the acquire/release pairs.
 */
#include <errno.h>

#include "harness.h"

#define ST_TOGGLE_EVERY_US 100000 /* between windows: the pool is invalid for a grace period */

static unsigned long st_phase; /* release stores by the toggler; acquire loads */
static int toggling;	       /* one toggler at a time: a try-lock */
static uint64_t next_us;       /* when the next window is due; written under the try-lock */

static uint64_t now_us(void)
{
	return (uint64_t)(st_now() * 1e6);
}

static void phase_step(void)
{
	/* release: pairs with the acquire loads in st_default_alloc */
	__atomic_add_fetch(&st_phase, 1, __ATOMIC_RELEASE);
}

static unsigned long phase_now(void)
{
	/* acquire: pairs with phase_step's release */
	return __atomic_load_n(&st_phase, __ATOMIC_ACQUIRE);
}

/* Judge a call through the default made between phases @p0 and @p1. */
static void judge(unsigned long p0, unsigned long p1, unsigned long addr, int err, const char *call)
{
	bool stable = p0 == p1;

	if (stable && p0 % 4 == 2 && (addr || err != EINVAL))
		st_fail(ST_OTHER, "%s: 0x%lx, errno %d, while the pool's align was invalid", call,
			addr, err);
	if (stable && p0 % 4 == 0 && !addr && err == EINVAL)
		st_fail(ST_OTHER, "%s failed with EINVAL while first fit was installed", call);
}

void *st_default_alloc(size_t size, dma_addr_t *dma)
{
	unsigned long p0, p1;
	void *addr;
	int err;

	p0 = phase_now();
	st_expect_refusal(true); /* an EINVAL report is judged below, not by the handler */
	errno = 0;
	addr = gen_pool_dma_alloc(st.pool, size, dma);
	err = errno;
	st_expect_refusal(false);
	p1 = phase_now();
	judge(p0, p1, (unsigned long)addr, err, "gen_pool_dma_alloc");
	errno = err; /* EINVAL: judged here; do_alloc counts it as a refusal */
	return addr;
}

/* Inside the window: each entry point without an algorithm must refuse. */
static void expect_refused(void)
{
	const size_t sizes[] = {st.granule, 3 * st.granule, 200 * st.granule};
	unsigned long got;
	void *owner;

	for (unsigned int i = 0; i < 3 * 3; i++) {
		size_t size = sizes[i % 3];
		dma_addr_t dma;

		errno = 0;
		if (i / 3 == 0)
			got = gen_pool_alloc(st.pool, size);
		else if (i / 3 == 1)
			got = gen_pool_alloc_owner(st.pool, size, &owner);
		else
			got = (unsigned long)gen_pool_dma_alloc(st.pool, size, &dma);
		if (got || errno != EINVAL)
			st_fail(ST_OTHER,
				"entry %u, %zu bytes, with the pool's align invalid: 0x%lx, "
				"errno %d",
				i / 3, size, got, errno);
		if (got && gen_pool_free(st.pool, got, size))
			st_fail(ST_OTHER, "free of 0x%lx after a wrong success failed", got);
	}
}

void st_algo_toggle(struct st_worker *w)
{
	static struct genpool_data_align bad[] = {{0}, {3}, {24}, {-8}};

	/* relaxed: a hint; it is read again under the try-lock */
	if (now_us() < __atomic_load_n(&next_us, __ATOMIC_RELAXED) ||
	    __atomic_exchange_n(&toggling, 1, __ATOMIC_ACQUIRE))
		return; /* acquire: pairs with the release that ends the last window */
	if (now_us() >= __atomic_load_n(&next_us, __ATOMIC_RELAXED)) {
		st_expect_refusal(true);
		phase_step(); /* -> 1 */
		gen_pool_set_algo(st.pool, gen_pool_first_fit_align,
				  &bad[st_rand(&w->rng) % (sizeof(bad) / sizeof(bad[0]))]);
		phase_step(); /* -> 2 */
		expect_refused();
		phase_step(); /* -> 3 */
		gen_pool_set_algo(st.pool, NULL, NULL);
		phase_step(); /* -> 0 */
		st_expect_refusal(false);
		w->n.refusals++;
		__atomic_store_n(&next_us, now_us() + ST_TOGGLE_EVERY_US, __ATOMIC_RELAXED);
	}
	/* release: pairs with the acquire exchange that starts the next window */
	__atomic_store_n(&toggling, 0, __ATOMIC_RELEASE);
}
