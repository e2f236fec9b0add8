// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * icount.c - the hot paths' instruction counts: a driver for callgrind.
 *
 *   icount KIND PAIRS
 *
 * sets up one pool (or malloc) of KIND, warms it up, then runs PAIRS
 * alloc+free pairs of one granule (4 KiB) on one thread. Run under
 * `valgrind --tool=callgrind` twice, with two values of PAIRS, the
 * difference of the two totals divided by the difference of PAIRS is the
 * instructions of one pair, with setup, warm-up and exit cancelled out
 * (bench/icount.py does this). Instruction counts do not depend on the
 * machine's load, so a regression of a few instructions shows where a
 * timing would drift by 2x.
 *
 * KIND is one of
 *   lf      lock-free pool, gen_pool_first_fit (genpool_lf)
 *   sc      lock-free pool, gen_pool_scalable_fit (genpool_sc): the
 *           uncached scalable pair
 *   tc      GEN_POOL_THREAD_CACHE pool, default algorithm (genpool_tc):
 *           the cached pair, every pair a hit
 *   spin    GEN_POOL_SPINLOCK pool (genpool_spin)
 *   ticket  GEN_POOL_LOCK_TICKET pool (genpool_ticket)
 *   mcs     GEN_POOL_LOCK_MCS pool (genpool_mcs)
 *   search  lock-free pool, gen_pool_first_fit, each granule held with
 *           probability 0.9 (a fixed seed), as gbench's search at 90 %:
 *           the 1-granule search pair, the counterpart of search-prev
 *   churn   GEN_POOL_THREAD_CACHE pool, default algorithm: one thread's
 *           share of bench/wl_random.c's churn target (max_gran:16 at 2
 *           threads), each pair a free of a random live range and an
 *           allocation of 1..16 granules in its place; about half the
 *           sizes are above the cache's default classes
 *   glibc   glibc's malloc + free of 4 KiB
 *   jemalloc  jemalloc's, dlopen()ed as bench/gbench does (the process
 *           needs GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384)
 *
 * The pools are 64 MiB of address space (genpool never touches it) in 4 KiB
 * granules, half filled before the warm-up with ranges of 1..64 granules
 * from a fixed seed, like bench/gbench's hot_pair (search's: 90 % of the
 * granules, each on its own): the layout and so every count is the same
 * in every run. churn's pool is 1 GiB, empty but for its
 * live set, as wl_random's; its sizes come from a fixed seed too.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genpool.h>

#define ORDER 12
#define GRANULE (1UL << ORDER)
#define POOL_BYTES (64UL << 20)
#define POOL_BASE 0x7e0000000000UL /* address space only */
#define WARMUP 1000
#define CHURN_POOL_BYTES (1UL << 30)
#define CHURN_LIVE 1024 /* wl_random's 2048 ranges, one of its 2 threads' share */
#define CHURN_MAX 16    /* granules */

struct kind {
	const char *name;
	unsigned int flags;
	genpool_algo_t algo; /* NULL: the pool's default */
};

static const struct kind kinds[] = {
	{ "lf", 0, gen_pool_first_fit },
	{ "sc", 0, gen_pool_scalable_fit },
	{ "tc", GEN_POOL_THREAD_CACHE, NULL },
	{ "spin", GEN_POOL_SPINLOCK, gen_pool_first_fit },
	{ "ticket", GEN_POOL_LOCK_TICKET, gen_pool_first_fit },
	{ "mcs", GEN_POOL_LOCK_MCS, gen_pool_first_fit },
};

static const struct kind churn_kind = { "churn", GEN_POOL_THREAD_CACHE, NULL };
static const struct kind search_kind = { "search", 0, gen_pool_first_fit };

static void *(*malloc_fn)(size_t);
static void (*free_fn)(void *);

static void die(const char *what)
{
	fprintf(stderr, "icount: %s\n", what);
	exit(1);
}

/* Half of the pool in ranges of 1..64 granules, the other half free between them. */
static void prefill(struct gen_pool *pool)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned long at = 0, n, free_n;

	while (at < POOL_BYTES / GRANULE) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		n = 1 + (x >> 58);
		free_n = 1 + ((x >> 20) & 63);
		if (at + n + free_n > POOL_BYTES / GRANULE)
			break;
		if (gen_pool_alloc_algo(pool, n * GRANULE, gen_pool_fixed_alloc,
					&(struct genpool_data_fixed){ .offset = at * GRANULE }) !=
		    POOL_BASE + at * GRANULE)
			die("prefill");
		at += n + free_n;
	}
}

