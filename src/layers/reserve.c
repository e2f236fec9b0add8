// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * reserve.c - reserves over a pool (LDD3's mempool): min_nr elements of one
 * size held back, so that an I/O path keeps making progress when the pool
 * is exhausted by others.
 *
 * An allocation tries the pool, then the reserve's held elements, then, if
 * the caller allows, sleeps until a gen_pool_reserve_free and tries again.
 * A free refills the held elements while there are fewer than min_nr, else
 * frees to the pool, and then wakes the waiters. So min_nr elements cycle
 * between the reserve and its users whatever the pool does: users that take
 * one element, use it and free it always get one back (the forward-progress
 * property; tests/test_reserve.c and stress/layers.c show it).
 *
 * Concurrency: the held elements and the set of elements out (for a free's
 * check) are under the reserve's mutex, held for a few instructions only and
 * never while sleeping (as the kernel's mempool uses its spinlock). Waiting
 * is on a Concurrency Kit event count (ck_ec, multi-producer, futex based):
 * no spinning (busy_loop_iter 1).
 *
 * Why no wake-up is lost: a waiter reads the event count (v) *before* it
 * tries the pool and the reserve; a free increments it *after* it has
 * published the element (in the reserve, under the mutex, or in the pool).
 * If the publication precedes the try in the mutex's order, the try sees the
 * element (or another thread took it: its progress, not a lost wake-up).
 * Otherwise the increment follows the try, hence the read of v, so the
 * count differs from v when the waiter sleeps: ck_ec_wait sets its waiter
 * flag and the futex compares the count in the kernel atomically with the
 * sleep, so it either returns at once or is woken by that increment's
 * futex wake (ck_ec_inc wakes whenever the flag is set). Frees to the pool
 * by others than the reserve's users wake nobody, as in the kernel.
 *
 * ThreadSanitizer cannot see ck_pr's inline assembly. The element itself
 * is ordered by the mutex, which it sees; the event count's own ordering
 * is annotated in sanitizer builds only: RS_TSAN_RELEASE before
 * ck_ec64_inc stands for the increment's release, RS_TSAN_ACQUIRE after
 * ck_ec64_value and ck_ec64_wait for their acquire; each names its pair.
 */
#include <ck_ec.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../mutant.h"
#include "../rcu.h" /* GP_TSAN */
#include "layer.h"

#ifdef GP_TSAN
#define RS_TSAN_RELEASE(r) __tsan_release(&(r)->ec)
#define RS_TSAN_ACQUIRE(r) __tsan_acquire(&(r)->ec)
#else
#define RS_TSAN_RELEASE(r) ((void)0)
#define RS_TSAN_ACQUIRE(r) ((void)0)
#endif

/* The addresses out of a reserve: linear probing, backward-shift deletion. */
struct rs_set {
	unsigned long *slot; /* 0: empty (0 is never an allocated address) */
	size_t cap, n;       /* cap a power of two, n <= cap / 2 */
};

struct gen_pool_reserve {
	struct gen_pool *pool;
	size_t size;
	pthread_mutex_t lock;
	unsigned int min_nr;   /* under lock */
	unsigned long *held;   /* under lock: nheld elements, room for cap */
	unsigned int nheld, cap;
	struct rs_set out;     /* under lock */
	struct ck_ec64 ec;     /* bumped after every free's publication */
};

/* ------------------------------------------------------------------------ */
/* ck_ec's operating-system half: CLOCK_MONOTONIC and private futexes       */

static int rs_gettime(const struct ck_ec_ops *ops, struct timespec *out)
{
	(void)ops;
	return clock_gettime(CLOCK_MONOTONIC, out);
}

static void rs_wait32(const struct ck_ec_wait_state *st, const uint32_t *addr, uint32_t expected,
		      const struct timespec *deadline)
{
	(void)st;
	/* absolute CLOCK_MONOTONIC deadline; the kernel compares *addr first */
	syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, deadline, NULL,
		FUTEX_BITSET_MATCH_ANY);
}

/* The low half of the 64-bit count (little-endian), as ck_ec_ops allows. */
static void rs_wait64(const struct ck_ec_wait_state *st, const uint64_t *addr, uint64_t expected,
		      const struct timespec *deadline)
{
	rs_wait32(st, (const uint32_t *)addr, (uint32_t)expected, deadline);
}

static void rs_wake32(const struct ck_ec_ops *ops, const uint32_t *addr)
{
	(void)ops;
	syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
}

static void rs_wake64(const struct ck_ec_ops *ops, const uint64_t *addr)
{
	rs_wake32(ops, (const uint32_t *)addr);
}

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "rs_wait64 waits on the low half");

static const struct ck_ec_ops rs_ops = {
	.gettime = rs_gettime,
	.wait32 = rs_wait32,
	.wait64 = rs_wait64,
	.wake32 = rs_wake32,
	.wake64 = rs_wake64,
	.busy_loop_iter = 1, /* sleep at once: no spinning */
};

