// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * log.c - the event log: gen_pool_log_start, gen_pool_log_stop and
 * GENPOOL_LOG, writing the project's trace format (trace_format.h,
 * docs/trace-format.md) with source GP_TRACE_SRC_POOL.
 *
 * Per-thread buffers. A thread's first record for a log registers a buffer
 * (under the registry mutex: once per thread and log), numbered in order of
 * registration; later records are appended to it with no lock and no shared
 * atomic. A full buffer is written with one write() of whole records to a
 * file opened O_APPEND, so writes of different threads never interleave
 * inside a record and a file cut off anywhere holds whole records up to its
 * last write. Buffers are written when full, at gen_pool_log_stop (and
 * destroy), at their thread's exit (a pthread key destructor) and, for the
 * thread that calls exit(), by the library's destructor.
 *
 * Stopping against threads that are logging (RCU). A writer loads
 * pool->obs.log inside an RCU read-side section and appends inside the
 * same section. gen_pool_log_stop unpublishes the log (stores NULL), waits
 * for a grace period, and only then writes out and orphans the buffers
 * and closes the file: after the grace period no writer holds the log or
 * is touching one of its buffers, and new writers see NULL. A thread that
 * exits meanwhile writes out its own buffers under the registry mutex,
 * which the stop's write-out also holds; whichever comes second finds the
 * buffer already written (stop) or already unlinked (exit). A buffer
 * orphaned by a stop (its log pointer NULL) is freed by its thread, at its
 * next registration or its exit, under the registry mutex.
 *
 * Publication: gen_pool_log_start writes the header and an ADD record for
 * every chunk, then publishes the log with a release store, both under
 * pool->lock, where gen_pool_add publishes chunks and logs them: each
 * chunk is recorded exactly once, before any allocation from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "log.h"
#include "mutant.h"
#include "rcu.h"
#include "stats.h"

#define GP_LOG_BUF_RECORDS 1024 /* 48 KiB per thread and log */

struct gp_log_buf;

struct gp_log {
	int fd;
	uint64_t start_ns;         /* gp_log_clock() at start: record times are relative */
	uint32_t next_thread;      /* registry mutex */
	struct gp_log_buf *bufs;   /* every registered buffer; registry mutex */
	unsigned long long lost;   /* records dropped (no buffer memory, a failed write) */
};

struct gp_log_buf {
	struct gp_log *log;          /* NULL once orphaned by a stop (atomic) */
	struct gp_log_buf *log_next; /* in log->bufs; registry mutex */
	struct gp_log_buf *own_next; /* the owning thread's list; owner only */
	uint32_t thread, tseq;
	unsigned int n;
	struct gp_trace_record rec[GP_LOG_BUF_RECORDS];
};

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static bool exit_key_ok;
static __thread struct gp_log_buf *own_bufs; /* this thread's buffers, most recent first */

uint64_t gp_log_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Write @b's records; on a failed write they are counted as lost. Registry or owner. */
static void write_out(struct gp_log *log, struct gp_log_buf *b)
{
	size_t len = (size_t)b->n * sizeof(b->rec[0]);
	ssize_t w;

	if (!len)
		return;
	do
		w = write(log->fd, b->rec, len);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)len)
		gp_atomic_add_relaxed(&log->lost, b->n);
	b->n = 0;
}

/* Unlink @b from its log's list. Registry mutex held. */
static void unlink_buf(struct gp_log *log, struct gp_log_buf *b)
{
	struct gp_log_buf **p;

	for (p = &log->bufs; *p; p = &(*p)->log_next)
		if (*p == b) {
			*p = b->log_next;
			return;
		}
}

/* Write out and free every buffer of the calling thread. */
static void thread_exit(void *unused)
{
	struct gp_log_buf *b, *next;
	struct gp_log *log;

	(void)unused;
	pthread_mutex_lock(&registry);
	for (b = own_bufs; b; b = next) {
		next = b->own_next;
		log = gp_atomic_load_relaxed(&b->log);
		if (log) {
			if (!GP_MUTANT(GP_MUT_LOG_NO_EXIT_FLUSH))
				write_out(log, b);
			unlink_buf(log, b);
		}
		free(b);
	}
	own_bufs = NULL;
	pthread_mutex_unlock(&registry);
}

