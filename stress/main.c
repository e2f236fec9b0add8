// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * main.c - genpool_stress: options, one run per configuration, the report.
 *
 *   genpool_stress [--threads N] [--seconds S] [--ops N] [--seed X]
 *                  [--algo NAME|all] [--order N]
 *                  [--pool lockfree|spinlock|strict|cache|ticket|mcs|all]
 *                  [--mode mem|top|all] [--checkpoint S] [--watchdog S]
 *                  [--stop-on-failure] [--inject-hang]
 *
 * --inject-hang makes every worker stop after 1000 operations and never
 * return, to show that the watchdog fails such a run (suite stress).
 *
 * Each selected pool kind is run in each selected memory mode, for --seconds
 * (or --ops operations, whichever ends first). The seed picks every random
 * choice of every thread, and is printed so a run can be replayed (the
 * interleaving of threads is of course the scheduler's). Each run prints a
 * summary line and one JSON line; the exit status is 0 only when every run
 * had no overlap, no pattern mismatch, no checkpoint failure, no watchdog
 * trip and no other failure; 2 means bad options or setup.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

struct st_run st;

static const char *const fail_names[ST_NFAIL] = {
	"overlaps", "pattern_mismatches", "checkpoint_failures", "watchdog_trips", "other_failures",
};

static const struct {
	const char *name;
	unsigned int flags;
} kinds[] = {
	{ "lock-free", 0 },
	{ "spinlock", GEN_POOL_SPINLOCK },
	{ "strict", GEN_POOL_STRICT },
	{ "cache", GEN_POOL_THREAD_CACHE },
	{ "ticket", GEN_POOL_LOCK_TICKET },
	{ "mcs", GEN_POOL_LOCK_MCS },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

double st_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t st_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL); /* splitmix64 */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void st_fail(enum st_fail kind, const char *fmt, ...)
{
	static unsigned long messages;
	va_list ap;

	__atomic_add_fetch(&st.fails[kind], 1, __ATOMIC_RELAXED);
	if (st.cfg.stop_on_failure)
		__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&messages, 1, __ATOMIC_RELAXED) >= ST_MAX_MESSAGES)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "genpool_stress: %s: ", fail_names[kind]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void on_refusal(int err, const char *msg, void *arg)
{
	(void)arg;
	if (!st_refusal_expected())
		st_fail(ST_OTHER, "unexpected refusal (%d): %s", err, msg);
}

static struct st_counters total_counters(void)
{
	struct st_counters sum = { 0 };

	for (unsigned int t = 0; t < st.cfg.threads; t++) {
		const struct st_counters *n = &st.workers[t].n;

		sum.ops += n->ops;
		sum.allocs += n->allocs;
		sum.frees += n->frees;
		sum.passes += n->passes;
		sum.queries += n->queries;
		sum.refusals += n->refusals;
		sum.enomem += n->enomem;
		sum.adds += n->adds;
	}
	return sum;
}

static unsigned long failures(void)
{
	unsigned long f = 0;

	for (int k = 0; k < ST_NFAIL; k++)
		f += __atomic_load_n(&st.fails[k], __ATOMIC_RELAXED);
	return f;
}

