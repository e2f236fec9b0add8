/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz_common.h - shared by the libFuzzer targets (fuzz_ops.c, fuzz_args.c):
 * the input reader, the counting error handler, a reference of the built-in
 * algorithms over a granule bitmap, and snapshots of a pool's internal state
 * (struct gen_pool and its chunks, read through src/internal.h).
 *
 * The reference is written from api.md and the kernel's lib/genalloc.c
 * semantics, not from src/algo.c, and never calls library code: an oracle
 * that shared the library's bitmap helpers would share their bugs. The
 * targets are single-threaded, so every call is sequential and each result
 * is exactly determined by the state before it; the reference therefore
 * predicts exact addresses, not just "some valid range".
 *
 * Every mismatch calls abort() after one line on stderr naming the check,
 * which libFuzzer reports as a crash and saves the input for.
 */
#ifndef GENPOOL_FUZZ_COMMON_H
#define GENPOOL_FUZZ_COMMON_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genpool.h"
#include "internal.h"

#define FZ_BITS_PER_LONG (sizeof(unsigned long) * CHAR_BIT)
/*
 * Largest chunk, in granules, that the targets ever let a pool accept: over
 * 4096, so that chunks with three summary levels (bitmap, 2 words, 1 word)
 * occur, and over 512, so that scalable fit's per-thread starts differ.
 */
#define FZ_MAX_BITS 6144UL
#define FZ_WORDS ((FZ_MAX_BITS + FZ_BITS_PER_LONG - 1) / FZ_BITS_PER_LONG)
/* Words of the summary levels >= 1 of an FZ_MAX_BITS chunk (2 + 1), with room. */
#define FZ_SUM_WORDS 8
#define FZ_MAX_CHUNKS 16
#define FZ_NOFIT ULONG_MAX

#define FZ_FAIL(...)                                                                        \
	do {                                                                                \
		fprintf(stderr, "genpool fuzz: check failed: " __VA_ARGS__);               \
		fputc('\n', stderr);                                                        \
		abort();                                                                    \
	} while (0)

#define FZ_CHECK(cond, ...)                                                                 \
	do {                                                                                \
		if (!(cond))                                                                \
			FZ_FAIL(__VA_ARGS__);                                               \
	} while (0)

/* ------------------------------------------------------------------------ */
/* Input                                                                    */

/* The fuzz input, consumed front to back; reads past the end yield 0. */
struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_more(const struct fz_in *in)
{
	return in->n > 0;
}

static inline uint8_t fz_u8(struct fz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/*
 * Pool flags (api.md section 2). fz_pool_flags: the sets a fuzzer's pools
 * are created with, one byte each (no THREAD_CACHE: the models do not see
 * caches); fz_flags_valid: whether create must accept @flags (known bits,
 * at most one lock flag, no lock flag with THREAD_CACHE).
 */
static const unsigned int fz_pool_flag_sets[] = {
	0, GEN_POOL_SPINLOCK, GEN_POOL_STRICT, GEN_POOL_SPINLOCK | GEN_POOL_STRICT,
	GEN_POOL_LOCK_TICKET, GEN_POOL_LOCK_MCS, GEN_POOL_LOCK_TICKET | GEN_POOL_STRICT,
	GEN_POOL_LOCK_MCS | GEN_POOL_STRICT,
};

static inline unsigned int fz_pool_flags(uint8_t b)
{
	return fz_pool_flag_sets[b % (sizeof(fz_pool_flag_sets) / sizeof(fz_pool_flag_sets[0]))];
}

static inline bool fz_flags_valid(unsigned int flags)
{
	unsigned int locks = flags & GP_LOCK_FLAGS;

	return !(flags & ~GP_KNOWN_FLAGS) && !(locks & (locks - 1)) &&
	       !(locks && (flags & GEN_POOL_THREAD_CACHE));
}


static inline uint16_t fz_u16(struct fz_in *in)
{
	uint16_t v = fz_u8(in);

	return (uint16_t)(v | (uint16_t)fz_u8(in) << 8);
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	uint32_t v = fz_u16(in);

	return v | (uint32_t)fz_u16(in) << 16;
}

static inline uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v = fz_u32(in);

	return v | (uint64_t)fz_u32(in) << 32;
}

/*
 * An unsigned long that is often a boundary for granule size @g: the
 * interesting values (0, g - 1, ULONG_MAX - small, UINT_MAX, powers of two)
 * are reached by one byte instead of by luck, and kind 15 is any raw value.
 */
static inline unsigned long fz_edge(struct fz_in *in, unsigned long g)
{
	uint8_t kind = fz_u8(in) & 15;
	int8_t d = (int8_t)fz_u8(in);

	switch (kind) {
	case 0: return (unsigned long)(long)d;           /* near 0, either side */
	case 1: return g + (unsigned long)(long)d;
	case 2: return ULONG_MAX - (uint8_t)d;
	case 3: return (unsigned long)UINT_MAX + (unsigned long)(long)d;
	case 4: return 1UL << ((uint8_t)d % FZ_BITS_PER_LONG);
	case 5: return (1UL << ((uint8_t)d % FZ_BITS_PER_LONG)) - 1;
	case 6: return (uint8_t)d * g;
	case 7: return fz_u16(in) * g + (uint8_t)d;
	case 8: return ULONG_MAX - fz_u16(in) * g + 1;
	case 9: return (unsigned long)LONG_MAX + (unsigned long)(long)d;
	default: return fz_u64(in);
	}
}

