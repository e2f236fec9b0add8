/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * latency.h - sampled per-operation latency: a cheap clock and a
 * log-linear histogram (16 buckets per power of two: 6 % resolution).
 *
 * Workloads time one operation in LAT_EVERY, so the clock's own cost is
 * spread thin over the throughput numbers. On x86-64 the clock is RDTSCP
 * (it waits for the timed operation to finish; the TSC is invariant on
 * every machine this runs on, checked at calibration against
 * CLOCK_MONOTONIC); elsewhere clock_gettime(CLOCK_MONOTONIC).
 */
#ifndef BENCH_LATENCY_H
#define BENCH_LATENCY_H

#include <stdint.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define LAT_EVERY	64	/* time one operation in this many */
#define LAT_SUB_BITS	4
#define LAT_EXACT	32	/* values below are their own bucket */
#define LAT_BUCKETS	(LAT_EXACT + 36 * (1 << LAT_SUB_BITS))

struct lat_hist {
	uint64_t n, max;
	uint64_t count[LAT_BUCKETS];
};

static inline uint64_t lat_now(void)
{
#if defined(__x86_64__)
	unsigned int aux;

	return __rdtscp(&aux);
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* Calibrate once, single-threaded, before any sample is converted. */
void lat_calibrate(void);
const char *lat_clock_name(void);
double lat_ticks_per_ns(void);
double lat_overhead_ns(void);
/* The smallest step the clock was seen to take. */
double lat_resolution_ns(void);

/* Nanoseconds between two lat_now() readings, less the clock's own cost. */
uint64_t lat_ns(uint64_t t0, uint64_t t1);

void lat_add(struct lat_hist *h, uint64_t ns);
void lat_merge(struct lat_hist *dst, const struct lat_hist *src);
/* The @p quantile (0..1) in ns: the middle of its bucket; 0 when empty. */
double lat_quantile(const struct lat_hist *h, double p);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_LATENCY_H */
