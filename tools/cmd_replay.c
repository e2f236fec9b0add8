// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_replay.c - `genpool replay`: the checked replay (replay_check) into
 * a fresh pool, then a timed replay (replay_run) of the same program,
 * single-threaded in the recorded interleaving or over --threads N. With
 * N > 1 the final occupancy is compared with the log's: the ranges still
 * live at the end must add up to what the log left live.
 *
 * Concurrency: the timed run's workers (replay_run); the rest is one thread.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "replay_pool.h"

static const char usage_replay[] =
	"Usage: genpool replay [OPTIONS] LOG\n"
	"Replay a trace into a fresh genpool pool and report the time per operation,\n"
	"failures and fragmentation at the log's peak, against what the log recorded.\n"
	"Every range is checked against a shadow map (no overlap, in a chunk,\n"
	"aligned); an allocation that fails here but succeeded in the log is named\n"
	"(event, thread, size, pool state) and makes the exit status 1.\n"
	"  --algo A      first (default), best, scalable, or align:BYTES\n"
	"  --cache       a GEN_POOL_THREAD_CACHE pool\n"
	"  --order N     granule order (default: the pool log's; 6 for malloc traces)\n"
	"  --slack PCT   malloc traces: pool size = peak + PCT %% (default 100)\n"
	"  --threads N   timed replay on N threads (recorded thread t on (t-1) %% N);\n"
	"                the final occupancy must then match the log's\n"
	"  --json        one JSON object on stdout instead of text\n"
	"  --help        this text\n";

struct replay_opts {
	struct replay_pool_cfg cfg;
	long threads;
	bool json;
};