static const struct ck_ec_mode rs_mode = { .ops = &rs_ops, .single_producer = false };

/* ------------------------------------------------------------------------ */
/* The set of elements out                                                  */

static size_t set_home(const struct rs_set *s, unsigned long addr)
{
	return (size_t)((addr * 0x9e3779b97f4a7c15ULL) >> 20) & (s->cap - 1);
}

/* The slot holding @addr, or the empty slot where it would go. */
static size_t set_probe(const struct rs_set *s, unsigned long addr)
{
	size_t i = set_home(s, addr);

	while (s->slot[i] && s->slot[i] != addr)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int set_grow(struct rs_set *s)
{
	struct rs_set bigger = { .cap = s->cap ? s->cap * 2 : 16 };
	size_t i;

	bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
	if (!bigger.slot)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++)
		if (s->slot[i])
			bigger.slot[set_probe(&bigger, s->slot[i])] = s->slot[i];
	bigger.n = s->n;
	free(s->slot);
	*s = bigger;
	return 0;
}

static int set_add(struct rs_set *s, unsigned long addr)
{
	if ((s->n + 1) * 2 > s->cap && set_grow(s))
		return -ENOMEM;
	s->slot[set_probe(s, addr)] = addr;
	s->n++;
	return 0;
}

/* Remove @addr; false when it is not in the set. */
static bool set_del(struct rs_set *s, unsigned long addr)
{
	size_t i, j, home;

	if (!s->cap || !s->slot[i = set_probe(s, addr)])
		return false;
	/* backward shift: move later entries of the cluster that may fill the hole */
	for (j = (i + 1) & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1)) {
		home = set_home(s, s->slot[j]);
		if (((j - home) & (s->cap - 1)) >= ((j - i) & (s->cap - 1))) {
			s->slot[i] = s->slot[j];
			i = j;
		}
	}
	s->slot[i] = 0;
	s->n--;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Held elements                                                            */

