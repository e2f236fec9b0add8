// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * replay_prog.c - compile a sorted trace into a replay program (replay.h):
 * recorded pointers become slot numbers through an open-addressing table
 * (linear probing, backward-shift deletion), and what the log itself says
 * (peak, leaks, unmatched frees) is counted on the way.
 *
 * Concurrency: none; the program is read-only once built.
 */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "replay.h"

#define NO_SLOT UINT32_MAX

/* Recorded address -> live slot. */
struct addr_map {
	uint64_t *key;		/* 0 = empty (a successful allocation is never at 0) */
	uint32_t *slot;
	size_t cap, used;	/* cap a power of two, used <= cap / 2 */
};

static size_t hash_of(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
}

static int map_grow(struct addr_map *m)
{
	struct addr_map n = { .cap = m->cap ? 2 * m->cap : 1024 };

	n.key = calloc(n.cap, sizeof(*n.key));
	n.slot = malloc(n.cap * sizeof(*n.slot));
	if (!n.key || !n.slot) {
		free(n.key);
		free(n.slot);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->key[i])
			continue;
		for (j = hash_of(m->key[i], n.cap); n.key[j]; j = (j + 1) & (n.cap - 1))
			;
		n.key[j] = m->key[i];
		n.slot[j] = m->slot[i];
	}
	n.used = m->used;
	free(m->key);
	free(m->slot);
	*m = n;
	return 0;
}

static size_t map_find(const struct addr_map *m, uint64_t k)
{
	size_t i;

	if (!m->cap)
		return SIZE_MAX;
	for (i = hash_of(k, m->cap); m->key[i]; i = (i + 1) & (m->cap - 1))
		if (m->key[i] == k)
			return i;
	return SIZE_MAX;
}

/* Insert @k (not present); -1 on no memory. */
static int map_put(struct addr_map *m, uint64_t k, uint32_t slot)
{
	size_t i;

	if ((m->used + 1) * 2 > m->cap && map_grow(m))
		return -1;
	for (i = hash_of(k, m->cap); m->key[i]; i = (i + 1) & (m->cap - 1))
		;
	m->key[i] = k;
	m->slot[i] = slot;
	m->used++;
	return 0;
}

/* Remove entry @i, shifting back the entries of its probe run. */
static void map_del(struct addr_map *m, size_t i)
{
	size_t mask = m->cap - 1, j = i;

	m->key[i] = 0;
	m->used--;
	for (;;) {
		size_t h;

		j = (j + 1) & mask;
		if (!m->key[j])
			return;
		h = hash_of(m->key[j], m->cap);
		/* can entry j move to the hole at i? (is h cyclically outside (i, j]) */
		if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
			m->key[i] = m->key[j];
			m->slot[i] = m->slot[j];
			m->key[j] = 0;
			i = j;
		}
	}
}

/*
 * A realloc that moves a block frees the old one inside glibc before the
 * tracer takes its time, so another thread's malloc can get that address
 * and sort before the REALLOC record. Such an allocation at a live address
 * moves the older block to 'displaced', where the REALLOC that owns it
 * finds it later (a FREE always means the newest block at its address).
 */
struct builder {
	struct replay_prog *p;
	struct addr_map map, displaced;
	size_t cap_ops, cap_size, cap_event;
	uint64_t live;
};

static int push_op(struct builder *b, struct replay_op op)
{
	struct replay_prog *p = b->p;

	if (grow(&p->op, &b->cap_ops, p->nops + 1, sizeof(*p->op)))
		return -1;
	p->op[p->nops++] = op;
	return 0;
}

static unsigned int log2_of(uint64_t align)
{
	unsigned int l = 0;

	while (l < 63 && (1ull << l) < align)
		l++;
	return l;
}

/* A free of the allocation at entry @i of @m, by record @r. */
static int emit_free_in(struct builder *b, struct addr_map *m, size_t i,
			const struct gp_trace_record *r, uint32_t ev)
{
	uint32_t slot = m->slot[i];
	struct replay_op op = { .kind = RO_FREE, .slot = slot, .thread = r->thread,
				.event = ev, .addr = m->key[i],
				.size = b->p->slot_size[slot] };

	map_del(m, i);
	b->live -= b->p->slot_size[slot];
	b->p->nfrees++;
	return push_op(b, op);
}

static int emit_free(struct builder *b, size_t i, const struct gp_trace_record *r, uint32_t ev)
{
	return emit_free_in(b, &b->map, i, r, ev);
}

/* The live block at @addr makes way for a new one (see struct builder). */
static int displace(struct builder *b, size_t i, const struct gp_trace_record *r, uint32_t ev)
{
	size_t d = map_find(&b->displaced, b->map.key[i]);
	uint32_t slot = b->map.slot[i];
	uint64_t addr = b->map.key[i];

	b->p->reused_live++;
	if (d != SIZE_MAX && emit_free_in(b, &b->displaced, d, r, ev))	/* a third: give up on the oldest */
		return -1;
	map_del(&b->map, i);
	return map_put(&b->displaced, addr, slot);
}

/* A successful allocation of @size at recorded @addr. */
static int emit_alloc(struct builder *b, const struct gp_trace_record *r, uint64_t addr,
		      uint64_t size, uint64_t align, uint32_t ev)
{
	struct replay_prog *p = b->p;
	struct replay_op op = { .kind = RO_ALLOC, .slot = p->nslots, .thread = r->thread,
				.event = ev, .addr = addr, .size = size,
				.align_log2 = (uint16_t)(align > 1 ? log2_of(align) : 0) };
	size_t old = map_find(&b->map, addr);

	if (old != SIZE_MAX && displace(b, old, r, ev))
		return -1;
	if (grow(&p->slot_size, &b->cap_size, p->nslots + 1, sizeof(*p->slot_size)) ||
	    grow(&p->slot_event, &b->cap_event, p->nslots + 1, sizeof(*p->slot_event)))
		return -1;
	p->slot_size[p->nslots] = size;
	p->slot_event[p->nslots] = ev;
	if (map_put(&b->map, addr, p->nslots++) || push_op(b, op))
		return -1;
	p->nallocs++;
	b->live += size;
	if (b->live > p->peak_live_bytes) {
		p->peak_live_bytes = b->live;
		p->peak_op = p->nops;
	}
	return 0;
}

