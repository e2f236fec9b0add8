/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rng_helpers.h - the tests' small deterministic random numbers
 * (xorshift64*, Vigna 2016): a failing seed reproduces exactly.
 */
#ifndef TESTS_RNG_HELPERS_H
#define TESTS_RNG_HELPERS_H

#include <stdint.h>

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform enough in [0, n) for test data; n > 0. */
static inline unsigned long rng_below(uint64_t *s, unsigned long n)
{
	return (unsigned long)(rng_next(s) % n);
}

#endif /* TESTS_RNG_HELPERS_H */
