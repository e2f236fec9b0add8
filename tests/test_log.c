/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_log.c - the event log: gen_pool_log_start / _stop and GENPOOL_LOG.
 * Records of one thread field by field; every refusal and result; threads
 * logging at once (every call present, each thread's records numbered
 * without a gap, and the (time, thread, tseq) order replayable: no range
 * handed out twice, every free of a live range, also when ranges move
 * between threads); a stop while threads log; buffers written at thread
 * exit and at destroy; a cut-off file read up to its last whole record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error_helpers.h"
#include "genpool.h"
#include "trace_reader.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/genpool-test-log.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static bool exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void read_log(const char *path, struct trace *t)
{
	assert_int_equal(trace_read(path, t), 0);
	assert_int_equal(t->h.source, GP_TRACE_SRC_POOL);
	assert_int_equal(t->partial, 0);
}

static void expect_record(const struct gp_trace_record *r, unsigned int type, uint64_t addr,
			  uint64_t size, unsigned int algo, unsigned int result)
{
	assert_int_equal(r->type, type);
	assert_int_equal(r->addr, addr);
	assert_int_equal(r->size, size);
	assert_int_equal(r->algo, algo);
	assert_int_equal(r->result, result);
}

/* ------------------------------------------------------------------------ */
/* One thread                                                               */

static void records_of_one_thread(void **state)
{
	struct gen_pool_owner *owner = gen_pool_owner_create("log-owner");
	struct gen_pool *pool = gen_pool_create_managed(owner, ORDER, -1, "ring");
	struct genpool_data_align align = { .align = 4 * (int)G };
	struct genpool_data_align bad = { .align = 3 };
	const char *path = path_of("one.gplog");
	unsigned long a, b;
	struct trace t;

	(void)state;
	assert_int_equal(gen_pool_add_virt(pool, BASE_A, 0x7000, 32 * G, -1), 0);
	assert_int_equal(gen_pool_log_start(pool, path), 0);
	assert_int_equal(gen_pool_add(pool, BASE_B, 16 * G + 5, -1), 0);
	a = gen_pool_alloc(pool, 3 * G - 1);
	b = gen_pool_alloc_algo(pool, G, gen_pool_first_fit_align, &align);
	assert_int_equal(gen_pool_alloc(pool, 64 * G), 0);
	assert_int_equal(gen_pool_alloc_algo(pool, G, gen_pool_first_fit_align, &bad), 0);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_free(pool, a, 3 * G - 1), 0);
	assert_int_equal(gen_pool_free(pool, a, 3 * G - 1), -EINVAL);
	expect_report(EINVAL);
	gen_pool_set_algo(pool, gen_pool_best_fit, NULL);
	a = gen_pool_alloc(pool, G);
	assert_int_equal(gen_pool_free(pool, a, G), 0);
	assert_int_equal(gen_pool_free(pool, b, G), 0);
	assert_int_equal(gen_pool_log_stop(pool), 0);
	assert_int_equal(gen_pool_alloc(pool, G), BASE_B); /* not logged any more */

	read_log(path, &t);
	assert_string_equal(t.h.name, "ring");
	assert_int_equal(t.h.min_alloc_order, ORDER);
	assert_int_equal(t.h.flags, 0);
	assert_int_equal(t.n, 11);
	for (size_t i = 0; i < t.n; i++) {
		assert_int_equal(t.rec[i].thread, 1);
		assert_int_equal(t.rec[i].tseq, i);
		assert_true(i == 0 || t.rec[i].time_ns >= t.rec[i - 1].time_ns);
	}
	expect_record(&t.rec[0], GP_TR_ADD, BASE_A, 32 * G, GP_TA_NONE, GP_TRES_OK);
	assert_int_equal(t.rec[0].aux, 0x7000);
	assert_int_equal(t.rec[0].time_ns, 0);
	expect_record(&t.rec[1], GP_TR_ADD, BASE_B, 16 * G, GP_TA_NONE, GP_TRES_OK);
	assert_int_equal(t.rec[1].aux, (uint64_t)(phys_addr_t)-1);
	expect_record(&t.rec[2], GP_TR_ALLOC, BASE_B, 3 * G - 1, GP_TA_FIRST_FIT, GP_TRES_OK);
	expect_record(&t.rec[3], GP_TR_ALLOC, BASE_B + 4 * G, G, GP_TA_ALIGN, GP_TRES_OK);
	assert_int_equal(t.rec[3].aux, 4 * G);
	expect_record(&t.rec[4], GP_TR_ALLOC, 0, 64 * G, GP_TA_FIRST_FIT, GP_TRES_NOMEM);
	expect_record(&t.rec[5], GP_TR_ALLOC, 0, G, GP_TA_ALIGN, GP_TRES_REFUSED);
	expect_record(&t.rec[6], GP_TR_FREE, BASE_B, 3 * G - 1, GP_TA_NONE, GP_TRES_OK);
	expect_record(&t.rec[7], GP_TR_FREE, BASE_B, 3 * G - 1, GP_TA_NONE, GP_TRES_REFUSED);
	expect_record(&t.rec[8], GP_TR_ALLOC, BASE_B, G, GP_TA_BEST_FIT, GP_TRES_OK);
	expect_record(&t.rec[9], GP_TR_FREE, BASE_B, G, GP_TA_NONE, GP_TRES_OK);
	expect_record(&t.rec[10], GP_TR_FREE, BASE_B + 4 * G, G, GP_TA_NONE, GP_TRES_OK);
	trace_free(&t);
	assert_int_equal(gen_pool_free(pool, BASE_B, G), 0);
	assert_int_equal(gen_pool_owner_destroy(owner), 0);
}