static uint64_t align_of(const struct gp_trace_record *r)
{
	switch (r->algo) {
	case GP_TA_ALIGN:
	case GP_TA_XALLOC:
	case GP_TA_MEMALIGN:
		return r->aux;
	default:
		return 0;
	}
}

static int on_free(struct builder *b, const struct gp_trace_record *r, uint32_t ev)
{
	size_t i = map_find(&b->map, r->addr);

	if (r->result != GP_TRES_OK)
		return 0;	/* a refused free changed nothing */
	if (i == SIZE_MAX) {
		b->p->unmatched_frees++;
		return 0;
	}
	return emit_free(b, i, r, ev);
}

/* The block a REALLOC of @addr gives up: a displaced one first. */
static struct addr_map *realloc_source(struct builder *b, uint64_t addr, size_t *i)
{
	if (!addr)
		return NULL;
	*i = map_find(&b->displaced, addr);
	if (*i != SIZE_MAX)
		return &b->displaced;
	*i = map_find(&b->map, addr);
	return *i != SIZE_MAX ? &b->map : NULL;
}

static int on_realloc(struct builder *b, const struct gp_trace_record *r, uint32_t ev)
{
	struct addr_map *m;
	size_t old;

	b->p->nreallocs++;
	if (r->result != GP_TRES_OK) {	/* the old block stays as it was */
		b->p->log_failed++;
		b->p->skipped++;
		return 0;
	}
	m = realloc_source(b, r->aux, &old);
	if (r->aux && !m)
		b->p->unmatched_frees++;
	/* the new block first, then the old one goes: both live for a moment */
	if (r->addr && r->addr != r->aux && emit_alloc(b, r, r->addr, r->size, 0, ev))
		return -1;
	if (m) {
		m = realloc_source(b, r->aux, &old);	/* emit_alloc may have moved it */
		if (m && emit_free_in(b, m, old, r, ev))
			return -1;
	}
	if (r->addr && r->addr == r->aux)	/* resized in place: a new allocation */
		return emit_alloc(b, r, r->addr, r->size, 0, ev);
	return 0;
}

static int on_record(struct builder *b, const struct gp_trace_record *r, uint32_t ev)
{
	struct replay_op op = { .thread = r->thread, .event = ev, .size = r->size,
				.addr = r->addr };

	if (r->thread > b->p->nthreads)
		b->p->nthreads = r->thread;
	switch (r->type) {
	case GP_TR_ALLOC:
		if (r->result == GP_TRES_OK && r->addr)
			return emit_alloc(b, r, r->addr, r->size, align_of(r), ev);
		b->p->log_failed++;
		op.kind = RO_ALLOC_TRY;
		op.slot = NO_SLOT;
		op.align_log2 = (uint16_t)(align_of(r) > 1 ? log2_of(align_of(r)) : 0);
		return push_op(b, op);
	case GP_TR_FREE:
		return on_free(b, r, ev);
	case GP_TR_REALLOC:
		return on_realloc(b, r, ev);
	case GP_TR_ADD:
	case GP_TR_IMPORT:
		if (!b->p->pool_source) {	/* a malloc trace has no chunks: not replayed */
			b->p->skipped++;
			return 0;
		}
		if (r->result != GP_TRES_OK)
			return 0;
		op.kind = RO_CHUNK;
		return push_op(b, op);
	default:		/* REMOVE, RELEASE: not replayed */
		b->p->skipped++;
		return 0;
	}
}

int replay_prog_build(const struct gp_trace *t, struct replay_prog *p, char *err, size_t errlen)
{
	struct builder b = { .p = p };

	*p = (struct replay_prog){ 0 };
	p->pool_source = t->hdr.source == GP_TRACE_SRC_POOL;
	p->order = p->pool_source ? t->hdr.min_alloc_order : -1;
	for (size_t i = 0; i < t->n; i++) {
		if (on_record(&b, &t->rec[i], (uint32_t)i)) {
			snprintf(err, errlen, "no memory for the replay program (%zu records)", t->n);
			free(b.map.key);
			free(b.map.slot);
			free(b.displaced.key);
			free(b.displaced.slot);
			replay_prog_free(p);
			return -1;
		}
	}
	p->end_live_bytes = b.live;
	p->end_live_count = (uint32_t)(b.map.used + b.displaced.used);
	free(b.map.key);
	free(b.map.slot);
	free(b.displaced.key);
	free(b.displaced.slot);
	return 0;
}

void replay_prog_free(struct replay_prog *p)
{
	free(p->op);
	free(p->slot_size);
	free(p->slot_event);
	*p = (struct replay_prog){ 0 };
}

uint64_t replay_peak_granules(const struct replay_prog *p, int order)
{
	uint64_t live = 0, peak = 0;

	for (size_t i = 0; i < p->nops; i++) {
		const struct replay_op *o = &p->op[i];

		/* a fuzzed or corrupt log's sizes can sum past 2^64: saturate */
		if (o->kind == RO_ALLOC &&
		    __builtin_add_overflow(live, replay_granules(o->size, order), &live))
			return UINT64_MAX;
		else if (o->kind == RO_FREE)
			live -= replay_granules(o->size, order);
		if (live > peak)
			peak = live;
	}
	return peak;
}
