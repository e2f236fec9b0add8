// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz_ops.c - libFuzzer target: the input is a program of pool operations
 * (create, add, alloc with every algorithm and entry point, set_algo, free
 * right and wrong, queries, for_each_chunk with calls from inside it,
 * destroy), run on one pool and checked step by step against a sequential
 * model of which granule belongs to whom.
 *
 * The model predicts every result exactly: the program is single-threaded,
 * so the kernel semantics api.md fixes (chunks newest first; first fit the
 * lowest run; best fit the smallest hole, ties lowest; the alignments; fixed
 * offsets; free of allocated granules, or in GEN_POOL_STRICT pools of exactly
 * one allocation) leave no freedom. The one exception is scalable fit,
 * whose start depends on the calling thread's slot: the fuzzer sets the
 * slot from the input (gp_tls_slot, as if another thread called), and
 * checks that scalable fit succeeds exactly when first fit would, in the
 * same chunk, with the lowest free run at or after the slot's start
 * (fz_scalable_ok); the model then records what it got.
 * After every operation the pool's internal state (chunk list, bitmaps,
 * boundary maps of strict pools, the summaries, exact at quiescence:
 * invariant S) must equal the model, and the public size and avail (summed
 * from per-thread shards) must agree with the model's totals. Chunks are
 * address ranges only: never dereferenced, and the zeroing allocators are
 * left to fuzz_args, which backs its pool. Chunks are mostly of up to 512
 * granules, sometimes of up to FZ_MAX_BITS (three summary levels).
 * gen_pool_get_stats is checked after every step too: the model counts
 * successful allocs and frees, ENOMEM results and refusals, and tracks the
 * granules allocated and their peak (high_water, exact in a sequential
 * program) and each chunk's longest free run (largest_free).
 *
 * Input layout: byte 0 granule order (0..13), byte 1 flags; then operations,
 * each an opcode byte and its arguments. Reads past the end give zeros.
 */
#include "fuzz_common.h"

#define MAX_GRANULES FZ_MAX_BITS /* per chunk; slots below are this many granules apart */
#define SMALL_GRANULES 512 /* most chunks: small enough to fill */
#define MAX_CHUNKS 8
#define MAX_RECS 64
#define MAX_OPS 2000

struct mchunk {
	unsigned long start, nbits;
	phys_addr_t phys;
	void *owner;
	unsigned long map[FZ_WORDS];
	unsigned int alen[MAX_GRANULES]; /* strict: granules of the allocation starting here */
	unsigned long starts[FZ_WORDS], ends[FZ_WORDS]; /* strict: what the pool must mark */
};

/* An allocation handed out, as a hint for frees; the model's maps are the truth. */
struct rec {
	unsigned long addr;
	size_t size;
	bool live;
};

static struct model {
	struct gen_pool *pool;
	int order;
	unsigned long g;
	unsigned int flags;
	unsigned int n;
	struct mchunk c[MAX_CHUNKS]; /* in the order added; searched from the last */
	genpool_algo_t def_fn;       /* the default pair the pool must hold, */
	void *def_data;              /* installed as given, valid or not */
	union fz_data slot[2]; /* set_algo data: the pool keeps the pointer */
	struct rec rec[MAX_RECS];
	unsigned int nrec, ops;
	struct {
		unsigned long long allocs, frees, failed, refused;
		unsigned long live, peak; /* granules allocated now, and at most */
	} st; /* what gen_pool_get_stats must say */
} m;

static char owner_tag[4]; /* owners are private pointers, never dereferenced */

static const genpool_algo_t algos[] = {
	NULL, gen_pool_first_fit, gen_pool_best_fit, gen_pool_first_fit_align,
	gen_pool_first_fit_order_align, gen_pool_fixed_alloc, fz_const_algo,
	gen_pool_scalable_fit,
};
#define N_ALGOS (sizeof(algos) / sizeof(algos[0]))

static void op(struct fz_in *in, bool nested);

/* ------------------------------------------------------------------------ */
/* The model                                                                */

static bool strict(void)
{
	return m.flags & GEN_POOL_STRICT;
}

static unsigned long free_granules(const struct mchunk *c)
{
	return c->nbits - fz_count_set(c->map, c->nbits);
}

static void model_reset(struct gen_pool *pool, int order, unsigned int flags)
{
	memset(&m, 0, sizeof(m));
	m.pool = pool;
	m.order = order;
	m.g = 1UL << order;
	m.flags = flags;
	m.def_fn = gen_pool_first_fit;
}

