/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mt_overlap.c - threads racing on one pool must never be handed the same
 * granule twice.
 *
 * For each pool kind (lock-free, GEN_POOL_SPINLOCK, GEN_POOL_STRICT), four
 * threads allocate random sizes with random built-in algorithms from three
 * address-only chunks (never touched), keep up to 32 live ranges each, free
 * random ones, and pass some to each other through an exchange array. A
 * shadow map with one word per granule records who holds it: a claim that
 * finds the word non-zero is an overlap. Also checked: every address lies
 * in a chunk and is aligned as its algorithm promises, every free returns
 * 0, a failed allocation sets ENOMEM, and the pool is whole at the end.
 * Bounded by time and by an op count; exits 1 on any failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "genpool.h"

#define NTHREADS 4
#define ORDER 6
#define G (1UL << ORDER)
#define MAX_LIVE 32
#define MAX_NR 130
#define NSLOTS 8
#define RUN_SECONDS 2.5
#define OP_LIMIT 4000000UL /* per thread */
#define MAX_MESSAGES 20

/* Granule counts are deliberately not multiples of 64. */
static const unsigned long chunk_granules[] = { 1000, 1531, 1723 };
#define NCHUNKS (sizeof(chunk_granules) / sizeof(chunk_granules[0]))
#define TOTAL_GRANULES (1000 + 1531 + 1723)

static unsigned long chunk_base[NCHUNKS];
static unsigned long chunk_first[NCHUNKS]; /* index of the chunk's first shadow word */
static unsigned int shadow[TOTAL_GRANULES]; /* 0 = free, else holder's id + 1 */

static const struct genpool_data_align align4096 = { .align = 4096 };

static const struct {
	const char *name;
	genpool_algo_t algo;
	const void *data;
} algos[] = {
	{ "first_fit", gen_pool_first_fit, NULL },
	{ "best_fit", gen_pool_best_fit, NULL },
	{ "first_fit_order_align", gen_pool_first_fit_order_align, NULL },
	{ "first_fit_align", gen_pool_first_fit_align, &align4096 },
};
#define NALGOS (sizeof(algos) / sizeof(algos[0]))

struct range {
	unsigned long addr;
	size_t size; /* bytes as allocated, not always whole granules */
	unsigned int nr;
};

struct worker {
	pthread_t thread;
	unsigned int id;
	uint64_t rng;
	struct range live[MAX_LIVE];
	int nlive;
	unsigned long ops, allocs, frees, enomem, passes;
};

static struct gen_pool *pool;
static double deadline;
static uint64_t slots[NSLOTS]; /* 0 or an encoded range in transit */
static unsigned long overlaps, failures;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545f4914f6cdd1dULL;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED) >= MAX_MESSAGES)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "mt_overlap: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_error(int err, const char *msg, void *arg)
{
	(void)arg;
	if (err != ENOMEM)
		fail("refusal reported (%d): %s", err, msg);
}

/* The chunk holding @addr, or -1. */
static int chunk_of(unsigned long addr)
{
	for (unsigned int c = 0; c < NCHUNKS; c++)
		if (addr >= chunk_base[c] && addr - chunk_base[c] < chunk_granules[c] * G)
			return (int)c;
	return -1;
}

static unsigned long shadow_index(unsigned long addr)
{
	int c = chunk_of(addr);

	return chunk_first[c] + (addr - chunk_base[c]) / G;
}