static void refusals_and_results(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	struct gen_pool_stats st;

	(void)state;
	assert_int_equal(gen_pool_log_start(NULL, path_of("x")), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_log_start(pool, NULL), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_log_stop(NULL), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_log_stop(pool), -EINVAL); /* not logging */
	expect_report(EINVAL);
	/* paths that cannot be created: their errno, no file, nothing reported */
	assert_int_equal(gen_pool_log_start(pool, path_of("no/such/dir")), -ENOENT);
	assert_int_equal(gen_pool_log_start(pool, dir), -EISDIR);
	assert_int_equal(gen_pool_log_start(pool, ""), -ENOENT);
	assert_false(exists(path_of("no")));
	expect_no_report();
	assert_int_equal(gen_pool_log_start(pool, path_of("first")), 0);
	assert_int_equal(gen_pool_log_start(pool, path_of("second")), -EBUSY);
	assert_false(exists(path_of("second")));
	expect_no_report();
	assert_int_equal(gen_pool_log_stop(pool), 0);
	assert_int_equal(gen_pool_log_stop(pool), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_get_stats(pool, &st, sizeof(st)), 0);
	assert_int_equal(st.refused, 3); /* the refusals with a pool */
	/* an existing file (here a device) is written as it is, never removed */
	assert_int_equal(gen_pool_log_start(pool, "/dev/null"), 0);
	assert_int_equal(gen_pool_log_stop(pool), 0);
	assert_true(exists("/dev/null"));
	/* a stopped pool logs again, to a new file */
	assert_int_equal(gen_pool_log_start(pool, path_of("second")), 0);
	assert_int_equal(gen_pool_destroy(pool), 0); /* stops the log */
	assert_true(exists(path_of("second")));
}

static void stop_inside_callback(struct gen_pool *pool, struct gen_pool_chunk *c, void *data)
{
	(void)c;
	*(int *)data = gen_pool_log_stop(pool);
}

static void stop_in_a_callback_is_deadlock(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	int err = 0;

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 32 * G, -1), 0);
	assert_int_equal(gen_pool_log_start(pool, path_of("cb")), 0);
	gen_pool_for_each_chunk(pool, stop_inside_callback, &err);
	assert_int_equal(err, -EDEADLK);
	expect_no_report();
	assert_int_equal(gen_pool_log_stop(pool), 0);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* A cache pool's small default-algorithm requests are served by the cache. */
static void cache_allocations_are_marked(void **state)
{
	struct gen_pool *pool = gen_pool_create_flags(ORDER, -1, GEN_POOL_THREAD_CACHE);
	const char *path = path_of("cache");
	unsigned long a;
	struct trace t;

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 256 * G, -1), 0);
	assert_int_equal(gen_pool_log_start(pool, path), 0);
	a = gen_pool_alloc(pool, G);
	assert_int_equal(gen_pool_free(pool, a, G), 0);
	a = gen_pool_alloc(pool, 100 * G); /* beyond the cached sizes */
	assert_int_equal(gen_pool_free(pool, a, 100 * G), 0);
	assert_int_equal(gen_pool_log_stop(pool), 0);
	read_log(path, &t);
	assert_int_equal(t.n, 5);
	assert_int_equal(t.h.flags, GEN_POOL_THREAD_CACHE);
	assert_int_equal(t.rec[1].algo, GP_TA_CACHE);
	assert_int_equal(t.rec[3].algo, GP_TA_FIRST_FIT);
	trace_free(&t);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */

#define LOGGERS 4
#define PAIRS 3000
#define HANDOFF 64

struct logger {
	struct gen_pool *pool;
	unsigned int seed;
	unsigned long ring[HANDOFF]; /* ranges handed to the next thread */
	unsigned int allocs, frees;
	struct logger *next;
	volatile int *stop;
};

