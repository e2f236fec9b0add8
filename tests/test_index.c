// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_index.c - the address index (src/chunk_index.c): a pool of 1000
 * address-only chunks added in random address order, some adjacent, some
 * with gaps (also of less than a granule), some with a tail of bytes that
 * is no whole granule. Every address inside a chunk maps to it
 * (gen_pool_virt_to_phys with a distinct phys per chunk, gen_pool_has_addr),
 * no range straddling two adjacent chunks is "in the pool", addresses in
 * gaps, tails, before the first and after the last chunk are found in none,
 * and a free there is refused with -EINVAL; free works in every chunk (each
 * granule, in random order, in plain, spinlock and strict pools); overlap
 * refusal (-EEXIST) still works; a failed index allocation
 * (gp_meta_fail_after) leaves the pool unchanged with -ENOMEM; and the
 * lookup's buckets hold for chunks spread over the whole address space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rng_helpers.h"

#define ORDER 4
#define G (1UL << ORDER)
#define NCHUNKS 1000
#define BASE (1UL << 40)
#define PHYS0 0x7000000000000ULL

struct tchunk {
	unsigned long start, nbits, tail; /* tail: bytes past the last whole granule */
	unsigned long gap_after;          /* bytes to the next chunk (0: adjacent) */
	phys_addr_t phys;
};

static struct tchunk ch[NCHUNKS]; /* in address order */
static unsigned int order_added[NCHUNKS];

static struct {
	int calls;
	int err;
} rep;

static void on_error(int err, const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
	rep.calls++;
	rep.err = err;
}

static void expect_report(int err)
{
	assert_int_equal(rep.calls, err ? 1 : 0);
	if (err)
		assert_int_equal(rep.err, err);
	rep.calls = 0;
	rep.err = 0;
}

static unsigned long chunk_end(const struct tchunk *c) /* last byte of the last granule */
{
	return c->start + c->nbits * G - 1;
}

/* The layout: sizes 1..13 granules, gaps 0 (a third), < 1 granule, or a few granules. */
static void make_layout(uint64_t *r)
{
	unsigned long addr = BASE;

	for (unsigned int i = 0; i < NCHUNKS; i++) {
		unsigned long k = rng_below(r, 6);

		ch[i].start = addr;
		ch[i].nbits = 1 + rng_below(r, 13);
		ch[i].tail = rng_below(r, 4) == 0 ? 1 + rng_below(r, G - 1) : 0;
		ch[i].phys = PHYS0 + (phys_addr_t)i * 0x100000;
		/* a tail is never adjacent: the next chunk starts after it */
		ch[i].gap_after = k < 2 && !ch[i].tail ? 0 : k < 4 ? 1 + rng_below(r, G - 1)
								   : rng_below(r, 5) * G + 1;
		addr += ch[i].nbits * G + ch[i].tail + ch[i].gap_after;
	}
	for (unsigned int i = 0; i < NCHUNKS; i++)
		order_added[i] = i;
	for (unsigned int i = NCHUNKS - 1; i > 0; i--) { /* Fisher-Yates */
		unsigned int j = (unsigned int)rng_below(r, i + 1), t = order_added[i];

		order_added[i] = order_added[j];
		order_added[j] = t;
	}
}

static struct gen_pool *make_pool(unsigned int flags)
{
	struct gen_pool *p = gen_pool_create_flags(ORDER, -1, flags);

	assert_non_null(p);
	for (unsigned int i = 0; i < NCHUNKS; i++) {
		const struct tchunk *c = &ch[order_added[i]];

		assert_int_equal(gen_pool_add_virt(p, c->start, c->phys, c->nbits * G + c->tail, -1),
				 0);
	}
	return p;
}

/* The index: sorted, complete, and every entry a chunk of the list. */
static void check_index(struct gen_pool *p, unsigned long n)
{
	const struct gp_chunk_index *ix = p->index;

	assert_non_null(ix);
	assert_int_equal(ix->n, n);
	for (unsigned long i = 0; i < ix->n; i++) {
		assert_int_equal(ix->e[i].start, ix->e[i].chunk->start_addr);
		if (i)
			assert_true(ix->e[i - 1].chunk->end_addr < ix->e[i].start);
	}
}

