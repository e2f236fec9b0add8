// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * worker.c - what each stress thread does: a random mix of allocations with
 * every built-in algorithm, frees, cross-thread frees through the exchange
 * slots, queries, refused calls that must change nothing, the pool's default
 * algorithm made invalid for a moment (algo_toggle.c), and (thread 0)
 * gen_pool_add of new chunks while the others allocate.
 *
 * Every result is checked where it is returned: an address lies in a chunk,
 * inside it, aligned as its algorithm promises, with the right physical
 * address; a failed allocation sets ENOMEM; a free returns 0; a refused call
 * returns its error and is reported. Ownership and data go through
 * shadow.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

/* Granule counts that cross word boundaries, and powers of two. */
static const unsigned long size_classes[] = {
	1, 63, 64, 65, 127, 129, 2, 4, 8, 16, 32, 128, 256,
};
#define NCLASSES (sizeof(size_classes) / sizeof(size_classes[0]))
#define ALIGN_GRANULES 8

const struct st_algo st_algos[] = {
	{ "first_fit", gen_pool_first_fit },
	{ "best_fit", gen_pool_best_fit },
	{ "first_fit_align", gen_pool_first_fit_align },
	{ "first_fit_order_align", gen_pool_first_fit_order_align },
	{ "fixed", gen_pool_fixed_alloc },
	{ "scalable_fit", gen_pool_scalable_fit },
	{ "dma", NULL }, /* gen_pool_dma_alloc: the pool's first fit, with dma */
};
const unsigned int st_nalgos = sizeof(st_algos) / sizeof(st_algos[0]);

static _Thread_local bool expect_refusal; /* read by main.c's error handler */

bool st_refusal_expected(void)
{
	return expect_refusal;
}

void st_expect_refusal(bool on)
{
	expect_refusal = on;
}

static unsigned long pick_granules(struct st_worker *w)
{
	uint64_t r = st_rand(&w->rng);

	if (r % 4)
		return size_classes[(r >> 8) % NCLASSES];
	return 1 + (r >> 8) % 130;
}

