/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace_reader.h - a small reader of the trace format (src/trace_format.h)
 * for the tests of the event log: the header checked, the whole records
 * read, a cut-off tail counted, and the records put in the order of
 * docs/trace-format.md (time, thread, tseq).
 */
#ifndef GENPOOL_TESTS_TRACE_READER_H
#define GENPOOL_TESTS_TRACE_READER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_format.h"

struct trace {
	struct gp_trace_header h;
	struct gp_trace_record *rec;
	size_t n;
	size_t partial; /* bytes of a cut-off last record */
};

/* 0, or -1 for a missing file or a bad header. */
static inline int trace_read(const char *path, struct trace *t)
{
	FILE *f = fopen(path, "rb");
	long len;

	memset(t, 0, sizeof(*t));
	if (!f)
		return -1;
	if (fread(&t->h, sizeof(t->h), 1, f) != 1 ||
	    memcmp(t->h.magic, GP_TRACE_MAGIC, sizeof(t->h.magic)) != 0 ||
	    t->h.version != GP_TRACE_VERSION || t->h.header_size != sizeof(t->h) ||
	    t->h.record_size != sizeof(struct gp_trace_record)) {
		fclose(f);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f) - (long)sizeof(t->h);
	fseek(f, (long)sizeof(t->h), SEEK_SET);
	t->n = (size_t)len / sizeof(struct gp_trace_record);
	t->partial = (size_t)len % sizeof(struct gp_trace_record);
	t->rec = calloc(t->n + 1, sizeof(*t->rec));
	if (fread(t->rec, sizeof(*t->rec), t->n, f) != t->n)
		t->n = 0;
	fclose(f);
	return 0;
}

static inline int trace_cmp(const void *a, const void *b)
{
	const struct gp_trace_record *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return x->tseq < y->tseq ? -1 : x->tseq > y->tseq;
}

static inline void trace_sort(struct trace *t)
{
	qsort(t->rec, t->n, sizeof(*t->rec), trace_cmp);
}

static inline void trace_free(struct trace *t)
{
	free(t->rec);
	t->rec = NULL;
}

#endif /* GENPOOL_TESTS_TRACE_READER_H */
