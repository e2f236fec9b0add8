/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tsan.h - ThreadSanitizer annotations for the synchronisation TSan cannot
 * see: liburcu 0.13's and Concurrency Kit's inline assembly (rcu.h, the
 * depot's ck_stack in tcache.c, the ck_spinlock pool locks in lock.c).
 *
 * Only in ThreadSanitizer builds; elsewhere every macro is empty. Each use
 * names the release/acquire pair it stands for, and each stands for an
 * ordering the annotated code really provides:
 *  GP_TSAN_HB_RELEASE(p) / GP_TSAN_HB_ACQUIRE(p): a happens-before edge
 *      from the release on @p to every later acquire on @p (TSan joins the
 *      clocks of all releases on one address);
 *  GP_TSAN_IGNORE_BEGIN/END(): the plain accesses between them are left
 *      out of race detection. Used only around a CK call whose own
 *      accesses (a ck_stack link read possibly stale, by design of the
 *      generation-counted pop) are ordered by its cmpxchg, invisible to
 *      TSan; the data the call hands over is ordered by an HB pair outside.
 */
#ifndef GP_TSAN_H
#define GP_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define GP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GP_TSAN 1
#endif
#endif

#ifdef GP_TSAN
#include <sanitizer/tsan_interface.h>
/* TSan's runtime provides these (dynamic annotations); no header declares them */
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define GP_TSAN_HB_RELEASE(p) __tsan_release((void *)(p))
#define GP_TSAN_HB_ACQUIRE(p) __tsan_acquire((void *)(p))
#define GP_TSAN_IGNORE_BEGIN()                                                              \
	do {                                                                                \
		AnnotateIgnoreReadsBegin(__FILE__, __LINE__);                               \
		AnnotateIgnoreWritesBegin(__FILE__, __LINE__);                              \
	} while (0)
#define GP_TSAN_IGNORE_END()                                                                \
	do {                                                                                \
		AnnotateIgnoreWritesEnd(__FILE__, __LINE__);                                \
		AnnotateIgnoreReadsEnd(__FILE__, __LINE__);                                 \
	} while (0)
#else
#define GP_TSAN_HB_RELEASE(p) ((void)(p))
#define GP_TSAN_HB_ACQUIRE(p) ((void)(p))
#define GP_TSAN_IGNORE_BEGIN() ((void)0)
#define GP_TSAN_IGNORE_END() ((void)0)
#endif

#endif /* GP_TSAN_H */
