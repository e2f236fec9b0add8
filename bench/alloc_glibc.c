// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * alloc_glibc.c - the process's own malloc (glibc's ptmalloc2), the
 * general-purpose reference every user already has. It has no region:
 * the benchmark region is ignored and requests are malloc(bytes).
 */
#include <stdlib.h>

#include "allocator.h"

static void *glibc_init(const struct bench_region *r)
{
	(void)r;
	return (void *)1; /* no state; not NULL, which means failure */
}

static uintptr_t glibc_alloc(void *ctx, size_t bytes)
{
	(void)ctx;
	return (uintptr_t)malloc(bytes);
}

static int glibc_free(void *ctx, uintptr_t addr, size_t bytes)
{
	(void)ctx;
	(void)bytes;
	free((void *)addr);
	return 0;
}

static uintptr_t glibc_alloc_aligned(void *ctx, size_t bytes, size_t align)
{
	void *p;

	(void)ctx;
	return posix_memalign(&p, align, bytes) ? 0 : (uintptr_t)p;
}

/* Set up this thread's tcache and arena outside the timed loop. */
static void glibc_thread_init(void *ctx)
{
	(void)ctx;
	free(malloc(64));
}

static int glibc_destroy(void *ctx)
{
	(void)ctx;
	return 0;
}

const struct bench_alloc ba_glibc = {
	.name = "glibc",
	.what = "glibc malloc/free (the process's malloc), general-purpose reference",
	.init = glibc_init,
	.alloc = glibc_alloc,
	.free = glibc_free,
	.alloc_aligned = glibc_alloc_aligned,
	.thread_init = glibc_thread_init,
	.destroy = glibc_destroy,
};
