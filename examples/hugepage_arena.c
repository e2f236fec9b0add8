/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hugepage_arena.c - a buffer arena that grows on demand from huge pages
 * and gives them back when they are wholly free.
 *
 * The pool starts empty, with an anonymous huge-page source
 * (GEN_POOL_SRC_HUGETLB) and a quantum of one huge page: an allocation that
 * finds no room imports another huge page, adds it as a chunk, and retries.
 * gen_pool_shrink() hands every wholly free huge page back (munmap).
 *
 * Where the machine has no free huge pages (see /proc/sys/vm/nr_hugepages
 * and HugePages_Free in /proc/meminfo), the first import fails with ENOMEM
 * and the arena says so and falls back to normal pages, so the program
 * works everywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genpool.h>

#define ORDER 12          /* 4 KiB granules */
#define NBUF 48
#define BUF_SIZE (96UL << 10) /* 96 KiB buffers: about 21 per 2 MiB huge page */

static struct gen_pool *arena;
static struct gen_pool_source *src;

/* Attach a source; 0, or -ENOMEM when this kind of memory cannot be had. */
static int use_source(unsigned int flags)
{
	unsigned long probe;

	src = gen_pool_source_anon(flags);
	if (!src || gen_pool_set_source(arena, src, 0)) /* quantum 0: 2 MiB */
		return -EINVAL;
	probe = gen_pool_alloc(arena, BUF_SIZE); /* the first import happens here */
	if (probe) {
		gen_pool_free(arena, probe, BUF_SIZE);
		return 0;
	}
	gen_pool_set_source(arena, NULL, 0);
	gen_pool_source_destroy(src);
	return -ENOMEM;
}

int main(void)
{
	unsigned long buf[NBUF];
	size_t released;
	int i;

	arena = gen_pool_create(ORDER, -1);
	if (!arena)
		return 1;
	if (use_source(GEN_POOL_SRC_HUGETLB) == 0) {
		printf("hugepage_arena: growing from huge pages\n");
	} else {
		printf("hugepage_arena: no free huge pages on this machine (raise "
		       "/proc/sys/vm/nr_hugepages); falling back to normal pages\n");
		if (use_source(0))
			return 1;
	}
	for (i = 0; i < NBUF; i++) {
		buf[i] = gen_pool_alloc(arena, BUF_SIZE);
		if (!buf[i]) {
			fprintf(stderr, "hugepage_arena: buffer %d: %s\n", i, strerror(errno));
			return 1;
		}
		memset((void *)buf[i], i, BUF_SIZE); /* the memory is real */
	}
	printf("hugepage_arena: %d buffers of %lu KiB in %zu MiB of arena\n", NBUF,
	       BUF_SIZE >> 10, gen_pool_size(arena) >> 20);
	/* free the second half: the pages only they used become wholly free */
	for (i = NBUF / 2; i < NBUF; i++)
		gen_pool_free(arena, buf[i], BUF_SIZE);
	released = gen_pool_shrink(arena);
	printf("hugepage_arena: freed half, shrink gave back %zu MiB, %zu MiB left\n",
	       released >> 20, gen_pool_size(arena) >> 20);
	for (i = 0; i < NBUF / 2; i++) {
		if (*(unsigned char *)buf[i] != (unsigned char)i)
			return 1;
		gen_pool_free(arena, buf[i], BUF_SIZE);
	}
	released = gen_pool_shrink(arena);
	printf("hugepage_arena: freed all, shrink gave back %zu MiB, %zu MiB left\n",
	       released >> 20, gen_pool_size(arena) >> 20);
	if (gen_pool_size(arena) != 0 || gen_pool_destroy(arena))
		return 1;
	return gen_pool_source_destroy(src) ? 1 : 0;
}
