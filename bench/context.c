// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * context.c - what the JSON's "context" says about this run beyond Google
 * Benchmark's own: which allocators loaded (and why not), the latency
 * clock, and what an op means in each workload.
 */
#include <stdio.h>
#include <stdlib.h>

#include <genpool.h>

#include "workload.h"

static const struct workload *const workloads[] = {
	&wl_hot_pair, &wl_search, &wl_align,	&wl_bulk,   &wl_xfree,
	&wl_random,   &wl_frag,	  &wl_bulk_big, &wl_chunks, &wl_meta,
	&wl_far_run,
};

static void add_allocators(void (*add)(const char *, const char *))
{
	char key[64], val[320];
	const char *why;

	for (size_t i = 0; i < bench_nr_allocs; i++) {
		const struct bench_alloc *a = bench_allocs[i];
		bool ok = bench_alloc_usable(a, &why);

		snprintf(key, sizeof(key), "alloc.%s", a->name);
		snprintf(val, sizeof(val), "%s: %s", ok ? "ok" : "unavailable", ok ? a->what : why);
		add(key, val);
	}
}

static void add_workloads(void (*add)(const char *, const char *))
{
	char key[64];

	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++) {
		snprintf(key, sizeof(key), "workload.%s.op", workloads[i]->name);
		add(key, workloads[i]->op);
		snprintf(key, sizeof(key), "workload.%s.latency", workloads[i]->name);
		add(key, workloads[i]->lat);
	}
}

void harness_context(void (*add)(const char *key, const char *value))
{
	char val[160];
	const char *tunables = getenv("GLIBC_TUNABLES");

	snprintf(val, sizeof(val), "%d.%d.%d", GENPOOL_VERSION_MAJOR, GENPOOL_VERSION_MINOR,
		 GENPOOL_VERSION_PATCH);
	add("genpool_version", val);
	add("granule_bytes", "4096");
	add("sizes", "a request of g granules is g * 4096 bytes for every allocator; "
		     "general-purpose allocators get malloc(g * 4096) and ignore the region");
	snprintf(val, sizeof(val),
		 "%s, %.4f ticks/ns, %.1f ns overhead subtracted, %.1f ns resolution, "
		 "1 op in %d timed",
		 lat_clock_name(), lat_ticks_per_ns(), lat_overhead_ns(), lat_resolution_ns(),
		 LAT_EVERY);
	add("latency_clock", val);
	add("glibc_tunables", tunables ? tunables : "");
	add_allocators(add);
	add_workloads(add);
}
