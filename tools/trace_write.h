/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace_write.h - write a whole trace file (docs/trace-format.md) from
 * records in memory: for tests, for `genpool record`'s merge of per-process
 * files, and for anything that converts another log into ours. The LD_PRELOAD
 * tracer does not use it (it may not call malloc); it writes the same bytes.
 */
#ifndef GP_TOOLS_TRACE_WRITE_H
#define GP_TOOLS_TRACE_WRITE_H

#include <stddef.h>

#include "trace_format.h"

/**
 * gp_trace_header_init - a valid header for this version
 * @h: filled completely (name NUL-padded, truncated to 23 characters)
 * @source: GP_TRACE_SRC_POOL or GP_TRACE_SRC_MALLOC
 * @min_alloc_order: the pool's granule order; -1 for malloc traces
 * @flags: the pool's create flags; 0 for malloc traces
 * @name: the pool's or program's name, may be NULL
 */
void gp_trace_header_init(struct gp_trace_header *h, unsigned int source, int min_alloc_order,
			  unsigned int flags, const char *name);

/**
 * gp_trace_write_file - write @h then @n records to @path
 * @path: created or truncated; removed again if any write fails
 * @h: the header, written as is
 * @rec: records, written in the given order
 * @n: how many
 * @err: a one-line reason on failure
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set and no file left at @path.
 */
int gp_trace_write_file(const char *path, const struct gp_trace_header *h,
			const struct gp_trace_record *rec, size_t n, char *err, size_t errlen);

#endif /* GP_TOOLS_TRACE_WRITE_H */
