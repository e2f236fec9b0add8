// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mt_alloc.c - a small multi-threaded malloc workload for the tool's
 * end-to-end test (tests/tool/test_tool.sh): four threads allocate and
 * free random sizes through malloc, calloc, realloc and posix_memalign,
 * hand some blocks to the next thread to free (through a mutex-protected
 * mailbox), and leave a known number live at exit. Recorded with
 * `genpool record`, its trace must replay on several threads to the
 * recorded final occupancy. "mt_alloc fork" forks once the threads are
 * done: the child allocates 40 blocks, frees 20 and exits, so that its own
 * trace file (numbered from thread 1) can be checked.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTHREADS 4
#define ROUNDS 3000
#define KEEP 25		/* blocks each thread leaves live at exit */

static pthread_mutex_t box_lock = PTHREAD_MUTEX_INITIALIZER;
static void *box[NTHREADS][64];
static int box_n[NTHREADS];
/* read by main, so the compiler cannot drop these mallocs */
static char *kept[NTHREADS][KEEP];

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Free what other threads left for thread @id. */
static void empty_box(int id)
{
	pthread_mutex_lock(&box_lock);
	for (int i = 0; i < box_n[id]; i++)
		free(box[id][i]);
	box_n[id] = 0;
	pthread_mutex_unlock(&box_lock);
}

static void give(int to, void *p)
{
	pthread_mutex_lock(&box_lock);
	if (box_n[to] < 64)
		box[to][box_n[to]++] = p;
	else
		free(p);
	pthread_mutex_unlock(&box_lock);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1);
	void *live[32] = { 0 };

	for (int r = 0; r < ROUNDS; r++) {
		int k = (int)(next_rand(&s) % 32);
		size_t size = 1 + next_rand(&s) % (r % 7 ? 200 : 5000);

		if (live[k] && r % 5 == 0) {
			give((id + 1) % NTHREADS, live[k]);
			live[k] = NULL;
		} else if (live[k] && r % 3 == 0) {
			live[k] = realloc(live[k], size);
		} else {
			free(live[k]);
			if (r % 11 == 0 && posix_memalign(&live[k], 64, size))
				live[k] = NULL;
			else if (r % 11)
				live[k] = r % 2 ? malloc(size) : calloc(1, size);
		}
		if (live[k])
			memset(live[k], 1, 1);
		if (r % 50 == 0)
			empty_box(id);
	}
	for (int k = 0; k < 32; k++)
		free(live[k]);
	for (int i = 0; i < KEEP; i++) {
		kept[id][i] = malloc(100 + (size_t)i);
		if (kept[id][i])
			kept[id][i][0] = (char)i;
	}
	return NULL;
}

/* The forked child's work: 40 allocations, 20 frees, exit (destructors run). */
static void child(void)
{
	static char *p[40];

	for (int i = 0; i < 40; i++)
		p[i] = malloc(32 + (size_t)i * 8);
	for (int i = 0; i < 40; i += 2)
		free(p[i]);
	for (int i = 1; i < 40; i += 2)
		if (p[i])
			p[i][0] = 1;
	exit(0);
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];

	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i))
			return 1;
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		empty_box(i);
	int live = 0;

	for (int i = 0; i < NTHREADS; i++)
		for (int k = 0; k < KEEP; k++)
			live += kept[i][k] && kept[i][k][0] == (char)k;
	printf("%d blocks left live\n", live);
	if (argc > 1 && !strcmp(argv[1], "fork")) {
		int st;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0)
			child();
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	return 0;
}
