// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz_trace.c - libFuzzer target for the trace reader and the replay
 * engine (tools/trace_read.h, tools/replay.h): any bytes, as a trace file
 * (binary or RMM CSV), must be loaded or refused with a one-line reason,
 * never crash; a loaded trace compiles to a program whose counts add up;
 * and a replay of it into a genpool pool must find no overlap, no refused
 * free, and leave the pool whole (a fuzzed log may claim allocations the
 * pool cannot satisfy: those are findings of the replay, not bugs).
 *
 * The input reaches gp_trace_load as a file through a memfd.
 */
#ifndef _GNU_SOURCE /* the build defines it */
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "replay_pool.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s\n", #c); abort(); } } while (0)
#define MAX_GRANULES (1ull << 22)	/* replays of bigger pools are skipped: time, not bugs */

static int memfd = -1;

static int load(const uint8_t *data, size_t size, struct gp_trace *t, char *err, size_t len)
{
	char path[64];

	if (memfd < 0)
		memfd = memfd_create("fuzz_trace", 0);
	CHECK(memfd >= 0);
	CHECK(ftruncate(memfd, 0) == 0);
	CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return gp_trace_load(path, t, err, len);
}

/* Would the replay's pool be small enough to build quickly? */
static bool small_enough(const struct replay_prog *p, int order)
{
	uint64_t g = 0;

	if (!p->pool_source)
		return replay_peak_granules(p, order) < MAX_GRANULES;
	for (size_t i = 0; i < p->nops; i++) {
		if (p->op[i].kind != RO_CHUNK)
			continue;
		if ((p->op[i].size >> order) >= MAX_GRANULES)	/* no overflow in the sum */
			return false;
		g += p->op[i].size >> order;
		if (g >= MAX_GRANULES)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_pool_cfg cfg = { .algo = RA_FIRST, .order = -1, .slack_pct = 100 };
	struct replay_report r;
	struct replay_prog p;
	struct gp_trace t;
	char err[512];

	if (load(data, size, &t, err, sizeof(err))) {
		CHECK(err[0] && !strchr(err, '\n'));
		CHECK(!t.rec && !t.n);
		return 0;
	}
	for (size_t i = 1; i < t.n; i++)	/* sorted */
		CHECK(t.rec[i - 1].time_ns <= t.rec[i].time_ns);
	if (replay_prog_build(&t, &p, err, sizeof(err)) == 0) {
		CHECK(p.nallocs >= p.end_live_count);
		/* the pool log's own order must be one genpool accepts */
		if (p.pool_source && (p.order < 0 || p.order > 20))
			cfg.order = 6;
		if (size & 1)
			cfg.algo = RA_BEST;
		if (small_enough(&p, replay_pool_order(&p, &cfg)) &&
		    replay_check(&p, &cfg, &r, NULL, NULL, err, sizeof(err)) == 0) {
			CHECK(r.overlaps == 0);
			CHECK(r.refused_frees == 0);
			CHECK(r.whole_at_end);
		}
		replay_prog_free(&p);
	}
	gp_trace_free(&t);
	return 0;
}
