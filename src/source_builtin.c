// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * source_builtin.c - the built-in backing-memory sources:
 *   anon   anonymous mmap (MAP_HUGETLB, MAP_SHARED, MAP_POPULATE on request),
 *          each import its own mapping, munmap'ed at release;
 *   memfd  one memfd that grows by ftruncate; each import maps the next part
 *          of the file MAP_SHARED, and its phys is that file offset, so
 *          another process holding gen_pool_source_fd() can map what a pool
 *          address names; release unmaps and punches the hole;
 *   pool   a parent pool (vmem's arena hierarchy): gen_pool_alloc and
 *          gen_pool_free of the parent, phys from its virt_to_phys.
 *
 * Concurrency: a source may serve several pools, whose imports are not
 * serialised with each other; anon is stateless, memfd keeps its length and
 * parts under src->mu, pool uses the parent's thread-safe calls. Failures
 * are ENOMEM (mmap's EINVAL for huge pages the kernel has none of included:
 * "no memory of this kind" is what the pool reports either way).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "source.h"

#define GP_SRC_KNOWN (GEN_POOL_SRC_HUGETLB | GEN_POOL_SRC_SHARED | GEN_POOL_SRC_POPULATE)

/* The huge page size (Hugepagesize in /proc/meminfo), else 2 MiB. */
static size_t huge_page_size(void)
{
	static size_t cached;
	size_t kb = 0, sz = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	char line[128];
	FILE *f;

	if (sz)
		return sz;
	f = fopen("/proc/meminfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %zu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	sz = kb ? kb << 10 : 2UL << 20;
	__atomic_store_n(&cached, sz, __ATOMIC_RELAXED); /* idempotent */
	return sz;
}

/* @size rounded up to the source's mapping unit; 0 on overflow. */
static size_t map_unit_round(const struct gen_pool_source *src, size_t size)
{
	size_t unit = (src->flags & GEN_POOL_SRC_HUGETLB) ? huge_page_size()
							   : (size_t)sysconf(_SC_PAGESIZE);

	if (size > ~(size_t)0 - (unit - 1))
		return 0;
	return (size + unit - 1) & ~(unit - 1);
}

static int map_flags(const struct gen_pool_source *src)
{
	return ((src->flags & GEN_POOL_SRC_HUGETLB) ? MAP_HUGETLB : 0) |
	       ((src->flags & GEN_POOL_SRC_POPULATE) ? MAP_POPULATE : 0);
}

/* ---- anon ---- */

static size_t anon_import(void *arg, size_t size, unsigned long *addr, phys_addr_t *phys)
{
	struct gen_pool_source *src = arg;
	size_t len = map_unit_round(src, size);
	int share = (src->flags & GEN_POOL_SRC_SHARED) ? MAP_SHARED : MAP_PRIVATE;
	void *p;

	if (!len) {
		errno = ENOMEM;
		return 0;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, share | MAP_ANONYMOUS | map_flags(src), -1, 0);
	if (p == MAP_FAILED) {
		errno = ENOMEM;
		return 0;
	}
	*addr = (unsigned long)p;
	*phys = (phys_addr_t)-1;
	return len;
}

static void anon_release(void *arg, unsigned long addr, size_t size)
{
	(void)arg;
	munmap((void *)addr, size);
}

static const struct gen_pool_source_ops anon_ops = { anon_import, anon_release };

struct gen_pool_source *gen_pool_source_anon(unsigned int flags)
{
	struct gen_pool_source *src;

	if (flags & ~GP_SRC_KNOWN)
		return GP_REFUSE_NULL(EINVAL, "unknown flags 0x%x", flags & ~GP_SRC_KNOWN);
	src = gp_source_new(GP_SRC_ANON, &anon_ops, NULL);
	if (src)
		src->flags = flags;
	return src;
}

/* ---- memfd ---- */

/* Map @len bytes of the file at @off, growing it; mu held. NULL on failure. */
static void *memfd_map_locked(struct gen_pool_source *src, off_t off, size_t len)
{
	void *p;

	if (ftruncate(src->fd, off + (off_t)len))
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | map_flags(src), src->fd, off);
	if (p != MAP_FAILED)
		return p;
	/* back to the length before; if even that fails, the file is only longer */
	(void)!ftruncate(src->fd, off);
	return NULL;
}

static size_t memfd_import(void *arg, size_t size, unsigned long *addr, phys_addr_t *phys)
{
	struct gen_pool_source *src = arg;
	size_t len = map_unit_round(src, size);
	struct gp_memfd_part *part = len ? gp_meta_heap_zalloc(sizeof(*part)) : NULL;
	void *p = NULL;

	if (part) {
		pthread_mutex_lock(&src->mu);
		p = memfd_map_locked(src, src->length, len);
		if (p) {
			*part = (struct gp_memfd_part){ src->parts, (unsigned long)p, len,
							src->length };
			src->parts = part;
			src->length += (off_t)len;
		}
		pthread_mutex_unlock(&src->mu);
	}
	if (!p) {
		free(part);
		errno = ENOMEM;
		return 0;
	}
	*addr = (unsigned long)p;
	*phys = (phys_addr_t)part->off;
	return len;
}

/* Unmap a part and give its pages back; a part at the end shortens the file. */
static void memfd_release(void *arg, unsigned long addr, size_t size)
{
	struct gen_pool_source *src = arg;
	struct gp_memfd_part **pp, *part;

	pthread_mutex_lock(&src->mu);
	for (pp = &src->parts; (part = *pp) && part->addr != addr; pp = &part->next)
		;
	if (part) {
		*pp = part->next;
		munmap((void *)addr, size);
		if (part->off + (off_t)part->len == src->length && !ftruncate(src->fd, part->off))
			src->length = part->off;
		else
			fallocate(src->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, part->off,
				  (off_t)part->len);
		free(part);
	}
	pthread_mutex_unlock(&src->mu);
}

static const struct gen_pool_source_ops memfd_ops = { memfd_import, memfd_release };

struct gen_pool_source *gen_pool_source_memfd(const char *name, unsigned int flags)
{
	struct gen_pool_source *src;
	int fd;

	if (!name)
		return GP_REFUSE_NULL(EINVAL, "name is NULL");
	if (flags & ~GP_SRC_KNOWN)
		return GP_REFUSE_NULL(EINVAL, "unknown flags 0x%x", flags & ~GP_SRC_KNOWN);
	fd = memfd_create(name, MFD_CLOEXEC | ((flags & GEN_POOL_SRC_HUGETLB) ? MFD_HUGETLB : 0));
	if (fd < 0)
		return NULL; /* memfd_create's errno: a result, not reported */
	src = gp_source_new(GP_SRC_MEMFD, &memfd_ops, NULL);
	if (!src) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	src->flags = flags;
	src->fd = fd;
	pthread_mutex_init(&src->mu, NULL);
	return src;
}

int gen_pool_source_fd(const struct gen_pool_source *src)
{
	if (!src || src->kind != GP_SRC_MEMFD)
		return GP_REFUSE(EINVAL, "%s", src ? "not a memfd source" : "source is NULL");
	return src->fd;
}

/* ---- parent pool ---- */

static size_t pool_import(void *arg, size_t size, unsigned long *addr, phys_addr_t *phys)
{
	struct gen_pool_source *src = arg;

	*addr = gen_pool_alloc(src->parent, size);
	if (!*addr)
		return 0; /* errno ENOMEM from the parent */
	*phys = gen_pool_virt_to_phys(src->parent, *addr);
	return size;
}

static void pool_release(void *arg, unsigned long addr, size_t size)
{
	struct gen_pool_source *src = arg;

	GP_BUG_ON(gen_pool_free(src->parent, addr, size) != 0);
}

static const struct gen_pool_source_ops pool_ops = { pool_import, pool_release };

struct gen_pool_source *gen_pool_source_pool(struct gen_pool *parent)
{
	struct gen_pool_source *src;

	if (!parent)
		return GP_REFUSE_NULL(EINVAL, "parent pool is NULL");
	src = gp_source_new(GP_SRC_POOL, &pool_ops, NULL);
	if (src)
		src->parent = parent;
	return src;
}

void gp_source_builtin_fini(struct gen_pool_source *src)
{
	if (src->kind != GP_SRC_MEMFD)
		return;
	GP_BUG_ON(src->parts != NULL); /* every part released: users was 0 */
	pthread_mutex_destroy(&src->mu);
	close(src->fd);
}
