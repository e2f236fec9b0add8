// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fixture.c - the one cached fixture (see fixture.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

static struct fixture cached;
static bool have_cached;
static int failures;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int fixture_flush(void)
{
	struct fixture *f = &cached;
	int ret = 0;

	if (!have_cached)
		return 0;
	have_cached = false;
	if (held_release(f->a, f->ctx, &f->held))
		ret = -1;
	if (f->a->destroy(f->ctx))
		ret = -1;
	region_destroy(&f->reg);
	if (ret) {
		fprintf(stderr, "bench: %s: fixture did not come back whole\n", f->a->name);
		failures++;
	}
	return ret;
}

int fixture_failures(void)
{
	return failures;
}

static bool matches(const struct fixture *f, const struct bench_alloc *a, size_t size, int order,
		    double occupancy, unsigned int fill_range, unsigned int chunks)
{
	return f->a == a && f->reg.r.size == size && f->reg.r.order == order &&
	       f->reg.r.chunks == chunks &&
	       f->occupancy == occupancy && (occupancy == 0 || f->fill_range == fill_range);
}

struct fixture *fixture_get(const struct bench_alloc *a, size_t size, int order, double occupancy,
			    unsigned int fill_range, unsigned int chunks, bool fresh, char *why,
			    size_t len)
{
	struct fixture *f = &cached;
	double t0;

	if (have_cached && !fresh && matches(f, a, size, order, occupancy, fill_range, chunks))
		return f;
	fixture_flush();
	memset(f, 0, sizeof(*f));
	f->a = a;
	f->occupancy = occupancy;
	f->fill_range = fill_range;
	if (region_create(&f->reg, size, order, a->caps & BA_MEMORY, why, len))
		return NULL;
	f->reg.r.chunks = chunks;
	f->ctx = a->init(&f->reg.r);
	if (!f->ctx) {
		/* memkind may refuse a region size: a limit of the peer, not a bug */
		snprintf(why, len, "skipped: %s: init over %zu MiB failed", a->name, size >> 20);
		region_destroy(&f->reg);
		return NULL;
	}
	t0 = now_s();
	if (fill_random(a, f->ctx, &f->reg, occupancy, fill_range, FIXTURE_SEED, &f->held, why, len)) {
		held_release(a, f->ctx, &f->held);
		a->destroy(f->ctx);
		region_destroy(&f->reg);
		return NULL;
	}
	f->fill_seconds = now_s() - t0;
	have_cached = true;
	return f;
}
