// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz_layers.c - libFuzzer target for the layers over the pool: object
 * cache and reserve operations against a sequential model.
 *
 * The input is a program. Its first bytes choose the geometry (granule
 * order, object size, align and flags, element size, min_nr); each
 * following byte pair is one operation on one pool that holds a cache and
 * a reserve side by side, address-only (never dereferenced: a layer that
 * touched the managed memory would crash here). The model knows:
 *  - the live objects: every allocation must be aligned, inside the chunk,
 *    and overlap no live object nor any range the model holds otherwise;
 *    a free of a live object succeeds, of anything else (a freed object, an
 *    address inside an object, outside any slab, an element of the reserve)
 *    is -EINVAL with exactly one report;
 *  - the reserve exactly: elements out, elements held (min_nr at most), and
 *    therefore gen_pool_avail after every reserve operation, given what the
 *    cache holds (the model reads that from avail before the operation).
 *    Whether the pool has a free run for an element depends on where the
 *    slabs went, so the model learns from avail whether an element came
 *    from the pool or from the reserve, and checks that the reserve had one
 *    and that a failure happens only with the reserve empty.
 * shrink must make avail grow by its result, and at the end everything is
 * freed: after a shrink the pool is whole, and both destroys succeed.
 *
 * Any mismatch aborts with one "genpool fuzz: check failed" line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genpool.h"

#define CHECK(cond, ...)                                                                    \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "genpool fuzz: check failed: " __VA_ARGS__);       \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                           \
	} while (0)

#define BASE 0x10000000UL
#define MAX_LIVE 512
#define MAX_OUT 64

static unsigned long reports;

static void count_report(int err, const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
	CHECK(err == EINVAL, "a report of errno %d: only EINVAL is a refusal", err);
	reports++;
}

struct model {
	struct gen_pool *pool;
	struct gen_pool_objcache *cache;
	struct gen_pool_reserve *r;
	unsigned long granule, chunk_bytes;
	size_t size, align_want, esize;
	unsigned long live[MAX_LIVE], nlive;
	unsigned long freed[MAX_LIVE], nfreed; /* once live, now free (for refusals) */
	unsigned long out[MAX_OUT], nout;      /* reserve elements out */
	unsigned long other[MAX_OUT], nother;  /* the other user's elements */
	unsigned int min_nr, held;
};

