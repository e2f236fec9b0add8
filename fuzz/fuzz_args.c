// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz_args.c - libFuzzer target: every public entry point called with
 * arbitrary integer, size, address, order, node, flag and algorithm-data
 * values. Pointers are only what the contract allows: NULL or a valid pool
 * (or owner, chunk, output variable, NUL-terminated name).
 *
 * Each call is checked against api.md from a snapshot of the pool's
 * internal state taken just before it: a call api.md refuses must return
 * its documented error (errno for address and pointer returns), be
 * reported exactly once to the handler, and leave the pool exactly as it
 * was: size, avail, default algorithm, and every chunk's fields, bitmap and
 * boundary maps. An accepted call must make exactly the change it promises
 * (for allocations: the run the algorithm's reference picks, and nothing
 * else). Sanitizers catch the rest. Scalable fit is the exception: it runs
 * as the thread of a fuzzed slot (gp_tls_slot), and must land in the chunk
 * first fit picks, on the run fz_scalable_ok predicts. Every snapshot checks
 * the summaries (exact: invariant S) and gen_pool_avail against the bitmaps.
 *
 * Pools: P holds address-only chunks at fuzzed addresses; B holds one chunk
 * over a real buffer, so the zeroing allocators can run (on B only) and be
 * checked to zero exactly the bytes asked for.
 *
 * Chunks are limited to FZ_MAX_BITS granules so snapshots stay cheap: a
 * larger valid add is shrunk, except one whose bitmap could not be
 * allocated at all (over 2^41 bytes), which must fail with ENOMEM. That
 * case relies on ASan's allocator returning NULL (options set below), so
 * other builds shrink it too.
 *
 * Input layout: 4 header bytes (P's order, mostly 0..12, and flags; B's
 * order 0..12 and flags), then calls, each an opcode byte and its arguments.
 */
#include <numa.h>

#include "fuzz_common.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif

#define MAX_LIVE 32
#define MAX_OPS 1000
#define MAX_OWNERS 4
#define MAX_MPOOLS 4
#define NAME_LEN 8
#define BACKING (32 * 1024)
#define HUGE_BITMAP (1ULL << 41) /* above ASan's largest allocation: calloc fails */

#ifdef FZ_ASAN
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	/* over 1 GiB fails quietly with NULL, as calloc may */
	return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}
#endif

static unsigned char backing[BACKING] __attribute__((aligned(4096)));
static char owner_tag[4];

/* A pool under test and what the fuzzer keeps for it. */
struct tpool {
	struct gen_pool *pool;
	int order;
	unsigned int flags;
	bool backed;
	union fz_data slot[2]; /* set_algo data: the pool keeps the pointer */
	struct {
		unsigned long addr;
		size_t size;
	} live[MAX_LIVE];
	unsigned int nlive;
};

static struct tpool tp[2]; /* P, B */

/* The managed-pool registry as the fuzzer expects it. */
struct mowner {
	struct gen_pool_owner *o;
	char name[NAME_LEN + 1];
	unsigned int n;
	struct {
		struct gen_pool *pool;
		bool named;
		char name[NAME_LEN + 1];
		unsigned long out; /* address allocated from it, or 0 */
		bool has_chunk;
	} p[MAX_MPOOLS];
};

static struct {
	struct mowner o[MAX_OWNERS];
	unsigned int n;
} reg;

static unsigned int nops;

static const genpool_algo_t algos[] = {
	NULL, gen_pool_first_fit, gen_pool_best_fit, gen_pool_first_fit_align,
	gen_pool_first_fit_order_align, gen_pool_fixed_alloc, fz_const_algo,
	gen_pool_scalable_fit,
};
#define N_ALGOS (sizeof(algos) / sizeof(algos[0]))

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static unsigned long gran(const struct tpool *t)
{
	return 1UL << t->order;
}

/* P, B, or NULL (the pool argument may be NULL: api.md says what happens). */
static struct tpool *pick(struct fz_in *in, bool allow_b)
{
	uint8_t k = fz_u8(in) & 7;

	if (k == 0)
		return NULL;
	return allow_b && k >= 5 ? &tp[1] : &tp[0];
}

static struct gen_pool *pool_of(const struct tpool *t)
{
	return t ? t->pool : NULL;
}

/*
 * Node @nid for metadata: 1 valid, 0 refused, -1 either (a node number on a
 * system without NUMA support, where api.md does not say).
 */
static int nid_valid(int nid)
{
	if (nid == -1)
		return 1;
	if (nid < -1)
		return 0;
	if (numa_available() < 0)
		return -1;
	return nid <= numa_max_node();
}

static void live_add(struct tpool *t, unsigned long addr, size_t size)
{
	unsigned int i = t->nlive < MAX_LIVE ? t->nlive++ : nops % MAX_LIVE;

	t->live[i].addr = addr;
	t->live[i].size = size;
}

/* Algorithm data with fuzzed contents (often granule multiples); NULL sometimes. */
static union fz_data *gen_data(struct fz_in *in, union fz_data *d, unsigned long g)
{
	uint8_t k = fz_u8(in);

	d->raw[0] = fz_edge(in, g);
	d->raw[1] = fz_edge(in, g);
	if (k & 1)
		d->align.align = fz_edge_int(in);
	if (k & 2)
		d->bit = fz_u16(in) % (FZ_MAX_BITS + 8);
	return (k & 12) == 12 ? NULL : d;
}

/* A fuzzed name: short, from an alphabet that makes collisions and '/' common. */
static const char *gen_name(struct fz_in *in, char *buf)
{
	uint8_t k = fz_u8(in);
	unsigned int len = k % (NAME_LEN + 1);

	if (k >= 240)
		return NULL;
	for (unsigned int i = 0; i < len; i++)
		buf[i] = "ab/c"[fz_u8(in) % 4];
	buf[len] = '\0';
	return buf;
}

/* ------------------------------------------------------------------------ */
/* Pool setup and teardown                                                  */

