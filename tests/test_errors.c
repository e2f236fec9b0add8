/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_errors.c - every create, add, alloc and free call api.md says is
 * refused: the return value and errno, exactly one report to the error
 * handler (positive errno, non-empty message), and a pool left exactly as
 * it was.
 *
 * "Unchanged" is checked against a twin: every test builds two identical
 * pools, makes the refused call on the first only, and twin_finish() then
 * compares them: same size and avail, the same addresses when both are
 * drained granule by granule, and every range still live on the twin is
 * still live on the pool (freeing it succeeds on both, a double free would
 * not). The other reports (destroy, set_algo, NULL-pool queries, handler
 * removal, GENPOOL_DEBUG) are tested in test_report.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "genpool.h"
#include "error_helpers.h"

#define MAX_LIVE 32
#define MAX_DRAIN 512

/* A call returning a negative errno was refused with @err and reported. */
#define REFUSED_INT(call, err)                                                              \
	do {                                                                                \
		report_reset();                                                             \
		assert_int_equal((call), -(err));                                           \
		expect_report(err);                                                         \
	} while (0)

/* A call returning an address or pointer failed with errno @err, reported. */
#define REFUSED_ADDR(call, err)                                                             \
	do {                                                                                \
		uintptr_t r_;                                                               \
		int e_;                                                                     \
		report_reset();                                                             \
		errno = 0;                                                                  \
		r_ = (uintptr_t)(call);                                                     \
		e_ = errno;                                                                 \
		assert_int_equal(r_, 0);                                                    \
		assert_int_equal(e_, err);                                                  \
		expect_report(err);                                                         \
	} while (0)

/*
 * Lack of room: 0 and ENOMEM. Whether that counts as a refusal to report is
 * not pinned down by api.md, so at most one report, and then of ENOMEM.
 */
#define NO_ROOM(call)                                                                       \
	do {                                                                                \
		uintptr_t r_;                                                               \
		int e_;                                                                     \
		report_reset();                                                             \
		errno = 0;                                                                  \
		r_ = (uintptr_t)(call);                                                     \
		e_ = errno;                                                                 \
		assert_int_equal(r_, 0);                                                    \
		assert_int_equal(e_, ENOMEM);                                               \
		assert_true(rep.calls <= 1);                                                \
		if (rep.calls)                                                              \
			assert_int_equal(rep.err, ENOMEM);                                  \
		report_reset();                                                             \
	} while (0)

/* ------------------------------------------------------------------------ */
/* Twin pools                                                               */

struct range {
	unsigned long addr;
	size_t size;
};

struct twin {
	struct gen_pool *p[2]; /* p[0] takes the refused calls, p[1] never */
	struct range live[MAX_LIVE];
	int nlive;
};

static void twin_add(struct twin *t, unsigned long addr, size_t size)
{
	for (int k = 0; k < 2; k++)
		assert_int_equal(gen_pool_add(t->p[k], addr, size, -1), 0);
}

/* Two identical pools with chunks A, B and C (C newest, searched first). */
static void twin_init(struct twin *t, unsigned int flags)
{
	memset(t, 0, sizeof(*t));
	for (int k = 0; k < 2; k++) {
		t->p[k] = gen_pool_create_flags(ORDER, -1, flags);
		assert_non_null(t->p[k]);
	}
	twin_add(t, BASE_A, 32 * G);
	twin_add(t, BASE_B, 16 * G);
	twin_add(t, BASE_C, 8 * G);
}

static void live_add(struct twin *t, unsigned long addr, size_t size)
{
	assert_true(t->nlive < MAX_LIVE);
	t->live[t->nlive].addr = addr;
	t->live[t->nlive].size = size;
	t->nlive++;
}

/* Forget [addr, addr + size) from the live ranges, splitting one if needed. */
static void live_remove(struct twin *t, unsigned long addr, size_t size)
{
	for (int i = 0; i < t->nlive; i++) {
		struct range *r = &t->live[i];
		unsigned long end = r->addr + r->size;

		if (addr < r->addr || addr + size > end)
			continue;
		r->size = addr - r->addr;
		if (!r->size)
			*r = t->live[--t->nlive];
		if (end > addr + size)
			live_add(t, addr + size, end - (addr + size));
		return;
	}
	fail_msg("0x%lx + %zu is not live", addr, size);
}