/* An int that is often a boundary: 0, -1, powers of two, INT_MIN/MAX. */
static inline int fz_edge_int(struct fz_in *in)
{
	uint8_t kind = fz_u8(in) & 7;
	int8_t d = (int8_t)fz_u8(in);

	switch (kind) {
	case 0: return d;
	case 1: return (int)(1U << ((uint8_t)d % 31));
	case 2: return INT_MIN + (uint8_t)d;
	case 3: return INT_MAX - (uint8_t)d;
	case 4: return -(int)(1U << ((uint8_t)d % 31));
	default: return (int)fz_u32(in);
	}
}

/* ------------------------------------------------------------------------ */
/* Error reports                                                            */

static struct {
	int calls;
	int err;
	char msg[320];
} fz_rep;

static inline void fz_on_error(int err, const char *msg, void *arg)
{
	FZ_CHECK(arg == &fz_rep, "error handler got arg %p, not the one installed", arg);
	FZ_CHECK(err > 0, "error handler got errno %d, not a positive errno", err);
	FZ_CHECK(msg && strncmp(msg, "genpool", 7) == 0 && strlen(msg) > 9,
		 "error message \"%s\" does not name genpool and the call", msg ? msg : "(null)");
	fz_rep.calls++;
	fz_rep.err = err;
	snprintf(fz_rep.msg, sizeof(fz_rep.msg), "%s", msg);
}

static inline void fz_install_handler(void)
{
	gen_pool_set_error_handler(fz_on_error, &fz_rep);
}

/*
 * libFuzzer's start-up hook, shared by both targets (each is one translation
 * unit, so the header defines it once per program): install the handler.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_install_handler();
	return 0;
}

static inline void fz_rep_reset(void)
{
	fz_rep.calls = 0;
	fz_rep.err = 0;
	fz_rep.msg[0] = '\0';
}

/* Exactly one report of @err since the last reset, or none for @err 0. */
static inline void fz_expect_report(int err, const char *call)
{
	if (err)
		FZ_CHECK(fz_rep.calls == 1 && fz_rep.err == err,
			 "%s: expected one report of errno %d, got %d reports (last errno %d: %s)",
			 call, err, fz_rep.calls, fz_rep.err, fz_rep.msg);
	else
		FZ_CHECK(fz_rep.calls == 0, "%s: expected no report, got %d (errno %d: %s)", call,
			 fz_rep.calls, fz_rep.err, fz_rep.msg);
	fz_rep_reset();
}

/*
 * fz_expect_report, and the report names @call, the public call the fuzzer
 * made ("genpool: <call>: ..."), never a call it wraps (issue 11).
 */
static inline void fz_expect_report_by(int err, const char *call)
{
	size_t n = strlen(call);

	if (err && fz_rep.calls == 1)
		FZ_CHECK(!strncmp(fz_rep.msg, "genpool: ", 9) && !strncmp(fz_rep.msg + 9, call, n) &&
				 fz_rep.msg[9 + n] == ':',
			 "%s: the report names another call: %s", call, fz_rep.msg);
	fz_expect_report(err, call);
}

/* ------------------------------------------------------------------------ */
/* Bitmaps of the reference (bit i = granule i, set = allocated)            */

static inline bool fz_test(const unsigned long *map, unsigned long i)
{
	return (map[i / FZ_BITS_PER_LONG] >> (i % FZ_BITS_PER_LONG)) & 1;
}

static inline void fz_assign(unsigned long *map, unsigned long first, unsigned long n, bool set)
{
	for (unsigned long i = first; i < first + n; i++) {
		unsigned long m = 1UL << (i % FZ_BITS_PER_LONG);

		if (set)
			map[i / FZ_BITS_PER_LONG] |= m;
		else
			map[i / FZ_BITS_PER_LONG] &= ~m;
	}
}

/* Mask of the bits of word @w that lie below bit @nbits. */
static inline unsigned long fz_word_mask(unsigned long w, unsigned long nbits)
{
	unsigned long left = nbits - w * FZ_BITS_PER_LONG;

	return left >= FZ_BITS_PER_LONG ? ~0UL : (1UL << left) - 1;
}

static inline unsigned long fz_count_set(const unsigned long *map, unsigned long nbits)
{
	unsigned long n = 0;

	for (unsigned long w = 0; w * FZ_BITS_PER_LONG < nbits; w++)
		n += (unsigned long)__builtin_popcountl(map[w] & fz_word_mask(w, nbits));
	return n;
}

/* True when all of [first, first + n) lies inside [0, nbits) and is @set. */
static inline bool fz_run_all(const unsigned long *map, unsigned long nbits, unsigned long first,
			      unsigned long n, bool set)
{
	if (first >= nbits || n > nbits - first)
		return false;
	for (unsigned long i = first; i < first + n; i++)
		if (fz_test(map, i) != set)
			return false;
	return true;
}

/* True when all of [first, first + n) is clear and lies inside [0, nbits). */
static inline bool fz_run_free(const unsigned long *map, unsigned long nbits, unsigned long first,
			       unsigned long n)
{
	return fz_run_all(map, nbits, first, n, false);
}

/* True when all of [first, first + n) is set and lies inside [0, nbits). */
static inline bool fz_run_set(const unsigned long *map, unsigned long nbits, unsigned long first,
			      unsigned long n)
{
	return fz_run_all(map, nbits, first, n, true);
}

