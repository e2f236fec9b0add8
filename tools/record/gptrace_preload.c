// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gptrace_preload.c - the malloc tracer: an LD_PRELOAD library that records
 * every malloc, calloc, realloc, reallocarray, memalign, posix_memalign,
 * aligned_alloc, valloc, pvalloc and free of a program into a trace file
 * (src/trace_format.h, source MALLOC), one file per process:
 * "$GPTRACE_PREFIX.<pid>". Without GPTRACE_PREFIX it only passes calls on.
 * `genpool record` is the user command around it.
 *
 * Concurrency contract:
 * - Fast path without a global lock: each thread appends to its own buffer
 *   (an mmap'd struct tbuf, reached through one initial-exec TLS pointer)
 *   and writes whole buffers with one write(2) to an O_APPEND descriptor,
 *   which the kernel appends atomically, so threads never interleave
 *   inside a record. The only shared atomics are the thread number counter
 *   (once per thread) and the buffer registry (push and claim, lock-free).
 * - Order: an allocation's time is taken after the real call returned, a
 *   free's before the real free, so a block freed by one thread and
 *   returned by malloc to another sorts free first (docs/trace-format.md).
 * - Recursion: the real functions come from dlsym(RTLD_NEXT), which may
 *   itself allocate; while resolving, requests are served from a static
 *   bump arena whose blocks are never freed. A per-thread guard keeps
 *   anything the tracer itself triggers from being recorded.
 * - Thread exit: a pthread key destructor flushes the buffer and releases
 *   it for reuse by a later thread (buffers are never unmapped, so a
 *   registry walk never touches freed memory). Records a thread makes after
 *   that (later TLS destructors) are written one by one.
 * - Process exit: a destructor flushes every buffer in the registry and
 *   from then on each record is written at once. A thread still running
 *   at exit may lose the records racing with that final flush: the file
 *   format tolerates it and readers treat such a free as unmatched.
 * - fork: the child drops the buffers it inherited (the parent writes
 *   them), opens its own file and numbers its threads from 1 again.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "trace_format.h"

#define EXPORT __attribute__((visibility("default")))
#define TBUF_RECORDS 1023	/* with the header fields: 48 KiB per thread */
#define HIGH_FD 700		/* our descriptor, out of the way of dup2(x, 3) */

struct tbuf {
	struct tbuf *next;		/* registry link, immutable once pushed */
	_Atomic int in_use;		/* 1 while a live thread owns it */
	uint32_t n;
	struct gp_trace_record rec[TBUF_RECORDS];
};

static struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	void *(*memalign)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
} real;

static _Atomic int init_state;		/* 0 not yet, 1 resolving, 2 ready */
static int trace_fd = -1;		/* -1: not tracing */
static _Atomic bool final_flush;	/* after the exit flush: write at once */
static _Atomic uint32_t next_thread = 1;
static _Atomic(struct tbuf *) registry;
static uint64_t start_ns;
static pthread_key_t exit_key;
static char prefix[4096];

static __thread struct tbuf *my_buf __attribute__((tls_model("initial-exec")));
static __thread int guard __attribute__((tls_model("initial-exec")));
/* This thread's number (0: none yet) and record count; 'exiting' once its
 * buffer is gone: later records (TLS destructors) are written one by one. */
static __thread uint32_t my_thread, my_tseq;
static __thread bool exiting;

/* ---- the bootstrap arena: dlsym's own allocations ---------------------- */

static char arena[64 * 1024] __attribute__((aligned(64)));
static _Atomic size_t arena_used;

static bool in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof(arena);
}

static void *arena_alloc(size_t size, size_t align)
{
	size_t a = align < 16 ? 16 : align;
	size_t need = (size + 16 + a - 1) & ~(a - 1);
	size_t off = atomic_fetch_add(&arena_used, need + a);
	char *p;

	if (off + need + a > sizeof(arena))
		return NULL;
	p = (char *)(((uintptr_t)(arena + off) + 16 + a - 1) & ~(uintptr_t)(a - 1));
	((size_t *)p)[-1] = size;
	return p;
}

/* ---- output ----------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_all(const void *p, size_t len)
{
	const char *c = p;

	while (len && trace_fd >= 0) {
		ssize_t w = write(trace_fd, c, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* disk full: the file ends with a partial record at worst */
		c += w;
		len -= (size_t)w;
	}
}

static void flush(struct tbuf *b)
{
	int e = errno;	/* the traced program must not see our errno */

	if (b->n)
		write_all(b->rec, b->n * sizeof(b->rec[0]));
	b->n = 0;
	errno = e;
}