/* Not in any chunk: no phys, no has_addr, a free refused. */
static void expect_outside(struct gen_pool *p, unsigned long addr)
{
	assert_int_equal(gen_pool_virt_to_phys(p, addr), (phys_addr_t)-1);
	assert_false(gen_pool_has_addr(p, addr, 1));
	expect_report(0);
	assert_int_equal(gen_pool_free(p, addr, G), -EINVAL);
	expect_report(EINVAL);
}

static void lookups(struct gen_pool *p)
{
	for (unsigned int i = 0; i < NCHUNKS; i++) {
		const struct tchunk *c = &ch[i];
		unsigned long bytes = c->nbits * G;

		for (unsigned long off = 0; off < bytes; off++) {
			unsigned long a = c->start + off;

			if (gen_pool_virt_to_phys(p, a) != c->phys + off)
				fail_msg("chunk %u [0x%lx, 0x%lx]: virt_to_phys(0x%lx) = 0x%llx, not "
					 "0x%llx", i, c->start, chunk_end(c), a,
					 (unsigned long long)gen_pool_virt_to_phys(p, a),
					 (unsigned long long)(c->phys + off));
			assert_true(gen_pool_has_addr(p, a, 1));
			assert_true(gen_pool_has_addr(p, a, bytes - off)); /* to the end */
			assert_false(gen_pool_has_addr(p, a, bytes - off + 1));
		}
		assert_true(gen_pool_has_addr(p, c->start, bytes));
		/* the tail of bytes and the gap after the chunk are in no chunk */
		for (unsigned long off = 0; off < c->tail + c->gap_after; off++)
			expect_outside(p, chunk_end(c) + 1 + off);
		if (i + 1 < NCHUNKS) {
			const struct tchunk *n = &ch[i + 1];

			/* straddling into the next chunk, adjacent or not: never in one chunk */
			for (unsigned long back = 1; back <= 3 && back <= bytes; back++)
				assert_false(gen_pool_has_addr(p, chunk_end(c) + 1 - back,
							       back + c->tail + c->gap_after + 1));
			assert_false(gen_pool_has_addr(p, c->start, n->start + 1 - c->start));
			if (!c->gap_after && !c->tail) {
				assert_int_equal(n->start, chunk_end(c) + 1);
				assert_int_equal(gen_pool_virt_to_phys(p, n->start), n->phys);
				assert_int_equal(gen_pool_virt_to_phys(p, chunk_end(c)),
						 c->phys + bytes - 1);
			}
		}
	}
	expect_report(0);
	/* before the first chunk and after the last */
	expect_outside(p, BASE - 1);
	expect_outside(p, BASE - G);
	expect_outside(p, 1);
	expect_outside(p, G);
	expect_outside(p, BASE / 2);
	expect_outside(p, chunk_end(&ch[NCHUNKS - 1]) + 1 + ch[NCHUNKS - 1].tail +
				  ch[NCHUNKS - 1].gap_after);
	expect_outside(p, chunk_end(&ch[NCHUNKS - 1]) + 0x100000);
	expect_outside(p, ~0UL - G + 1);
	assert_int_equal(gen_pool_virt_to_phys(p, ~0UL), (phys_addr_t)-1);
	assert_int_equal(gen_pool_virt_to_phys(p, 0), (phys_addr_t)-1);
	assert_false(gen_pool_has_addr(p, BASE - 1, 2)); /* from before into the first */
	expect_report(0);
}

static void run_lookups(unsigned int flags)
{
	uint64_t r = 0x5eed + flags;
	struct gen_pool *p;

	make_layout(&r);
	p = make_pool(flags);
	check_index(p, NCHUNKS);
	lookups(p);
	assert_int_equal(gen_pool_destroy(p), 0);
}

static void every_address_maps_to_its_chunk(void **state)
{
	(void)state;
	run_lookups(0);
}

static void every_address_maps_to_its_chunk_strict(void **state)
{
	(void)state;
	run_lookups(GEN_POOL_STRICT);
}

/*
 * Fill every chunk granule by granule, free every granule in random order
 * (each free found through the index), refusing each second free.
 */
