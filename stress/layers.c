// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * layers.c - genpool_stress_layers: the stress harness for the layers over
 * the pool (object caches and reserves), with a shadow ownership map, a
 * data pattern, cross-thread frees, shrinks while others allocate, reserve
 * waits and wake-ups, and a watchdog.
 *
 *   genpool_stress_layers [--threads N] [--seconds S] [--seed X]
 *                         [--what objcache|reserve|both] [--watchdog S]
 *
 * Object caches: one shared cache of ST_OBJ-byte objects over real memory
 * (mmap'd; the ctor writes each new object's pattern). Workers allocate,
 * claim the object in the shadow (one word per ST_UNIT bytes, CAS'd from 0
 * to the allocation's tag: a taken word is two live objects sharing
 * memory), write their tag into it and verify it before freeing; they pass
 * objects to each other through exchange slots (acq_rel swaps), so a third
 * of frees are of objects another thread allocated; one in 64 operations is
 * a shrink of the shared cache. Each worker also owns a private cache on
 * which it probes refusals race-free: a double free, a misaligned address,
 * another cache's object (each must be -EINVAL).
 *
 * Reserves: a reserve of RS_MIN elements over its own pool, which a hog
 * thread keeps exhausted (it keeps every granule it can get). Workers take
 * one element (mostly waiting for ever, sometimes with a 0 or 2 ms
 * timeout), claim it in the shadow, use it, and free it; so they progress
 * only through the reserve and its wake-ups. At the end the pool must hold
 * exactly what the reserve keeps (RS_MIN elements) and the hog's.
 *
 * The watchdog fails the run (exit 1) when no operation completes for
 * --watchdog seconds: a lost wake-up or a lost element shows as a hang.
 * Exit 0: clean; 1: a failure (shadow overlap, pattern, a wrong result,
 * the final accounting, the watchdog); 2: bad options.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "genpool.h"

#define ST_ORDER 4              /* 16-byte granules */
#define ST_UNIT 16              /* shadow word per this many bytes */
#define ST_OBJ 48               /* object size: three units */
#define OC_BYTES (8UL << 20)    /* the object caches' pool */
#define RS_BYTES (64UL << 10)   /* the reserve's pool */
#define RS_SIZE 256             /* element size */
#define RS_MIN 2
#define MAX_THREADS 32
#define MAX_LIVE 64
#define NSLOTS 16

static struct {
	unsigned int threads;
	double seconds, watchdog;
	uint64_t seed;
	bool objcache, reserve;
} cfg = { 4, 1.0, 5.0, 1, true, true };

