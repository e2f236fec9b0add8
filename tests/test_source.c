// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_source.c - backing-memory sources: import on the ENOMEM path of
 * every allocation call, quantum and request sizes, shrink, removal and
 * destroy giving imports back, detaching, the built-in anon (plain,
 * shared, populate, hugetlb: works or a clean ENOMEM), memfd (the memory
 * seen through the fd at the chunk's phys offset) and parent-pool sources,
 * every refusal, and fault injection on every metadata allocation of the
 * import and release paths.
 */
#include <sys/mman.h>
#include <unistd.h>

#include <errno.h>

#include "error_helpers.h"
#include "internal.h"

#define MIB (1UL << 20)

/* A custom source over a fixed arena, counting its traffic. */
static struct arena {
	unsigned char *mem;
	size_t used, size;
	int imports, releases, fail;
	size_t last_request;
	size_t out; /* bytes imported and not released */
} ar;

static size_t arena_import(void *arg, size_t size, unsigned long *addr, phys_addr_t *phys)
{
	struct arena *a = arg;

	a->last_request = size;
	if (a->fail || a->used + size > a->size) {
		errno = ENOMEM;
		return 0;
	}
	*addr = (unsigned long)(a->mem + a->used);
	*phys = 0x10000000 + a->used;
	a->used += size;
	a->imports++;
	a->out += size;
	return size;
}

static void arena_release(void *arg, unsigned long addr, size_t size)
{
	struct arena *a = arg;

	assert_true(addr >= (unsigned long)a->mem && addr + size <= (unsigned long)a->mem + a->size);
	a->releases++;
	a->out -= size;
	if (addr + size == (unsigned long)a->mem + a->used) /* the newest span: reusable */
		a->used -= size;
}

static const struct gen_pool_source_ops arena_ops = { arena_import, arena_release };

static struct gen_pool_source *arena_source(void)
{
	static unsigned char mem[8 << 20] __attribute__((aligned(4096)));
	struct gen_pool_source *s;

	memset(&ar, 0, sizeof(ar));
	ar.mem = mem;
	ar.size = sizeof(mem);
	s = gen_pool_source_custom(&arena_ops, &ar);
	assert_non_null(s);
	return s;
}

static void import_on_enomem(void **state)
{
	struct gen_pool_source *s = arena_source();
	struct gen_pool *p = gen_pool_create(ORDER, -1);
	unsigned long a, b, c;
	dma_addr_t dma;

	(void)state;
	assert_int_equal(gen_pool_set_source(p, s, 100 * G + 1), 0); /* rounds up to 101 granules */
	a = gen_pool_alloc(p, G);
	assert_int_equal(a, (unsigned long)ar.mem);
	assert_int_equal(ar.imports, 1);
	assert_int_equal(ar.last_request, 101 * G);
	assert_int_equal(gen_pool_size(p), 101 * G);
	b = gen_pool_alloc(p, 100 * G); /* fits in the first import */
	assert_int_equal(b, a + G);
	assert_int_equal(ar.imports, 1);
	c = (unsigned long)gen_pool_dma_alloc(p, 200 * G, &dma); /* bigger than the quantum */
	assert_int_equal(ar.imports, 2);
	assert_int_equal(ar.last_request, 200 * G);
	assert_int_equal(c, (unsigned long)ar.mem + 101 * G);
	assert_int_equal(dma, 0x10000000 + 101 * G);
	expect_no_report();
	/* shrink: only the wholly free import goes back */
	assert_int_equal(gen_pool_free(p, c, 200 * G), 0);
	assert_int_equal(gen_pool_shrink(p), 200 * G);
	assert_int_equal(ar.releases, 1);
	assert_int_equal(gen_pool_size(p), 101 * G);
	assert_int_equal(gen_pool_shrink(p), 0);
	/* in use: destroy refuses the source */
	assert_int_equal(gen_pool_source_destroy(s), -EBUSY);
	expect_no_report();
	assert_int_equal(gen_pool_free(p, a, G), 0);
	assert_int_equal(gen_pool_free(p, b, 100 * G), 0);
	/* destroy gives every import back */
	assert_int_equal(gen_pool_destroy(p), 0);
	assert_int_equal(ar.releases, 2);
	assert_int_equal(ar.out, 0);
	assert_int_equal(gen_pool_source_destroy(s), 0);
}

/* Every allocation call imports: each from an empty pool with a source. */
static unsigned long call_kind(struct gen_pool *p, int kind, size_t size)
{
	struct genpool_constraints cons = { .align = 64 * G };
	void *owner = &owner;

	switch (kind) {
	case 0: return gen_pool_alloc(p, size);
	case 1: return gen_pool_alloc_owner(p, size, &owner);
	case 2: return gen_pool_alloc_algo(p, size, gen_pool_best_fit, NULL);
	case 3: return (unsigned long)gen_pool_dma_zalloc(p, size, NULL);
	case 4: return gen_pool_xalloc(p, size, &cons);
	default: return (unsigned long)gen_pool_dma_alloc_align(p, size, NULL, (int)(16 * G));
	}
}

static void every_call_imports(void **state)
{
	static const unsigned int kinds[] = { 0, GEN_POOL_SPINLOCK, GEN_POOL_STRICT,
					      GEN_POOL_THREAD_CACHE };
	struct gen_pool_source *s = arena_source();

	(void)state;
	for (int call = 0; call < 6; call++) {
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			struct gen_pool *p = gen_pool_create_flags(ORDER, -1, kinds[k]);
			int before = ar.imports;
			size_t size = (call % 2 ? 1 : 9) * G; /* a cached size and not */
			unsigned long a;

			/* quantum 64 granules: chunk starts stay 64-granule aligned */
			assert_int_equal(gen_pool_set_source(p, s, 64 * G), 0);
			a = call_kind(p, call, size);
			assert_int_not_equal(a, 0);
			assert_int_equal(ar.imports, before + 1);
			assert_int_equal(gen_pool_free(p, a, size), 0);
			assert_int_equal(gen_pool_destroy(p), 0);
			assert_int_equal(ar.out, 0);
			ar.used = 0; /* the arena's memory is all back */
		}
	}
	expect_no_report();
	assert_int_equal(gen_pool_source_destroy(s), 0);
}

