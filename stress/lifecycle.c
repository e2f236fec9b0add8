// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lifecycle.c - genpool_stress_lifecycle: chunk removal and re-adding, and
 * imports and shrink, while other threads allocate and free.
 *
 * --mode remove (default): NSLOTS chunks of real memory. Workers allocate
 * (first fit, best fit, scalable fit, xalloc under random constraints, the
 * pool's default through the thread cache in cache pools), check that the
 * address lies in a slot that is not GONE, claim its granules in a shadow
 * owner map (two owners of one granule: failure), write a pattern into the
 * memory, and later verify it, release the shadow and free. The remover
 * thread takes a random slot from LIVE to REMOVING, calls
 * gen_pool_remove_chunk, and on 0: checks that no granule of the slot is
 * owned in the shadow, marks it GONE, unmaps its memory at once (any later
 * touch faults, and a fault fails the run), checks that a free of an
 * address in it is refused and has_addr is false, then maps memory again
 * (at the same address when the kernel allows: a re-added range must never
 * reach the old chunk's metadata), marks it ADDING, adds it and marks it
 * LIVE. So the shadow map and the slot states prove that no address of a
 * removed chunk is handed out after removal returns.
 *
 * --mode source: the pool starts empty with an anonymous source and a small
 * quantum; workers allocate and free as above (ownership through the
 * pattern: each range's granules carry its tag), and the remover calls
 * gen_pool_shrink in a loop, which unmaps every wholly free import.
 *
 * The remover stalls at the pause point inside removal (GP_TP_REMOVE_CLOSED:
 * the chunk closed, not yet unlinked; linked against the 'testpoints'
 * variant) until the workers have completed STALL_OPS more operations: a
 * stalled remover must never block allocation elsewhere (progress), and
 * the closed chunk must take no allocation meanwhile (the window in which
 * a removal that does not close the chunk is caught).
 *
 * Exit 0 when clean, 1 on a failure (a fault included), 2 on bad usage.
 * Mutants 20 and 21 (src/mutant.h) must make it fail (suite mutants).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "genpool.h"
#include "testpoint.h"

#define ORDER 6
#define G (1UL << ORDER)
#define NSLOTS 8
#define SLOT_G 256 /* granules per slot: 16 KiB */
#define MAX_THREADS 16
#define LIVE 16
#define MAX_NR 16
#define FLUSH_EVERY 32 /* cache pools: a worker returns its own cache this often */

enum { LIVE_S, REMOVING, GONE, ADDING };

static struct slot {
	unsigned long base; /* relaxed atomics; changes only while GONE */
	int state;          /* acquire/release */
	uint64_t owner[SLOT_G]; /* shadow: tag of the owning range, 0 = free */
} slots[NSLOTS];

static struct gen_pool *pool;
static unsigned int nthreads = 4, flags;
static double seconds = 1.0;
static int mode_source, stop, failures;
static unsigned long removals, busy, shrunk, imports_seen, stalls;
static unsigned long ops_total; /* every worker's completed operations; relaxed */
#define STALL_OPS 300
#define STALL_DEADLINE 10.0 /* seconds without that progress: blocked */
static __thread bool expect_refusal;

#define FAIL(...)                                                                           \
	do {                                                                                \
		fprintf(stderr, "genpool_stress_lifecycle: FAIL: " __VA_ARGS__);          \
		fputc('\n', stderr);                                                        \
		__atomic_store_n(&failures, 1, __ATOMIC_RELAXED);                           \
		__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);                               \
	} while (0)

static void on_fault(int sig)
{
	static const char msg[] = "genpool_stress_lifecycle: FAIL: memory fault: a range "
				  "of a removed or released chunk was touched\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static void on_error(int err, const char *msg, void *arg)
{
	(void)arg;
	if (!expect_refusal)
		FAIL("unexpected refusal %d: %s", err, msg);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * The remover, stalled inside removal: the others must go on. (Cache pools'
 * workers may all be busy freeing into their caches; progress is progress.)
 */
static void stall_hook(enum gp_testpoint tp)
{
	unsigned long start;
	double deadline;

	if (tp != GP_TP_REMOVE_CLOSED)
		return;
	start = __atomic_load_n(&ops_total, __ATOMIC_RELAXED);
	deadline = now() + STALL_DEADLINE;
	while (__atomic_load_n(&ops_total, __ATOMIC_RELAXED) - start < STALL_OPS &&
	       !__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (now() > deadline) {
			FAIL("a remover stalled inside removal blocked the workers: %lu ops in "
			     "%.0f s", __atomic_load_n(&ops_total, __ATOMIC_RELAXED) - start,
			     STALL_DEADLINE);
			return;
		}
		usleep(100);
	}
	stalls++;
}

/* ---- slots (remove mode) ---- */

static void *map_at(unsigned long hint)
{
	void *p = mmap((void *)hint, SLOT_G * G, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (hint ? MAP_FIXED_NOREPLACE : 0), -1, 0);

	if (p == MAP_FAILED && hint)
		p = mmap(NULL, SLOT_G * G, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static void slot_add(struct slot *s, unsigned long hint)
{
	unsigned long base = (unsigned long)map_at(hint);

	memset(s->owner, 0, sizeof(s->owner)); /* nobody can own a GONE slot's granules */
	__atomic_store_n(&s->base, base, __ATOMIC_RELAXED);
	/* release: pairs with the acquire in slot_of; the add publishes the chunk */
	__atomic_store_n(&s->state, ADDING, __ATOMIC_RELEASE);
	if (gen_pool_add(pool, base, SLOT_G * G, -1))
		FAIL("gen_pool_add(0x%lx) failed", base);
	__atomic_store_n(&s->state, LIVE_S, __ATOMIC_RELEASE);
}

/* The slot holding [addr, addr + len), its state and base; NULL if none. */
static struct slot *slot_of(unsigned long addr, unsigned long len, int *state,
			    unsigned long *slot_base)
{
	for (int i = 0; i < NSLOTS; i++) {
		/* acquire: pairs with the releases of slot_add / remove_one */
		int st = __atomic_load_n(&slots[i].state, __ATOMIC_ACQUIRE);
		unsigned long base = __atomic_load_n(&slots[i].base, __ATOMIC_RELAXED);

		if (addr >= base && addr + len <= base + SLOT_G * G) {
			*state = st;
			*slot_base = base;
			return &slots[i];
		}
	}
	return NULL;
}

/* ---- workers ---- */

struct range {
	unsigned long addr, nr;
	uint64_t tag;
	struct slot *slot;
	unsigned long base; /* the slot's base when the range was handed out */
};

static void pattern(const struct range *r, bool check)
{
	for (unsigned long i = 0; i < r->nr; i++) {
		uint64_t *w = (uint64_t *)(r->addr + i * G);

		if (!check)
			*w = r->tag;
		else if (*w != r->tag)
			FAIL("0x%lx: pattern 0x%llx, expected 0x%llx (two owners)", r->addr + i * G,
			     (unsigned long long)*w, (unsigned long long)r->tag);
	}
}

static unsigned long do_alloc(uint64_t *rng, unsigned long nr)
{
	struct genpool_constraints c = { 0 };

	switch (rnd(rng) % 5) {
	case 0: return gen_pool_alloc_algo(pool, nr * G, gen_pool_best_fit, NULL);
	case 1: return gen_pool_alloc_algo(pool, nr * G, gen_pool_scalable_fit, NULL);
	case 2:
		c.align = G << (rnd(rng) % 4);
		c.nocross = nr * G <= 1024 ? 1024 : 0;
		return gen_pool_xalloc(pool, nr * G, &c);
	default: return gen_pool_alloc(pool, nr * G);
	}
}

/* Claim the shadow of @r (remove mode); false if another range owns a granule. */
static bool shadow_claim(struct range *r)
{
	unsigned long first = (r->addr - r->base) / G;

	for (unsigned long i = 0; i < r->nr; i++) {
		uint64_t zero = 0;

		if (!__atomic_compare_exchange_n(&r->slot->owner[first + i], &zero, r->tag, false,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			FAIL("granule 0x%lx handed out twice", r->addr + i * G);
			return false;
		}
	}
	return true;
}

static bool take(struct range *r)
{
	int st = GONE;

	if (mode_source)
		return true;
	r->slot = slot_of(r->addr, r->nr * G, &st, &r->base);
	if (!r->slot) {
		FAIL("0x%lx + %lu granules is in no slot", r->addr, r->nr);
		return false;
	}
	if (st == GONE) {
		FAIL("0x%lx handed out from a removed chunk", r->addr);
		return false;
	}
	return shadow_claim(r);
}

static void give_back(struct range *r)
{
	unsigned long first;

	pattern(r, true);
	if (!mode_source) {
		first = (r->addr - r->base) / G;
		for (unsigned long i = 0; i < r->nr; i++)
			__atomic_store_n(&r->slot->owner[first + i], 0, __ATOMIC_RELAXED);
	}
	if (gen_pool_free(pool, r->addr, r->nr * G))
		FAIL("free(0x%lx, %lu granules) failed", r->addr, r->nr);
}

static void *worker_main(void *arg)
{
	uint64_t rng = 0x9e3779b97f4a7c15ULL * ((uintptr_t)arg + 1), seq = 0;
	struct range live[LIVE];
	unsigned long ops = 0;
	int n = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		/* else other threads' caches keep every chunk busy for ever */
		if ((flags & GEN_POOL_THREAD_CACHE) && ++ops % FLUSH_EVERY == 0)
			gen_pool_cache_flush(pool);
		if (n < LIVE && (n == 0 || rnd(&rng) % 2)) {
			struct range r = { .nr = 1 + rnd(&rng) % MAX_NR };

			r.tag = ((uint64_t)(uintptr_t)arg + 1) << 48 | ++seq;
			r.addr = do_alloc(&rng, r.nr);
			if (!r.addr) {
				if (errno != ENOMEM)
					FAIL("alloc failed with errno %d", errno);
				continue;
			}
			if (!take(&r))
				continue;
			pattern(&r, false);
			live[n++] = r;
		} else {
			int i = (int)(rnd(&rng) % (uint64_t)n);

			give_back(&live[i]);
			live[i] = live[--n];
		}
		__atomic_add_fetch(&ops_total, 1, __ATOMIC_RELAXED);
	}
	while (n)
		give_back(&live[--n]);
	if (flags & GEN_POOL_THREAD_CACHE)
		gen_pool_cache_flush(pool);
	return NULL;
}

/* ---- the remover ---- */

static int newest; /* the slot added last: where first fit allocates; remover only */

/* Is no granule of @s owned in the shadow (at this moment)? */
static bool slot_idle(const struct slot *s)
{
	for (unsigned long i = 0; i < SLOT_G; i++)
		if (__atomic_load_n(&s->owner[i], __ATOMIC_RELAXED))
			return false;
	return true;
}

/*
 * Half the time the newest chunk if it is idle: the chunk that allocations
 * reach first, so a removal that does not keep them out is seen at once.
 */
static void remove_one(uint64_t *rng)
{
	int k = (rnd(rng) % 2 && slot_idle(&slots[newest])) ? newest : (int)(rnd(rng) % NSLOTS);
	struct slot *s = &slots[k];
	unsigned long base = s->base;
	int err;

	__atomic_store_n(&s->state, REMOVING, __ATOMIC_RELEASE);
	err = gen_pool_remove_chunk(pool, base);
	if (err == -EBUSY) {
		busy++;
		__atomic_store_n(&s->state, LIVE_S, __ATOMIC_RELEASE);
		return;
	}
	if (err) {
		FAIL("gen_pool_remove_chunk(0x%lx) = %d", base, err);
		return;
	}
	removals++;
	if (!slot_idle(s))
		FAIL("chunk 0x%lx was removed while a granule of it is owned", base);
	/* release: pairs with slot_of's acquire */
	__atomic_store_n(&s->state, GONE, __ATOMIC_RELEASE);
	munmap((void *)base, SLOT_G * G);
	expect_refusal = true;
	if (gen_pool_free(pool, base, G) != -EINVAL)
		FAIL("a free in removed chunk 0x%lx was not refused", base);
	expect_refusal = false;
	if (gen_pool_has_addr(pool, base, G))
		FAIL("has_addr is true for removed chunk 0x%lx", base);
	slot_add(s, base);
	newest = k;
}

static void *remover_main(void *arg)
{
	uint64_t rng = 0x2545F4914F6CDD1DULL;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (mode_source)
			shrunk += gen_pool_shrink(pool) != 0;
		else
			remove_one(&rng);
		usleep(50);
	}
	return NULL;
}

/* ---- the source (source mode): anonymous memory, counted ---- */

static size_t count_import(void *arg, size_t size, unsigned long *addr, phys_addr_t *phys)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	if (p == MAP_FAILED)
		return 0;
	__atomic_add_fetch(&imports_seen, 1, __ATOMIC_RELAXED);
	*addr = (unsigned long)p;
	*phys = (phys_addr_t)-1;
	return size;
}

static void count_release(void *arg, unsigned long addr, size_t size)
{
	(void)arg;
	munmap((void *)addr, size); /* at once: a later touch faults */
}

static int parse(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--threads"))
			nthreads = (unsigned int)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--mode"))
			mode_source = !strcmp(argv[i + 1], "source");
		else if (!strcmp(argv[i], "--pool"))
			flags = !strcmp(argv[i + 1], "spinlock") ? GEN_POOL_SPINLOCK :
				!strcmp(argv[i + 1], "strict")   ? GEN_POOL_STRICT :
				!strcmp(argv[i + 1], "cache")    ? GEN_POOL_THREAD_CACHE : 0;
		else
			return -1;
	}
	return nthreads >= 1 && nthreads <= MAX_THREADS ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct gen_pool_source_ops ops = { count_import, count_release };
	struct gen_pool_source *src = NULL;
	pthread_t t[MAX_THREADS], remover;
	double end;

	if (parse(argc, argv)) {
		fprintf(stderr, "usage: %s [--threads N] [--seconds S] [--mode remove|source] "
				"[--pool lockfree|spinlock|strict|cache]\n", argv[0]);
		return 2;
	}
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	gen_pool_set_error_handler(on_error, NULL);
	gp_testpoint_set_hook(stall_hook);
	pool = gen_pool_create_flags(ORDER, -1, flags);
	if (mode_source) {
		src = gen_pool_source_custom(&ops, NULL);
		gen_pool_set_source(pool, src, 64 * G);
	} else {
		for (int i = 0; i < NSLOTS; i++)
			slot_add(&slots[i], 0);
	}
	for (unsigned int i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, worker_main, (void *)(uintptr_t)i);
	pthread_create(&remover, NULL, remover_main, NULL);
	end = now() + seconds;
	while (now() < end && !__atomic_load_n(&stop, __ATOMIC_RELAXED))
		usleep(10000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	pthread_join(remover, NULL);
	if (gen_pool_avail(pool) != gen_pool_size(pool))
		FAIL("at the end avail %zu != size %zu", gen_pool_avail(pool), gen_pool_size(pool));
	if (gen_pool_destroy(pool))
		FAIL("destroy refused");
	if (src && gen_pool_source_destroy(src))
		FAIL("source still in use after destroy");
	printf("genpool_stress_lifecycle: %s, %u threads, %.1f s: %lu removals (%lu busy, %lu "
	       "stalled with progress), %lu imports, %lu shrinks that released: %s\n",
	       mode_source ? "source" : "remove", nthreads, seconds, removals, busy, stalls,
	       imports_seen, shrunk,
	       failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
