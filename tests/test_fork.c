// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_fork.c - fork() while 4 threads allocate and free (a cache pool and
 * a pool growing from an anonymous source) and a fifth thread removes and
 * re-adds a chunk, imports and shrinks: in the child, which has only the
 * forking thread, every pool call works (no lock is held by a thread that
 * is gone; liburcu-bp's registry no longer waits for them), the ranges
 * that were in the other threads' caches are back in the pool, so the
 * child allocates the whole pool granule by granule, frees it, and
 * destroys both pools cleanly.
 *
 * The workers' own bookkeeping: like any program that forks with threads
 * running, the test keeps its own state consistent across fork, with its
 * own pthread_atfork prepare handler (registered after the library's, so
 * it runs first) that lets each worker finish the call it is in and wait.
 * The library's state is not helped: the workers' caches, the slow-path
 * thread (not paused: the library's fork gate has to wait for it), urcu.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <errno.h>

#include "error_helpers.h"
#include "rng_helpers.h"

#define WORKERS 4
#define LIVE 64
#define CHUNK_G 2048 /* granules per chunk of the cache pool */

static struct gen_pool *cache_pool, *grow_pool;
static struct gen_pool_source *anon;
static unsigned long chunk_x, chunk_y; /* the cache pool's chunks; x comes and goes */

static struct worker {
	pthread_t t;
	uint64_t rng;
	unsigned long addr[LIVE], size[LIVE];
	struct gen_pool *pool[LIVE];
	int n;
} w[WORKERS];

static int stop, pause_req; /* atomics */
static pthread_mutex_t pause_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pause_cv = PTHREAD_COND_INITIALIZER;
static int paused;

static void pause_point(void)
{
	if (!__atomic_load_n(&pause_req, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&pause_mu);
	paused++;
	pthread_cond_broadcast(&pause_cv);
	while (pause_req)
		pthread_cond_wait(&pause_cv, &pause_mu);
	paused--;
	pthread_mutex_unlock(&pause_mu);
}

static void app_prepare(void)
{
	pthread_mutex_lock(&pause_mu);
	__atomic_store_n(&pause_req, 1, __ATOMIC_RELEASE);
	while (paused < WORKERS)
		pthread_cond_wait(&pause_cv, &pause_mu);
	pthread_mutex_unlock(&pause_mu);
}

static void app_resume(void)
{
	pthread_mutex_lock(&pause_mu);
	__atomic_store_n(&pause_req, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&pause_cv);
	pthread_mutex_unlock(&pause_mu);
}

static void app_child(void)
{
	/* no worker exists here; pause_mu was taken and dropped by prepare */
	pthread_mutex_init(&pause_mu, NULL);
	pthread_cond_init(&pause_cv, NULL);
	pause_req = 0;
	paused = 0;
}

static void worker_step(struct worker *me)
{
	uint64_t r = rng_next(&me->rng);
	struct gen_pool *p = (r & 1) ? cache_pool : grow_pool;

	if (me->n < LIVE && (me->n == 0 || (r >> 8) % 3)) {
		size_t size = (1 + (r >> 16) % 8) * G;
		unsigned long a = gen_pool_alloc(p, size);

		if (a) {
			me->addr[me->n] = a;
			me->size[me->n] = size;
			me->pool[me->n++] = p;
		}
		return;
	}
	int i = (int)((r >> 24) % (unsigned long)me->n);

	if (gen_pool_free(me->pool[i], me->addr[i], me->size[i]))
		abort();
	me->n--;
	me->addr[i] = me->addr[me->n];
	me->size[i] = me->size[me->n];
	me->pool[i] = me->pool[me->n];
}

static void *worker_main(void *arg)
{
	struct worker *me = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		pause_point();
		worker_step(me);
	}
	while (me->n--)
		if (gen_pool_free(me->pool[me->n], me->addr[me->n], me->size[me->n]))
			abort();
	return NULL;
}

/* Slow paths, never paused: removal and re-adding, shrink, set_algo. */
static void *slow_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (gen_pool_remove_chunk(cache_pool, chunk_x) == 0 &&
		    gen_pool_add(cache_pool, chunk_x, CHUNK_G * G, -1))
			abort();
		gen_pool_shrink(grow_pool);
		gen_pool_set_algo(cache_pool, NULL, NULL);
	}
	return NULL;
}

