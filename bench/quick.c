/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * quick.c - lock-free genpool against its two locked alternatives.
 *
 * Three pools with the same layout, measured in one process:
 *   lockfree  gen_pool_create(): alloc and free take no lock;
 *   spinlock  gen_pool_create_flags(GEN_POOL_SPINLOCK): the same code with
 *             the pool's spinlock held around alloc/free (the baseline);
 *   mutex     the lock-free pool with a pthread mutex taken by the caller
 *             around every alloc and free: what a careful user would do.
 *
 * Workload "hot pair": every thread loops gen_pool_alloc() + gen_pool_free()
 * of one size (1 granule, then 8 granules) on a pool kept half full by a
 * prefill of 1-granule allocations at random places. The chunk is address
 * space only (4 KiB granules over 64 MiB at 4 GiB): the memory is never
 * touched, so only the allocator is measured.
 *
 * Each configuration runs for a fixed time, R times; the three pools are
 * interleaved (in rotating order) so that drift of the machine hits them
 * alike. The table gives the median; --json writes every repetition.
 * An op is one alloc + free pair.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <genpool.h>

#if ULONG_MAX < 0xffffffffffffffffUL
#error "the benchmark chunk lives at 4 GiB: it needs a 64-bit unsigned long"
#endif

#define POOL_ORDER	12
#define GRANULE		(1UL << POOL_ORDER)
#define POOL_BASE	(1UL << 32)
#define POOL_SIZE	(64UL << 20)
#define POOL_GRANULES	(POOL_SIZE / GRANULE)
#define PREFILL_SEED	0x2545f491u
#define MAX_THREADS	256
#define MAX_REPS	1000

enum kind { LOCKFREE, SPINLOCK, MUTEX, NR_KINDS };
static const char *const kind_name[NR_KINDS] = { "lockfree", "spinlock", "mutex" };

static const unsigned int sizes[] = { 1, 8 };	/* granules per allocation */
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

struct bench_pool {
	enum kind kind;
	struct gen_pool *pool;
	pthread_mutex_t lock;		/* MUTEX: the caller's lock */
	unsigned long *held;		/* the prefill, freed at the end */
	size_t nheld;
};

/* One timed run: n threads hammering one pool with one size. */
struct run {
	struct bench_pool *bp;
	size_t size;
	pthread_barrier_t start;
	atomic_int stop;
};

struct worker {
	pthread_t tid;
	struct run *run;
	unsigned long ops, failed;	/* failed: alloc returned 0 */
	double secs;
	int bad;			/* a free was refused: a library bug */
};

struct sample {
	double ops_per_s, ns_per_op, secs;
	unsigned long ops, failed;
};