static unsigned long twin_alloc_algo(struct twin *t, size_t size, genpool_algo_t algo,
				     void *data)
{
	unsigned long a = gen_pool_alloc_algo(t->p[0], size, algo, data);

	assert_true(a != 0);
	assert_int_equal(gen_pool_alloc_algo(t->p[1], size, algo, data), a);
	live_add(t, a, size);
	return a;
}

static unsigned long twin_alloc(struct twin *t, size_t size)
{
	return twin_alloc_algo(t, size, gen_pool_first_fit, NULL);
}

/* Allocate @size at @offset from the start of the newest chunk that has room. */
static unsigned long twin_alloc_fixed(struct twin *t, unsigned long offset, size_t size)
{
	struct genpool_data_fixed f = { .offset = offset };

	return twin_alloc_algo(t, size, gen_pool_fixed_alloc, &f);
}

static void twin_free(struct twin *t, unsigned long addr, size_t size)
{
	for (int k = 0; k < 2; k++)
		assert_int_equal(gen_pool_free(t->p[k], addr, size), 0);
	live_remove(t, addr, size);
}

/* Allocate single granules first fit until the pool is full. */
static int drain(struct gen_pool *pool, unsigned long *out)
{
	int n = 0;

	for (;;) {
		unsigned long a;

		errno = 0;
		a = gen_pool_alloc_algo(pool, G, gen_pool_first_fit, NULL);
		if (!a)
			break;
		assert_true(n < MAX_DRAIN);
		out[n++] = a;
	}
	assert_int_equal(errno, ENOMEM);
	return n;
}

static void free_all(struct twin *t, struct gen_pool *pool, const unsigned long *drained,
		     int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(gen_pool_free(pool, drained[i], G), 0);
	for (int i = 0; i < t->nlive; i++)
		assert_int_equal(gen_pool_free(pool, t->live[i].addr, t->live[i].size), 0);
	assert_int_equal(gen_pool_avail(pool), gen_pool_size(pool));
	assert_int_equal(gen_pool_destroy(pool), 0);
}

/* p[0] is in exactly the state of p[1]; then tear both down. */
static void twin_finish(struct twin *t)
{
	static unsigned long got[2][MAX_DRAIN];
	int n[2];

	report_reset();
	assert_int_equal(gen_pool_size(t->p[0]), gen_pool_size(t->p[1]));
	assert_int_equal(gen_pool_avail(t->p[0]), gen_pool_avail(t->p[1]));
	for (int k = 0; k < 2; k++)
		n[k] = drain(t->p[k], got[k]);
	assert_int_equal(n[0], n[1]);
	for (int i = 0; i < n[0]; i++)
		assert_int_equal(got[0][i], got[1][i]);
	for (int k = 0; k < 2; k++)
		free_all(t, t->p[k], got[k], n[k]);
	report_reset();
}

/* ------------------------------------------------------------------------ */
/* gen_pool_create                                                          */

static void create_bad_order(void **state)
{
	const int bad[] = { -1, INT_MIN, (int)(sizeof(long) * 8), INT_MAX };
	const int good[] = { 0, (int)(sizeof(long) * 8) - 1 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		REFUSED_ADDR(gen_pool_create(bad[i], -1), EINVAL);
		REFUSED_ADDR(gen_pool_create_flags(bad[i], -1, 0), EINVAL);
		REFUSED_ADDR(gen_pool_create_flags(bad[i], -1, GEN_POOL_STRICT), EINVAL);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct gen_pool *p = gen_pool_create(good[i], -1);

		assert_non_null(p);
		assert_int_equal(gen_pool_destroy(p), 0);
	}
	expect_no_report();
}

static void create_bad_flags_and_nid(void **state)
{
	(void)state;
	REFUSED_ADDR(gen_pool_create_flags(ORDER, -1, 0x80000000u), EINVAL);
	REFUSED_ADDR(gen_pool_create_flags(ORDER, -1, GEN_POOL_STRICT | 0x80000000u), EINVAL);
	REFUSED_ADDR(gen_pool_create(ORDER, -2), EINVAL);
	REFUSED_ADDR(gen_pool_create(ORDER, INT_MIN), EINVAL);
	REFUSED_ADDR(gen_pool_create_flags(ORDER, -2, GEN_POOL_SPINLOCK), EINVAL);
}

/* ------------------------------------------------------------------------ */
/* gen_pool_add*                                                            */

/* gen_pool_add, _virt and _owner all refuse [addr, addr + size) with @err. */
static void refuse_add_all(struct gen_pool *pool, unsigned long addr, size_t size, int nid,
			   int err)
{
	REFUSED_INT(gen_pool_add(pool, addr, size, nid), err);
	REFUSED_INT(gen_pool_add_virt(pool, addr, 0x1000, size, nid), err);
	REFUSED_INT(gen_pool_add_owner(pool, addr, 0x1000, size, nid, &rep), err);
}