static void make_pool(struct tpool *t, int order, unsigned int flags, bool backed)
{
	memset(t, 0, sizeof(*t));
	t->order = order;
	t->flags = flags;
	t->backed = backed;
	t->pool = gen_pool_create_flags(order, -1, flags);
	FZ_CHECK(t->pool, "gen_pool_create_flags(%d, -1, %u) failed", order, flags);
	if (backed) {
		size_t size = FZ_MAX_BITS << order;

		if (size > sizeof(backing))
			size = sizeof(backing);
		FZ_CHECK(gen_pool_add_virt(t->pool, (unsigned long)backing, 0x40000000UL, size,
					   -1) == 0,
			 "cannot add the backing buffer");
	}
}

/* ------------------------------------------------------------------------ */
/* gen_pool_create, gen_pool_destroy                                        */

static void op_create(struct fz_in *in)
{
	int order = fz_edge_int(in), nid = fz_edge_int(in);
	unsigned int flags = fz_u8(in) & 1 ? (unsigned int)fz_edge(in, 1) : fz_u8(in) & 31;
	bool plain = fz_u8(in) & 1;
	int nv, want;
	struct gen_pool *p;

	if (fz_u8(in) & 1)
		order &= 127; /* often in range */
	if (fz_u8(in) & 1)
		nid = nid % 3 - 1;
	if (plain)
		flags = 0;
	nv = nid_valid(nid);
	want = order < 0 || order >= (int)FZ_BITS_PER_LONG || !fz_flags_valid(flags) || !nv
		       ? EINVAL
		       : 0;
	fz_rep_reset();
	errno = 0;
	p = plain ? gen_pool_create(order, nid) : gen_pool_create_flags(order, nid, flags);
	if (!p && nv < 0 && !want && errno == EINVAL)
		want = EINVAL; /* refusing an unknown node is allowed too */
	if (want) {
		FZ_CHECK(!p && errno == want, "create(%d, %d, 0x%x) = %p errno %d, expected %d",
			 order, nid, flags, (void *)p, errno, want);
		fz_expect_report_by(want, plain ? "gen_pool_create" : "gen_pool_create_flags");
		return;
	}
	FZ_CHECK(p, "create(%d, %d, 0x%x) failed with errno %d", order, nid, flags, errno);
	fz_expect_report(0, "gen_pool_create");
	FZ_CHECK(p->min_alloc_order == order && p->flags == flags, "create: wrong order/flags");
	FZ_CHECK(gen_pool_size(p) == 0 && gen_pool_avail(p) == 0 && !gen_pool_name(p) &&
			 !gen_pool_alloc(p, 1) && errno == ENOMEM,
		 "create: a new pool is not empty");
	fz_expect_report(0, "new pool queries");
	FZ_CHECK(gen_pool_destroy(p) == 0, "destroy of a new pool failed");
	fz_expect_report(0, "gen_pool_destroy");
}

static void op_destroy(struct fz_in *in)
{
	struct tpool *t = pick(in, true);
	static struct fz_pool_snap a, b;
	bool busy;
	int r;

	if (!t) {
		fz_rep_reset();
		FZ_CHECK(gen_pool_destroy(NULL) == 0, "gen_pool_destroy(NULL) != 0");
		fz_expect_report(0, "gen_pool_destroy(NULL)");
		return;
	}
	fz_snap(t->pool, &a);
	busy = a.avail != a.size;
	fz_rep_reset();
	r = gen_pool_destroy(t->pool);
	FZ_CHECK(r == (busy ? -EBUSY : 0), "gen_pool_destroy = %d with %zu of %zu bytes free", r,
		 a.avail, a.size);
	fz_expect_report(busy ? EBUSY : 0, "gen_pool_destroy");
	if (busy) {
		fz_snap(t->pool, &b);
		fz_snap_equal(&a, &b, "gen_pool_destroy (busy)");
		return;
	}
	make_pool(t, t->order, t->flags, t->backed);
}

/* ------------------------------------------------------------------------ */
/* gen_pool_add*                                                            */

struct add_call {
	int form; /* 0 add, 1 add_virt, 2 add_owner */
	unsigned long addr;
	size_t size;
	phys_addr_t phys;
	int nid;
	void *owner;
};

/* Bytes the chunk's bitmaps need: what a correct gen_pool_add must allocate. */
static unsigned __int128 bitmap_bytes(const struct tpool *t, unsigned long nbits)
{
	unsigned int maps = (t->flags & (GEN_POOL_STRICT | GEN_POOL_THREAD_CACHE)) ? 3 : 1;

	return (unsigned __int128)maps * ((nbits + (unsigned __int128)63) / 64) * 8;
}

static bool overlaps(const struct fz_pool_snap *s, unsigned long first, unsigned long last)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (first <= s->c[i].end && last >= s->c[i].start)
			return true;
	return false;
}

/*
 * What api.md says the add returns: *want, and *alt another allowed value
 * when two errors apply at once (api.md does not rank them) or 1 for none.
 * May shrink a valid chunk to FZ_MAX_BITS (see the header comment). False
 * when the call must be skipped: valid, but the pool has enough chunks.
 */
static bool expect_add(struct tpool *t, const struct fz_pool_snap *s, struct add_call *c,
		       int *want, int *alt)
{
	unsigned long g, nbits, last;
	int nv = nid_valid(c->nid);

	*alt = 1;
	if (!t || !c->size || !c->addr || c->addr + (c->size - 1) < c->addr ||
	    !(c->size >> t->order) || !nv) {
		*want = -EINVAL;
		return true;
	}
	g = gran(t);
	nbits = c->size >> t->order;
	if (nv < 0)
		*alt = -EINVAL;
	if (nbits > FZ_MAX_BITS) {
#ifdef FZ_ASAN
		if (bitmap_bytes(t, nbits) > HUGE_BITMAP) {
			c->nid = -1; /* calloc, which ASan makes fail; libnuma might not */
			*want = -ENOMEM;
			*alt = overlaps(s, c->addr, c->addr + (nbits << t->order) - 1) ? -EEXIST
										    : 1;
			return true;
		}
#endif
		c->size = ((nbits % FZ_MAX_BITS + 1) << t->order) | (c->size & (g - 1));
		nbits = c->size >> t->order;
	}
	last = c->addr + (nbits << t->order) - 1;
	if (overlaps(s, c->addr, last)) {
		*want = -EEXIST;
		return true;
	}
	*want = 0;
	return s->n < FZ_MAX_CHUNKS;
}