/* The thread that calls exit() runs no key destructor: write its buffers here. */
__attribute__((destructor)) static void process_exit(void)
{
	thread_exit(NULL);
}

static void make_exit_key(void)
{
	exit_key_ok = pthread_key_create(&exit_key, thread_exit) == 0;
}

/* Free this thread's orphaned buffers. Registry mutex held. */
static void drop_orphans(void)
{
	struct gp_log_buf **p = &own_bufs, *b;

	while ((b = *p)) {
		if (gp_atomic_load_relaxed(&b->log)) {
			p = &b->own_next;
			continue;
		}
		*p = b->own_next;
		free(b);
	}
}

/* A new buffer of this thread for @log, or NULL (no memory). */
static struct gp_log_buf *register_buf(struct gp_log *log)
{
	struct gp_log_buf *b = calloc(1, sizeof(*b));

	pthread_once(&exit_once, make_exit_key);
	if (!b || !exit_key_ok || pthread_setspecific(exit_key, (void *)1)) {
		free(b);
		return NULL; /* without a destructor, records would be lost at exit */
	}
	pthread_mutex_lock(&registry);
	drop_orphans();
	b->log = log;
	b->thread = ++log->next_thread;
	b->log_next = log->bufs;
	log->bufs = b;
	b->own_next = own_bufs;
	own_bufs = b;
	pthread_mutex_unlock(&registry);
	return b;
}

/*
 * This thread's buffer for @log (inside the read section that loaded it).
 * A buffer of another log may be orphaned concurrently, hence the atomic
 * read; one of @log cannot be, while this section holds @log.
 */
static struct gp_log_buf *my_buf(struct gp_log *log)
{
	struct gp_log_buf *b;

	for (b = own_bufs; b; b = b->own_next)
		if (gp_atomic_load_relaxed(&b->log) == log)
			return b;
	return register_buf(log);
}

/* The next record of this thread in @log, zeroed but for thread and tseq. */
static struct gp_trace_record *next_record(struct gp_log *log, uint64_t t_ns)
{
	struct gp_log_buf *b = my_buf(log);
	struct gp_trace_record *r;

	if (!b) {
		gp_atomic_add_relaxed(&log->lost, 1);
		return NULL;
	}
	if (b->n == GP_LOG_BUF_RECORDS)
		write_out(log, b);
	r = &b->rec[b->n++];
	memset(r, 0, sizeof(*r));
	r->time_ns = t_ns > log->start_ns ? t_ns - log->start_ns : 0;
	r->thread = b->thread;
	r->tseq = b->tseq++;
	return r;
}

static void put(struct gp_log *log, uint64_t t_ns, unsigned int type, unsigned long addr,
		uint64_t size, uint64_t aux, unsigned int algo, unsigned int res)
{
	struct gp_trace_record *r = next_record(log, t_ns);

	if (!r)
		return;
	r->type = (uint8_t)type;
	r->addr = addr;
	r->size = size;
	r->aux = aux;
	r->algo = (uint8_t)algo;
	r->result = (uint8_t)res;
}

/* The trace format's name for @algo, and its aux (alignment, offset). */
static unsigned int algo_code(genpool_algo_t algo, const void *data, uint64_t *aux)
{
	*aux = 0;
	if (algo == gen_pool_first_fit)
		return GP_TA_FIRST_FIT;
	if (algo == gen_pool_best_fit)
		return GP_TA_BEST_FIT;
	if (algo == gen_pool_first_fit_order_align)
		return GP_TA_ORDER_ALIGN;
	if (algo == gen_pool_scalable_fit)
		return GP_TA_SCALABLE;
	if (algo == gen_pool_first_fit_align) {
		*aux = data ? (uint64_t)((const struct genpool_data_align *)data)->align : 0;
		return GP_TA_ALIGN;
	}
	if (algo == gen_pool_fixed_alloc) {
		*aux = data ? ((const struct genpool_data_fixed *)data)->offset : 0;
		return GP_TA_FIXED;
	}
	return GP_TA_CUSTOM;
}