static void run_free_everywhere(unsigned int flags)
{
	uint64_t r = 77 + flags;
	unsigned long total = 0, n = 0, *addrs, addr;
	struct gen_pool *p;

	make_layout(&r);
	p = make_pool(flags);
	for (unsigned int i = 0; i < NCHUNKS; i++)
		total += ch[i].nbits;
	assert_int_equal(gen_pool_size(p), total * G);
	addrs = calloc(total, sizeof(*addrs));
	assert_non_null(addrs);
	while ((addr = gen_pool_alloc(p, G)) != 0) {
		assert_true(n < total);
		assert_true(gen_pool_has_addr(p, addr, G));
		addrs[n++] = addr;
	}
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(n, total);
	assert_int_equal(gen_pool_avail(p), 0);
	for (unsigned long i = n - 1; i > 0; i--) {
		unsigned long j = rng_below(&r, i + 1), t = addrs[i];

		addrs[i] = addrs[j];
		addrs[j] = t;
	}
	for (unsigned long i = 0; i < n; i++) {
		assert_int_equal(gen_pool_free(p, addrs[i], G), 0);
		assert_int_equal(gen_pool_free(p, addrs[i], G), -EINVAL); /* double free */
		expect_report(EINVAL);
		assert_int_equal(gen_pool_avail(p), (i + 1) * G);
	}
	expect_report(0);
	/* runs of every chunk's size (first fit, newest chunk first), some may not fit */
	n = 0;
	for (unsigned int i = 0; i < NCHUNKS; i++)
		n += gen_pool_alloc(p, ch[i].nbits * G) != 0;
	assert_true(n > NCHUNKS / 2);
	free(addrs);
	/* every chunk, freed through the index, whatever is left allocated in it */
	for (unsigned int i = 0; i < NCHUNKS; i++) {
		const struct gen_pool_chunk *c = NULL;

		for (unsigned long k = 0; k < p->index->n; k++)
			if (p->index->e[k].start == ch[i].start)
				c = p->index->e[k].chunk;
		assert_non_null(c);
		assert_int_equal(c->nbits, ch[i].nbits);
		for (unsigned long b = 0; b < ch[i].nbits;) {
			unsigned long e = b;

			if (!gp_bitmap_test_bit(c->bits, b)) {
				b++;
				continue;
			}
			if (c->starts)
				while (!gp_bitmap_test_bit(c->ends, e))
					e++;
			else
				while (e + 1 < ch[i].nbits && gp_bitmap_test_bit(c->bits, e + 1))
					e++;
			assert_int_equal(gen_pool_free(p, ch[i].start + b * G, (e - b + 1) * G), 0);
			b = e + 1;
		}
	}
	assert_int_equal(gen_pool_avail(p), total * G);
	expect_report(0);
	assert_int_equal(gen_pool_destroy(p), 0);
}

static void free_works_in_every_chunk(void **state)
{
	(void)state;
	run_free_everywhere(0);
}

static void free_works_in_every_chunk_spinlock(void **state)
{
	(void)state;
	run_free_everywhere(GEN_POOL_SPINLOCK);
}

static void free_works_in_every_chunk_strict(void **state)
{
	(void)state;
	run_free_everywhere(GEN_POOL_STRICT);
}

