/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stall.c - progress under a stalled thread. A thread stopped in the middle
 * of an alloc or free must not stop the others in a lock-free pool; in a
 * lock baseline (GEN_POOL_SPINLOCK, GEN_POOL_LOCK_TICKET, GEN_POOL_LOCK_MCS)
 * it does, which is shown as the contrast. The
 * lock-free kinds run are plain, strict and cache pools (in the last the
 * others' small requests go through their thread caches and depot while the
 * victim is parked in the uncached path).
 *
 * Built only against the 'testpoints' library variant, whose pause points
 * are described in src/testpoint.h. This file installs the hook; it parks
 * one thread (the victim, marked by a thread-local flag) at one chosen
 * point, once. For each point, on a fresh pool of two address-only chunks
 * (never dereferenced):
 *
 *  1. The victim, alone on the empty pool, allocates VICTIM_NR granules
 *     (for the free point: allocates them, then frees them) and parks at
 *     the point. First fit on an empty pool puts its run at granule 0 of
 *     the newest chunk, across three bitmap words, so the claim point parks
 *     it holding word 0 only. The granules it holds are snapshotted.
 *  2. NWORKERS threads allocate (first or best fit, 1..MAX_NR granules, so
 *     that their runs land in and across the parked run's words) and free,
 *     until together they have completed OPS_WHILE_PARKED calls. A granule
 *     held by the parked thread must not be handed out, and a shadow owner
 *     map as in stress/mt_overlap.c catches two live ranges that overlap.
 *  3. The workers are paused, the held bits checked still set, and the
 *     victim is released as the workers resume, so its claim continues
 *     against them (at the claim point it usually finds the rest of its run
 *     taken, rolls back and searches again). Its result, if any, goes
 *     through the shadow map too.
 *  4. Everything is freed. Then the pool's avail equals its size, so does
 *     every chunk's, every bitmap word is 0 and the shadow map is empty.
 *
 * The lock cases park the victim under the pool lock (after its claim,
 * before avail), waits until every worker is inside a call, and requires
 * that none completes one in PARK_SPIN_SECONDS; then it releases the
 * victim and requires that they go on.
 *
 * Only counts are checked, never rates: every wait gives up after a
 * deadline (argv[1] seconds, default 120) and fails, so a pool that blocks
 * fails instead of hanging. Exits 1 on any failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bitmap.h"
#include "genpool.h"
#include "internal.h"
#include "testpoint.h"

#define NWORKERS 3
#define ORDER 4
#define G (1UL << ORDER)
#define MAX_LIVE 12
#define MAX_NR 130    /* up to three words: runs that span the parked run's words */
#define VICTIM_NR 150 /* three words from granule 0 */
#define OPS_WHILE_PARKED 100000UL
#define OPS_AFTER_SPIN 10000UL /* spinlock case: proof that they go on */
#define PARK_SPIN_SECONDS 1.0
#define DEFAULT_DEADLINE 120.0
#define MAX_MESSAGES 20

/* Granule counts are deliberately not multiples of 64. The last is newest. */
static const unsigned long chunk_granules[] = { 1000, 1531 };
#define NCHUNKS (sizeof(chunk_granules) / sizeof(chunk_granules[0]))
#define TOTAL_GRANULES (1000 + 1531)
#define NEWEST (NCHUNKS - 1)
#define VICTIM_ID NWORKERS

static unsigned long chunk_base[NCHUNKS];
static unsigned long chunk_first[NCHUNKS];  /* index of the chunk's first shadow word */
static unsigned int shadow[TOTAL_GRANULES]; /* 0 = free, else holder's id + 1; atomic */
static bool held[TOTAL_GRANULES];	    /* set by the parked victim; read-only while parked */
static unsigned long run_lo, run_hi;	    /* shadow indices of the victim's first-fit run */

static const char *const tp_names[GP_TP_COUNT] = {
	[GP_TP_CLAIM_BETWEEN_WORDS] = "claim between words",
	[GP_TP_ALLOC_BEFORE_AVAIL] = "alloc before avail",
	[GP_TP_FREE_BEFORE_AVAIL] = "free before avail",
	[GP_TP_ALLOC_WALK] = "RCU chunk walk",
	[GP_TP_SUM_BEFORE_FLIP] = "summary sync",
	[GP_TP_RUN_BEFORE_CAS] = "free-run node sync",
	[GP_TP_OBS_STEAL] = "high-water steal",
};

struct range {
	unsigned long addr;
	size_t size;
	unsigned int nr;
};

struct worker {
	pthread_t thread;
	unsigned int id;
	uint64_t rng;
	struct range live[MAX_LIVE];
	int nlive;
	/* atomic, read by main while running: completed allocs + frees */
	unsigned long ops;
	/* private until joined */
	unsigned long allocs, frees, enomem, in_run;
};

enum victim_state { V_IDLE, V_PARKED, V_RELEASED, V_DONE };

/*
 * Everything main and the threads hand each other goes through ctl.lock
 * and ctl.cond; @pause and @stop are also read without the lock (atomic).
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum victim_state victim;
	bool pause;
	unsigned int paused;
	unsigned int started; /* atomic: workers that have begun their first call */
	bool stop;
	bool check_held; /* changed only while no worker runs */
} ctl = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct {
	pthread_t thread;
	enum gp_testpoint point;
	unsigned long addr; /* what its alloc returned; 0 for none or for the free point */
	size_t size;
} victim;