/* ------------------------------------------------------------------------ */
/* Algorithms                                                               */

/* What the fuzzers pass as algorithm data: any built-in reads only its member. */
union fz_data {
	struct genpool_data_align align;
	struct genpool_data_fixed fixed;
	unsigned long bit; /* fz_const_algo */
	unsigned long raw[2];
};

/*
 * A custom algorithm (genpool_algo_t) that ignores the bitmap and proposes
 * the bit in its data, possibly busy, past the end or overhanging it: the
 * pool must claim it only when it is a free run inside the chunk, and must
 * give up on the chunk, not hang, when it is busy. It also checks the
 * arguments the contract promises a custom algorithm: the chunk's own live
 * bitmap, its size in bits and start address, and the request's granules.
 */
static unsigned long fz_const_nr; /* granules of the request being made */
static unsigned long fz_const_calls;

static inline unsigned long fz_const_algo(unsigned long *map, unsigned long size,
					  unsigned long start, unsigned int nr, void *data,
					  struct gen_pool *pool, unsigned long start_addr)
{
	const union fz_data *d = data;
	struct gen_pool_chunk *c;

	(void)start;
	fz_const_calls++;
	FZ_CHECK(pool, "custom algorithm called without its pool");
	for (c = pool->chunks; c && c->start_addr != start_addr; c = c->next)
		;
	FZ_CHECK(c, "custom algorithm got start_addr 0x%lx of no chunk", start_addr);
	FZ_CHECK(map == c->bits && size == c->nbits,
		 "custom algorithm got map %p size %lu, chunk has %p size %lu", (void *)map, size,
		 (void *)c->bits, c->nbits);
	FZ_CHECK(nr == fz_const_nr, "custom algorithm got nr %u for a request of %lu granules", nr,
		 fz_const_nr);
	return d ? d->bit : size;
}

/*
 * FZ_SCALABLE (gen_pool_scalable_fit) is not predicted exactly: where it
 * lands depends on the calling thread's slot. fz_fit returns first fit's
 * bit for it (it must succeed exactly when that exists, in the same chunk),
 * and fz_scalable_ok() judges the bit it returned.
 */
enum fz_kind { FZ_FIRST, FZ_BEST, FZ_ALIGN, FZ_ORDER, FZ_FIXED, FZ_CONST, FZ_SCALABLE, FZ_BAD };

/* An algorithm as the reference sees it: @arg is align/offset bytes or the bit. */
struct fz_algo {
	enum fz_kind kind;
	unsigned long arg;
};

static inline bool fz_pow2(unsigned long n)
{
	return n && !(n & (n - 1));
}

/*
 * The algorithm (@fn, @data) means on a pool of granule order @order, per
 * api.md: NULL is first fit (its data ignored); first_fit_align needs data
 * with a power-of-two align > 0, fixed_alloc data with a granule-multiple
 * offset, else FZ_BAD (the call is refused with EINVAL).
 */
static inline struct fz_algo fz_resolve(genpool_algo_t fn, const union fz_data *data, int order)
{
	struct fz_algo a = { FZ_FIRST, 0 };

	if (!fn || fn == gen_pool_first_fit) {
		a.kind = FZ_FIRST;
	} else if (fn == gen_pool_best_fit) {
		a.kind = FZ_BEST;
	} else if (fn == gen_pool_scalable_fit) {
		a.kind = FZ_SCALABLE; /* takes no data */
	} else if (fn == gen_pool_first_fit_order_align) {
		a.kind = FZ_ORDER;
	} else if (fn == gen_pool_first_fit_align) {
		a.kind = FZ_BAD;
		if (data && data->align.align > 0 && fz_pow2((unsigned long)data->align.align)) {
			a.kind = FZ_ALIGN;
			a.arg = (unsigned long)data->align.align;
		}
	} else if (fn == gen_pool_fixed_alloc) {
		a.kind = FZ_BAD;
		if (data && !(data->fixed.offset & ((1UL << order) - 1))) {
			a.kind = FZ_FIXED;
			a.arg = data->fixed.offset;
		}
	} else if (fn == fz_const_algo) {
		a.kind = FZ_CONST;
		a.arg = data ? data->bit : FZ_NOFIT;
	} else {
		FZ_FAIL("fz_resolve: algorithm %p unknown to the fuzzer", (void *)fn);
	}
	return a;
}

/* @rl[i] = length of the free run starting at granule i (0 if busy). */
static unsigned long fz_rl[FZ_MAX_BITS + 1];

static inline void fz_runlen(const unsigned long *map, unsigned long nbits)
{
	fz_rl[nbits] = 0;
	for (unsigned long i = nbits; i-- > 0;)
		fz_rl[i] = fz_test(map, i) ? 0 : fz_rl[i + 1] + 1;
}

/* Lowest start bit b with a run of @nr free and (b + off) % (mask + 1) == 0. */
static inline unsigned long fz_first_aligned(unsigned long nbits, unsigned long nr,
					     unsigned long mask, unsigned long off)
{
	unsigned long b = (mask + 1 - (off & mask)) & mask;

	for (; b < nbits; b += mask + 1) {
		if (fz_rl[b] >= nr)
			return b;
		if (b + mask + 1 < b)
			break;
	}
	return FZ_NOFIT;
}

