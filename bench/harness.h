/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * harness.h - what the C++ shim (gbench.cc) sees of the C harness.
 *
 * A job is one workload on one allocator with fixed parameters, run at
 * several thread counts. For each Google Benchmark run of a job, every
 * benchmark thread calls harness_enter() (thread 0 builds the run, the
 * others wait for it), loops step() once per iteration, hands back its op
 * count, and calls harness_depart(); thread 0 then reads the run's
 * counters and calls harness_finish().
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wl_job;
struct wl_run;
struct wl_thread;

typedef void (*harness_step_fn)(struct wl_run *run, struct wl_thread *t);

/* Builds the job list of @set ("smoke", "headline", "full", "search", ...). */
int harness_select(const char *set);
/* The sets harness_select() knows, comma separated. */
const char *harness_sets(void);
size_t harness_nr_jobs(void);
struct wl_job *harness_job(size_t i);
const char *harness_job_name(const struct wl_job *job);
/* Thread counts into @out (at most @max); returns how many. */
int harness_job_threads(const struct wl_job *job, int *out, int max);
/* Iterations per thread for @threads, or 0 to let Google Benchmark decide. */
long harness_job_iterations(const struct wl_job *job, int threads);
/* > 0: the run steps for this many seconds, its fixed iterations past that do nothing */
double harness_job_seconds(const struct wl_job *job, int threads);
/* Repetitions of this job, or 0 for --benchmark_repetitions. */
int harness_job_repetitions(const struct wl_job *job);

/* Context strings for the JSON: allocator availability, clock, workloads. */
void harness_context(void (*add)(const char *key, const char *value));

struct wl_run *harness_enter(struct wl_job *job, int tid, int nthreads, long iters,
			     struct wl_thread **t);
/*
 * Why the run cannot go on (setup failed, a free was refused), or NULL.
 * A message starting "skipped:" is a limit of the machine or of a peer
 * allocator (a mapping refused), reported but not a failure.
 */
const char *harness_error(const struct wl_run *run);
harness_step_fn harness_step(const struct wl_run *run);
/*
 * Time-bounded runs: after @steps steps, does thread @t step again? Past
 * its deadline a thread stops, except in a pairs workload, where the odd
 * thread of a pair takes as many steps as the even one did.
 */
bool harness_keep_stepping(struct wl_run *run, struct wl_thread *t, long steps,
			   bool past_deadline);
/* Operations this thread did (what an op is depends on the workload). */
uint64_t harness_thread_ops(const struct wl_thread *t);
/* Of those, the ones that did not fail for want of room (ok_per_s). */
uint64_t harness_thread_ok_ops(const struct wl_run *run, const struct wl_thread *t);
void harness_depart(struct wl_run *run, struct wl_thread *t);
/* Thread 0, after harness_depart(): the run's counters. */
int harness_nr_counters(const struct wl_run *run);
const char *harness_counter(const struct wl_run *run, int i, double *value);
void harness_finish(struct wl_run *run);

/* At exit: destroy the cached fixture; nonzero when anything leaked. */
int harness_cleanup(void);

/* reexec.c: re-execute once with room for jemalloc's static TLS. */
void bench_reexec_for_tls(char **argv);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_HARNESS_H */