/* The model chunk holding @addr, or NULL. */
static struct mchunk *model_find(unsigned long addr)
{
	for (unsigned int i = 0; i < m.n; i++) {
		struct mchunk *c = &m.c[i];

		if (addr >= c->start && addr - c->start < c->nbits * m.g)
			return c;
	}
	return NULL;
}

static bool model_busy(void)
{
	for (unsigned int i = 0; i < m.n; i++)
		if (free_granules(&m.c[i]) != m.c[i].nbits)
			return true;
	return false;
}

static void rec_add(unsigned long addr, size_t size)
{
	unsigned int i = m.nrec < MAX_RECS ? m.nrec++ : m.ops % MAX_RECS;

	m.rec[i] = (struct rec){ addr, size, true };
}

/* The longest run of free granules of any model chunk. */
static unsigned long model_largest_free(void)
{
	unsigned long best = 0;

	for (unsigned int i = 0; i < m.n; i++)
		for (unsigned long b = 0, run = 0; b < m.c[i].nbits; b++) {
			run = fz_test(m.c[i].map, b) ? 0 : run + 1;
			best = run > best ? run : best;
		}
	return best;
}

/* gen_pool_get_stats against the model's counts, after every step. */
static void check_stats(const char *after, size_t size, size_t avail)
{
	struct gen_pool_stats st;

	FZ_CHECK(gen_pool_get_stats(m.pool, &st, sizeof(st)) == 0, "after %s: get_stats failed",
		 after);
	FZ_CHECK(st.size == size && st.avail == avail && st.chunks == m.n && st.cached == 0 &&
			 st.largest_free == model_largest_free() * m.g,
		 "after %s: stats size %zu avail %zu chunks %lu cached %zu largest_free %zu, model "
		 "%zu %zu %u 0 %lu", after, st.size, st.avail, st.chunks, st.cached,
		 st.largest_free, size, avail, m.n, model_largest_free() * m.g);
	FZ_CHECK(st.allocs == m.st.allocs && st.frees == m.st.frees && st.failed == m.st.failed &&
			 st.refused == m.st.refused && st.high_water == m.st.peak * m.g,
		 "after %s: stats allocs %llu frees %llu failed %llu refused %llu high_water %zu, "
		 "model %llu %llu %llu %llu %lu", after, st.allocs, st.frees, st.failed,
		 st.refused, st.high_water, m.st.allocs, m.st.frees, m.st.failed, m.st.refused,
		 m.st.peak * m.g);
}

/* The pool's internal state is the model's, and its invariants hold. */
static void check_model(const char *after)
{
	static struct fz_pool_snap s;
	size_t size = 0, avail = 0;

	fz_snap(m.pool, &s);
	FZ_CHECK(s.n == m.n, "after %s: pool has %u chunks, model %u", after, s.n, m.n);
	FZ_CHECK(s.algo == m.def_fn && s.data == m.def_data,
		 "after %s: default algorithm %p/%p, model %p/%p", after, (void *)s.algo, s.data,
		 (void *)m.def_fn, m.def_data);
	for (unsigned int i = 0; i < m.n; i++) {
		const struct fz_chunk_snap *p = &s.c[i];
		const struct mchunk *c = &m.c[m.n - 1 - i]; /* newest first */

		FZ_CHECK(p->start == c->start && p->nbits == c->nbits && p->phys == c->phys &&
				 p->owner == c->owner,
			 "after %s: chunk %u is 0x%lx/%lu granules, model 0x%lx/%lu", after, i,
			 p->start, p->nbits, c->start, c->nbits);
		for (unsigned long w = 0; w < p->words; w++) {
			unsigned long diff = p->bits[w] ^ c->map[w];
			unsigned long b = w * FZ_BITS_PER_LONG + (diff ? __builtin_ctzl(diff) : 0);

			FZ_CHECK(!diff, "after %s: granule %lu of chunk 0x%lx is %s, model says %s",
				 after, b, c->start, fz_test(p->bits, b) ? "allocated" : "free",
				 fz_test(c->map, b) ? "allocated" : "free");
			FZ_CHECK(!strict() || (p->starts[w] == c->starts[w] && p->ends[w] == c->ends[w]),
				 "after %s: chunk 0x%lx boundary marks (word %lu) 0x%lx/0x%lx, model "
				 "0x%lx/0x%lx", after, c->start, w, p->starts[w], p->ends[w],
				 c->starts[w], c->ends[w]);
		}
		size += c->nbits * m.g;
		avail += free_granules(c) * m.g;
	}
	FZ_CHECK(s.size == size && s.avail == avail,
		 "after %s: size/avail %zu/%zu, model %zu/%zu", after, s.size, s.avail, size,
		 avail);
	check_stats(after, size, avail);
}

