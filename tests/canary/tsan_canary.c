// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tsan_canary.c - a deliberate data race. Under ThreadSanitizer this program
 * must be reported (exit 66 with TSAN_OPTIONS=exitcode=66); check.sh fails
 * the run if it is not, so a ThreadSanitizer that has silently stopped
 * seeing races (a wrong build flag, an over-broad suppression) cannot pass
 * the stress suites as clean.
 *
 * The race has the shape of the bug TSan is there to catch in genpool: data
 * written by one thread and read by another with only a relaxed flag
 * between them, as if a release had been weakened.
 */
#include <pthread.h>
#include <stdio.h>

static unsigned long payload; /* plain data */
static int ready;             /* relaxed flag: orders nothing */

static void *writer(void *arg)
{
	(void)arg;
	payload = 42;
	__atomic_store_n(&ready, 1, __ATOMIC_RELAXED);
	return NULL;
}

int main(void)
{
	pthread_t t;
	unsigned long seen;

	if (pthread_create(&t, NULL, writer, NULL))
		return 2;
	while (!__atomic_load_n(&ready, __ATOMIC_RELAXED))
		;
	seen = payload; /* races with the writer's store */
	pthread_join(t, NULL);
	printf("tsan_canary: read %lu; ThreadSanitizer should have reported a race\n", seen);
	return 0;
}
