// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * genpool.c - the `genpool` command-line tool: dispatch, shared helpers,
 * and `genpool info`. See genpool(1) (tools/genpool.1) and cmd.h.
 *
 * Single-threaded except where a subcommand says otherwise (replay
 * --threads N).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <genpool.h>

#include "cmd.h"

static const char usage_main[] =
	"Usage: genpool COMMAND [OPTIONS] LOG\n"
	"Read, replay and draw genpool trace files (pool event logs and malloc traces).\n"
	"\n"
	"Commands:\n"
	"  info LOG        events, threads, duration, peak, size histogram, leaks\n"
	"  replay LOG      replay into a fresh pool: time per op, failures, fragmentation\n"
	"  map LOG -o F    draw the pool's occupancy at a moment (PNG or SVG)\n"
	"  record -o LOG -- PROGRAM [ARGS...]   trace a program's malloc calls\n"
	"\n"
	"'genpool COMMAND --help' describes each; man genpool has it all.\n"
	"Exit status: 0 ok, 1 the replay found a failure the log did not have,\n"
	"2 bad input (missing, empty, truncated or foreign file; unknown option).\n";

int bad_input(const char *sub, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "genpool%s%s: ", sub ? " " : "", sub ? sub : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_BADINPUT;
}

int tool_getopt(const char *sub, int argc, char **argv, const char *shortopts,
		const struct option *longopts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == '?') {
		const char *arg = argv[optind - 1];

		if (optopt && strchr(shortopts, optopt))
			bad_input(sub, "option '-%c' needs an argument (see genpool %s --help)",
				  optopt, sub);
		else
			bad_input(sub, "unknown option or missing argument '%s' (see genpool %s --help)",
				  arg ? arg : "?", sub);
	}
	return c;
}