/* The victim thread alone sets this, around its one parked call. */
static _Thread_local bool tp_armed;

static struct gen_pool *pool;
static struct worker workers[NWORKERS];
static double deadline_seconds = DEFAULT_DEADLINE;
static unsigned long failures; /* atomic */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_seconds(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
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
	fprintf(stderr, "stall: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * A wait ran out: some thread is blocked, so joining or freeing would hang.
 * Leave at once; _exit skips the atexit handlers that could wait on it.
 */
static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "stall: FAIL: %s not within %.0f s: progress is blocked\n", what,
		deadline_seconds);
	fflush(NULL);
	_exit(1);
}

static void on_error(int err, const char *msg, void *arg)
{
	(void)arg;
	if (err != ENOMEM)
		fail("refusal reported (%d): %s", err, msg);
}

/* Wait on ctl.cond, ctl.lock held, until @until (CLOCK_MONOTONIC) at most. */
static void ctl_wait(double until, const char *what)
{
	struct timespec ts;

	if (now() >= until)
		die(what);
	ts.tv_sec = (time_t)until;
	ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
	pthread_cond_timedwait(&ctl.cond, &ctl.lock, &ts);
}

static void set_victim_state(enum victim_state s)
{
	pthread_mutex_lock(&ctl.lock);
	ctl.victim = s;
	pthread_cond_broadcast(&ctl.cond);
	pthread_mutex_unlock(&ctl.lock);
}

/* Wait until the victim reaches @s or beyond; returns the state it is in. */
static enum victim_state wait_victim(enum victim_state s, const char *what)
{
	double until = now() + deadline_seconds;
	enum victim_state cur;

	pthread_mutex_lock(&ctl.lock);
	while (ctl.victim < s)
		ctl_wait(until, what);
	cur = ctl.victim;
	pthread_mutex_unlock(&ctl.lock);
	return cur;
}