/* ------------------------------------------------------------------------ */
/* Argument generators                                                      */

/* Algorithm data for @fn: mostly valid, sometimes refused, sometimes NULL. */
static union fz_data *gen_data(struct fz_in *in, genpool_algo_t fn, union fz_data *d)
{
	static const int odd_align[] = { 0, 3, 6, 48, -4096, INT_MIN, INT_MAX, 1 << 30 };
	uint8_t k = fz_u8(in);

	memset(d, 0, sizeof(*d));
	d->raw[0] = fz_u8(in) * 0x0101010101010101UL; /* junk for algorithms without data */
	if ((k & 15) == 15)
		return NULL;
	if (fn == gen_pool_first_fit_align) {
		d->align.align = k < 208 ? 1 << (k % 24) : odd_align[k % 8];
	} else if (fn == gen_pool_fixed_alloc || fn == fz_const_algo) {
		unsigned long v = fz_u16(in) % (MAX_GRANULES + 16);

		if (fn == gen_pool_fixed_alloc)
			v *= m.g;
		if (k >= 224)
			v = k & 1 ? v + 1 + (k % 5) : ULONG_MAX - (k % 3) * m.g;
		if (fn == gen_pool_fixed_alloc)
			d->fixed.offset = v;
		else
			d->bit = v;
	}
	return d;
}

/* A request size: mostly a few granules (not always whole), sometimes an edge. */
static size_t gen_size(struct fz_in *in)
{
	uint8_t k = fz_u8(in) & 15;
	unsigned long granules;

	switch (k) {
	case 10: return 0;
	case 11: return SIZE_MAX;
	case 12: return ULONG_MAX - m.g + 2;                /* rounding up overflows */
	case 13: return ((unsigned long)UINT_MAX + 1) * m.g; /* nr cannot express it */
	case 14: return (unsigned long)UINT_MAX * m.g;       /* valid, never fits */
	case 15: return fz_edge(in, m.g);
	}
	if (k < 6)
		granules = 1 + fz_u8(in) % 8;
	else if (k < 9)
		granules = 1 + fz_u16(in) % 64;
	else
		granules = 1 + fz_u16(in) % (MAX_GRANULES + 64);
	return granules * m.g - fz_u8(in) % m.g;
}

/* An address near the chunks, the allocations, the edges, or anywhere. */
static unsigned long gen_addr(struct fz_in *in)
{
	uint8_t k = fz_u8(in) & 7;
	const struct mchunk *c = m.n ? &m.c[fz_u8(in) % m.n] : NULL;
	unsigned long off;

	switch (k) {
	case 0:
	case 1:
	case 2:
		if (!c)
			return fz_u64(in);
		off = (fz_u16(in) % (c->nbits + 4)) * m.g;
		k = fz_u8(in);
		if (k >= 192)
			off += k % m.g;
		return k & 1 && k >= 224 ? c->start - m.g : c->start + off;
	case 3:
		return c ? c->start + c->nbits * m.g - 1 + (unsigned long)(long)(int8_t)fz_u8(in)
			 : 0;
	case 4:
		return m.nrec ? m.rec[fz_u8(in) % m.nrec].addr +
					(unsigned long)(long)(int8_t)fz_u8(in) * m.g
			      : 1;
	case 5:
		return fz_edge(in, m.g);
	case 6:
		return (unsigned long[]){ 0, 1, ULONG_MAX }[fz_u8(in) % 3];
	default:
		return fz_u64(in);
	}
}

/* ------------------------------------------------------------------------ */
/* add                                                                      */

/* What api.md says gen_pool_add of [addr, addr + size) on node @nid returns. */
static int expect_add(unsigned long addr, size_t size, int nid, bool *or_eexist)
{
	unsigned long nbits = size >> m.order, last;
	bool bad_nid = nid != -1 && nid != 0;

	*or_eexist = false;
	if (size == 0 || addr == 0 || addr + (size - 1) < addr || nbits == 0)
		return -EINVAL;
	last = addr + nbits * m.g - 1;
	for (unsigned int i = 0; i < m.n; i++) {
		const struct mchunk *c = &m.c[i];

		if (addr <= c->start + c->nbits * m.g - 1 && last >= c->start) {
			/* both wrong: api.md does not rank the two errors */
			*or_eexist = bad_nid;
			return bad_nid ? -EINVAL : -EEXIST;
		}
	}
	return bad_nid ? -EINVAL : 0;
}

