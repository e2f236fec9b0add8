// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * alloc_dlopen.c - jemalloc, tcmalloc and mimalloc as general-purpose
 * speed references, loaded without replacing the process's malloc.
 *
 * Each exports malloc/free, so linking it would interpose the whole
 * process. Instead it is dlopen()ed with RTLD_LOCAL: its symbols stay out
 * of the global scope (glibc, libstdc++ and genpool keep glibc's malloc),
 * and dlsym() on the handle finds its own entry points: jemalloc's
 * unprefixed malloc/free, tcmalloc's tc_malloc/tc_free, mimalloc's mi_
 * API. RTLD_DEEPBIND is deliberately not used: tcmalloc is C++, and with
 * it memory allocated inside libstdc++ (glibc's heap) could be freed by
 * tcmalloc's own operator delete. The handles are never closed: thread
 * caches may outlive any benchmark.
 *
 * jemalloc's initial-exec TLS block (2.6 KiB) does not fit in glibc's
 * default surplus (512 bytes): main() re-executes the binary once with
 * glibc.rtld.optional_static_tls raised (reexec.c) so it loads in-process.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "allocator.h"

struct dl_lib {
	const char *soname;
	const char *malloc_sym, *free_sym, *align_sym;
	bool align_is_posix;	/* int f(void **, align, size); else void *f(size, align) */
	bool tried;
	char why[160];
	void *(*malloc_fn)(size_t);
	void (*free_fn)(void *);
	int (*posix_memalign_fn)(void **, size_t, size_t);
	void *(*aligned_fn)(size_t, size_t);
};

static struct dl_lib jemalloc = {
	.soname = "libjemalloc.so.2",
	.malloc_sym = "malloc",
	.free_sym = "free",
	.align_sym = "posix_memalign",
	.align_is_posix = true,
};
static struct dl_lib tcmalloc = {
	.soname = "libtcmalloc_minimal.so.4",
	.malloc_sym = "tc_malloc",
	.free_sym = "tc_free",
	.align_sym = "tc_posix_memalign",
	.align_is_posix = true,
};
static struct dl_lib mimalloc = {
	.soname = "libmimalloc.so.2",
	.malloc_sym = "mi_malloc",
	.free_sym = "mi_free",
	.align_sym = "mi_malloc_aligned",
};

/* Load once (probes run single-threaded, before any benchmark). */
static int dl_load(struct dl_lib *l)
{
	void *h, *al;

	if (l->tried)
		return l->malloc_fn ? 0 : -1;
	l->tried = true;
	h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(l->why, sizeof(l->why), "dlopen: %s", dlerror());
		return -1;
	}
	*(void **)&l->malloc_fn = dlsym(h, l->malloc_sym);
	*(void **)&l->free_fn = dlsym(h, l->free_sym);
	al = dlsym(h, l->align_sym);
	if (l->align_is_posix)
		*(void **)&l->posix_memalign_fn = al;
	else
		*(void **)&l->aligned_fn = al;
	/* Never the global malloc: that would measure glibc under another name. */
	if (!l->malloc_fn || !l->free_fn || !al ||
	    (void *)l->malloc_fn == dlsym(RTLD_DEFAULT, "malloc")) {
		snprintf(l->why, sizeof(l->why), "%s: entry points missing", l->soname);
		l->malloc_fn = NULL;
		return -1;
	}
	return 0;
}

static int dl_probe(struct dl_lib *l, char *why, size_t len)
{
	if (!dl_load(l))
		return 0;
	snprintf(why, len, "%s", l->why);
	return -1;
}

static void *dl_init(struct dl_lib *l)
{
	return dl_load(l) ? NULL : l;
}

static uintptr_t dl_alloc(void *ctx, size_t bytes)
{
	struct dl_lib *l = ctx;

	return (uintptr_t)l->malloc_fn(bytes);
}

static int dl_free(void *ctx, uintptr_t addr, size_t bytes)
{
	struct dl_lib *l = ctx;

	(void)bytes;
	l->free_fn((void *)addr);
	return 0;
}

static uintptr_t dl_alloc_aligned(void *ctx, size_t bytes, size_t align)
{
	struct dl_lib *l = ctx;
	void *p;

	if (!l->align_is_posix)
		return (uintptr_t)l->aligned_fn(bytes, align);
	return l->posix_memalign_fn(&p, align, bytes) ? 0 : (uintptr_t)p;
}

/* Set up this thread's cache outside the timed loop. */
static void dl_thread_init(void *ctx)
{
	struct dl_lib *l = ctx;

	l->free_fn(l->malloc_fn(64));
}

static int dl_destroy(void *ctx)
{
	(void)ctx;
	return 0;
}

#define DL_ALLOC(id, lib, desc)                                                                    \
	static int probe_##lib(char *why, size_t len)                                              \
	{                                                                                          \
		return dl_probe(&lib, why, len);                                                   \
	}                                                                                          \
	static void *init_##lib(const struct bench_region *r)                                      \
	{                                                                                          \
		(void)r;                                                                           \
		return dl_init(&lib);                                                              \
	}                                                                                          \
	const struct bench_alloc id = {                                                            \
		.name = #lib,                                                                      \
		.what = desc,                                                                      \
		.probe = probe_##lib,                                                              \
		.init = init_##lib,                                                                \
		.alloc = dl_alloc,                                                                 \
		.free = dl_free,                                                                   \
		.alloc_aligned = dl_alloc_aligned,                                                 \
		.thread_init = dl_thread_init,                                                     \
		.destroy = dl_destroy,                                                             \
	}

DL_ALLOC(ba_jemalloc, jemalloc, "jemalloc 5 (libjemalloc.so.2, dlopen RTLD_LOCAL: malloc/free)");
DL_ALLOC(ba_tcmalloc, tcmalloc,
	 "gperftools tcmalloc (libtcmalloc_minimal.so.4, dlopen RTLD_LOCAL: tc_malloc/tc_free)");
DL_ALLOC(ba_mimalloc, mimalloc,
	 "mimalloc 2 (libmimalloc.so.2, dlopen RTLD_LOCAL: mi_malloc/mi_free)");
