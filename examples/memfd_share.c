/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memfd_share.c - a second process reads what the first wrote through a
 * pool address.
 *
 * The pool grows from a memfd source: each import maps the next part of
 * one memfd, MAP_SHARED, and a chunk's phys is its offset in the file, so
 * gen_pool_virt_to_phys(pool, addr) says where addr lives in the file. The
 * reader is forked before anything is allocated (so it inherits no pool
 * memory, only the fd of gen_pool_source_fd); the writer then allocates,
 * writes a message through the pool address, and sends the file offset and
 * length down a pipe; the reader maps the file at that offset itself and
 * prints what it finds there.
 *
 * The pool's bookkeeping stays in the writer's heap: another process sees
 * the memory, not the pool.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <genpool.h>

struct where {
	uint64_t off, len;
};

static int reader(int fd, int rx)
{
	long page = sysconf(_SC_PAGESIZE);
	struct where w;
	uint64_t base;
	char *map;

	if (read(rx, &w, sizeof(w)) != (ssize_t)sizeof(w))
		return 1;
	base = w.off & ~(uint64_t)(page - 1);
	map = mmap(NULL, w.off - base + w.len, PROT_READ, MAP_SHARED, fd, (off_t)base);
	if (map == MAP_FAILED)
		return 1;
	printf("memfd_share: reader (pid %d) at file offset %llu: \"%s\"\n", (int)getpid(),
	       (unsigned long long)w.off, map + (w.off - base));
	fflush(stdout); /* the reader leaves with _exit */
	return strcmp(map + (w.off - base), "written through a pool address") != 0;
}

int main(void)
{
	static const char msg[] = "written through a pool address";
	struct gen_pool_source *src = gen_pool_source_memfd("genpool-share", 0);
	struct gen_pool *pool = gen_pool_create(6, -1);
	int pipefd[2], status;
	struct where w;
	unsigned long a, filler;
	pid_t pid;

	if (!src || !pool || pipe(pipefd) || gen_pool_set_source(pool, src, 1UL << 20))
		return 1;
	pid = fork();
	if (pid == 0)
		_exit(reader(gen_pool_source_fd(src), pipefd[0]));
	filler = gen_pool_alloc(pool, 1000); /* so that the message is not at offset 0 */
	a = gen_pool_alloc(pool, sizeof(msg));
	if (!filler || !a)
		return 1;
	memcpy((void *)a, msg, sizeof(msg));
	w.off = gen_pool_virt_to_phys(pool, a);
	w.len = sizeof(msg);
	printf("memfd_share: writer wrote at 0x%lx, file offset %llu\n", a,
	       (unsigned long long)w.off);
	if (write(pipefd[1], &w, sizeof(w)) != (ssize_t)sizeof(w))
		return 1;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	gen_pool_free(pool, a, sizeof(msg));
	gen_pool_free(pool, filler, 1000);
	if (gen_pool_destroy(pool) || gen_pool_source_destroy(src))
		return 1;
	return 0;
}