void st_report(void)
{
	struct st_counters n = total_counters();
	const char *mode = st.cfg.mode == ST_MEM ? "mem" : "top";
	const char *algo = st.cfg.algo < 0 ? "all" : st_algos[st.cfg.algo].name;
	double secs = st_now() - st.start;

	printf("genpool_stress: %s/%s, %u threads, %.1f s: %lu ops verified (%lu allocs, "
	       "%lu frees, %lu passed, %lu queries, %lu refused, %lu ENOMEM, %lu chunks "
	       "added), %lu checkpoints; %lu overlaps, %lu pattern mismatches, %lu checkpoint "
	       "failures, %lu watchdog trips, %lu other failures\n",
	       st.cfg.kind, mode, st.cfg.threads, secs, n.ops, n.allocs, n.frees, n.passes,
	       n.queries, n.refusals, n.enomem, n.adds, st.checkpoints, st.fails[ST_OVERLAP],
	       st.fails[ST_PATTERN], st.fails[ST_CHECKPOINT], st.fails[ST_WATCHDOG],
	       st.fails[ST_OTHER]);
	printf("{\"pool\":\"%s\",\"mode\":\"%s\",\"algo\":\"%s\",\"order\":%d,\"threads\":%u,"
	       "\"seconds\":%.2f,\"seed\":%" PRIu64 ",\"ops_verified\":%lu,\"allocs\":%lu,"
	       "\"frees\":%lu,\"passes\":%lu,\"queries\":%lu,\"refusals\":%lu,\"enomem\":%lu,"
	       "\"chunks_added\":%lu,\"checkpoints\":%lu",
	       st.cfg.kind, mode, algo, st.cfg.order, st.cfg.threads, secs, st.cfg.seed, n.ops,
	       n.allocs, n.frees, n.passes, n.queries, n.refusals, n.enomem, n.adds,
	       st.checkpoints);
	for (int k = 0; k < ST_NFAIL; k++)
		printf(",\"%s\":%lu", fail_names[k], st.fails[k]);
	printf("}\n");
	fflush(stdout);
}

/* Free what is still in the exchange slots, on behalf of its sender. */
static void drain_slots(void)
{
	for (unsigned int s = 0; s < ST_NSLOTS; s++) {
		struct st_range *r = st.slots[s];

		if (!r)
			continue;
		st_range_free(&st.workers[0], r);
		free(r);
		st.slots[s] = NULL;
	}
}

static void start_workers(unsigned int run_index)
{
	for (unsigned int t = 0; t < st.cfg.threads; t++) {
		struct st_worker *w = &st.workers[t];

		memset(w, 0, sizeof(*w));
		w->id = t;
		w->rng = st.cfg.seed ^ ((uint64_t)run_index << 48) ^ ((uint64_t)t << 32);
		if (pthread_create(&w->thread, NULL, st_worker_main, w)) {
			perror("genpool_stress: pthread_create");
			exit(2);
		}
	}
}

/* One configuration; returns its failure count. */
static unsigned long run_one(const struct st_config *cfg, unsigned int run_index)
{
	int err;

	memset(&st, 0, sizeof(st));
	st.cfg = *cfg;
	st.granule = 1UL << cfg->order;
	st.pool = gen_pool_create_flags(cfg->order, -1, cfg->flags);
	if (!st.pool || st_region_setup()) {
		fprintf(stderr, "genpool_stress: cannot set up the pool: %s\n", strerror(errno));
		exit(2);
	}
	st.start = st_now();
	st.deadline = st.start + cfg->seconds;
	st_park_init();
	start_workers(run_index);
	st_watchdog_start(); /* after the workers' counters are set up */
	st_controller_loop();
	for (unsigned int t = 0; t < cfg->threads; t++)
		pthread_join(st.workers[t].thread, NULL);
	drain_slots();
	st_checkpoint(true);
	st_watchdog_stop();
	err = gen_pool_destroy(st.pool);
	if (err)
		st_fail(ST_OTHER, "gen_pool_destroy returned %d", err);
	st_region_teardown();
	st_report();
	return failures();
}

static void usage(FILE *f)
{
	fprintf(f, "usage: genpool_stress [--threads N] [--seconds S] [--ops N] [--seed X]\n"
		   "         [--algo first_fit|best_fit|first_fit_align|first_fit_order_align|"
		   "fixed|scalable_fit|dma|all]\n"
		   "         [--order N] [--pool lockfree|spinlock|strict|cache|ticket|mcs|all]\n"
		   "         [--mode mem|top|all]\n"
		   "         [--checkpoint S] [--watchdog S] [--stop-on-failure] [--inject-hang]\n");
}

static int pick(const char *arg, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(arg, names[i]))
			return i;
	return strcmp(arg, "all") ? -2 : -1;
}

static int pick_algo(const char *arg)
{
	const char *names[16];

	for (unsigned int i = 0; i < st_nalgos; i++)
		names[i] = st_algos[i].name;
	return pick(arg, names, (int)st_nalgos);
}

