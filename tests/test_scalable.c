// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_scalable.c - gen_pool_scalable_fit (src/algo.c), against a model of
 * each chunk's bitmap kept by the test and against gen_pool_first_fit:
 *  - at quiescence it never fails where first fit succeeds, whatever the
 *    calling thread's slot (set through gp_tls_slot, as if another thread
 *    called): random fills of several chunks, every size 1..130; it picks
 *    the chunk first fit picks and there exactly the lowest run at or
 *    after the slot's start (gp_scalable_start), or first fit's when none
 *    is (papers/design.md);
 *  - on a chunk of fewer than 2048 granules it is exactly first fit;
 *  - it works as the default (gen_pool_set_algo) and named
 *    (gen_pool_alloc_algo, gen_pool_dma_alloc_algo), and from inside a
 *    custom algorithm given the chunk's live map;
 *  - on a map that is no chunk's (a custom algorithm's own bitmap) it is
 *    plain first fit, for every slot;
 *  - two (and four) threads alive at once get different 512-granule
 *    lines of a large chunk on their first allocation;
 *  - a claim that loses its run to another thread does not turn into
 *    ENOMEM while the rest of the chunk is free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "internal.h"
#include "rng_helpers.h"

#define ORDER 4
#define G (1UL << ORDER)
#define BPL GP_BITS_PER_LONG
#define LINE 512UL /* granules per 64-byte line of bitmap words */

/* Run as the thread of slot @slot (gp_thread_slot() then returns it). */
static void be_slot(unsigned int slot)
{
	gp_tls_slot = slot + 1;
}

/* ------------------------------------------------------------------------ */
/* A pool and the test's model of it                                        */

#define MAXC 4

struct mchunk {
	unsigned long start, nbits;
	unsigned long *map; /* the model: bit set = allocated */
};

struct mpool {
	struct gen_pool *pool;
	unsigned int n;
	struct mchunk c[MAXC]; /* in the order added; the pool searches the last first */
};

static void mp_init(struct mpool *m, const unsigned long *nbits, unsigned int n)
{
	unsigned long addr = 1UL << 36;

	memset(m, 0, sizeof(*m));
	m->pool = gen_pool_create(ORDER, -1);
	assert_non_null(m->pool);
	for (unsigned int i = 0; i < n; i++) {
		m->c[i].start = addr;
		m->c[i].nbits = nbits[i];
		m->c[i].map = calloc(GP_BITS_TO_LONGS(nbits[i]), sizeof(unsigned long));
		assert_non_null(m->c[i].map);
		assert_int_equal(gen_pool_add(m->pool, addr, nbits[i] * G, -1), 0);
		addr += (nbits[i] + 1000) * G;
	}
	m->n = n;
}

static void mp_fini(struct mpool *m)
{
	for (unsigned int i = 0; i < m->n; i++) {
		struct mchunk *c = &m->c[i];

		for (unsigned long b = 0; b < c->nbits; b++)
			if (gp_bitmap_test_bit(c->map, b))
				assert_int_equal(gen_pool_free(m->pool, c->start + b * G, G), 0);
		free(c->map);
	}
	assert_int_equal(gen_pool_avail(m->pool), gen_pool_size(m->pool));
	assert_int_equal(gen_pool_destroy(m->pool), 0);
}

static struct mchunk *mp_find(struct mpool *m, unsigned long addr)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (addr >= m->c[i].start && addr < m->c[i].start + m->c[i].nbits * G)
			return &m->c[i];
	return NULL;
}

static bool run_free(const struct mchunk *c, unsigned long bit, unsigned long nr)
{
	if (bit >= c->nbits || nr > c->nbits - bit)
		return false;
	return gp_bitmap_find_next_bit(c->map, bit + nr, bit) >= bit + nr;
}

static void mark(struct mchunk *c, unsigned long bit, unsigned long nr, bool set)
{
	for (unsigned long i = bit; i < bit + nr; i++) {
		if (set)
			c->map[i / BPL] |= 1UL << (i % BPL);
		else
			c->map[i / BPL] &= ~(1UL << (i % BPL));
	}
}