/* A chunk: in a slot, adjacent, overlapping, at the top, degenerate, wrapping. */
static void gen_chunk(struct fz_in *in, unsigned long *addr, size_t *size)
{
	uint8_t k = fz_u8(in) % 9, t = fz_u8(in);
	/* large ones have three summary levels, and scalable fit's starts differ there */
	unsigned long granules = 1 + fz_u16(in) % (t & 0x20 ? MAX_GRANULES : SMALL_GRANULES);
	const struct mchunk *c = m.n ? &m.c[fz_u8(in) % m.n] : NULL;
	unsigned long tail = t >= 192 ? t % m.g : 0;
	int8_t d = (int8_t)fz_u8(in);

	*size = granules * m.g + tail;
	switch (k) {
	case 4: /* adjacent to a chunk, either side */
		if (c) {
			*addr = t & 1 ? c->start + c->nbits * m.g : c->start - *size;
			return;
		}
		break;
	case 5: /* overlapping a chunk */
		if (c) {
			*addr = c->start + (unsigned long)(long)d * m.g + (t & 3);
			*size = (1 + t % 32) * m.g;
			return;
		}
		break;
	case 6: /* ending at the top of the address space, or wrapping past it */
		*addr = 0 - *size + (unsigned long)(long)(d % 4);
		return;
	case 7: /* degenerate: address 0, size 0, less than a granule */
		*addr = m.g * MAX_GRANULES * (1 + t % 16);
		if (d & 1)
			*addr = 0;
		else
			*size = d & 2 ? 0 : (unsigned long)(uint8_t)d % m.g;
		return;
	case 8: /* huge and wrapping: refused before any metadata is allocated */
		*addr = 2 + fz_u64(in) % (ULONG_MAX - 2);
		*size = ULONG_MAX - *addr + 2 + fz_u16(in) % (*addr - 1);
		return;
	}
	/* a slot, sometimes off any granule boundary */
	*addr = (1 + t % 16) * MAX_GRANULES * m.g + (d < -64 ? (unsigned long)(uint8_t)d % (2 * m.g) : 0);
}

static void op_add(struct fz_in *in)
{
	static const int nids[] = { -1, -1, -1, 0, -2, INT_MIN };
	uint8_t v = fz_u8(in);
	int nid = nids[fz_u8(in) % 6], want, r;
	phys_addr_t phys = (phys_addr_t)-1;
	void *owner = NULL;
	unsigned long addr, nbits;
	bool or_eexist;
	size_t size;

	gen_chunk(in, &addr, &size);
	want = expect_add(addr, size, nid, &or_eexist);
	nbits = size >> m.order;
	if (want == 0 && (m.n == MAX_CHUNKS || nbits > MAX_GRANULES))
		return; /* would succeed, but is more than the model holds */
	fz_rep_reset();
	switch (v % 3) {
	case 0:
		r = gen_pool_add(m.pool, addr, size, nid);
		break;
	case 1:
		phys = fz_edge(in, m.g);
		r = gen_pool_add_virt(m.pool, addr, phys, size, nid);
		break;
	default:
		phys = fz_edge(in, m.g);
		owner = v & 4 ? &owner_tag[v % 4] : NULL;
		r = gen_pool_add_owner(m.pool, addr, phys, size, nid, owner);
		break;
	}
	FZ_CHECK(r == want || (or_eexist && r == -EEXIST),
		 "gen_pool_add(0x%lx, %zu, nid %d) = %d, expected %d (order %d)", addr, size, nid,
		 r, want, m.order);
	fz_expect_report(-r, "gen_pool_add");
	m.st.refused += r == -EINVAL || r == -EEXIST;
	if (r == 0) {
		struct mchunk *c = &m.c[m.n++];

		memset(c, 0, sizeof(*c));
		c->start = addr;
		c->nbits = nbits;
		c->phys = phys;
		c->owner = owner;
	}
	check_model("add");
}

/* ------------------------------------------------------------------------ */
/* alloc                                                                    */

/* Where the model says @a puts @nr granules: chunk index and bit, or false. */
static bool model_fit(unsigned long nr, const struct fz_algo *a, unsigned int *ci,
		      unsigned long *bit)
{
	for (unsigned int i = m.n; i-- > 0;) {
		const struct mchunk *c = &m.c[i];

		if (free_granules(c) < nr)
			continue; /* the pool skips a chunk without enough room */
		*bit = fz_fit(c->map, c->nbits, c->start, m.order, nr, a);
		if (*bit != FZ_NOFIT) {
			*ci = i;
			return true;
		}
	}
	return false;
}