/* Start of the smallest maximal free hole of at least @nr; ties: lowest. */
static inline unsigned long fz_best(unsigned long nbits, unsigned long nr)
{
	unsigned long best = FZ_NOFIT, best_len = ULONG_MAX, i = 0;

	while (i < nbits) {
		unsigned long len = fz_rl[i];

		if (len >= nr && len < best_len) {
			best = i;
			best_len = len;
		}
		i += len ? len : 1;
	}
	return best;
}

static inline unsigned long fz_roundup_pow2(unsigned long n)
{
	unsigned long p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * The bit the algorithm @a picks for @nr granules in a chunk of @nbits
 * granules starting at @start_addr, or FZ_NOFIT. Semantics (api.md):
 * first fit takes the lowest free run; best fit the smallest hole that fits
 * (ties: lowest); order_align aligns the bit to the power of two >= nr;
 * first_fit_align aligns start_addr + bit * G to align, correcting for the
 * chunk start's misalignment in whole granules (the kernel's offset); fixed
 * takes exactly offset / G; the custom algorithm exactly its bit.
 */
static inline unsigned long fz_fit(const unsigned long *map, unsigned long nbits,
				   unsigned long start_addr, int order, unsigned long nr,
				   const struct fz_algo *a)
{
	unsigned long g = 1UL << order, mask, off, bit = FZ_NOFIT;

	FZ_CHECK(nbits <= FZ_MAX_BITS, "reference: chunk of %lu granules", nbits);
	fz_runlen(map, nbits);
	switch (a->kind) {
	case FZ_FIRST:
	case FZ_SCALABLE: /* first fit's bit: see fz_scalable_ok */
		bit = fz_first_aligned(nbits, nr, 0, 0);
		break;
	case FZ_BEST:
		bit = fz_best(nbits, nr);
		break;
	case FZ_ORDER:
		bit = fz_first_aligned(nbits, nr, fz_roundup_pow2(nr) - 1, 0);
		break;
	case FZ_ALIGN:
		mask = a->arg > g ? a->arg / g - 1 : 0;
		off = (start_addr & (a->arg - 1)) >> order;
		bit = fz_first_aligned(nbits, nr, mask, off);
		/* the contract's promise, independent of the formula */
		if (bit != FZ_NOFIT && !(start_addr & (g - 1)) && a->arg >= g)
			FZ_CHECK(!((start_addr + bit * g) & (a->arg - 1)),
				 "reference: aligned bit %lu of chunk 0x%lx is not %lu-aligned", bit,
				 start_addr, a->arg);
		break;
	case FZ_FIXED:
		off = a->arg >> order;
		bit = off < nbits && fz_rl[off] >= nr ? off : FZ_NOFIT;
		break;
	case FZ_CONST:
		bit = a->arg < nbits && fz_rl[a->arg] >= nr ? a->arg : FZ_NOFIT;
		break;
	case FZ_BAD:
		FZ_FAIL("reference: fit with refused algorithm data");
	}
	return bit;
}

/*
 * Is @got the bit gen_pool_scalable_fit returns for @nr granules on @map,
 * where first fit returns @ff (not FZ_NOFIT), for the thread of @slot?
 * api.md and papers/design.md: first fit from the thread's own start
 * (gp_scalable_start: inside a word of its region), then first fit from
 * the chunk start. So @got is the lowest run at or after the start, or
 * first fit's when there is none. Needs fz_rl (fz_fit computed it for @map).
 */
static inline bool fz_scalable_ok(unsigned long nbits, unsigned long nr, unsigned long ff,
				  unsigned long got, unsigned int slot)
{
	unsigned long want = ff;

	for (unsigned long b = gp_scalable_start(nbits, slot); b < nbits; b++)
		if (fz_rl[b] >= nr) {
			want = b;
			break;
		}
	return got == want;
}

/*
 * Granules covering @size bytes at granule order @order, or 0 when api.md
 * says the size is refused: 0, overflowing when rounded up, or more than
 * UINT_MAX granules (genpool_algo_t's nr).
 */
static inline unsigned long fz_granules(size_t size, int order)
{
	unsigned long g = 1UL << order, n;

	if (size == 0 || size > ULONG_MAX - (g - 1))
		return 0;
	n = size / g + (size % g != 0);
	return n > UINT_MAX ? 0 : n;
}

/* ------------------------------------------------------------------------ */
/* Snapshots of a pool's internal state                                     */

/*
 * A chunk as the snapshot sees it. @strict: the chunk keeps boundary maps
 * (GEN_POOL_STRICT and GEN_POOL_THREAD_CACHE pools). @sum: its summary
 * levels >= 1, concatenated, @sum_words of them. There is no per-chunk
 * free count in the library any more: @free is counted from @bits.
 */
struct fz_chunk_snap {
	const struct gen_pool_chunk *self;
	unsigned long start, end, nbits, free, words, sum_words;
	phys_addr_t phys;
	void *owner;
	bool strict;
	unsigned long bits[FZ_WORDS], starts[FZ_WORDS], ends[FZ_WORDS];
	unsigned long sum[FZ_SUM_WORDS];
};

struct fz_pool_snap {
	int order;
	unsigned int flags;
	const struct gp_algo_pair *pair;
	genpool_algo_t algo;
	void *data;
	size_t size, avail; /* from the public calls */
	unsigned int n;
	struct fz_chunk_snap c[FZ_MAX_CHUNKS]; /* newest first, as searched */
};

