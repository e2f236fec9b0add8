/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace_format.h - the project's one trace format (docs/trace-format.md):
 * written by the library's event log (gen_pool_log_start, GENPOOL_LOG) and
 * by the malloc tracer (genpool record), read by the replayer, the
 * `genpool` tool and the benchmarks. Plain data, no code: every writer and
 * reader includes this header and nothing else of the other's.
 *
 * A file is one header followed by fixed-size records, all little-endian.
 * Writers append records from per-thread buffers, so the file is NOT in
 * event order: a reader sorts by (time_ns, thread, tseq). A file cut off
 * anywhere (a crashed program) is read up to its last whole record.
 */
#ifndef GP_TRACE_FORMAT_H
#define GP_TRACE_FORMAT_H

#include <stdint.h>

#define GP_TRACE_MAGIC "GPTRACE\0" /* 8 bytes, the NUL included */
#define GP_TRACE_VERSION 1u

/* What wrote the file (gp_trace_header.source). */
enum gp_trace_source {
	GP_TRACE_SRC_POOL = 1,   /* a pool's event log: addresses are pool addresses */
	GP_TRACE_SRC_MALLOC = 2, /* the malloc tracer: addresses are heap pointers */
};

/* 64 bytes. */
struct gp_trace_header {
	char magic[8];           /* GP_TRACE_MAGIC */
	uint32_t version;        /* GP_TRACE_VERSION */
	uint32_t header_size;    /* sizeof(struct gp_trace_header): records start here */
	uint32_t record_size;    /* sizeof(struct gp_trace_record) */
	uint32_t source;         /* enum gp_trace_source */
	int32_t min_alloc_order; /* the pool's; -1 for malloc traces */
	uint32_t flags;          /* the pool's create flags; 0 for malloc traces */
	uint64_t start_realtime_ns; /* CLOCK_REALTIME when the log started */
	char name[24];           /* the pool's managed name or the program's, NUL-padded */
};

/* Record types (gp_trace_record.type). */
enum gp_trace_type {
	GP_TR_ADD = 1,     /* a chunk: addr, size (bytes, whole granules), aux = phys */
	GP_TR_REMOVE = 2,  /* a chunk removed: addr = its start, size */
	GP_TR_ALLOC = 3,   /* addr = result (0 if it failed), size = bytes asked */
	GP_TR_FREE = 4,    /* addr, size = bytes given to the free (malloc: 0) */
	GP_TR_IMPORT = 5,  /* a chunk imported from a source: addr, size */
	GP_TR_RELEASE = 6, /* an imported chunk given back: addr, size */
	GP_TR_REALLOC = 7, /* malloc traces: aux = old pointer, addr = new, size = new size */
};

/* Allocation algorithm of an ALLOC (gp_trace_record.algo). */
enum gp_trace_algo {
	GP_TA_NONE = 0,      /* not an allocation, or malloc (no algorithm) */
	GP_TA_FIRST_FIT = 1,
	GP_TA_BEST_FIT = 2,
	GP_TA_ALIGN = 3,     /* first_fit_align: aux = the alignment in bytes */
	GP_TA_ORDER_ALIGN = 4,
	GP_TA_FIXED = 5,     /* aux = the offset */
	GP_TA_SCALABLE = 6,
	GP_TA_CACHE = 7,     /* served by the thread cache */
	GP_TA_CUSTOM = 8,
	GP_TA_XALLOC = 9,    /* constrained: aux = align */
	GP_TA_PAGES = 10,    /* gen_pool_alloc_pages: aux = order */
	GP_TA_MEMALIGN = 11, /* malloc traces: memalign/posix_memalign/aligned_alloc, aux = align */
	GP_TA_CALLOC = 12,   /* malloc traces: calloc (size = nmemb * size) */
};

/* Outcome (gp_trace_record.result). */
enum gp_trace_result {
	GP_TRES_OK = 0,
	GP_TRES_NOMEM = 1,   /* ENOMEM */
	GP_TRES_REFUSED = 2, /* EINVAL: bad input, nothing changed */
	GP_TRES_BUSY = 3,    /* -EBUSY (remove of a busy chunk) */
};

/* 48 bytes. */
struct gp_trace_record {
	uint64_t time_ns; /* CLOCK_MONOTONIC since the log started */
	uint64_t addr;
	uint64_t size;
	uint64_t aux;     /* per type and algo, above */
	uint32_t thread;  /* 1, 2, ... in order of each thread's first record in this file */
	uint32_t tseq;    /* the thread's own record count: orders equal times */
	uint8_t type;     /* enum gp_trace_type */
	uint8_t algo;     /* enum gp_trace_algo */
	uint8_t result;   /* enum gp_trace_result */
	uint8_t pad[5];   /* zero */
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct gp_trace_header) == 64, "trace header is 64 bytes");
_Static_assert(sizeof(struct gp_trace_record) == 48, "trace record is 48 bytes");
#endif

#endif /* GP_TRACE_FORMAT_H */