static const char *const add_name[] = { "gen_pool_add", "gen_pool_add_virt",
					 "gen_pool_add_owner" };

static int call_add(struct gen_pool *pool, const struct add_call *c)
{
	switch (c->form) {
	case 0: return gen_pool_add(pool, c->addr, c->size, c->nid);
	case 1: return gen_pool_add_virt(pool, c->addr, c->phys, c->size, c->nid);
	default: return gen_pool_add_owner(pool, c->addr, c->phys, c->size, c->nid, c->owner);
	}
}

/* After a successful add: the new chunk first, exactly as asked; the rest as before. */
static void check_added(const struct tpool *t, const struct fz_pool_snap *a,
			const struct fz_pool_snap *b, const struct add_call *c)
{
	static struct fz_pool_snap want;
	struct fz_chunk_snap *n = &want.c[0];
	unsigned long nbits = c->size >> t->order;

	want = *a;
	memmove(&want.c[1], &want.c[0], a->n * sizeof(want.c[0]));
	want.n = a->n + 1;
	memset(n, 0, sizeof(*n));
	n->self = b->c[0].self;
	n->start = c->addr;
	n->nbits = nbits;
	n->end = c->addr + (nbits << t->order) - 1;
	n->free = nbits;
	n->phys = c->form == 0 ? (phys_addr_t)-1 : c->phys;
	n->owner = c->form == 2 ? c->owner : NULL;
	n->strict = t->flags & (GEN_POOL_STRICT | GEN_POOL_THREAD_CACHE);
	n->words = fz_words(nbits);
	n->sum_words = fz_sum_words(nbits);
	fz_sum_compute(n, n->sum); /* all free: only the padding bits are set */
	want.size += nbits << t->order;
	want.avail += nbits << t->order;
	fz_snap_equal(&want, b, "gen_pool_add");
}

static void op_add(struct fz_in *in)
{
	static struct fz_pool_snap a, b;
	struct tpool *t = pick(in, false);
	unsigned long g = t ? gran(t) : 1;
	struct add_call c;
	int want, alt, r;

	/* one statement each: initialiser expressions are not sequenced */
	c.form = fz_u8(in) % 3;
	c.addr = fz_edge(in, g);
	c.size = fz_edge(in, g);
	c.phys = fz_edge(in, g);
	c.nid = fz_u8(in) & 1 ? fz_edge_int(in) : -1;
	c.owner = fz_u8(in) & 1 ? &owner_tag[2] : NULL;

	if (t)
		fz_snap(t->pool, &a);
	if (!expect_add(t, &a, &c, &want, &alt))
		return;
	fz_rep_reset();
	r = call_add(pool_of(t), &c);
	FZ_CHECK(r == want || r == alt,
		 "gen_pool_add form %d (0x%lx, %zu, nid %d) on order %d = %d, expected %d%s", c.form,
		 c.addr, c.size, c.nid, t ? t->order : -1, r, want,
		 want == -ENOMEM && r == 0 ? ": a chunk whose bitmap cannot exist was accepted"
					   : "");
	if (r == -ENOMEM)
		FZ_CHECK(fz_rep.calls <= 1, "gen_pool_add: ENOMEM reported %d times", fz_rep.calls);
	else
		fz_expect_report_by(-r, add_name[c.form]);
	fz_rep_reset();
	if (!t)
		return;
	fz_snap(t->pool, &b);
	if (r)
		fz_snap_equal(&a, &b, "gen_pool_add (refused)");
	else
		check_added(t, &a, &b, &c);
}

/* ------------------------------------------------------------------------ */
/* Allocation                                                               */

struct alloc_call {
	int form; /* 0..6 as below; 7..9 the zeroing ones (B only) */
	size_t size;
	genpool_algo_t fn;
	union fz_data *data;
	int align;
	void **owner;
	dma_addr_t *dma;
};

/* The public call of each form, which a refusal must name. */
static const char *const alloc_name[] = {
	"gen_pool_alloc", "gen_pool_alloc_owner", "gen_pool_alloc_algo",
	"gen_pool_alloc_algo_owner", "gen_pool_dma_alloc", "gen_pool_dma_alloc_algo",
	"gen_pool_dma_alloc_align", "gen_pool_dma_zalloc", "gen_pool_dma_zalloc_algo",
	"gen_pool_dma_zalloc_align",
};

static unsigned long call_alloc(struct gen_pool *pool, const struct alloc_call *a)
{
	switch (a->form) {
	case 0: return gen_pool_alloc(pool, a->size);
	case 1: return gen_pool_alloc_owner(pool, a->size, a->owner);
	case 2: return gen_pool_alloc_algo(pool, a->size, a->fn, a->data);
	case 3: return gen_pool_alloc_algo_owner(pool, a->size, a->fn, a->data, a->owner);
	case 4: return (unsigned long)gen_pool_dma_alloc(pool, a->size, a->dma);
	case 5: return (unsigned long)gen_pool_dma_alloc_algo(pool, a->size, a->dma, a->fn, a->data);
	case 6: return (unsigned long)gen_pool_dma_alloc_align(pool, a->size, a->dma, a->align);
	case 7: return (unsigned long)gen_pool_dma_zalloc(pool, a->size, a->dma);
	case 8: return (unsigned long)gen_pool_dma_zalloc_algo(pool, a->size, a->dma, a->fn, a->data);
	default: return (unsigned long)gen_pool_dma_zalloc_align(pool, a->size, a->dma, a->align);
	}
}

static bool uses_default(int form)
{
	return form == 0 || form == 1 || form == 4 || form == 7;
}

static bool uses_align(int form)
{
	return form == 6 || form == 9;
}

/* The algorithm the call runs, as the reference sees it. */
static struct fz_algo alloc_algo(const struct fz_pool_snap *s, const struct alloc_call *a)
{
	union fz_data d;

	if (uses_default(a->form))
		return fz_resolve(s->algo, s->data, s->order);
	if (uses_align(a->form)) {
		memset(&d, 0, sizeof(d));
		d.align.align = a->align;
		return fz_resolve(gen_pool_first_fit_align, &d, s->order);
	}
	return fz_resolve(a->fn, a->fn ? a->data : NULL, s->order);
}