static void add_bad_range(void **state)
{
	struct twin t;

	(void)state;
	twin_init(&t, 0);
	twin_alloc(&t, 3 * G);
	refuse_add_all(t.p[0], 0x400000, 0, -1, EINVAL);
	refuse_add_all(t.p[0], ULONG_MAX - 100, 4096, -1, EINVAL);
	refuse_add_all(t.p[0], ULONG_MAX - 63, 2 * G, -1, EINVAL);
	refuse_add_all(t.p[0], 0, 4096, -1, EINVAL);
	refuse_add_all(t.p[0], 0x400000, G - 1, -1, EINVAL);
	refuse_add_all(t.p[0], 0x400000, 1, -1, EINVAL);
	refuse_add_all(t.p[0], 0x400000, 4096, -2, EINVAL);
	refuse_add_all(t.p[0], 0x400000, 4096, INT_MIN, EINVAL);
	refuse_add_all(NULL, 0x400000, 4096, -1, EINVAL);
	twin_finish(&t);
}

/* A chunk ending at the very last address does not wrap: accepted. */
static void add_top_of_address_space(void **state)
{
	struct gen_pool *p = gen_pool_create(ORDER, -1);
	unsigned long a;

	(void)state;
	assert_non_null(p);
	assert_int_equal(gen_pool_add(p, ULONG_MAX - 4095, 4096, -1), 0);
	assert_int_equal(gen_pool_size(p), 4096);
	a = gen_pool_alloc(p, 4096);
	assert_int_equal(a, ULONG_MAX - 4095);
	assert_true(gen_pool_has_addr(p, a, 4096));
	assert_int_equal(gen_pool_free(p, a, 4096), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
	expect_no_report();
}

static void add_overlap(void **state)
{
	struct twin t;

	(void)state;
	twin_init(&t, 0);
	twin_alloc(&t, 2 * G);
	refuse_add_all(t.p[0], BASE_A - 8 * G, 16 * G, -1, EEXIST);     /* over the start */
	refuse_add_all(t.p[0], BASE_A + 24 * G, 16 * G, -1, EEXIST);    /* over the end */
	refuse_add_all(t.p[0], BASE_A + 4 * G, 4 * G, -1, EEXIST);      /* fully inside */
	refuse_add_all(t.p[0], BASE_A, 32 * G, -1, EEXIST);             /* identical */
	refuse_add_all(t.p[0], BASE_A - 4 * G, 64 * G, -1, EEXIST);     /* fully containing */
	refuse_add_all(t.p[0], BASE_A - 16 * G + 1, 16 * G, -1, EEXIST); /* last byte only */
	refuse_add_all(t.p[0], BASE_A + 32 * G - 1, 16 * G, -1, EEXIST); /* first byte only */
	refuse_add_all(t.p[0], BASE_B + 8 * G, 16 * G, -1, EEXIST);     /* over B and C */
	/* adjacent on either side is fine */
	twin_add(&t, BASE_A - 16 * G, 16 * G);
	twin_add(&t, BASE_A + 32 * G, 16 * G);
	expect_no_report();
	twin_finish(&t);
}

static void chunk_end_cb(struct gen_pool *pool, struct gen_pool_chunk *chunk, void *data)
{
	(void)pool;
	*(unsigned long *)data = gen_pool_chunk_end(chunk);
}

static void add_tail_rounding(void **state)
{
	struct gen_pool *p = gen_pool_create(ORDER, -1);
	unsigned long end = 0;

	(void)state;
	assert_non_null(p);
	assert_int_equal(gen_pool_add(p, BASE_A, 3 * G + G / 2, -1), 0);
	assert_int_equal(gen_pool_size(p), 3 * G);
	assert_int_equal(gen_pool_avail(p), 3 * G);
	gen_pool_for_each_chunk(p, chunk_end_cb, &end);
	assert_int_equal(end, BASE_A + 3 * G - 1);
	assert_false(gen_pool_has_addr(p, BASE_A + 3 * G, 1));
	REFUSED_INT(gen_pool_add(p, BASE_A + 3 * G - 1, 4 * G, -1), EEXIST);
	/* the dropped tail is not part of the chunk */
	assert_int_equal(gen_pool_add(p, BASE_A + 3 * G, 4 * G, -1), 0);
	assert_int_equal(gen_pool_size(p), 7 * G);
	assert_int_equal(gen_pool_destroy(p), 0);
	expect_no_report();
}

/* ------------------------------------------------------------------------ */
/* Allocation                                                               */

static unsigned long a_plain(struct gen_pool *p, size_t n)
{
	return gen_pool_alloc(p, n);
}

static unsigned long a_algo(struct gen_pool *p, size_t n)
{
	return gen_pool_alloc_algo(p, n, gen_pool_first_fit, NULL);
}

/* The *_owner calls set *owner to NULL on entry; it stays NULL on failure. */
static unsigned long a_owner(struct gen_pool *p, size_t n)
{
	void *owner = &rep;
	unsigned long a = gen_pool_alloc_owner(p, n, &owner);
	int e = errno;

	assert_null(owner);
	errno = e;
	return a;
}

static unsigned long a_algo_owner(struct gen_pool *p, size_t n)
{
	void *owner = &rep;
	unsigned long a = gen_pool_alloc_algo_owner(p, n, gen_pool_best_fit, NULL, &owner);
	int e = errno;

	assert_null(owner);
	errno = e;
	return a;
}

static unsigned long a_dma(struct gen_pool *p, size_t n)
{
	dma_addr_t dma;

	return (unsigned long)gen_pool_dma_alloc(p, n, &dma);
}

static unsigned long a_dma_algo(struct gen_pool *p, size_t n)
{
	dma_addr_t dma;

	return (unsigned long)gen_pool_dma_alloc_algo(p, n, &dma, gen_pool_first_fit, NULL);
}

static unsigned long a_dma_align(struct gen_pool *p, size_t n)
{
	dma_addr_t dma;

	return (unsigned long)gen_pool_dma_alloc_align(p, n, &dma, (int)G);
}

/* The zalloc variants would write to unmapped memory if they succeeded. */
static unsigned long a_zdma(struct gen_pool *p, size_t n)
{
	dma_addr_t dma;

	return (unsigned long)gen_pool_dma_zalloc(p, n, &dma);
}

static unsigned long a_zdma_algo(struct gen_pool *p, size_t n)
{
	dma_addr_t dma;

	return (unsigned long)gen_pool_dma_zalloc_algo(p, n, &dma, gen_pool_first_fit, NULL);
}

static unsigned long a_zdma_align(struct gen_pool *p, size_t n)
{
	dma_addr_t dma;

	return (unsigned long)gen_pool_dma_zalloc_align(p, n, &dma, 4096);
}

static unsigned long (*const alloc_calls[])(struct gen_pool *, size_t) = {
	a_plain,     a_algo, a_owner,     a_algo_owner, a_dma,
	a_dma_algo,  a_zdma, a_zdma_algo, a_dma_align,  a_zdma_align,
};

#define N_ALLOC_CALLS (sizeof(alloc_calls) / sizeof(alloc_calls[0]))

static void alloc_bad_size(void **state)
{
	struct twin t;

	(void)state;
	twin_init(&t, 0);
	twin_alloc(&t, 5 * G);
	for (size_t i = 0; i < N_ALLOC_CALLS; i++) {
		REFUSED_ADDR(alloc_calls[i](t.p[0], 0), EINVAL);
		REFUSED_ADDR(alloc_calls[i](t.p[0], SIZE_MAX), EINVAL);
		REFUSED_ADDR(alloc_calls[i](t.p[0], SIZE_MAX - (G - 2)), EINVAL);
		REFUSED_ADDR(alloc_calls[i](NULL, G), EINVAL);
	}
	twin_finish(&t);
}

static void alloc_no_room(void **state)
{
	struct gen_pool *empty = gen_pool_create(ORDER, -1);
	struct twin t;

	(void)state;
	assert_non_null(empty);
	twin_init(&t, 0);
	twin_alloc(&t, 32 * G); /* fills A, the only chunk this large */
	for (size_t i = 0; i < N_ALLOC_CALLS; i++) {
		NO_ROOM(alloc_calls[i](t.p[0], 17 * G));
		NO_ROOM(alloc_calls[i](t.p[0], 1UL << 36)); /* 2^30 granules */
		NO_ROOM(alloc_calls[i](empty, G));
	}
	twin_alloc(&t, 16 * G); /* B */
	twin_alloc(&t, 8 * G);  /* C */
	for (size_t i = 0; i < N_ALLOC_CALLS; i++)
		NO_ROOM(alloc_calls[i](t.p[0], 1));
	assert_int_equal(gen_pool_destroy(empty), 0);
	twin_finish(&t);
}

static void alloc_bad_align(void **state)
{
	const int bad[] = { 0, 3, 48, -4096, INT_MIN };
	struct twin t;

	(void)state;
	twin_init(&t, 0);
	twin_alloc(&t, G);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct genpool_data_align d = { .align = bad[i] };
		dma_addr_t dma;

		REFUSED_ADDR(gen_pool_alloc_algo(t.p[0], G, gen_pool_first_fit_align, &d), EINVAL);
		REFUSED_ADDR(gen_pool_dma_alloc_align(t.p[0], G, &dma, bad[i]), EINVAL);
		REFUSED_ADDR(gen_pool_dma_zalloc_align(t.p[0], G, &dma, bad[i]), EINVAL);
	}
	REFUSED_ADDR(gen_pool_alloc_algo(t.p[0], G, gen_pool_first_fit_align, NULL), EINVAL);
	twin_finish(&t);
}

