/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace_read.h - load a whole trace file (docs/trace-format.md) into memory,
 * validated and in replay order.
 *
 * Used by the `genpool` tool (info, replay, map) and the replay benchmark.
 * Not thread-safe per struct gp_trace: one loader, then any number of
 * readers of the loaded array (nothing mutates it after gp_trace_load).
 */
#ifndef GP_TOOLS_TRACE_READ_H
#define GP_TOOLS_TRACE_READ_H

#include <stddef.h>

#include "trace_format.h"

struct gp_trace {
	struct gp_trace_header hdr;
	struct gp_trace_record *rec;	/* n records sorted by (time_ns, thread, tseq) */
	size_t n;
	size_t partial_bytes;		/* bytes of a cut-off last record, dropped */
};

/**
 * gp_trace_load - load, validate and sort a trace file
 * @path: our binary format, or RMM's CSV log ("Thread,Time,Action,Pointer,
 *	Size,Stream"), converted to records of source MALLOC
 * @t: filled on success; zeroed on failure
 * @err: receives a one-line reason (no newline) naming the problem on failure
 * @errlen: size of @err
 *
 * Refuses a missing or unreadable file, an empty file, a truncated header,
 * a foreign magic, a wrong version, header or record size, an unknown
 * source, a pool log whose granule order is not 0..63, and a record whose type is unknown (named by its position in the
 * file). A cut-off last record is dropped and counted in partial_bytes.
 *
 * Return: 0, or -1 with @err set.
 */
int gp_trace_load(const char *path, struct gp_trace *t, char *err, size_t errlen);

/**
 * gp_trace_free - release what gp_trace_load allocated; @t is zeroed.
 * @t: a loaded trace, or a zeroed one (then nothing happens)
 */
void gp_trace_free(struct gp_trace *t);

/**
 * gp_trace_sort - sort records into replay order (time_ns, thread, tseq)
 * @rec: records
 * @n: how many
 *
 * gp_trace_load calls it; writers of merged files may too.
 */
void gp_trace_sort(struct gp_trace_record *rec, size_t n);

#endif /* GP_TOOLS_TRACE_READ_H */