/* Allocate, and free either our own range or one the previous thread left us. */
static void *log_worker(void *arg)
{
	struct logger *l = arg;

	for (unsigned int i = 0;
	     i < PAIRS || (l->stop && !__atomic_load_n(l->stop, __ATOMIC_RELAXED)); i++) {
		unsigned long a = gen_pool_alloc(l->pool, G);
		unsigned int k = rand_r(&l->seed) % HANDOFF;
		unsigned long mine;

		if (!a)
			continue;
		l->allocs++;
		/* hand a to the next thread's slot; free what was there */
		mine = __atomic_exchange_n(&l->next->ring[k], a, __ATOMIC_ACQ_REL);
		if (mine) {
			assert_int_equal(gen_pool_free(l->pool, mine, G), 0);
			l->frees++;
		}
	}
	return NULL;
}

/*
 * Replay @t (sorted) against a model of live ranges: every ALLOC ok must
 * be free in the model, every FREE ok live. Returns the live count.
 */
static size_t replay_check(const struct trace *t)
{
	size_t live = 0, cap = 1u << 20;
	unsigned char *busy = calloc(cap, 1); /* granule index from BASE_A */

	for (size_t i = 0; i < t->n; i++) {
		const struct gp_trace_record *r = &t->rec[i];
		size_t g = (r->addr - BASE_A) / G;

		if (r->type == GP_TR_ALLOC && r->result == GP_TRES_OK) {
			assert_true(g < cap);
			assert_int_equal(busy[g], 0); /* never handed out twice */
			busy[g] = 1;
			live++;
		} else if (r->type == GP_TR_FREE && r->result == GP_TRES_OK) {
			assert_true(g < cap);
			assert_int_equal(busy[g], 1); /* freed after its allocation */
			busy[g] = 0;
			live--;
		}
	}
	free(busy);
	return live;
}

/* Each thread's records are numbered 0, 1, ... without a gap; counts per type. */
static void check_threads(const struct trace *t, unsigned int threads, unsigned int *allocs,
			  unsigned int *frees)
{
	uint32_t next[LOGGERS + 2] = { 0 };

	for (size_t i = 0; i < t->n; i++) {
		const struct gp_trace_record *r = &t->rec[i];

		assert_true(r->thread >= 1 && r->thread <= threads);
		assert_int_equal(r->tseq, next[r->thread]++);
		*allocs += r->type == GP_TR_ALLOC && r->result == GP_TRES_OK;
		*frees += r->type == GP_TR_FREE && r->result == GP_TRES_OK;
	}
}

static void run_loggers(struct gen_pool *pool, struct logger *l, volatile int *stop,
			pthread_t *th)
{
	memset(l, 0, sizeof(*l) * LOGGERS);
	for (int i = 0; i < LOGGERS; i++) {
		l[i].pool = pool;
		l[i].seed = 7u * (unsigned int)i + 1;
		l[i].next = &l[(i + 1) % LOGGERS];
		l[i].stop = stop;
	}
	for (int i = 0; i < LOGGERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, log_worker, &l[i]), 0);
}

static void free_rings(struct gen_pool *pool, struct logger *l)
{
	for (int i = 0; i < LOGGERS; i++)
		for (int k = 0; k < HANDOFF; k++)
			if (l[i].ring[k])
				assert_int_equal(gen_pool_free(pool, l[i].ring[k], G), 0);
}

/* Threads exit before the stop: their buffers are written at their exit. */
static void threads_log_every_call(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	const char *path = path_of("threads");
	unsigned int allocs = 0, frees = 0, want_a = 0, want_f = 0;
	struct logger l[LOGGERS];
	pthread_t th[LOGGERS];
	struct trace t;

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 4096 * G, -1), 0);
	assert_int_equal(gen_pool_log_start(pool, path), 0);
	run_loggers(pool, l, NULL, th);
	for (int i = 0; i < LOGGERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		want_a += l[i].allocs;
		want_f += l[i].frees;
	}
	/* written at the threads' exit: on disk before the stop (this thread's ADD is not) */
	read_log(path, &t);
	assert_int_equal(t.n, want_a + want_f);
	trace_free(&t);
	assert_int_equal(gen_pool_log_stop(pool), 0);
	read_log(path, &t);
	check_threads(&t, LOGGERS + 1, &allocs, &frees);
	assert_int_equal(allocs, want_a);
	assert_int_equal(frees, want_f);
	trace_sort(&t);
	assert_int_equal(t.rec[0].type, GP_TR_ADD);
	assert_int_equal(replay_check(&t), want_a - want_f);
	trace_free(&t);
	free_rings(pool, l);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* A stop while threads log: a consistent prefix of each thread, nothing torn. */
