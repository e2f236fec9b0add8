/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * source.h - the backing-memory source object, shared by source.c (the
 * pool side: set_source, import on the ENOMEM path, release, destroy) and
 * source_builtin.c (the anonymous, memfd and parent-pool sources).
 *
 * A source is immutable after creation except `users` (atomic) and, for
 * memfd, the file state under `mu`. It may serve several pools at once:
 * each pool imports under its own grow mutex, so a source's import and
 * release may run concurrently from different pools; the built-ins are
 * thread-safe (anon: mmap/munmap; memfd: mu; pool: the parent's calls).
 */
#ifndef GP_SOURCE_H
#define GP_SOURCE_H

#include <pthread.h>
#include <sys/types.h>

#include "genpool.h"

enum gp_source_kind { GP_SRC_CUSTOM, GP_SRC_ANON, GP_SRC_MEMFD, GP_SRC_POOL };

/* memfd: one mapped part of the file, for release (unmap + punch hole). */
struct gp_memfd_part {
	struct gp_memfd_part *next;
	unsigned long addr;
	size_t len;
	off_t off;
};

struct gen_pool_source {
	struct gen_pool_source_ops ops;
	void *arg;
	enum gp_source_kind kind;
	unsigned int flags;    /* GEN_POOL_SRC_* */
	long users;            /* attached pools + imported chunks; atomic */
	struct gen_pool *parent; /* GP_SRC_POOL */
	int fd;                /* GP_SRC_MEMFD */
	pthread_mutex_t mu;    /* GP_SRC_MEMFD: length and parts */
	off_t length;
	struct gp_memfd_part *parts;
};

/* A source of @kind with @ops; the arg is the source itself for built-ins. */
struct gen_pool_source *gp_source_new(enum gp_source_kind kind,
				      const struct gen_pool_source_ops *ops, void *arg)
	__attribute__((visibility("hidden")));
/* Built-ins' teardown at gen_pool_source_destroy (memfd: close the fd). */
void gp_source_builtin_fini(struct gen_pool_source *src) __attribute__((visibility("hidden")));

#endif /* GP_SOURCE_H */
