/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * replay_pool.h - the genpool pool a replay runs against, built from a
 * replay program and a configuration (replay.h), and its struct
 * replay_alloc adapter for timed runs. Shared by replay_check, the tool's
 * timed replay and the replay benchmark, so all three build the same pool.
 *
 * Concurrency: the adapter's alloc/free are genpool calls (any thread);
 * create/destroy are single-threaded.
 */
#ifndef GP_TOOLS_REPLAY_POOL_H
#define GP_TOOLS_REPLAY_POOL_H

#include <genpool.h>

#include "replay.h"

/* Address-only base of a malloc trace's one chunk: genpool never touches it. */
#define REPLAY_POOL_BASE (1ull << 44)

struct replay_pool {
	struct gen_pool *pool;
	int order;
	uint64_t bytes;			/* malloc traces: the one chunk's size */
	struct genpool_data_align align_data;	/* RA_ALIGN's data */
};

/**
 * replay_pool_create - a fresh pool for @p configured by @cfg
 * @rp: filled
 * @p: the program: malloc traces get one chunk sized for their peak
 * @cfg: algorithm, cache, order, slack
 * @all_chunks: pool traces: add every chunk now (timed runs); else the
 *	replay adds each at its RO_CHUNK op (replay_pool_add_chunk)
 * @err: a one-line reason on failure
 * @errlen: size of @err
 *
 * Return: 0 or -1.
 */
int replay_pool_create(struct replay_pool *rp, const struct replay_prog *p,
		       const struct replay_pool_cfg *cfg, bool all_chunks, char *err, size_t errlen);
int replay_pool_add_chunk(struct replay_pool *rp, uint64_t addr, uint64_t size);
/* Free the pool; 0 when genpool took it back whole (destroy returned 0). */
int replay_pool_destroy(struct replay_pool *rp);

/* The effective granule order of @cfg for @p. */
int replay_pool_order(const struct replay_prog *p, const struct replay_pool_cfg *cfg);

/* A struct replay_alloc over @rp (alloc/free sizes as bytes asked). */
void replay_pool_alloc_ops(struct replay_pool *rp, struct replay_alloc *a);
uintptr_t replay_pool_alloc(void *ctx, size_t bytes, size_t align);
int replay_pool_free(void *ctx, uintptr_t addr, size_t bytes);

/* Parse "first", "best", "scalable", "align:BYTES" into @cfg; -1 if unknown. */
int replay_parse_algo(const char *s, struct replay_pool_cfg *cfg);
/* "first", "best", "scalable", "align:64", with "+cache" when cached. */
void replay_algo_name(const struct replay_pool_cfg *cfg, char *buf, size_t len);

#endif /* GP_TOOLS_REPLAY_POOL_H */
