// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * run.c - one Google Benchmark run of a job: built by thread 0 and
 * published to the others, torn down by thread 0 after all have left.
 * The rules are in harness.h; counters common to every workload (sampled
 * latency quantiles, failed allocations) are computed here.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"
#include "workload.h"

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		perror("bench: calloc");
		exit(1);
	}
	return p;
}

/*
 * Waiting for another benchmark thread, outside the timed loop: yield a
 * while, then sleep, so that 15 waiting threads do not slow down thread 0
 * filling a 64 GiB pool on 2 cores.
 */
static void wait_a_little(unsigned int *n)
{
	struct timespec ts = { 0, 50000 };

	if (++*n < 100)
		sched_yield();
	else
		nanosleep(&ts, NULL);
}

static struct wl_run *run_create(struct wl_job *job, int nthreads, long iters)
{
	struct wl_run *run = xcalloc(1, sizeof(*run));

	run->job = job;
	run->wl = job->wl;
	run->a = job->a;
	run->p = &job->p;
	run->nthreads = nthreads;
	run->t = aligned_alloc(64, (size_t)nthreads * sizeof(*run->t));
	if (!run->t) {
		perror("bench: aligned_alloc");
		exit(1);
	}
	memset(run->t, 0, (size_t)nthreads * sizeof(*run->t));
	for (int i = 0; i < nthreads; i++) {
		run->t[i].id = i;
		run->t[i].iters = iters;
		run->t[i].rng = rng_seed(0x5eed0000u + (uint64_t)i);
		atomic_init(&run->t[i].stopped_at, -1);
	}
	pthread_barrier_init(&run->barrier, NULL, (unsigned int)nthreads);
	atomic_init(&run->departed, 0);
	atomic_init(&run->stop_at, -1);
	if (run->wl->setup(run, run->error, sizeof(run->error)))
		run->failed = true;
	return run;
}

struct wl_run *harness_enter(struct wl_job *job, int tid, int nthreads, long iters,
			     struct wl_thread **tp)
{
	struct wl_run *run;
	unsigned int n = 0;

	if (tid == 0) {
		run = run_create(job, nthreads, iters);
		atomic_store_explicit(&job->live, run, memory_order_release);
	} else {
		while (!(run = atomic_load_explicit(&job->live, memory_order_acquire)))
			wait_a_little(&n);
	}
	*tp = &run->t[tid];
	if (!run->failed) {
		if (run->a->thread_init && run->ctx)
			run->a->thread_init(run->ctx);
		if (run->wl->thread_begin)
			run->wl->thread_begin(run, *tp);
	}
	return run;
}

const char *harness_error(const struct wl_run *run)
{
	return run->error[0] ? run->error : NULL;
}

harness_step_fn harness_step(const struct wl_run *run)
{
	return run->wl->step;
}

/*
 * In a lockstep workload no thread finishes a step before every thread has
 * begun it, so a thread that stopped alone would leave the others at the
 * barrier: thread 0 decides for all. Past its deadline after step k it
 * publishes k + 1 and takes that one more step; nobody can finish step
 * k + 1 before thread 0 begins it, so everyone sees the count in time.
 */
static bool lockstep_keep_stepping(struct wl_run *run, struct wl_thread *t, long steps,
				   bool past_deadline)
{
	long stop = atomic_load_explicit(&run->stop_at, memory_order_acquire);

	if (t->id == 0 && past_deadline && stop < 0) {
		stop = steps + 1;
		atomic_store_explicit(&run->stop_at, stop, memory_order_release);
	}
	return stop < 0 || steps < stop;
}

/*
 * In a pairs workload the odd thread's steps answer the even one's (a
 * consumer pops what its producer pushed), so a deadline of its own would
 * leave one of them waiting forever for a step the other never takes: the
 * even thread stops at its deadline and publishes its step count, and the
 * odd one takes exactly as many steps.
 */
bool harness_keep_stepping(struct wl_run *run, struct wl_thread *t, long steps, bool past_deadline)
{
	long stop;

	if (run->wl->lockstep)
		return lockstep_keep_stepping(run, t, steps, past_deadline);
	if (!run->wl->pairs)
		return !past_deadline;
	if (t->id % 2 == 0) {
		if (past_deadline)
			atomic_store_explicit(&t->stopped_at, steps, memory_order_release);
		return !past_deadline;
	}
	stop = atomic_load_explicit(&run->t[t->id - 1].stopped_at, memory_order_acquire);
	return stop < 0 || steps < stop;
}

