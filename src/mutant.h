/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mutant.h - deliberate bugs for testing the tests.
 *
 * `meson setup -Dmutants=true` builds, besides the real library, one static
 * library per mutant with -DGP_MUTANT_ID=<id>; suite "mutants" runs the
 * stress harness against each and fails if the harness, ThreadSanitizer or
 * an internal check does not catch it within 60 s (stress/expect_caught.sh).
 * In every other build GP_MUTANT_ID is 0 and GP_MUTANT(id) is a constant
 * false, so the mutant branches compile away.
 */
#ifndef GP_MUTANT_H
#define GP_MUTANT_H

#ifndef GP_MUTANT_ID
#define GP_MUTANT_ID 0
#endif
#define GP_MUTANT(id) (GP_MUTANT_ID == (id))

#define GP_MUT_SEARCH_START 1    /* a chunk's search starts where the last chunk's ended */
#define GP_MUT_CAS_RESULT 2      /* claim_word takes a failed cmpxchg for success */
#define GP_MUT_NO_ROLLBACK 3     /* a failed multi-word claim keeps the words it set */
#define GP_MUT_NO_AVAIL 4        /* alloc does not lower avail */
#define GP_MUT_PUBLISH_EARLY 5   /* a chunk is published before its link is set */
#define GP_MUT_RELAXED_RELEASE 6 /* release_word's cmpxchg is relaxed, not release */
#define GP_MUT_NO_SUM_SYNC 7     /* a change of a word's fullness never reaches the summary */
#define GP_MUT_SUM_NO_RECHECK 8  /* summary sync trusts one read: no re-check after its flip */
#define GP_MUT_TC_KEEP_PREV 9    /* returning a thread cache forgets its previous magazines */
#define GP_MUT_SCALABLE_ONLY_HINT 10 /* scalable fit gives up after its own region */
#define GP_MUT_INDEX_LT 11       /* the index search takes start < addr for start <= addr */
/* conf (issue 11): 60-64 */
#define GP_MUT_SET_ALGO_KEEP_OLD 60  /* set_algo with invalid data keeps the previous algorithm */
#define GP_MUT_CACHE_ANY_DEFAULT 61  /* a thread cache serves whatever the pool's algorithm */
#define GP_MUT_RUN_NO_CROSS 12   /* the run fold forgets the run crossing into a word */
#define GP_MUT_RUN_STALE_RELEASE 13 /* a release leaves the free-run nodes stale */
#define GP_MUT_RUN_SKIP_ALIGNED 14  /* an aligned search gives up on a word after one run */
#define GP_MUT_RUN_SKIP_LOOSE 15    /* rule S skips the sync when the node's longest run shrank */
#define GP_MUT_RUN_FREE_PRE_ONLY 16 /* a level-1 node whose pre reaches its span reads as free */
#define GP_MUT_RUN_UPPER_NO_CROSS 17 /* the fold above level 1 forgets the run carried into a child */
/* lifecycle (remove.c, source.c): 20-29 */
#define GP_MUT_REMOVE_NO_GRACE 20 /* removal frees the chunk without waiting for readers */
#define GP_MUT_REMOVE_NO_CLOSE 21 /* removal checks the chunk is free instead of closing it */
#define GP_MUT_IMPORT_TWICE 22    /* a thread that waited for a peer's import imports again */

/* layers (src/layers/): 30-39 */
#define GP_MUT_OC_NO_LIVE_CHECK 30 /* an object-cache free skips the liveness check */
#define GP_MUT_RS_FREE_BELOW_MIN 31 /* a reserve free goes to the pool while below min_nr */
#define GP_MUT_RS_WAKE_EARLY 32    /* a reserve free wakes waiters before it publishes */

/* obs (statistics and event log): 40-49 */
#define GP_MUT_FREE_NOT_COUNTED 40 /* a successful free is not counted in frees */
#define GP_MUT_HW_NO_RAISE 41      /* a shard past its high-water ceiling is never raised */
#define GP_MUT_LARGEST_FREE_WORD 42 /* largest_free sees no run that crosses a word */
#define GP_MUT_SLOTS_NO_TRIM 23    /* a removed newest chunk's slot is never reused */
#define GP_MUT_LOG_NO_EXIT_FLUSH 43 /* a thread's log buffer is dropped at its exit */
#define GP_MUT_SLOT_NOT_RETIRED 44 /* an exiting thread keeps using the slot it gave back */

/* Concurrency Kit (ids 50-59) */
#define GP_MUT_CK_LOCK_NOP 50    /* the ticket pool lock's lock and unlock do nothing */
#define GP_MUT_DEPOT_NO_HB 51    /* a depot push does not release its magazine (TSan's view) */
#define GP_MUT_HIT_NO_ALIGN 52   /* a cached free's hit path skips the granule-boundary check */

#endif /* GP_MUTANT_H */