/* The model's first fit: chunk (newest first) and bit, or false. */
static bool model_first_fit(struct mpool *m, unsigned long nr, struct mchunk **cp,
			    unsigned long *bitp)
{
	for (unsigned int i = m->n; i-- > 0;) {
		struct mchunk *c = &m->c[i];
		unsigned long b = gp_bitmap_find_next_zero_bit(c->map, c->nbits, 0), busy;

		while (b < c->nbits && nr <= c->nbits - b) {
			busy = gp_bitmap_find_next_bit(c->map, b + nr, b);
			if (busy >= b + nr) {
				*cp = c;
				*bitp = b;
				return true;
			}
			b = gp_bitmap_find_next_zero_bit(c->map, c->nbits, busy + 1);
		}
	}
	return false;
}

/*
 * The run scalable fit returns for the thread of @slot, first fit giving
 * @ff in the same chunk: the lowest run at or after the slot's start, or
 * first fit's when none is (the search wraps).
 */
static unsigned long model_scalable(const struct mchunk *c, unsigned long nr, unsigned long ff,
				    unsigned int slot)
{
	for (unsigned long b = gp_scalable_start(c->nbits, slot); b < c->nbits; b++)
		if (run_free(c, b, nr))
			return b;
	return ff;
}

/* Random fill by first fit: allocate and free runs of 1..@maxlen granules. */
static void random_fill(struct mpool *m, uint64_t *r, unsigned int steps, unsigned long maxlen)
{
	for (unsigned int i = 0; i < steps; i++) {
		unsigned long nr = 1 + rng_below(r, maxlen), addr;
		struct mchunk *c = &m->c[rng_below(r, m->n)];

		if (rng_below(r, 3)) {
			addr = gen_pool_alloc_algo(m->pool, nr * G, gen_pool_first_fit, NULL);
			if (addr) {
				struct mchunk *in = mp_find(m, addr);

				assert_non_null(in);
				assert_true(run_free(in, (addr - in->start) / G, nr));
				mark(in, (addr - in->start) / G, nr, true);
			}
		} else {
			/* free a random allocated run of up to nr granules */
			unsigned long b = rng_below(r, c->nbits), e;

			b = gp_bitmap_find_next_bit(c->map, c->nbits, b);
			if (b >= c->nbits)
				continue;
			e = gp_bitmap_find_next_zero_bit(c->map, c->nbits, b);
			if (e - b > nr)
				e = b + nr;
			assert_int_equal(gen_pool_free(m->pool, c->start + b * G, (e - b) * G), 0);
			mark(c, b, e - b, false);
		}
	}
}

/*
 * For every size 1..@maxnr and the slot @slot: scalable fit succeeds
 * exactly when first fit would, in first fit's chunk, on the run
 * model_scalable gives (first fit's own when @exact). The run is
 * freed again, so the pool is unchanged.
 */
static void check_all_sizes(struct mpool *m, unsigned int slot, unsigned long maxnr, bool exact)
{
	be_slot(slot);
	for (unsigned long nr = 1; nr <= maxnr; nr++) {
		struct mchunk *c = NULL, *in;
		unsigned long ff = 0, addr, got;
		bool fits = model_first_fit(m, nr, &c, &ff);

		addr = gen_pool_alloc_algo(m->pool, nr * G, gen_pool_scalable_fit, NULL);
		if (!fits) {
			assert_int_equal(addr, 0);
			assert_int_equal(errno, ENOMEM);
			continue;
		}
		if (!addr)
			fail_msg("slot %u, %lu granules: scalable fit failed, first fit gives bit %lu "
				 "of chunk 0x%lx", slot, nr, ff, c->start);
		in = mp_find(m, addr);
		assert_ptr_equal(in, c);
		assert_int_equal((addr - c->start) % G, 0);
		got = (addr - c->start) / G;
		if (got != (exact ? ff : model_scalable(c, nr, ff, slot)))
			fail_msg("slot %u, %lu granules: scalable fit gave bit %lu of chunk "
				 "0x%lx/%lu, first fit %lu", slot, nr, got, c->start, c->nbits, ff);
		assert_int_equal(gen_pool_free(m->pool, addr, nr * G), 0);
	}
	be_slot(0);
}


/* Granules the model holds in all chunks. */
static unsigned long mp_used(const struct mpool *m)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < m->n; i++)
		n += gp_bitmap_weight(m->c[i].map, m->c[i].nbits);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Semantics at quiescence                                                  */

static const unsigned int some_slots[] = { 0, 1, 2, 5, 31, 62, 63, 64, 65, 200 };
#define NSLOTS (sizeof(some_slots) / sizeof(some_slots[0]))