/* The hook: park the victim at its point until main releases it. */
static void park_hook(enum gp_testpoint tp)
{
	if (!tp_armed || tp != victim.point)
		return;
	tp_armed = false; /* once: later points of the same call run through */
	pthread_mutex_lock(&ctl.lock);
	ctl.victim = V_PARKED;
	pthread_cond_broadcast(&ctl.cond);
	while (ctl.victim != V_RELEASED)
		pthread_cond_wait(&ctl.cond, &ctl.lock);
	pthread_mutex_unlock(&ctl.lock);
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

/* Move granules [first, first + nr) from holder @from to @to; fail on overlap. */
static void shadow_move(unsigned long first, unsigned int nr, unsigned int from, unsigned int to)
{
	for (unsigned long i = first; i < first + nr; i++) {
		unsigned int seen = from;

		if (!__atomic_compare_exchange_n(&shadow[i], &seen, to, false, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			fail("OVERLAP: granule %lu expected holder %u, found %u (moving to %u)", i,
			     from, seen, to);
	}
}

/* Is [addr, addr + nr granules) inside one chunk and on a granule? */
static bool range_ok(unsigned long addr, unsigned int nr)
{
	int c = chunk_of(addr);

	if (c < 0 || (addr - chunk_base[c]) % G ||
	    (addr - chunk_base[c]) / G + nr > chunk_granules[c]) {
		fail("alloc of %u granules returned 0x%lx, not a range of any chunk", nr, addr);
		return false;
	}
	return true;
}

/* While the victim is parked: none of [idx, idx + nr) may be one it holds. */
static void check_parked_run(struct worker *w, unsigned long idx, unsigned int nr)
{
	for (unsigned long i = idx; i < idx + nr; i++)
		if (held[i])
			fail("granule %lu, held by the parked thread, handed to worker %u", i,
			     w->id);
	if (idx < run_hi && idx + nr > run_lo)
		w->in_run++;
}

static void worker_alloc(struct worker *w)
{
	unsigned int nr = 1 + (unsigned int)(rnd(w) % MAX_NR);
	size_t size = nr * G - rnd(w) % G; /* rounds up to nr granules */
	bool best = rnd(w) % 4 == 0;
	unsigned long addr, idx;

	errno = 0;
	addr = best ? gen_pool_alloc_algo(pool, size, gen_pool_best_fit, NULL)
		    : gen_pool_alloc(pool, size);
	if (!addr) {
		if (errno != ENOMEM)
			fail("alloc of %zu bytes failed with errno %d, not ENOMEM", size, errno);
		w->enomem++;
		return;
	}
	if (!range_ok(addr, nr))
		return; /* leaked on purpose: it is not ours to track */
	idx = shadow_index(addr);
	if (ctl.check_held)
		check_parked_run(w, idx, nr);
	shadow_move(idx, nr, 0, w->id + 1);
	w->live[w->nlive++] = (struct range){ addr, size, nr };
	w->allocs++;
	__atomic_fetch_add(&w->ops, 1, __ATOMIC_RELAXED);
}

static void worker_free(struct worker *w, int i)
{
	struct range r = w->live[i];
	int err;

	/* shadow first: once freed, the granules may be someone else's */
	shadow_move(shadow_index(r.addr), r.nr, w->id + 1, 0);
	err = gen_pool_free(pool, r.addr, r.size);
	if (err)
		fail("free(0x%lx, %zu) returned %d", r.addr, r.size, err);
	w->live[i] = w->live[--w->nlive];
	w->frees++;
	__atomic_fetch_add(&w->ops, 1, __ATOMIC_RELAXED);
}

static void worker_pause(void)
{
	pthread_mutex_lock(&ctl.lock);
	ctl.paused++;
	pthread_cond_broadcast(&ctl.cond);
	while (ctl.pause)
		pthread_cond_wait(&ctl.cond, &ctl.lock);
	ctl.paused--;
	pthread_mutex_unlock(&ctl.lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	__atomic_fetch_add(&ctl.started, 1, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&ctl.stop, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&ctl.pause, __ATOMIC_ACQUIRE))
			worker_pause();
		if (w->nlive == 0 || (w->nlive < MAX_LIVE && rnd(w) % 2))
			worker_alloc(w);
		else
			worker_free(w, (int)(rnd(w) % (uint64_t)w->nlive));
	}
	while (w->nlive)
		worker_free(w, w->nlive - 1);
	return NULL;
}

static void *victim_main(void *arg)
{
	unsigned long addr;
	int err;

	(void)arg;
	errno = 0;
	if (victim.point == GP_TP_FREE_BEFORE_AVAIL) {
		/* unarmed: only the free below parks */
		addr = gen_pool_alloc(pool, victim.size);
		if (addr && range_ok(addr, VICTIM_NR)) {
			tp_armed = true;
			err = gen_pool_free(pool, addr, victim.size);
			tp_armed = false;
			if (err)
				fail("victim's free(0x%lx) returned %d", addr, err);
		} else if (!addr) {
			fail("victim's alloc on the empty pool failed (errno %d)", errno);
		}
	} else {
		if (victim.point == GP_TP_OBS_STEAL) {
			/* unarmed: leave slack (a free), so that the next raise steals */
			addr = gen_pool_alloc(pool, G);
			if (!addr || gen_pool_free(pool, addr, G))
				fail("victim's granule to leave slack (0x%lx)", addr);
			gen_pool_cache_flush(pool); /* a cache pool: hold nothing */
		}
		tp_armed = true;
		addr = gen_pool_alloc(pool, victim.size);
		tp_armed = false;
		if (addr && range_ok(addr, VICTIM_NR)) {
			shadow_move(shadow_index(addr), VICTIM_NR, 0, VICTIM_ID + 1);
			victim.addr = addr;
		} else if (!addr && errno != ENOMEM) {
			fail("victim's alloc failed with errno %d, not ENOMEM", errno);
		}
	}
	set_victim_state(V_DONE);
	return NULL;
}

static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	if (pthread_create(t, NULL, fn, arg)) {
		perror("pthread_create");
		exit(1);
	}
}

static void start_workers(unsigned int flags)
{
	__atomic_store_n(&ctl.started, 0, __ATOMIC_RELAXED);
	ctl.stop = false;
	for (unsigned int t = 0; t < NWORKERS; t++) {
		uint64_t seed = 0x9e3779b97f4a7c15ULL * (t + 1) + flags;

		workers[t] = (struct worker){ .id = t, .rng = seed };
		start_thread(&workers[t].thread, worker_main, &workers[t]);
	}
}

static void stop_workers(void)
{
	__atomic_store_n(&ctl.stop, true, __ATOMIC_RELEASE);
	for (unsigned int t = 0; t < NWORKERS; t++)
		pthread_join(workers[t].thread, NULL);
}

static unsigned long worker_ops(void)
{
	unsigned long ops = 0;

	for (unsigned int t = 0; t < NWORKERS; t++)
		ops += __atomic_load_n(&workers[t].ops, __ATOMIC_RELAXED);
	return ops;
}

/* Poll (the workers do not signal each call) until they reach @target calls. */
static void wait_worker_ops(unsigned long target, const char *what)
{
	double until = now() + deadline_seconds;

	while (worker_ops() < target) {
		if (now() >= until)
			die(what);
		sleep_seconds(0.001);
	}
}

/* Stop the workers between calls, or die if one of them is stuck in one. */
static void pause_workers(void)
{
	double until = now() + deadline_seconds;

	pthread_mutex_lock(&ctl.lock);
	__atomic_store_n(&ctl.pause, true, __ATOMIC_RELEASE);
	while (ctl.paused < NWORKERS)
		ctl_wait(until, "pausing the workers");
	pthread_mutex_unlock(&ctl.lock);
}

/* Release the victim and let the workers go on, so they meet its resumed call. */
static void resume_all(void)
{
	pthread_mutex_lock(&ctl.lock);
	ctl.check_held = false; /* it may now roll back, and its granules be reused */
	ctl.victim = V_RELEASED;
	__atomic_store_n(&ctl.pause, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&ctl.cond);
	pthread_mutex_unlock(&ctl.lock);
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
			fprintf(stderr, "stall: gen_pool_add of chunk %u failed\n", c);
			exit(1);
		}
	}
	return p;
}