/* Chunk index and bit the reference picks in @s, or false for no room. */
static bool ref_fit(const struct fz_pool_snap *s, unsigned long nr, const struct fz_algo *algo,
		    unsigned int *ci, unsigned long *bit)
{
	for (unsigned int i = 0; i < s->n; i++) {
		const struct fz_chunk_snap *c = &s->c[i];

		if (c->free < nr)
			continue; /* cannot fit: the pool finds so in its search */
		*bit = fz_fit(c->bits, c->nbits, c->start, s->order, nr, algo);
		if (*bit != FZ_NOFIT) {
			*ci = i;
			return true;
		}
	}
	return false;
}

/* @want with [bit, bit + nr) of chunk @ci set (@set) or cleared, as a claim/free does. */
static void apply(struct fz_pool_snap *want, unsigned int ci, unsigned long bit,
		  unsigned long nr, bool set)
{
	struct fz_chunk_snap *c = &want->c[ci];
	unsigned long bytes = nr << want->order;

	fz_assign(c->bits, bit, nr, set);
	if (c->strict) {
		fz_assign(c->starts, bit, 1, set);
		fz_assign(c->ends, bit + nr - 1, 1, set);
	}
	c->free += set ? -nr : nr;
	fz_sum_compute(c, c->sum);
	want->avail += set ? -bytes : bytes;
}

/* Zeroing allocators on B: exactly [addr, addr + size) became zero. */
static void check_zeroed(unsigned long addr, size_t size)
{
	unsigned long lo = (unsigned long)backing;

	FZ_CHECK(addr >= lo && addr + size <= lo + sizeof(backing),
		 "zalloc returned 0x%lx + %zu outside the backing buffer", addr, size);
	for (unsigned long i = 0; i < sizeof(backing); i++) {
		bool in = lo + i >= addr && lo + i < addr + size;

		FZ_CHECK(backing[i] == (in ? 0 : 0xa5),
			 "zalloc at 0x%lx + %zu: byte %lu of the buffer is 0x%02x", addr, size, i,
			 backing[i]);
	}
}

static void op_alloc(struct fz_in *in, bool zeroing)
{
	static struct fz_pool_snap a, b, want;
	struct tpool *t = zeroing ? (fz_u8(in) & 3 ? &tp[1] : NULL) : pick(in, true);
	void *owner = &owner_tag[3];
	dma_addr_t dma = 0x5a5a;
	unsigned long g = t ? gran(t) : 1, nr, got, bit = 0, addr = 0;
	struct fz_algo algo = { FZ_FIRST, 0 };
	union fz_data data;
	struct alloc_call c;
	unsigned int ci = 0;
	int want_err = 0, err;

	c.form = zeroing ? 7 + fz_u8(in) % 3 : fz_u8(in) % 7;
	c.fn = algos[fz_u8(in) % N_ALGOS];
	c.data = gen_data(in, &data, g);
	c.align = fz_u8(in) & 1 ? fz_edge_int(in) : 1 << (fz_u8(in) % 31);
	c.size = fz_edge(in, g);
	c.owner = fz_u8(in) & 1 ? &owner : NULL;
	c.dma = fz_u8(in) & 1 ? &dma : NULL;
	nr = t ? fz_granules(c.size, t->order) : 0;
	if (t) {
		fz_snap(t->pool, &a);
		algo = alloc_algo(&a, &c);
	}
	if (!t || !nr || algo.kind == FZ_BAD)
		want_err = EINVAL;
	else if (ref_fit(&a, nr, &algo, &ci, &bit))
		addr = a.c[ci].start + (bit << t->order);
	else
		want_err = ENOMEM;
	if (zeroing)
		memset(backing, 0xa5, sizeof(backing));
	if (algo.kind == FZ_SCALABLE)
		gp_tls_slot = 1 + fz_u8(in); /* run as the thread of that slot */

	fz_const_nr = nr;
	fz_rep_reset();
	errno = 0;
	got = call_alloc(pool_of(t), &c);
	err = errno;
	if (algo.kind == FZ_SCALABLE && addr && got) {
		/* first fit's chunk; within it, the run from the slot's start */
		const struct fz_chunk_snap *sc = &a.c[ci];
		unsigned long gb = (got - sc->start) >> t->order;

		FZ_CHECK(got >= sc->start && !((got - sc->start) & (g - 1)) && gb < sc->nbits,
			 "scalable fit of %lu granules returned 0x%lx outside first fit's chunk "
			 "0x%lx", nr, got, sc->start);
		fz_runlen(sc->bits, sc->nbits);
		FZ_CHECK(fz_scalable_ok(sc->nbits, nr, bit, gb, gp_tls_slot - 1),
			 "scalable fit of %lu granules in chunk 0x%lx returned bit %lu (first fit "
			 "%lu, the slot's start %lu)", nr, sc->start, gb, bit,
			 gp_scalable_start(sc->nbits, gp_tls_slot - 1));
		bit = gb;
		addr = got;
	}
	FZ_CHECK(got == addr, "alloc form %d size %zu (%lu granules) algo %d/%lu on %s: got 0x%lx,"
		 " expected 0x%lx (errno %d)", c.form, c.size, nr, (int)algo.kind, algo.arg,
		 t ? (t->backed ? "B" : "P") : "NULL", got, addr, want_err);
	if (!addr)
		FZ_CHECK(err == want_err, "alloc form %d: errno %d, expected %d", c.form, err,
			 want_err);
	fz_expect_report_by(want_err == EINVAL ? EINVAL : 0, alloc_name[c.form]);
	if (c.owner && (c.form == 1 || c.form == 3))
		FZ_CHECK(owner == (addr ? a.c[ci].owner : NULL), "alloc: *owner %p, expected %p",
			 owner, addr ? a.c[ci].owner : NULL);
	if (addr && c.dma && c.form >= 4)
		FZ_CHECK(dma == a.c[ci].phys + (addr - a.c[ci].start),
			 "dma alloc at 0x%lx: *dma 0x%llx", addr, (unsigned long long)dma);
	if (addr && zeroing)
		check_zeroed(addr, c.size);
	if (!t)
		return;
	fz_snap(t->pool, &b);
	want = a;
	if (addr) {
		apply(&want, ci, bit, nr, true);
		live_add(t, addr, c.size);
	}
	fz_snap_equal(&want, &b, addr ? "alloc" : "alloc (failed)");
}

