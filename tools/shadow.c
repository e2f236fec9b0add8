// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * shadow.c - the replay's own granule bitmap (shadow.h). Ranges are marked
 * a word at a time; chunks are found by binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "shadow.h"

void shadow_init(struct shadow *s, int order)
{
	*s = (struct shadow){ .order = order };
}

void shadow_fini(struct shadow *s)
{
	for (size_t i = 0; i < s->nchunks; i++)
		free(s->chunk[i].bits);
	free(s->chunk);
	*s = (struct shadow){ 0 };
}

int shadow_add(struct shadow *s, uint64_t start, uint64_t bytes)
{
	uint64_t g = bytes >> s->order;
	size_t i;
	void *n;

	if (!g)
		return 0;
	if (g > (UINT64_MAX - start) >> s->order)	/* its end must not wrap: refused */
		return -1;
	for (i = 0; i < s->nchunks && s->chunk[i].start < start; i++)
		;
	if ((i > 0 && s->chunk[i - 1].start + (s->chunk[i - 1].granules << s->order) > start) ||
	    (i < s->nchunks && start + (g << s->order) > s->chunk[i].start))
		return -1;
	n = realloc(s->chunk, (s->nchunks + 1) * sizeof(*s->chunk));
	if (!n)
		return -1;
	s->chunk = n;
	memmove(&s->chunk[i + 1], &s->chunk[i], (s->nchunks - i) * sizeof(*s->chunk));
	s->chunk[i] = (struct shadow_chunk){ .start = start, .granules = g,
					     .bits = calloc((g + 63) / 64, 8) };
	if (!s->chunk[i].bits) {
		memmove(&s->chunk[i], &s->chunk[i + 1], (s->nchunks - i) * sizeof(*s->chunk));
		return -1;
	}
	s->nchunks++;
	return 0;
}

struct shadow_chunk *shadow_find(const struct shadow *s, uint64_t addr)
{
	size_t lo = 0, hi = s->nchunks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct shadow_chunk *c = &s->chunk[mid];

		if (addr < c->start)
			hi = mid;
		else if (addr >= c->start + (c->granules << s->order))
			lo = mid + 1;
		else
			return c;
	}
	return NULL;
}

bool shadow_test(const struct shadow_chunk *c, uint64_t granule)
{
	return c->bits[granule / 64] >> (granule % 64) & 1;
}

/* Set or clear [first, first + n) of @c; returns how many bits were already in the target state. */
static uint64_t mark(struct shadow_chunk *c, uint64_t first, uint64_t n, bool set)
{
	uint64_t already = 0;

	while (n) {
		uint64_t w = first / 64, b = first % 64;
		uint64_t take = 64 - b < n ? 64 - b : n;
		uint64_t mask = (take == 64 ? ~0ull : ((1ull << take) - 1)) << b;
		uint64_t cur = c->bits[w];

		already += (uint64_t)__builtin_popcountll((set ? cur : ~cur) & mask);
		c->bits[w] = set ? cur | mask : cur & ~mask;
		first += take;
		n -= take;
	}
	return already;
}

static int change(struct shadow *s, uint64_t addr, uint64_t granules, bool set)
{
	struct shadow_chunk *c = shadow_find(s, addr);
	uint64_t first;

	if (!c)
		return -1;
	first = (addr - c->start) >> s->order;	/* < c->granules: shadow_find found c */
	if (granules > c->granules - first)	/* not first + granules: a log's size can wrap it */
		return -1;
	return mark(c, first, granules, set) ? 1 : 0;
}

int shadow_take(struct shadow *s, uint64_t addr, uint64_t granules)
{
	return change(s, addr, granules, true);
}

int shadow_give(struct shadow *s, uint64_t addr, uint64_t granules)
{
	return change(s, addr, granules, false);
}

void shadow_free_runs(const struct shadow *s, uint64_t *free_granules, uint64_t *longest)
{
	uint64_t total = 0, best = 0;

	for (size_t i = 0; i < s->nchunks; i++) {
		const struct shadow_chunk *c = &s->chunk[i];
		uint64_t run = 0;

		for (uint64_t w = 0; w < (c->granules + 63) / 64; w++) {
			uint64_t bits = c->bits[w];
			uint64_t nb = c->granules - w * 64 < 64 ? c->granules - w * 64 : 64;

			if (!bits) {	/* a whole free word: the common case */
				run += nb;
				total += nb;
				continue;
			}
			for (uint64_t b = 0; b < nb; b++) {
				if (bits >> b & 1) {
					best = run > best ? run : best;
					run = 0;
				} else {
					run++;
					total++;
				}
			}
		}
		best = run > best ? run : best;
	}
	*free_granules = total;
	*longest = best;
}

double shadow_fragmentation(const struct shadow *s)
{
	uint64_t total, longest;

	shadow_free_runs(s, &total, &longest);
	return total ? 1.0 - (double)longest / (double)total : 0.0;
}
