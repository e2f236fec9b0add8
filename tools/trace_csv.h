/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace_csv.h - RMM's CSV allocation log as a trace (internal to the
 * reader: trace_read.c calls it; nothing else should).
 */
#ifndef GP_TOOLS_TRACE_CSV_H
#define GP_TOOLS_TRACE_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "trace_read.h"

/* True when the first @len bytes of a file start RMM's CSV header. */
bool gp_trace_csv_sniff(const char *head, size_t len);

/* Parse the whole file into @t (source MALLOC); 0 or -1 with @err. */
int gp_trace_csv_load(int fd, const char *path, size_t fsize, struct gp_trace *t,
		      char *err, size_t errlen);

#endif /* GP_TOOLS_TRACE_CSV_H */