/* ------------------------------------------------------------------------ */
/* Free                                                                     */

/* api.md's verdict on freeing [addr, addr + size) from the pool in @s. */
static int expect_free(const struct fz_pool_snap *s, unsigned long addr, size_t size,
		       unsigned int *ci, unsigned long *bit, unsigned long *nr)
{
	const struct fz_chunk_snap *c = s ? fz_snap_find(s, addr) : NULL;
	unsigned long g, off;

	if (!s || !c || !(*nr = fz_granules(size, s->order)))
		return -EINVAL;
	g = 1UL << s->order;
	off = addr - c->start;
	if (off & (g - 1))
		return -EINVAL;
	*bit = off >> s->order;
	if (*nr > c->nbits - *bit)
		return -EINVAL;
	*ci = (unsigned int)(c - s->c);
	if (!fz_run_set(c->bits, c->nbits, *bit, *nr))
		return -EINVAL; /* double free, in part or whole */
	if (!c->strict)
		return 0;
	/* exactly one allocation: it starts here, ends there, and no other ends inside */
	if (!fz_test(c->starts, *bit) || !fz_test(c->ends, *bit + *nr - 1))
		return -EINVAL;
	for (unsigned long i = *bit; i < *bit + *nr - 1; i++)
		if (fz_test(c->ends, i))
			return -EINVAL;
	return 0;
}

static void op_free(struct fz_in *in)
{
	static struct fz_pool_snap a, b, want;
	struct tpool *t = pick(in, true);
	uint8_t k = fz_u8(in);
	unsigned long g = t ? gran(t) : 1, addr, bit = 0, nr = 0;
	void *owner = &owner_tag[0];
	unsigned int ci = 0;
	size_t size;
	int r, want_r;

	addr = fz_edge(in, g);
	size = fz_edge(in, g);
	if (t && t->nlive && (k & 3)) {
		unsigned int i = fz_u8(in) % t->nlive;

		addr = t->live[i].addr + (k & 4 ? (unsigned long)(long)(int8_t)fz_u8(in) : 0);
		size = k & 8 ? size : t->live[i].size;
	}
	if (t)
		fz_snap(t->pool, &a);
	want_r = expect_free(t ? &a : NULL, addr, size, &ci, &bit, &nr);
	fz_rep_reset();
	r = k & 16 ? gen_pool_free_owner(pool_of(t), addr, size, &owner)
		   : gen_pool_free(pool_of(t), addr, size);
	FZ_CHECK(r == want_r, "gen_pool_free(0x%lx, %zu) on %s = %d, expected %d", addr, size,
		 t ? (t->backed ? "B" : "P") : "NULL", r, want_r);
	fz_expect_report_by(-r, k & 16 ? "gen_pool_free_owner" : "gen_pool_free");
	if (k & 16)
		FZ_CHECK(owner == (r ? NULL : a.c[ci].owner), "free_owner: *owner %p", owner);
	if (!t)
		return;
	fz_snap(t->pool, &b);
	want = a;
	if (!r)
		apply(&want, ci, bit, nr, false);
	fz_snap_equal(&want, &b, r ? "gen_pool_free (refused)" : "gen_pool_free");
}

/* ------------------------------------------------------------------------ */
/* set_algo, queries, for_each_chunk, accessors, error handler              */

/*
 * set_algo installs the pair as given, invalid data included (reported; the
 * pool's allocations then fail with EINVAL: op_alloc resolves the pool's
 * data as it reads at each call). With the selector's high bit the caller
 * instead rewrites, in place, the struct the pool holds: no call, no report,
 * nothing else changes.
 */
static void op_set_algo(struct fz_in *in)
{
	static struct fz_pool_snap a, b;
	struct tpool *t = pick(in, true);
	uint8_t k = fz_u8(in);
	genpool_algo_t fn = algos[k % N_ALGOS];
	struct fz_algo algo = { FZ_FIRST, 0 };
	union fz_data scratch, *spare = &scratch, *data;

	if (t) {
		fz_snap(t->pool, &a);
		if ((k & 0x80) && (a.data == &t->slot[0] || a.data == &t->slot[1])) {
			gen_data(in, a.data, gran(t));
			fz_snap(t->pool, &b);
			fz_snap_equal(&a, &b, "rewriting the default's data");
			return;
		}
		/* the slot the pool does not hold: the call must not touch its data */
		spare = a.data == &t->slot[0] ? &t->slot[1] : &t->slot[0];
	}
	data = gen_data(in, spare, t ? gran(t) : 1);
	if (t)
		algo = fz_resolve(fn, fn ? data : NULL, t->order);
	fz_rep_reset();
	gen_pool_set_algo(pool_of(t), fn, data);
	fz_expect_report_by(!t || algo.kind == FZ_BAD ? EINVAL : 0, "gen_pool_set_algo");
	if (!t)
		return;
	fz_snap(t->pool, &b);
	FZ_CHECK(b.algo == (fn ? fn : gen_pool_first_fit) && b.data == (fn ? data : NULL),
		 "gen_pool_set_algo: pool holds %p/%p", (void *)b.algo, b.data);
	a.pair = b.pair;
	a.algo = b.algo;
	a.data = b.data;
	fz_snap_equal(&a, &b, "gen_pool_set_algo");
}