static void never_fails_where_first_fit_succeeds(void **state)
{
	static const unsigned long sizes[] = { 5000, 700, 40000 };
	struct mpool m;
	uint64_t r = 11;

	(void)state;
	mp_init(&m, sizes, 3);
	for (int round = 0; round < 10; round++) {
		random_fill(&m, &r, 300, round < 5 ? 40 : 700);
		for (size_t s = 0; s < NSLOTS; s++)
			check_all_sizes(&m, some_slots[s], 130, false);
		assert_int_equal(gen_pool_avail(m.pool), gen_pool_size(m.pool) - mp_used(&m) * G);
	}
	mp_fini(&m);
}

/*
 * Every granule taken, then a few holes: below every thread's start, at the
 * end of the chunk, straddling a 512 boundary. Whatever the slot, scalable
 * fit must find each hole that fits.
 */
static void finds_space_outside_own_region(void **state)
{
	static const unsigned long sizes[] = { 9000 };
	static const struct { unsigned long bit, len; } holes[] = {
		{ 3, 130 }, { 511, 2 }, { 1020, 9 }, { 4000, 1 }, { 8870, 130 },
	};
	struct mpool m;

	(void)state;
	mp_init(&m, sizes, 1);
	assert_int_equal(gen_pool_alloc(m.pool, 9000 * G), m.c[0].start);
	mark(&m.c[0], 0, 9000, true);
	for (unsigned int round = 0; round < sizeof(holes) / sizeof(holes[0]); round++) {
		assert_int_equal(gen_pool_free(m.pool, m.c[0].start + holes[round].bit * G,
					       holes[round].len * G), 0);
		mark(&m.c[0], holes[round].bit, holes[round].len, false);
		for (unsigned int slot = 0; slot < 70; slot += 2)
			check_all_sizes(&m, slot, 131, false);
	}
	mp_fini(&m);
}

/* On chunks of fewer than two 1024-granule regions every slot starts at 0: first fit exactly. */
static void small_chunks_are_first_fit(void **state)
{
	static const unsigned long one[][3] = { { 1 }, { 100 }, { 511 }, { 512 }, { 2047 } };
	static const unsigned long several[] = { 300, 512, 64 };
	struct mpool m;
	uint64_t r = 5;

	(void)state;
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		mp_init(&m, one[i], 1);
		for (int round = 0; round < 6; round++) {
			random_fill(&m, &r, 60, 20);
			for (unsigned int slot = 0; slot < 70; slot += 3)
				check_all_sizes(&m, slot, 130, true);
		}
		mp_fini(&m);
	}
	mp_init(&m, several, 3);
	for (int round = 0; round < 6; round++) {
		random_fill(&m, &r, 100, 30);
		for (size_t s = 0; s < NSLOTS; s++)
			check_all_sizes(&m, some_slots[s], 130, true);
	}
	mp_fini(&m);
}

/*
 * Every slot's start: 0 below two regions; else inside the chunk, in the
 * middle of a word of its region's second line (neither a word's, a
 * line's nor any summary node's edge: runs.c), one region per slot while
 * the chunk has 64 of them, and slots 0 and 1 half a chunk apart.
 */