uint64_t harness_thread_ops(const struct wl_thread *t)
{
	return t->ops;
}

uint64_t harness_thread_ok_ops(const struct wl_run *run, const struct wl_thread *t)
{
	return run->wl->fail_is_op && t->fails <= t->ops ? t->ops - t->fails : t->ops;
}

int wl_attach_empty(struct wl_run *run, bool fresh, char *why, size_t len)
{
	const struct wl_params *p = run->p;

	run->fx = fixture_get(run->a, p->pool_bytes, p->order, 0, 1, p->chunks, fresh, why, len);
	if (!run->fx)
		return -1;
	run->ctx = run->fx->ctx;
	return 0;
}

void wl_counter(struct wl_run *run, const char *name, double value)
{
	if (run->nc < WL_MAX_COUNTERS)
		run->c[run->nc++] = (struct wl_counter){ name, value };
}

void wl_bad_free(struct wl_run *run, struct wl_thread *t, uintptr_t addr, size_t bytes)
{
	if (!t->bad)
		fprintf(stderr, "bench: %s: %s refused free(%#lx, %zu)\n", run->job->name,
			run->a->name, (unsigned long)addr, bytes);
	t->bad = true;
}

static void latency_counters(struct wl_run *run, struct lat_hist *h, const char *const names[5])
{
	static const double q[4] = { 0.5, 0.9, 0.99, 0.999 };

	if (!h->n)
		return;
	for (int i = 0; i < 4; i++)
		wl_counter(run, names[i], lat_quantile(h, q[i]));
	wl_counter(run, names[4], (double)h->n);
}

/* Thread 0, every thread gone: what all workloads report. */
static void common_report(struct wl_run *run)
{
	static const char *const lat[5] = { "lat_p50_ns", "lat_p90_ns", "lat_p99_ns",
					    "lat_p999_ns", "lat_samples" };
	static const char *const lat2[5] = { "free_p50_ns", "free_p90_ns", "free_p99_ns",
					     "free_p999_ns", "free_samples" };
	struct lat_hist *h = xcalloc(2, sizeof(*h));
	uint64_t attempts = 0, fails = 0;
	bool bad = false;

	for (int i = 0; i < run->nthreads; i++) {
		lat_merge(&h[0], &run->t[i].lat);
		lat_merge(&h[1], &run->t[i].lat2);
		attempts += run->t[i].attempts;
		fails += run->t[i].fails;
		bad |= run->t[i].bad;
	}
	latency_counters(run, &h[0], lat);
	latency_counters(run, &h[1], lat2);
	free(h);
	if (attempts) {
		wl_counter(run, "alloc_attempts", (double)attempts);
		wl_counter(run, "fail_rate", (double)fails / (double)attempts);
	}
	if (run->fx) {
		wl_counter(run, "prefill_granules", (double)run->fx->held.granules);
		wl_counter(run, "pool_granules", (double)region_granules(&run->fx->reg));
	}
	if (bad && !run->error[0])
		snprintf(run->error, sizeof(run->error), "%s refused a free (see stderr)",
			 run->a->name);
}

void harness_depart(struct wl_run *run, struct wl_thread *t)
{
	unsigned int n = 0;

	if (!run->failed) {
		if (run->wl->thread_end)
			run->wl->thread_end(run, t);
		if (run->a->thread_exit && run->ctx)
			run->a->thread_exit(run->ctx);
	}
	atomic_fetch_add(&run->departed, 1);
	if (t->id != 0)
		return; /* the run may be freed from here on */
	while (atomic_load(&run->departed) < run->nthreads)
		wait_a_little(&n);
	if (!run->failed) {
		common_report(run);
		if (run->wl->report)
			run->wl->report(run);
	}
}

int harness_nr_counters(const struct wl_run *run)
{
	return run->nc;
}

const char *harness_counter(const struct wl_run *run, int i, double *value)
{
	*value = run->c[i].value;
	return run->c[i].name;
}

void harness_finish(struct wl_run *run)
{
	struct wl_job *job = run->job;

	if (!run->failed && run->wl->teardown)
		run->wl->teardown(run);
	pthread_barrier_destroy(&run->barrier);
	free(run->t);
	free(run);
	atomic_store_explicit(&job->live, NULL, memory_order_release);
}

int harness_cleanup(void)
{
	return fixture_flush() || fixture_failures() ? 1 : 0;
}