/* Words of @n bits, without wrapping (n may be near ULONG_MAX). */
static inline unsigned long fz_words(unsigned long n)
{
	return n / FZ_BITS_PER_LONG + (n % FZ_BITS_PER_LONG != 0);
}

/*
 * Words of the summary levels above a bitmap of @nbits bits, written from
 * summary.h's description (one bit per word of the level below, levels
 * added until one fits in a word), not from summary.c.
 */
static inline unsigned long fz_sum_words(unsigned long nbits)
{
	unsigned long n = fz_words(nbits), total = 0;

	while (n > 1) {
		n = fz_words(n);
		total += n;
	}
	return total;
}

/* The pool keeps boundary maps (starts[], ends[]) in every chunk. */
static inline bool fz_boundary(const struct gen_pool *pool)
{
	return pool->flags & (GEN_POOL_STRICT | GEN_POOL_THREAD_CACHE);
}

/*
 * The metadata allocation of @c is large enough for the bitmaps it claims
 * (bits[], the boundary maps of boundary pools, the summary levels), and
 * the summary's levels lie inside it, after the maps, one after another.
 */
static inline void fz_check_meta(const struct gen_pool *pool, const struct gen_pool_chunk *c)
{
	unsigned __int128 need, words;
	unsigned int maps = fz_boundary(pool) ? 3 : 1;
	const struct gp_summary *sum = &c->sum;
	const unsigned long *end, *at;
	unsigned long n;

	words = fz_words(c->nbits);
	need = sizeof(struct gen_pool_chunk) +
	       (maps * words + fz_sum_words(c->nbits)) * sizeof(unsigned long);
	FZ_CHECK(c->meta_size >= need,
		 "chunk [0x%lx, 0x%lx] has %lu granules but its metadata is only %zu bytes "
		 "(needs %llu): its bitmaps are too small", c->start_addr, c->end_addr, c->nbits,
		 c->meta_size, (unsigned long long)(need > ULLONG_MAX ? ULLONG_MAX : need));
	FZ_CHECK(fz_sum_words(c->nbits) == gp_sum_extra_words(c->nbits),
		 "gp_sum_extra_words(%lu) = %zu, the levels need %lu", c->nbits,
		 gp_sum_extra_words(c->nbits), fz_sum_words(c->nbits));
	/* the layout: level k has one bit per word of level k - 1, down to one word */
	FZ_CHECK(sum->nbits == c->nbits && sum->level[0] == c->bits && sum->words[0] == words,
		 "chunk 0x%lx: summary level 0 is %p/%lu bits/%lu words, not the bitmap",
		 c->start_addr, (void *)sum->level[0], sum->nbits, sum->words[0]);
	FZ_CHECK(sum->top < GP_SUM_MAX_LEVELS, "chunk 0x%lx: summary top %u", c->start_addr,
		 sum->top);
	end = (const unsigned long *)((const char *)c + c->meta_size);
	at = c->bits + maps * words;
	for (unsigned int k = 1; k <= sum->top; k++) {
		n = fz_words(sum->words[k - 1]);
		FZ_CHECK(sum->words[k - 1] > 1 && sum->words[k] == n,
			 "chunk 0x%lx: summary level %u has %lu words over %lu below", c->start_addr,
			 k, sum->words[k], sum->words[k - 1]);
		FZ_CHECK(sum->level[k] >= at && sum->level[k] + n <= end,
			 "chunk 0x%lx: summary level %u at %p is outside its metadata or overlaps "
			 "a map or the level below", c->start_addr, k, (void *)sum->level[k]);
		at = sum->level[k] + n;
	}
	FZ_CHECK(sum->words[sum->top] == 1, "chunk 0x%lx: summary top level %u has %lu words",
		 c->start_addr, sum->top, sum->words[sum->top]);
}

/*
 * What the summary levels >= 1 of the chunk in @s must be, from its bitmap
 * (summary.h, not summary.c): bit j of level k is set exactly when word j
 * of level k - 1 is full (level 0's last word counts as full when every
 * granule in it is set), and bits for words that do not exist are set.
 * Written to @out, fz_sum_words(nbits) words, levels one after another.
 */
static inline void fz_sum_compute(const struct fz_chunk_snap *s, unsigned long *out)
{
	const unsigned long *below = s->bits;
	unsigned long nbelow = s->words, lw, full, want;

	for (unsigned int k = 1; nbelow > 1; k++) {
		lw = fz_words(nbelow);
		for (unsigned long w = 0; w < lw; w++) {
			want = 0;
			for (unsigned long b = 0; b < FZ_BITS_PER_LONG; b++) {
				unsigned long j = w * FZ_BITS_PER_LONG + b;

				if (j >= nbelow)
					full = 1; /* stands for no word */
				else if (k == 1)
					full = (below[j] | ~fz_word_mask(j, s->nbits)) == ~0UL;
				else
					full = below[j] == ~0UL;
				want |= full << b;
			}
			out[w] = want;
		}
		below = out;
		out += lw;
		nbelow = lw;
	}
}

/*
 * Invariant S: the pool is quiescent, so the summary must be exact (the
 * snapshot's levels equal fz_sum_compute), gp_sum_find_stale must agree,
 * and gp_sum_find_zero must equal the plain scan from every word's start.
 */