/* Each granule held with probability 9/10, as bench/fill.c's max_range 1. */
static void prefill_random(struct gen_pool *pool)
{
	uint64_t x = 0x2545f4914f6cdd1dULL;

	for (unsigned long at = 0; at < POOL_BYTES / GRANULE; at++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((x >> 33) % 10 == 9)
			continue;
		if (gen_pool_alloc_algo(pool, GRANULE, gen_pool_fixed_alloc,
					&(struct genpool_data_fixed){ .offset = at * GRANULE }) !=
		    POOL_BASE + at * GRANULE)
			die("prefill");
	}
}

static struct gen_pool *empty_pool_of(const struct kind *k, size_t bytes)
{
	struct gen_pool *pool = gen_pool_create_flags(ORDER, -1, k->flags);

	if (!pool || gen_pool_add(pool, POOL_BASE, bytes, -1))
		die("pool setup");
	return pool;
}

static struct gen_pool *pool_of(const struct kind *k)
{
	struct gen_pool *pool = empty_pool_of(k, POOL_BYTES);

	if (k == &search_kind)
		prefill_random(pool);
	else
		prefill(pool);
	if (k->algo)
		gen_pool_set_algo(pool, k->algo, NULL);
	return pool;
}

static void pool_pairs(struct gen_pool *pool, unsigned long pairs)
{
	for (unsigned long i = 0; i < pairs; i++) {
		unsigned long a = gen_pool_alloc(pool, GRANULE);

		if (!a || gen_pool_free(pool, a, GRANULE))
			die("hot pair");
	}
}

struct churn {
	unsigned long addr[CHURN_LIVE], bytes[CHURN_LIVE];
	uint64_t x; /* the LCG's state */
};

static unsigned long churn_next(struct churn *s)
{
	s->x = s->x * 6364136223846793005ULL + 1442695040888963407ULL;
	return s->x >> 33;
}

/* Fill slot @i with a new range of 1..CHURN_MAX granules. */
static void churn_fill(struct gen_pool *pool, struct churn *s, unsigned long i)
{
	s->bytes[i] = (1 + churn_next(s) % CHURN_MAX) * GRANULE;
	s->addr[i] = gen_pool_alloc(pool, s->bytes[i]);
	if (!s->addr[i])
		die("churn alloc");
}

/* wl_random's step: free a random live range, allocate a random size in its place. */
static void churn_pairs(struct gen_pool *pool, struct churn *s, unsigned long pairs)
{
	for (unsigned long n = 0; n < pairs; n++) {
		unsigned long i = churn_next(s) % CHURN_LIVE;

		if (gen_pool_free(pool, s->addr[i], s->bytes[i]))
			die("churn free");
		churn_fill(pool, s, i);
	}
}

static void churn(unsigned long pairs)
{
	static struct churn s = { .x = 0x9e3779b97f4a7c15ULL };
	struct gen_pool *pool = empty_pool_of(&churn_kind, CHURN_POOL_BYTES);

	for (unsigned long i = 0; i < CHURN_LIVE; i++)
		churn_fill(pool, &s, i);
	churn_pairs(pool, &s, WARMUP * 10); /* the caches and the depot at steady state */
	churn_pairs(pool, &s, pairs);
}

static void malloc_pairs(unsigned long pairs)
{
	for (unsigned long i = 0; i < pairs; i++) {
		void *p = malloc_fn(GRANULE);

		if (!p)
			die("malloc");
		/* the compiler must not pair these away: an opaque pointer */
		__asm__ volatile("" : "+r"(p));
		free_fn(p);
	}
}

static void load_malloc(const char *name)
{
	void *h;

	if (!strcmp(name, "glibc")) {
		malloc_fn = malloc;
		free_fn = free;
		return;
	}
	h = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		die(dlerror());
	malloc_fn = (void *(*)(size_t))dlsym(h, "malloc");
	free_fn = (void (*)(void *))dlsym(h, "free");
	if (!malloc_fn || !free_fn)
		die("jemalloc: no malloc/free");
}

int main(int argc, char **argv)
{
	unsigned long pairs;
	size_t i;

	if (argc != 3)
		die("usage: icount lf|sc|tc|spin|ticket|mcs|search|churn|glibc|jemalloc PAIRS");
	pairs = strtoul(argv[2], NULL, 0);
	if (!strcmp(argv[1], churn_kind.name)) {
		churn(pairs);
		return 0; /* as below: no teardown counted */
	}
	for (i = 0; i <= sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = i < sizeof(kinds) / sizeof(kinds[0]) ? &kinds[i] : &search_kind;

		if (!strcmp(argv[1], k->name)) {
			struct gen_pool *pool = pool_of(k);

			pool_pairs(pool, WARMUP);
			pool_pairs(pool, pairs);
			gen_pool_cache_flush(pool);
			return 0; /* the pool is left: its teardown would count */
		}
	}
	if (strcmp(argv[1], "glibc") && strcmp(argv[1], "jemalloc"))
		die("unknown kind");
	load_malloc(argv[1]);
	malloc_pairs(WARMUP);
	malloc_pairs(pairs);
	return 0;
}
