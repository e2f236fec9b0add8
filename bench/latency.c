// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * latency.c - clock calibration and the histogram.
 */
#include <stdio.h>
#include <string.h>

#include "latency.h"

static double ticks_per_ns = 1.0;
static double overhead_ticks;
static double resolution_ticks = 1.0;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Ticks per ns over 20 ms of CLOCK_MONOTONIC; the overhead is the least of
 * many back-to-back readings (what an empty timed region measures).
 */
void lat_calibrate(void)
{
	uint64_t t0, n0, t1, n1, best = UINT64_MAX;

	n0 = mono_ns();
	t0 = lat_now();
	do
		n1 = mono_ns();
	while (n1 - n0 < 20000000u);
	t1 = lat_now();
	ticks_per_ns = (double)(t1 - t0) / (double)(n1 - n0);
	if (!(ticks_per_ns > 0))
		ticks_per_ns = 1.0;
	for (int i = 0; i < 10000; i++) {
		uint64_t a = lat_now(), b = lat_now();

		if (b - a < best)
			best = b - a;
	}
	overhead_ticks = (double)best;
	/* A virtual TSC may advance in steps: the smallest step is the resolution. */
	best = UINT64_MAX;
	for (int i = 0; i < 1000; i++) {
		uint64_t a = lat_now(), b;

		while ((b = lat_now()) == a)
			;
		if (b - a < best)
			best = b - a;
	}
	resolution_ticks = (double)best;
}

double lat_resolution_ns(void)
{
	return resolution_ticks / ticks_per_ns;
}

const char *lat_clock_name(void)
{
#if defined(__x86_64__)
	return "rdtscp";
#else
	return "clock_gettime(CLOCK_MONOTONIC)";
#endif
}

double lat_ticks_per_ns(void)
{
	return ticks_per_ns;
}

double lat_overhead_ns(void)
{
	return overhead_ticks / ticks_per_ns;
}

uint64_t lat_ns(uint64_t t0, uint64_t t1)
{
	double d = (double)(t1 - t0) - overhead_ticks;

	return d > 0 ? (uint64_t)(d / ticks_per_ns + 0.5) : 0;
}

static unsigned int bucket_of(uint64_t v)
{
	unsigned int e, idx;

	if (v < LAT_EXACT)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v); /* >= 5 */
	idx = LAT_EXACT + (e - 5) * (1u << LAT_SUB_BITS) +
	      (unsigned int)((v >> (e - LAT_SUB_BITS)) & ((1u << LAT_SUB_BITS) - 1));
	return idx < LAT_BUCKETS ? idx : LAT_BUCKETS - 1;
}

/* The middle of bucket @idx, the inverse of bucket_of() to 3 %. */
static double bucket_mid(unsigned int idx)
{
	unsigned int e, sub;
	double lo, width;

	if (idx < LAT_EXACT)
		return idx;
	e = 5 + (idx - LAT_EXACT) / (1u << LAT_SUB_BITS);
	sub = (idx - LAT_EXACT) % (1u << LAT_SUB_BITS);
	width = (double)(1ull << (e - LAT_SUB_BITS));
	lo = (double)((1u << LAT_SUB_BITS) + sub) * width;
	return lo + width / 2;
}

void lat_add(struct lat_hist *h, uint64_t ns)
{
	h->count[bucket_of(ns)]++;
	h->n++;
	if (ns > h->max)
		h->max = ns;
}

void lat_merge(struct lat_hist *dst, const struct lat_hist *src)
{
	for (unsigned int i = 0; i < LAT_BUCKETS; i++)
		dst->count[i] += src->count[i];
	dst->n += src->n;
	if (src->max > dst->max)
		dst->max = src->max;
}

double lat_quantile(const struct lat_hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (!h->n)
		return 0;
	rank = (uint64_t)(p * (double)h->n);
	if (rank >= h->n)
		rank = h->n - 1;
	for (unsigned int i = 0; i < LAT_BUCKETS; i++) {
		seen += h->count[i];
		if (seen > rank) /* the middle, but never above what was seen */
			return bucket_mid(i) < (double)h->max ? bucket_mid(i) : (double)h->max;
	}
	return (double)h->max;
}