static inline void fz_check_summary(const struct gen_pool_chunk *c, const struct fz_chunk_snap *s)
{
	unsigned long want[FZ_SUM_WORDS];
	unsigned int stale_level = 0;
	unsigned long stale_word = 0;

	fz_sum_compute(s, want);
	for (unsigned long w = 0; w < s->sum_words; w++)
		FZ_CHECK(s->sum[w] == want[w],
			 "chunk 0x%lx: summary word %lu (levels >= 1 in a row) is 0x%lx, its bitmap "
			 "says 0x%lx (invariant S)", s->start, w, s->sum[w], want[w]);
	FZ_CHECK(!gp_sum_find_stale(&c->sum, &stale_level, &stale_word),
		 "chunk 0x%lx: gp_sum_find_stale reports level %u word %lu stale, but the "
		 "summary is exact", s->start, stale_level, stale_word);
	/* backwards, carrying the first free granule at or after each word's start */
	for (unsigned long w = s->words, z = s->nbits, got; w-- > 0;) {
		unsigned long from = w * FZ_BITS_PER_LONG;

		unsigned long v = s->bits[w] | ~fz_word_mask(w, s->nbits);

		if (v != ~0UL)
			z = from + (unsigned long)__builtin_ctzl(~v);
		got = gp_sum_find_zero(&c->sum, from);
		FZ_CHECK(got == z,
			 "chunk 0x%lx: gp_sum_find_zero(%lu) = %lu, the first free granule is %lu",
			 s->start, from, got, z);
	}
}

/*
 * Invariant T (src/runs.c): at quiescence every free-run node equals F of
 * its children (gp_runs_find_stale finds none), and the search through the
 * nodes equals the kernel's linear search (gp_bitmap_find_zero_area) for
 * lengths across word and node sizes, unaligned and aligned, from several
 * starts.
 */
static inline void fz_check_runs(const struct gen_pool_chunk *c)
{
	static const unsigned long lens[] = { 2, 3, 9, 33, 64, 65, 130, 600 };
	static const unsigned long masks[] = { 0, 0, 1, 7, 63 };
	unsigned long n = c->nbits, node = 0, want, got;
	unsigned int level = 0;

	FZ_CHECK(!gp_runs_find_stale(&c->sum.runs, &level, &node),
		 "chunk 0x%lx: free-run node %lu of level %u differs from its children "
		 "(invariant T)", c->start_addr, node, level);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (size_t j = 0; j < sizeof(masks) / sizeof(masks[0]); j++) {
			unsigned long start = (i * 37 + j * 101) % (n + 1), mask = masks[j];

			want = gp_bitmap_find_zero_area(c->bits, n, start, lens[i], mask, j % 2);
			want = want < n && lens[i] <= n - want ? want : n;
			got = gp_sum_find_zero_area(&c->sum, c->bits, n, start, lens[i], mask, j % 2);
			got = got < n && lens[i] <= n - got ? got : n;
			FZ_CHECK(got == want,
				 "chunk 0x%lx: search of %lu granules from %lu (mask %#lx offset %zu) "
				 "through the free-run nodes gives %lu, the linear search %lu",
				 c->start_addr, lens[i], start, mask, j % 2, got, want);
		}
	}
}

/*
 * Strict maps: every set start bit opens an allocation that the next set end
 * bit closes, with no start in between, all granules of it set; every set
 * granule lies in exactly one allocation.
 */
static inline void fz_check_strict(const struct fz_chunk_snap *s)
{
	unsigned long covered = 0;

	for (unsigned long b = 0; b < s->nbits; b++) {
		unsigned long e, w = b / FZ_BITS_PER_LONG;

		if (!(b % FZ_BITS_PER_LONG) && !(s->starts[w] | s->ends[w] | s->bits[w]) &&
		    b >= covered) {
			b += FZ_BITS_PER_LONG - 1; /* an empty word: nothing to check */
			continue;
		}
		if (!fz_test(s->starts, b)) {
			FZ_CHECK(!fz_test(s->ends, b) || b < covered,
				 "strict chunk 0x%lx: end mark at %lu closes no allocation",
				 s->start, b);
			continue;
		}
		FZ_CHECK(b >= covered, "strict chunk 0x%lx: allocations overlap at %lu", s->start,
			 b);
		for (e = b; e < s->nbits && !fz_test(s->ends, e); e++)
			FZ_CHECK(e == b || !fz_test(s->starts, e),
				 "strict chunk 0x%lx: start mark %lu inside allocation at %lu",
				 s->start, e, b);
		FZ_CHECK(e < s->nbits, "strict chunk 0x%lx: allocation at %lu has no end mark",
			 s->start, b);
		FZ_CHECK(fz_run_set(s->bits, s->nbits, b, e - b + 1),
			 "strict chunk 0x%lx: allocation [%lu, %lu] has free granules", s->start, b,
			 e);
		covered = e + 1;
	}
	for (unsigned long b = 0, in = 0; b < s->nbits; b++) {
		unsigned long w = b / FZ_BITS_PER_LONG;

		if (!(b % FZ_BITS_PER_LONG) && !in && !(s->starts[w] | s->ends[w] | s->bits[w])) {
			b += FZ_BITS_PER_LONG - 1;
			continue;
		}
		if (fz_test(s->starts, b))
			in = 1;
		FZ_CHECK(!fz_test(s->bits, b) || in,
			 "strict chunk 0x%lx: granule %lu is set but in no allocation", s->start, b);
		if (fz_test(s->ends, b))
			in = 0;
	}
}

