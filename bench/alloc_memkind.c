// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * alloc_memkind.c - memkind's fixed kind: the installable peer of genpool.
 *
 * memkind_create_fixed() puts a jemalloc arena set (memkind's private,
 * jemk_-prefixed copy: the process's malloc is untouched) over a region
 * the caller mapped. Unlike genpool it keeps its metadata inside the
 * region and so needs real, writable memory there: the region is an
 * anonymous MAP_NORESERVE mapping, so only the pages it writes cost RAM.
 * memkind_free() is given the kind, which saves it a lookup.
 */
#include <stdio.h>
#include <stdlib.h>

#include <memkind.h>

#include "allocator.h"

static void *mk_init(const struct bench_region *r)
{
	memkind_t kind;
	int err;

	if (!r->mapped)
		return NULL;
	err = memkind_create_fixed((void *)r->base, r->size, &kind);
	if (err) {
		char msg[MEMKIND_ERROR_MESSAGE_SIZE];

		memkind_error_message(err, msg, sizeof(msg));
		fprintf(stderr, "bench: memkind_create_fixed(%zu bytes): %s\n", r->size, msg);
		return NULL;
	}
	return kind;
}

static uintptr_t mk_alloc(void *ctx, size_t bytes)
{
	return (uintptr_t)memkind_malloc(ctx, bytes);
}

static int mk_free(void *ctx, uintptr_t addr, size_t bytes)
{
	(void)bytes;
	memkind_free(ctx, (void *)addr);
	return 0;
}

static uintptr_t mk_alloc_aligned(void *ctx, size_t bytes, size_t align)
{
	void *p;

	return memkind_posix_memalign(ctx, &p, align, bytes) ? 0 : (uintptr_t)p;
}

/* Set up this thread's arena and cache outside the timed loop. */
static void mk_thread_init(void *ctx)
{
	memkind_free(ctx, memkind_malloc(ctx, 64));
}

static int mk_destroy(void *ctx)
{
	return memkind_destroy_kind(ctx) ? -1 : 0;
}

const struct bench_alloc ba_memkind = {
	.name = "memkind",
	.what = "memkind fixed kind (memkind_create_fixed) over a mapped region",
	.caps = BA_REGION | BA_MEMORY,
	.init = mk_init,
	.alloc = mk_alloc,
	.free = mk_free,
	.alloc_aligned = mk_alloc_aligned,
	.thread_init = mk_thread_init,
	.destroy = mk_destroy,
};