struct alloc_call {
	int form; /* 0 alloc, 1 owner, 2 algo, 3 algo_owner, 4 dma, 5 dma_algo, 6 dma_align */
	size_t size;
	genpool_algo_t fn;
	union fz_data *data;
	int align;
	bool want_dma;
};

static unsigned long call_alloc(const struct alloc_call *a, void **owner, dma_addr_t *dma)
{
	dma_addr_t *dp = a->want_dma ? dma : NULL;

	switch (a->form) {
	case 0: return gen_pool_alloc(m.pool, a->size);
	case 1: return gen_pool_alloc_owner(m.pool, a->size, owner);
	case 2: return gen_pool_alloc_algo(m.pool, a->size, a->fn, a->data);
	case 3: return gen_pool_alloc_algo_owner(m.pool, a->size, a->fn, a->data, owner);
	case 4: return (unsigned long)gen_pool_dma_alloc(m.pool, a->size, dp);
	case 5: return (unsigned long)gen_pool_dma_alloc_algo(m.pool, a->size, dp, a->fn, a->data);
	default: return (unsigned long)gen_pool_dma_alloc_align(m.pool, a->size, dp, a->align);
	}
}

/* The algorithm call @a uses, as the reference sees it. */
static struct fz_algo alloc_algo(const struct alloc_call *a)
{
	union fz_data d;

	switch (a->form) {
	case 0:
	case 1:
	case 4:
		/* the pool's pair, its data as it reads now (EINVAL while invalid) */
		return fz_resolve(m.def_fn, m.def_data, m.order);
	case 6:
		d.align.align = a->align;
		return fz_resolve(gen_pool_first_fit_align, &d, m.order);
	default:
		return fz_resolve(a->fn, a->fn ? a->data : NULL, m.order);
	}
}

static void op_alloc(struct fz_in *in)
{
	union fz_data data;
	struct alloc_call a = { .form = fz_u8(in) % 7 };
	unsigned long nr, bit = 0, got, want = 0;
	struct fz_algo algo;
	void *owner = &owner_tag[0];
	dma_addr_t dma = 0x5a5a;
	unsigned int ci = 0;
	int want_err = 0, err;

	a.fn = algos[fz_u8(in) % N_ALGOS];
	a.data = gen_data(in, a.form == 6 ? gen_pool_first_fit_align : a.fn, &data);
	a.align = a.data ? a.data->align.align : 0;
	a.want_dma = fz_u8(in) & 1;
	a.size = gen_size(in);

	nr = fz_granules(a.size, m.order);
	algo = alloc_algo(&a);
	if (!nr || algo.kind == FZ_BAD)
		want_err = EINVAL;
	else if (model_fit(nr, &algo, &ci, &bit))
		want = m.c[ci].start + bit * m.g;
	else
		want_err = ENOMEM;
	if (algo.kind == FZ_SCALABLE)
		gp_tls_slot = 1 + fz_u8(in); /* run as the thread of that slot */

	fz_const_nr = nr;
	fz_rep_reset();
	errno = 0;
	got = call_alloc(&a, &owner, &dma);
	err = errno;
	if (algo.kind == FZ_SCALABLE && want && got) {
		/* first fit's chunk, the run from the slot's start in it */
		const struct mchunk *c = &m.c[ci];
		unsigned long gb = (got - c->start) >> m.order;

		FZ_CHECK(got >= c->start && !((got - c->start) & (m.g - 1)) && gb < c->nbits,
			 "scalable fit of %lu granules (slot %u) returned 0x%lx, first fit's chunk is "
			 "0x%lx/%lu granules", nr, gp_tls_slot - 1, got, c->start, c->nbits);
		fz_runlen(c->map, c->nbits);
		FZ_CHECK(fz_scalable_ok(c->nbits, nr, bit, gb, gp_tls_slot - 1),
			 "scalable fit of %lu granules (slot %u) in chunk 0x%lx returned bit %lu, "
			 "not the lowest free run from the slot's start %lu (first fit: %lu)", nr,
			 gp_tls_slot - 1, c->start, gb, gp_scalable_start(c->nbits, gp_tls_slot - 1),
			 bit);
		bit = gb;
		want = got;
	}
	FZ_CHECK(got == want,
		 "alloc form %d algo %d/%lu size %zu (%lu granules, order %d): got 0x%lx, model "
		 "0x%lx (errno %d)", a.form, (int)algo.kind, algo.arg, a.size, nr, m.order, got,
		 want, want_err);
	if (!want)
		FZ_CHECK(err == want_err, "alloc form %d size %zu failed with errno %d, not %d",
			 a.form, a.size, err, want_err);
	/* EINVAL is a refusal (reported); ENOMEM a result (not reported) */
	fz_expect_report(want_err == EINVAL ? EINVAL : 0, "alloc");
	if (a.form == 1 || a.form == 3)
		FZ_CHECK(owner == (want ? m.c[ci].owner : NULL),
			 "alloc form %d: *owner %p, expected %p", a.form, owner,
			 want ? m.c[ci].owner : NULL);
	if (want && a.want_dma && a.form >= 4)
		FZ_CHECK(dma == m.c[ci].phys + (want - m.c[ci].start),
			 "dma alloc at 0x%lx: *dma 0x%llx, chunk phys 0x%llx + offset", want,
			 (unsigned long long)dma, (unsigned long long)m.c[ci].phys);
	m.st.refused += want_err == EINVAL;
	m.st.failed += want_err == ENOMEM;
	if (want) {
		m.st.allocs++;
		m.st.live += nr;
		m.st.peak = m.st.live > m.st.peak ? m.st.live : m.st.peak;
		fz_assign(m.c[ci].map, bit, nr, true);
		if (strict()) {
			m.c[ci].alen[bit] = (unsigned int)nr;
			fz_assign(m.c[ci].starts, bit, 1, true);
			fz_assign(m.c[ci].ends, bit + nr - 1, 1, true);
		}
		rec_add(want, a.size);
	}
	check_model("alloc");
}