static inline void fz_snap_chunk(const struct gen_pool *pool, const struct gen_pool_chunk *c,
				 struct fz_chunk_snap *s)
{
	unsigned long last;
	bool strict = fz_boundary(pool);

	fz_check_meta(pool, c);
	FZ_CHECK(c->nbits >= 1 && c->nbits <= FZ_MAX_BITS,
		 "chunk [0x%lx, 0x%lx] has %lu granules; the fuzzer never adds more than %lu",
		 c->start_addr, c->end_addr, c->nbits, FZ_MAX_BITS);
	FZ_CHECK(c->end_addr == c->start_addr + (c->nbits << pool->min_alloc_order) - 1,
		 "chunk 0x%lx: end 0x%lx is not start + nbits * G - 1", c->start_addr,
		 c->end_addr);
	FZ_CHECK(strict == (c->starts != NULL && c->ends != NULL),
		 "chunk 0x%lx: boundary maps %s in a %s pool", c->start_addr,
		 c->starts ? "present" : "missing", strict ? "boundary" : "non-boundary");
	s->self = c;
	s->start = c->start_addr;
	s->end = c->end_addr;
	s->nbits = c->nbits;
	s->phys = c->phys_addr;
	s->owner = c->owner;
	s->strict = strict;
	s->words = (c->nbits + FZ_BITS_PER_LONG - 1) / FZ_BITS_PER_LONG;
	memcpy(s->bits, c->bits, s->words * sizeof(unsigned long));
	if (strict) {
		memcpy(s->starts, c->starts, s->words * sizeof(unsigned long));
		memcpy(s->ends, c->ends, s->words * sizeof(unsigned long));
	}
	s->sum_words = fz_sum_words(c->nbits);
	FZ_CHECK(s->sum_words <= FZ_SUM_WORDS, "chunk 0x%lx: %lu summary words", s->start,
		 s->sum_words);
	for (unsigned int k = 1, at = 0; k <= c->sum.top; at += c->sum.words[k++])
		memcpy(s->sum + at, c->sum.level[k], c->sum.words[k] * sizeof(unsigned long));
	s->free = s->nbits - fz_count_set(s->bits, s->nbits);
	/* bits past nbits in the last word belong to no granule: never set */
	last = s->words - 1;
	FZ_CHECK(!((s->bits[last] | (strict ? s->starts[last] | s->ends[last] : 0)) &
		   ~fz_word_mask(last, s->nbits)),
		 "chunk 0x%lx: a bit past its %lu granules is set", s->start, s->nbits);
	fz_check_summary(c, s);
	fz_check_runs(c);
	if (strict)
		fz_check_strict(s);
}

/*
 * Snapshot @pool (checking its invariants on the way). The pool is
 * quiescent (the targets are single-threaded), so gen_pool_avail is exact:
 * the chunks' free granules, summed from their bitmaps.
 */
static inline void fz_snap(struct gen_pool *pool, struct fz_pool_snap *s)
{
	const struct gen_pool_chunk *c;
	size_t size = 0, avail = 0;

	s->order = pool->min_alloc_order;
	s->flags = pool->flags;
	s->pair = pool->algo;
	FZ_CHECK(s->pair && s->pair->algo, "pool has no default algorithm");
	s->algo = s->pair->algo;
	s->data = s->pair->data;
	s->n = 0;
	{
		unsigned long slot = 0;

		FZ_CHECK(!gp_slots_find_stale(pool, &slot),
			 "pool-level summary: slot %lu (or its group) differs from its chunk's "
			 "top node", slot);
	}
	for (c = pool->chunks; c; c = c->next) {
		FZ_CHECK(s->n < FZ_MAX_CHUNKS, "pool has more than %d chunks", FZ_MAX_CHUNKS);
		fz_snap_chunk(pool, c, &s->c[s->n]);
		size += s->c[s->n].nbits << s->order;
		avail += s->c[s->n].free << s->order;
		s->n++;
	}
	fz_rep_reset();
	s->size = gen_pool_size(pool);
	s->avail = gen_pool_avail(pool);
	fz_expect_report(0, "gen_pool_size/avail");
	FZ_CHECK(s->size == size && s->avail == avail,
		 "gen_pool_size %zu / avail %zu, chunks sum to %zu / %zu", s->size, s->avail, size,
		 avail);
}

static inline void fz_chunk_equal(const struct fz_chunk_snap *a, const struct fz_chunk_snap *b,
				  const char *call)
{
	FZ_CHECK(a->self == b->self && a->start == b->start && a->end == b->end &&
			 a->nbits == b->nbits && a->phys == b->phys && a->owner == b->owner,
		 "%s changed chunk [0x%lx, 0x%lx]", call, a->start, a->end);
	for (unsigned long w = 0; w < a->words; w++) {
		FZ_CHECK(a->bits[w] == b->bits[w],
			 "%s changed bitmap word %lu of chunk 0x%lx: 0x%lx -> 0x%lx", call, w,
			 a->start, a->bits[w], b->bits[w]);
		FZ_CHECK(!a->strict || (a->starts[w] == b->starts[w] && a->ends[w] == b->ends[w]),
			 "%s changed boundary maps word %lu of chunk 0x%lx", call, w, a->start);
	}
	/* the summaries follow from the bitmaps (fz_check_summary); compared all the same */
	for (unsigned long w = 0; w < a->sum_words; w++)
		FZ_CHECK(a->sum[w] == b->sum[w],
			 "%s changed summary word %lu of chunk 0x%lx: 0x%lx -> 0x%lx", call, w,
			 a->start, a->sum[w], b->sum[w]);
}