struct options {
	struct st_config cfg;
	int pool, mode; /* -1 = all */
};

static void bad(const char *what)
{
	fprintf(stderr, "genpool_stress: %s\n", what);
	usage(stderr);
	exit(2);
}

static void parse(int argc, char **argv, struct options *o)
{
	static const char *const pools[] = { "lockfree", "spinlock", "strict", "cache", "ticket",
					     "mcs" };
	static const char *const modes[] = { "mem", "top" };
	static const struct option longopts[] = {
		{ "threads", 1, NULL, 't' }, { "seconds", 1, NULL, 's' },
		{ "ops", 1, NULL, 'n' },     { "seed", 1, NULL, 'S' },
		{ "algo", 1, NULL, 'a' },    { "order", 1, NULL, 'o' },
		{ "pool", 1, NULL, 'p' },    { "mode", 1, NULL, 'm' },
		{ "checkpoint", 1, NULL, 'c' }, { "watchdog", 1, NULL, 'w' },
		{ "stop-on-failure", 0, NULL, 'f' }, { "inject-hang", 0, NULL, 'H' }, { "help", 0, NULL, 'h' },    { NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 't': o->cfg.threads = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 's': o->cfg.seconds = strtod(optarg, NULL); break;
		case 'n': o->cfg.ops = strtoul(optarg, NULL, 0); break;
		case 'S': o->cfg.seed = strtoull(optarg, NULL, 0); break;
		case 'a': o->cfg.algo = pick_algo(optarg); break;
		case 'o': o->cfg.order = atoi(optarg); break;
		case 'p': o->pool = pick(optarg, pools, NKINDS); break;
		case 'm': o->mode = pick(optarg, modes, 2); break;
		case 'c': o->cfg.checkpoint_every = strtod(optarg, NULL); break;
		case 'w': o->cfg.watchdog = strtod(optarg, NULL); break;
		case 'f': o->cfg.stop_on_failure = true; break;
		case 'H': o->cfg.inject_hang = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc)
		bad("unexpected argument");
	if (o->cfg.threads < 1 || o->cfg.threads > ST_MAX_THREADS)
		bad("--threads must be 1..64");
	if (o->cfg.algo < -1 || o->pool < -1 || o->mode < -1)
		bad("unknown --algo, --pool or --mode");
	if (o->cfg.order < 0 || o->cfg.order > (o->mode == 1 ? 32 : 12))
		bad("--order must be 0..12 (0..32 with --mode top)");
	if (!(o->cfg.seconds > 0) || !(o->cfg.checkpoint_every > 0) || !(o->cfg.watchdog > 0))
		bad("--seconds, --checkpoint and --watchdog must be > 0");
}

int main(int argc, char **argv)
{
	struct options o = {
		.cfg = { .threads = 4, .seconds = 2, .algo = -1, .order = 6,
			 .seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)clock(),
			 .checkpoint_every = 0.25, .watchdog = 10 },
		.pool = -1, .mode = -1,
	};
	unsigned long failed = 0;
	unsigned int run_index = 0;

	parse(argc, argv, &o);
	printf("genpool_stress: seed %" PRIu64 " (replay with --seed %" PRIu64 ")\n", o.cfg.seed,
	       o.cfg.seed);
	gen_pool_set_error_handler(on_refusal, NULL);
	for (int m = 0; m < 2; m++) {
		if (o.mode >= 0 && m != o.mode)
			continue;
		for (int k = 0; k < (int)NKINDS; k++) {
			struct st_config cfg = o.cfg;

			if (o.pool >= 0 && k != o.pool)
				continue;
			cfg.kind = kinds[k].name;
			cfg.flags = kinds[k].flags;
			cfg.mode = m ? ST_TOP : ST_MEM;
			failed += run_one(&cfg, run_index++);
		}
	}
	if (failed)
		fprintf(stderr, "genpool_stress: FAILED (%lu failures; seed %" PRIu64 ")\n", failed,
			o.cfg.seed);
	return failed ? 1 : 0;
}
