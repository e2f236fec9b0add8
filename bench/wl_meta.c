// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wl_meta.c - meta: the metadata a chunk costs, measured, not computed.
 *
 * Thread 0 creates a fresh pool with the allocator's flags (gp_flags: a
 * plain, strict or cache pool; the algorithm does not change metadata),
 * samples the process's memory, adds one address-only chunk of `pool_mib`,
 * samples again and destroys the pool; three times, the smallest delta
 * kept. Pool creation is outside the window: the figure is the chunk's.
 *
 * A sample is mallinfo2() (bytes in use in every arena plus malloc's own
 * mmaps: exact for what the library callocs, whether the heap grew or
 * reused freed space) and VmData from /proc/self/status (every private
 * writable mapping, touched or not; VmRSS would miss untouched pages).
 * meta_bytes = heap delta + whatever VmData grew beyond the heap's growth
 * and malloc's mmaps (a mapping the library made itself).
 *
 * One op is one create + add + destroy of such a pool (ns_per_op: what
 * adding a chunk of that size costs). Counters: meta_bytes,
 * meta_bits_per_granule, chunk_granules, meta_heap_bytes, meta_vmdata_bytes.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <genpool.h>

#include "region.h"
#include "workload.h"

struct meta_sample {
	size_t heap, mmapped, vmdata;
	uintptr_t brk;
};

struct meta_run {
	size_t bytes, heap, vmdata;
};

static size_t vmdata_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	size_t kib = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmData: %zu kB", &kib) == 1)
			break;
	fclose(f);
	return kib << 10;
}

static void sample(struct meta_sample *s)
{
	struct mallinfo2 m = mallinfo2();

	s->heap = m.uordblks + m.hblkhd;
	s->mmapped = m.hblkhd;
	s->brk = (uintptr_t)sbrk(0);
	s->vmdata = vmdata_bytes();
}

static size_t grew(size_t after, size_t before)
{
	return after > before ? after - before : 0;
}

/* One measurement: 0, or -1 when the pool or the chunk was refused. */
static int measure(struct wl_run *run, struct meta_run *out)
{
	const struct wl_params *p = run->p;
	struct gen_pool *pool = gen_pool_create_flags(p->order, -1, run->a->gp_flags);
	struct meta_sample a, b;
	size_t heap, vm, other;
	int ret;

	if (!pool)
		return -1;
	sample(&a);
	ret = gen_pool_add(pool, REGION_ADDR_ONLY_BASE, p->pool_bytes, -1);
	sample(&b);
	gen_pool_destroy(pool);
	if (ret)
		return -1;
	heap = grew(b.heap, a.heap);
	vm = grew(b.vmdata, a.vmdata);
	other = grew(vm, grew(b.brk, a.brk) + grew(b.mmapped, a.mmapped));
	*out = (struct meta_run){ heap + other, heap, vm };
	return 0;
}

static int meta_setup(struct wl_run *run, char *why, size_t len)
{
	struct meta_run *best = calloc(1, sizeof(*best)), m;

	if (!best)
		return -1;
	run->priv = best;
	for (int i = 0; i < 3; i++) {
		if (measure(run, &m)) {
			snprintf(why, len, "%s: a pool of %zu MiB could not be built", run->a->name,
				 run->p->pool_bytes >> 20);
			free(best);
			run->priv = NULL;
			return -1;
		}
		if (i == 0 || m.bytes < best->bytes)
			*best = m;
	}
	return 0;
}

static void meta_step(struct wl_run *run, struct wl_thread *t)
{
	struct gen_pool *pool = gen_pool_create_flags(run->p->order, -1, run->a->gp_flags);

	if (!pool || gen_pool_add(pool, REGION_ADDR_ONLY_BASE, run->p->pool_bytes, -1))
		t->bad = true;
	gen_pool_destroy(pool);
	t->ops++;
}

static void meta_report(struct wl_run *run)
{
	struct meta_run *m = run->priv;
	double granules = (double)(run->p->pool_bytes >> run->p->order);

	wl_counter(run, "meta_bytes", (double)m->bytes);
	wl_counter(run, "meta_bits_per_granule", 8.0 * (double)m->bytes / granules);
	wl_counter(run, "chunk_granules", granules);
	wl_counter(run, "meta_heap_bytes", (double)m->heap);
	wl_counter(run, "meta_vmdata_bytes", (double)m->vmdata);
}

static void meta_teardown(struct wl_run *run)
{
	free(run->priv);
}

const struct workload wl_meta = {
	.name = "meta",
	.op = "one gen_pool_create_flags + gen_pool_add of one `pool_mib` chunk + gen_pool_destroy",
	.lat = "none",
	.needs = WL_NEEDS_GENPOOL,
	.setup = meta_setup,
	.step = meta_step,
	.report = meta_report,
	.teardown = meta_teardown,
};