static struct gen_pool *oc_pool, *rs_pool;
static struct gen_pool_objcache *shared;
static struct gen_pool_reserve *rsv;
static unsigned char *oc_mem, *rs_mem;
static unsigned long *oc_shadow, *rs_shadow;
static unsigned long slots[NSLOTS]; /* exchanged objects, 0: empty */
static unsigned long failures, progress;
static int stop, hog_stop;
static double deadline;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL); /* splitmix64 */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED) < 20) {
		va_start(ap, fmt);
		fprintf(stderr, "genpool_stress: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

static void tick(void)
{
	__atomic_add_fetch(&progress, 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------------ */
/* Shadow and pattern                                                       */

static bool shadow_claim(unsigned long *shadow, unsigned long base, unsigned long addr,
			 size_t len, unsigned long tag)
{
	unsigned long *sh = &shadow[(addr - base) / ST_UNIT];
	bool ok = true;

	for (size_t i = 0; i < len / ST_UNIT; i++) {
		unsigned long seen = 0;

		if (!__atomic_compare_exchange_n(&sh[i], &seen, tag, false, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED)) {
			fail("overlaps: 0x%lx + %zu (tag %lx) shares memory with live tag %lx", addr,
			     len, tag, seen);
			ok = false;
		}
	}
	return ok;
}

static void shadow_release(unsigned long *shadow, unsigned long base, unsigned long addr,
			   size_t len, unsigned long tag)
{
	unsigned long *sh = &shadow[(addr - base) / ST_UNIT];

	for (size_t i = 0; i < len / ST_UNIT; i++) {
		unsigned long seen = tag;

		if (!__atomic_compare_exchange_n(&sh[i], &seen, 0, false, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			fail("overlaps: 0x%lx + %zu: shadow says %lx, not its tag %lx", addr, len,
			     seen, tag);
	}
}

static void pattern_write(unsigned long addr, size_t len, unsigned long tag)
{
	for (size_t off = 0; off + sizeof(tag) <= len; off += sizeof(tag))
		memcpy((void *)(addr + off), &(unsigned long){ tag ^ off }, sizeof(tag));
}

static void pattern_verify(unsigned long addr, size_t len, unsigned long tag)
{
	for (size_t off = 0; off + sizeof(tag) <= len; off += sizeof(tag)) {
		unsigned long v;

		memcpy(&v, (void *)(addr + off), sizeof(v));
		if (v != (tag ^ off)) {
			fail("pattern: 0x%lx + %zu (tag %lx) was written by someone else", addr, off,
			     tag);
			return;
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Object-cache workers                                                     */

struct obj {
	unsigned long addr, tag;
};

struct worker {
	pthread_t th;
	unsigned int id;
	uint64_t rng, seq;
	struct obj live[MAX_LIVE];
	int nlive;
	struct gen_pool_objcache *priv;
};

static struct worker workers[MAX_THREADS];

/* The ctor of every new slab: each object starts with a known pattern. */
static void ctor(unsigned long obj, void *arg)
{
	(void)arg;
	pattern_write(obj, ST_OBJ, 0);
}

static void obj_take(struct worker *w, unsigned long addr)
{
	struct obj *o = &w->live[w->nlive++];

	o->addr = addr;
	o->tag = ((unsigned long)(w->id + 1) << 40) | ++w->seq;
	if (addr % ST_UNIT || addr < (unsigned long)oc_mem || addr + ST_OBJ > (unsigned long)oc_mem + OC_BYTES)
		fail("other: object 0x%lx is misaligned or outside the pool", addr);
	else if (shadow_claim(oc_shadow, (unsigned long)oc_mem, addr, ST_OBJ, o->tag))
		pattern_write(addr, ST_OBJ, o->tag);
}

/* Give up the shadow of live[i] and remove it from the list; its address. */
static unsigned long obj_drop(struct worker *w, int i)
{
	struct obj o = w->live[i];

	pattern_verify(o.addr, ST_OBJ, o.tag);
	shadow_release(oc_shadow, (unsigned long)oc_mem, o.addr, ST_OBJ, o.tag);
	w->live[i] = w->live[--w->nlive];
	return o.addr;
}

static void obj_free(struct worker *w, int i)
{
	unsigned long addr = obj_drop(w, i);
	int err;

	pattern_write(addr, ST_OBJ, 0); /* neutral: what the next owner verifies */
	err = gen_pool_objcache_free(shared, addr);
	if (err)
		fail("other: free of live object 0x%lx: %d", addr, err);
}

/* Pass live[i] to whoever takes the slot; take what was there (acq_rel). */
static void obj_exchange(struct worker *w, int i, unsigned int slot)
{
	unsigned long mine = obj_drop(w, i), theirs;

	pattern_write(mine, ST_OBJ, 0); /* the receiver finds the neutral pattern */
	theirs = __atomic_exchange_n(&slots[slot], mine, __ATOMIC_ACQ_REL);
	if (theirs) {
		pattern_verify(theirs, ST_OBJ, 0);
		obj_take(w, theirs);
	}
}

/* Refusals on the private cache, where nobody else can reallocate the object. */
static void probe_refusals(struct worker *w)
{
	unsigned long a = gen_pool_objcache_alloc(w->priv), b;

	if (!a)
		return; /* ENOMEM: the pool is full for now */
	if (gen_pool_objcache_free(w->priv, a + 8) != -EINVAL)
		fail("other: a misaligned free was accepted");
	if (w->nlive && gen_pool_objcache_free(w->priv, w->live[0].addr) != -EINVAL)
		fail("other: another cache's object was accepted");
	if (gen_pool_objcache_free(w->priv, a))
		fail("other: a live private object was refused");
	if (gen_pool_objcache_free(w->priv, a) != -EINVAL)
		fail("other: a double free was accepted");
	b = gen_pool_objcache_alloc(w->priv); /* the double free must not have queued it twice */
	a = b ? gen_pool_objcache_alloc(w->priv) : 0;
	if (a && a == b)
		fail("other: one object handed out twice");
	if (a && a != b)
		gen_pool_objcache_free(w->priv, a);
	if (b)
		gen_pool_objcache_free(w->priv, b);
	gen_pool_objcache_shrink(w->priv);
}

static void oc_step(struct worker *w)
{
	uint64_t r = rnd(&w->rng);
	unsigned int op = r % 64;

	if (op == 0) {
		gen_pool_objcache_shrink(shared);
	} else if (op == 1) {
		probe_refusals(w);
	} else if (op < 12 && w->nlive) {
		obj_exchange(w, (int)((r >> 8) % (unsigned)w->nlive), (unsigned)(r >> 20) % NSLOTS);
	} else if (op < 36 && w->nlive < MAX_LIVE) {
		unsigned long a = gen_pool_objcache_alloc(shared);

		if (a) {
			pattern_verify(a, ST_OBJ, 0); /* the ctor's or the last owner's neutral one */
			obj_take(w, a);
		} else if (errno != ENOMEM) {
			fail("other: alloc failed with errno %d", errno);
		}
	} else if (w->nlive) {
		obj_free(w, (int)((r >> 8) % (unsigned)w->nlive));
	}
	tick();
}

/* ------------------------------------------------------------------------ */
/* Reserve workers and the hog                                              */

static void rs_step(struct worker *w)
{
	uint64_t r = rnd(&w->rng);
	int timeout = r % 8 == 0 ? 0 : r % 8 == 1 ? 2 : -1;
	unsigned long e = gen_pool_reserve_alloc(rsv, timeout), tag;

	if (!e) {
		if (!(timeout == 0 && errno == ENOMEM) && !(timeout > 0 && errno == ETIMEDOUT))
			fail("other: reserve_alloc(%d) gave 0 with errno %d", timeout, errno);
		tick();
		return;
	}
	tag = ((unsigned long)(w->id + 1) << 40) | ++w->seq;
	if (shadow_claim(rs_shadow, (unsigned long)rs_mem, e, RS_SIZE, tag)) {
		pattern_write(e, RS_SIZE, tag);
		if (r & 0x100)
			sched_yield(); /* hold it a while: others wait */
		pattern_verify(e, RS_SIZE, tag);
		shadow_release(rs_shadow, (unsigned long)rs_mem, e, RS_SIZE, tag);
	}
	if (gen_pool_reserve_free(rsv, e))
		fail("other: reserve_free of its element refused");
	if (gen_pool_reserve_free(rsv, e + 1) != -EINVAL)
		fail("other: reserve_free of a foreign address accepted");
	tick();
}

static unsigned long hog_held[RS_BYTES >> ST_ORDER];
static unsigned long hog_n;

static void *hog_main(void *arg)
{
	unsigned long a;

	(void)arg;
	while (!__atomic_load_n(&hog_stop, __ATOMIC_RELAXED)) {
		if ((a = gen_pool_alloc(rs_pool, 1UL << ST_ORDER)))
			hog_held[hog_n++] = a;
		else
			usleep(100);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Runs                                                                     */

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	bool reserve = cfg.reserve && (!cfg.objcache || w->id % 2);

	w->priv = gen_pool_objcache_create(oc_pool, "private", ST_OBJ, ST_UNIT, 0, NULL, NULL);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED) && now() < deadline) {
		if (reserve)
			rs_step(w);
		else
			oc_step(w);
	}
	while (w->nlive)
		obj_free(w, 0);
	if (gen_pool_objcache_destroy(w->priv))
		fail("other: a private cache with nothing live refused destroy");
	return NULL;
}

static void *watchdog_main(void *arg)
{
	unsigned long last = 0, p;
	double since = now();

	(void)arg;
	for (;;) {
		usleep(100000);
		p = __atomic_load_n(&progress, __ATOMIC_RELAXED);
		if (p != last) {
			last = p;
			since = now();
		} else if (now() - since > cfg.watchdog) {
			fprintf(stderr, "genpool_stress: watchdog: no operation completed in %.1f s\n",
				cfg.watchdog);
			fflush(stderr);
			_exit(1); /* the hung threads cannot be joined */
		}
	}
	return NULL;
}

static void *map_region(size_t bytes, unsigned long **shadow)
{
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	*shadow = calloc(bytes / ST_UNIT, sizeof(**shadow));
	return m;
}

static int setup(void)
{
	oc_mem = map_region(OC_BYTES, &oc_shadow);
	rs_mem = map_region(RS_BYTES, &rs_shadow);
	oc_pool = gen_pool_create(ST_ORDER, -1);
	rs_pool = gen_pool_create_flags(ST_ORDER, -1, GEN_POOL_THREAD_CACHE);
	if (!oc_mem || !rs_mem || !oc_pool || !rs_pool ||
	    gen_pool_add(oc_pool, (unsigned long)oc_mem, OC_BYTES, -1) ||
	    gen_pool_add(rs_pool, (unsigned long)rs_mem, RS_BYTES, -1))
		return -1;
	shared = gen_pool_objcache_create(oc_pool, "shared", ST_OBJ, ST_UNIT, 0, ctor, NULL);
	rsv = gen_pool_reserve_create(rs_pool, RS_SIZE, RS_MIN);
	return shared && rsv ? 0 : -1;
}

/* Everything back: the accounting must come out exact. */
static void teardown_checks(void)
{
	unsigned long i;

	for (i = 0; i < NSLOTS; i++)
		if (slots[i] && gen_pool_objcache_free(shared, slots[i]))
			fail("other: free of an exchanged object refused");
	gen_pool_objcache_shrink(shared);
	if (gen_pool_avail(oc_pool) != OC_BYTES)
		fail("checkpoint: after shrink the cache holds %lu bytes with nothing live",
		     OC_BYTES - gen_pool_avail(oc_pool));
	if (gen_pool_objcache_destroy(shared))
		fail("other: destroy of an idle cache refused");
	for (i = 0; i < hog_n; i++)
		gen_pool_free(rs_pool, hog_held[i], 1UL << ST_ORDER);
	gen_pool_cache_flush(rs_pool);
	if (gen_pool_avail(rs_pool) != RS_BYTES - RS_MIN * RS_SIZE)
		fail("checkpoint: the reserve holds %zu bytes, not min_nr elements (%d)",
		     RS_BYTES - gen_pool_avail(rs_pool), RS_MIN * RS_SIZE);
	if (gen_pool_reserve_destroy(rsv))
		fail("other: destroy of an idle reserve refused");
	if (gen_pool_avail(rs_pool) != RS_BYTES)
		fail("checkpoint: the reserve's pool lost %zu bytes", RS_BYTES - gen_pool_avail(rs_pool));
	gen_pool_destroy(oc_pool);
	gen_pool_destroy(rs_pool);
}

static int parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", 1, NULL, 't' }, { "seconds", 1, NULL, 's' }, { "seed", 1, NULL, 'x' },
		{ "what", 1, NULL, 'w' },    { "watchdog", 1, NULL, 'd' }, { NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't')
			cfg.threads = (unsigned int)atoi(optarg);
		else if (c == 's')
			cfg.seconds = atof(optarg);
		else if (c == 'x')
			cfg.seed = strtoull(optarg, NULL, 0);
		else if (c == 'd')
			cfg.watchdog = atof(optarg);
		else if (c == 'w' && strcmp(optarg, "both"))
			cfg.objcache = !(cfg.reserve = !strcmp(optarg, "reserve"));
		else if (c != 'w')
			return -1;
	}
	return cfg.threads >= 1 && cfg.threads <= MAX_THREADS ? 0 : -1;
}

int main(int argc, char **argv)
{
	pthread_t hog, dog;
	unsigned long ops;

	if (parse(argc, argv) || setup()) {
		fprintf(stderr, "genpool_stress_layers: bad options or setup\n");
		return 2;
	}
	gen_pool_set_error_handler(NULL, NULL); /* the probes' refusals are expected */
	pthread_create(&dog, NULL, watchdog_main, NULL);
	pthread_detach(dog);
	pthread_create(&hog, NULL, hog_main, NULL);
	while (gen_pool_avail(rs_pool) && !failures)
		usleep(1000); /* the reserve's pool is exhausted before the workers start */
	deadline = now() + cfg.seconds;
	for (unsigned int i = 0; i < cfg.threads; i++) {
		workers[i].id = i;
		workers[i].rng = cfg.seed * 1000003 + i;
		pthread_create(&workers[i].th, NULL, worker_main, &workers[i]);
	}
	for (unsigned int i = 0; i < cfg.threads; i++)
		pthread_join(workers[i].th, NULL);
	__atomic_store_n(&hog_stop, 1, __ATOMIC_RELAXED);
	pthread_join(hog, NULL);
	ops = __atomic_load_n(&progress, __ATOMIC_RELAXED);
	teardown_checks();
	printf("genpool_stress_layers: %u threads, %.1f s, seed %llu: %lu operations, %lu failures\n",
	       cfg.threads, cfg.seconds, (unsigned long long)cfg.seed, ops, failures);
	return failures ? 1 : 0;
}
