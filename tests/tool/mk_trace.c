// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mk_trace.c - hand-made trace files for the tool's end-to-end test:
 *   mk_trace pool OUT      a pool event log: two chunks of 64 KiB (64-byte
 *                          granules), allocations and frees at their pool
 *                          addresses, two threads, some left live;
 *   mk_trace tight OUT     a pool log whose two 512-byte allocations fill a
 *                          1 KiB chunk: replayed at 1 KiB granules the second
 *                          must fail (a failure the log did not have);
 *   mk_trace version OUT   a header of version 2;
 *   mk_trace recsize OUT   a header with 40-byte records.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "trace_write.h"

#define CHUNK0 0x100000ull
#define CHUNK1 0x200000ull

static struct gp_trace_record rec(uint64_t t, uint32_t thr, uint32_t seq, uint8_t type,
				  uint64_t addr, uint64_t size)
{
	return (struct gp_trace_record){ .time_ns = t, .thread = thr, .tseq = seq, .type = type,
					 .addr = addr, .size = size,
					 .algo = type == GP_TR_ALLOC ? GP_TA_FIRST_FIT : GP_TA_NONE };
}

static int pool_log(const char *out)
{
	struct gp_trace_record r[400];
	struct gp_trace_header h;
	uint32_t seq[3] = { 0 };
	size_t n = 0;
	uint64_t off = 0, t = 1;
	char err[256];

	gp_trace_header_init(&h, GP_TRACE_SRC_POOL, 6, 0, "e2e-pool");
	r[n++] = rec(t++, 1, seq[1]++, GP_TR_ADD, CHUNK0, 65536);
	r[n++] = rec(t++, 1, seq[1]++, GP_TR_ADD, CHUNK1, 65536);
	/* 120 allocations of 64..1024 bytes packed into chunk 0, then every third freed */
	for (int i = 0; i < 120; i++) {
		uint64_t size = 64u * (1 + (uint64_t)i % 16);
		uint32_t thr = 1 + (uint32_t)i % 2;

		if (off + size > 65536)
			break;
		r[n++] = rec(t++, thr, seq[thr]++, GP_TR_ALLOC, CHUNK0 + off, size);
		if (i % 3 == 0)
			r[n++] = rec(t++, thr, seq[thr]++, GP_TR_FREE, CHUNK0 + off, size);
		off += size;
	}
	r[n++] = rec(t++, 2, seq[2]++, GP_TR_ALLOC, CHUNK1, 4096);
	return gp_trace_write_file(out, &h, r, n, err, sizeof(err)) ? (fprintf(stderr, "%s\n", err), 1) : 0;
}

static int tight_log(const char *out)
{
	struct gp_trace_record r[3] = {
		rec(1, 1, 0, GP_TR_ADD, CHUNK0, 1024),
		rec(2, 1, 1, GP_TR_ALLOC, CHUNK0, 512),
		rec(3, 1, 2, GP_TR_ALLOC, CHUNK0 + 512, 512),
	};
	struct gp_trace_header h;
	char err[256];

	gp_trace_header_init(&h, GP_TRACE_SRC_POOL, 6, 0, "e2e-tight");
	return gp_trace_write_file(out, &h, r, 3, err, sizeof(err)) ? 1 : 0;
}

static int bad_header(const char *out, bool version)
{
	struct gp_trace_record r = rec(1, 1, 0, GP_TR_ALLOC, 64, 64);
	struct gp_trace_header h;
	char err[256];

	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "bad");
	if (version)
		h.version = 2;
	else
		h.record_size = 40;
	return gp_trace_write_file(out, &h, &r, 1, err, sizeof(err)) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	if (!strcmp(argv[1], "pool"))
		return pool_log(argv[2]);
	if (!strcmp(argv[1], "tight"))
		return tight_log(argv[2]);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "recsize"))
		return bad_header(argv[2], !strcmp(argv[1], "version"));
	return 2;
}
