/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * driver_layers.c - a driver's allocations over a DMA region with the
 * layers of genpool: LDD3 chapter 8's primitives, over memory the kernel's
 * own versions cannot manage.
 *
 * A user-space driver (VFIO, UIO) maps a region the device can reach and
 * knows its bus address. Here an anonymous 4 MiB mapping stands in for it,
 * seen by the "device" at 0x80000000. The driver needs:
 *   - descriptors, many of one size, allocated and freed all the time:
 *     an object cache (kmem_cache_create -> gen_pool_objcache_create), whose
 *     constructor initialises each descriptor once, when its slab is made;
 *   - ring memory in power-of-two pages, aligned to its size (the device
 *     wants it): page orders (__get_free_pages -> gen_pool_alloc_pages);
 *   - I/O buffers on a path that must not fail when the region is short
 *     (writeback under memory pressure): a reserve (mempool_create ->
 *     gen_pool_reserve_create) of a few buffers that keeps the path going
 *     even while other users hold every byte of the region.
 * Every call is checked; the physical address of each object comes from
 * gen_pool_virt_to_phys, as a driver would program it into the device.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <genpool.h>

#define REGION_SIZE (4UL << 20)
#define REGION_PHYS 0x80000000ULL
#define REGION_ALIGN (2UL << 20)
#define POOL_ORDER 12          /* 4 KiB pages */
#define IO_BUF 8192            /* one I/O buffer: two pages */
#define IO_RESERVE 4           /* buffers the I/O path is guaranteed */
#define NDESC 1000

struct desc {                  /* a made-up device descriptor, 32 bytes */
	uint64_t buf_dma;
	uint32_t len, flags;
	uint64_t next_dma, cookie;
};

#define DESC_MAGIC 0xd35cULL

static int die(const char *what)
{
	fprintf(stderr, "driver_layers: %s failed: %s\n", what, strerror(errno));
	return 1;
}

/* The constructor: a descriptor is initialised once, when its slab is made. */
static void desc_ctor(unsigned long obj, void *arg)
{
	struct desc *d = (struct desc *)obj;

	(void)arg;
	memset(d, 0, sizeof(*d));
	d->cookie = DESC_MAGIC;
}

/* Build a chain of descriptors, each with its bus address, then free them. */
static int descriptors(struct gen_pool *pool, struct gen_pool_objcache *descs)
{
	static unsigned long d[NDESC];
	int i;

	for (i = 0; i < NDESC; i++) {
		d[i] = gen_pool_objcache_alloc(descs);
		if (!d[i])
			return die("gen_pool_objcache_alloc");
		if (((struct desc *)d[i])->cookie != DESC_MAGIC)
			return die("the descriptor constructor");
		if (d[i] % 64) /* GEN_POOL_OBJ_HWCACHE_ALIGN: one cache line each */
			return die("descriptor alignment");
		if (i)
			((struct desc *)d[i - 1])->next_dma = gen_pool_virt_to_phys(pool, d[i]);
	}
	printf("%d descriptors, first at bus 0x%" PRIx64 ", region %zu KiB free\n", NDESC,
	       (uint64_t)gen_pool_virt_to_phys(pool, d[0]), gen_pool_avail(pool) >> 10);
	for (i = 0; i < NDESC; i++) {
		((struct desc *)d[i])->next_dma = 0; /* as the ctor left it, for the next user */
		if (gen_pool_objcache_free(descs, d[i]))
			return die("gen_pool_objcache_free");
	}
	if (gen_pool_objcache_free(descs, d[0]) != -EINVAL) /* a double free is refused */
		return die("the double-free check");
	printf("shrink gave %zu KiB of empty slabs back\n", gen_pool_objcache_shrink(descs) >> 10);
	return 0;
}

