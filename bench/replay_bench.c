// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * replay_bench.c - the real-trace replay benchmark (issue 10 part 5): every
 * trace (bench/traces/, decompressed by scripts/bench) replayed on one
 * thread in its recorded order against genpool first fit, best fit,
 * scalable fit and the cache pool, glibc and jemalloc, at 64-byte and
 * 16-byte granules.
 *
 * usage: replay_bench --out FILE.json [--reps N] [--filter REGEX] TRACE...
 *
 * Every allocator gets the same requests: the bytes asked rounded up to
 * the granule (a request of g granules is g << order bytes for everyone,
 * as in gbench), a realloc as an allocation then a free. genpool replays
 * into a fresh pool sized for the trace's peak plus 100 % (tools/
 * replay_pool.h), built anew for each repetition; the general-purpose
 * allocators use their process-wide heaps. Repetitions are interleaved
 * over the allocators so that machine drift hits all alike; each
 * repetition's ns per op is the replay's wall time over its ops, and the
 * JSON has each repetition and the median. Before timing, each genpool
 * configuration is replayed once with the checks of tools/replay_check.c
 * (shadow map, no overlap, failures named, pool whole at the end): the
 * "clean" field. Names are replay/<trace>/<alloc>/<granule bytes>, which
 * --filter matches (POSIX extended regex).
 *
 * Single-threaded.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "harness.h"
#include "replay_pool.h"

#define MAX_REPS 100
static const int orders[] = { 6, 4 };

enum kind { K_GENPOOL, K_MALLOC };

struct contender {
	const char *name;
	enum kind kind;
	struct replay_pool_cfg cfg;	/* K_GENPOOL */
	const struct bench_alloc *ba;	/* K_MALLOC */
	bool usable;
	char why[200];
};

static struct contender contenders[] = {
	{ .name = "genpool_first", .kind = K_GENPOOL, .cfg = { .algo = RA_FIRST, .slack_pct = 100 } },
	{ .name = "genpool_best", .kind = K_GENPOOL, .cfg = { .algo = RA_BEST, .slack_pct = 100 } },
	{ .name = "genpool_scalable", .kind = K_GENPOOL,
	  .cfg = { .algo = RA_SCALABLE, .slack_pct = 100 } },
	{ .name = "genpool_cache", .kind = K_GENPOOL,
	  .cfg = { .algo = RA_FIRST, .cache = true, .slack_pct = 100 } },
	{ .name = "glibc", .kind = K_MALLOC, .ba = &ba_glibc },
	{ .name = "jemalloc", .kind = K_MALLOC, .ba = &ba_jemalloc },
};
#define NCONT (sizeof(contenders) / sizeof(contenders[0]))

/* A general-purpose allocator behind struct replay_alloc, sizes in granules. */
struct malloc_ctx {
	const struct bench_alloc *ba;
	void *ctx;
	int order;
};

static size_t rounded(const struct malloc_ctx *m, size_t bytes)
{
	return (size_t)replay_granules(bytes, m->order) << m->order;
}

static uintptr_t m_alloc(void *ctx, size_t bytes, size_t align)
{
	struct malloc_ctx *m = ctx;

	if (align > ((size_t)1 << m->order) && m->ba->alloc_aligned)
		return m->ba->alloc_aligned(m->ctx, rounded(m, bytes), align);
	return m->ba->alloc(m->ctx, rounded(m, bytes));
}

static int m_free(void *ctx, uintptr_t addr, size_t bytes)
{
	struct malloc_ctx *m = ctx;

	return m->ba->free(m->ctx, addr, rounded(m, bytes));
}

struct cell {	/* one trace x contender x granule */
	char name[160];
	double ns[MAX_REPS];
	int reps;
	size_t ops, failed;
	bool checked;
	struct replay_report check;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_REPS];

	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* One timed repetition; 0, or -1 with @err. */
static int time_once(const struct replay_prog *p, struct contender *c, int order,
		     struct cell *cell, char *err, size_t errlen)
{
	struct replay_result res;
	struct replay_alloc a;
	struct replay_pool rp;
	struct malloc_ctx m = { .ba = c->ba, .order = order };
	struct bench_region r = { .order = order };
	struct replay_pool_cfg cfg = c->cfg;
	int rc;

