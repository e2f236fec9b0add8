/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dma_region.c - manage a device's DMA region with genpool.
 *
 * This is what a program driving a device through VFIO or UIO does: it
 * maps a region (a BAR, or a DMA buffer the device can reach), knows the
 * region's bus/physical base, and carves descriptors and packet buffers out
 * of it. genpool hands out the CPU address and, through dma_addr_t, the
 * address to program into the device.
 *
 * Here an anonymous 2 MiB mapping stands in for the region, and we pretend
 * the device sees it at 0x80000000. The example shows:
 *   - gen_pool_add_virt() with a physical base,
 *   - gen_pool_dma_alloc() for descriptors, gen_pool_dma_zalloc_align()
 *     for 4 KiB-aligned, zeroed buffers,
 *   - gen_pool_virt_to_phys() translations, checked against the base,
 *   - an error handler, and a refused call (a double free) being reported
 *     and returning -EINVAL while leaving the pool intact,
 *   - error checks on every call, down to gen_pool_destroy().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <genpool.h>

#define REGION_SIZE	(2UL << 20)		/* 2 MiB, like a small BAR */
#define REGION_PHYS	0x80000000ULL		/* where the "device" sees it */
#define POOL_ORDER	6			/* 64-byte granules: one descriptor */
#define RING_LEN	8			/* descriptors in the ring */
#define BUF_SIZE	1500			/* one Ethernet frame */
#define BUF_ALIGN	4096			/* the device wants page-aligned buffers */

/* A made-up device descriptor: where the buffer is, and how long. */
struct desc {
	uint64_t buf_dma;
	uint32_t len;
	uint32_t flags;
};

struct region {
	void *virt;
	phys_addr_t phys;
	size_t size;
};

/* What the error handler saw; the handler must not call genpool. */
struct refusals {
	int count;
	int last_err;
};

static void on_refusal(int err, const char *msg, void *arg)
{
	struct refusals *r = arg;

	r->count++;
	r->last_err = err;
	printf("  error handler: %s (%s)\n", msg, strerror(err));
}