/*
 * Mark in held[] the granules set in the bitmaps now, while only the parked
 * victim has touched the pool: exactly what it holds. Returns their number.
 */
static unsigned long snapshot_held(void)
{
	unsigned long n = 0;

	for (struct gen_pool_chunk *c = pool->chunks; c; c = c->next) {
		unsigned long first = chunk_first[chunk_of(c->start_addr)];

		for (unsigned long b = 0; b < c->nbits; b++) {
			held[first + b] = gp_bitmap_test_bit(c->bits, b);
			n += held[first + b];
		}
	}
	return n;
}

/* After the park: every held granule still set (nobody took or cleared it). */
static void check_still_held(void)
{
	for (struct gen_pool_chunk *c = pool->chunks; c; c = c->next) {
		unsigned long first = chunk_first[chunk_of(c->start_addr)];

		for (unsigned long b = 0; b < c->nbits; b++)
			if (held[first + b] && !gp_bitmap_test_bit(c->bits, b))
				fail("granule %lu of the parked claim was cleared under it",
				     first + b);
	}
}

/* What the victim must hold while parked at @tp. */
static void check_held_count(enum gp_testpoint tp, unsigned long n)
{
	for (unsigned long i = 0; i < TOTAL_GRANULES; i++)
		if (held[i] && (i < run_lo || i >= run_hi))
			fail("parked victim holds granule %lu, outside its run", i);
	if (tp == GP_TP_CLAIM_BETWEEN_WORDS && (n == 0 || n >= VICTIM_NR))
		fail("parked between words holding %lu of %d granules", n, VICTIM_NR);
	if ((tp == GP_TP_ALLOC_BEFORE_AVAIL || tp == GP_TP_OBS_STEAL) && n != VICTIM_NR)
		fail("parked after its claim holding %lu of %d granules", n, VICTIM_NR);
	/* the first node change of its claim: after its first word, or its last */
	if (tp == GP_TP_RUN_BEFORE_CAS && (n == 0 || n > VICTIM_NR))
		fail("parked in a free-run sync holding %lu of %d granules", n, VICTIM_NR);
	if ((tp == GP_TP_FREE_BEFORE_AVAIL || tp == GP_TP_ALLOC_WALK) && n)
		fail("parked at %s holding %lu granules", tp_names[tp], n);
}