/* Move granules [first, first + nr) from holder @from to @to; count overlaps. */
static void shadow_move(unsigned long first, unsigned int nr, unsigned int from, unsigned int to)
{
	for (unsigned long i = first; i < first + nr; i++) {
		unsigned int seen = from;

		if (__atomic_compare_exchange_n(&shadow[i], &seen, to, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			continue;
		if (__atomic_fetch_add(&overlaps, 1, __ATOMIC_RELAXED) < MAX_MESSAGES)
			fprintf(stderr, "mt_overlap: OVERLAP: granule %lu expected holder %u, "
					"found %u (moving to %u)\n", i, from, seen, to);
	}
}

static unsigned long roundup_pow2(unsigned long n)
{
	unsigned long p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* Is the new range [addr, addr + nr granules) where @algo may put it? */
static bool range_ok(unsigned long addr, unsigned int nr, unsigned int algo)
{
	int c = chunk_of(addr);
	unsigned long off;

	if (c < 0 || (addr - chunk_base[c]) % G) {
		fail("%s returned 0x%lx, not a granule of any chunk", algos[algo].name, addr);
		return false;
	}
	off = (addr - chunk_base[c]) / G;
	if (off + nr > chunk_granules[c]) {
		fail("0x%lx + %u granules runs past its chunk", addr, nr);
		return false;
	}
	if (algos[algo].algo == gen_pool_first_fit_align && addr % 4096)
		fail("first_fit_align(4096) returned 0x%lx", addr);
	if (algos[algo].algo == gen_pool_first_fit_order_align && off % roundup_pow2(nr))
		fail("first_fit_order_align(%u) returned granule %lu of its chunk", nr, off);
	if (!gen_pool_has_addr(pool, addr, (size_t)nr * G))
		fail("has_addr(0x%lx, %u granules) is false", addr, nr);
	return true;
}

static void do_alloc(struct worker *w)
{
	unsigned int algo = (unsigned int)(rnd(w) % NALGOS);
	unsigned int nr = 1 + (unsigned int)(rnd(w) % MAX_NR);
	size_t size = nr * G - rnd(w) % G; /* rounds up to nr granules */
	unsigned long addr;

	errno = 0;
	addr = gen_pool_alloc_algo(pool, size, algos[algo].algo, (void *)algos[algo].data);
	if (!addr) {
		if (errno != ENOMEM)
			fail("alloc of %zu bytes failed with errno %d, not ENOMEM", size, errno);
		w->enomem++;
		return;
	}
	w->allocs++;
	if (!range_ok(addr, nr, algo))
		return; /* leaked on purpose: it is not ours to track */
	shadow_move(shadow_index(addr), nr, 0, w->id + 1);
	w->live[w->nlive++] = (struct range){ addr, size, nr };
}

static void free_range(unsigned int holder, const struct range *r)
{
	int err;

	shadow_move(shadow_index(r->addr), r->nr, holder + 1, 0);
	err = gen_pool_free(pool, r->addr, r->size);
	if (err)
		fail("free(0x%lx, %zu) returned %d", r->addr, r->size, err);
}

static void do_free(struct worker *w, int i)
{
	free_range(w->id, &w->live[i]);
	w->live[i] = w->live[--w->nlive];
	w->frees++;
}

/* Slot encoding: shadow index + 1, the holder, and the size in bytes. */
static uint64_t encode(unsigned int holder, const struct range *r)
{
	return (uint64_t)(shadow_index(r->addr) + 1) << 24 | (uint64_t)holder << 16 |
	       (uint64_t)r->size;
}

static struct range decode(uint64_t code, unsigned int *holder)
{
	unsigned long idx = (unsigned long)(code >> 24) - 1;
	unsigned int c = 0;
	struct range r;

	while (c + 1 < NCHUNKS && idx >= chunk_first[c + 1])
		c++;
	r.addr = chunk_base[c] + (idx - chunk_first[c]) * G;
	r.size = (size_t)(code & 0xffff);
	r.nr = (unsigned int)((r.size + G - 1) / G);
	*holder = (unsigned int)(code >> 16) & 0xff;
	return r;
}

/* Hand live range @i to whoever takes the slot; adopt what was there. */
static void do_pass(struct worker *w, int i)
{
	uint64_t old, code = encode(w->id, &w->live[i]);
	unsigned int holder;
	struct range r;

	w->live[i] = w->live[--w->nlive];
	old = __atomic_exchange_n(&slots[rnd(w) % NSLOTS], code, __ATOMIC_ACQ_REL);
	w->passes++;
	if (!old)
		return;
	r = decode(old, &holder);
	shadow_move(shadow_index(r.addr), r.nr, holder + 1, w->id + 1);
	w->live[w->nlive++] = r;
}

static void step(struct worker *w)
{
	uint64_t r = rnd(w);

	if (w->nlive == 0 || (w->nlive < MAX_LIVE && r % 2))
		do_alloc(w);
	else if (r % 16 == 2)
		do_pass(w, (int)(rnd(w) % (uint64_t)w->nlive));
	else
		do_free(w, (int)(rnd(w) % (uint64_t)w->nlive));
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (w->ops < OP_LIMIT) {
		if (w->ops % 256 == 0 && now() >= deadline)
			break;
		step(w);
		w->ops++;
	}
	while (w->nlive)
		do_free(w, w->nlive - 1);
	return NULL;
}

static struct gen_pool *make_pool(unsigned int flags)
{
	struct gen_pool *p = gen_pool_create_flags(ORDER, -1, flags);

	if (!p) {
		perror("gen_pool_create_flags");
		exit(1);
	}
	for (unsigned int c = 0; c < NCHUNKS; c++) {
		if (gen_pool_add(p, chunk_base[c], chunk_granules[c] * G, -1)) {
			fprintf(stderr, "mt_overlap: gen_pool_add of chunk %u failed\n", c);
			exit(1);
		}
	}
	return p;
}

/* Free what is still in transit, then check the pool and shadow are whole. */
static void finish(void)
{
	unsigned int holder;
	struct range r;
	int err;

	for (int s = 0; s < NSLOTS; s++) {
		if (!slots[s])
			continue;
		r = decode(slots[s], &holder);
		free_range(holder, &r);
		slots[s] = 0;
	}
	for (unsigned long i = 0; i < TOTAL_GRANULES; i++)
		if (shadow[i])
			fail("granule %lu still held by %u at the end", i, shadow[i]);
	if (gen_pool_avail(pool) != gen_pool_size(pool))
		fail("avail %zu != size %zu at the end", gen_pool_avail(pool), gen_pool_size(pool));
	if (gen_pool_size(pool) != TOTAL_GRANULES * G)
		fail("size %zu, expected %lu", gen_pool_size(pool), TOTAL_GRANULES * G);
	err = gen_pool_destroy(pool);
	if (err)
		fail("gen_pool_destroy returned %d", err);
}

static void run(const char *kind, unsigned int flags)
{
	static struct worker w[NTHREADS];
	unsigned long ops = 0, allocs = 0, frees = 0, enomem = 0, passes = 0;
	unsigned long overlaps0 = overlaps, failures0 = failures;
	double start = now();

	pool = make_pool(flags);
	deadline = start + RUN_SECONDS;
	for (unsigned int t = 0; t < NTHREADS; t++) {
		w[t] = (struct worker){ .id = t, .rng = 0x9e3779b97f4a7c15ULL * (t + 1) + flags };
		if (pthread_create(&w[t].thread, NULL, worker_main, &w[t])) {
			perror("pthread_create");
			exit(1);
		}
	}
	for (unsigned int t = 0; t < NTHREADS; t++) {
		pthread_join(w[t].thread, NULL);
		ops += w[t].ops;
		allocs += w[t].allocs;
		frees += w[t].frees;
		enomem += w[t].enomem;
		passes += w[t].passes;
	}
	finish();
	if (allocs == 0)
		fail("%s: no allocation succeeded", kind);
	printf("mt_overlap: %-9s %d threads: %lu ops (%lu allocs, %lu frees, %lu ENOMEM, "
	       "%lu passed), %lu overlaps, %lu failures, %.2f s\n",
	       kind, NTHREADS, ops, allocs, frees, enomem, passes, overlaps - overlaps0,
	       failures - failures0, now() - start);
	fflush(stdout);
}

int main(void)
{
	unsigned long first = 0;

	for (unsigned int c = 0; c < NCHUNKS; c++) {
		/* 4 GiB apart on 64-bit, 256 MiB apart on 32-bit; never dereferenced */
		chunk_base[c] = (unsigned long)(c + 1) << (sizeof(long) == 8 ? 32 : 28);
		chunk_first[c] = first;
		first += chunk_granules[c];
	}
	gen_pool_set_error_handler(on_error, NULL);
	run("lock-free", 0);
	run("spinlock", GEN_POOL_SPINLOCK);
	run("strict", GEN_POOL_STRICT);
	if (overlaps || failures) {
		fprintf(stderr, "mt_overlap: %lu overlaps, %lu failures\n", overlaps, failures);
		return 1;
	}
	return 0;
}
