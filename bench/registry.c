// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * registry.c - the list of allocators, and which of them work here.
 * The order is the order of the tables and plots.
 */
#include <stdio.h>
#include <string.h>

#include "allocator.h"

#ifndef BENCH_HAVE_MEMKIND
/* Built without libmemkind-dev: still listed, so the results say why it is missing. */
static int no_memkind(char *why, size_t len)
{
	snprintf(why, len, "not built: libmemkind-dev was missing at build time");
	return -1;
}

const struct bench_alloc ba_memkind = {
	.name = "memkind",
	.what = "memkind fixed kind (not built)",
	.caps = BA_REGION | BA_MEMORY,
	.probe = no_memkind,
};
#endif

const struct bench_alloc *const bench_allocs[] = {
	&ba_genpool_lf,	   &ba_genpool_lf_bf, &ba_genpool_spin,	 &ba_genpool_spin_bf,
	&ba_genpool_mutex, &ba_memkind,	      &ba_glibc,	 &ba_jemalloc,
	&ba_tcmalloc,	   &ba_mimalloc,      &ba_genpool_sc,	 &ba_genpool_tc,
	&ba_genpool_strict, &ba_genpool_kfit, &ba_genpool_log,
	&ba_genpool_oc,	   &ba_genpool_rs, /* the layers: object caches, reserves */
	&ba_genpool_ticket, &ba_genpool_mcs, /* Concurrency Kit's locks (issue 15) */
	&ba_genpool_tc16, /* a cache pool configured for 1..16 granules (issue 15's churn) */
	&ba_genpool_tcsc, /* a cache pool whose default algorithm is scalable fit */
};
const size_t bench_nr_allocs = sizeof(bench_allocs) / sizeof(bench_allocs[0]);

const struct bench_alloc *bench_alloc_find(const char *name)
{
	for (size_t i = 0; i < bench_nr_allocs; i++)
		if (!strcmp(bench_allocs[i]->name, name))
			return bench_allocs[i];
	return NULL;
}

/* Probing loads libraries: once per allocator, remembered. */
static struct {
	bool done, ok;
	char why[200];
} probed[sizeof(bench_allocs) / sizeof(bench_allocs[0])];

bool bench_alloc_usable(const struct bench_alloc *a, const char **why)
{
	size_t i;

	for (i = 0; i < bench_nr_allocs && bench_allocs[i] != a; i++)
		;
	if (i == bench_nr_allocs)
		return false;
	if (!probed[i].done) {
		probed[i].done = true;
		probed[i].ok = !a->probe || !a->probe(probed[i].why, sizeof(probed[i].why));
	}
	if (why)
		*why = probed[i].ok ? "ok" : probed[i].why;
	return probed[i].ok;
}
