// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * replay_check.c - the verified replay (replay.h: replay_check).
 *
 * One thread, the recorded interleaving, a fresh pool (replay_pool.h) and
 * a shadow bitmap (shadow.h) that the pool never sees: every range genpool
 * hands out must lie in a chunk, be aligned as asked and hold no granule
 * another live range holds; every free must be accepted; at the end every
 * range is freed, the caches flushed, and avail must equal size again.
 * Each finding is printed as one line naming the event; the first is kept
 * in the report.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay_pool.h"
#include "shadow.h"

#define MAX_NAMED 10	/* findings printed; the rest are counted */

struct checker {
	const struct replay_prog *p;
	struct replay_pool rp;
	struct shadow s, log;	/* the replay's ranges; the log's (pool traces) */
	uintptr_t *addr;	/* per slot: the replay's address, 0 if it failed */
	uint32_t live;
	struct replay_report *r;
	FILE *findings;
	size_t named;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "pool: N bytes, F free, largest free run L bytes, K live ranges" */
static void pool_state(struct checker *c, char *buf, size_t len)
{
	uint64_t total = 0, free_g, longest;

	for (size_t i = 0; i < c->s.nchunks; i++)
		total += c->s.chunk[i].granules;
	shadow_free_runs(&c->s, &free_g, &longest);
	snprintf(buf, len, "pool: %" PRIu64 " bytes, %" PRIu64 " free, largest free run %"
		 PRIu64 " bytes, %u live ranges", total << c->s.order, free_g << c->s.order,
		 longest << c->s.order, c->live);
}

static void finding(struct checker *c, const struct replay_op *o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finding(struct checker *c, const struct replay_op *o, const char *fmt, ...)
{
	char what[160], state[160], line[400];
	va_list ap;

	if (c->named >= MAX_NAMED && c->r->first_failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	pool_state(c, state, sizeof(state));
	snprintf(line, sizeof(line), "event %u (thread %u): %s; %s", o->event, o->thread,
		 what, state);
	if (!c->r->first_failure[0])
		snprintf(c->r->first_failure, sizeof(c->r->first_failure), "%s", line);
	if (c->findings && c->named < MAX_NAMED)
		fprintf(c->findings, "%s\n", line);
	c->named++;
}

/* A range genpool returned: in a chunk, aligned, overlapping nothing. */
static void check_range(struct checker *c, const struct replay_op *o, uintptr_t a)
{
	uint64_t g = replay_granules(o->size, c->s.order);
	int rc = shadow_take(&c->s, a, g);

	if (rc) {
		c->r->overlaps++;
		finding(c, o, "alloc of %" PRIu64 " bytes returned %#" PRIxPTR " which %s",
			o->size, a, rc < 0 ? "is outside every chunk" : "overlaps a live range");
	}
	if (o->align_log2 && (a & ((1ull << o->align_log2) - 1))) {
		c->r->overlaps++;
		finding(c, o, "alloc of %" PRIu64 " bytes aligned to %llu returned %#" PRIxPTR,
			o->size, 1ull << o->align_log2, a);
	}
}

static void do_alloc(struct checker *c, const struct replay_op *o)
{
	uintptr_t a = replay_pool_alloc(&c->rp, o->size, o->align_log2 ? 1ul << o->align_log2 : 0);

	c->r->allocs++;
	if (c->p->pool_source)
		shadow_take(&c->log, o->addr, replay_granules(o->size, c->log.order));
	if (!a) {
		c->r->failed_new++;
		finding(c, o, "alloc of %" PRIu64 " bytes (%" PRIu64 " granules) failed here but "
			"succeeded in the log", o->size, replay_granules(o->size, c->s.order));
		return;
	}
	check_range(c, o, a);
	c->addr[o->slot] = a;
	c->live++;
}

static void do_try(struct checker *c, const struct replay_op *o)
{
	uintptr_t a = replay_pool_alloc(&c->rp, o->size, o->align_log2 ? 1ul << o->align_log2 : 0);

	c->r->allocs++;
	if (!a) {
		c->r->failed_both++;
		return;
	}
	c->r->succeeded_new++;
	if (replay_pool_free(&c->rp, a, o->size)) {
		c->r->refused_frees++;
		finding(c, o, "free of %#" PRIxPTR " refused right after its alloc", a);
	}
}

static void do_free(struct checker *c, const struct replay_op *o)
{
	uintptr_t a = c->addr[o->slot];
	uint64_t g = replay_granules(o->size, c->s.order);

	c->r->frees++;
	if (c->p->pool_source)
		shadow_give(&c->log, o->addr, replay_granules(o->size, c->log.order));
	if (!a)
		return;	/* its allocation failed here (already named) */
	c->addr[o->slot] = 0;
	c->live--;
	shadow_give(&c->s, a, g);
	if (replay_pool_free(&c->rp, a, o->size)) {
		c->r->refused_frees++;
		finding(c, o, "free of %" PRIu64 " bytes at %#" PRIxPTR " refused", o->size, a);
	}
}

static void do_chunk(struct checker *c, const struct replay_op *o)
{
	if (replay_pool_add_chunk(&c->rp, o->addr, o->size) ||
	    shadow_add(&c->s, o->addr, o->size)) {
		c->r->failed_new++;
		finding(c, o, "chunk [%#" PRIx64 ", +%" PRIu64 ") could not be added", o->addr,
			o->size);
		return;
	}
	shadow_add(&c->log, o->addr, o->size);
}

static uint64_t used_bytes(const struct shadow *s)
{
	uint64_t total = 0, free_g, longest;

	for (size_t i = 0; i < s->nchunks; i++)
		total += s->chunk[i].granules;
	shadow_free_runs(s, &free_g, &longest);
	return (total - free_g) << s->order;
}

static void progress_line(FILE *tty, size_t i, size_t n)
{
	fprintf(tty, "\rreplay: %3zu%% (%zu of %zu events)", n ? i * 100 / n : 100, i, n);
	fflush(tty);
}

static void run_ops(struct checker *c, FILE *progress)
{
	const struct replay_prog *p = c->p;

	for (size_t i = 0; i < p->nops; i++) {
		const struct replay_op *o = &p->op[i];

		if (progress && !(i & 0xffff))
			progress_line(progress, i, p->nops);
		switch (o->kind) {
		case RO_ALLOC: do_alloc(c, o); break;
		case RO_ALLOC_TRY: do_try(c, o); break;
		case RO_FREE: do_free(c, o); break;
		case RO_CHUNK: do_chunk(c, o); break;
		}
		if (i + 1 == p->peak_op) {	/* right after the log's peak */
			c->r->peak_used_bytes = used_bytes(&c->s);
			c->r->frag_at_peak = shadow_fragmentation(&c->s);
			if (p->pool_source)
				c->r->log_frag_at_peak = shadow_fragmentation(&c->log);
		}
	}
	if (progress) {
		progress_line(progress, p->nops, p->nops);
		fputc('\n', progress);
	}
}

/* Free what is still live, flush the caches: is the pool whole again? */
static bool drain(struct checker *c)
{
	bool ok = true;

	for (uint32_t s = 0; s < c->p->nslots; s++) {
		if (!c->addr[s])
			continue;
		if (replay_pool_free(&c->rp, c->addr[s], c->p->slot_size[s]))
			ok = false;
		shadow_give(&c->s, c->addr[s], replay_granules(c->p->slot_size[s], c->s.order));
		c->addr[s] = 0;
	}
	gen_pool_cache_flush(c->rp.pool);
	return ok && gen_pool_avail(c->rp.pool) == gen_pool_size(c->rp.pool) &&
	       used_bytes(&c->s) == 0;
}

int replay_check(const struct replay_prog *p, const struct replay_pool_cfg *cfg,
		 struct replay_report *r, FILE *progress, FILE *findings,
		 char *err, size_t errlen)
{
	struct checker c = { .p = p, .r = r, .findings = findings };
	uint64_t t0;
	size_t ops = 0;

	*r = (struct replay_report){ .log_frag_at_peak = -1.0 };
	if (replay_pool_create(&c.rp, p, cfg, false, err, errlen))
		return -1;
	r->order = c.rp.order;
	shadow_init(&c.s, c.rp.order);
	shadow_init(&c.log, p->order >= 0 ? p->order : c.rp.order);
	c.addr = calloc(p->nslots ? p->nslots : 1, sizeof(*c.addr));
	if (!c.addr || (!p->pool_source && shadow_add(&c.s, REPLAY_POOL_BASE, c.rp.bytes))) {
		snprintf(err, errlen, "no memory for the replay's shadow map");
		free(c.addr);
		shadow_fini(&c.s);
		shadow_fini(&c.log);
		replay_pool_destroy(&c.rp);
		return -1;
	}
	t0 = mono_ns();
	run_ops(&c, progress);
	for (size_t i = 0; i < p->nops; i++)
		ops += p->op[i].kind != RO_CHUNK;
	r->ops = ops;
	r->ns_per_op = ops ? (double)(mono_ns() - t0) / (double)ops : 0.0;
	r->end_used_bytes = used_bytes(&c.s);
	r->end_live = c.live;
	r->pool_bytes = (uint64_t)gen_pool_size(c.rp.pool);
	r->whole_at_end = drain(&c);
	r->whole_at_end = !replay_pool_destroy(&c.rp) && r->whole_at_end;
	if (!r->whole_at_end && !r->first_failure[0])
		snprintf(r->first_failure, sizeof(r->first_failure),
			 "the pool was not whole after every range was freed");
	free(c.addr);
	shadow_fini(&c.s);
	shadow_fini(&c.log);
	return 0;
}

bool replay_clean(const struct replay_report *r)
{
	return !r->failed_new && !r->overlaps && !r->refused_frees && r->whole_at_end;
}