static void alloc_bad_fixed(void **state)
{
	struct genpool_data_fixed half = { .offset = G / 2 };
	struct genpool_data_fixed one = { .offset = 1 };
	struct genpool_data_fixed past = { .offset = 64 * G };
	struct twin t;

	(void)state;
	twin_init(&t, 0);
	twin_alloc(&t, G);
	REFUSED_ADDR(gen_pool_alloc_algo(t.p[0], G, gen_pool_fixed_alloc, &half), EINVAL);
	REFUSED_ADDR(gen_pool_alloc_algo(t.p[0], G, gen_pool_fixed_alloc, &one), EINVAL);
	REFUSED_ADDR(gen_pool_alloc_algo(t.p[0], G, gen_pool_fixed_alloc, NULL), EINVAL);
	/* a valid offset past every chunk is just no room */
	NO_ROOM(gen_pool_alloc_algo(t.p[0], G, gen_pool_fixed_alloc, &past));
	twin_finish(&t);
}

/* ------------------------------------------------------------------------ */
/* Free                                                                     */

static void free_bad_address(void **state)
{
	unsigned long x, tail_b, head_c;
	void *owner = &rep;
	struct twin t;

	(void)state;
	twin_init(&t, 0);
	head_c = twin_alloc_fixed(&t, 0, G);
	tail_b = twin_alloc_fixed(&t, 14 * G, 2 * G);
	assert_int_equal(head_c, BASE_C);
	assert_int_equal(tail_b, BASE_B + 14 * G);
	x = twin_alloc(&t, 3 * G);
	REFUSED_INT(gen_pool_free(t.p[0], BASE_A - G, G), EINVAL);     /* in no chunk */
	REFUSED_INT(gen_pool_free(t.p[0], 0x1, G), EINVAL);
	REFUSED_INT(gen_pool_free(t.p[0], ULONG_MAX - G + 1, G), EINVAL);
	REFUSED_INT(gen_pool_free(t.p[0], x + 1, G), EINVAL);          /* off a granule */
	REFUSED_INT(gen_pool_free(t.p[0], x + G - 1, G), EINVAL);
	REFUSED_INT(gen_pool_free(t.p[0], tail_b, 3 * G), EINVAL);     /* past B, into C */
	REFUSED_INT(gen_pool_free(t.p[0], tail_b + G, 2 * G), EINVAL);
	REFUSED_INT(gen_pool_free(t.p[0], BASE_C, 9 * G), EINVAL);     /* past C */
	REFUSED_INT(gen_pool_free(t.p[0], x, 0), EINVAL);              /* size 0 */
	REFUSED_INT(gen_pool_free(t.p[0], x, SIZE_MAX), EINVAL);
	REFUSED_INT(gen_pool_free(NULL, x, 3 * G), EINVAL);
	REFUSED_INT(gen_pool_free_owner(t.p[0], x + 1, G, &owner), EINVAL);
	assert_null(owner);
	twin_finish(&t);
}