/* A failing import: ENOMEM, not reported, pool unchanged. */
static void import_fails(void **state)
{
	struct gen_pool_source *s = arena_source();
	struct gen_pool *p = gen_pool_create(ORDER, -1);

	(void)state;
	assert_int_equal(gen_pool_add(p, BASE_A, 32 * G, -1), 0);
	assert_int_equal(gen_pool_set_source(p, s, 0), 0);
	ar.fail = 1;
	errno = 0;
	assert_int_equal(gen_pool_alloc(p, 64 * G), 0);
	assert_int_equal(errno, ENOMEM);
	expect_no_report();
	assert_int_equal(gen_pool_size(p), 32 * G);
	assert_int_equal(ar.last_request, 2 * MIB); /* quantum 0: 2 MiB */
	/* chunks added with gen_pool_add are never released */
	assert_int_equal(gen_pool_shrink(p), 0);
	assert_int_equal(gen_pool_size(p), 32 * G);
	assert_int_equal(gen_pool_destroy(p), 0);
	assert_int_equal(ar.releases, 0);
	assert_int_equal(gen_pool_source_destroy(s), 0);
}

/* Detach: imported chunks stay, and still go back to the source (in use). */
static void detach(void **state)
{
	struct gen_pool_source *s = arena_source();
	struct gen_pool *p = gen_pool_create(ORDER, -1);
	unsigned long a;

	(void)state;
	assert_int_equal(gen_pool_set_source(p, s, 64 * G), 0);
	a = gen_pool_alloc(p, G);
	assert_int_not_equal(a, 0);
	assert_int_equal(gen_pool_set_source(p, NULL, 0), 0);
	assert_int_equal(gen_pool_source_destroy(s), -EBUSY); /* its chunk is still in p */
	errno = 0;
	assert_int_equal(gen_pool_alloc(p, 64 * G), 0); /* no source: no import */
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(ar.imports, 1);
	assert_int_equal(gen_pool_free(p, a, G), 0);
	/* removal of an imported chunk releases it */
	assert_int_equal(gen_pool_remove_chunk(p, a), 0);
	assert_int_equal(ar.releases, 1);
	assert_int_equal(gen_pool_source_destroy(s), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

static void refusals(void **state)
{
	struct gen_pool_source_ops half = { arena_import, NULL };
	struct gen_pool *p = gen_pool_create(ORDER, -1), *q = gen_pool_create(ORDER, -1);
	struct gen_pool_source *anon = gen_pool_source_anon(0), *sp, *sq;

	(void)state;
	assert_non_null(anon);
	errno = 0;
	assert_null(gen_pool_source_custom(NULL, NULL));
	assert_int_equal(errno, EINVAL);
	expect_report(EINVAL);
	assert_null(gen_pool_source_custom(&half, NULL));
	expect_report(EINVAL);
	half = (struct gen_pool_source_ops){ NULL, arena_release };
	assert_null(gen_pool_source_custom(&half, NULL));
	expect_report(EINVAL);
	assert_null(gen_pool_source_anon(0x80));
	expect_report(EINVAL);
	assert_null(gen_pool_source_memfd(NULL, 0));
	expect_report(EINVAL);
	assert_null(gen_pool_source_memfd("x", 0x80));
	expect_report(EINVAL);
	assert_null(gen_pool_source_pool(NULL));
	expect_report(EINVAL);
	assert_int_equal(gen_pool_source_destroy(NULL), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_source_fd(NULL), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_source_fd(anon), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_set_source(NULL, anon, 0), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_set_source(p, anon, ~(size_t)0), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_shrink(NULL), 0);
	expect_report(EINVAL);
	/* cycles: p from q, then q from p; p from itself */
	sp = gen_pool_source_pool(p);
	sq = gen_pool_source_pool(q);
	assert_int_equal(gen_pool_set_source(p, sp, 0), -EINVAL);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_set_source(p, sq, 0), 0);
	assert_int_equal(gen_pool_set_source(q, sp, 0), -EINVAL);
	expect_report(EINVAL);
	/* nothing changed by the refusals: p imports from q, which has nothing */
	errno = 0;
	assert_int_equal(gen_pool_alloc(p, G), 0);
	assert_int_equal(errno, ENOMEM);
	expect_no_report();
	assert_int_equal(gen_pool_set_source(p, NULL, 0), 0);
	assert_int_equal(gen_pool_source_destroy(sp), 0);
	assert_int_equal(gen_pool_source_destroy(sq), 0);
	assert_int_equal(gen_pool_source_destroy(anon), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
	assert_int_equal(gen_pool_destroy(q), 0);
}

/* anon: memory that can be written; each flag; hugetlb works or fails cleanly. */
static void anon_sources(void **state)
{
	static const unsigned int flags[] = { 0, GEN_POOL_SRC_SHARED, GEN_POOL_SRC_POPULATE,
					      GEN_POOL_SRC_SHARED | GEN_POOL_SRC_POPULATE,
					      GEN_POOL_SRC_HUGETLB };

	(void)state;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct gen_pool_source *s = gen_pool_source_anon(flags[i]);
		struct gen_pool *p = gen_pool_create(12, -1);
		unsigned long a;

		assert_int_equal(gen_pool_set_source(p, s, 0), 0);
		errno = 0;
		a = gen_pool_alloc(p, 3 * 4096);
		if (!a) {
			/* only huge pages may be missing, and then it is ENOMEM */
			assert_int_equal(flags[i], GEN_POOL_SRC_HUGETLB);
			assert_int_equal(errno, ENOMEM);
			assert_int_equal(gen_pool_size(p), 0);
		} else {
			memset((void *)a, 0x5a, 3 * 4096);
			assert_true(gen_pool_size(p) >= 2 * MIB);
			assert_int_equal(gen_pool_free(p, a, 3 * 4096), 0);
			assert_true(gen_pool_shrink(p) >= 2 * MIB);
		}
		expect_no_report();
		assert_int_equal(gen_pool_size(p), 0);
		assert_int_equal(gen_pool_destroy(p), 0);
		assert_int_equal(gen_pool_source_destroy(s), 0);
	}
}

/* memfd: what is written through a pool address is at its phys offset in the fd. */
static void memfd_source(void **state)
{
	struct gen_pool_source *s = gen_pool_source_memfd("genpool-test", 0);
	struct gen_pool *p = gen_pool_create(12, -1);
	unsigned long a, b;
	char buf[6] = { 0 };
	int fd;

	(void)state;
	assert_non_null(s);
	fd = gen_pool_source_fd(s);
	assert_true(fd >= 0);
	assert_int_equal(gen_pool_set_source(p, s, MIB), 0);
	a = gen_pool_alloc(p, 4096);
	b = gen_pool_alloc(p, 2 * MIB); /* a second import, later in the file */
	assert_int_not_equal(a, 0);
	assert_int_not_equal(b, 0);
	memcpy((void *)b, "hello", 6);
	assert_int_equal(pread(fd, buf, 6, (off_t)gen_pool_virt_to_phys(p, b)), 6);
	assert_string_equal(buf, "hello");
	assert_int_equal(gen_pool_virt_to_phys(p, a), 0);
	assert_int_equal(gen_pool_free(p, b, 2 * MIB), 0);
	assert_int_equal(gen_pool_shrink(p), 2 * MIB);
	assert_int_equal(gen_pool_free(p, a, 4096), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
	assert_int_equal(gen_pool_source_destroy(s), 0);
}

/* A parent pool: 64 KiB spans out of it, given back at shrink. */
static void pool_source(void **state)
{
	static unsigned char mem[1 << 20] __attribute__((aligned(4096)));
	struct gen_pool *parent = gen_pool_create(12, -1), *child = gen_pool_create(6, -1);
	struct gen_pool_source *s = gen_pool_source_pool(parent);
	unsigned long a;

	(void)state;
	assert_int_equal(gen_pool_add_virt(parent, (unsigned long)mem, 0x80000000, sizeof(mem), -1),
			 0);
	assert_int_equal(gen_pool_set_source(child, s, 64 << 10), 0);
	a = gen_pool_alloc(child, 100);
	assert_int_equal(a, (unsigned long)mem);
	assert_int_equal(gen_pool_virt_to_phys(child, a + 64), 0x80000000 + 64);
	assert_int_equal(gen_pool_avail(parent), sizeof(mem) - (64 << 10));
	assert_int_equal(gen_pool_destroy(parent), -EBUSY); /* the child holds a span */
	report_reset();
	assert_int_equal(gen_pool_free(child, a, 100), 0);
	assert_int_equal(gen_pool_shrink(child), 64 << 10);
	assert_int_equal(gen_pool_avail(parent), sizeof(mem));
	assert_int_equal(gen_pool_destroy(child), 0);
	assert_int_equal(gen_pool_source_destroy(s), 0);
	assert_int_equal(gen_pool_destroy(parent), 0);
}

/* Every metadata allocation of the import path fails in turn: clean ENOMEM. */
static void import_faults(void **state)
{
	struct gen_pool_source *s = arena_source(), *m = gen_pool_source_memfd("f", 0);
	struct gen_pool_source *srcs[2] = { s, m };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct gen_pool *p = gen_pool_create(12, -1);
		unsigned long a;
		long n;

		assert_int_equal(gen_pool_set_source(p, srcs[k], 0), 0);
		for (n = 1;; n++) {
			gp_meta_fail_after = n;
			errno = 0;
			a = gen_pool_alloc(p, 4096);
			if (gp_meta_fail_after > 0)
				break; /* the path completed without reaching fault n */
			assert_int_equal(a, 0);
			assert_int_equal(errno, ENOMEM);
			assert_int_equal(gen_pool_size(p), 0);
			assert_int_equal(ar.out, 0);
		}
		gp_meta_fail_after = 0;
		assert_true(n > 2); /* chunk, index (and the memfd part) */
		assert_int_not_equal(a, 0);
		assert_int_equal(gen_pool_free(p, a, 4096), 0);
		/* the release path: its new index fails, the chunk stays */
		gp_meta_fail_after = 1;
		assert_int_equal(gen_pool_shrink(p), 0);
		assert_int_equal(gp_meta_fail_after, 0);
		assert_int_equal(gen_pool_size(p), 2 * MIB);
		assert_int_equal(gen_pool_shrink(p), 2 * MIB);
		assert_int_equal(gen_pool_destroy(p), 0);
		expect_no_report();
	}
	assert_int_equal(ar.out, 0);
	assert_int_equal(gen_pool_source_destroy(s), 0);
	assert_int_equal(gen_pool_source_destroy(m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(import_on_enomem, setup),
		cmocka_unit_test_setup(every_call_imports, setup),
		cmocka_unit_test_setup(import_fails, setup),
		cmocka_unit_test_setup(detach, setup),
		cmocka_unit_test_setup(refusals, setup),
		cmocka_unit_test_setup(anon_sources, setup),
		cmocka_unit_test_setup(memfd_source, setup),
		cmocka_unit_test_setup(pool_source, setup),
		cmocka_unit_test_setup(import_faults, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