	cfg.order = order;
	if (c->kind == K_GENPOOL) {
		if (replay_pool_create(&rp, p, &cfg, true, err, errlen))
			return -1;
		replay_pool_alloc_ops(&rp, &a);
	} else {
		m.ctx = c->ba->init(&r);
		if (!m.ctx)
			return snprintf(err, errlen, "%s: init failed", c->name), -1;
		a = (struct replay_alloc){ .ctx = &m, .alloc = m_alloc, .free = m_free,
					   .thread_init = NULL };
		if (c->ba->thread_init)
			c->ba->thread_init(m.ctx);
	}
	rc = replay_run(p, &a, 1, &res, false, NULL);
	if (c->kind == K_GENPOOL)
		replay_pool_destroy(&rp);
	else if (c->ba->destroy)
		c->ba->destroy(m.ctx);
	if (rc)
		return snprintf(err, errlen, "replay_run failed"), -1;
	cell->ns[cell->reps++] = res.ops ? (double)res.elapsed_ns / (double)res.ops : 0;
	cell->ops = res.ops;
	cell->failed = res.failed;
	return 0;
}

struct trace_in {
	const char *path;
	char name[64];
	struct gp_trace t;
	struct replay_prog p;
};

static void trace_name(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');

	snprintf(out, len, "%s", b ? b + 1 : path);
	if (strchr(out, '.'))
		*strchr(out, '.') = '\0';
}

static void json_cell(FILE *f, const struct trace_in *tr, const struct contender *c, int order,
		      const struct cell *cell, bool first)
{
	fprintf(f, "%s\n  {\"name\": \"%s\", \"trace\": \"%s\", \"alloc\": \"%s\", "
		"\"granule\": %d, \"ops\": %zu, \"failed\": %zu, \"repetitions\": %d, "
		"\"ns_per_op\": [", first ? "" : ",", cell->name, tr->name, c->name, 1 << order,
		cell->ops, cell->failed, cell->reps);
	for (int i = 0; i < cell->reps; i++)
		fprintf(f, "%s%.3f", i ? ", " : "", cell->ns[i]);
	fprintf(f, "], \"median_ns_per_op\": %.3f", cell->reps ? median(cell->ns, cell->reps) : -1);
	if (cell->checked) {
		const struct replay_report *r = &cell->check;

		fprintf(f, ", \"clean\": %s, \"failed_new\": %zu, \"overlaps\": %zu, "
			"\"refused_frees\": %zu, \"whole_at_end\": %s, \"frag_at_peak\": %.6f, "
			"\"peak_used_bytes\": %llu, \"pool_bytes\": %llu",
			replay_clean(r) ? "true" : "false", r->failed_new, r->overlaps,
			r->refused_frees, r->whole_at_end ? "true" : "false", r->frag_at_peak,
			(unsigned long long)r->peak_used_bytes, (unsigned long long)r->pool_bytes);
	} else {
		fprintf(f, ", \"clean\": %s", cell->failed ? "false" : "true");
	}
	fputc('}', f);
}

struct opts {
	const char *out;
	int reps;
	regex_t re;
	bool filtered;
	int ntraces;
	char **traces;
};

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .reps = 5 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			o->out = argv[++i];
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			o->reps = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--filter") && i + 1 < argc) {
			if (regcomp(&o->re, argv[++i], REG_EXTENDED | REG_NOSUB))
				return fprintf(stderr, "replay_bench: bad --filter\n"), -1;
			o->filtered = true;
		} else if (argv[i][0] == '-') {
			return fprintf(stderr, "replay_bench: unknown argument %s\n", argv[i]), -1;
		} else {
			o->traces = &argv[i];
			o->ntraces = argc - i;
			break;
		}
	}
	if (!o->out || o->reps < 1 || o->reps > MAX_REPS || !o->ntraces)
		return fprintf(stderr, "usage: replay_bench --out FILE.json [--reps 1..%d] "
			       "[--filter REGEX] TRACE...\n", MAX_REPS), -1;
	return 0;
}

#define NORD (sizeof(orders) / sizeof(orders[0]))

static struct cell *cell_at(struct cell *cells, int t, size_t o, size_t c)
{
	return &cells[((size_t)t * NORD + o) * NCONT + c];
}

static bool selected(const struct opts *o, struct cell *cell, const struct contender *c)
{
	return c->usable && (!o->filtered || !regexec(&o->re, cell->name, 0, NULL, 0));
}

/* The checked replays (genpool only), once per cell, before any timing. */
static int check_all(const struct opts *o, struct trace_in *tr, struct cell *cells)
{
	char err[400];

	for (int t = 0; t < o->ntraces; t++)
		for (size_t k = 0; k < NORD; k++)
			for (size_t c = 0; c < NCONT; c++) {
				struct cell *cell = cell_at(cells, t, k, c);
				struct replay_pool_cfg cfg = contenders[c].cfg;

				if (contenders[c].kind != K_GENPOOL || !selected(o, cell, &contenders[c]))
					continue;
				cfg.order = orders[k];
				if (replay_check(&tr[t].p, &cfg, &cell->check, NULL, stderr,
						 err, sizeof(err)))
					return fprintf(stderr, "replay_bench: %s: %s\n", cell->name, err), -1;
				cell->checked = true;
				if (!replay_clean(&cell->check))
					fprintf(stderr, "replay_bench: %s NOT clean: %s\n", cell->name,
						cell->check.first_failure);
			}
	return 0;
}