static void free_double(void **state)
{
	unsigned long x, y, w;
	struct twin t;

	(void)state;
	twin_init(&t, 0);
	w = twin_alloc(&t, 2 * G);
	x = twin_alloc(&t, 3 * G);
	y = twin_alloc(&t, 3 * G);
	twin_free(&t, w, 2 * G);
	twin_free(&t, x + G, G);     /* x's middle granule is free */
	twin_free(&t, y + 2 * G, G); /* y's last granule is free */
	REFUSED_INT(gen_pool_free(t.p[0], w, 2 * G), EINVAL);          /* all free */
	REFUSED_INT(gen_pool_free(t.p[0], w, G), EINVAL);
	REFUSED_INT(gen_pool_free(t.p[0], BASE_A, 4 * G), EINVAL);     /* never allocated */
	REFUSED_INT(gen_pool_free(t.p[0], x, 3 * G), EINVAL);          /* middle free */
	REFUSED_INT(gen_pool_free(t.p[0], y, 3 * G), EINVAL);          /* end free */
	REFUSED_INT(gen_pool_free(t.p[0], w, 5 * G), EINVAL);          /* start free */
	/* twin_finish frees x, x + 2G, y and y + G properly */
	twin_finish(&t);
}

static void free_strict_wrong_size(void **state)
{
	unsigned long a, b;
	struct twin t;

	(void)state;
	twin_init(&t, GEN_POOL_STRICT);
	a = twin_alloc(&t, 4 * G);
	b = twin_alloc(&t, 2 * G);
	assert_int_equal(b, a + 4 * G);
	REFUSED_INT(gen_pool_free(t.p[0], a, 2 * G), EINVAL);     /* smaller */
	REFUSED_INT(gen_pool_free(t.p[0], a, 3 * G), EINVAL);
	REFUSED_INT(gen_pool_free(t.p[0], a, 5 * G), EINVAL);     /* larger */
	REFUSED_INT(gen_pool_free(t.p[0], a, 6 * G), EINVAL);     /* exactly a and b */
	REFUSED_INT(gen_pool_free(t.p[0], a + G, 2 * G), EINVAL); /* from the middle */
	REFUSED_INT(gen_pool_free(t.p[0], a + G, 3 * G), EINVAL); /* middle to end */
	REFUSED_INT(gen_pool_free(t.p[0], a + 3 * G, G), EINVAL); /* last granule */
	REFUSED_INT(gen_pool_free(t.p[0], a + 3 * G, 3 * G), EINVAL);
	twin_finish(&t); /* frees a with 4G and b with 2G */
}