static void check_map_clear(const unsigned long *map, unsigned long nbits, const char *which)
{
	for (unsigned long w = 0; w < GP_BITS_TO_LONGS(nbits); w++)
		if (map[w])
			fail("%s word %lu is 0x%lx at the end", which, w, map[w]);
}

/* Free the victim's range; then the pool and shadow must be whole. */
static void finish(void)
{
	int err;

	if (victim.addr) {
		shadow_move(shadow_index(victim.addr), VICTIM_NR, VICTIM_ID + 1, 0);
		err = gen_pool_free(pool, victim.addr, victim.size);
		if (err)
			fail("free of the victim's 0x%lx returned %d", victim.addr, err);
	}
	for (unsigned long i = 0; i < TOTAL_GRANULES; i++)
		if (shadow[i])
			fail("granule %lu still held by %u at the end", i, shadow[i]);
	if (gen_pool_avail(pool) != gen_pool_size(pool))
		fail("avail %zu != size %zu at the end", gen_pool_avail(pool), gen_pool_size(pool));
	if (gen_pool_size(pool) != TOTAL_GRANULES * G)
		fail("size %zu, expected %lu", gen_pool_size(pool), TOTAL_GRANULES * G);
	for (struct gen_pool_chunk *c = pool->chunks; c; c = c->next) {
		unsigned int level;
		unsigned long word;

		if (gp_sum_find_stale(&c->sum, &level, &word))
			fail("chunk 0x%lx: summary of level %u word %lu is stale", c->start_addr,
			     level, word);
		check_map_clear(c->bits, c->nbits, "bits");
		if (c->starts) {
			check_map_clear(c->starts, c->nbits, "starts");
			check_map_clear(c->ends, c->nbits, "ends");
		}
	}
	err = gen_pool_destroy(pool);
	if (err)
		fail("gen_pool_destroy returned %d", err);
	pool = NULL;
}

/* The joined workers' counts, summed. */
static struct worker totals(void)
{
	struct worker sum = { .allocs = 0 };

	for (unsigned int t = 0; t < NWORKERS; t++) {
		sum.allocs += workers[t].allocs;
		sum.frees += workers[t].frees;
		sum.enomem += workers[t].enomem;
		sum.in_run += workers[t].in_run;
	}
	return sum;
}

/* Set up a fresh pool and park the victim at @tp in it. */
static void park_victim(unsigned int flags, enum gp_testpoint tp)
{
	pool = make_pool(flags);
	victim.point = tp;
	victim.addr = 0;
	victim.size = VICTIM_NR * G;
	run_lo = chunk_first[NEWEST];
	run_hi = run_lo + VICTIM_NR;
	ctl.victim = V_IDLE; /* no thread runs yet: plain stores */
	ctl.pause = false;
	start_thread(&victim.thread, victim_main, NULL);
	if (wait_victim(V_PARKED, "the victim reaching its pause point") != V_PARKED) {
		fprintf(stderr,
			"stall: FAIL: the victim finished without passing %s: "
			"is this the testpoints variant?\n",
			tp_names[tp]);
		exit(1);
	}
}

/* Where the victim ended up, for the summary. */
static void describe_victim(char *buf, size_t len, enum gp_testpoint tp)
{
	if (tp == GP_TP_FREE_BEFORE_AVAIL)
		snprintf(buf, len, "its free completed");
	else if (!victim.addr)
		snprintf(buf, len, "no room left for it (ENOMEM)");
	else if (shadow_index(victim.addr) == run_lo)
		snprintf(buf, len, "kept its run at granule 0");
	else
		snprintf(buf, len, "run taken, got granule %lu of chunk %d",
			 (victim.addr - chunk_base[chunk_of(victim.addr)]) / G,
			 chunk_of(victim.addr));
}

/* A lock-free pool: the others must complete OPS_WHILE_PARKED calls. */
static void run_lockfree(const char *kind, unsigned int flags, enum gp_testpoint tp)
{
	unsigned long failures0 = failures, nheld, ops;
	double parked, secs;
	struct worker sum;
	char outcome[128];

	park_victim(flags, tp);
	parked = now();
	nheld = snapshot_held();
	check_held_count(tp, nheld);
	ctl.check_held = true;
	start_workers(flags);
	wait_worker_ops(OPS_WHILE_PARKED, "the others completing 100000 calls");
	pause_workers();
	ops = worker_ops();
	secs = now() - parked;
	check_still_held();
	resume_all();
	wait_victim(V_DONE, "the released victim finishing");
	pthread_join(victim.thread, NULL);
	stop_workers();
	sum = totals();
	finish();
	describe_victim(outcome, sizeof(outcome), tp);
	if (tp == GP_TP_CLAIM_BETWEEN_WORDS && sum.in_run == 0)
		fail("no worker allocation contended with the parked run's words");
	printf("stall: %-9s %-19s parked %.3f s holding %3lu granules: others completed %lu "
	       "calls meanwhile (%lu allocs in its run); resumed: %s; %s\n",
	       kind, tp_names[tp], secs, nheld, ops, sum.in_run, outcome,
	       failures == failures0 ? "invariants hold" : "FAILED");
	fflush(stdout);
}