struct options {
	double seconds;
	int reps;
	int threads[16];
	int nthreads;
	const char *json;
	int smoke;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "quick: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---------------------------------------------------------------------- */
/* The three pools                                                        */

static unsigned long bp_alloc(struct bench_pool *bp, size_t size)
{
	unsigned long addr;

	if (bp->kind != MUTEX)
		return gen_pool_alloc(bp->pool, size);
	pthread_mutex_lock(&bp->lock);
	addr = gen_pool_alloc(bp->pool, size);
	pthread_mutex_unlock(&bp->lock);
	return addr;
}

static int bp_free(struct bench_pool *bp, unsigned long addr, size_t size)
{
	int ret;

	if (bp->kind != MUTEX)
		return gen_pool_free(bp->pool, addr, size);
	pthread_mutex_lock(&bp->lock);
	ret = gen_pool_free(bp->pool, addr, size);
	pthread_mutex_unlock(&bp->lock);
	return ret;
}

static unsigned int next_rand(unsigned int *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/*
 * Half full, at random: take every granule, then give back a random half
 * (a seeded shuffle, so the three pools get the same layout).
 */
static void prefill(struct bench_pool *bp)
{
	unsigned long *all = malloc(POOL_GRANULES * sizeof(*all));
	unsigned int seed = PREFILL_SEED;
	size_t i, j, half = POOL_GRANULES / 2;
	unsigned long t;

	if (!all)
		die("malloc");
	for (i = 0; i < POOL_GRANULES; i++) {
		all[i] = gen_pool_alloc(bp->pool, GRANULE);
		if (!all[i])
			die("prefill alloc");
	}
	for (i = POOL_GRANULES - 1; i > 0; i--) {
		j = next_rand(&seed) % (i + 1);
		t = all[i];
		all[i] = all[j];
		all[j] = t;
	}
	for (i = half; i < POOL_GRANULES; i++)
		if (gen_pool_free(bp->pool, all[i], GRANULE))
			die("prefill free");
	bp->held = all;
	bp->nheld = half;
}

static void bp_create(struct bench_pool *bp, enum kind kind)
{
	int ret;

	bp->kind = kind;
	bp->pool = kind == SPINLOCK ? gen_pool_create_flags(POOL_ORDER, -1, GEN_POOL_SPINLOCK)
				    : gen_pool_create(POOL_ORDER, -1);
	if (!bp->pool)
		die("gen_pool_create");
	ret = gen_pool_add(bp->pool, POOL_BASE, POOL_SIZE, -1);
	if (ret) {
		errno = -ret;
		die("gen_pool_add");
	}
	pthread_mutex_init(&bp->lock, NULL);
	prefill(bp);
}

/* Give the prefill back; destroy must then succeed. */
static int bp_destroy(struct bench_pool *bp)
{
	int ret;

	for (size_t i = 0; i < bp->nheld; i++)
		if (gen_pool_free(bp->pool, bp->held[i], GRANULE))
			return -1;
	free(bp->held);
	if (gen_pool_avail(bp->pool) != gen_pool_size(bp->pool))
		return -1;
	ret = gen_pool_destroy(bp->pool);
	pthread_mutex_destroy(&bp->lock);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* One timed run                                                          */

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	struct bench_pool *bp = run->bp;
	size_t size = run->size;
	unsigned long addr, ops = 0, failed = 0;
	double t0;

	pthread_barrier_wait(&run->start);
	t0 = now();
	while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
		addr = bp_alloc(bp, size);
		if (!addr) {
			failed++;
			continue;
		}
		if (bp_free(bp, addr, size)) {
			w->bad = 1;
			break;
		}
		ops++;
	}
	w->secs = now() - t0;
	w->ops = ops;
	w->failed = failed;
	return NULL;
}

static struct sample run_once(struct bench_pool *bp, size_t size, int nthreads, double seconds)
{
	struct worker w[MAX_THREADS];
	struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	struct run run = { .bp = bp, .size = size };
	struct sample s = { 0 };
	size_t avail = gen_pool_avail(bp->pool);
	int i;

	atomic_init(&run.stop, 0);
	pthread_barrier_init(&run.start, NULL, (unsigned int)nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .run = &run };
		errno = pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
		if (errno)
			die("pthread_create");
	}
	pthread_barrier_wait(&run.start);
	nanosleep(&ts, NULL);
	atomic_store(&run.stop, 1);
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].bad) {
			fprintf(stderr, "quick: %s: a free was refused\n", kind_name[bp->kind]);
			exit(1);
		}
		s.ops += w[i].ops;
		s.failed += w[i].failed;
		if (w[i].secs > 0)
			s.ops_per_s += (double)w[i].ops / w[i].secs;
		if (w[i].secs > s.secs)
			s.secs = w[i].secs;
	}
	pthread_barrier_destroy(&run.start);
	/* Every thread freed what it took: the pool must be as it was. */
	if (gen_pool_avail(bp->pool) != avail) {
		fprintf(stderr, "quick: %s: avail changed from %zu to %zu over a run\n",
			kind_name[bp->kind], avail, gen_pool_avail(bp->pool));
		exit(1);
	}
	/* The time one thread spends on one alloc + free pair. */
	s.ns_per_op = s.ops_per_s > 0 ? 1e9 * nthreads / s.ops_per_s : 0;
	return s;
}

/* ---------------------------------------------------------------------- */
/* Results                                                                */