void gp_log_alloc(struct gen_pool *pool, size_t size, genpool_algo_t algo, void *data,
		  bool cached, unsigned long addr, unsigned int res)
{
	uint64_t t = gp_log_clock(), aux = 0; /* after the allocation succeeded */
	struct gp_algo_pair pair;
	unsigned int code;
	struct gp_log *log;

	gp_rcu_read_lock();
	/* acquire: pairs with the release in gen_pool_log_start */
	log = gp_atomic_load_acquire(&pool->obs.log);
	if (log) {
		pair = algo ? (struct gp_algo_pair){ .algo = algo, .data = data }
			    : gp_pool_algo_rcu(pool);
		code = cached ? GP_TA_CACHE : algo_code(pair.algo, pair.data, &aux);
		put(log, t, GP_TR_ALLOC, addr, size, aux, code, res);
	}
	gp_rcu_read_unlock();
}

void gp_log_free(struct gen_pool *pool, uint64_t t_ns, unsigned long addr, size_t size,
		 unsigned int res)
{
	struct gp_log *log;

	gp_rcu_read_lock();
	/* acquire: pairs with the release in gen_pool_log_start */
	log = gp_atomic_load_acquire(&pool->obs.log);
	if (log)
		put(log, t_ns, GP_TR_FREE, addr, size, 0, GP_TA_NONE, res);
	gp_rcu_read_unlock();
}

void gp_log_chunk(struct gen_pool *pool, unsigned int type, unsigned long addr, size_t size,
		  uint64_t aux, unsigned int res)
{
	struct gp_log *log;

	if (!gp_log_on(pool))
		return;
	gp_rcu_read_lock();
	/* acquire: pairs with the release in gen_pool_log_start */
	log = gp_atomic_load_acquire(&pool->obs.log);
	if (log)
		put(log, gp_log_clock(), type, addr, size, aux, GP_TA_NONE, res);
	gp_rcu_read_unlock();
}

/* Write all of @buf at @fd's position; 0 or -errno. */
static int write_all(int fd, const void *buf, size_t len)
{
	ssize_t w;

	do
		w = write(fd, buf, len);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len)
		return 0;
	return w < 0 ? -errno : -EIO;
}

static int write_header(const struct gen_pool *pool, int fd)
{
	struct gp_trace_header h;
	struct timespec ts;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, GP_TRACE_MAGIC, sizeof(h.magic));
	h.version = GP_TRACE_VERSION;
	h.header_size = sizeof(h);
	h.record_size = sizeof(struct gp_trace_record);
	h.source = GP_TRACE_SRC_POOL;
	h.min_alloc_order = pool->min_alloc_order;
	h.flags = pool->flags;
	clock_gettime(CLOCK_REALTIME, &ts);
	h.start_realtime_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (pool->name)
		strncpy(h.name, pool->name, sizeof(h.name) - 1);
	return write_all(fd, &h, sizeof(h));
}

/* An ADD record for each chunk, oldest first (the order a replay adds them). */
static int log_chunks_locked(struct gen_pool *pool, struct gp_log *log)
{
	struct gen_pool_chunk *c, **order;
	size_t n = 0, i;

	for (c = pool->chunks; c; c = c->next)
		n++;
	order = calloc(n ? n : 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (c = pool->chunks, i = n; c; c = c->next)
		order[--i] = c;
	for (i = 0; i < n; i++)
		put(log, log->start_ns, GP_TR_ADD, order[i]->start_addr,
		    order[i]->end_addr - order[i]->start_addr + 1, order[i]->phys_addr, GP_TA_NONE,
		    GP_TRES_OK);
	free(order);
	return 0;
}

/* Orphan every buffer of @log, writing it out first if @flush. */
static void orphan_all(struct gp_log *log, bool flush)
{
	struct gp_log_buf *b;

	pthread_mutex_lock(&registry);
	for (b = log->bufs; b; b = b->log_next) {
		if (flush)
			write_out(log, b);
		gp_atomic_store_relaxed(&b->log, NULL); /* its thread frees it */
	}
	log->bufs = NULL;
	pthread_mutex_unlock(&registry);
}

/*
 * Open @path for a log: created if it is new (*created), else truncated (a
 * device such as /dev/null is written as it is). -errno on failure.
 */
static int open_log(const char *path, bool *created)
{
	int flags = O_WRONLY | O_APPEND | O_CLOEXEC, fd;

	fd = open(path, flags | O_CREAT | O_EXCL, 0644);
	*created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, flags | O_TRUNC);
	return fd >= 0 ? fd : -errno;
}