static int time_all(const struct opts *o, struct trace_in *tr, struct cell *cells)
{
	char err[400];

	for (int rep = 0; rep < o->reps; rep++) {
		fprintf(stderr, "replay_bench: repetition %d of %d\n", rep + 1, o->reps);
		for (int t = 0; t < o->ntraces; t++)
			for (size_t k = 0; k < NORD; k++)
				for (size_t c = 0; c < NCONT; c++) {
					struct cell *cell = cell_at(cells, t, k, c);

					if (!selected(o, cell, &contenders[c]))
						continue;
					if (time_once(&tr[t].p, &contenders[c], orders[k], cell, err,
						      sizeof(err)))
						return fprintf(stderr, "replay_bench: %s: %s\n",
							       cell->name, err), -1;
				}
	}
	return 0;
}

static int write_json(const struct opts *o, struct trace_in *tr, struct cell *cells)
{
	FILE *f = fopen(o->out, "w");
	bool first = true;

	if (!f)
		return perror(o->out), -1;
	fprintf(f, "{\"what\": \"real-trace replay, one thread, recorded order; sizes rounded up "
		"to the granule for every allocator; ns_per_op = wall time / (allocs + frees)\",\n"
		" \"allocators\": {");
	for (size_t c = 0; c < NCONT; c++)
		fprintf(f, "%s\"%s\": \"%s\"", c ? ", " : "", contenders[c].name,
			contenders[c].usable ? "ok" : contenders[c].why);
	fprintf(f, "},\n \"traces\": [");
	for (int t = 0; t < o->ntraces; t++)
		fprintf(f, "%s\n  {\"name\": \"%s\", \"program\": \"%.24s\", \"events\": %zu, "
			"\"threads\": %u, \"allocs\": %zu, \"frees\": %zu, \"reallocs\": %zu, "
			"\"peak_live_bytes\": %llu}", t ? "," : "", tr[t].name, tr[t].t.hdr.name,
			tr[t].t.n, tr[t].p.nthreads, tr[t].p.nallocs, tr[t].p.nfrees,
			tr[t].p.nreallocs, (unsigned long long)tr[t].p.peak_live_bytes);
	fprintf(f, "],\n \"runs\": [");
	for (int t = 0; t < o->ntraces; t++)
		for (size_t k = 0; k < NORD; k++)
			for (size_t c = 0; c < NCONT; c++) {
				struct cell *cell = cell_at(cells, t, k, c);

				if (!cell->reps)
					continue;
				json_cell(f, &tr[t], &contenders[c], orders[k], cell, first);
				first = false;
			}
	fprintf(f, "]}\n");
	return fclose(f) ? -1 : 0;
}

static int load_traces(const struct opts *o, struct trace_in *tr)
{
	char err[512];

	for (int t = 0; t < o->ntraces; t++) {
		tr[t].path = o->traces[t];
		trace_name(tr[t].path, tr[t].name, sizeof(tr[t].name));
		if (gp_trace_load(tr[t].path, &tr[t].t, err, sizeof(err)) ||
		    replay_prog_build(&tr[t].t, &tr[t].p, err, sizeof(err)))
			return fprintf(stderr, "replay_bench: %s\n", err), -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct trace_in *tr;
	struct cell *cells;
	struct opts o;
	int rc = 1;

	bench_reexec_for_tls(argv);	/* room for jemalloc's TLS (reexec.c) */
	if (parse(argc, argv, &o))
		return 2;
	tr = calloc((size_t)o.ntraces, sizeof(*tr));
	cells = calloc((size_t)o.ntraces * NORD * NCONT, sizeof(*cells));
	if (!tr || !cells || load_traces(&o, tr))
		return 1;
	for (size_t c = 0; c < NCONT; c++)
		contenders[c].usable = contenders[c].kind == K_GENPOOL || !contenders[c].ba->probe ||
			!contenders[c].ba->probe(contenders[c].why, sizeof(contenders[c].why));
	for (int t = 0; t < o.ntraces; t++)
		for (size_t k = 0; k < NORD; k++)
			for (size_t c = 0; c < NCONT; c++)
				snprintf(cell_at(cells, t, k, c)->name, sizeof(cells->name),
					 "replay/%s/%s/%d", tr[t].name, contenders[c].name,
					 1 << orders[k]);
	if (!check_all(&o, tr, cells) && !time_all(&o, tr, cells) && !write_json(&o, tr, cells))
		rc = 0;
	for (int t = 0; t < o.ntraces; t++) {
		replay_prog_free(&tr[t].p);
		gp_trace_free(&tr[t].t);
	}
	free(tr);
	free(cells);
	return rc;
}