/* ------------------------------------------------------------------------ */
/* free                                                                     */

/* What api.md says freeing [addr, addr + size) returns, with its chunk and bit. */
static int expect_free(unsigned long addr, size_t size, struct mchunk **cp, unsigned long *bit)
{
	unsigned long nr = fz_granules(size, m.order), off;
	struct mchunk *c = model_find(addr);

	*cp = c;
	if (!nr || !c)
		return -EINVAL;
	off = addr - c->start;
	if (off & (m.g - 1))
		return -EINVAL;
	*bit = off >> m.order;
	if (nr > c->nbits - *bit)
		return -EINVAL;
	if (strict())
		return c->alen[*bit] == nr ? 0 : -EINVAL;
	return fz_run_set(c->map, c->nbits, *bit, nr) ? 0 : -EINVAL;
}

/* A free: of a record, resized, partial, doubled, foreign, or of an odd size. */
static void gen_free(struct fz_in *in, unsigned long *addr, size_t *size)
{
	uint8_t k = fz_u8(in) & 7, j = fz_u8(in);
	struct rec *r = m.nrec ? &m.rec[fz_u8(in) % m.nrec] : NULL;
	unsigned long granules;

	if (!r || k == 6) {
		*addr = gen_addr(in);
		*size = gen_size(in);
		return;
	}
	*addr = r->addr;
	*size = r->size;
	granules = fz_granules(r->size, m.order);
	switch (k) {
	case 1: /* same granules, another byte count */
		*size = granules * m.g - j % m.g;
		break;
	case 2: /* wrong size */
		*size = j & 1 ? *size + (1 + j % 4) * m.g : (*size > m.g ? *size - m.g : 0);
		break;
	case 3: /* part of it */
		*addr += (j % granules) * m.g;
		*size = (1 + (j >> 4) % granules) * m.g;
		break;
	case 4: /* again, once freed: pick a dead record */
		for (unsigned int i = 0; i < m.nrec; i++)
			if (!m.rec[(j + i) % m.nrec].live) {
				r = &m.rec[(j + i) % m.nrec];
				*addr = r->addr;
				*size = r->size;
				break;
			}
		break;
	case 5: /* an unaligned address inside it */
		*addr += 1 + j % (m.g > 1 ? m.g - 1 : 1);
		break;
	case 7: /* an odd size */
		*size = (size_t[]){ 0, SIZE_MAX, ((unsigned long)UINT_MAX + 1) * m.g,
				    ULONG_MAX - m.g + 2 }[j % 4];
		break;
	}
}

