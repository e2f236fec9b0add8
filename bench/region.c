// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * region.c - address-only and mapped regions (see region.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "region.h"

int region_create(struct region *g, size_t size, int order, bool mapped, char *why, size_t len)
{
	uintptr_t base;

	*g = (struct region){ .r = { .size = size, .order = order, .mapped = mapped } };
	if (!mapped) {
		g->r.base = REGION_ADDR_ONLY_BASE;
		return 0;
	}
	/* Over-map by the alignment, and use the aligned part. */
	g->rawlen = size + REGION_ALIGN;
	g->raw = mmap(NULL, g->rawlen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g->raw == MAP_FAILED) {
		snprintf(why, len, "skipped: mmap of %zu MiB (MAP_NORESERVE) failed: %s",
			 size >> 20, strerror(errno));
		g->raw = NULL;
		return -1;
	}
	base = ((uintptr_t)g->raw + REGION_ALIGN - 1) & ~(uintptr_t)(REGION_ALIGN - 1);
	g->r.base = base;
	return 0;
}

void region_destroy(struct region *g)
{
	if (g->raw)
		munmap(g->raw, g->rawlen);
	g->raw = NULL;
}
