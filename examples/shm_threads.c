/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_threads.c - threads sharing one genpool over shared memory.
 *
 * A MAP_SHARED region from memfd_create() (it could be handed to another
 * process, or be a hugepage arena) is managed by one pool with 64-byte
 * granules (order 6). Four threads allocate ranges of random sizes, fill
 * each with their own tag, keep a few live, and check the tag is intact
 * before freeing it: if the pool ever gave the same bytes to two threads,
 * one of them would find the other's tag.
 *
 * The point: no lock around the pool and no per-thread setup. Every
 * genpool call is safe from any thread, lock-free, without registration.
 *
 * The pool's bookkeeping lives in this process's heap, not in the shared
 * region, so only threads of this process allocate from it; another
 * process mapping the memfd would see the data, not the pool.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memfd_create() */
#endif
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <genpool.h>

#define REGION_SIZE	(1UL << 20)	/* 1 MiB of shared memory */
#define POOL_ORDER	6		/* 64-byte granules */
#define NR_THREADS	4
#define ITERATIONS	40000		/* per thread; well under a second */
#define LIVE		16		/* ranges each thread holds at once */
#define MAX_SIZE	2048		/* bytes per allocation, at most */

struct live_range {
	unsigned char *p;
	size_t size;
};

struct worker {
	pthread_t tid;
	struct gen_pool *pool;
	unsigned char tag;
	unsigned int seed;
	unsigned long allocs, frees, enomem;
	int failed;	/* set on a corrupted range or a refused free */
};

/* A small per-thread PRNG: rand() would share hidden state. */
static unsigned int next_rand(unsigned int *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static int tag_intact(const struct live_range *r, unsigned char tag)
{
	for (size_t i = 0; i < r->size; i++)
		if (r->p[i] != tag)
			return 0;
	return 1;
}

/* Check the range is still ours, then give it back. */
static int release(struct worker *w, struct live_range *r)
{
	if (!tag_intact(r, w->tag)) {
		fprintf(stderr, "thread %u: range %p overwritten\n", w->tag, (void *)r->p);
		return -1;
	}
	if (gen_pool_free(w->pool, (unsigned long)r->p, r->size)) {
		fprintf(stderr, "thread %u: free of %p refused\n", w->tag, (void *)r->p);
		return -1;
	}
	w->frees++;
	r->p = NULL;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct live_range live[LIVE] = { 0 };
	struct live_range *r;

	for (int i = 0; i < ITERATIONS && !w->failed; i++) {
		r = &live[next_rand(&w->seed) % LIVE];
		if (r->p && release(w, r)) {
			w->failed = 1;
			break;
		}
		r->size = 1 + next_rand(&w->seed) % MAX_SIZE;
		r->p = (unsigned char *)gen_pool_alloc(w->pool, r->size);
		if (!r->p) {
			/* Momentary ENOMEM while others hold the space is allowed. */
			if (errno != ENOMEM)
				w->failed = 1;
			w->enomem++;
			continue;
		}
		w->allocs++;
		memset(r->p, w->tag, r->size);
	}
	for (int i = 0; i < LIVE; i++)
		if (live[i].p && release(w, &live[i]))
			w->failed = 1;
	return NULL;
}

/* Shared memory the size of the region, mapped for this process. */
static void *map_shared_region(int *fd)
{
	void *p;

	*fd = memfd_create("genpool-shm", MFD_CLOEXEC);
	if (*fd < 0)
		return NULL;
	if (ftruncate(*fd, REGION_SIZE))
		return NULL;
	p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void die(const char *what)
{
	fprintf(stderr, "shm_threads: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(void)
{
	struct worker w[NR_THREADS];
	unsigned long allocs = 0, frees = 0, enomem = 0;
	struct gen_pool *pool;
	void *region;
	int fd, ret, failed = 0;

	region = map_shared_region(&fd);
	if (!region)
		die("shared region");
	pool = gen_pool_create(POOL_ORDER, -1);
	if (!pool)
		die("gen_pool_create");
	ret = gen_pool_add(pool, (unsigned long)region, REGION_SIZE, -1);
	if (ret) {
		errno = -ret;
		die("gen_pool_add");
	}

	/* No locks, no rcu_register_thread(): just start using the pool. */
	for (int i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .pool = pool, .tag = (unsigned char)(i + 1),
					.seed = 0x9e3779b9u * (unsigned int)(i + 1) };
		errno = pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
		if (errno)
			die("pthread_create");
	}
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(w[i].tid, NULL);
		printf("thread %d: %lu allocs, %lu frees, %lu ENOMEM\n", i, w[i].allocs,
		       w[i].frees, w[i].enomem);
		allocs += w[i].allocs;
		frees += w[i].frees;
		enomem += w[i].enomem;
		failed |= w[i].failed;
	}
	printf("total: %lu ops (%lu allocs, %lu frees, %lu ENOMEM)\n", allocs + frees, allocs,
	       frees, enomem);
	printf("avail %zu of size %zu\n", gen_pool_avail(pool), gen_pool_size(pool));

	/* Every range came back, so the pool is whole again and can go. */
	if (failed || allocs != frees || gen_pool_avail(pool) != gen_pool_size(pool)) {
		fprintf(stderr, "shm_threads: FAILED\n");
		return 1;
	}
	ret = gen_pool_destroy(pool);
	if (ret) {
		errno = -ret;
		die("gen_pool_destroy");
	}
	munmap(region, REGION_SIZE);
	close(fd);
	printf("ok\n");
	return 0;
}
