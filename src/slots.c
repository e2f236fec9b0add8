// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * slots.c - the pool-level summary over the chunks (slots.h): slot
 * numbering, the directory of slot groups, and the walk.
 *
 * Publication. Under the pool lock a new chunk gets slot n = pool->nslots:
 * its pool-level nodes are hung on it (gp_runs_attach_slot), the chunk
 * pointer is stored in the slot with release, then nslots is raised with
 * release. A walker loads the directory and nslots with acquire (so the
 * groups it reaches are initialised) and each chunk pointer with acquire
 * (so the chunk it reaches is). A group directory that grows is replaced
 * copy on write and retired through the pool's grace-period path; groups
 * themselves never move or go away before gen_pool_destroy.
 *
 * The walk goes from the newest slot down, as the chunk list goes newest
 * first, skipping a whole group when its node's max bound is below the
 * request and a chunk when its slot's is. Bounds never hide a run at
 * quiescence (runs.h), so the walk tries every chunk first fit would have
 * found room in, in the kernel's order.
 */
#include <errno.h>
#include <stdlib.h>

#include "atomic.h"
#include "internal.h"
#include "mutant.h"
#include "slots.h"

_Static_assert(GP_SLOTS_PER_GROUP == GP_RUN_GROUP, "runs.c folds groups of this size");

struct gp_slot_dir {
	struct gp_retired retired; /* first: see struct gp_retired */
	unsigned long ngroups;
	struct gp_slot_group *group[];
};

int gp_slots_reserve_locked(struct gen_pool *pool)
{
	struct gp_slot_dir *old = pool->slot_dir, *dir;
	unsigned long n = old ? old->ngroups : 0;
	struct gp_slot_group *g;

	if (pool->nslots < n * GP_SLOTS_PER_GROUP)
		return 0;
	g = gp_meta_heap_zalloc(sizeof(*g));
	dir = g ? gp_meta_heap_zalloc(sizeof(*dir) + (n + 1) * sizeof(dir->group[0])) : NULL;
	if (!dir) {
		free(g);
		return -ENOMEM;
	}
	dir->ngroups = n + 1;
	for (unsigned long i = 0; i < n; i++)
		dir->group[i] = old->group[i];
	dir->group[n] = g;
	if (old)
		gp_pool_retire_locked(pool, &old->retired);
	/* release: pairs with the acquire in gp_slots_next_rcu */
	gp_atomic_store_release(&pool->slot_dir, dir);
	return 0;
}

void gp_slots_publish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
	unsigned long s = pool->nslots;
	struct gp_slot_group *g = pool->slot_dir->group[s / GP_SLOTS_PER_GROUP];
	unsigned long j = s % GP_SLOTS_PER_GROUP;

	chunk->slot = s;
	gp_runs_attach_slot(&chunk->sum.runs, &g->slot[j], &g->max, g->slot);
	/* release: pairs with the acquire of the chunk in gp_slots_next_rcu */
	gp_atomic_store_release(&g->chunk[j], chunk);
	/* release: pairs with the acquire of nslots in gp_slots_next_rcu */
	gp_atomic_store_release(&pool->nslots, s + 1);
}

void gp_slots_unpublish_locked(struct gen_pool *pool, struct gen_pool_chunk *chunk)
{
	struct gp_slot_group *g = pool->slot_dir->group[chunk->slot / GP_SLOTS_PER_GROUP];

	/*
	 * release: walkers that load the slot after this see no chunk; those
	 * that loaded it before are inside a read section, and the chunk is
	 * freed only after the grace period (remove.c). The slot is not reused.
	 */
	gp_atomic_store_release(&g->chunk[chunk->slot % GP_SLOTS_PER_GROUP], NULL);
}

static bool waiting(const struct gen_pool_chunk *gone, unsigned long s)
{
	for (; gone; gone = gone->gone_next)
		if (gone->slot == s)
			return true;
	return false;
}