/* A ring of 2^3 pages aligned to 32 KiB, as a device's queue wants. */
static int ring(struct gen_pool *pool)
{
	unsigned long r = gen_pool_alloc_pages(pool, 3);

	if (!r)
		return die("gen_pool_alloc_pages");
	if (r % (8 << POOL_ORDER) || gen_pool_virt_to_phys(pool, r) % (8 << POOL_ORDER))
		return die("ring alignment");
	printf("ring: 32 KiB at bus 0x%" PRIx64 "\n", (uint64_t)gen_pool_virt_to_phys(pool, r));
	return gen_pool_free_pages(pool, r, 3) ? die("gen_pool_free_pages") : 0;
}

struct io_path {
	struct gen_pool_reserve *bufs;
	int done;
};

/* The I/O path: one buffer at a time, waiting (asleep) when none is free. */
static void *io_thread(void *arg)
{
	struct io_path *io = arg;

	for (int i = 0; i < 200; i++) {
		unsigned long b = gen_pool_reserve_alloc(io->bufs, -1);

		if (!b)
			return NULL;
		memset((void *)b, i, 64); /* "fill the buffer, start the DMA, wait for it" */
		if (gen_pool_reserve_free(io->bufs, b))
			return NULL;
		io->done++;
	}
	return NULL;
}

/* Other users take every page of the region; the I/O path still completes. */
static int io_under_pressure(struct gen_pool *pool, struct gen_pool_reserve *bufs)
{
	static unsigned long hog[REGION_SIZE >> POOL_ORDER];
	struct io_path io[2] = { { bufs, 0 }, { bufs, 0 } };
	pthread_t t[2];
	unsigned long n = 0;

	while ((hog[n] = gen_pool_alloc(pool, 1UL << POOL_ORDER)))
		n++;
	printf("pressure: other users hold %lu pages, %zu bytes free\n", n, gen_pool_avail(pool));
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, io_thread, &io[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("the I/O path completed %d + %d requests on its %d reserved buffers\n", io[0].done,
	       io[1].done, IO_RESERVE);
	while (n)
		gen_pool_free(pool, hog[--n], 1UL << POOL_ORDER);
	return io[0].done == 200 && io[1].done == 200 ? 0 : die("the I/O path");
}

int main(void)
{
	/* mapped at a CPU address aligned like the bus address (2 MiB), as a BAR
	 * is: then an aligned CPU address is an aligned bus address */
	char *map = mmap(NULL, REGION_SIZE + REGION_ALIGN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *virt = (void *)(((uintptr_t)map + REGION_ALIGN - 1) & ~(uintptr_t)(REGION_ALIGN - 1));
	struct gen_pool *pool = gen_pool_create(POOL_ORDER, -1);
	struct gen_pool_objcache *descs;
	struct gen_pool_reserve *bufs;

	if (map == MAP_FAILED || !pool)
		return die("setup");
	if (gen_pool_add_virt(pool, (unsigned long)virt, REGION_PHYS, REGION_SIZE, -1))
		return die("gen_pool_add_virt");
	/* align 8 (0 would mean the granule, a page), cache-line aligned by the flag */
	descs = gen_pool_objcache_create(pool, "desc", sizeof(struct desc), 8,
					 GEN_POOL_OBJ_HWCACHE_ALIGN, desc_ctor, NULL);
	bufs = gen_pool_reserve_create(pool, IO_BUF, IO_RESERVE);
	if (!descs || !bufs)
		return die("gen_pool_objcache_create / gen_pool_reserve_create");
	if (descriptors(pool, descs) || ring(pool) || io_under_pressure(pool, bufs))
		return 1;
	if (gen_pool_objcache_destroy(descs) || gen_pool_reserve_destroy(bufs))
		return die("destroy");
	if (gen_pool_avail(pool) != REGION_SIZE || gen_pool_destroy(pool))
		return die("gen_pool_destroy");
	munmap(map, REGION_SIZE + REGION_ALIGN);
	printf("all memory back: ok\n");
	return 0;
}