/* Overlaps with any chunk, in any position, refused; gaps can still be filled. */
static void overlap_refused(void **state)
{
	uint64_t r = 4242;
	struct gen_pool *p;
	size_t size;
	unsigned int added = 0;

	(void)state;
	make_layout(&r);
	p = make_pool(0);
	size = gen_pool_size(p);
	for (unsigned int i = 1; i + 1 < NCHUNKS; i++) {
		const struct tchunk *c = &ch[i], *prev = &ch[i - 1], *next = &ch[i + 1];

		assert_int_equal(gen_pool_add(p, c->start, G, -1), -EEXIST);
		expect_report(EEXIST);
		assert_int_equal(gen_pool_add(p, chunk_end(c) - G + 1, G, -1), -EEXIST);
		expect_report(EEXIST);
		/* the last granule's last byte, as the first byte of a new chunk */
		assert_int_equal(gen_pool_add(p, chunk_end(c), G, -1), -EEXIST);
		expect_report(EEXIST);
		/* from the gap before into the chunk */
		assert_int_equal(gen_pool_add(p, c->start - 1, 2 * G, -1), -EEXIST);
		expect_report(EEXIST);
		/* covering it entirely, from the previous chunk's end to the next's start */
		assert_int_equal(gen_pool_add(p, chunk_end(prev) + 1,
					      next->start - chunk_end(prev) - 1, -1),
				 -EEXIST);
		expect_report(EEXIST);
		/* over several chunks */
		assert_int_equal(gen_pool_add(p, prev->start, next->start + G - prev->start, -1),
				 -EEXIST);
		expect_report(EEXIST);
	}
	assert_int_equal(gen_pool_size(p), size);
	check_index(p, NCHUNKS);
	/* a gap of one granule or more takes a chunk that fits it exactly */
	for (unsigned int i = 0; i + 1 < NCHUNKS; i++) {
		unsigned long from = chunk_end(&ch[i]) + 1 + ch[i].tail, room = ch[i].gap_after;

		if (room < G)
			continue;
		assert_int_equal(gen_pool_add_virt(p, from, 0x42000, room, -1), 0);
		added++;
		/* exactly the whole granules of it: one more would overlap */
		assert_int_equal(gen_pool_virt_to_phys(p, from), 0x42000);
		assert_int_equal(gen_pool_virt_to_phys(p, ch[i + 1].start), ch[i + 1].phys);
		assert_int_equal(gen_pool_virt_to_phys(p, chunk_end(&ch[i])),
				 ch[i].phys + ch[i].nbits * G - 1);
	}
	expect_report(0);
	assert_true(added > 50);
	check_index(p, NCHUNKS + added);
	assert_int_equal(gen_pool_destroy(p), 0);
}

/*
 * gen_pool_add allocates the chunk, then the new index. Fail each in turn:
 * -ENOMEM, the pool as before (same index, list, size, avail, lookups),
 * nothing leaked (ASan / valgrind runs), and the same add then succeeds.
 */
static void index_allocation_failure(void **state)
{
	uint64_t r = 99;
	struct gen_pool *p;
	const struct gp_chunk_index *ix;
	const struct gen_pool_chunk *head;
	unsigned long gap_at = 0, alloc;
	size_t size, avail;
	int err;
	long n;

	(void)state;
	make_layout(&r);
	p = make_pool(0);
	for (unsigned int i = 0; i + 1 < NCHUNKS && !gap_at; i++)
		if (ch[i].gap_after >= 2 * G)
			gap_at = chunk_end(&ch[i]) + 1 + ch[i].tail;
	assert_true(gap_at != 0);
	alloc = gen_pool_alloc(p, 3 * G); /* something allocated too */
	assert_true(alloc != 0);
	for (n = 1;; n++) {
		ix = p->index;
		head = p->chunks;
		size = gen_pool_size(p);
		avail = gen_pool_avail(p);
		gp_meta_fail_after = n;
		err = gen_pool_add_virt(p, gap_at, 0x1234000, G, -1);
		if (gp_meta_fail_after > 0) { /* not reached: the add needs fewer than n */
			gp_meta_fail_after = 0;
			assert_int_equal(err, 0);
			break;
		}
		assert_int_equal(err, -ENOMEM);
		assert_ptr_equal(p->index, ix);
		assert_ptr_equal(p->chunks, head);
		assert_int_equal(p->index->n, NCHUNKS);
		assert_int_equal(gen_pool_size(p), size);
		assert_int_equal(gen_pool_avail(p), avail);
		assert_int_equal(gen_pool_virt_to_phys(p, gap_at), (phys_addr_t)-1);
		assert_false(gen_pool_has_addr(p, gap_at, 1));
		assert_int_equal(gen_pool_virt_to_phys(p, ch[500].start + 1), ch[500].phys + 1);
		check_index(p, NCHUNKS);
	}
	gp_meta_fail_after = 0;
	/* the chunk and the index: at least two allocations were failed */
	assert_true(n >= 3);
	assert_int_equal(p->index->n, NCHUNKS + 1);
	assert_int_equal(gen_pool_virt_to_phys(p, gap_at), 0x1234000);
	assert_int_equal(gen_pool_size(p), size + G);
	check_index(p, NCHUNKS + 1);
	for (unsigned int i = 0; i < NCHUNKS; i += 37)
		assert_int_equal(gen_pool_virt_to_phys(p, ch[i].start), ch[i].phys);
	assert_int_equal(gen_pool_free(p, alloc, 3 * G), 0);
	rep.calls = 0;
	assert_int_equal(gen_pool_destroy(p), 0);
}