/*
 * A pool that removes its newest chunk and adds another, again and again
 * (a source's import and shrink, a remover's churn), would otherwise take
 * a new slot each time and its walk would pass ever more empty groups.
 * Only slots above every live one go: their chunks were the newest, so a
 * chunk added now takes their place in the order as well. A walker that
 * read the old count finds each such slot empty or holding the new chunk,
 * published as any (release, acquire). The chunk that held the slot is
 * freed: no upkeep writes its slot node any more (its last, at the close,
 * left it 0 and its group right).
 */
void gp_slots_trim_locked(struct gen_pool *pool, const struct gen_pool_chunk *gone)
{
	unsigned long s = pool->nslots;
	struct gp_slot_group *g;

	while (s > 0 && !GP_MUTANT(GP_MUT_SLOTS_NO_TRIM)) {
		g = pool->slot_dir->group[(s - 1) / GP_SLOTS_PER_GROUP];
		if (g->chunk[(s - 1) % GP_SLOTS_PER_GROUP] || waiting(gone, s - 1))
			break;
		s--;
	}
	/* release: pairs with the acquire of nslots in gp_slots_next_rcu */
	gp_atomic_store_release(&pool->nslots, s);
}

/*
 * May a node hold a run of the request, whose least max code is @want
 * (gp_runs_max_code_for)? A compare of codes, no decoding: a walk past
 * many full chunks reads up to 64 slots of a group for each request.
 */
static inline bool room(uint32_t node, uint32_t want)
{
	/* relaxed load by the caller: a hint (runs.h) */
	return node >> GP_RUN_MAX_SHIFT >= want;
}

struct gen_pool_chunk *gp_slots_next_rcu(struct gen_pool *pool, unsigned long nbits,
					 unsigned long *pos)
{
	/* acquire: pair with the releases in gp_slots_reserve_locked / _publish_locked */
	struct gp_slot_dir *dir = gp_atomic_load_acquire(&pool->slot_dir);
	unsigned long s = gp_atomic_load_acquire(&pool->nslots);
	uint32_t want = gp_runs_max_code_for(nbits);
	struct gp_slot_group *g;
	struct gen_pool_chunk *c;

	if (*pos < s)
		s = *pos;
	while (s > 0) {
		s--;
		g = dir->group[s / GP_SLOTS_PER_GROUP];
		if (!room(gp_atomic_load_relaxed(&g->max), want)) {
			s -= s % GP_SLOTS_PER_GROUP; /* the rest of this group */
			continue;
		}
		if (!room(gp_atomic_load_relaxed(&g->slot[s % GP_SLOTS_PER_GROUP]), want))
			continue;
		/* acquire: pairs with the release in gp_slots_publish_locked */
		c = gp_atomic_load_acquire(&g->chunk[s % GP_SLOTS_PER_GROUP]);
		if (c) {
			*pos = s;
			return c;
		}
	}
	*pos = 0;
	return NULL;
}

bool gp_slots_find_stale(struct gen_pool *pool, unsigned long *slot)
{
	struct gp_slot_dir *dir = pool->slot_dir;

	for (unsigned long s = 0; s < pool->nslots; s++) {
		struct gp_slot_group *g = dir->group[s / GP_SLOTS_PER_GROUP];
		struct gen_pool_chunk *c = g->chunk[s % GP_SLOTS_PER_GROUP];

		if ((c && g->slot[s % GP_SLOTS_PER_GROUP] != gp_runs_slot_want(&c->sum.runs)) ||
		    g->max != gp_runs_group_want(g->slot)) {
			*slot = s;
			return true;
		}
	}
	return false;
}

void gp_slots_free_all(struct gen_pool *pool)
{
	struct gp_slot_dir *dir = pool->slot_dir;

	if (!dir)
		return;
	for (unsigned long i = 0; i < dir->ngroups; i++)
		free(dir->group[i]);
	free(dir);
}