static void op_free(struct fz_in *in)
{
	bool with_owner = fz_u8(in) & 1;
	void *owner = &owner_tag[1];
	struct mchunk *c = NULL;
	unsigned long addr, bit = 0;
	size_t size;
	int want, r;

	gen_free(in, &addr, &size);
	want = expect_free(addr, size, &c, &bit);
	fz_rep_reset();
	r = with_owner ? gen_pool_free_owner(m.pool, addr, size, &owner)
		       : gen_pool_free(m.pool, addr, size);
	FZ_CHECK(r == want, "gen_pool_free(0x%lx, %zu) = %d, model %d (order %d, %s)", addr, size,
		 r, want, m.order, strict() ? "strict" : "non-strict");
	fz_expect_report(-r, "gen_pool_free");
	if (with_owner)
		FZ_CHECK(owner == (r ? NULL : c->owner), "free_owner: *owner %p, expected %p",
			 owner, r ? NULL : c->owner);
	m.st.refused += r != 0;
	if (r == 0) {
		unsigned long nr = fz_granules(size, m.order);

		m.st.frees++;
		m.st.live -= nr;
		fz_assign(c->map, bit, nr, false);
		if (strict()) {
			c->alen[bit] = 0;
			fz_assign(c->starts, bit, 1, false);
			fz_assign(c->ends, bit + nr - 1, 1, false);
		}
		for (unsigned int i = 0; i < m.nrec; i++)
			if (m.rec[i].addr == addr)
				m.rec[i].live = false;
	}
	check_model("free");
}

/* ------------------------------------------------------------------------ */
/* set_algo, queries, for_each_chunk, destroy, create                       */

/*
 * set_algo installs the pair as given; invalid data is reported, and the
 * pool's allocations fail with EINVAL while it stays so. With the selector's
 * high bit the caller instead rewrites, in place, the struct the pool holds
 * (correcting or spoiling it): no call, and the next allocation reads it.
 */
static void op_set_algo(struct fz_in *in)
{
	uint8_t k = fz_u8(in);
	genpool_algo_t fn = algos[k % N_ALGOS];
	union fz_data *spare = m.def_data == &m.slot[0] ? &m.slot[1] : &m.slot[0];
	union fz_data *data;
	struct fz_algo a;

	if ((k & 0x80) && m.def_data) {
		gen_data(in, m.def_fn, m.def_data);
		check_model("rewriting the default's data");
		return;
	}
	data = gen_data(in, fn, spare);
	a = fz_resolve(fn, fn ? data : NULL, m.order);
	fz_rep_reset();
	gen_pool_set_algo(m.pool, fn, data);
	fz_expect_report(a.kind == FZ_BAD ? EINVAL : 0, "gen_pool_set_algo");
	m.st.refused += a.kind == FZ_BAD; /* reported: counted as refused */
	m.def_fn = fn ? fn : gen_pool_first_fit;
	m.def_data = fn ? data : NULL;
	check_model("set_algo");
}

static void op_query(struct fz_in *in)
{
	unsigned long addr = gen_addr(in);
	const struct mchunk *c = model_find(addr);
	size_t size = fz_u8(in) & 1 ? gen_size(in) : fz_edge(in, m.g);
	phys_addr_t phys, want_phys = c ? c->phys + (addr - c->start) : (phys_addr_t)-1;
	unsigned long last = size ? addr + size - 1 : addr; /* size 0: the kernel's answer */
	bool has, want_has = false;

	for (unsigned int i = 0; i < m.n && last >= addr; i++)
		want_has |= addr >= m.c[i].start && last <= m.c[i].start + m.c[i].nbits * m.g - 1;
	fz_rep_reset();
	has = gen_pool_has_addr(m.pool, addr, size);
	phys = gen_pool_virt_to_phys(m.pool, addr);
	fz_expect_report(0, "has_addr/virt_to_phys");
	FZ_CHECK(has == want_has, "gen_pool_has_addr(0x%lx, %zu) = %d, model %d", addr, size, has,
		 want_has);
	FZ_CHECK(phys == want_phys, "gen_pool_virt_to_phys(0x%lx) = 0x%llx, model 0x%llx", addr,
		 (unsigned long long)phys, (unsigned long long)want_phys);
}

struct inside_arg {
	struct fz_in *in;
	unsigned int at;
};

/* Inside for_each_chunk (an RCU read-side section): one nested operation. */
static void walk_inside(struct gen_pool *pool, unsigned int i, void *arg)
{
	struct inside_arg *ia = arg;

	(void)pool;
	if (i == ia->at)
		op(ia->in, true);
}

static void op_walk(struct fz_in *in)
{
	static struct fz_pool_snap s;
	struct inside_arg ia = { in, fz_u8(in) % (MAX_CHUNKS + 1) };
	struct fz_walk w = { .pool = m.pool, .inside = walk_inside, .arg = &ia };

	fz_rep_reset();
	gen_pool_for_each_chunk(m.pool, fz_walk_cb, &w);
	fz_expect_report(0, "gen_pool_for_each_chunk");
	fz_snap(m.pool, &s);
	fz_walk_check(&w, &s);
	check_model("for_each_chunk");
}