static void stop_while_threads_log(void **state)
{
	struct gen_pool *pool = gen_pool_create_flags(ORDER, -1, GEN_POOL_THREAD_CACHE);
	const char *path = path_of("racing");
	unsigned int allocs = 0, frees = 0;
	struct logger l[LOGGERS];
	pthread_t th[LOGGERS];
	volatile int stop = 0;
	struct trace t;

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 4096 * G, -1), 0);
	assert_int_equal(gen_pool_log_start(pool, path), 0);
	run_loggers(pool, l, &stop, th);
	usleep(20000);
	assert_int_equal(gen_pool_log_stop(pool), 0);
	usleep(5000);
	assert_int_equal(gen_pool_log_start(pool, path_of("racing2")), 0);
	usleep(5000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < LOGGERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(gen_pool_log_stop(pool), 0);
	read_log(path, &t);
	check_threads(&t, LOGGERS + 1, &allocs, &frees);
	assert_true(allocs > 0);
	trace_free(&t);
	read_log(path_of("racing2"), &t);
	allocs = frees = 0;
	check_threads(&t, LOGGERS + 1, &allocs, &frees);
	trace_free(&t);
	free_rings(pool, l);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* A crash leaves whole records and perhaps a partial one: read up to it. */
static void truncated_log_is_readable(void **state)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	const char *path = path_of("cut");
	size_t whole;
	struct trace t;

	(void)state;
	assert_int_equal(gen_pool_add(pool, BASE_A, 64 * G, -1), 0);
	assert_int_equal(gen_pool_log_start(pool, path), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(gen_pool_free(pool, gen_pool_alloc(pool, G), G), 0);
	assert_int_equal(gen_pool_log_stop(pool), 0);
	read_log(path, &t);
	whole = t.n;
	assert_int_equal(whole, 21);
	trace_free(&t);
	assert_int_equal(truncate(path, (off_t)(sizeof(struct gp_trace_header) +
						 7 * sizeof(struct gp_trace_record) + 30)), 0);
	assert_int_equal(trace_read(path, &t), 0);
	assert_int_equal(t.n, 7);
	assert_int_equal(t.partial, 30);
	assert_int_equal(t.rec[6].type, GP_TR_FREE);
	assert_int_equal(t.rec[6].tseq, 6);
	trace_free(&t);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* GENPOOL_LOG: every pool created logs to <prefix>.<pid>.<n>. */
static void environment_starts_logs(void **state)
{
	char prefix[128], pattern[160];
	struct gen_pool *a, *b;
	struct trace t;
	glob_t g;

	(void)state;
	snprintf(prefix, sizeof(prefix), "%s/env", dir);
	setenv("GENPOOL_LOG", prefix, 1);
	a = gen_pool_create(ORDER, -1);
	b = gen_pool_create(ORDER + 1, -1);
	unsetenv("GENPOOL_LOG");
	assert_int_equal(gen_pool_add(a, BASE_A, 32 * G, -1), 0);
	assert_int_equal(gen_pool_free(a, gen_pool_alloc(a, G), G), 0);
	assert_int_equal(gen_pool_destroy(a), 0); /* written out at destroy */
	assert_int_equal(gen_pool_destroy(b), 0);
	snprintf(pattern, sizeof(pattern), "%s.%d.*", prefix, (int)getpid());
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 2);
	read_log(g.gl_pathv[0], &t);
	if (t.h.min_alloc_order != ORDER) {
		trace_free(&t);
		read_log(g.gl_pathv[1], &t);
	}
	assert_int_equal(t.h.min_alloc_order, ORDER);
	assert_int_equal(t.n, 3);
	trace_free(&t);
	globfree(&g);
	/* a prefix that cannot be created: the pool is created, unlogged */
	setenv("GENPOOL_LOG", "/nonexistent-dir/x", 1);
	a = gen_pool_create(ORDER, -1);
	unsetenv("GENPOOL_LOG");
	assert_non_null(a);
	assert_int_equal(gen_pool_log_stop(a), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_destroy(a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(records_of_one_thread, setup),
		cmocka_unit_test_setup(refusals_and_results, setup),
		cmocka_unit_test_setup(stop_in_a_callback_is_deadlock, setup),
		cmocka_unit_test_setup(cache_allocations_are_marked, setup),
		cmocka_unit_test_setup(threads_log_every_call, setup),
		cmocka_unit_test_setup(stop_while_threads_log, setup),
		cmocka_unit_test_setup(truncated_log_is_readable, setup),
		cmocka_unit_test_setup(environment_starts_logs, setup),
	};

	/* one test only (the mutant check runs the one that catches its bug) */
	if (getenv("TEST_LOG_ONLY"))
		cmocka_set_test_filter(getenv("TEST_LOG_ONLY"));
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