static unsigned long roundup_pow2(unsigned long n)
{
	unsigned long p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* Does @addr (from algorithm @a, fixed offset @fixed) sit where it may? */
static bool placement_ok(const struct st_range *r, unsigned int a, unsigned long fixed)
{
	const struct st_chunk *c = &st.chunks[r->chunk];
	unsigned long off = (r->addr - c->base) / st.granule;
	const char *name = st_algos[a].name;

	if ((r->addr - c->base) % st.granule || off + r->nr > c->granules) {
		st_fail(ST_OTHER, "%s: 0x%lx + %lu granules is not inside chunk %u", name, r->addr,
			r->nr, r->chunk);
		return false;
	}
	if (st_algos[a].algo == gen_pool_first_fit_align && r->addr % (ALIGN_GRANULES * st.granule))
		st_fail(ST_OTHER, "first_fit_align(%lu) returned 0x%lx",
			ALIGN_GRANULES * st.granule, r->addr);
	if (st_algos[a].algo == gen_pool_first_fit_order_align && off % roundup_pow2(r->nr))
		st_fail(ST_OTHER, "first_fit_order_align(%lu) returned granule %lu", r->nr, off);
	if (st_algos[a].algo == gen_pool_fixed_alloc && off * st.granule != fixed)
		st_fail(ST_OTHER, "fixed_alloc(offset %lu) returned offset %lu", fixed,
			off * st.granule);
	return true;
}

static unsigned long call_alloc(struct st_worker *w, unsigned int a, size_t size,
				unsigned long *fixed, dma_addr_t *dma)
{
	struct genpool_data_align align = { .align = (int)(ALIGN_GRANULES * st.granule) };
	struct genpool_data_fixed fix;
	void *data = NULL;

	if (st_algos[a].algo == NULL)
		return (unsigned long)st_default_alloc(size, dma);
	if (st_algos[a].algo == gen_pool_first_fit_align)
		data = &align;
	if (st_algos[a].algo == gen_pool_fixed_alloc) {
		*fixed = st_rand(&w->rng) % (st.chunks[0].granules / 4) * st.granule;
		fix.offset = *fixed;
		data = &fix;
	}
	return gen_pool_alloc_algo(st.pool, size, st_algos[a].algo, data);
}

static void do_alloc(struct st_worker *w)
{
	unsigned int a = st.cfg.algo >= 0 ? (unsigned int)st.cfg.algo
					   : (unsigned int)(st_rand(&w->rng) % st_nalgos);
	struct st_range r = { .nr = pick_granules(w) };
	unsigned long fixed = 0;
	dma_addr_t dma = 0;
	int c;

	r.size = r.nr * st.granule - st_rand(&w->rng) % st.granule;
	errno = 0;
	r.addr = call_alloc(w, a, r.size, &fixed, &dma);
	if (!r.addr) {
		if (errno == EINVAL && !st_algos[a].algo) {
			w->n.refusals++; /* the default made invalid: judged by st_default_alloc */
			return;
		}
		if (errno != ENOMEM)
			st_fail(ST_OTHER, "%s of %zu bytes: errno %d, not ENOMEM",
				st_algos[a].name, r.size, errno);
		w->n.enomem++;
		return;
	}
	w->n.allocs++;
	c = st_region_find(r.addr);
	if (c < 0) {
		st_fail(ST_OTHER, "%s returned 0x%lx, in no chunk", st_algos[a].name, r.addr);
		return;
	}
	r.chunk = (unsigned int)c;
	r.tag = (uint64_t)(w->id + 1) << 40 | ++w->seq;
	if (!placement_ok(&r, a, fixed))
		return; /* not ours to give back */
	if (!st_algos[a].algo && dma != st.chunks[c].phys + (r.addr - st.chunks[c].base))
		st_fail(ST_OTHER, "dma_alloc 0x%lx: dma 0x%llx", r.addr, (unsigned long long)dma);
	if (!st_shadow_claim(&r))
		return; /* overlapping: giving it back would corrupt the other owner */
	st_pattern_write(&r);
	w->live[w->nlive++] = r;
}

void st_range_free(struct st_worker *w, const struct st_range *r)
{
	int err;

	st_pattern_verify(r);
	st_shadow_release(r);
	err = gen_pool_free(st.pool, r->addr, r->size);
	if (err)
		st_fail(ST_OTHER, "free(0x%lx, %zu) returned %d", r->addr, r->size, err);
	w->n.frees++;
}

static void do_free(struct st_worker *w, int i)
{
	st_range_free(w, &w->live[i]);
	w->live[i] = w->live[--w->nlive];
}

/*
 * Put live range @i in a random slot; adopt what was there. The acq_rel
 * swap orders the sender's pattern writes before the receiver's checks.
 */
static void do_pass(struct st_worker *w, int i)
{
	struct st_range *mine = malloc(sizeof(*mine)), *theirs;

	if (!mine)
		return;
	*mine = w->live[i];
	w->live[i] = w->live[--w->nlive];
	theirs = __atomic_exchange_n(&st.slots[st_rand(&w->rng) % ST_NSLOTS], mine,
				     __ATOMIC_ACQ_REL);
	w->n.passes++;
	if (!theirs)
		return;
	w->live[w->nlive++] = *theirs;
	free(theirs);
}

static void count_chunk(struct gen_pool *pool, struct gen_pool_chunk *chunk, void *data)
{
	(void)pool;
	(void)chunk;
	++*(unsigned int *)data;
}

/* Queries; @r is a live range of ours, or NULL. */
static void do_query(struct st_worker *w, const struct st_range *r)
{
	unsigned int before = st_region_added(), seen = 0, after;
	/* avail first: a chunk added in between counts in size, not in avail */
	size_t avail = gen_pool_avail(st.pool), size = gen_pool_size(st.pool);
	unsigned long foreign = st_region_foreign_addr(st_rand(&w->rng));

	gen_pool_for_each_chunk(st.pool, count_chunk, &seen);
	after = st_region_count();
	w->n.queries++;
	if (avail > size)
		st_fail(ST_OTHER, "avail %zu > size %zu", avail, size);
	if (seen < before || seen > after)
		st_fail(ST_OTHER, "for_each_chunk saw %u chunks, expected %u..%u", seen, before,
			after);
	if (gen_pool_has_addr(st.pool, foreign, st.granule) ||
	    gen_pool_has_addr(st.pool, foreign, 0))
		st_fail(ST_OTHER, "has_addr(0x%lx) is true for an address in no chunk", foreign);
	if (!r)
		return;
	if (!gen_pool_has_addr(st.pool, r->addr, r->size))
		st_fail(ST_OTHER, "has_addr(0x%lx, %zu) is false for a live range", r->addr,
			r->size);
	/* the kernel's answer for an empty range: start inside a chunk */
	if (!gen_pool_has_addr(st.pool, r->addr + r->size - 1, 0))
		st_fail(ST_OTHER, "has_addr(0x%lx, 0) is false inside a live range",
			r->addr + r->size - 1);
	if (gen_pool_virt_to_phys(st.pool, r->addr) !=
	    st.chunks[r->chunk].phys + (r->addr - st.chunks[r->chunk].base))
		st_fail(ST_OTHER, "virt_to_phys(0x%lx) is wrong", r->addr);
}

/* Calls that must be refused and change nothing (checked at checkpoints). */
static void do_refused(struct st_worker *w, const struct st_range *r)
{
	unsigned long foreign = st_region_foreign_addr(st_rand(&w->rng));
	int err;

	expect_refusal = true;
	err = gen_pool_free(st.pool, foreign, st.granule);
	if (err != -EINVAL)
		st_fail(ST_OTHER, "free of foreign 0x%lx returned %d, not -EINVAL", foreign, err);
	/* a strict or cache pool knows each allocation's size: one granule more is refused */
	if (r && (st.cfg.flags & (GEN_POOL_STRICT | GEN_POOL_THREAD_CACHE)) &&
	    r->addr - st.chunks[r->chunk].base + (r->nr + 1) * st.granule <=
		    st.chunks[r->chunk].granules * st.granule) {
		err = gen_pool_free(st.pool, r->addr, (r->nr + 1) * st.granule);
		if (err != -EINVAL)
			st_fail(ST_OTHER, "strict free of 0x%lx with the wrong size returned %d",
				r->addr, err);
	}
	expect_refusal = false;
	w->n.refusals++;
}

/* Thread 0 adds a chunk every 1/8 of the run, while the others allocate. */
static void maybe_add_chunk(struct st_worker *w)
{
	unsigned int n = st_region_count();
	double due = st.start + (st.deadline - st.start) * (n - ST_INITIAL_CHUNKS + 1) / 8;

	if (w->id != 0 || n >= ST_MAX_CHUNKS || st_now() < due)
		return;
	if (st_region_add_one() == 0)
		w->n.adds++;
}

static void step(struct st_worker *w)
{
	uint64_t r = st_rand(&w->rng);
	int pick = w->nlive ? (int)((r >> 16) % (uint64_t)w->nlive) : -1;
	unsigned int op = (unsigned int)(r % 100);

	if (pick < 0 || (w->nlive < ST_MAX_LIVE && op < 48))
		do_alloc(w);
	else if (op < 56)
		do_pass(w, pick);
	else if (op < 60)
		do_query(w, &w->live[pick]);
	else if (op < 61)
		do_refused(w, &w->live[pick]);
	else if (op < 62)
		st_algo_toggle(w); /* at most every 100 ms; else nothing */
	else
		do_free(w, pick);
}

static bool budget_left(struct st_worker *w)
{
	if (w->n.ops % 64)
		return true;
	if (__atomic_load_n(&st.stop, __ATOMIC_RELAXED))
		return false;
	if (st.cfg.ops &&
	    __atomic_add_fetch(&st.ops_total, 64, __ATOMIC_RELAXED) > st.cfg.ops)
		return false;
	return st_now() < st.deadline;
}

void *st_worker_main(void *arg)
{
	struct st_worker *w = arg;

	while (budget_left(w)) {
		while (st.cfg.inject_hang && w->n.ops == 1000)
			sleep(1); /* never returns: the watchdog must end the run */
		st_park_point();
		maybe_add_chunk(w);
		step(w);
		w->n.ops++;
		__atomic_store_n(&w->ops_done, w->n.ops, __ATOMIC_RELAXED);
	}
	while (w->nlive)
		do_free(w, w->nlive - 1);
	st_worker_exit();
	return NULL;
}
