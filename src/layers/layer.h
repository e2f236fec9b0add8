/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * layer.h - the narrow interface between the layers (src/layers/: page
 * orders, object caches, reserves) and the core. The layers are clients of
 * the pool, as the kernel's mempool and slab are clients of the page
 * allocator: they allocate through the public API (genpool.h) and use only
 * what is declared here, never the core's structures.
 *
 * What they need beyond the public API:
 *  - the pool's granule (gen_pool_create's min_alloc_order is not queryable
 *    through the kernel's API);
 *  - the refusal reporter of error.c, so that their refusals reach the
 *    error handler like every other call's;
 *  - the thread cache's depot (tcache.c): lock-free stacks of full and empty
 *    magazines, each magazine a LIFO array of addresses. The object caches
 *    keep their per-thread magazines in the same structure and trade them
 *    through the same depot code, so that one implementation of the
 *    lock-free stack serves both (see gp_depot_* in tcache.c).
 *
 * Concurrency contract of the depot calls: every call is lock-free and safe
 * from any thread; a magazine is owned by exactly one holder between a get
 * and the next put (the put is a release and the get that takes it an
 * acquire, so the rounds written before a put are seen after the get).
 * gp_mag_* on a magazine are for its holder only.
 */
#ifndef GP_LAYER_H
#define GP_LAYER_H

#include <stdbool.h>
#include <stddef.h>

#include "genpool.h"

#define GP_LAYER_HIDDEN __attribute__((visibility("hidden")))

/* The pool's granule in bytes (1 << min_alloc_order). */
unsigned long gp_layer_granule(const struct gen_pool *pool) GP_LAYER_HIDDEN;

/* error.c: report a refused call once; returns -err / sets errno, NULL. */
int gp_refuse(int err, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) GP_LAYER_HIDDEN;
void *gp_refuse_null(int err, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) GP_LAYER_HIDDEN;
#ifndef GP_REFUSE
#define GP_REFUSE(err, ...) gp_refuse((err), __func__, __VA_ARGS__)
#define GP_REFUSE_NULL(err, ...) gp_refuse_null((err), __func__, __VA_ARGS__)
#endif
/* error.c: an internal invariant is violated: abort with file:function:line. */
void gp_bug(const char *file, const char *func, int line, const char *cond)
	__attribute__((noreturn)) GP_LAYER_HIDDEN;
#ifndef GP_BUG_ON
#define GP_BUG_ON(cond)                                                                     \
	do {                                                                                \
		if (__builtin_expect(!!(cond), 0))                                          \
			gp_bug(__FILE__, __func__, __LINE__, #cond);                        \
	} while (0)
#endif
/* The refusal of a call that returns an address: 0 with errno set. */
#define GP_REFUSE_ADDR(err, ...) ((unsigned long)gp_refuse_null((err), __func__, __VA_ARGS__))

/* Magazines and their depot (implemented in tcache.c). */
struct gp_mag;
struct gp_depot;

struct gp_mag *gp_mag_new(unsigned int rounds) GP_LAYER_HIDDEN; /* empty; NULL: no memory */
void gp_mag_free(struct gp_mag *m) GP_LAYER_HIDDEN;
unsigned int gp_mag_count(const struct gp_mag *m) GP_LAYER_HIDDEN;
unsigned long gp_mag_pop(struct gp_mag *m) GP_LAYER_HIDDEN;          /* count > 0 */
void gp_mag_push(struct gp_mag *m, unsigned long addr) GP_LAYER_HIDDEN; /* count < rounds */
struct gp_mag *gp_mag_next(const struct gp_mag *m) GP_LAYER_HIDDEN;  /* of a taken list */

struct gp_depot *gp_depot_new(void) GP_LAYER_HIDDEN; /* NULL: no memory */
/* Frees the depot and its empty magazines; no full magazine may be left. */
void gp_depot_free(struct gp_depot *d) GP_LAYER_HIDDEN;
void gp_depot_put_full(struct gp_depot *d, struct gp_mag *m) GP_LAYER_HIDDEN;
struct gp_mag *gp_depot_get_full(struct gp_depot *d) GP_LAYER_HIDDEN;   /* NULL: none */
void gp_depot_put_empty(struct gp_depot *d, struct gp_mag *m) GP_LAYER_HIDDEN;
/* An empty magazine of the depot, else a new one of @rounds; NULL: no memory. */
struct gp_mag *gp_depot_get_empty(struct gp_depot *d, unsigned int rounds) GP_LAYER_HIDDEN;
/* Every full magazine at once, linked by gp_mag_next; the caller holds them. */
struct gp_mag *gp_depot_take_full(struct gp_depot *d) GP_LAYER_HIDDEN;

#endif /* GP_LAYER_H */
