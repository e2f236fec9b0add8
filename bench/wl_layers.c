// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wl_layers.c - workloads of the layers over the pool (issue 13):
 *
 *   obj_pair    alloc + free of one BENCH_OBJ_BYTES object, again and again:
 *               genpool_oc (an object cache) beside jemalloc's malloc/free of
 *               the same size; at 1, 2 and 16 threads for the scaling.
 *   obj_meta    the object cache's bookkeeping, measured, not computed: the
 *               heap (mallinfo2) grown by OBJ_META_SLABS slabs of 64-byte
 *               objects and by as many of 8-byte ones (64 and 512 objects per
 *               4 KiB slab); the difference per object is the bits per object,
 *               the rest the fixed cost per slab. One op: one measurement.
 *   rs_exhaust  a reserve of RS_MIN one-granule elements over a pool that
 *               other users hold entirely: every thread takes an element
 *               (waiting, asleep, when none is free), and frees it. One op:
 *               one element served from the reserve and given back.
 *   rs_wake     two threads, one element: the holder frees it while the
 *               other sleeps in gen_pool_reserve_alloc(-1); a latency sample
 *               is from just before the free to the waiter's return (the
 *               wake-up latency, p50/p99 from the latency counters).
 *
 * The reserve workloads build their own address-only pool (never touched)
 * and leave nothing behind. obj_meta likewise.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <genpool.h>

#include "workload.h"

#define OWN_BASE 0x600000000000UL /* address-only pools of these workloads */
#define OBJ_META_SLABS 1024
#define RS_MIN 2
#define RS_POOL_GRANULES 256
#define WAKE_SLEEP_US 200 /* the waiter is asleep in the futex by then */

/* ------------------------------------------------------------------------ */
/* obj_pair                                                                 */

static int obj_setup(struct wl_run *run, char *why, size_t len)
{
	return wl_attach_empty(run, false, why, len);
}

static void obj_step(struct wl_run *run, struct wl_thread *t)
{
	bool timed = wl_sampled(t);
	uint64_t t0 = timed ? lat_now() : 0;
	uintptr_t addr = run->a->alloc(run->ctx, BENCH_OBJ_BYTES);

	if (addr && run->a->free(run->ctx, addr, BENCH_OBJ_BYTES))
		wl_bad_free(run, t, addr, BENCH_OBJ_BYTES);
	if (timed)
		lat_add(&t->lat, lat_ns(t0, lat_now()));
	t->fails += !addr;
	t->ops++;
}

const struct workload wl_obj_pair = {
	.name = "obj_pair",
	.op = "alloc of one 64-byte object, then its free",
	.lat = "the pair",
	.setup = obj_setup,
	.step = obj_step,
};

/* ------------------------------------------------------------------------ */
/* obj_meta                                                                 */