static void op_query(struct fz_in *in)
{
	static struct fz_pool_snap s;
	struct tpool *t = pick(in, true);
	unsigned long g = t ? gran(t) : 1, addr = fz_edge(in, g), last;
	size_t size = fz_edge(in, g), sz, av;
	const struct fz_chunk_snap *c;
	phys_addr_t phys, want_phys = (phys_addr_t)-1;
	bool has, want_has = false;
	uint8_t k;

	if (t)
		fz_snap(t->pool, &s);
	k = fz_u8(in);
	/* near an allocation, or near a chunk's first or last byte */
	if (t && t->nlive && (k & 3) == 1)
		addr = t->live[fz_u8(in) % t->nlive].addr + (unsigned long)(long)(int8_t)fz_u8(in);
	if (t && s.n && (k & 3) == 2) {
		c = &s.c[fz_u8(in) % s.n];
		addr = (k & 4 ? c->end : c->start) + (unsigned long)(long)(int8_t)fz_u8(in);
		if (k & 8) { /* a few bytes straddling the edge or just inside it */
			addr = (k & 4 ? c->end : c->start) - fz_u8(in) % 4;
			size = 1 + fz_u8(in) % 6;
		}
	}
	if (t) {
		last = size ? addr + size - 1 : addr; /* size 0: the kernel's answer */
		for (unsigned int i = 0; i < s.n && last >= addr; i++)
			want_has |= addr >= s.c[i].start && last <= s.c[i].end;
		c = fz_snap_find(&s, addr);
		if (c)
			want_phys = c->phys + (addr - c->start);
	}
	fz_rep_reset();
	has = gen_pool_has_addr(pool_of(t), addr, size);
	fz_expect_report(t ? 0 : EINVAL, "gen_pool_has_addr");
	phys = gen_pool_virt_to_phys(pool_of(t), addr);
	fz_expect_report(t ? 0 : EINVAL, "gen_pool_virt_to_phys");
	sz = gen_pool_size(pool_of(t));
	fz_expect_report(t ? 0 : EINVAL, "gen_pool_size");
	av = gen_pool_avail(pool_of(t));
	fz_expect_report(t ? 0 : EINVAL, "gen_pool_avail");
	FZ_CHECK(has == want_has, "gen_pool_has_addr(0x%lx, %zu) = %d, expected %d", addr, size,
		 has, want_has);
	FZ_CHECK(phys == want_phys, "gen_pool_virt_to_phys(0x%lx) = 0x%llx, expected 0x%llx", addr,
		 (unsigned long long)phys, (unsigned long long)want_phys);
	FZ_CHECK(sz == (t ? s.size : 0) && av == (t ? s.avail : 0), "size/avail %zu/%zu", sz, av);
}

static void op_walk(struct fz_in *in)
{
	static struct fz_pool_snap s;
	struct tpool *t = pick(in, true);
	bool with_func = fz_u8(in) & 3;
	struct fz_walk w = { .pool = pool_of(t) };

	fz_rep_reset();
	gen_pool_for_each_chunk(pool_of(t), with_func ? fz_walk_cb : NULL, &w);
	fz_expect_report(t && with_func ? 0 : EINVAL, "gen_pool_for_each_chunk");
	FZ_CHECK(t || !w.n, "for_each_chunk(NULL) called its function");
	if (!t)
		return;
	fz_snap(t->pool, &s);
	if (with_func)
		fz_walk_check(&w, &s);
	else
		FZ_CHECK(!w.n, "for_each_chunk with NULL func visited chunks");
}

/*
 * The statistics and event-log calls with raw arguments: NULL handles, a
 * NULL or empty stats buffer, a NULL stream or path, a stop without a log.
 * Each refusal is reported once, returns -EINVAL, counts in refused and
 * changes nothing else; a buffer of any size gets exactly min(size,
 * sizeof) bytes.
 */
static void op_obs(struct fz_in *in)
{
	static struct fz_pool_snap a, b;
	struct gen_pool *pool = pool_of(pick(in, true));
	uint8_t k = fz_u8(in);
	size_t len = fz_u8(in) % (sizeof(struct gen_pool_stats) + 9);
	unsigned char buf[sizeof(struct gen_pool_stats) + 8];
	struct gen_pool_stats before, after;
	int r, want;

	if (!pool)
		return; /* NULL handles: the k & 8 cases below */
	fz_snap(pool, &a);
	FZ_CHECK(gen_pool_get_stats(pool, &before, sizeof(before)) == 0, "gen_pool_get_stats");
	memset(buf, 0xa5, sizeof(buf));
	fz_rep_reset();
	switch (k % 6) {
	case 0: r = gen_pool_get_stats(k & 8 ? NULL : pool, (void *)buf, len); break;
	case 1: r = gen_pool_get_stats(pool, NULL, len); break;
	case 2: r = gen_pool_dump_stats(k & 8 ? NULL : pool, NULL); break;
	case 3: r = gen_pool_log_start(k & 8 ? NULL : pool, NULL); break;
	case 4: r = gen_pool_log_stop(k & 8 ? NULL : pool); break;
	default: gen_pool_reset_high_water(NULL); r = -EINVAL; break;
	}
	want = k % 6 == 0 && !(k & 8) && len ? 0 : -EINVAL;
	FZ_CHECK(r == want, "obs call %d (len %zu): %d, expected %d", k % 6, len, r, want);
	fz_expect_report(-want, "statistics / log call");
	for (size_t i = want ? 0 : len < sizeof(before) ? len : sizeof(before); i < sizeof(buf); i++)
		FZ_CHECK(buf[i] == 0xa5, "gen_pool_get_stats wrote byte %zu of %zu", i, len);
	fz_snap(pool, &b);
	fz_snap_equal(&a, &b, "statistics / log call");
	FZ_CHECK(gen_pool_get_stats(pool, &after, sizeof(after)) == 0, "gen_pool_get_stats");
	/* a refusal on the pool counts; one on NULL (or reset's) cannot */
	before.refused += want && (k % 6 == 1 || (!(k & 8) && k % 6 != 5));
	FZ_CHECK(!memcmp(&before, &after, sizeof(before)), "obs call %d changed the statistics",
		 k % 6);
	fz_rep_reset();
}

static void op_misc(struct fz_in *in)
{
	uint8_t k = fz_u8(in);

	fz_rep_reset();
	if ((k & 6) == 6) {
		op_obs(in);
		return;
	}
	if (k & 1) {
		FZ_CHECK(gen_pool_chunk_start(NULL) == 0 && gen_pool_chunk_end(NULL) == 0 &&
				 gen_pool_chunk_phys(NULL) == (phys_addr_t)-1 &&
				 !gen_pool_chunk_owner(NULL) && !gen_pool_name(NULL),
			 "chunk accessors or gen_pool_name on NULL");
		FZ_CHECK(!gen_pool_name(tp[0].pool) && !gen_pool_name(tp[1].pool),
			 "gen_pool_name of an unmanaged pool is not NULL");
	} else {
		/* without a handler a refusal is silent, and still refused */
		gen_pool_set_error_handler(NULL, NULL);
		errno = 0;
		FZ_CHECK(gen_pool_alloc(NULL, fz_edge(in, 1)) == 0 && errno == EINVAL,
			 "gen_pool_alloc(NULL) without a handler");
		fz_install_handler();
	}
	fz_expect_report(0, "accessors / handler removal");
}