static void open_trace(void)
{
	struct gp_trace_header h = { .magic = GP_TRACE_MAGIC };
	struct timespec ts;
	char path[sizeof(prefix) + 24];
	int fd, hi;

	snprintf(path, sizeof(path), "%s.%d", prefix, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
	if (hi >= 0) {
		close(fd);
		fd = hi;
	}
	h.version = GP_TRACE_VERSION;
	h.header_size = sizeof(h);
	h.record_size = sizeof(struct gp_trace_record);
	h.source = GP_TRACE_SRC_MALLOC;
	h.min_alloc_order = -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	h.start_realtime_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	strncpy(h.name, program_invocation_short_name, sizeof(h.name) - 1);
	start_ns = now_ns();
	trace_fd = fd;
	write_all(&h, sizeof(h));
}

/* ---- per-thread buffers ------------------------------------------------ */

static void thread_gone(void *v)
{
	struct tbuf *b = v;

	flush(b);
	my_buf = NULL;
	exiting = true;
	/* release: our flushed n = 0 is visible to the claimer (acquire in get_buf) */
	atomic_store_explicit(&b->in_use, 0, memory_order_release);
}

static struct tbuf *claim_buf(void)
{
	struct tbuf *b;
	int zero;

	/* acquire: pairs with the release push below and thread_gone's release */
	for (b = atomic_load_explicit(&registry, memory_order_acquire); b; b = b->next) {
		zero = 0;
		if (atomic_compare_exchange_strong_explicit(&b->in_use, &zero, 1,
				memory_order_acquire, memory_order_relaxed))
			return b;
	}
	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		return NULL;
	b->in_use = 1;
	b->next = atomic_load_explicit(&registry, memory_order_relaxed);
	/* release: the initialised buffer before its link (acquire in the walk above) */
	while (!atomic_compare_exchange_weak_explicit(&registry, &b->next, b,
			memory_order_release, memory_order_relaxed))
		;
	return b;
}

static struct tbuf *get_buf(void)
{
	struct tbuf *b = my_buf;

	if (b)
		return b;
	b = claim_buf();
	if (!b)
		return NULL;
	b->n = 0;
	my_buf = b;
	pthread_setspecific(exit_key, b);
	return b;
}

/* Append one record of this thread; @t from now_ns() at the right moment. */
static void record(uint64_t t, uint8_t type, uint8_t algo, uint8_t result,
		   const void *addr, uint64_t size, uint64_t aux)
{
	struct gp_trace_record r;
	struct tbuf *b;

	if (trace_fd < 0 || guard)
		return;
	guard++;
	if (!my_thread)
		my_thread = atomic_fetch_add_explicit(&next_thread, 1, memory_order_relaxed);
	r = (struct gp_trace_record){ .time_ns = t - start_ns, .addr = (uintptr_t)addr,
		.size = size, .aux = aux, .thread = my_thread, .tseq = my_tseq++,
		.type = type, .algo = algo, .result = result };
	b = exiting ? NULL : get_buf();
	if (b) {
		b->rec[b->n++] = r;
		if (b->n == TBUF_RECORDS || atomic_load_explicit(&final_flush, memory_order_relaxed))
			flush(b);
	} else {
		int e = errno;

		write_all(&r, sizeof(r));
		errno = e;
	}
	guard--;
}

/* ---- setup, exit and fork ---------------------------------------------- */

static void resolve(void)
{
	*(void **)&real.malloc = dlsym(RTLD_NEXT, "malloc");
	*(void **)&real.calloc = dlsym(RTLD_NEXT, "calloc");
	*(void **)&real.realloc = dlsym(RTLD_NEXT, "realloc");
	*(void **)&real.reallocarray = dlsym(RTLD_NEXT, "reallocarray");
	*(void **)&real.free = dlsym(RTLD_NEXT, "free");
	*(void **)&real.memalign = dlsym(RTLD_NEXT, "memalign");
	*(void **)&real.posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	*(void **)&real.aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	*(void **)&real.valloc = dlsym(RTLD_NEXT, "valloc");
	*(void **)&real.pvalloc = dlsym(RTLD_NEXT, "pvalloc");
}

static void after_fork_child(void)
{
	struct tbuf *b;

	/* the parent writes what these buffers hold; the child starts afresh */
	for (b = atomic_load_explicit(&registry, memory_order_acquire); b; b = b->next) {
		b->n = 0;
		if (b != my_buf)
			atomic_store_explicit(&b->in_use, 0, memory_order_relaxed);
	}
	atomic_store_explicit(&next_thread, 1, memory_order_relaxed);
	my_thread = 0;
	my_tseq = 0;
	if (trace_fd >= 0) {
		close(trace_fd);
		trace_fd = -1;
		open_trace();
	}
}

static void init(void)
{
	const char *p;
	int expect = 0;

	if (!atomic_compare_exchange_strong(&init_state, &expect, 1)) {
		while (atomic_load(&init_state) != 2 && !guard)
			;	/* another thread resolves; ours is in the arena path */
		return;
	}
	guard++;
	resolve();
	p = getenv("GPTRACE_PREFIX");
	if (p && *p && strlen(p) < sizeof(prefix)) {
		strcpy(prefix, p);
		pthread_key_create(&exit_key, thread_gone);
		pthread_atfork(NULL, NULL, after_fork_child);
		open_trace();
	}
	guard--;
	atomic_store(&init_state, 2);
}

__attribute__((constructor)) static void gptrace_ctor(void)
{
	if (atomic_load(&init_state) != 2)
		init();
}

__attribute__((destructor)) static void gptrace_dtor(void)
{
	struct tbuf *b;

	if (trace_fd < 0)
		return;
	atomic_store(&final_flush, true);
	for (b = atomic_load_explicit(&registry, memory_order_acquire); b; b = b->next)
		if (atomic_load_explicit(&b->in_use, memory_order_acquire))
			flush(b);
}

/* Are the real functions there? During resolution, no: use the arena. */
static bool ready(void)
{
	if (atomic_load_explicit(&init_state, memory_order_acquire) == 2)
		return true;
	init();
	return atomic_load_explicit(&init_state, memory_order_acquire) == 2;
}

/* ---- the interposed calls ---------------------------------------------- */

/*
 * Each call: pass on to the real one, then record. Record only when tracing
 * (trace_fd >= 0) so that an untraced process pays one load and a branch.
 */
#define TRACING() (trace_fd >= 0 && !guard)

static uint8_t result_of(const void *p)
{
	return p ? GP_TRES_OK : GP_TRES_NOMEM;
}

EXPORT void *malloc(size_t size)
{
	void *p;

	if (!ready())
		return arena_alloc(size, 16);
	p = real.malloc(size);
	if (TRACING())
		record(now_ns(), GP_TR_ALLOC, GP_TA_NONE, result_of(p), p, size, 0);
	return p;
}

EXPORT void free(void *p)
{
	if (!p || in_arena(p))
		return;	/* the arena's blocks live for ever */
	if (!ready())
		return;
	if (TRACING())	/* before the block can go to another thread */
		record(now_ns(), GP_TR_FREE, GP_TA_NONE, GP_TRES_OK, p, 0, 0);
	real.free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes))
		bytes = SIZE_MAX;
	if (!ready())	/* the arena is static and never reused: zeroed */
		return arena_alloc(bytes, 16);
	p = real.calloc(n, size);
	if (TRACING())
		record(now_ns(), GP_TR_ALLOC, GP_TA_CALLOC, result_of(p), p, bytes, 0);
	return p;
}

