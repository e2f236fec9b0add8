// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * shadow.c - the shadow ownership map and the data pattern.
 *
 * A range is claimed in the shadow (every word CAS'd from 0 to its tag)
 * after genpool hands it out and before it is used; it is released (each
 * word from its tag back to 0) before it is given back. A claim that finds
 * a word taken is an overlap: two live allocations share a granule. The
 * report names both tags (thread id and sequence number).
 *
 * In ST_MEM runs the range's memory carries tag ^ offset at its head, its
 * tail and every stride bytes, written after the claim and verified before
 * the release: a range that someone else wrote into while we held it is a
 * pattern mismatch. All accesses to the shadow are relaxed (see harness.h).
 */
#include <string.h>

#include "harness.h"

#define PATTERN_POSITIONS 64 /* at most, per range */

static unsigned long *shadow_of(const struct st_range *r)
{
	const struct st_chunk *c = &st.chunks[r->chunk];

	return &c->shadow[(r->addr - c->base) / st.granule];
}

static void report_overlap(const struct st_range *r, unsigned long i, uint64_t other)
{
	st_fail(ST_OVERLAP,
		"granule %lu of chunk %u (0x%lx): allocation t%u#%llu [0x%lx + %zu] overlaps "
		"live allocation t%u#%llu",
		(r->addr - st.chunks[r->chunk].base) / st.granule + i, r->chunk,
		r->addr + i * st.granule, (unsigned int)(r->tag >> 40),
		(unsigned long long)(r->tag & 0xffffffffffULL), r->addr, r->size,
		(unsigned int)(other >> 40), (unsigned long long)(other & 0xffffffffffULL));
}

bool st_shadow_claim(const struct st_range *r)
{
	unsigned long *sh = shadow_of(r);
	bool ok = true;

	for (unsigned long i = 0; i < r->nr; i++) {
		unsigned long seen = 0;

		if (!__atomic_compare_exchange_n(&sh[i], &seen, r->tag, false, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED)) {
			report_overlap(r, i, seen);
			ok = false;
		}
	}
	return ok;
}

void st_shadow_release(const struct st_range *r)
{
	unsigned long *sh = shadow_of(r);

	for (unsigned long i = 0; i < r->nr; i++) {
		unsigned long seen = r->tag;

		if (!__atomic_compare_exchange_n(&sh[i], &seen, 0, false, __ATOMIC_RELAXED,
						 __ATOMIC_RELAXED))
			report_overlap(r, i, seen);
	}
}

unsigned long st_shadow_longest_free(unsigned int c, unsigned long *len)
{
	const struct st_chunk *ch = &st.chunks[c];
	unsigned long best = 0, best_len = 0, run = 0;

	for (unsigned long i = 0; i < ch->granules; i++) {
		if (__atomic_load_n(&ch->shadow[i], __ATOMIC_RELAXED)) {
			run = 0;
			continue;
		}
		if (++run > best_len) {
			best_len = run;
			best = i + 1 - run;
		}
	}
	*len = best_len;
	return best;
}

/* Byte offsets that carry the pattern: head, a stride, and the tail. */
static unsigned int pattern_offsets(const struct st_range *r, size_t *off)
{
	size_t stride, tail, n = 0;

	off[n++] = 0;
	if (r->size < 2 * sizeof(uint64_t))
		return (unsigned int)n; /* head only: a tail word would overlap it */
	tail = r->size - sizeof(uint64_t);
	stride = r->size / (PATTERN_POSITIONS - 1);
	if (stride < 512)
		stride = 512;
	/* words do not overlap, so each holds exactly what was written there */
	for (size_t o = stride; o + sizeof(uint64_t) <= tail && n < PATTERN_POSITIONS - 1;
	     o += stride)
		off[n++] = o;
	off[n++] = tail;
	return (unsigned int)n;
}

/*
 * Write (@check false) or verify (@check true) the pattern of @r. A range
 * shorter than a word carries one byte of it.
 */
static void pattern_apply(const struct st_range *r, bool check)
{
	size_t off[PATTERN_POSITIONS];
	bool byte = r->size < sizeof(uint64_t);
	unsigned int n;

	if (st.cfg.mode != ST_MEM)
		return;
	n = pattern_offsets(r, off);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t v = (r->tag ^ off[i]) & (byte ? 0xff : ~0ULL), seen;
		unsigned char *p = (unsigned char *)r->addr + off[i];

		if (!check) {
			if (byte)
				*p = (unsigned char)v;
			else
				memcpy(p, &v, sizeof(v));
			continue;
		}
		if (byte)
			seen = *p;
		else
			memcpy(&seen, p, sizeof(seen));
		if (seen == v)
			continue;
		st_fail(ST_PATTERN, "range 0x%lx + %zu (t%u#%llu): offset %zu holds 0x%llx, "
			"expected 0x%llx", r->addr, r->size, (unsigned int)(r->tag >> 40),
			(unsigned long long)(r->tag & 0xffffffffffULL), off[i],
			(unsigned long long)seen, (unsigned long long)v);
		return;
	}
}

void st_pattern_write(const struct st_range *r)
{
	pattern_apply(r, false);
}

void st_pattern_verify(const struct st_range *r)
{
	pattern_apply(r, true);
}