/* In the child: allocate every granule of @p, free them; 0 when it all adds up. */
static int child_drain(struct gen_pool *p)
{
	size_t size = gen_pool_size(p), n = 0, i;
	unsigned long *got = malloc((size / G + 1) * sizeof(*got));

	if (!got)
		return 1;
	while (n <= size / G && (got[n] = gen_pool_alloc(p, G)))
		n++;
	for (i = 0; i < n; i++)
		if (gen_pool_free(p, got[i], G))
			return 2;
	free(got);
	if (n * G != size) {
		fprintf(stderr, "child: %zu of %zu bytes allocatable\n", n * G, size);
		return 3;
	}
	return 0;
}

static int child_main(void)
{
	int err;

	alarm(60); /* a lock left held would hang here: SIGALRM fails the test */
	for (int t = 0; t < WORKERS; t++)
		for (int i = 0; i < w[t].n; i++)
			if (gen_pool_free(w[t].pool[i], w[t].addr[i], w[t].size[i]))
				return 10;
	/* the slow thread's chunk is either in or out, never half */
	if (!gen_pool_has_addr(cache_pool, chunk_x, G) &&
	    gen_pool_add(cache_pool, chunk_x, CHUNK_G * G, -1))
		return 11;
	if (gen_pool_remove_chunk(cache_pool, chunk_y) || gen_pool_add(cache_pool, chunk_y,
								       CHUNK_G * G, -1))
		return 12;
	if (gen_pool_set_source(grow_pool, NULL, 0))
		return 13;
	err = child_drain(cache_pool);
	if (!err)
		err = child_drain(grow_pool);
	if (!err && (gen_pool_destroy(cache_pool) || gen_pool_destroy(grow_pool)))
		err = 14;
	if (!err && gen_pool_source_destroy(anon))
		err = 15;
	return err;
}

static void fork_under_load(void **state)
{
	static unsigned char mem[2 * CHUNK_G * G] __attribute__((aligned(4096)));
	pthread_t slow;

	(void)state;
	cache_pool = gen_pool_create_flags(ORDER, -1, GEN_POOL_THREAD_CACHE);
	grow_pool = gen_pool_create(ORDER, -1);
	anon = gen_pool_source_anon(0);
	assert_non_null(cache_pool);
	assert_non_null(grow_pool);
	chunk_x = (unsigned long)mem;
	chunk_y = chunk_x + CHUNK_G * G;
	assert_int_equal(gen_pool_add(cache_pool, chunk_x, CHUNK_G * G, -1), 0);
	assert_int_equal(gen_pool_add(cache_pool, chunk_y, CHUNK_G * G, -1), 0);
	assert_int_equal(gen_pool_set_source(grow_pool, anon, 64 * G), 0);
	/* after the library's (registered at the first pool): runs before it */
	assert_int_equal(pthread_atfork(app_prepare, app_resume, app_child), 0);
	for (int t = 0; t < WORKERS; t++) {
		w[t].rng = 0x1234567 + (uint64_t)t;
		assert_int_equal(pthread_create(&w[t].t, NULL, worker_main, &w[t]), 0);
	}
	assert_int_equal(pthread_create(&slow, NULL, slow_main, NULL), 0);
	for (int round = 0; round < 5; round++) {
		int status;
		pid_t pid;

		usleep(20000 + 10000 * round);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(child_main());
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail_msg("round %d: child %s %d", round,
				 WIFEXITED(status) ? "exited with" : "killed by signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int t = 0; t < WORKERS; t++)
		assert_int_equal(pthread_join(w[t].t, NULL), 0);
	assert_int_equal(pthread_join(slow, NULL), 0);
	if (!gen_pool_has_addr(cache_pool, chunk_x, G))
		assert_int_equal(gen_pool_add(cache_pool, chunk_x, CHUNK_G * G, -1), 0);
	assert_int_equal(gen_pool_destroy(cache_pool), 0);
	assert_int_equal(gen_pool_destroy(grow_pool), 0);
	assert_int_equal(gen_pool_source_destroy(anon), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fork_under_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
