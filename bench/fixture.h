/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fixture.h - an allocator over its region, randomly prefilled, kept from
 * one benchmark run to the next.
 *
 * Google Benchmark runs a benchmark several times (to find an iteration
 * count, then once per repetition). A 64 GiB pool takes seconds to fill,
 * so the last fixture is cached and reused while the next run asks for
 * the same one: every workload leaves its fixture as it found it (what it
 * allocates, it frees), which teardown checks when the fixture goes.
 */
#ifndef BENCH_FIXTURE_H
#define BENCH_FIXTURE_H

#include <stdbool.h>

#include "allocator.h"
#include "fill.h"
#include "region.h"

#define FIXTURE_SEED 0x2545f491u /* the same layout for every allocator */

struct fixture {
	const struct bench_alloc *a;
	struct region reg;
	void *ctx;
	struct held held;	/* the prefill */
	double occupancy;
	unsigned int fill_range;	/* largest prefill range, granules */
	double fill_seconds;
};

/*
 * The fixture for @a over @size bytes of 1 << @order granules, @occupancy
 * held at random in ranges of 1..@fill_range granules (fill.h), the region
 * added as @chunks chunks (0, 1: one; genpool only, empty pools only).
 * @fresh forces a new one (a workload that ages the pool). NULL with @why
 * filled when it cannot be built.
 */
struct fixture *fixture_get(const struct bench_alloc *a, size_t size, int order, double occupancy,
			    unsigned int fill_range, unsigned int chunks, bool fresh, char *why,
			    size_t len);
/* Destroy the cached fixture; -1 when ranges leaked or a free was refused. */
int fixture_flush(void);
/* How many fixtures did not come back whole (a failure of the run). */
int fixture_failures(void);

#endif /* BENCH_FIXTURE_H */