/* ------------------------------------------------------------------------ */
/* Managed pools                                                            */

static bool name_ok(const char *name)
{
	return name && name[0] && !strchr(name, '/');
}

static struct mowner *owner_named(const char *name, size_t len)
{
	for (unsigned int i = 0; i < reg.n; i++)
		if (strlen(reg.o[i].name) == len && !memcmp(reg.o[i].name, name, len))
			return &reg.o[i];
	return NULL;
}

/* Index in @o of the pool named @name (NULL: the unnamed one), or -1. */
static int mpool_named(const struct mowner *o, const char *name)
{
	for (unsigned int i = 0; i < o->n; i++)
		if (name ? o->p[i].named && !strcmp(o->p[i].name, name) : !o->p[i].named)
			return (int)i;
	return -1;
}

static struct mowner *pick_owner(struct fz_in *in)
{
	uint8_t k = fz_u8(in);

	return reg.n && k % 4 ? &reg.o[k % reg.n] : NULL;
}

/* The registry is what the fuzzer expects: every pool found by owner and by path. */
static void check_registry(const char *after)
{
	char path[2 * NAME_LEN + 2];

	fz_rep_reset();
	for (unsigned int i = 0; i < reg.n; i++) {
		const struct mowner *o = &reg.o[i];

		for (unsigned int j = 0; j < o->n; j++) {
			const char *name = o->p[j].named ? o->p[j].name : NULL;

			FZ_CHECK(gen_pool_get(o->o, name) == o->p[j].pool,
				 "after %s: gen_pool_get(%s, %s) lost the pool", after, o->name,
				 name ? name : "NULL");
			FZ_CHECK(name ? gen_pool_name(o->p[j].pool) &&
						!strcmp(gen_pool_name(o->p[j].pool), name)
				      : !gen_pool_name(o->p[j].pool),
				 "after %s: gen_pool_name is wrong", after);
			snprintf(path, sizeof(path), "%s%s%s", o->name, name ? "/" : "",
				 name ? name : "");
			FZ_CHECK(gen_pool_get_path(path) == o->p[j].pool,
				 "after %s: gen_pool_get_path(\"%s\") lost the pool", after, path);
		}
	}
	fz_expect_report(0, "registry lookups");
}

static void m_owner_create(struct fz_in *in)
{
	char buf[NAME_LEN + 1];
	const char *name = gen_name(in, buf);
	int want = !name_ok(name) ? EINVAL : owner_named(name, strlen(name)) ? EEXIST : 0;
	struct gen_pool_owner *o;

	if (!want && reg.n == MAX_OWNERS)
		return;
	fz_rep_reset();
	errno = 0;
	o = gen_pool_owner_create(name);
	FZ_CHECK(want ? !o && errno == want : o != NULL,
		 "gen_pool_owner_create(\"%s\") = %p errno %d, expected %d", name ? name : "NULL",
		 (void *)o, errno, want);
	fz_expect_report(want, "gen_pool_owner_create");
	if (o) {
		memset(&reg.o[reg.n], 0, sizeof(reg.o[0]));
		reg.o[reg.n].o = o;
		strcpy(reg.o[reg.n].name, name);
		reg.n++;
	}
}

static bool owner_busy(const struct mowner *o)
{
	for (unsigned int j = 0; j < o->n; j++)
		if (o->p[j].out)
			return true;
	return false;
}

static void m_owner_destroy(struct fz_in *in)
{
	struct mowner *o = pick_owner(in);
	bool busy = o && owner_busy(o);
	int r;

	fz_rep_reset();
	r = gen_pool_owner_destroy(o ? o->o : NULL);
	FZ_CHECK(r == (busy ? -EBUSY : 0), "gen_pool_owner_destroy = %d (busy %d)", r, busy);
	fz_expect_report(busy ? EBUSY : 0, "gen_pool_owner_destroy");
	if (o && !busy)
		*o = reg.o[--reg.n];
}

static void m_create(struct fz_in *in)
{
	char buf[NAME_LEN + 1];
	struct mowner *o = pick_owner(in);
	const char *name = gen_name(in, buf);
	int order = fz_u8(in) & 1 ? fz_edge_int(in) : fz_u8(in) % 64;
	int nid = fz_u8(in) & 1 ? fz_edge_int(in) : -1, nv = nid_valid(nid);
	bool bad = !o || (name && !name_ok(name)) || order < 0 ||
		   order >= (int)FZ_BITS_PER_LONG || !nv;
	bool taken = o && mpool_named(o, name) >= 0;
	struct gen_pool *p;

	if (!bad && !taken && o->n == MAX_MPOOLS)
		return;
	fz_rep_reset();
	errno = 0;
	p = gen_pool_create_managed(o ? o->o : NULL, order, nid, name);
	if (!p && nv < 0 && errno == EINVAL)
		bad = true; /* refusing an unknown node is allowed too */
	FZ_CHECK(bad || taken ? !p && (errno == EINVAL || errno == EEXIST) : p != NULL,
		 "gen_pool_create_managed(%s, %d, %d, %s) = %p errno %d", o ? o->name : "NULL",
		 order, nid, name ? name : "NULL", (void *)p, errno);
	if (!p)
		FZ_CHECK((bad && errno == EINVAL) || (taken && errno == EEXIST),
			 "gen_pool_create_managed: errno %d (bad %d, taken %d)", errno, bad, taken);
	fz_expect_report(p ? 0 : errno, "gen_pool_create_managed");
	if (p) {
		unsigned int j = o->n++;

		memset(&o->p[j], 0, sizeof(o->p[j]));
		o->p[j].pool = p;
		o->p[j].named = name != NULL;
		if (name)
			strcpy(o->p[j].name, name);
	}
}

