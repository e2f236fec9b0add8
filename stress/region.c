// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * region.c - the chunks of a stress run.
 *
 * ST_MEM: each chunk is real memory, placed so that it ends exactly at a
 * PROT_NONE guard page and starts just after another one, so an overrun of
 * a handed-out range past either end of its chunk faults at once.
 * ST_TOP: address-only chunks just below the top of the address space (the
 * first one ends at ULONG_MAX), never touched: edge addresses and sizes
 * that no real mapping would give.
 *
 * Granule counts are chosen so that some chunks are multiples of 64 bits
 * and some are not, and so that every size class of worker.c fits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

static const unsigned long granule_counts[ST_MAX_CHUNKS] = {
	1000, 4096, 1531, 640, 2065, 257, 3072, 777,
};

static unsigned long page_size(void)
{
	return (unsigned long)sysconf(_SC_PAGESIZE);
}

/* Map @bytes between two guard pages; the chunk ends at the upper guard. */
static int map_guarded(struct st_chunk *c, unsigned long bytes)
{
	unsigned long page = page_size();
	unsigned long body = (bytes + page - 1) / page * page;
	char *map;

	c->map_len = body + 2 * page;
	map = mmap(NULL, c->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("genpool_stress: mmap");
		return -1;
	}
	if (mprotect(map + page, body, PROT_READ | PROT_WRITE)) {
		perror("genpool_stress: mprotect");
		munmap(map, c->map_len);
		return -1;
	}
	c->map = map;
	c->base = (unsigned long)(map + page + body - bytes);
	return 0;
}

/* Address-only chunk @i: chunk 0 ends at ULONG_MAX, the others below it. */
static void place_top(struct st_chunk *c, unsigned int i, unsigned long bytes)
{
	unsigned long slot = 8192UL << st.cfg.order; /* > any chunk, so gaps */

	c->base = 0UL - (unsigned long)i * slot - bytes;
}

/* Fill descriptor @i (not yet visible to workers). */
static int region_make(unsigned int i)
{
	struct st_chunk *c = &st.chunks[i];
	unsigned long bytes = granule_counts[i] * st.granule;

	memset(c, 0, sizeof(*c));
	c->granules = granule_counts[i];
	c->phys = (phys_addr_t)(i + 1) << 40 | 0x1000;
	c->shadow = calloc(c->granules, sizeof(*c->shadow));
	if (!c->shadow) {
		perror("genpool_stress: calloc");
		return -1;
	}
	if (st.cfg.mode == ST_MEM)
		return map_guarded(c, bytes);
	place_top(c, i, bytes);
	return 0;
}

/*
 * Make chunk number st.nchunks, publish its descriptor (release: pairs with
 * the acquire in st_region_count, so a worker that is handed an address in
 * it sees the descriptor), then add it to the pool.
 */
int st_region_add_one(void)
{
	unsigned int i = st.nchunks;
	struct st_chunk *c = &st.chunks[i];
	int err;

	if (i >= ST_MAX_CHUNKS || region_make(i))
		return -1;
	__atomic_store_n(&st.nchunks, i + 1, __ATOMIC_RELEASE);
	err = gen_pool_add_virt(st.pool, c->base, c->phys, c->granules * st.granule, -1);
	if (err) {
		st_fail(ST_OTHER, "gen_pool_add_virt(0x%lx, %lu granules) returned %d", c->base,
			c->granules, err);
		return -1;
	}
	/* release: pairs with the acquire in st_region_added */
	__atomic_store_n(&st.added, i + 1, __ATOMIC_RELEASE);
	return 0;
}

int st_region_setup(void)
{
	st.nchunks = 0;
	for (unsigned int i = 0; i < ST_INITIAL_CHUNKS; i++)
		if (st_region_add_one())
			return -1;
	return 0;
}

void st_region_teardown(void)
{
	for (unsigned int i = 0; i < st.nchunks; i++) {
		struct st_chunk *c = &st.chunks[i];

		if (c->map)
			munmap(c->map, c->map_len);
		free(c->shadow);
	}
	st.nchunks = 0;
}

unsigned int st_region_count(void)
{
	/* acquire: pairs with the release in st_region_add_one. */
	return __atomic_load_n(&st.nchunks, __ATOMIC_ACQUIRE);
}

unsigned int st_region_added(void)
{
	/* acquire: pairs with the release in st_region_add_one. */
	return __atomic_load_n(&st.added, __ATOMIC_ACQUIRE);
}

int st_region_find(unsigned long addr)
{
	unsigned int n = st_region_count();

	for (unsigned int i = 0; i < n; i++) {
		const struct st_chunk *c = &st.chunks[i];

		if (addr >= c->base && addr - c->base < c->granules * st.granule)
			return (int)i;
	}
	return -1;
}

/*
 * An address in no chunk, chosen by @r: just below a chunk (in ST_MEM, its
 * lower guard page), just past the end of one, or a low address.
 */
unsigned long st_region_foreign_addr(uint64_t r)
{
	const struct st_chunk *c = &st.chunks[r % st_region_count()];
	unsigned long addr;

	switch ((r >> 8) % 3) {
	case 0:
		addr = c->base - st.granule;
		break;
	case 1:
		addr = c->base + c->granules * st.granule; /* 0 for the top chunk */
		break;
	default:
		addr = 4096 + ((r >> 16) % 64) * st.granule;
		break;
	}
	return st_region_find(addr) < 0 && addr ? addr : 4096;
}
