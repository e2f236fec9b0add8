// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gbench.cc - the thin C++ shim: registers the C harness's jobs with
 * Google Benchmark and runs them. Everything measured is plain C
 * (harness.h); this file only translates.
 *
 * usage: gbench [--set=NAME] [Google Benchmark flags...]
 *
 * Every benchmark uses real (wall) time: with more threads than cores,
 * CPU time would hide the time a thread waits for a preempted lock holder.
 * Counters, per run:
 *   ops_per_s   operations per second, all threads together;
 *   ns_per_op   wall time of one operation on one thread;
 *   the run's own counters (latency quantiles, failures, ...), computed
 *   once by thread 0 over all threads.
 * What an operation is depends on the workload (the JSON context says).
 */
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "harness.h"
#include "latency.h"

static int errors;

static void run_job(benchmark::State &st, struct wl_job *job)
{
	struct wl_thread *t;
	struct wl_run *run = harness_enter(job, st.thread_index(), st.threads(),
					   (long)st.max_iterations, &t);
	harness_step_fn step = harness_step(run);
	const char *err = harness_error(run);
	bool zero = st.thread_index() == 0;

	double bound = harness_job_seconds(job, st.threads());

	if (err)
		st.SkipWithError(err); /* the loop below then runs no iteration */
	if (bound > 0) {
		/* time-bounded (jobs.c, contended FIFO locks): steps until the
		 * deadline, then the fixed iterations left run empty */
		auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(bound);
		bool on = true;
		long steps = 0;

		/* checked after every step: one step can wait for every other
		 * thread's turn, each a time slice when they outnumber the CPUs */
		for (auto _ : st) {
			if (!on)
				continue;
			step(run, t);
			on = harness_keep_stepping(run, t, ++steps,
						   std::chrono::steady_clock::now() >= end);
		}
	} else {
		for (auto _ : st)
			step(run, t);
	}
	if (!err) {
		double ops = (double)harness_thread_ops(t);

		st.counters["ops_per_s"] = benchmark::Counter(ops, benchmark::Counter::kIsRate);
		/* the same without attempts refused for want of room */
		st.counters["ok_per_s"] = benchmark::Counter((double)harness_thread_ok_ops(run, t),
							     benchmark::Counter::kIsRate);
		/* (ops / 1e9) / time / threads, inverted: ns per op per thread */
		st.counters["ns_per_op"] = benchmark::Counter(
			ops / 1e9, benchmark::Counter::kIsRate | benchmark::Counter::kAvgThreads |
					   benchmark::Counter::kInvert);
	}
	harness_depart(run, t); /* past here only thread 0 may touch the run */
	if (!zero)
		return;
	for (int i = 0; i < harness_nr_counters(run); i++) {
		double v;
		const char *name = harness_counter(run, i, &v);

		st.counters[name] = v;
	}
	const char *late = err ? NULL : harness_error(run);

	if (late)
		st.SkipWithError(late);
	if (late || err) {
		const char *why = late ? late : err;

		if (strncmp(why, "skipped:", 8))
			errors++;
		fprintf(stderr, "gbench: %s: %s\n", harness_job_name(job), why);
	}
	harness_finish(run);
}

static void register_jobs()
{
	for (size_t i = 0; i < harness_nr_jobs(); i++) {
		struct wl_job *job = harness_job(i);
		int th[8], n = harness_job_threads(job, th, 8);

		for (int k = 0; k < n; k++) {
			auto *b = benchmark::RegisterBenchmark(harness_job_name(job), run_job, job);
			long iters = harness_job_iterations(job, th[k]);
			int reps = harness_job_repetitions(job);

			b->UseRealTime()->Threads(th[k])->Unit(benchmark::kNanosecond);
			if (iters)
				b->Iterations(iters);
			if (reps)
				b->Repetitions(reps);
		}
	}
}

static void add_context(const char *key, const char *value)
{
	benchmark::AddCustomContext(key, value);
}

/* Takes --set=NAME out of argv (Google Benchmark rejects flags it does not know). */
static const char *take_set(int *argc, char **argv)
{
	const char *set = "headline";
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		if (!strncmp(argv[i], "--set=", 6))
			set = argv[i] + 6;
		else
			argv[out++] = argv[i];
	}
	*argc = out;
	return set;
}

int main(int argc, char **argv)
{
	bench_reexec_for_tls(argv);

	const char *set = take_set(&argc, argv);

	lat_calibrate();
	if (harness_select(set)) {
		fprintf(stderr, "gbench: unknown --set=%s (sets: %s)\n", set, harness_sets());
		return 2;
	}
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	benchmark::AddCustomContext("set", set);
	harness_context(add_context);
	register_jobs();
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	if (harness_cleanup())
		errors++;
	if (errors)
		fprintf(stderr, "gbench: %d run(s) failed\n", errors);
	return errors ? 1 : 0;
}
