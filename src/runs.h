/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runs.h - free-run summaries: a tree above a chunk's bitmap that answers
 * "where is the lowest run of at least n free granules at or after bit s,
 * with this alignment" without visiting subtrees that cannot hold it.
 *
 * Level 0 is the bitmap (bit set = granule allocated). A level-1 node
 * stands for GP_RUN_L1_WORDS = 8 bitmap words (512 granules, one 64-byte
 * line); a level-k node, k >= 2, for GP_RUN_FANOUT = 16 nodes of level
 * k - 1. Levels are added until one node covers the chunk. Each node is 32
 * bits and holds three upper bounds for its span (granules past the chunk's
 * end count as allocated):
 *    pre   of the free run at its start,
 *    suf   of the free run at its end,
 *    max   of the longest free run inside it (pre and suf included),
 * each rounded up by gp_runs_round(): exact below 64, else to four
 * significant bits (at most 12.5 % over), in a 10-bit code. A node whose
 * pre reaches its span may be wholly free. This is the percpu allocator's
 * block hint and the maple tree's gap, made lock-free and made cheap to
 * keep: a claim or release changes a node only when a bound moves to
 * another rounding step, so churn at the edge of a long free run (first
 * fit's everyday case) seldom writes a node and almost never climbs.
 *
 * Invariant T (runs.c gives the argument): at quiescence every node equals
 * F of its children (F: the fold in runs.c, then rounding up). Upper bounds
 * never hide a fit, so a search through them returns exactly what the
 * kernel's linear bitmap_find_next_zero_area_off returns; rounding only
 * costs a look inside a node that turns out to hold no fit. While threads
 * race a node may be stale either way, and nothing is ever handed out on
 * its strength (the claim's CAS on the bitmap decides): a stale node costs
 * a detour or the momentary ENOMEM that api.md allows.
 *
 * Metadata: 0.0625 bits per granule at level 1 and 1/256 at level 2; with
 * the bitmap and its "full" levels (summary.h) under 1.085 bits per granule
 * for chunks of 8192 granules and more.
 */
#ifndef GP_RUNS_H
#define GP_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GP_RUN_L1_WORDS 8UL
#define GP_RUN_FANOUT 16UL
/* 64 * 8 * 16^15 > 2^64: enough levels for any chunk, level 0 included. */
#define GP_RUN_MAX_LEVELS 18

struct gp_runs {
	unsigned int top;    /* highest level; 0 = no run summary attached */
	unsigned long nbits; /* granules */
	unsigned long nodes[GP_RUN_MAX_LEVELS]; /* nodes per level; [0] = bitmap words */
	const unsigned long *bitmap;            /* level 0 */
	uint32_t *lvl[GP_RUN_MAX_LEVELS];       /* levels 1..top */
	/*
	 * Two more levels above the top, outside the chunk (slots.h), NULL
	 * until the chunk is published: its slot, a copy of the top node, and
	 * its group's node over GP_RUN_GROUP slots (max only).
	 */
	uint32_t *slot;
	uint32_t *group;
	const uint32_t *group_slots;
};

/* A node's bounds, decoded. */
struct gp_run {
	unsigned long pre, suf, max;
};

/* The rounding of every bound: the least step >= @v (exact below 64). */
unsigned long gp_runs_round(unsigned long v);

/* unsigned longs needed by the run levels over @nbits granules */
size_t gp_runs_extra_words(unsigned long nbits);
/*
 * Lay the levels out over @bitmap (as it is now) and @extra (that many
 * words, any content) and compute every node, bottom up.
 */
void gp_runs_init(struct gp_runs *r, const unsigned long *bitmap, unsigned long *extra,
		  unsigned long nbits);

/*
 * Hang the chunk's two pool-level nodes on its top (slots.h), before the
 * chunk is published: from then on a change of the top syncs @slot, and a
 * change of @slot the group node.
 */
void gp_runs_attach_slot(struct gp_runs *r, uint32_t *slot, uint32_t *group,
			 const uint32_t *group_slots);

/*
 * Rule S (runs.c, U3): may the thread that just changed bitmap word @w from
 * @was to @now (a seq_cst read-modify-write) leave the word's level-1 node
 * unsynced? True when the change leaves F of the node equal to the node
 * as it is now, whatever the node's other words; it reads the node, so
 * call it after the change.
 */
bool gp_runs_word_skips(const struct gp_runs *r, unsigned long w, unsigned long was,
			unsigned long now);

/* Bitmap word @w changed: bring the nodes above it in line (runs.c, U1). */
void gp_runs_sync(struct gp_runs *r, unsigned long w);

/*
 * Lowest p >= @start with [p, p + nr) free and (p + @align_offset) a
 * multiple of @align_mask + 1 (a power of two), or nbits when there is
 * none (by the nodes: a stale node can hide a fit). @nr >= 1.
 */
unsigned long gp_runs_find(const struct gp_runs *r, unsigned long start, unsigned long nr,
			   unsigned long align_mask, unsigned long align_offset);
/*
 * The first allocated granule at or after @pos, or @limit (<= nbits) when
 * [pos, limit) is free: the end of the free run at @pos, through the
 * nodes (wholly free ones are passed in one step). Exact at quiescence.
 */
unsigned long gp_runs_busy_from(const struct gp_runs *r, unsigned long pos, unsigned long limit);
/* Bound on the longest free run of the chunk, by its top node (a hint). */
unsigned long gp_runs_longest(const struct gp_runs *r);
/*
 * The longest free run of the chunk, exactly at quiescence: a binary search
 * of gp_runs_find under the top node's bound (statistics, not hot paths).
 */
unsigned long gp_runs_longest_exact(const struct gp_runs *r);
/* The max bound of an encoded node (a slot or group node, read by the walk). */
unsigned long gp_runs_max_of(uint32_t node);
/*
 * The least max code whose bound is at least @nbits: a node may hold a
 * run of @nbits exactly when its max code (node >> GP_RUN_MAX_SHIFT) is at
 * least this (codes are monotone), so a walk compares codes, not bounds.
 */
uint32_t gp_runs_max_code_for(unsigned long nbits);
#define GP_RUN_MAX_SHIFT 20
/* Slots under one group node (slots.h). */
#define GP_RUN_GROUP 64UL
/* F of a slot and of a group node, for quiescent checks. */
uint32_t gp_runs_slot_want(const struct gp_runs *r);
uint32_t gp_runs_group_want(const uint32_t *group_slots);

/* Node @i of level @k >= 1 as stored, decoded. */
struct gp_run gp_runs_node(const struct gp_runs *r, unsigned int k, unsigned long i);
/* F: what node @i of level @k >= 1 should hold, from its children now. */
struct gp_run gp_runs_compute(const struct gp_runs *r, unsigned int k, unsigned long i);
/*
 * Quiescent check of invariant T: true, with the first (level, node) that
 * differs from F of its children, or false when every node is exact.
 */
bool gp_runs_find_stale(const struct gp_runs *r, unsigned int *level, unsigned long *node);

#endif /* GP_RUNS_H */