/* Open @path, write the header and the chunks, publish. pool->obs.log_lock held. */
static int start_locked(struct gen_pool *pool, const char *path)
{
	struct gp_log *log = calloc(1, sizeof(*log));
	bool created;
	int err;

	if (!log)
		return -ENOMEM;
	log->fd = open_log(path, &created);
	if (log->fd < 0) {
		err = log->fd;
		free(log);
		return err;
	}
	log->start_ns = gp_log_clock();
	err = write_header(pool, log->fd);
	if (!err) {
		/* under the lock that gen_pool_add publishes chunks under */
		gp_pool_lock(pool);
		err = log_chunks_locked(pool, log);
		if (!err)
			/* release: pairs with the acquire loads of the hooks above */
			gp_atomic_store_release(&pool->obs.log, log);
		gp_pool_unlock(pool);
	}
	if (!err)
		return 0;
	orphan_all(log, false);
	close(log->fd);
	if (created)
		unlink(path); /* no file left behind; one that was there stays */
	free(log);
	return err;
}

/* Unpublish, wait for the writers, write everything out, close. log_lock held. */
static int stop_locked(struct gen_pool *pool, struct gp_log *log)
{
	int err = 0;

	gp_atomic_store_relaxed(&pool->obs.log, NULL);
	gp_rcu_synchronize(); /* every hook that loaded @log has left its section */
	orphan_all(log, true);
	/* a managed pool's name was set after GENPOOL_LOG opened the file */
	if (pool->name && fcntl(log->fd, F_SETFL, 0) == 0) {
		char name[sizeof(((struct gp_trace_header *)0)->name)] = { 0 };

		strncpy(name, pool->name, sizeof(name) - 1);
		if (pwrite(log->fd, name, sizeof(name), offsetof(struct gp_trace_header, name)) !=
		    (ssize_t)sizeof(name))
			err = -EIO;
	}
	if (close(log->fd) || log->lost)
		err = -EIO;
	free(log);
	return err;
}

int gen_pool_log_start(struct gen_pool *pool, const char *path)
{
	int err;

	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	if (!path)
		return GP_REFUSE_POOL(pool, EINVAL, "path is NULL");
	pthread_mutex_lock(&pool->obs.log_lock);
	err = pool->obs.log ? -EBUSY : start_locked(pool, path);
	pthread_mutex_unlock(&pool->obs.log_lock);
	return err;
}

int gen_pool_log_stop(struct gen_pool *pool)
{
	struct gp_log *log;
	int err;

	if (!pool)
		return GP_REFUSE(EINVAL, "pool is NULL");
	if (gp_rcu_read_ongoing())
		return -EDEADLK; /* a grace period cannot end inside a read section */
	pthread_mutex_lock(&pool->obs.log_lock);
	log = pool->obs.log;
	err = log ? stop_locked(pool, log) : GP_REFUSE_POOL(pool, EINVAL, "pool is not logging");
	pthread_mutex_unlock(&pool->obs.log_lock);
	return err;
}

void gp_log_at_create(struct gen_pool *pool)
{
	static unsigned int pools; /* numbers the files of one process */
	const char *prefix = getenv("GENPOOL_LOG");
	char path[4096];
	int err;

	pthread_mutex_init(&pool->obs.log_lock, NULL);
	if (!prefix || !*prefix)
		return;
	/* relaxed: only uniqueness matters */
	snprintf(path, sizeof(path), "%s.%d.%u", prefix, (int)getpid(),
		 __atomic_add_fetch(&pools, 1, __ATOMIC_RELAXED));
	pthread_mutex_lock(&pool->obs.log_lock);
	err = start_locked(pool, path);
	pthread_mutex_unlock(&pool->obs.log_lock);
	if (err)
		fprintf(stderr, "genpool: GENPOOL_LOG: cannot log to %s: %s\n", path,
			strerror(-err));
}

void gp_log_at_destroy(struct gen_pool *pool)
{
	pthread_mutex_lock(&pool->obs.log_lock);
	if (pool->obs.log)
		stop_locked(pool, pool->obs.log);
	pthread_mutex_unlock(&pool->obs.log_lock);
	pthread_mutex_destroy(&pool->obs.log_lock);
}
