// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_import_race.c - one import per shortage, however many threads fail
 * at once (testpoints variant: GP_TP_SRC_IMPORT parks the first importer).
 *
 *  1. The pool has a chunk where the algorithm finds nothing and a source whose quantum covers every
 *     thread's request. Thread A allocates, fails, takes the grow mutex and
 *     parks just before calling the source.
 *  2. Threads B, C, D allocate: each fails its search (seen through the
 *     counting algorithm) and goes for the grow mutex, where it waits.
 *  3. A resumes, imports and publishes. B, C and D, after the mutex, must
 *     find A's chunk in their retry and import nothing.
 * Exit 0 when all four allocations succeed with exactly one import, 1
 * otherwise: linked against the import_twice mutant (suite mutants), this
 * must fail.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "genpool.h"
#include "testpoint.h"

#define G 64UL
#define NTHREADS 4

static unsigned char arena[1 << 20] __attribute__((aligned(4096)));
static size_t arena_used;
static int imports;
/* 4 granules, free, but counting_fit finds nothing in them */
static unsigned char small_chunk[4 * G] __attribute__((aligned(64)));

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int parked, released, failed_others; /* under mu */
static _Thread_local int is_a;

static size_t import(void *arg, size_t size, unsigned long *addr, phys_addr_t *phys)
{
	(void)arg;
	if (arena_used + size > sizeof(arena))
		return 0;
	*addr = (unsigned long)arena + arena_used;
	*phys = (phys_addr_t)-1;
	arena_used += size;
	__atomic_add_fetch(&imports, 1, __ATOMIC_RELAXED);
	return size;
}

static void release(void *arg, unsigned long addr, size_t size)
{
	(void)arg;
	(void)addr;
	(void)size;
}

static void hook(enum gp_testpoint tp)
{
	if (tp != GP_TP_SRC_IMPORT || !is_a || parked)
		return;
	pthread_mutex_lock(&mu);
	parked = 1;
	pthread_cond_broadcast(&cv);
	while (!released)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

/*
 * First fit, except that it finds nothing in the small chunk, and counts B,
 * C and D's searches there. (The chunk itself has room for a request, so
 * that the pool-level summary does not skip it and the search is made.)
 */
static unsigned long counting_fit(unsigned long *map, unsigned long size, unsigned long start,
				  unsigned int nr, void *data, struct gen_pool *pool,
				  unsigned long start_addr)
{
	unsigned long bit = gen_pool_first_fit(map, size, start, nr, data, pool, start_addr);

	if (start_addr == (unsigned long)small_chunk)
		bit = size;
	if (bit >= size && !is_a) {
		pthread_mutex_lock(&mu);
		failed_others++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	return bit;
}

static struct gen_pool *pool;
static unsigned long got[NTHREADS];

static void *thread_main(void *arg)
{
	long i = (long)arg;

	is_a = i == 0;
	got[i] = gen_pool_alloc_algo(pool, 4 * G, counting_fit, NULL);
	return NULL;
}

int main(void)
{
	static const struct gen_pool_source_ops ops = { import, release };
	struct gen_pool_source *src = gen_pool_source_custom(&ops, NULL);
	pthread_t t[NTHREADS];
	int ok = 1;

	pool = gen_pool_create(6, -1);
	if (!src || !pool || gen_pool_add(pool, (unsigned long)small_chunk, 4 * G, -1) ||
	    gen_pool_set_source(pool, src, 64 * G))
		return 2;
	gp_testpoint_set_hook(hook);
	pthread_create(&t[0], NULL, thread_main, (void *)0L);
	pthread_mutex_lock(&mu);
	while (!parked)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (long i = 1; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, thread_main, (void *)i);
	pthread_mutex_lock(&mu);
	/* each of B, C, D has failed once: it is on its way to the grow mutex */
	while (failed_others < NTHREADS - 1)
		pthread_cond_wait(&cv, &mu);
	released = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		ok &= got[i] != 0;
	}
	printf("test_import_race: %d import(s) for %d threads that failed at once; all %s\n",
	       imports, NTHREADS, ok ? "succeeded" : "did NOT succeed");
	ok &= imports == 1;
	for (int i = 0; i < NTHREADS; i++)
		if (got[i])
			gen_pool_free(pool, got[i], 4 * G);
	if (gen_pool_destroy(pool) || gen_pool_source_destroy(src))
		ok = 0;
	return ok ? 0 : 1;
}