static void die(const char *what)
{
	fprintf(stderr, "dma_region: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The translation a device driver must be able to trust. */
static phys_addr_t expected_phys(const struct region *r, const void *p)
{
	return r->phys + (phys_addr_t)((uintptr_t)p - (uintptr_t)r->virt);
}

/* Print a translation, and check it against the region's base. */
static void check_translation(struct gen_pool *pool, const struct region *r, const char *what,
			      const void *p, dma_addr_t dma)
{
	phys_addr_t phys = gen_pool_virt_to_phys(pool, (unsigned long)p);

	printf("  %-10s virt %p -> phys 0x%" PRIx64 "\n", what, p, phys);
	if (phys != expected_phys(r, p) || dma != phys) {
		fprintf(stderr, "dma_region: bad translation for %s\n", what);
		exit(1);
	}
}

static struct gen_pool *setup_pool(const struct region *r)
{
	struct gen_pool *pool = gen_pool_create(POOL_ORDER, -1);
	int ret;

	if (!pool)
		die("gen_pool_create");
	/* The pool only records the addresses; it never touches the memory. */
	ret = gen_pool_add_virt(pool, (unsigned long)r->virt, r->phys, r->size, -1);
	if (ret) {
		errno = -ret;
		die("gen_pool_add_virt");
	}
	printf("pool: %zu bytes at virt %p, phys 0x%" PRIx64 "\n",
	       gen_pool_size(pool), r->virt, r->phys);
	return pool;
}

static int all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* Buffers: zeroed (no stale data reaches the device) and page-aligned. */
static void alloc_buffers(struct gen_pool *pool, const struct region *r, void **buf,
			  dma_addr_t *buf_dma)
{
	char name[16];

	for (int i = 0; i < RING_LEN; i++) {
		buf[i] = gen_pool_dma_zalloc_align(pool, BUF_SIZE, &buf_dma[i], BUF_ALIGN);
		if (!buf[i])
			die(errno == ENOMEM ? "region full" : "gen_pool_dma_zalloc_align");
		if (buf_dma[i] % BUF_ALIGN || !all_zero(buf[i], BUF_SIZE)) {
			fprintf(stderr, "dma_region: buffer %d misaligned or not zeroed\n", i);
			exit(1);
		}
		snprintf(name, sizeof(name), "buf[%d]", i);
		check_translation(pool, r, name, buf[i], buf_dma[i]);
	}
}

/*
 * The descriptor ring: the device reads it, so every field is written and
 * plain gen_pool_dma_alloc() (no zeroing) is enough.
 */
static struct desc *alloc_ring(struct gen_pool *pool, const struct region *r,
			       dma_addr_t *ring_dma, const dma_addr_t *buf_dma)
{
	struct desc *ring = gen_pool_dma_alloc(pool, RING_LEN * sizeof(*ring), ring_dma);

	if (!ring)
		die("gen_pool_dma_alloc");
	check_translation(pool, r, "ring", ring, *ring_dma);
	for (int i = 0; i < RING_LEN; i++) {
		ring[i].buf_dma = buf_dma[i];	/* the device sees bus addresses */
		ring[i].len = BUF_SIZE;
		ring[i].flags = 0;
	}
	return ring;
}

static void free_checked(struct gen_pool *pool, void *p, size_t size)
{
	int ret = gen_pool_free(pool, (unsigned long)p, size);

	if (ret) {
		errno = -ret;
		die("gen_pool_free");
	}
}

/* Free a buffer twice: the second call is refused, reported, and harmless. */
static void show_double_free(struct gen_pool *pool, const struct refusals *seen)
{
	dma_addr_t dma;
	void *p = gen_pool_dma_alloc(pool, BUF_SIZE, &dma);
	size_t avail;
	int ret;

	if (!p)
		die("gen_pool_dma_alloc");
	free_checked(pool, p, BUF_SIZE);
	avail = gen_pool_avail(pool);

	printf("double free of %p:\n", p);
	ret = gen_pool_free(pool, (unsigned long)p, BUF_SIZE);
	printf("  gen_pool_free returned %d (%s)\n", ret, strerror(-ret));
	if (ret != -EINVAL || seen->count != 1 || seen->last_err != EINVAL ||
	    gen_pool_avail(pool) != avail) {
		fprintf(stderr, "dma_region: double free was not refused cleanly\n");
		exit(1);
	}
}

int main(void)
{
	struct refusals seen = { 0 };
	struct region r = { .phys = REGION_PHYS, .size = REGION_SIZE };
	void *buf[RING_LEN];
	dma_addr_t buf_dma[RING_LEN], ring_dma;
	struct gen_pool *pool;
	struct desc *ring;
	int ret;

	/* With a VFIO device this would be an mmap of the region's fd. */
	r.virt = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r.virt == MAP_FAILED)
		die("mmap");

	/* Report refused calls instead of just returning an error code. */
	gen_pool_set_error_handler(on_refusal, &seen);

	pool = setup_pool(&r);
	printf("allocations:\n");
	alloc_buffers(pool, &r, buf, buf_dma);
	ring = alloc_ring(pool, &r, &ring_dma, buf_dma);

	/* Outside every chunk there is no translation. */
	if (gen_pool_virt_to_phys(pool, (unsigned long)r.virt + r.size) != (phys_addr_t)-1) {
		fprintf(stderr, "dma_region: translated an address outside the pool\n");
		exit(1);
	}
	printf("in use: %zu of %zu bytes\n", gen_pool_size(pool) - gen_pool_avail(pool),
	       gen_pool_size(pool));

	/* Free with the size that was allocated, as with the kernel. */
	free_checked(pool, ring, RING_LEN * sizeof(*ring));
	for (int i = 0; i < RING_LEN; i++)
		free_checked(pool, buf[i], BUF_SIZE);

	show_double_free(pool, &seen);

	if (gen_pool_avail(pool) != gen_pool_size(pool)) {
		fprintf(stderr, "dma_region: leak: %zu bytes still allocated\n",
			gen_pool_size(pool) - gen_pool_avail(pool));
		exit(1);
	}
	/* -EBUSY here would mean something is still allocated. */
	ret = gen_pool_destroy(pool);
	if (ret) {
		errno = -ret;
		die("gen_pool_destroy");
	}
	gen_pool_set_error_handler(NULL, NULL);
	if (munmap(r.virt, r.size))
		die("munmap");
	printf("ok: all freed, pool destroyed, %d refused call reported\n", seen.count);
	return 0;
}