static void starts_inside_a_word(void **state)
{
	static const unsigned long sizes[] = { 1, 1023, 2047, 2048, 5000, 65536, 1UL << 30 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long n = sizes[i], regions = n / 1024;

		for (unsigned int slot = 0; slot < 200; slot++) {
			unsigned long b = gp_scalable_start(n, slot);

			if (regions < 2) {
				assert_int_equal(b, 0);
				continue;
			}
			assert_true(b < n);
			assert_int_equal(b % 1024, LINE + BPL / 2);
			assert_int_equal(b, gp_scalable_start(n, slot % 64));
			for (unsigned int other = 0; other < slot && regions >= 64 && slot < 64; other++)
				assert_true(gp_scalable_start(n, other) != b);
		}
		if (regions >= 2)
			assert_int_equal(gp_scalable_start(n, 1) - gp_scalable_start(n, 0),
					 regions / 2 * 1024);
	}
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                             */

static void works_as_default_and_named(void **state)
{
	static const unsigned long sizes[] = { 40000 };
	struct genpool_data_align junk = { .align = 3 }; /* scalable fit takes no data */
	unsigned long a0, a1, a2, a3;
	struct mpool m;
	dma_addr_t dma = 0;
	void *p;

	(void)state;
	mp_init(&m, sizes, 1);
	gen_pool_set_algo(m.pool, gen_pool_scalable_fit, NULL);
	assert_ptr_equal(m.pool->algo->algo, gen_pool_scalable_fit);
	/* on an empty chunk each slot's first run is at its start, inside a word */
	be_slot(0);
	a0 = gen_pool_alloc(m.pool, G);
	be_slot(1);
	a1 = gen_pool_alloc(m.pool, 3 * G);
	be_slot(2);
	a2 = gen_pool_alloc_algo(m.pool, 5 * G, gen_pool_scalable_fit, &junk);
	be_slot(3);
	p = gen_pool_dma_alloc_algo(m.pool, 7 * G, &dma, gen_pool_scalable_fit, NULL);
	a3 = (unsigned long)p;
	be_slot(0);
	assert_int_equal(a0, m.c[0].start + gp_scalable_start(sizes[0], 0) * G);
	assert_int_equal(a1, m.c[0].start + gp_scalable_start(sizes[0], 1) * G);
	assert_int_equal(a2, m.c[0].start + gp_scalable_start(sizes[0], 2) * G);
	assert_int_equal(a3, m.c[0].start + gp_scalable_start(sizes[0], 3) * G);
	/* four slots, four different lines */
	assert_true(a1 != a0 && a2 != a0 && a3 != a0 && a1 != a2 && a1 != a3 && a2 != a3);
	assert_int_equal(dma, (phys_addr_t)-1 + (a3 - m.c[0].start)); /* phys unknown */
	mark(&m.c[0], (a0 - m.c[0].start) / G, 1, true);
	mark(&m.c[0], (a1 - m.c[0].start) / G, 3, true);
	mark(&m.c[0], (a2 - m.c[0].start) / G, 5, true);
	mark(&m.c[0], (a3 - m.c[0].start) / G, 7, true);
	/* the same slot carries on after its own run */
	be_slot(1);
	assert_int_equal(gen_pool_alloc(m.pool, G), a1 + 3 * G);
	mark(&m.c[0], (a1 - m.c[0].start) / G + 3, 1, true);
	be_slot(0);
	assert_int_equal(gen_pool_avail(m.pool), gen_pool_size(m.pool) - mp_used(&m) * G);
	/* NULL restores first fit */
	gen_pool_set_algo(m.pool, NULL, NULL);
	assert_ptr_equal(m.pool->algo->algo, gen_pool_first_fit);
	be_slot(5);
	assert_int_equal(gen_pool_alloc(m.pool, G), m.c[0].start);
	mark(&m.c[0], 0, 1, true);
	be_slot(0);
	mp_fini(&m);
}

/* A custom algorithm passing the chunk's own live map gets the same search. */
static unsigned long wrap_scalable(unsigned long *map, unsigned long size, unsigned long start,
				   unsigned int nr, void *data, struct gen_pool *pool,
				   unsigned long start_addr)
{
	return gen_pool_scalable_fit(map, size, start, nr, data, pool, start_addr);
}

/* ... and one passing its own copy of the map gets plain first fit. */
static unsigned long copy_scalable(unsigned long *map, unsigned long size, unsigned long start,
				   unsigned int nr, void *data, struct gen_pool *pool,
				   unsigned long start_addr)
{
	static unsigned long copy[GP_BITS_TO_LONGS(40000)];

	assert_true(size <= 40000);
	memcpy(copy, map, GP_BITS_TO_LONGS(size) * sizeof(unsigned long));
	return gen_pool_scalable_fit(copy, size, start, nr, data, pool, start_addr);
}

/* ... and one passing the live map with another size, too. */
static unsigned long short_scalable(unsigned long *map, unsigned long size, unsigned long start,
				    unsigned int nr, void *data, struct gen_pool *pool,
				    unsigned long start_addr)
{
	return gen_pool_scalable_fit(map, size - 1, start, nr, data, pool, start_addr);
}

static void custom_algorithms_calling_it(void **state)
{
	static const unsigned long sizes[] = { 40000 };
	struct mpool m;
	unsigned long a, b;

	(void)state;
	mp_init(&m, sizes, 1);
	for (unsigned int slot = 1; slot < 64; slot += 7) {
		be_slot(slot);
		a = gen_pool_alloc_algo(m.pool, 2 * G, gen_pool_scalable_fit, NULL);
		assert_int_equal(gen_pool_free(m.pool, a, 2 * G), 0);
		b = gen_pool_alloc_algo(m.pool, 2 * G, wrap_scalable, NULL);
		assert_int_equal(a, b);
		assert_true(a != m.c[0].start); /* slot != 0: not at the chunk start */
		assert_int_equal(gen_pool_free(m.pool, b, 2 * G), 0);
		assert_int_equal(gen_pool_alloc_algo(m.pool, 2 * G, copy_scalable, NULL),
				 m.c[0].start);
		assert_int_equal(gen_pool_free(m.pool, m.c[0].start, 2 * G), 0);
		assert_int_equal(gen_pool_alloc_algo(m.pool, 2 * G, short_scalable, NULL),
				 m.c[0].start);
		assert_int_equal(gen_pool_free(m.pool, m.c[0].start, 2 * G), 0);
	}
	be_slot(0);
	mp_fini(&m);
}

/* Called directly on the caller's own bitmap: plain first fit, for every slot. */
static void foreign_bitmap_is_first_fit(void **state)
{
	enum { NB = 3000 };
	static unsigned long map[GP_BITS_TO_LONGS(NB)];
	static const unsigned int slots[] = { 0, 1, 3, 7, 63 };
	uint64_t r = 3;

	(void)state;
	for (int round = 0; round < 8; round++) {
		/* runs of every length, denser each round */
		memset(map, 0, sizeof(map));
		for (unsigned long i = 0; i < NB;) {
			unsigned long len = 1 + rng_below(&r, 90);

			if (rng_below(&r, 10) < (unsigned long)round + 2)
				for (unsigned long j = i; j < i + len && j < NB; j++)
					map[j / BPL] |= 1UL << (j % BPL);
			i += len;
		}
		for (size_t s = 0; s < sizeof(slots) / sizeof(slots[0]); s++) {
			be_slot(slots[s]);
			for (unsigned int nr = 1; nr <= 130; nr += (nr < 10 ? 1 : 13))
				for (unsigned long start = 0; start <= NB; start += 29)
					assert_int_equal(
						gen_pool_scalable_fit(map, NB, start, nr, NULL, NULL, 0),
						gen_pool_first_fit(map, NB, start, nr, NULL, NULL, 0));
		}
	}
	be_slot(0);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */

#define BIG 65536UL

struct starter {
	struct gen_pool *pool;
	pthread_barrier_t *go;
	unsigned long addr;
};

static void *first_alloc(void *arg)
{
	struct starter *s = arg;

	pthread_barrier_wait(s->go);
	/* this thread's first call: it gets a slot no live thread holds */
	s->addr = gen_pool_alloc_algo(s->pool, G, gen_pool_scalable_fit, NULL);
	/* alive until all have allocated: an exited thread's slot comes back */
	pthread_barrier_wait(s->go);
	return NULL;
}

static void threads_at_once(unsigned int nt, int rounds)
{
	struct gen_pool *pool = gen_pool_create(ORDER, -1);
	const unsigned long base = 1UL << 36;
	struct starter st[8];
	pthread_t tid[8];
	pthread_barrier_t go;

	assert_non_null(pool);
	assert_true(nt <= 8);
	assert_int_equal(gen_pool_add(pool, base, BIG * G, -1), 0);
	for (int round = 0; round < rounds; round++) {
		assert_int_equal(pthread_barrier_init(&go, NULL, nt), 0);
		for (unsigned int i = 0; i < nt; i++) {
			st[i].pool = pool;
			st[i].go = &go;
			st[i].addr = 0;
			assert_int_equal(pthread_create(&tid[i], NULL, first_alloc, &st[i]), 0);
		}
		for (unsigned int i = 0; i < nt; i++)
			assert_int_equal(pthread_join(tid[i], NULL), 0);
		pthread_barrier_destroy(&go);
		for (unsigned int i = 0; i < nt; i++) {
			unsigned long gi;

			assert_true(st[i].addr >= base && st[i].addr < base + BIG * G);
			gi = (st[i].addr - base) / G;
			for (unsigned int j = 0; j < i; j++) {
				unsigned long gj = (st[j].addr - base) / G;
				unsigned long d = gi > gj ? gi - gj : gj - gi;

				if (d < LINE)
					fail_msg("round %d: threads %u and %u got granules %lu and %lu, "
						 "in the same 512-granule line", round, j, i, gj, gi);
			}
		}
		for (unsigned int i = 0; i < nt; i++)
			assert_int_equal(gen_pool_free(pool, st[i].addr, G), 0);
	}
	assert_int_equal(gen_pool_avail(pool), BIG * G);
	assert_int_equal(gen_pool_destroy(pool), 0);
}

static void two_threads_get_different_lines(void **state)
{
	(void)state;
	threads_at_once(2, 40);
}

static void four_threads_get_different_lines(void **state)
{
	(void)state;
	threads_at_once(4, 20);
}

/*
 * A thread loses the run it found in its own region to another thread (the
 * claim meets the other's bit) while the start of the chunk is free and
 * stays free throughout. Its retry must find that space: nobody holds it,
 * so ENOMEM would be wrong (README: ENOMEM only "while other threads hold
 * the space"), and first fit in the same situation succeeds.
 *
 * Deterministic: a custom algorithm runs scalable fit on the live map, and
 * on its first call lets another thread (another slot) take the run it is
 * about to return, before returning it.
 */
static struct {
	struct gen_pool *pool;
	genpool_algo_t inner;
	int calls;
	unsigned long peer_addr;
} race;

static void *peer_alloc(void *arg)
{
	(void)arg;
	be_slot(3);
	race.peer_addr = gen_pool_alloc_algo(race.pool, G, race.inner, NULL);
	return NULL;
}

static unsigned long losing_algo(unsigned long *map, unsigned long size, unsigned long start,
				 unsigned int nr, void *data, struct gen_pool *pool,
				 unsigned long start_addr)
{
	unsigned long bit = race.inner(map, size, start, nr, data, pool, start_addr);
	pthread_t tid;

	if (race.calls++ == 0) { /* the peer takes it between our search and our claim */
		assert_int_equal(pthread_create(&tid, NULL, peer_alloc, NULL), 0);
		assert_int_equal(pthread_join(tid, NULL), 0);
	}
	return bit;
}

static void lost_race(genpool_algo_t inner)
{
	const unsigned long base = 1UL << 36, n = 2048, hole = 2000;
	unsigned long got;

	race.pool = gen_pool_create(ORDER, -1);
	assert_non_null(race.pool);
	race.inner = inner;
	race.calls = 0;
	race.peer_addr = 0;
	assert_int_equal(gen_pool_add(race.pool, base, n * G, -1), 0);
	/* [512, 2048) taken but for granule 2000; [0, 512) free */
	assert_int_equal(gen_pool_alloc_algo(race.pool, n * G, gen_pool_first_fit, NULL), base);
	assert_int_equal(gen_pool_free(race.pool, base, 512 * G), 0);
	assert_int_equal(gen_pool_free(race.pool, base + hole * G, G), 0);

	be_slot(1); /* starts at 1568: finds 2000, as the peer (slot 3, from 1568 too) does */
	got = gen_pool_alloc_algo(race.pool, G, losing_algo, NULL);
	be_slot(0);
	if (inner == gen_pool_scalable_fit)
		assert_int_equal(race.peer_addr, base + hole * G);
	assert_true(race.peer_addr != 0);
	if (!got)
		fail_msg("%s: the claim lost granule %lu to another thread, and the retry gave "
			 "ENOMEM with granules 0..511 free (after %d searches)",
			 inner == gen_pool_scalable_fit ? "scalable fit" : "first fit", hole,
			 race.calls);
	assert_true(got >= base && got < base + 512 * G);
	assert_int_equal(gen_pool_free(race.pool, got, G), 0);
	assert_int_equal(gen_pool_free(race.pool, race.peer_addr, G), 0);
	assert_int_equal(gen_pool_free(race.pool, base + 512 * G, (hole - 512) * G), 0);
	assert_int_equal(gen_pool_free(race.pool, base + (hole + 1) * G, (n - hole - 1) * G), 0);
	assert_int_equal(gen_pool_destroy(race.pool), 0);
}

static void lost_race_first_fit_retries(void **state)
{
	(void)state;
	lost_race(gen_pool_first_fit); /* the contrast: passes */
}

static void lost_race_scalable_fit_retries(void **state)
{
	(void)state;
	lost_race(gen_pool_scalable_fit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(never_fails_where_first_fit_succeeds),
		cmocka_unit_test(finds_space_outside_own_region),
		cmocka_unit_test(small_chunks_are_first_fit),
		cmocka_unit_test(starts_inside_a_word),
		cmocka_unit_test(works_as_default_and_named),
		cmocka_unit_test(custom_algorithms_calling_it),
		cmocka_unit_test(foreign_bitmap_is_first_fit),
		cmocka_unit_test(two_threads_get_different_lines),
		cmocka_unit_test(four_threads_get_different_lines),
		cmocka_unit_test(lost_race_first_fit_retries),
		cmocka_unit_test(lost_race_scalable_fit_retries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
