// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * replay_pool.c - the replay's genpool pool (replay_pool.h).
 *
 * A request of 0 bytes asks genpool for 1 byte (one granule; genpool
 * refuses size 0 as the kernel does). An aligned request (memalign family,
 * first_fit_align or xalloc in a pool log) whose alignment exceeds a
 * granule goes through gen_pool_first_fit_align with its own data on the
 * caller's stack, so concurrent workers never share it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_pool.h"

int replay_pool_order(const struct replay_prog *p, const struct replay_pool_cfg *cfg)
{
	if (cfg->order >= 0)
		return cfg->order;
	return p->order >= 0 ? p->order : 6;
}

int replay_parse_algo(const char *s, struct replay_pool_cfg *cfg)
{
	char *end;

	if (!strcmp(s, "first")) {
		cfg->algo = RA_FIRST;
	} else if (!strcmp(s, "best")) {
		cfg->algo = RA_BEST;
	} else if (!strcmp(s, "scalable")) {
		cfg->algo = RA_SCALABLE;
	} else if (!strncmp(s, "align:", 6)) {
		unsigned long a = strtoul(s + 6, &end, 0);

		if (end == s + 6 || *end || !a || (a & (a - 1)) || a > (1ul << 30))
			return -1;
		cfg->algo = RA_ALIGN;
		cfg->align = a;
	} else {
		return -1;
	}
	return 0;
}

void replay_algo_name(const struct replay_pool_cfg *cfg, char *buf, size_t len)
{
	static const char *const names[] = { "first", "best", "align", "scalable" };

	if (cfg->algo == RA_ALIGN)
		snprintf(buf, len, "align:%lu%s", cfg->align, cfg->cache ? "+cache" : "");
	else
		snprintf(buf, len, "%s%s", names[cfg->algo], cfg->cache ? "+cache" : "");
}

static void set_algo(struct replay_pool *rp, const struct replay_pool_cfg *cfg)
{
	switch (cfg->algo) {
	case RA_BEST:
		gen_pool_set_algo(rp->pool, gen_pool_best_fit, NULL);
		break;
	case RA_SCALABLE:
		gen_pool_set_algo(rp->pool, gen_pool_scalable_fit, NULL);
		break;
	case RA_ALIGN:
		rp->align_data.align = (int)cfg->align;
		gen_pool_set_algo(rp->pool, gen_pool_first_fit_align, &rp->align_data);
		break;
	case RA_FIRST:
		break;
	}
}

/*
 * Bytes of the one chunk of a malloc trace: the peak with slack, >= 64
 * granules; UINT64_MAX when that is beyond the address space.
 */
static uint64_t malloc_pool_bytes(const struct replay_prog *p, int order, unsigned int slack)
{
	unsigned __int128 g = replay_peak_granules(p, order);

	g = g + g * slack / 100 + 64;
	return g > UINT64_MAX >> order ? UINT64_MAX : (uint64_t)g << order;
}

int replay_pool_add_chunk(struct replay_pool *rp, uint64_t addr, uint64_t size)
{
	return gen_pool_add(rp->pool, (unsigned long)addr, (size_t)size, -1);
}

int replay_pool_create(struct replay_pool *rp, const struct replay_prog *p,
		       const struct replay_pool_cfg *cfg, bool all_chunks, char *err, size_t errlen)
{
	unsigned int flags = cfg->cache ? GEN_POOL_THREAD_CACHE : 0;

	*rp = (struct replay_pool){ .order = replay_pool_order(p, cfg) };
	rp->pool = gen_pool_create_flags(rp->order, -1, flags);
	if (!rp->pool) {
		snprintf(err, errlen, "cannot create a pool of order %d: %s", rp->order,
			 strerror(errno));
		return -1;
	}
	set_algo(rp, cfg);
	if (!p->pool_source) {
		rp->bytes = malloc_pool_bytes(p, rp->order, cfg->slack_pct);
		if (rp->bytes == UINT64_MAX) {
			snprintf(err, errlen, "the trace's peak live size (with %u %% slack) is "
				 "beyond the address space", cfg->slack_pct);
			goto fail;
		}
		if (replay_pool_add_chunk(rp, REPLAY_POOL_BASE, rp->bytes)) {
			snprintf(err, errlen, "cannot add a chunk of %llu bytes",
				 (unsigned long long)rp->bytes);
			goto fail;
		}
	}
	for (size_t i = 0; all_chunks && i < p->nops; i++) {
		const struct replay_op *o = &p->op[i];

		if (o->kind == RO_CHUNK && replay_pool_add_chunk(rp, o->addr, o->size)) {
			snprintf(err, errlen, "event %u: cannot add the chunk [%#llx, +%llu)",
				 o->event, (unsigned long long)o->addr,
				 (unsigned long long)o->size);
			goto fail;
		}
	}
	return 0;
fail:
	gen_pool_destroy(rp->pool);
	rp->pool = NULL;
	return -1;
}

int replay_pool_destroy(struct replay_pool *rp)
{
	int rc = gen_pool_destroy(rp->pool);

	rp->pool = NULL;
	return rc;
}

uintptr_t replay_pool_alloc(void *ctx, size_t bytes, size_t align)
{
	struct replay_pool *rp = ctx;

	if (!bytes)
		bytes = 1;
	if (align > (1ul << rp->order)) {
		struct genpool_data_align d = { .align = (int)align };

		return gen_pool_alloc_algo(rp->pool, bytes, gen_pool_first_fit_align, &d);
	}
	return gen_pool_alloc(rp->pool, bytes);
}

int replay_pool_free(void *ctx, uintptr_t addr, size_t bytes)
{
	struct replay_pool *rp = ctx;

	return gen_pool_free(rp->pool, addr, bytes ? bytes : 1);
}

void replay_pool_alloc_ops(struct replay_pool *rp, struct replay_alloc *a)
{
	*a = (struct replay_alloc){ .ctx = rp, .alloc = replay_pool_alloc,
				    .free = replay_pool_free };
}
