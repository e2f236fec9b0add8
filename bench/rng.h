/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rng.h - the benchmark's random numbers: xorshift64*, seeded per thread
 * by splitmix64, so that runs are repeatable and threads independent.
 */
#ifndef BENCH_RNG_H
#define BENCH_RNG_H

#include <math.h>
#include <stdint.h>

static inline uint64_t rng_seed(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x ? x : 1; /* xorshift must not start at 0 */
}

static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n), n > 0 (the bias of the multiply is below 2^-32). */
static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

/*
 * Power-law size in [1, max]: P(size >= x) ~ x^-alpha (a discrete Pareto,
 * redrawn above max so there is no spike at the cap). With alpha 1.5 about
 * two thirds of the requests are 1 granule, one in a thousand is above 100.
 */
static inline unsigned int rng_power_law(uint64_t *s, double alpha, unsigned int max)
{
	for (;;) {
		double u = 1.0 - rng_unit(s); /* (0, 1] */
		double x = floor(pow(u, -1.0 / alpha));

		if (x <= (double)max)
			return (unsigned int)x;
	}
}

#endif /* BENCH_RNG_H */