static void m_lookup(struct fz_in *in)
{
	char buf[NAME_LEN + 1], path[2 * NAME_LEN + 2];
	struct mowner *o = pick_owner(in);
	const char *name = gen_name(in, buf), *pname, *slash;
	struct gen_pool *want = NULL, *p;
	int j = o ? mpool_named(o, name) : -1;
	uint8_t k = fz_u8(in);
	int want_err = 0;

	if (j >= 0)
		want = o->p[j].pool;
	fz_rep_reset();
	FZ_CHECK(gen_pool_get(o ? o->o : NULL, name) == want, "gen_pool_get(%s, %s) wrong",
		 o ? o->name : "NULL", name ? name : "NULL");
	fz_expect_report(0, "gen_pool_get");

	/* a path: "owner/name", "owner", or made up */
	if (k & 1 && o)
		snprintf(path, sizeof(path), "%s%s%s", o->name, name ? "/" : "", name ? name : "");
	else if (!gen_name(in, path))
		path[0] = '\0';
	want = NULL;
	slash = strchr(path, '/');
	pname = slash ? slash + 1 : NULL;
	if (!path[0] || path[0] == '/' || (pname && !name_ok(pname))) {
		want_err = EINVAL;
	} else {
		struct mowner *po = owner_named(path, slash ? (size_t)(slash - path) : strlen(path));

		j = po ? mpool_named(po, pname) : -1;
		want = j >= 0 ? po->p[j].pool : NULL;
		want_err = want ? 0 : ENOENT;
	}
	fz_rep_reset();
	errno = 0;
	p = gen_pool_get_path(k & 2 ? path : NULL);
	if (!(k & 2)) {
		want = NULL;
		want_err = EINVAL;
	}
	FZ_CHECK(p == want && (p || errno == want_err),
		 "gen_pool_get_path(\"%s\") = %p errno %d, expected %p errno %d",
		 k & 2 ? path : "NULL", (void *)p, errno, (void *)want, want_err);
	fz_expect_report(want_err == EINVAL ? EINVAL : 0, "gen_pool_get_path");
}

/* Destroy a managed pool, or give it an allocation, or take it back. */
static void m_pool_op(struct fz_in *in)
{
	struct mowner *o = pick_owner(in);
	uint8_t k = fz_u8(in);
	unsigned int j;
	struct gen_pool *p;
	unsigned long g;
	int r;

	if (!o || !o->n)
		return;
	j = k % o->n;
	p = o->p[j].pool;
	g = 1UL << p->min_alloc_order;
	fz_rep_reset();
	if (k & 0x10) {
		r = gen_pool_destroy(p);
		FZ_CHECK(r == (o->p[j].out ? -EBUSY : 0), "destroy of a managed pool = %d", r);
		fz_expect_report(r ? EBUSY : 0, "gen_pool_destroy (managed)");
		if (!r)
			o->p[j] = o->p[--o->n];
	} else if (o->p[j].out) {
		FZ_CHECK(gen_pool_free(p, o->p[j].out, g) == 0, "free in a managed pool");
		o->p[j].out = 0;
	} else {
		/* one granule at address 1 fits every order without wrapping */
		if (!o->p[j].has_chunk)
			FZ_CHECK(gen_pool_add(p, 1, g, -1) == 0, "add to a managed pool");
		o->p[j].has_chunk = true;
		o->p[j].out = gen_pool_alloc(p, g);
		FZ_CHECK(o->p[j].out == 1, "alloc in a managed pool = 0x%lx", o->p[j].out);
	}
	fz_expect_report(0, "managed pool use");
}

static void op_managed(struct fz_in *in)
{
	switch (fz_u8(in) % 6) {
	case 0: m_owner_create(in); break;
	case 1: m_owner_destroy(in); break;
	case 2:
	case 3: m_create(in); break;
	case 4: m_lookup(in); break;
	default: m_pool_op(in); break;
	}
	check_registry("managed op");
}

/* Return every managed allocation and destroy every owner, with its pools. */
static void registry_teardown(void)
{
	while (reg.n) {
		struct mowner *o = &reg.o[reg.n - 1];

		for (unsigned int j = 0; j < o->n; j++)
			if (o->p[j].out)
				FZ_CHECK(gen_pool_free(o->p[j].pool, o->p[j].out,
						       1UL << o->p[j].pool->min_alloc_order) == 0,
					 "teardown: free in a managed pool");
		fz_rep_reset();
		FZ_CHECK(gen_pool_owner_destroy(o->o) == 0, "teardown: owner destroy");
		fz_expect_report(0, "teardown: owner destroy");
		errno = 0;
		FZ_CHECK(!gen_pool_get_path(o->name) && errno == ENOENT,
			 "teardown: owner \"%s\" still found", o->name);
		reg.n--;
	}
}

/* ------------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t k;

	gp_tls_slot = 1; /* slot 0, whatever the previous input left: reproducible */
	k = fz_u8(&in);
	int po = k < 192 ? k % 13 : k % 64; /* mostly small granules, any order at times */
	unsigned int pf = fz_pool_flags(fz_u8(&in));
	int bo = fz_u8(&in) % 13;

	make_pool(&tp[0], po, pf, false);
	make_pool(&tp[1], bo, fz_pool_flags(fz_u8(&in)), true);
	for (nops = 0; fz_more(&in) && nops < MAX_OPS; nops++) {
		switch (fz_u8(&in) % 16) {
		case 0: op_create(&in); break;
		case 1: op_destroy(&in); break;
		case 2:
		case 3: op_add(&in); break;
		case 4:
		case 5:
		case 6: op_alloc(&in, false); break;
		case 7: op_alloc(&in, true); break;
		case 8:
		case 9:
		case 10: op_free(&in); break;
		case 11: op_set_algo(&in); break;
		case 12: op_query(&in); break;
		case 13: op_walk(&in); break;
		case 14: op_misc(&in); break;
		default: op_managed(&in); break;
		}
	}
	fz_drain_destroy(tp[0].pool);
	fz_drain_destroy(tp[1].pool);
	registry_teardown();
	return 0;
}