static size_t heap_bytes(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* Heap bytes per slab of a cache of @size-byte objects; @per gets objects per slab. */
static double per_slab_bytes(size_t size, unsigned long *objs, unsigned long *per)
{
	struct gen_pool *pool = gen_pool_create(12, -1);
	struct gen_pool_objcache *c;
	size_t before, after;
	unsigned long n = 0, a;

	*per = 4096 / size;
	if (!pool || gen_pool_add(pool, OWN_BASE, (size_t)OBJ_META_SLABS * 4096, -1))
		return -1;
	before = heap_bytes();
	c = gen_pool_objcache_create(pool, NULL, size, 8, 0, NULL, NULL);
	while (c && (a = gen_pool_objcache_alloc(c)))
		objs[n++] = a;
	after = heap_bytes();
	while (n)
		gen_pool_objcache_free(c, objs[--n]);
	if (!c || gen_pool_objcache_destroy(c) || gen_pool_destroy(pool))
		return -1;
	return (double)(after - before) / OBJ_META_SLABS;
}

static int meta_setup(struct wl_run *run, char *why, size_t len)
{
	unsigned long *objs = malloc(sizeof(*objs) * OBJ_META_SLABS * 512), p64, p8;
	double d64, d8, bits;

	if (!objs) {
		snprintf(why, len, "no memory");
		return -1;
	}
	memset(objs, 0, sizeof(*objs) * OBJ_META_SLABS * 512); /* touched before measuring */
	d64 = per_slab_bytes(64, objs, &p64);
	d8 = per_slab_bytes(8, objs, &p8);
	free(objs);
	if (d64 < 0 || d8 < 0) {
		snprintf(why, len, "the object caches refused the measurement");
		return -1;
	}
	bits = (d8 - d64) * 8 / (double)(p8 - p64);
	wl_counter(run, "oc_bits_per_object", bits);
	wl_counter(run, "oc_fixed_bytes_per_slab", d64 - bits * (double)p64 / 8);
	wl_counter(run, "oc_bytes_per_slab_64", d64);
	wl_counter(run, "oc_bytes_per_slab_8", d8);
	return 0;
}

static void meta_step(struct wl_run *run, struct wl_thread *t)
{
	(void)run;
	t->ops++;
}

const struct workload wl_obj_meta = {
	.name = "obj_meta",
	.op = "one measurement (taken once, at setup)",
	.lat = "none",
	.needs = WL_NEEDS_GENPOOL,
	.setup = meta_setup,
	.step = meta_step,
};

/* ------------------------------------------------------------------------ */
/* Reserves: a pool that others hold entirely                               */

struct rs_state {
	struct gen_pool *pool;
	struct gen_pool_reserve *r;
	unsigned long held[RS_POOL_GRANULES];
	unsigned long nheld;
	_Atomic uint64_t t_free; /* rs_wake: lat_now() just before the free */
	unsigned long elem;      /* rs_wake: the element, between the two */
};

static int rs_setup_min(struct wl_run *run, unsigned int min_nr, char *why, size_t len)
{
	struct rs_state *s = calloc(1, sizeof(*s));
	unsigned long a;

	run->priv = s;
	if (!s || !(s->pool = gen_pool_create(12, -1)) ||
	    gen_pool_add(s->pool, OWN_BASE, RS_POOL_GRANULES << 12, -1) ||
	    !(s->r = gen_pool_reserve_create(s->pool, 4096, min_nr))) {
		snprintf(why, len, "the pool or the reserve was refused");
		return -1;
	}
	while ((a = gen_pool_alloc(s->pool, 4096))) /* the other users: everything */
		s->held[s->nheld++] = a;
	return 0;
}

static int rs_setup(struct wl_run *run, char *why, size_t len)
{
	return rs_setup_min(run, RS_MIN, why, len);
}

static void rs_teardown(struct wl_run *run)
{
	struct rs_state *s = run->priv;

	while (s->nheld)
		gen_pool_free(s->pool, s->held[--s->nheld], 4096);
	if (gen_pool_reserve_destroy(s->r) || gen_pool_destroy(s->pool))
		fprintf(stderr, "bench: %s: the reserve or its pool did not come back\n",
			run->job->name);
	free(s);
}

static void rs_step(struct wl_run *run, struct wl_thread *t)
{
	struct rs_state *s = run->priv;
	bool timed = wl_sampled(t);
	uint64_t t0 = timed ? lat_now() : 0;
	unsigned long e = gen_pool_reserve_alloc(s->r, -1);

	if (!e || gen_pool_reserve_free(s->r, e))
		wl_bad_free(run, t, e, 4096);
	if (timed)
		lat_add(&t->lat, lat_ns(t0, lat_now()));
	t->ops++;
}

const struct workload wl_rs_exhaust = {
	.name = "rs_exhaust",
	.op = "one element served from the reserve (the pool is held by others) and freed",
	.lat = "alloc (waits included) + free",
	.needs = WL_NEEDS_GENPOOL,
	.setup = rs_setup,
	.step = rs_step,
	.teardown = rs_teardown,
};

static int wake_setup(struct wl_run *run, char *why, size_t len)
{
	if (run->nthreads != 2) {
		snprintf(why, len, "rs_wake runs with 2 threads");
		return -1;
	}
	return rs_setup_min(run, 1, why, len);
}

/* Thread 0 holds the one element and frees it; thread 1 sleeps until then. */
static void wake_step(struct wl_run *run, struct wl_thread *t)
{
	struct rs_state *s = run->priv;
	unsigned long e;

	if (t->id == 0) {
		s->elem = gen_pool_reserve_alloc(s->r, 0);
		pthread_barrier_wait(&run->barrier);
		usleep(WAKE_SLEEP_US);
		atomic_store(&s->t_free, lat_now());
		if (!s->elem || gen_pool_reserve_free(s->r, s->elem))
			wl_bad_free(run, t, s->elem, 4096);
	} else {
		pthread_barrier_wait(&run->barrier);
		e = gen_pool_reserve_alloc(s->r, -1);
		lat_add(&t->lat, lat_ns(atomic_load(&s->t_free), lat_now()));
		if (!e || gen_pool_reserve_free(s->r, e))
			wl_bad_free(run, t, e, 4096);
	}
	pthread_barrier_wait(&run->barrier);
	t->ops++;
}

const struct workload wl_rs_wake = {
	.name = "rs_wake",
	.lockstep = true,
	.pairs = true,
	.op = "one hand-over: a free while the other thread sleeps in reserve_alloc(-1)",
	.lat = "the waiter's wake-up: from before the free to the waiter's return",
	.needs = WL_NEEDS_GENPOOL,
	.setup = wake_setup,
	.step = wake_step,
	.teardown = rs_teardown,
};
