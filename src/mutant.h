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
/* Concurrency Kit (ids 50-59) */
#define GP_MUT_CK_LOCK_NOP 50    /* the ticket pool lock's lock and unlock do nothing */
#define GP_MUT_DEPOT_NO_HB 51    /* a depot push does not release its magazine (TSan's view) */
#define GP_MUT_HIT_NO_ALIGN 52   /* a cached free's hit path skips the granule-boundary check */

#endif /* GP_MUTANT_H */