struct cell {
	struct sample *rep;	/* [reps] */
	double median_ops, median_ns;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void summarise(struct cell *c, int reps)
{
	double v[MAX_REPS];
	int r;

	for (r = 0; r < reps; r++)
		v[r] = c->rep[r].ops_per_s;
	c->median_ops = median(v, reps);
	for (r = 0; r < reps; r++)
		v[r] = c->rep[r].ns_per_op;
	c->median_ns = median(v, reps);
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void print_rate(double ops)
{
	if (ops >= 1e6)
		printf(" %8.2fM", ops / 1e6);
	else
		printf(" %8.1fk", ops / 1e3);
}

/* cells[size][thread index][kind] */
static void print_table(const struct options *o, struct cell (*cells)[16][NR_KINDS])
{
	printf("\n%-5s %4s |", "size", "thr");
	for (int k = 0; k < NR_KINDS; k++)
		printf(" %9s %7s |", kind_name[k], "ns/op");
	printf(" %7s %8s\n", "lf/spin", "lf/mutex");
	for (size_t s = 0; s < NR_SIZES; s++) {
		for (int t = 0; t < o->nthreads; t++) {
			struct cell *c = cells[s][t];

			printf("%3ugr  %3d |", sizes[s], o->threads[t]);
			for (int k = 0; k < NR_KINDS; k++) {
				print_rate(c[k].median_ops);
				printf(" %7.1f |", c[k].median_ns);
			}
			printf(" %6.2fx %7.2fx\n", ratio(c[LOCKFREE].median_ops, c[SPINLOCK].median_ops),
			       ratio(c[LOCKFREE].median_ops, c[MUTEX].median_ops));
		}
	}
	printf("\nops/s: median of %d runs (alloc+free pairs per second, all threads); "
	       "ns/op: per thread.\nlf/spin, lf/mutex: lock-free ops/s over the other's, "
	       "same process.\n", o->reps);
}

static void json_sample(FILE *f, const struct sample *s)
{
	fprintf(f, "{\"ops\": %lu, \"failed_allocs\": %lu, \"seconds\": %.6f, "
		"\"ops_per_s\": %.1f, \"ns_per_op\": %.3f}", s->ops, s->failed, s->secs,
		s->ops_per_s, s->ns_per_op);
}

static void write_json(const struct options *o, struct cell (*cells)[16][NR_KINDS])
{
	FILE *f = fopen(o->json, "w");
	char host[256] = "unknown", date[64];
	time_t stamp = time(NULL);

	if (!f)
		die(o->json);
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)	/* keep the JSON string trivially valid */
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '_';
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&stamp));

	fprintf(f, "{\n  \"benchmark\": \"quick\",\n  \"workload\": \"hot_pair\",\n");
	fprintf(f, "  \"date\": \"%s\",\n  \"host\": \"%s\",\n  \"cpus\": %ld,\n", date, host,
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "  \"genpool_version\": \"%d.%d.%d\",\n", GENPOOL_VERSION_MAJOR,
		GENPOOL_VERSION_MINOR, GENPOOL_VERSION_PATCH);
	fprintf(f, "  \"seconds_per_run\": %g,\n  \"reps\": %d,\n", o->seconds, o->reps);
	fprintf(f, "  \"pool\": {\"min_alloc_order\": %d, \"base\": %lu, \"size\": %lu, "
		"\"prefill_granules\": %lu},\n", POOL_ORDER, POOL_BASE, POOL_SIZE,
		POOL_GRANULES / 2);
	fprintf(f, "  \"results\": [\n");
	for (size_t s = 0; s < NR_SIZES; s++) {
		for (int t = 0; t < o->nthreads; t++) {
			struct cell *c = cells[s][t];
			int last = s == NR_SIZES - 1 && t == o->nthreads - 1;

			fprintf(f, "    {\"size_granules\": %u, \"size_bytes\": %lu, "
				"\"threads\": %d,\n", sizes[s], sizes[s] * GRANULE, o->threads[t]);
			for (int k = 0; k < NR_KINDS; k++) {
				fprintf(f, "     \"%s\": {\"median_ops_per_s\": %.1f, "
					"\"median_ns_per_op\": %.3f, \"reps\": [",
					kind_name[k], c[k].median_ops, c[k].median_ns);
				for (int r = 0; r < o->reps; r++) {
					fprintf(f, r ? ", " : "");
					json_sample(f, &c[k].rep[r]);
				}
				fprintf(f, "]},\n");
			}
			fprintf(f, "     \"lockfree_over_spinlock\": %.4f, "
				"\"lockfree_over_mutex\": %.4f}%s\n",
				ratio(c[LOCKFREE].median_ops, c[SPINLOCK].median_ops),
				ratio(c[LOCKFREE].median_ops, c[MUTEX].median_ops), last ? "" : ",");
		}
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f))
		die(o->json);
}

/* ---------------------------------------------------------------------- */
/* Options                                                                */

