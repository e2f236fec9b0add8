// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * trace_write.c - gp_trace_header_init and gp_trace_write_file
 * (trace_write.h). Concurrency: none; one caller per file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace_write.h"

void gp_trace_header_init(struct gp_trace_header *h, unsigned int source, int min_alloc_order,
			  unsigned int flags, const char *name)
{
	struct timespec ts;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, GP_TRACE_MAGIC, sizeof(h->magic));
	h->version = GP_TRACE_VERSION;
	h->header_size = sizeof(*h);
	h->record_size = sizeof(struct gp_trace_record);
	h->source = source;
	h->min_alloc_order = min_alloc_order;
	h->flags = flags;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->start_realtime_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (name)
		strncpy(h->name, name, sizeof(h->name) - 1);
}

int gp_trace_write_file(const char *path, const struct gp_trace_header *h,
			const struct gp_trace_record *rec, size_t n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wb");
	int bad;

	if (!f) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	bad = fwrite(h, sizeof(*h), 1, f) != 1;
	if (!bad && n)
		bad = fwrite(rec, sizeof(*rec), n, f) != n;
	bad |= fclose(f) != 0;
	if (bad) {
		snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}