/* Refused: -EINVAL (or 0/EINVAL), exactly one report, avail unchanged. */
#define EXPECT_REFUSED(m, call)                                                             \
	do {                                                                                \
		size_t avail_ = gen_pool_avail((m)->pool);                                  \
		unsigned long before_ = reports;                                            \
		long ret_ = (long)(call);                                                   \
		/* #call as an argument: the call's text may hold a % */                  \
		CHECK(ret_ == -EINVAL, "%s gave %ld, not -EINVAL", #call, ret_);           \
		CHECK(reports == before_ + 1, "%s: %lu reports", #call, reports - before_); \
		CHECK(gen_pool_avail((m)->pool) == avail_, "%s changed avail", #call);     \
	} while (0)

static bool overlaps(unsigned long a, size_t la, unsigned long b, size_t lb)
{
	return a < b + lb && b < a + la;
}

static void check_new_object(struct model *m, unsigned long obj)
{
	CHECK(obj % m->align_want == 0, "object 0x%lx not aligned to %zu", obj, m->align_want);
	CHECK(obj >= BASE && obj + m->size <= BASE + m->chunk_bytes, "object outside the chunk");
	for (unsigned long i = 0; i < m->nlive; i++)
		CHECK(!overlaps(obj, m->size, m->live[i], m->size), "object 0x%lx overlaps 0x%lx",
		      obj, m->live[i]);
	for (unsigned long i = 0; i < m->nout; i++)
		CHECK(!overlaps(obj, m->size, m->out[i], m->esize), "object overlaps an element");
	for (unsigned long i = 0; i < m->nother; i++)
		CHECK(!overlaps(obj, m->size, m->other[i], m->esize), "object overlaps a range");
}

static void forget_freed(struct model *m, unsigned long addr)
{
	for (unsigned long i = 0; i < m->nfreed; i++)
		if (m->freed[i] == addr) {
			m->freed[i] = m->freed[m->nfreed - 1];
			m->nfreed--;
		}
}

static void oc_op(struct model *m, uint8_t op, uint8_t arg)
{
	unsigned long obj;
	size_t before;

	switch (op % 6) {
	case 0: /* alloc */
		if (m->nlive == MAX_LIVE)
			return;
		obj = gen_pool_objcache_alloc(m->cache);
		if (!obj) {
			CHECK(errno == ENOMEM, "objcache_alloc: errno %d", errno);
			return;
		}
		check_new_object(m, obj);
		forget_freed(m, obj);
		m->live[m->nlive++] = obj;
		return;
	case 1: /* free a live one */
		if (!m->nlive)
			return;
		obj = m->live[arg % m->nlive];
		CHECK(gen_pool_objcache_free(m->cache, obj) == 0, "free of live 0x%lx refused", obj);
		m->live[arg % m->nlive] = m->live[m->nlive - 1];
		m->nlive--;
		if (m->nfreed < MAX_LIVE)
			m->freed[m->nfreed++] = obj;
		return;
	case 2: /* double free */
		if (m->nfreed)
			EXPECT_REFUSED(m, gen_pool_objcache_free(m->cache, m->freed[arg % m->nfreed]));
		return;
	case 3: /* inside a live object, or an arbitrary address */
		if (m->nlive && m->size > 1 && arg % 2)
			EXPECT_REFUSED(m, gen_pool_objcache_free(m->cache,
								 m->live[arg % m->nlive] + 1 + arg % (m->size - 1)));
		else if (m->nout)
			EXPECT_REFUSED(m, gen_pool_objcache_free(m->cache, m->out[arg % m->nout]));
		else
			EXPECT_REFUSED(m, gen_pool_objcache_free(m->cache, BASE + m->chunk_bytes + arg));
		return;
	case 4: /* shrink */
		before = gen_pool_avail(m->pool);
		obj = gen_pool_objcache_shrink(m->cache);
		CHECK(gen_pool_avail(m->pool) == before + obj, "shrink gave %lu, avail grew %zu", obj,
		      gen_pool_avail(m->pool) - before);
		return;
	default: /* destroy with objects live: -EBUSY, unreported, nothing changed */
		if (m->nlive) {
			unsigned long r0 = reports;

			CHECK(gen_pool_objcache_destroy(m->cache) == -EBUSY, "destroy with live objects");
			CHECK(reports == r0, "-EBUSY was reported");
		}
		return;
	}
}

/* The pool's avail after a reserve operation: before, less/plus the pool's traffic. */
static void rs_op(struct model *m, uint8_t op, uint8_t arg)
{
	size_t avail = gen_pool_avail(m->pool), expect = avail;
	unsigned long e;
	int ret;

	switch (op % 6) {
	case 0: /* reserve_alloc, no wait: the pool first, then the held elements */
		if (m->nout == MAX_OUT)
			return;
		e = gen_pool_reserve_alloc(m->r, 0);
		if (e && gen_pool_avail(m->pool) == avail - m->esize) {
			expect -= m->esize; /* from the pool */
		} else if (e) {
			CHECK(m->held, "reserve_alloc: an element from an empty reserve");
			m->held--;
		} else {
			CHECK(errno == ENOMEM && !m->held, "reserve_alloc: errno %d with %u held", errno,
			      m->held);
		}
		if (e) {
			for (unsigned long i = 0; i < m->nlive; i++)
				CHECK(!overlaps(e, m->esize, m->live[i], m->size), "element overlaps");
			m->out[m->nout++] = e;
		}
		break;
	case 1: /* reserve_free of an element out */
		if (!m->nout)
			return;
		e = m->out[arg % m->nout];
		m->out[arg % m->nout] = m->out[m->nout - 1];
		m->nout--;
		CHECK(gen_pool_reserve_free(m->r, e) == 0, "reserve_free of an element refused");
		if (m->held < m->min_nr)
			m->held++;
		else
			expect += m->esize;
		break;
	case 2: /* reserve_free of what is not out: an object, another's range, a bad address */
		if (m->nother && arg % 3 == 0)
			EXPECT_REFUSED(m, gen_pool_reserve_free(m->r, m->other[arg % m->nother]));
		else if (m->nlive && arg % 3 == 1)
			EXPECT_REFUSED(m, gen_pool_reserve_free(m->r, m->live[arg % m->nlive]));
		else if (m->nout && arg % 3 == 2)
			EXPECT_REFUSED(m, gen_pool_reserve_free(m->r, m->out[arg % m->nout] + 1));
		else
			EXPECT_REFUSED(m, gen_pool_reserve_free(m->r, BASE + m->chunk_bytes + arg));
		return;
	case 3: /* resize */
		if (arg % 8 == 0) {
			EXPECT_REFUSED(m, gen_pool_reserve_resize(m->r, 0));
			return;
		}
		ret = gen_pool_reserve_resize(m->r, arg % 8);
		if (arg % 8 <= m->min_nr) {
			CHECK(ret == 0, "shrinking resize refused");
			if (m->held > arg % 8U) {
				expect += (m->held - arg % 8U) * m->esize;
				m->held = arg % 8U;
			}
			m->min_nr = arg % 8U;
		} else if (ret == 0) { /* grown from the pool */
			CHECK((arg % 8U - m->held) * m->esize <= avail, "grown beyond avail");
			expect -= (arg % 8U - m->held) * m->esize;
			m->held = m->min_nr = arg % 8U;
		} else { /* no room (or no run long enough): nothing changed */
			CHECK(ret == -ENOMEM, "growing resize gave %d", ret);
		}
		break;
	case 4: /* the other user */
		if (arg % 2 && m->nother < MAX_OUT) {
			if (!(e = gen_pool_alloc(m->pool, m->esize)))
				return; /* no run long enough */
			m->other[m->nother++] = e;
			expect -= m->esize;
		} else if (m->nother) {
			CHECK(gen_pool_free(m->pool, m->other[--m->nother], m->esize) == 0, "free");
			expect += m->esize;
		}
		break;
	default: /* bad timeout, destroy while out */
		EXPECT_REFUSED(m, (long)gen_pool_reserve_alloc(m->r, -2 - arg) - EINVAL);
		if (m->nout)
			CHECK(gen_pool_reserve_destroy(m->r) == -EBUSY, "destroy with elements out");
		return;
	}
	CHECK(gen_pool_avail(m->pool) == expect, "avail %zu, model %zu", gen_pool_avail(m->pool),
	      expect);
}

static void teardown(struct model *m)
{
	while (m->nlive)
		CHECK(gen_pool_objcache_free(m->cache, m->live[--m->nlive]) == 0, "final free");
	while (m->nout) {
		CHECK(gen_pool_reserve_free(m->r, m->out[--m->nout]) == 0, "final reserve free");
		if (m->held < m->min_nr)
			m->held++;
	}
	while (m->nother)
		CHECK(gen_pool_free(m->pool, m->other[--m->nother], m->esize) == 0, "final free");
	gen_pool_objcache_shrink(m->cache);
	CHECK(gen_pool_avail(m->pool) == m->chunk_bytes - m->held * m->esize,
	      "after shrink avail %zu, model %lu", gen_pool_avail(m->pool),
	      m->chunk_bytes - m->held * m->esize);
	CHECK(gen_pool_objcache_destroy(m->cache) == 0, "destroy of an idle cache");
	CHECK(gen_pool_reserve_destroy(m->r) == 0, "destroy of an idle reserve");
	CHECK(gen_pool_avail(m->pool) == m->chunk_bytes, "the pool is not whole");
	CHECK(gen_pool_destroy(m->pool) == 0, "pool destroy");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int flags[] = { 0, GEN_POOL_STRICT, GEN_POOL_THREAD_CACHE };
	struct model m = { 0 };
	int order;
	size_t align;

	if (size < 6)
		return 0;
	gen_pool_set_error_handler(count_report, NULL);
	order = 3 + data[0] % 4;
	m.granule = 1UL << order;
	m.chunk_bytes = (1UL + data[1] % 4) * 8192; /* room for a few slabs */
	m.pool = gen_pool_create_flags(order, -1, flags[data[2] % 3]);
	CHECK(m.pool && gen_pool_add(m.pool, BASE, m.chunk_bytes, -1) == 0, "pool setup");
	m.size = 1 + data[3] % 200;
	align = data[4] % 4 == 0 ? 0 : 1UL << (data[4] % 8);
	m.align_want = align ? align : m.granule;
	if (data[4] & 0x80)
		m.align_want = m.align_want < 64 ? 64 : m.align_want;
	m.cache = gen_pool_objcache_create(m.pool, "fuzz", m.size, align,
					   data[4] & 0x80 ? GEN_POOL_OBJ_HWCACHE_ALIGN : 0, NULL, NULL);
	CHECK(m.cache, "objcache_create refused valid arguments");
	m.esize = m.granule * (1 + data[5] % 4);
	m.min_nr = m.held = 1 + data[5] / 4 % 4;
	m.r = gen_pool_reserve_create(m.pool, m.esize, m.min_nr);
	CHECK(m.r, "reserve_create refused");
	for (size_t i = 6; i + 1 < size; i += 2) {
		if (data[i] & 0x80)
			rs_op(&m, data[i] & 0x7f, data[i + 1]);
		else
			oc_op(&m, data[i], data[i + 1]);
	}
	teardown(&m);
	gen_pool_set_error_handler(NULL, NULL);
	return 0;
}