static void usage(FILE *f)
{
	fprintf(f, "usage: quick [--seconds S] [--reps R] [--threads 1,2,4] [--json FILE] [--smoke]\n"
		   "  --seconds S    length of one timed run (default 0.3)\n"
		   "  --reps R       runs per configuration; the table shows the median (default 5)\n"
		   "  --threads LIST thread counts, comma separated (default 1,2,4)\n"
		   "  --json FILE    also write every run's numbers to FILE\n"
		   "  --smoke        tiny runs, to check the benchmark works (a test)\n");
}

static int parse_threads(struct options *o, const char *arg)
{
	char *end;
	long v;

	o->nthreads = 0;
	do {
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || v < 1 || v > MAX_THREADS || o->nthreads == 16)
			return -1;
		o->threads[o->nthreads++] = (int)v;
		arg = end + 1;
	} while (*end == ',');
	return *end ? -1 : 0;
}

static void parse_options(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "json", required_argument, NULL, 'j' },
		{ "smoke", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, given = 0;	/* bits: 1 seconds, 2 reps, 4 threads */
	char *end;

	*o = (struct options){ .seconds = 0.3, .reps = 5, .threads = { 1, 2, 4 }, .nthreads = 3 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->seconds = strtod(optarg, &end);
			if (*end || !(o->seconds > 0 && o->seconds <= 60))
				goto bad;
			given |= 1;
			break;
		case 'r':
			o->reps = (int)strtol(optarg, &end, 10);
			if (*end || o->reps < 1 || o->reps > MAX_REPS)
				goto bad;
			given |= 2;
			break;
		case 't':
			if (parse_threads(o, optarg))
				goto bad;
			given |= 4;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'S':
			o->smoke = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	/* --smoke shortens what was not asked for explicitly. */
	if (o->smoke && !(given & 1))
		o->seconds = 0.02;
	if (o->smoke && !(given & 2))
		o->reps = 1;
	if (o->smoke && !(given & 4)) {
		o->threads[0] = 1;
		o->threads[1] = 2;
		o->nthreads = 2;
	}
	return;
bad:
	usage(stderr);
	exit(2);
}

/* ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static struct cell cells[NR_SIZES][16][NR_KINDS];
	struct bench_pool pools[NR_KINDS];
	struct options o;
	int k, r, t, progress;

	parse_options(&o, argc, argv);
	for (k = 0; k < NR_KINDS; k++)
		bp_create(&pools[k], (enum kind)k);

	printf("genpool quick: hot pair (alloc+free of one size), lock-free vs spinlock vs mutex\n");
	printf("pool: %lu MiB address-only chunk, %lu-byte granules, %lu of %lu granules "
	       "held at random\n", POOL_SIZE >> 20, GRANULE, POOL_GRANULES / 2, POOL_GRANULES);
	printf("runs: %.2f s each, %d per configuration, %ld CPUs online\n", o.seconds, o.reps,
	       sysconf(_SC_NPROCESSORS_ONLN));
	fflush(stdout);
	progress = isatty(STDERR_FILENO);

	/* Warm up caches, page tables and urcu's thread registration. */
	for (k = 0; k < NR_KINDS; k++)
		run_once(&pools[k], GRANULE, 1, o.seconds < 0.05 ? o.seconds : 0.05);

	for (size_t s = 0; s < NR_SIZES; s++) {
		for (t = 0; t < o.nthreads; t++) {
			struct cell *c = cells[s][t];

			for (k = 0; k < NR_KINDS; k++) {
				c[k].rep = calloc((size_t)o.reps, sizeof(*c[k].rep));
				if (!c[k].rep)
					die("calloc");
			}
			/* Interleave the pools, rotating who goes first. */
			for (r = 0; r < o.reps; r++)
				for (int i = 0; i < NR_KINDS; i++) {
					k = (r + i) % NR_KINDS;
					c[k].rep[r] = run_once(&pools[k], sizes[s] * GRANULE,
							       o.threads[t], o.seconds);
				}
			for (k = 0; k < NR_KINDS; k++)
				summarise(&c[k], o.reps);
			if (progress)
				fprintf(stderr, ".");
		}
	}
	if (progress)
		fprintf(stderr, "\n");

	print_table(&o, cells);
	if (o.json) {
		write_json(&o, cells);
		printf("json: %s\n", o.json);
	}
	for (k = 0; k < NR_KINDS; k++)
		if (bp_destroy(&pools[k])) {
			fprintf(stderr, "quick: %s: pool did not come back whole\n", kind_name[k]);
			return 1;
		}
	return 0;
}
