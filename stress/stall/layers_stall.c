/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * layers_stall.c - progress of an object cache under a stalled thread.
 *
 * Object-cache alloc and free are lock-free: a thread stopped anywhere in
 * them must not stop the others. Built against the 'testpoints' library
 * variant, this parks one thread (the victim) once at each pause point of
 * src/layers/objcache_slab.c (src/testpoint.h):
 *
 *  GP_TP_OC_REFILL_CLAIMED        the victim's refill has claimed objects
 *                                 from its slab's free word, not yet in its
 *                                 magazine (its 33rd alloc: the first grew
 *                                 its own slab and filled its magazine);
 *  GP_TP_OC_GROW_UNPUBLISHED      the victim's first alloc has allocated a
 *                                 new slab and not yet published it;
 *  GP_TP_OC_SHRINK_BETWEEN_WORDS  the victim's shrink holds the first free
 *                                 word of a wholly free 8-word slab.
 *
 * While it is parked, NWORKERS threads allocate and free OPS objects each
 * on the same cache, every object claimed in an ownership map (one handed
 * out twice fails the test). Then the victim goes on, and at the end every
 * object is freed, a shrink gives every slab back (the pool is whole
 * again) and the cache is destroyed. A wait that passes DEADLINE seconds
 * fails, so a cache that blocks fails instead of hanging. Exit 1 on failure.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "genpool.h"
#include "testpoint.h"

#define BASE 0x7e0000000000UL /* address-only: never touched */
#define POOL_BYTES (64UL << 20)
#define OBJ 8 /* 512 objects per 4 KiB slab: 8 bitmap words */
#define NWORKERS 2
#define OPS 50000
#define LIVE 16
#define DEADLINE 60.0

static struct gen_pool *pool;
static struct gen_pool_objcache *cache;
static unsigned char owner[POOL_BYTES / OBJ]; /* 0 free, else worker id + 1 */
static enum gp_testpoint armed;
static int parked, release_victim, failures;
static _Thread_local bool victim;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "layers_stall: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	__atomic_store_n(&failures, 1, __ATOMIC_RELAXED);
}

/* Wait until *flag is set, or fail after DEADLINE. */
static bool wait_for(int *flag, const char *what)
{
	double end = now() + DEADLINE;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		if (now() > end) {
			fail("%s: not within %.0f s", what, DEADLINE);
			return false;
		}
		else
			usleep(100);
	return true;
}

static void park_hook(enum gp_testpoint tp)
{
	if (!victim || tp != armed || __atomic_load_n(&parked, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&parked, 1, __ATOMIC_RELEASE);
	wait_for(&release_victim, "the victim's release");
}

static void own(unsigned long obj, unsigned char id)
{
	unsigned char seen = 0;

	if (obj < BASE || obj >= BASE + POOL_BYTES || obj % OBJ)
		fail("object 0x%lx outside the pool or misaligned", obj);
	else if (!__atomic_compare_exchange_n(&owner[(obj - BASE) / OBJ], &seen, id, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		fail("object 0x%lx handed to %u while %u holds it", obj, id, seen);
}

static void disown(unsigned long obj)
{
	__atomic_store_n(&owner[(obj - BASE) / OBJ], 0, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	unsigned char id = (unsigned char)(uintptr_t)arg;
	unsigned long live[LIVE], n = 0, a;
	uint64_t r = id * 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < OPS && !__atomic_load_n(&failures, __ATOMIC_RELAXED); i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		if (n < LIVE && (r & 1 || !n)) {
			if (!(a = gen_pool_objcache_alloc(cache))) {
				fail("worker %u: alloc failed while a thread is parked", id);
				break;
			}
			own(a, id);
			live[n++] = a;
		} else {
			unsigned long k = r % n;

			a = live[k];
			live[k] = live[n - 1];
			n--;
			disown(a);
			if (gen_pool_objcache_free(cache, a))
				fail("worker %u: free of a live object refused", id);
		}
	}
	while (n) {
		disown(live[--n]);
		gen_pool_objcache_free(cache, live[n]);
	}
	return NULL;
}

struct victim_job {
	enum gp_testpoint tp;
	unsigned long objs[512];
	unsigned long n;
};

/* The victim's parked call, after the setup that makes it reach its point. */
static void *victim_main(void *arg)
{
	struct victim_job *v = arg;

	victim = true;
	if (v->tp == GP_TP_OC_SHRINK_BETWEEN_WORDS) {
		victim = false; /* its own slab, wholly free, then the parked shrink */
		for (v->n = 0; v->n < 512; v->n++)
			v->objs[v->n] = gen_pool_objcache_alloc(cache);
		while (v->n)
			gen_pool_objcache_free(cache, v->objs[--v->n]);
		victim = true;
		gen_pool_objcache_shrink(cache);
	} else if (v->tp == GP_TP_OC_REFILL_CLAIMED) {
		victim = false; /* its first alloc grows its own slab, 32 fill its magazine */
		while (v->n < 32)
			v->objs[v->n++] = gen_pool_objcache_alloc(cache);
		victim = true; /* the magazine is empty: a refill from its slab */
		v->objs[v->n++] = gen_pool_objcache_alloc(cache);
	} else {
		v->objs[v->n++] = gen_pool_objcache_alloc(cache);
	}
	victim = false;
	return NULL;
}

static void run_point(enum gp_testpoint tp, const char *name)
{
	struct victim_job v = { .tp = tp };
	pthread_t vt, wt[NWORKERS];
	unsigned long warm = 0;

	cache = gen_pool_objcache_create(pool, name, OBJ, OBJ, 0, NULL, NULL);
	if (tp == GP_TP_OC_GROW_UNPUBLISHED) /* another thread's slab: the workers can go on */
		warm = gen_pool_objcache_alloc(cache);
	armed = tp;
	parked = release_victim = 0;
	pthread_create(&vt, NULL, victim_main, &v);
	if (!wait_for(&parked, name))
		exit(1);
	for (uintptr_t i = 0; i < NWORKERS; i++)
		pthread_create(&wt[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(wt[i], NULL); /* they finish with the victim still parked */
	__atomic_store_n(&release_victim, 1, __ATOMIC_RELEASE);
	pthread_join(vt, NULL);
	while (v.n)
		if (v.objs[--v.n] && gen_pool_objcache_free(cache, v.objs[v.n]))
			fail("%s: the victim's object was refused", name);
	if (warm && gen_pool_objcache_free(cache, warm))
		fail("%s: free refused", name);
	gen_pool_objcache_shrink(cache);
	if (gen_pool_avail(pool) != POOL_BYTES)
		fail("%s: %zu bytes not given back", name, POOL_BYTES - gen_pool_avail(pool));
	if (gen_pool_objcache_destroy(cache))
		fail("%s: destroy refused", name);
	printf("layers_stall: %s: %d workers x %d ops with a thread parked: %s\n", name, NWORKERS,
	       OPS, failures ? "FAILED" : "ok");
}

int main(void)
{
	pool = gen_pool_create(12, -1);
	if (!pool || gen_pool_add(pool, BASE, POOL_BYTES, -1))
		return 1;
	gp_testpoint_set_hook(park_hook);
	run_point(GP_TP_OC_REFILL_CLAIMED, "refill-claimed");
	run_point(GP_TP_OC_GROW_UNPUBLISHED, "grow-unpublished");
	run_point(GP_TP_OC_SHRINK_BETWEEN_WORDS, "shrink-between-words");
	gp_testpoint_set_hook(NULL);
	gen_pool_destroy(pool);
	return failures ? 1 : 0;
}