/* Room for @n held elements; under the lock (or before publication). */
static int held_reserve(struct gen_pool_reserve *r, unsigned int n)
{
	unsigned long *p;

	if (n <= r->cap)
		return 0;
	p = realloc(r->held, (size_t)n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->held = p;
	r->cap = n;
	return 0;
}

/* Allocate held elements from the pool until there are @n; -ENOMEM: none kept. */
static int held_fill(struct gen_pool_reserve *r, unsigned int n)
{
	unsigned int start = r->nheld;

	if (held_reserve(r, n))
		return -ENOMEM;
	while (r->nheld < n) {
		unsigned long a = gen_pool_alloc(r->pool, r->size);

		if (!a) {
			int err = errno; /* ENOMEM, or gen_pool_alloc's EINVAL */

			while (r->nheld > start)
				gen_pool_free(r->pool, r->held[--r->nheld], r->size);
			errno = err;
			return -ENOMEM;
		}
		r->held[r->nheld++] = a;
	}
	return 0;
}

/* Free held elements to the pool until there are @n. */
static void held_trim(struct gen_pool_reserve *r, unsigned int n)
{
	while (r->nheld > n)
		GP_BUG_ON(gen_pool_free(r->pool, r->held[--r->nheld], r->size));
}

static void wake(struct gen_pool_reserve *r)
{
	RS_TSAN_RELEASE(r); /* the increment's release; pairs with RS_TSAN_ACQUIRE in alloc */
	ck_ec64_inc(&r->ec, &rs_mode);
}

/* ------------------------------------------------------------------------ */
/* The calls                                                                */

struct gen_pool_reserve *gen_pool_reserve_create(struct gen_pool *pool, size_t size,
						 unsigned int min_nr)
{
	struct gen_pool_reserve *r;
	unsigned long g;
	int err;

	if (!pool)
		return GP_REFUSE_NULL(EINVAL, "pool is NULL");
	if (!size)
		return GP_REFUSE_NULL(EINVAL, "size is 0");
	if (!min_nr)
		return GP_REFUSE_NULL(EINVAL, "min_nr is 0");
	g = gp_layer_granule(pool);
	if (size > ~0UL - (g - 1) || (size + g - 1) / g > UINT_MAX)
		return GP_REFUSE_NULL(EINVAL, "size %zu is too large for the pool", size);
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->pool = pool;
	r->size = size;
	r->min_nr = min_nr;
	err = held_fill(r, min_nr);
	if (!err)
		err = set_grow(&r->out);
	if (err) {
		err = errno == EINVAL ? EINVAL : ENOMEM; /* gen_pool_alloc's refusal, reported */
		held_trim(r, 0);
		free(r->held);
		free(r);
		errno = err;
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	ck_ec64_init(&r->ec, 0);
	return r;
}

/* One try: the pool, then the held elements; 0 with errno ENOMEM (or EINVAL). */
static unsigned long try_alloc(struct gen_pool_reserve *r)
{
	unsigned long addr = gen_pool_alloc(r->pool, r->size);
	bool held = false;
	int err = errno;

	pthread_mutex_lock(&r->lock);
	if (!addr && r->nheld) {
		addr = r->held[--r->nheld];
		held = true;
	}
	if (addr && set_add(&r->out, addr)) { /* no memory to record it: give it back */
		if (held)
			r->held[r->nheld++] = addr;
		else
			gen_pool_free(r->pool, addr, r->size);
		addr = 0;
		err = ENOMEM;
	}
	pthread_mutex_unlock(&r->lock);
	if (!addr)
		errno = err == EINVAL ? EINVAL : ENOMEM;
	return addr;
}

static bool past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

unsigned long gen_pool_reserve_alloc(struct gen_pool_reserve *r, int timeout_ms)
{
	struct timespec rel, deadline;
	unsigned long addr;
	uint64_t v;

	if (!r)
		return GP_REFUSE_ADDR(EINVAL, "reserve is NULL");
	if (timeout_ms < -1)
		return GP_REFUSE_ADDR(EINVAL, "timeout %d ms: neither -1 nor >= 0", timeout_ms);
	if (timeout_ms > 0) {
		rel.tv_sec = timeout_ms / 1000;
		rel.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		ck_ec_deadline(&deadline, &rs_mode, &rel);
	}
	for (;;) {
		v = ck_ec64_value(&r->ec); /* before the try: see "no wake-up is lost" */
		RS_TSAN_ACQUIRE(r);        /* ck_ec_value's acquire; pairs with wake()'s release */
		addr = try_alloc(r);
		if (addr || errno == EINVAL)
			return addr;
		if (timeout_ms == 0)
			return 0; /* errno ENOMEM */
		if (timeout_ms > 0 && past(&deadline))
			break;
		if (ck_ec64_wait(&r->ec, &rs_mode, v, timeout_ms > 0 ? &deadline : NULL) < 0)
			break;
		RS_TSAN_ACQUIRE(r); /* ck_ec_wait's acquire; pairs with wake()'s release */
	}
	errno = ETIMEDOUT;
	return 0;
}

int gen_pool_reserve_free(struct gen_pool_reserve *r, unsigned long addr)
{
	bool keep;

	if (!r)
		return GP_REFUSE(EINVAL, "reserve is NULL");
	if (GP_MUTANT(GP_MUT_RS_WAKE_EARLY)) {
		wake(r);
		usleep(2000); /* the mutant's window: a preemption here */
	}
	pthread_mutex_lock(&r->lock);
	if (!set_del(&r->out, addr)) {
		pthread_mutex_unlock(&r->lock);
		return GP_REFUSE(EINVAL, "0x%lx is not an element out of this reserve", addr);
	}
	keep = r->nheld < r->min_nr && !GP_MUTANT(GP_MUT_RS_FREE_BELOW_MIN);
	if (keep)
		r->held[r->nheld++] = addr; /* room: cap >= min_nr > nheld */
	pthread_mutex_unlock(&r->lock);
	if (!keep)
		gen_pool_free(r->pool, addr, r->size); /* refused only if freed behind our back */
	if (!GP_MUTANT(GP_MUT_RS_WAKE_EARLY))
		wake(r); /* after the publication: see "no wake-up is lost" */
	return 0;
}

int gen_pool_reserve_resize(struct gen_pool_reserve *r, unsigned int min_nr)
{
	bool trimmed;
	int err = 0;

	if (!r)
		return GP_REFUSE(EINVAL, "reserve is NULL");
	if (!min_nr)
		return GP_REFUSE(EINVAL, "min_nr is 0");
	pthread_mutex_lock(&r->lock);
	/* as mempool_resize: shrinking only trims, growing fills up to min_nr */
	trimmed = min_nr <= r->min_nr && min_nr < r->nheld;
	if (trimmed)
		held_trim(r, min_nr);
	else if (min_nr > r->min_nr)
		err = held_fill(r, min_nr);
	if (!err)
		r->min_nr = min_nr;
	pthread_mutex_unlock(&r->lock);
	if (trimmed)
		wake(r); /* the pool gained elements a waiter may take */
	return err;
}

int gen_pool_reserve_destroy(struct gen_pool_reserve *r)
{
	if (!r)
		return GP_REFUSE(EINVAL, "reserve is NULL");
	pthread_mutex_lock(&r->lock);
	if (r->out.n) {
		pthread_mutex_unlock(&r->lock);
		return -EBUSY; /* a result, not a refusal: nothing changed */
	}
	held_trim(r, 0);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_destroy(&r->lock);
	free(r->held);
	free(r->out.slot);
	free(r);
	return 0;
}
