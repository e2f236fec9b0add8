// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_sum_race.c - the summary race that rule R2 of src/summary.c exists
 * for, made to happen every time with a pause point (testpoints variant).
 *
 *  1. Thread A fills bitmap word 0; its sync reads "word full, summary bit
 *     clear" and is parked just before it flips the bit.
 *  2. The main thread frees one granule of word 0; its sync reads "word not
 *     full, bit clear": they agree, so it returns without a change.
 *  3. A resumes and sets the bit: now the summary says "full" over a word
 *     with a free granule. A correct sync re-reads and clears it again.
 * Exit 0 when the summary is exact afterwards, 1 when it is stale: linked
 * against the sum_no_recheck mutant (suite mutants), this must fail.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "bitmap.h"
#include "summary.h"
#include "testpoint.h"

#define NBITS 4096
static unsigned long bits[NBITS / GP_BITS_PER_LONG], extra[64];
static struct gp_summary sum;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage; /* 1: A parked, 2: main done, A may go */
static _Thread_local int is_a;

static void hook(enum gp_testpoint tp)
{
	if (tp != GP_TP_SUM_BEFORE_FLIP || !is_a || stage)
		return;
	pthread_mutex_lock(&mu);
	stage = 1;
	pthread_cond_broadcast(&cv);
	while (stage != 2)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void *thread_a(void *arg)
{
	(void)arg;
	is_a = 1;
	if (gp_sum_claim(&sum, 0, GP_BITS_PER_LONG, false))
		abort();
	return NULL;
}

int main(void)
{
	unsigned long word;
	unsigned int level;
	pthread_t a;

	gp_sum_init(&sum, bits, extra, NBITS);
	gp_testpoint_set_hook(hook);
	pthread_create(&a, NULL, thread_a, NULL);
	pthread_mutex_lock(&mu);
	while (stage != 1)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);

	if (gp_sum_release(&sum, 5, 1, false)) /* A's claim is complete: bit 5 is set */
		abort();

	pthread_mutex_lock(&mu);
	stage = 2;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(a, NULL);
	gp_testpoint_set_hook(NULL);

	if (gp_sum_find_stale(&sum, &level, &word)) {
		printf("test_sum_race: summary of level %u word %lu is stale after the race\n",
		       level, word);
		return 1;
	}
	if (gp_sum_find_zero(&sum, 0) != 5) {
		printf("test_sum_race: the free granule 5 is not found through the summary\n");
		return 1;
	}
	printf("test_sum_race: the parked sync repaired the bit it set on a stale read\n");
	return 0;
}