static void new_pool(struct fz_in *in)
{
	int order = fz_u8(in) % 14;
	unsigned int flags = fz_pool_flags(fz_u8(in));
	struct gen_pool *pool;

	fz_rep_reset();
	pool = flags ? gen_pool_create_flags(order, -1, flags) : gen_pool_create(order, -1);
	FZ_CHECK(pool, "gen_pool_create_flags(%d, -1, %u) failed: errno %d", order, flags, errno);
	fz_expect_report(0, "gen_pool_create");
	model_reset(pool, order, flags);
	check_model("create");
}

static void op_destroy(struct fz_in *in)
{
	bool busy = model_busy();
	int r;

	if (fz_u8(in) & 1) {
		fz_drain_destroy(m.pool); /* frees all, checking each free */
		new_pool(in);
		return;
	}
	fz_rep_reset();
	r = gen_pool_destroy(m.pool);
	FZ_CHECK(r == (busy ? -EBUSY : 0), "gen_pool_destroy = %d with the pool %s", r,
		 busy ? "busy" : "empty");
	fz_expect_report(busy ? EBUSY : 0, "gen_pool_destroy");
	if (busy)
		check_model("destroy refused"); /* intact and usable */
	else
		new_pool(in);
}

static void op_bad_create(struct fz_in *in)
{
	static const int orders[] = { -1, (int)FZ_BITS_PER_LONG, INT_MIN, INT_MAX, 100 };
	uint8_t k = fz_u8(in);
	int order = k & 1 ? orders[k % 5] : k % 14;
	/* combinations that are refused: two lock flags, a lock with caches */
	static const unsigned int refused[] = {
		GEN_POOL_STRICT | 0x80000000u,
		GEN_POOL_SPINLOCK | GEN_POOL_THREAD_CACHE,
		GEN_POOL_LOCK_TICKET | GEN_POOL_THREAD_CACHE,
		GEN_POOL_LOCK_MCS | GEN_POOL_THREAD_CACHE | GEN_POOL_STRICT,
		GEN_POOL_SPINLOCK | GEN_POOL_LOCK_TICKET,
		GEN_POOL_LOCK_TICKET | GEN_POOL_LOCK_MCS,
		GEN_POOL_SPINLOCK | GEN_POOL_LOCK_MCS | GEN_POOL_STRICT,
	};
	/* a flag bit no GEN_POOL_* flag uses, or a combination that is refused */
	unsigned int flags = k & 2 ? 1u << (5 + k % 27) : 0;
	int nid = (k & 5) == 4 ? -2 - k : -1;
	struct gen_pool *p;

	_Static_assert(GP_KNOWN_FLAGS < 32, "the unknown flag bits above start at bit 5");
	if (!(k & 1) && !flags && nid == -1)
		flags = refused[(k >> 2) % (sizeof(refused) / sizeof(refused[0]))];
	fz_rep_reset();
	errno = 0;
	p = gen_pool_create_flags(order, nid, flags);
	FZ_CHECK(!p && errno == EINVAL, "gen_pool_create_flags(%d, %d, 0x%x) = %p errno %d", order,
		 nid, flags, (void *)p, errno);
	fz_expect_report(EINVAL, "gen_pool_create_flags");
}

/* One operation; @nested inside for_each_chunk, where the chunk list must not change. */
static void op(struct fz_in *in, bool nested)
{
	uint8_t k = fz_u8(in) % 16;

	m.ops++;
	if (nested && (k < 2 || k >= 13))
		k = 2 + k % 11; /* no add, walk or destroy while walking */
	switch (k) {
	case 0:
	case 1:
		op_add(in);
		break;
	case 2:
	case 3:
	case 4:
	case 5:
		op_alloc(in);
		break;
	case 6:
	case 7:
	case 8:
	case 9:
		op_free(in);
		break;
	case 10:
		op_set_algo(in);
		break;
	case 11:
	case 12:
		op_query(in);
		break;
	case 13:
		op_walk(in);
		break;
	case 14:
		op_destroy(in);
		break;
	default:
		op_bad_create(in);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };

	gp_tls_slot = 1; /* slot 0, whatever the previous input left: reproducible */
	new_pool(&in);
	while (fz_more(&in) && m.ops < MAX_OPS)
		op(&in, false);
	fz_drain_destroy(m.pool);
	return 0;
}