/* The first add of a pool (no index yet) failing its index allocation. */
static void first_index_allocation_failure(void **state)
{
	struct gen_pool *p = gen_pool_create(ORDER, -1);

	(void)state;
	assert_non_null(p);
	gp_meta_fail_after = 2; /* the chunk succeeds, the index fails */
	assert_int_equal(gen_pool_add(p, BASE, 8 * G, -1), -ENOMEM);
	assert_int_equal(gp_meta_fail_after, 0);
	assert_null(p->index);
	assert_null(p->chunks);
	assert_int_equal(gen_pool_size(p), 0);
	assert_false(gen_pool_has_addr(p, BASE, 1));
	assert_int_equal(gen_pool_virt_to_phys(p, BASE), (phys_addr_t)-1);
	assert_int_equal(gen_pool_alloc(p, G), 0);
	assert_int_equal(gen_pool_add(p, BASE, 8 * G, -1), 0);
	assert_int_equal(gen_pool_alloc(p, G), BASE);
	assert_int_equal(gen_pool_free(p, BASE, G), 0);
	rep.calls = 0;
	assert_int_equal(gen_pool_destroy(p), 0);
}

/*
 * The buckets' edges: chunks from near address 0 to the top of the address
 * space (the span needs the largest shift), of very different sizes, so
 * that one bucket holds many small chunks and one chunk covers many
 * buckets; every chunk's first and last byte and the bytes around them.
 */
static void buckets_over_the_whole_address_space(void **state)
{
	static const unsigned long at[] = { 1UL << 12, 1UL << 20, (1UL << 20) + (1UL << 12),
					    (1UL << 20) + (3UL << 12), 1UL << 33, 1UL << 47,
					    1UL << 62, (1UL << 63) + (1UL << 40),
					    ~0UL - (1UL << 22) + 1 };
	static const unsigned long size[] = { 1UL << 12, 1UL << 12, 1UL << 13, 1UL << 12,
					      1UL << 30, 1UL << 16, 1UL << 40, 1UL << 12,
					      1UL << 22 };
	const size_t n = sizeof(at) / sizeof(at[0]);
	struct gen_pool *p = gen_pool_create(12, -1);

	(void)state;
	assert_non_null(p);
	for (size_t i = n; i-- > 0;) /* highest first: the index is rebuilt at each add */
		assert_int_equal(gen_pool_add_virt(p, at[i], 0x1000 * (i + 1), size[i], -1), 0);
	for (size_t i = 0; i < n; i++) {
		unsigned long last = at[i] + size[i] - 1;

		assert_true(gen_pool_has_addr(p, at[i], 1));
		assert_true(gen_pool_has_addr(p, last, 1));
		assert_int_equal(gen_pool_virt_to_phys(p, at[i]), 0x1000 * (i + 1));
		assert_int_equal(gen_pool_virt_to_phys(p, last), 0x1000 * (i + 1) + size[i] - 1);
		if (i == 0 || at[i - 1] + size[i - 1] < at[i])
			assert_false(gen_pool_has_addr(p, at[i] - 1, 1)); /* a gap before */
		if (last != ~0UL && (i + 1 == n || last + 1 < at[i + 1]))
			assert_false(gen_pool_has_addr(p, last + 1, 1)); /* a gap after */
	}
	assert_false(gen_pool_has_addr(p, 0xfff, 1));
	rep.calls = 0;
	assert_int_equal(gen_pool_destroy(p), 0);
}

static int setup(void **state)
{
	(void)state;
	gen_pool_set_error_handler(on_error, NULL);
	rep.calls = 0;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(every_address_maps_to_its_chunk, setup),
		cmocka_unit_test_setup(every_address_maps_to_its_chunk_strict, setup),
		cmocka_unit_test_setup(free_works_in_every_chunk, setup),
		cmocka_unit_test_setup(free_works_in_every_chunk_spinlock, setup),
		cmocka_unit_test_setup(free_works_in_every_chunk_strict, setup),
		cmocka_unit_test_setup(overlap_refused, setup),
		cmocka_unit_test_setup(index_allocation_failure, setup),
		cmocka_unit_test_setup(first_index_allocation_failure, setup),
		cmocka_unit_test_setup(buckets_over_the_whole_address_space, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
