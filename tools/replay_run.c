// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * replay_run.c - the timed replay (replay.h: replay_run).
 *
 * The loop does nothing but index the slot array and call the allocator,
 * so the time per op is the allocator's. With N > 1 workers, recorded
 * thread t runs on worker (t - 1) % N in the recorded order; a free whose
 * allocation another worker has not done yet waits for it (the sorted
 * trace always has the allocation earlier, so the op with the lowest
 * event number is never waiting: no deadlock).
 *
 * Concurrency: slot s is written once by its allocating worker (release)
 * and read by the freeing worker (acquire, pairs with that release); no
 * other shared state.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "replay.h"

#define SLOT_FAILED UINTPTR_MAX	/* its allocation failed: the free is skipped */

struct run {
	const struct replay_prog *p;
	const struct replay_alloc *a;
	_Atomic uintptr_t *slot;
	unsigned int nthreads;
	_Atomic int go;		/* 1: start, -1: give up (a thread could not start) */
};

struct worker {
	struct run *run;
	unsigned int id;
	size_t ops, failed;
	pthread_t tid;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t align_of(const struct replay_op *o)
{
	return o->align_log2 ? (size_t)1 << o->align_log2 : 0;
}

/* Wait for another worker's allocation of @slot; its address. */
static uintptr_t wait_slot(_Atomic uintptr_t *slot)
{
	unsigned int spins = 0;
	uintptr_t v;

	/* acquire: pairs with the release store of the allocating worker */
	while (!(v = atomic_load_explicit(slot, memory_order_acquire)))
		if (++spins > 64)
			sched_yield();
	return v;
}

static void run_op(struct worker *w, const struct replay_op *o)
{
	const struct replay_alloc *a = w->run->a;
	_Atomic uintptr_t *slot = w->run->slot;
	uintptr_t v;

	switch (o->kind) {
	case RO_ALLOC:
		v = a->alloc(a->ctx, o->size, align_of(o));
		if (!v) {
			w->failed++;
			v = SLOT_FAILED;
		}
		/* release: pairs with wait_slot's acquire in the freeing worker */
		atomic_store_explicit(&slot[o->slot], v, memory_order_release);
		break;
	case RO_ALLOC_TRY:
		v = a->alloc(a->ctx, o->size, align_of(o));
		if (v)
			a->free(a->ctx, v, o->size);
		else
			w->failed++;
		break;
	case RO_FREE:
		v = wait_slot(&slot[o->slot]);
		if (v != SLOT_FAILED) {
			a->free(a->ctx, v, o->size);
			atomic_store_explicit(&slot[o->slot], SLOT_FAILED, memory_order_relaxed);
		}
		break;
	case RO_CHUNK:
		return;
	}
	w->ops++;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	const struct replay_prog *p = w->run->p;
	unsigned int n = w->run->nthreads;

	if (w->run->a->thread_init)
		w->run->a->thread_init(w->run->a->ctx);
	/* acquire: pairs with run_threads' release of the start flag */
	while (n > 1 && !atomic_load_explicit(&w->run->go, memory_order_acquire))
		sched_yield();
	if (atomic_load_explicit(&w->run->go, memory_order_relaxed) < 0)
		return NULL;
	for (size_t i = 0; i < p->nops; i++)
		if (n == 1 || (p->op[i].thread - 1) % n == w->id)
			run_op(w, &p->op[i]);
	if (w->run->a->thread_exit)
		w->run->a->thread_exit(w->run->a->ctx);
	return NULL;
}

static int run_threads(struct run *run, struct worker *w, uint64_t *elapsed)
{
	unsigned int n = run->nthreads, started = 0;
	uint64_t t0;

	if (n == 1) {
		t0 = mono_ns();
		work(&w[0]);
		*elapsed = mono_ns() - t0;
		return 0;
	}
	for (; started < n; started++)
		if (pthread_create(&w[started].tid, NULL, work, &w[started]))
			break;
	t0 = mono_ns();
	/* release: the program and slots before any worker starts (acquire in work) */
	atomic_store_explicit(&run->go, started < n ? -1 : 1, memory_order_release);
	for (unsigned int i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	*elapsed = mono_ns() - t0;
	return started < n ? -1 : 0;
}

/* What is still live at the end: handed over in *@live, or freed. */
static void end_live(struct run *run, struct replay_result *res, bool keep, uintptr_t *out)
{
	const struct replay_prog *p = run->p;

	for (uint32_t s = 0; s < p->nslots; s++) {
		uintptr_t v = atomic_load_explicit(&run->slot[s], memory_order_relaxed);

		if (v == SLOT_FAILED || !v)
			v = 0;
		else
			res->end_live_bytes += p->slot_size[s];
		if (keep)
			out[s] = v;
		else if (v)
			run->a->free(run->a->ctx, v, p->slot_size[s]);
	}
}

int replay_run(const struct replay_prog *p, const struct replay_alloc *a, unsigned int nthreads,
	       struct replay_result *res, bool keep_live, uintptr_t **live)
{
	struct run run = { .p = p, .a = a, .nthreads = nthreads ? nthreads : 1 };
	struct worker *w;
	uintptr_t *out = NULL;
	int rc;

	*res = (struct replay_result){ 0 };
	run.slot = calloc(p->nslots ? p->nslots : 1, sizeof(*run.slot));
	w = calloc(run.nthreads, sizeof(*w));
	if (keep_live)
		out = calloc(p->nslots ? p->nslots : 1, sizeof(*out));
	if (!run.slot || !w || (keep_live && !out)) {
		free(run.slot);
		free(w);
		free(out);
		return -1;
	}
	for (unsigned int i = 0; i < run.nthreads; i++)
		w[i] = (struct worker){ .run = &run, .id = i };
	rc = run_threads(&run, w, &res->elapsed_ns);
	for (unsigned int i = 0; i < run.nthreads; i++) {
		res->ops += w[i].ops;
		res->failed += w[i].failed;
	}
	end_live(&run, res, keep_live, out);
	if (keep_live)
		*live = out;
	free(run.slot);
	free(w);
	return rc;
}
