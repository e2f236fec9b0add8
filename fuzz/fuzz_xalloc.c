// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz_xalloc.c - libFuzzer target: gen_pool_xalloc and gen_pool_remove_chunk
 * against the brute-force model of tests/xalloc_model.h, sequentially, so
 * every result is exact: the address xalloc returns (or ENOMEM, or EINVAL
 * for constraints no address could satisfy), every free, and whether a
 * removal succeeds (0 exactly when the model's chunk has no busy granule,
 * else -EBUSY, and then nothing changed), with chunks removed and added
 * again in any order, so the newest-first order moves.
 *
 * Input: byte 0 picks the order (0..8) and pool kind; then 12-byte ops.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/xalloc_model.h"

#define SLOTS XM_MAX_CHUNKS
#define MAX_LIVE 128

#define CHECK(cond, ...)                                                                    \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_xalloc: check failed: " __VA_ARGS__);        \
			fputc('\n', stderr);                                                \
			abort();                                                            \
		}                                                                           \
	} while (0)

static const unsigned int kinds[] = { 0, GEN_POOL_SPINLOCK, GEN_POOL_STRICT, GEN_POOL_THREAD_CACHE };

struct state {
	struct gen_pool *pool;
	struct xm_pool m;
	unsigned long slot_base[SLOTS], slot_granules[SLOTS];
	unsigned long live_addr[MAX_LIVE], live_nr[MAX_LIVE];
	unsigned int nlive;
};

static void quiet(int err, const char *msg, void *arg)
{
	(void)err;
	(void)msg;
	(void)arg;
}

/* The model chunk of slot @s, or -1. */
static int model_index(const struct state *st, unsigned int s)
{
	for (unsigned int k = 0; k < st->m.n; k++)
		if (st->m.c[k].base == st->slot_base[s])
			return (int)k;
	return -1;
}

static void op_xalloc(struct state *st, const uint8_t *b)
{
	struct genpool_constraints c = { 0 };
	unsigned long nr = 1 + b[1] % 40, len = nr << st->m.order, want, got;
	unsigned int s = b[2] % SLOTS;

	if (b[3] & 1)
		c.align = 1UL << (b[4] % (st->m.order + 9));
	if (b[3] & 2)
		c.phase = c.align ? b[5] % c.align : b[5] % 2; /* sometimes invalid */
	if (b[3] & 4)
		c.nocross = 1UL << (b[6] % (st->m.order + 10));
	if (b[3] & 8)
		c.minaddr = st->slot_base[s] + ((unsigned long)b[7] << st->m.order);
	if (b[3] & 16)
		c.maxaddr = st->slot_base[s] + ((unsigned long)(b[8] + 1) << st->m.order);
	if (xm_invalid(&c, len)) {
		errno = 0;
		CHECK(gen_pool_xalloc(st->pool, len, &c) == 0 && errno == EINVAL,
		      "invalid constraints not refused");
		return;
	}
	want = st->nlive < MAX_LIVE ? xm_alloc(&st->m, nr, &c) : 0;
	if (st->nlive == MAX_LIVE)
		return;
	errno = 0;
	got = gen_pool_xalloc(st->pool, len - (b[9] % (1UL << st->m.order)), &c);
	CHECK(got == want, "xalloc(%lu granules, align %lx phase %lx nocross %lx min %lx max %lx)"
	      " = 0x%lx, model 0x%lx", nr, c.align, c.phase, c.nocross, c.minaddr, c.maxaddr,
	      got, want);
	CHECK(got || errno == ENOMEM, "failed xalloc: errno %d", errno);
	if (got) {
		st->live_addr[st->nlive] = got;
		st->live_nr[st->nlive++] = nr;
	}
}

static void op_free(struct state *st, const uint8_t *b)
{
	unsigned int i = b[1] % st->nlive;
	unsigned long a = st->live_addr[i], nr = st->live_nr[i];

	CHECK(gen_pool_free(st->pool, a, nr << st->m.order) == 0, "free of 0x%lx failed", a);
	for (unsigned int k = 0; k < st->m.n; k++)
		if (a >= st->m.c[k].base && a < st->m.c[k].base + (st->m.c[k].granules << st->m.order))
			for (unsigned long g = 0; g < nr; g++)
				st->m.c[k].busy[((a - st->m.c[k].base) >> st->m.order) + g] = false;
	st->live_addr[i] = st->live_addr[--st->nlive];
	st->live_nr[i] = st->live_nr[st->nlive];
	gen_pool_cache_flush(st->pool); /* cached ranges are busy in the bitmap */
}

static void op_remove_or_add(struct state *st, const uint8_t *b)
{
	unsigned int s = b[1] % SLOTS;
	int k = model_index(st, s);
	bool idle = true;

	if (k < 0) { /* add it again: the newest chunk now */
		CHECK(gen_pool_add(st->pool, st->slot_base[s], st->slot_granules[s] << st->m.order,
				   -1) == 0, "re-add failed");
		st->m.c[st->m.n] = (struct xm_chunk){ st->slot_base[s], st->slot_granules[s], { 0 } };
		st->m.n++;
		return;
	}
	for (unsigned long g = 0; g < st->m.c[k].granules; g++)
		idle &= !st->m.c[k].busy[g];
	int err = gen_pool_remove_chunk(st->pool, st->slot_base[s]);

	CHECK(err == (idle ? 0 : -EBUSY), "remove_chunk(slot %u) = %d, model %s", s, err,
	      idle ? "idle" : "busy");
	if (err)
		return;
	memmove(&st->m.c[k], &st->m.c[k + 1], (st->m.n - (unsigned int)k - 1) * sizeof(st->m.c[0]));
	st->m.n--;
	CHECK(gen_pool_free(st->pool, st->slot_base[s], 1UL << st->m.order) == -EINVAL,
	      "a free in a removed chunk was accepted");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st;

	if (size < 1)
		return 0;
	gen_pool_set_error_handler(quiet, NULL);
	memset(&st, 0, sizeof(st));
	st.m.order = data[0] % 9;
	st.pool = gen_pool_create_flags(st.m.order, -1, kinds[(data[0] >> 4) % 4]);
	CHECK(st.pool, "create failed");
	for (unsigned int s = 0; s < SLOTS; s++) {
		st.slot_granules[s] = 64 + 97 * s;
		st.slot_base[s] = (0x10000000UL << s) + ((unsigned long)(7 * s) << st.m.order);
		CHECK(gen_pool_add(st.pool, st.slot_base[s], st.slot_granules[s] << st.m.order, -1) == 0,
		      "add failed");
		st.m.c[s] = (struct xm_chunk){ st.slot_base[s], st.slot_granules[s], { 0 } };
	}
	st.m.n = SLOTS;
	for (size_t at = 1; at + 12 <= size; at += 12) {
		const uint8_t *b = data + at;

		if (b[0] % 8 == 0)
			op_remove_or_add(&st, b);
		else if (b[0] % 8 < 3 && st.nlive)
			op_free(&st, b);
		else
			op_xalloc(&st, b);
	}
	while (st.nlive--)
		CHECK(gen_pool_free(st.pool, st.live_addr[st.nlive], st.live_nr[st.nlive]
				    << st.m.order) == 0, "final free failed");
	CHECK(gen_pool_destroy(st.pool) == 0, "destroy failed");
	return 0;
}