/* A block of the arena moved to the real heap (or a bigger arena block). */
static void *realloc_from_arena(void *old, size_t size)
{
	size_t had = ((size_t *)old)[-1];
	void *p = ready() ? malloc(size) : arena_alloc(size, 16);

	if (p)
		memcpy(p, old, had < size ? had : size);
	return p;
}

static void record_realloc(void *old, void *p, size_t size)
{
	/* realloc(p, 0) frees p and returns NULL: that is success */
	uint8_t res = (p || !size) ? GP_TRES_OK : GP_TRES_NOMEM;

	if (TRACING())
		record(now_ns(), GP_TR_REALLOC, GP_TA_NONE, res, p, size, (uintptr_t)old);
}

EXPORT void *realloc(void *old, size_t size)
{
	void *p;

	if (old && in_arena(old))
		return realloc_from_arena(old, size);
	if (!ready())
		return arena_alloc(size, 16);
	p = real.realloc(old, size);
	record_realloc(old, p, size);
	return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	if ((old && in_arena(old)) || !ready() || !real.reallocarray)
		return realloc(old, bytes);
	p = real.reallocarray(old, n, size);
	record_realloc(old, p, bytes);
	return p;
}

static void record_aligned(const void *p, size_t size, size_t align, uint8_t res)
{
	if (TRACING())
		record(now_ns(), GP_TR_ALLOC, GP_TA_MEMALIGN, res, p, size, align);
}

EXPORT void *memalign(size_t align, size_t size)
{
	void *p;

	if (!ready())
		return arena_alloc(size, align);
	p = real.memalign ? real.memalign(align, size) : NULL;
	record_aligned(p, size, align, result_of(p));
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	int rc;

	if (!ready()) {
		*out = arena_alloc(size, align);
		return *out ? 0 : ENOMEM;
	}
	rc = real.posix_memalign ? real.posix_memalign(out, align, size) : ENOMEM;
	record_aligned(rc ? NULL : *out, size, align,
		       rc == 0 ? GP_TRES_OK : rc == EINVAL ? GP_TRES_REFUSED : GP_TRES_NOMEM);
	return rc;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	void *p;

	if (!ready())
		return arena_alloc(size, align);
	p = real.aligned_alloc ? real.aligned_alloc(align, size) : NULL;
	record_aligned(p, size, align, result_of(p));
	return p;
}

EXPORT void *valloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	if (!ready())
		return arena_alloc(size, page);
	p = real.valloc ? real.valloc(size) : NULL;
	record_aligned(p, size, page, result_of(p));
	return p;
}

EXPORT void *pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t bytes = (size + page - 1) & ~(page - 1);
	void *p;

	if (!ready())
		return arena_alloc(bytes, page);
	p = real.pvalloc ? real.pvalloc(size) : NULL;
	record_aligned(p, bytes, page, result_of(p));
	return p;
}
