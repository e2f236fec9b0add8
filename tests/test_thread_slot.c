// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_thread_slot.c - per-thread slots (src/thread.c):
 *  - threads alive at once hold distinct slots, the first 256 of them
 *    below GP_THREAD_SLOTS_REUSED, the rest above it;
 *  - an exited thread's slot comes back: a thread started after another
 *    exited takes the same slot, however many came and went;
 *  - after its slot's destructor the thread runs on as a retired slot
 *    (above the reused range, the same shard), never as the slot it gave
 *    back, which another thread may hold by then (mutant slot_not_retired);
 *  - a thread that owns thread caches keeps its slot until they are freed
 *    (a cache counts its hits on its owner's slot);
 *  - allocation statistics stay exact while threads come and go, their
 *    single-writer shards changing hands;
 *  - after fork the child's new threads get the slots the parent's other
 *    threads held.
 * Key destructors run in key order within a round (glibc), and the
 * library's key is made at the process's first slot: a key the test makes
 * later runs after it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "tsan.h"

#define REUSED GP_THREAD_SLOTS_REUSED

/* ------------------------------------------------------------------------ */
/* Threads that report their slot                                           */

struct probe {
	pthread_barrier_t *all_in; /* NULL: report and exit at once */
	unsigned int slot;
};

static void *report_slot(void *arg)
{
	struct probe *p = arg;

	p->slot = gp_thread_slot();
	if (p->all_in)
		pthread_barrier_wait(p->all_in);
	return NULL;
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;

	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstacksize(&attr, 128 * 1024), 0);
	assert_int_equal(pthread_create(&t, &attr, fn, arg), 0);
	pthread_attr_destroy(&attr);
	return t;
}

static unsigned int slot_of_one_thread(void)
{
	struct probe p = { NULL, 0 };

	assert_int_equal(pthread_join(start(report_slot, &p), NULL), 0);
	return p.slot;
}

/* @n threads alive at once: distinct slots, as many below REUSED as fit. */
static void live_threads(unsigned int n)
{
	struct probe *p = calloc(n, sizeof(*p));
	pthread_t *t = calloc(n, sizeof(*t));
	pthread_barrier_t all_in;
	unsigned int low = 0;

	assert_non_null(p);
	assert_non_null(t);
	assert_int_equal(pthread_barrier_init(&all_in, NULL, n), 0);
	for (unsigned int i = 0; i < n; i++) {
		p[i].all_in = &all_in;
		t[i] = start(report_slot, &p[i]);
	}
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&all_in);
	for (unsigned int i = 0; i < n; i++) {
		low += p[i].slot < REUSED;
		for (unsigned int j = 0; j < i; j++)
			if (p[i].slot == p[j].slot)
				fail_msg("live threads %u and %u both hold slot %u", j, i, p[i].slot);
	}
	/* the main thread holds one reused slot; a leftover exit may hold none */
	assert_true(low >= (n < REUSED - 1 ? n : REUSED - 1));
	free(p);
	free(t);
}

static void live_threads_hold_distinct_slots(void **state)
{
	(void)state;
	(void)gp_thread_slot();
	live_threads(8);
	live_threads(300); /* past the reused range */
	live_threads(8);   /* and every one of them came back */
}

static void exited_threads_slots_come_back(void **state)
{
	unsigned int first;

	(void)state;
	(void)gp_thread_slot();
	first = slot_of_one_thread();
	assert_true(first < REUSED);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(slot_of_one_thread(), first);
}

/* ------------------------------------------------------------------------ */
/* After the slot's destructor                                              */

static pthread_key_t late_key; /* made after the library's: destroyed after it */

struct late {
	struct gen_pool *pool;
	unsigned int slot, slot_at_exit, slot_in_round2;
	int round;
	bool cached;
};

static void late_exit(void *arg)
{
	struct late *l = arg;
	unsigned long a;

	if (l->round++ == 0) {
		l->slot_at_exit = gp_thread_slot();
		(void)pthread_setspecific(late_key, l); /* see round 2 too */
	} else {
		l->slot_in_round2 = gp_thread_slot();
	}
	/* the library still works here, counting on whatever slot it is on */
	a = gen_pool_alloc(l->pool, 16);
	assert_true(a != 0);
	assert_int_equal(gen_pool_free(l->pool, a, 16), 0);
}

static void *late_thread(void *arg)
{
	struct late *l = arg;
	unsigned long a = gen_pool_alloc(l->pool, 16);

	l->slot = gp_thread_slot();
	assert_true(a != 0);
	assert_int_equal(gen_pool_free(l->pool, a, 16), 0);
	assert_int_equal(pthread_setspecific(late_key, l), 0);
	return NULL;
}

static struct gen_pool *pool_of(unsigned int flags)
{
	struct gen_pool *pool = gen_pool_create_flags(4, -1, flags);

	assert_non_null(pool);
	assert_int_equal(gen_pool_add(pool, 1UL << 36, 1UL << 20, -1), 0);
	return pool;
}

/* Round 1: the slot's destructor ran first; round 2: so did the caches'. */
static struct late run_late(unsigned int flags)
{
	struct late l = { .pool = pool_of(flags), .cached = flags & GEN_POOL_THREAD_CACHE };
	struct gen_pool_stats st;