static void free_strict_double(void **state)
{
	unsigned long a;
	struct twin t;

	(void)state;
	twin_init(&t, GEN_POOL_STRICT);
	a = twin_alloc(&t, 4 * G);
	twin_alloc(&t, G);
	twin_free(&t, a, 4 * G);
	REFUSED_INT(gen_pool_free(t.p[0], a, 4 * G), EINVAL);
	twin_finish(&t);
}

/* Kernel behaviour without GEN_POOL_STRICT: any allocated part may be freed. */
static void free_part_not_strict(void **state)
{
	struct gen_pool *p = gen_pool_create(ORDER, -1);
	unsigned long a;

	(void)state;
	assert_non_null(p);
	assert_int_equal(gen_pool_add(p, BASE_A, 32 * G, -1), 0);
	a = gen_pool_alloc(p, 4 * G);
	assert_int_equal(a, BASE_A);
	assert_int_equal(gen_pool_free(p, a, 2 * G), 0);
	assert_int_equal(gen_pool_avail(p), 30 * G);
	assert_int_equal(gen_pool_free(p, a + 2 * G, 2 * G), 0);
	assert_int_equal(gen_pool_avail(p), 32 * G);
	assert_int_equal(gen_pool_destroy(p), 0);
	expect_no_report();
}

/* ------------------------------------------------------------------------ */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(create_bad_order, setup),
		cmocka_unit_test_setup(create_bad_flags_and_nid, setup),
		cmocka_unit_test_setup(add_bad_range, setup),
		cmocka_unit_test_setup(add_top_of_address_space, setup),
		cmocka_unit_test_setup(add_overlap, setup),
		cmocka_unit_test_setup(add_tail_rounding, setup),
		cmocka_unit_test_setup(alloc_bad_size, setup),
		cmocka_unit_test_setup(alloc_no_room, setup),
		cmocka_unit_test_setup(alloc_bad_align, setup),
		cmocka_unit_test_setup(alloc_bad_fixed, setup),
		cmocka_unit_test_setup(free_bad_address, setup),
		cmocka_unit_test_setup(free_double, setup),
		cmocka_unit_test_setup(free_strict_wrong_size, setup),
		cmocka_unit_test_setup(free_strict_double, setup),
		cmocka_unit_test_setup(free_part_not_strict, setup),
	};

	unsetenv("GENPOOL_DEBUG");
	alarm(100); /* a refused align must not hang: fail fast if it does */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