static int parse_opts(int argc, char **argv, struct replay_opts *o)
{
	static const struct option opts[] = {
		{ "algo", required_argument, NULL, 'a' },
		{ "cache", no_argument, NULL, 'c' },
		{ "order", required_argument, NULL, 'o' },
		{ "slack", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	*o = (struct replay_opts){ .cfg = { .order = -1, .slack_pct = 100 }, .threads = 1 };
	while ((c = tool_getopt("replay", argc, argv, "a:co:s:t:jh", opts)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_replay, stdout);
			return 0;
		case 'a':
			if (replay_parse_algo(optarg, &o->cfg))
				return bad_input("replay", "unknown algorithm '%s' (first, best, "
						 "scalable, align:BYTES)", optarg);
			break;
		case 'c': o->cfg.cache = true; break;
		case 'j': o->json = true; break;
		case 'o':
			if (parse_num("replay", "--order", optarg, 0, 30, &v))
				return EXIT_BADINPUT;
			o->cfg.order = (int)v;
			break;
		case 's':
			if (parse_num("replay", "--slack", optarg, 0, 10000, &v))
				return EXIT_BADINPUT;
			o->cfg.slack_pct = (unsigned int)v;
			break;
		case 't':
			if (parse_num("replay", "--threads", optarg, 1, 1024, &o->threads))
				return EXIT_BADINPUT;
			break;
		default:
			return EXIT_BADINPUT;
		}
	}
	if (optind != argc - 1)
		return bad_input("replay", "wants exactly one LOG (see genpool replay --help)");
	return -1;	/* go on */
}

struct timed {
	struct replay_result res;
	uint64_t end_used_bytes;	/* pool bytes held at the end */
	bool ran;
};

/* The timed run; with threads, the final occupancy against the log's. */
static int timed_run(const struct replay_prog *p, const struct replay_opts *o, struct timed *tm,
		     char *err, size_t errlen)
{
	struct replay_pool rp;
	struct replay_alloc a;
	uintptr_t *live = NULL;

	if (replay_pool_create(&rp, p, &o->cfg, true, err, errlen))
		return -1;
	replay_pool_alloc_ops(&rp, &a);
	if (replay_run(p, &a, (unsigned int)o->threads, &tm->res, true, &live)) {
		snprintf(err, errlen, "cannot start %ld replay threads", o->threads);
		free(live);
		replay_pool_destroy(&rp);
		return -1;
	}
	gen_pool_cache_flush(rp.pool);	/* the workers' caches went back at their exit */
	tm->end_used_bytes = gen_pool_size(rp.pool) - gen_pool_avail(rp.pool);
	for (uint32_t s = 0; s < p->nslots; s++)
		if (live[s])
			replay_pool_free(&rp, live[s], p->slot_size[s]);
	free(live);
	replay_pool_destroy(&rp);
	tm->ran = true;
	return 0;
}

/* The log's own live set at the end, in granules of @order, as bytes. */
static uint64_t log_end_granule_bytes(const struct replay_prog *p, int order)
{
	bool *freed = calloc(p->nslots ? p->nslots : 1, 1);
	uint64_t bytes = 0;

	if (!freed)
		return 0;
	for (size_t i = 0; i < p->nops; i++)
		if (p->op[i].kind == RO_FREE)
			freed[p->op[i].slot] = true;
	for (uint32_t s = 0; s < p->nslots; s++) {
		uint64_t g = freed[s] ? 0 : replay_granules(p->slot_size[s], order);

		if (g > (UINT64_MAX - bytes) >> order) {	/* a corrupt log's sizes */
			bytes = UINT64_MAX;
			break;
		}
		bytes += g << order;
	}
	free(freed);
	return bytes;
}

static void print_text(const char *path, const char *algo, const struct replay_prog *p,
		       const struct replay_report *r, const struct timed *tm, uint64_t log_end,
		       long threads)
{
	char a[32], b[32];

	printf("replay:    %s, %s fit pool, %d B granules, %s\n", path, algo, 1 << r->order,
	       human_bytes(r->pool_bytes, a, sizeof(a)));
	printf("events:    %zu ops (%zu allocs, %zu frees)\n", r->ops, r->allocs, r->frees);
	printf("time/op:   %.1f ns (%ld thread%s); checked pass %.1f ns\n",
	       tm->res.ops ? (double)tm->res.elapsed_ns / (double)tm->res.ops : 0.0,
	       threads, threads > 1 ? "s" : "", r->ns_per_op);
	printf("failures:  %zu new (succeeded in the log), %zu as in the log, "
	       "%zu succeeded here that failed in the log\n", r->failed_new, r->failed_both,
	       r->succeeded_new);
	printf("peak:      %s of pool used at the log's peak (%s asked), fragmentation %.1f %%",
	       human_bytes(r->peak_used_bytes, a, sizeof(a)),
	       human_bytes(p->peak_live_bytes, b, sizeof(b)), 100.0 * r->frag_at_peak);
	if (r->log_frag_at_peak >= 0)
		printf(" (the log: %.1f %%)\n", 100.0 * r->log_frag_at_peak);
	else
		printf(" (the log: heap addresses, not comparable)\n");
	printf("end:       %u live ranges, %s; the log left %s\n", r->end_live,
	       human_bytes(r->end_used_bytes, a, sizeof(a)), human_bytes(log_end, b, sizeof(b)));
	if (threads > 1)
		printf("threads:   final occupancy %s, the log's %s: %s\n",
		       human_bytes(tm->end_used_bytes, a, sizeof(a)),
		       human_bytes(log_end, b, sizeof(b)),
		       tm->end_used_bytes == log_end ? "match" : "MISMATCH");
	printf("checks:    %zu overlaps, %zu refused frees, pool %s at the end: %s\n",
	       r->overlaps, r->refused_frees, r->whole_at_end ? "whole" : "NOT whole",
	       replay_clean(r) ? "clean" : "FAILED");
}

static void print_json(const char *path, const char *algo, const struct replay_prog *p,
		       const struct replay_report *r, const struct timed *tm, uint64_t log_end,
		       long threads, bool clean)
{
	printf("{\"log\": \"%s\", \"algo\": \"%s\", \"granule\": %d, \"pool_bytes\": %" PRIu64
	       ", \"ops\": %zu, \"allocs\": %zu, \"frees\": %zu, \"threads\": %ld, "
	       "\"ns_per_op\": %.3f, \"checked_ns_per_op\": %.3f, \"failed_new\": %zu, "
	       "\"failed_as_logged\": %zu, \"succeeded_new\": %zu, \"overlaps\": %zu, "
	       "\"refused_frees\": %zu, \"peak_asked_bytes\": %" PRIu64
	       ", \"peak_used_bytes\": %" PRIu64 ", \"frag_at_peak\": %.6f, ",
	       path, algo, 1 << r->order, r->pool_bytes, r->ops, r->allocs, r->frees, threads,
	       tm->res.ops ? (double)tm->res.elapsed_ns / (double)tm->res.ops : 0.0,
	       r->ns_per_op, r->failed_new, r->failed_both, r->succeeded_new, r->overlaps,
	       r->refused_frees, p->peak_live_bytes, r->peak_used_bytes, r->frag_at_peak);
	if (r->log_frag_at_peak >= 0)
		printf("\"log_frag_at_peak\": %.6f, ", r->log_frag_at_peak);
	else
		printf("\"log_frag_at_peak\": null, ");
	printf("\"end_used_bytes\": %" PRIu64 ", \"log_end_bytes\": %" PRIu64
	       ", \"timed_end_used_bytes\": %" PRIu64 ", \"whole_at_end\": %s, \"clean\": %s}\n",
	       r->end_used_bytes, log_end, tm->end_used_bytes, r->whole_at_end ? "true" : "false",
	       clean ? "true" : "false");
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o;
	struct gp_trace t;
	struct replay_prog p;
	struct replay_report r;
	struct timed tm = { 0 };
	char err[512], algo[48];
	uint64_t log_end;
	bool clean;
	int rc = parse_opts(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (load_prog("replay", argv[optind], &t, &p))
		return EXIT_BADINPUT;
	rc = replay_check(&p, &o.cfg, &r, isatty(2) ? stderr : NULL, stderr, err, sizeof(err));
	if (!rc)
		rc = timed_run(&p, &o, &tm, err, sizeof(err));
	if (rc) {
		replay_prog_free(&p);
		gp_trace_free(&t);
		return bad_input("replay", "%s: %s", argv[optind], err);
	}
	replay_algo_name(&o.cfg, algo, sizeof(algo));
	log_end = log_end_granule_bytes(&p, r.order);
	clean = replay_clean(&r) && (o.threads == 1 || tm.end_used_bytes == log_end);
	if (o.json)
		print_json(argv[optind], algo, &p, &r, &tm, log_end, o.threads, clean);
	else
		print_text(argv[optind], algo, &p, &r, &tm, log_end, o.threads);
	replay_prog_free(&p);
	gp_trace_free(&t);
	return clean ? 0 : EXIT_FINDING;
}