int parse_num(const char *sub, const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (end == s || *end || v < min || v > max) {
		bad_input(sub, "%s wants a number from %ld to %ld, not '%s'", opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

const char *human_bytes(unsigned long long b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	else
		snprintf(buf, len, "%llu B", b);
	return buf;
}

int load_prog(const char *sub, const char *path, struct gp_trace *t, struct replay_prog *p)
{
	char err[512];

	if (gp_trace_load(path, t, err, sizeof(err))) {
		bad_input(sub, "%s", err);
		return -1;
	}
	if (replay_prog_build(t, p, err, sizeof(err))) {
		gp_trace_free(t);
		bad_input(sub, "%s: %s", path, err);
		return -1;
	}
	return 0;
}

/* ---- info -------------------------------------------------------------- */

static const char usage_info[] =
	"Usage: genpool info [--leaks N] LOG\n"
	"Summarise a trace: what wrote it, events, threads, duration, peak live\n"
	"bytes, a histogram of the sizes asked, and the allocations still live at\n"
	"the end (leaks), largest first, with their thread.\n"
	"  --leaks N   list at most N leaks (default 10, 0 for none)\n"
	"  --help      this text\n";

static void print_header(const char *path, const struct gp_trace *t)
{
	time_t sec = (time_t)(t->hdr.start_realtime_ns / 1000000000u);
	struct tm tm;
	char when[64] = "?";

	if (gmtime_r(&sec, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("trace:     %s\n", path);
	if (t->hdr.source == GP_TRACE_SRC_POOL)
		printf("source:    pool event log, pool \"%.24s\", granule %d (order %d), flags %#x\n",
		       t->hdr.name, 1 << t->hdr.min_alloc_order, t->hdr.min_alloc_order,
		       t->hdr.flags);
	else
		printf("source:    malloc trace of \"%.24s\"\n", t->hdr.name);
	printf("started:   %s\n", when);
}

static void print_histogram(const struct replay_prog *p)
{
	size_t bucket[65] = { 0 }, max = 0;
	int hi = 0;

	for (size_t i = 0; i < p->nops; i++) {
		const struct replay_op *o = &p->op[i];
		int b = 0;

		if (o->kind != RO_ALLOC && o->kind != RO_ALLOC_TRY)
			continue;
		while (b < 64 && (1ull << b) < o->size)
			b++;
		bucket[b]++;
		hi = b > hi ? b : hi;
	}
	for (int b = 0; b <= hi; b++)
		max = bucket[b] > max ? bucket[b] : max;
	printf("size histogram (bytes asked, upper bound of each class):\n");
	for (int b = 0; b <= hi; b++) {
		char lim[32];
		int bar = max ? (int)(bucket[b] * 40 / max) : 0;

		if (!bucket[b])
			continue;
		human_bytes(1ull << b, lim, sizeof(lim));
		printf("  <= %-9s %10zu  %.*s\n", lim, bucket[b], bar,
		       "########################################");
	}
}

struct leak {
	uint64_t size;
	uint32_t slot;
};

static int cmp_leak(const void *a, const void *b)
{
	const struct leak *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* Slots never freed, largest first, with the record that allocated them. */
static void print_leaks(const struct gp_trace *t, const struct replay_prog *p, long max)
{
	bool *freed = calloc(p->nslots ? p->nslots : 1, sizeof(*freed));
	struct leak *l = calloc(p->end_live_count ? p->end_live_count : 1, sizeof(*l));
	size_t n = 0;
	char hb[32];

	if (!freed || !l) {
		printf("leaks: (no memory to list them)\n");
		goto out;
	}
	for (size_t i = 0; i < p->nops; i++)
		if (p->op[i].kind == RO_FREE)
			freed[p->op[i].slot] = true;
	for (uint32_t s = 0; s < p->nslots && n < p->end_live_count; s++)
		if (!freed[s])
			l[n++] = (struct leak){ .size = p->slot_size[s], .slot = s };
	qsort(l, n, sizeof(*l), cmp_leak);
	printf("leaks:     %zu allocations, %s still live at the end\n", n,
	       human_bytes(p->end_live_bytes, hb, sizeof(hb)));
	for (size_t i = 0; i < n && (long)i < max; i++) {
		const struct gp_trace_record *r = &t->rec[p->slot_event[l[i].slot]];

		printf("  %12" PRIu64 " bytes at %#" PRIx64 ", thread %u, event %u\n", l[i].size,
		       r->addr, r->thread, p->slot_event[l[i].slot]);
	}
	if (n > (size_t)max && max > 0)
		printf("  ... and %zu more\n", n - (size_t)max);
out:
	free(freed);
	free(l);
}

static void print_info(const char *path, const struct gp_trace *t, const struct replay_prog *p,
		       long leaks)
{
	uint64_t dur = t->n ? t->rec[t->n - 1].time_ns - t->rec[0].time_ns : 0;
	size_t chunks = 0;
	char hb[32];

	for (size_t i = 0; i < p->nops; i++)
		chunks += p->op[i].kind == RO_CHUNK;
	print_header(path, t);
	printf("events:    %zu (%zu allocations, %zu frees, %zu reallocs, %zu chunks; "
	       "%zu failed in the log)\n", t->n, p->nallocs, p->nfrees, p->nreallocs, chunks,
	       p->log_failed);
	printf("threads:   %u\n", p->nthreads);
	printf("duration:  %.6f s\n", (double)dur / 1e9);
	printf("peak live: %" PRIu64 " bytes (%s) after event %u\n", p->peak_live_bytes,
	       human_bytes(p->peak_live_bytes, hb, sizeof(hb)),
	       p->peak_op ? p->op[p->peak_op - 1].event : 0);
	if (t->partial_bytes)
		printf("damage:    a cut-off last record (%zu bytes) was dropped\n", t->partial_bytes);
	if (p->unmatched_frees || p->reused_live)
		printf("anomalies: %zu frees of unknown pointers, %zu allocations at a live address\n",
		       p->unmatched_frees, p->reused_live);
	print_histogram(p);
	print_leaks(t, p, leaks);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "leaks", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gp_trace t;
	struct replay_prog p;
	long leaks = 10;
	int c;

	while ((c = tool_getopt("info", argc, argv, "l:h", opts)) != -1) {
		if (c == 'h')
			return fputs(usage_info, stdout), 0;
		if (c == '?' ||
		    (c == 'l' && parse_num("info", "--leaks", optarg, 0, 1000000000, &leaks)))
			return EXIT_BADINPUT;
	}
	if (optind != argc - 1)
		return bad_input("info", "wants exactly one LOG (see genpool info --help)");
	if (load_prog("info", argv[optind], &t, &p))
		return EXIT_BADINPUT;
	print_info(argv[optind], &t, &p, leaks);
	replay_prog_free(&p);
	gp_trace_free(&t);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "info", cmd_info }, { "replay", cmd_replay },
		{ "map", cmd_map }, { "record", cmd_record },
	};

	if (argc < 2)
		return fputs(usage_main, stderr), EXIT_BADINPUT;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return fputs(usage_main, stdout), 0;
	if (!strcmp(argv[1], "--version"))
		return printf("genpool %d.%d.%d\n", GENPOOL_VERSION_MAJOR, GENPOOL_VERSION_MINOR,
			      GENPOOL_VERSION_PATCH), 0;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return bad_input(NULL, "unknown command '%s' (info, replay, map, record; see genpool --help)",
			 argv[1]);
}