/* @call left the pool exactly as in @a: @b is the snapshot after it. */
static inline void fz_snap_equal(const struct fz_pool_snap *a, const struct fz_pool_snap *b,
				 const char *call)
{
	FZ_CHECK(a->order == b->order && a->flags == b->flags, "%s changed order or flags", call);
	FZ_CHECK(a->pair == b->pair && a->algo == b->algo && a->data == b->data,
		 "%s changed the default algorithm", call);
	FZ_CHECK(a->n == b->n, "%s changed the chunk count %u -> %u", call, a->n, b->n);
	FZ_CHECK(a->size == b->size && a->avail == b->avail,
		 "%s changed size/avail %zu/%zu -> %zu/%zu", call, a->size, a->avail, b->size,
		 b->avail);
	for (unsigned int i = 0; i < a->n; i++)
		fz_chunk_equal(&a->c[i], &b->c[i], call);
}

/* The chunk of @s holding @addr, or NULL. */
static inline const struct fz_chunk_snap *fz_snap_find(const struct fz_pool_snap *s,
						       unsigned long addr)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (addr >= s->c[i].start && addr <= s->c[i].end)
			return &s->c[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* for_each_chunk                                                           */

struct fz_walk {
	unsigned int n;
	const struct gen_pool *pool;
	struct {
		const struct gen_pool_chunk *self;
		unsigned long start, end;
		phys_addr_t phys;
		void *owner;
	} c[FZ_MAX_CHUNKS];
	void (*inside)(struct gen_pool *pool, unsigned int i, void *arg); /* optional */
	void *arg;
};

static inline void fz_walk_cb(struct gen_pool *pool, struct gen_pool_chunk *chunk, void *data)
{
	struct fz_walk *w = data;

	FZ_CHECK(pool == w->pool, "for_each_chunk passed pool %p, not %p", (void *)pool,
		 (const void *)w->pool);
	FZ_CHECK(w->n < FZ_MAX_CHUNKS, "for_each_chunk visited more than %d chunks",
		 FZ_MAX_CHUNKS);
	w->c[w->n].self = chunk;
	w->c[w->n].start = gen_pool_chunk_start(chunk);
	w->c[w->n].end = gen_pool_chunk_end(chunk);
	w->c[w->n].phys = gen_pool_chunk_phys(chunk);
	w->c[w->n].owner = gen_pool_chunk_owner(chunk);
	if (w->inside)
		w->inside(pool, w->n, w->arg);
	w->n++;
}

/* for_each_chunk visits exactly the chunks of @s, newest first, once each. */
static inline void fz_walk_check(const struct fz_walk *w, const struct fz_pool_snap *s)
{
	FZ_CHECK(w->n == s->n, "for_each_chunk visited %u chunks of %u", w->n, s->n);
	for (unsigned int i = 0; i < w->n; i++)
		FZ_CHECK(w->c[i].self == s->c[i].self && w->c[i].start == s->c[i].start &&
				 w->c[i].end == s->c[i].end && w->c[i].phys == s->c[i].phys &&
				 w->c[i].owner == s->c[i].owner,
			 "for_each_chunk: chunk %u is [0x%lx, 0x%lx], expected [0x%lx, 0x%lx]", i,
			 w->c[i].start, w->c[i].end, s->c[i].start, s->c[i].end);
}

/* ------------------------------------------------------------------------ */
/* Teardown                                                                 */

static inline void fz_free_ok(struct gen_pool *pool, unsigned long addr, size_t size)
{
	int r;

	fz_rep_reset();
	r = gen_pool_free(pool, addr, size);
	FZ_CHECK(r == 0, "drain: gen_pool_free(0x%lx, %zu) = %d: %s", addr, size, r, fz_rep.msg);
	fz_expect_report(0, "drain: gen_pool_free");
}

/*
 * Free everything still allocated (strict pools: each allocation exactly;
 * others: each maximal run of allocated granules, which the kernel
 * semantics allow to span allocations), then destroy the pool: every free
 * must succeed and the empty pool must destroy without complaint.
 */
static inline void fz_drain_destroy(struct gen_pool *pool)
{
	static struct fz_pool_snap s;
	int r;

	fz_snap(pool, &s);
	for (unsigned int i = 0; i < s.n; i++) {
		const struct fz_chunk_snap *c = &s.c[i];
		unsigned long g = 1UL << s.order;

		for (unsigned long b = 0; b < c->nbits;) {
			unsigned long e = b;

			if (!fz_test(c->bits, b)) {
				b++;
				continue;
			}
			if (c->strict)
				while (!fz_test(c->ends, e))
					e++;
			else
				while (e + 1 < c->nbits && fz_test(c->bits, e + 1))
					e++;
			fz_free_ok(pool, c->start + b * g, (e - b + 1) * g);
			b = e + 1;
		}
	}
	fz_snap(pool, &s);
	FZ_CHECK(s.avail == s.size, "drain: avail %zu != size %zu after freeing everything",
		 s.avail, s.size);
	fz_rep_reset();
	r = gen_pool_destroy(pool);
	FZ_CHECK(r == 0, "drain: gen_pool_destroy of an empty pool = %d: %s", r, fz_rep.msg);
	fz_expect_report(0, "drain: gen_pool_destroy");
}

#endif /* GENPOOL_FUZZ_COMMON_H */
