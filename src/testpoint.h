/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * testpoint.h - pause points for the progress tests (stress/stall), compiled
 * in only by the test-only 'testpoints' library variant (-DGP_TESTPOINTS=1,
 * see the root meson.build). In every other build GP_TESTPOINT() is
 * ((void)0): no call, no symbol, no cost.
 *
 * A pause point marks a place where a thread that is preempted, or dies,
 * leaves the pool in an intermediate state that the others must work
 * around rather than wait out. When compiled in, each point calls the hook
 * installed with gp_testpoint_set_hook() with its enum value; the test's
 * hook parks one chosen thread there, once, and checks that the remaining
 * threads still complete alloc/free calls, i.e. that the path is lock-free:
 *
 *  GP_TP_CLAIM_BETWEEN_WORDS  gp_bitmap_claim_ll(): a word of a multi-word
 *	run is set and the next is not yet. The parked claim holds bits that
 *	others must skip and can lose the rest of its run to them; on resuming
 *	it meets their bits, rolls back (I2 in bitmap.c) and searches again.
 *  GP_TP_ALLOC_BEFORE_AVAIL   gp_chunk_alloc_rcu(): the run is claimed, the
 *	chunk's avail is not yet lowered (it over-counts by the run).
 *  GP_TP_FREE_BEFORE_AVAIL    gp_chunk_free_rcu(): the run is released and
 *	may be handed out again, avail is not yet raised (it under-counts).
 *  GP_TP_ALLOC_WALK           walk_rcu() in alloc.c: inside the RCU
 *	read-side section, before each chunk of the walk. Allocation and free
 *	never wait for a grace period, so a stalled reader blocks neither.
 *  GP_TP_SUM_BEFORE_FLIP      sync_one() in summary.c: a summary bit was
 *	read as wrong and is about to be flipped. The parked thread's view may
 *	go stale meanwhile; its re-check after the flip must repair it
 *	(tests/test_sum_race.c makes that happen on purpose).
 *  GP_TP_RUN_BEFORE_CAS       sync_node() in runs.c: a free-run node was
 *	computed from its children and is about to be replaced; others may
 *	change the children meanwhile, and the parked thread's loop (rule U2)
 *	must recompute after its CAS.
 *
 *  GP_TP_OC_REFILL_CLAIMED, GP_TP_OC_GROW_UNPUBLISHED,
 *  GP_TP_OC_SHRINK_BETWEEN_WORDS   an object cache (objcache_slab.c): a
 *	thread holding claimed free bits, an unpublished new slab, or part of a
 *	slab it is shrinking; the others allocate and free around it (they find
 *	other slabs or grow), and the shrink rolls back if they took objects.
 *
 *  GP_TP_OBS_STEAL            rebalance_locked() in stats.c: an allocation
 *	that passed its high-water ceiling holds the rebalance lock while it
 *	takes the shards' slack. The others' allocations must not wait for
 *	it: they try the lock and, finding it taken, leave a request for it.
 *
 * In GEN_POOL_SPINLOCK pools the last three run under the pool lock, so a
 * thread parked there blocks every other alloc and free of the pool; the
 * test shows that too, as the contrast.
 *
 * Lifecycle points (lock-free pools; in GEN_POOL_SPINLOCK pools removal closes
 * under the pool lock and has no pause point):
 *  GP_TP_REMOVE_CLOSED        gp_remove_locked() in remove.c: the chunk is
 *	closed (all its granules claimed by the remover), not yet unlinked.
 *	The remover holds only the pool's life.remove_mu: allocations and frees
 *	elsewhere go on; allocations find the closed chunk full.
 *  GP_TP_SRC_IMPORT           import_locked() in source.c: the pool's grow
 *	mutex is held, the source not yet called. Threads that fail meanwhile
 *	wait for this import and retry; none imports again (tests/test_import_race.c).
 *
 * The hook runs in the thread that reached the point, with that thread's
 * locks and read-side section held; it must not call into the pool.
 */
#ifndef GP_TESTPOINT_H
#define GP_TESTPOINT_H

enum gp_testpoint {
	GP_TP_CLAIM_BETWEEN_WORDS,
	GP_TP_ALLOC_BEFORE_AVAIL,
	GP_TP_FREE_BEFORE_AVAIL,
	GP_TP_ALLOC_WALK,
	GP_TP_SUM_BEFORE_FLIP,
	GP_TP_RUN_BEFORE_CAS,
	GP_TP_REMOVE_CLOSED, /* lifecycle: see above */
	GP_TP_SRC_IMPORT,
	/* layers (src/layers/objcache_slab.c; stress/stall/layers_stall.c) */
	GP_TP_OC_REFILL_CLAIMED,     /* objects claimed from a slab, not yet in a magazine */
	GP_TP_OC_GROW_UNPUBLISHED,   /* a new slab allocated, its objects not yet published */
	GP_TP_OC_SHRINK_BETWEEN_WORDS, /* a shrink holds some of a slab's free words */
	GP_TP_OBS_STEAL,
	GP_TP_COUNT
};

typedef void (*gp_testpoint_fn)(enum gp_testpoint tp);

/*
 * Declared in every build so that a test linked against a library without
 * the points fails to link instead of silently testing nothing; defined
 * only with GP_TESTPOINTS. NULL uninstalls the hook.
 */
void gp_testpoint_set_hook(gp_testpoint_fn fn) __attribute__((visibility("hidden")));
void gp_testpoint(enum gp_testpoint tp) __attribute__((visibility("hidden")));

#ifdef GP_TESTPOINTS
#define GP_TESTPOINT(tp) gp_testpoint(tp)
/* Only when @cond holds; a macro so that @cond is not evaluated otherwise. */
#define GP_TESTPOINT_IF(cond, tp) ((cond) ? gp_testpoint(tp) : (void)0)
#else
#define GP_TESTPOINT(tp) ((void)0)
#define GP_TESTPOINT_IF(cond, tp) ((void)0)
#endif

#endif /* GP_TESTPOINT_H */