/* The contrast: parked under the pool lock of a lock baseline (@flags), the others complete nothing. */
static void run_locked(const char *name, unsigned int flags)
{
	enum gp_testpoint tp = GP_TP_ALLOC_BEFORE_AVAIL;
	unsigned long failures0 = failures, ops_parked;
	double parked, secs, until;
	struct worker sum;

	park_victim(flags, tp);
	parked = now();
	ctl.check_held = false;
	start_workers(flags);
	/* only once all are inside a call does "none completed" mean blocked */
	until = now() + deadline_seconds;
	while (__atomic_load_n(&ctl.started, __ATOMIC_RELAXED) < NWORKERS) {
		if (now() >= until)
			die("the workers starting");
		sleep_seconds(0.001);
	}
	sleep_seconds(PARK_SPIN_SECONDS);
	ops_parked = worker_ops();
	secs = now() - parked;
	if (ops_parked)
		fail("%s pool: others completed %lu calls under a parked lock holder", name,
		     ops_parked);
	resume_all();
	wait_victim(V_DONE, "the released victim finishing");
	pthread_join(victim.thread, NULL);
	wait_worker_ops(OPS_AFTER_SPIN, "the others going on after the release");
	stop_workers();
	sum = totals();
	finish();
	printf("stall: %-9s %-19s parked %.3f s under the pool lock: others completed %lu "
	       "calls meanwhile (blocked, as expected); after the release %lu; %s\n",
	       name, tp_names[tp], secs, ops_parked, sum.allocs + sum.frees,
	       failures == failures0 ? "invariants hold" : "FAILED");
	fflush(stdout);
}

static void init_ctl(void)
{
	pthread_condattr_t attr;

	/* monotonic, as now(): deadlines must not move with the wall clock */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ctl.cond, &attr);
	pthread_condattr_destroy(&attr);
}

int main(int argc, char **argv)
{
	unsigned long first = 0;

	if (argc > 1) {
		deadline_seconds = strtod(argv[1], NULL);
		if (!(deadline_seconds > 0)) {
			fprintf(stderr, "usage: %s [deadline-seconds]\n", argv[0]);
			return 2;
		}
	}
	for (unsigned int c = 0; c < NCHUNKS; c++) {
		/* 4 GiB apart on 64-bit, 256 MiB apart on 32-bit; never dereferenced */
		chunk_base[c] = (unsigned long)(c + 1) << (sizeof(long) == 8 ? 32 : 28);
		chunk_first[c] = first;
		first += chunk_granules[c];
	}
	init_ctl();
	gen_pool_set_error_handler(on_error, NULL);
	gp_testpoint_set_hook(park_hook);
	/* the pool's points: those named above (others belong to other tests:
	 * the lifecycle's to stress/lifecycle.c and tests/test_import_race.c,
	 * the object caches' to layers_stall.c) */
	for (unsigned int tp = 0; tp < GP_TP_COUNT; tp++)
		if (tp_names[tp])
			run_lockfree("lock-free", 0, (enum gp_testpoint)tp);
	for (unsigned int tp = 0; tp < GP_TP_COUNT; tp++)
		if (tp_names[tp])
			run_lockfree("strict", GEN_POOL_STRICT, (enum gp_testpoint)tp);
	for (unsigned int tp = 0; tp < GP_TP_COUNT; tp++)
		if (tp_names[tp])
			run_lockfree("cache", GEN_POOL_THREAD_CACHE, (enum gp_testpoint)tp);
	run_locked("spinlock", GEN_POOL_SPINLOCK);
	run_locked("ticket", GEN_POOL_LOCK_TICKET);
	run_locked("mcs", GEN_POOL_LOCK_MCS);
	gp_testpoint_set_hook(NULL);
	if (failures) {
		fprintf(stderr, "stall: %lu failures\n", failures);
		return 1;
	}
	return 0;
}