	(void)gp_thread_slot(); /* the library's key exists before late_key */
	assert_int_equal(pthread_key_create(&late_key, late_exit), 0);
	assert_int_equal(pthread_join(start(late_thread, &l), NULL), 0);
	assert_int_equal(pthread_key_delete(late_key), 0);
	assert_int_equal(l.round, 2);
	assert_int_equal(gen_pool_get_stats(l.pool, &st, sizeof(st)), 0);
	assert_int_equal(st.allocs, 3);
	assert_int_equal(st.frees, 3);
	assert_int_equal(gen_pool_avail(l.pool), gen_pool_size(l.pool));
	assert_int_equal(gen_pool_destroy(l.pool), 0);
	return l;
}

static void exiting_thread_runs_on_retired_slot(void **state)
{
	struct late l;

	(void)state;
	l = run_late(0);
	assert_true(l.slot < REUSED);
	if (l.slot_at_exit < REUSED)
		fail_msg("after giving slot %u back the thread still counts on slot %u",
			 l.slot, l.slot_at_exit);
	assert_int_equal(l.slot_at_exit % GP_NSHARDS, l.slot % GP_NSHARDS);
	assert_int_equal(l.slot_at_exit % 64, l.slot % 64); /* scalable fit's start */
	assert_int_equal(slot_of_one_thread(), l.slot);   /* and it came back */
}

static void cache_owner_keeps_slot_until_caches_go(void **state)
{
	struct late l;

	(void)state;
	l = run_late(GEN_POOL_THREAD_CACHE);
	assert_true(l.slot < REUSED);
	/* round 1: the caches still existed, so the slot was still the thread's */
	assert_int_equal(l.slot_at_exit, l.slot);
	assert_int_equal(l.slot_in_round2 - REUSED, l.slot);
	assert_int_equal(slot_of_one_thread(), l.slot);
}

/* ------------------------------------------------------------------------ */
/* Statistics while slots change hands                                      */

#define PAIRS 2000

static void *pairs(void *arg)
{
	struct gen_pool *pool = arg;

	for (int i = 0; i < PAIRS; i++) {
		unsigned long a = gen_pool_alloc(pool, 16 * (1 + i % 3));

		assert_true(a != 0);
		assert_int_equal(gen_pool_free(pool, a, 16 * (1 + i % 3)), 0);
	}
	return NULL;
}

static void stats_exact_while_threads_come_and_go(void **state)
{
	static const unsigned int kinds[] = { 0, GEN_POOL_THREAD_CACHE };
	struct gen_pool_stats st;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct gen_pool *pool = pool_of(kinds[k]);
		pthread_t t[4];

		for (int round = 0; round < 40; round++) {
			for (int i = 0; i < 4; i++)
				t[i] = start(pairs, pool);
			for (int i = 0; i < 4; i++)
				assert_int_equal(pthread_join(t[i], NULL), 0);
		}
		assert_int_equal(gen_pool_get_stats(pool, &st, sizeof(st)), 0);
		assert_int_equal(st.allocs, 40ULL * 4 * PAIRS);
		assert_int_equal(st.frees, 40ULL * 4 * PAIRS);
		assert_int_equal(gen_pool_avail(pool), gen_pool_size(pool));
		assert_int_equal(gen_pool_destroy(pool), 0);
	}
}

/* ------------------------------------------------------------------------ */
/* fork                                                                     */

static void *hold_until(void *arg)
{
	struct probe *p = arg;

	p->slot = gp_thread_slot();
	pthread_barrier_wait(p->all_in); /* slot taken */
	pthread_barrier_wait(p->all_in); /* parent forked */
	return NULL;
}

static void child_reuses_parents_other_slots(void **state)
{
	struct gen_pool *pool = pool_of(0); /* registers the library's fork handlers */
	pthread_barrier_t b;
	struct probe held[4];
	pthread_t t[4];
	unsigned int own = gp_thread_slot(), lowest = own == 0 ? 1 : 0;
	int status;
	pid_t pid;

	(void)state;
#ifdef GP_TSAN
	/* TSan cannot start threads in the child of a multi-threaded fork */
	assert_int_equal(gen_pool_destroy(pool), 0);
	skip();
#endif
	assert_int_equal(pthread_barrier_init(&b, NULL, 5), 0);
	for (int i = 0; i < 4; i++) {
		held[i].all_in = &b;
		t[i] = start(hold_until, &held[i]);
	}
	pthread_barrier_wait(&b);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) /* the child: the four holders are gone, so are their slots */
		_exit(slot_of_one_thread() == lowest ? 0 : 1);
	pthread_barrier_wait(&b);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&b);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status))
		fail_msg("the child's first thread did not get slot %u, held in the parent by a "
			 "thread the child does not have", lowest);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(live_threads_hold_distinct_slots),
		cmocka_unit_test(exited_threads_slots_come_back),
		cmocka_unit_test(exiting_thread_runs_on_retired_slot),
		cmocka_unit_test(cache_owner_keeps_slot_until_caches_go),
		cmocka_unit_test(stats_exact_while_threads_come_and_go),
		cmocka_unit_test(child_reuses_parents_other_slots),
	};
	const char *only = getenv("TEST_SLOT_ONLY");

	if (only)
		cmocka_set_test_filter(only);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
