/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slots.h - the pool-level summary over the chunks: each chunk, in the
 * order it was added, has a slot holding a copy of its top free-run node
 * (runs.h), and each group of GP_SLOTS_PER_GROUP slots a node whose max
 * bounds theirs. An allocation walks the chunks newest first through the
 * slots and skips every chunk, and every group of chunks, whose bound
 * says no run of the request's length is there, without touching it.
 *
 * The slot and the group node are two more levels of the same upkeep
 * (runs.c, U1/U2): a slot's one child is its chunk's top node, a group's
 * children are its slots; they are exact at quiescence and hints between.
 *
 * Slots are numbered in add order under the pool lock and never move: a
 * group, once allocated, lives until gen_pool_destroy. The directory of
 * groups is RCU-published and replaced, copy on write, when it grows. A
 * removed chunk's slot is reused only from the top (gp_slots_trim_locked):
 * a slot below a live one keeps its place, so the order stays add order.
 */
#ifndef GP_SLOTS_H
#define GP_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

#define GP_SLOTS_PER_GROUP 64UL

struct gen_pool;
struct gen_pool_chunk;

struct gp_slot_group {
	uint32_t max;                          /* a run node: max of the slots' max */
	uint32_t slot[GP_SLOTS_PER_GROUP];     /* copies of the chunks' top nodes */
	struct gen_pool_chunk *chunk[GP_SLOTS_PER_GROUP]; /* NULL: none (yet, or now) */
};

/* Make sure the next slot exists (the lock held); 0 or -ENOMEM, nothing changed. */
int gp_slots_reserve_locked(struct gen_pool *pool);
/* Give @chunk the next slot and publish it there (after reserve, the lock held). */
void gp_slots_publish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk);
/* Take @chunk's slot out of the walk (the lock held); the slot stays taken. */
void gp_slots_unpublish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk);
/*
 * The lock held, after a grace period: give back the empty slots at the
 * top whose chunks are freed (none of them on @gone, the chunks still
 * waiting for theirs), so that the next chunk added takes the lowest.
 */
void gp_slots_trim_locked(struct gen_pool *pool, const struct gen_pool_chunk *gone);
/*
 * The walk, newest first: the next chunk below slot *pos (start with *pos
 * = ~0UL) whose bound allows a run of @nbits, or NULL. Inside a read
 * section.
 */
struct gen_pool_chunk *gp_slots_next_rcu(struct gen_pool *pool, unsigned long nbits,
					 unsigned long *pos);
/* Quiescent check of the slot levels: the first stale slot (or group), or false. */
bool gp_slots_find_stale(struct gen_pool *pool, unsigned long *slot);
void gp_slots_free_all(struct gen_pool *pool);

#endif /* GP_SLOTS_H */
