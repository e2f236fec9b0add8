// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * objcache_slab.c - the slabs of an object cache: their out-of-band bits,
 * the lookup from an address to its slab, growth and shrinking.
 *
 * Nothing here touches the pool's memory: a slab's descriptor (struct
 * oc_slab) and its bits live in the heap; only the caller's ctor writes the
 * objects (objcache.h has the states an object's two bits encode).
 *
 * Lookup. Slab descriptors are found through a radix tree keyed by
 * (address >> slab_shift), where 2^slab_shift >= a slab's length: the
 * "block" of an address. Two slabs cannot start in one block (they would
 * overlap), so a block's slot names the slab that starts in it, and an
 * object lies in the slab of its own block or of the block before. Nodes
 * are added by CAS and never removed before destroy; descriptors are
 * type-stable (created once per base, reused when a slab starts there
 * again, freed at destroy). So a lookup needs no lock and no grace period:
 * whatever it reads is live memory, and a descriptor's base never changes.
 *
 * Invariants:
 *  S1  A backed slab's objects are each in exactly one state of objcache.h.
 *      An object's free bit is set only by its holder (oc_slab_put, grow)
 *      and cleared by a claim (take, shrink); its live bit is set by the
 *      allocation that hands it out and cleared by the free that takes it
 *      back (one atomic test-and-clear: of two racing frees one wins).
 *  S2  A slab is given back to the pool only after a shrink has claimed
 *      every free word while it was full (all objects in the free set, so
 *      none live and none in a magazine). Claims of later words that fail
 *      roll the earlier ones back; meanwhile a refill sees those words empty
 *      and looks elsewhere (at worst it grows a slab it did not need).
 *  S3  backed goes 1 only while the grower owns every object of the slab
 *      (no free bit set), and 0 only after a shrink's complete claim, before
 *      gen_pool_free; a free that reads backed = 1 of a slab being shrunk
 *      finds its live bit clear and is refused.
 *
 * Barrier pairs: oc_slab_put's and grow's fetch_or_release of free bits
 * with take's fetch_and_acquire (the previous holder's writes to the object
 * happen before the next holder's); radix slot and list-head release
 * stores/CAS with the lookups' and walks' acquire loads (a descriptor is
 * initialised before it is reachable); backed's release store in grow with
 * the acquire load of a free's check (its base and words are initialised).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../atomic.h"
#include "../testpoint.h"
#include "objcache.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long))

/* ------------------------------------------------------------------------ */
/* Radix tree: block number -> the descriptor of the slab starting there    */

static unsigned int radix_index(unsigned long key, unsigned int level)
{
	unsigned int shift = level * OC_RADIX_BITS;

	return shift >= BITS_PER_LONG ? 0 : (unsigned int)(key >> shift) & (OC_RADIX_FANOUT - 1);
}

static struct oc_slab *radix_get(const struct gen_pool_objcache *c, unsigned long key)
{
	struct oc_radix *n = c->root;
	unsigned int l;

	for (l = c->levels - 1; l > 0; l--) {
		/* acquire: pairs with radix_slot's release CAS of the node */
		n = gp_atomic_load_acquire(&n->slot[radix_index(key, l)]);
		if (!n)
			return NULL;
	}
	/* acquire: pairs with the release store of grow's publication */
	return gp_atomic_load_acquire(&n->slot[radix_index(key, 0)]);
}

/* The leaf slot of @key, its path created; NULL when out of memory. */
static void **radix_slot(struct gen_pool_objcache *c, unsigned long key)
{
	struct oc_radix *n = c->root, *next, *fresh;
	unsigned int l;

	for (l = c->levels - 1; l > 0; l--) {
		void **slot = &n->slot[radix_index(key, l)];

		/* acquire: pairs with the release CAS below, in another grower */
		next = gp_atomic_load_acquire(slot);
		if (!next) {
			fresh = calloc(1, sizeof(*fresh));
			if (!fresh)
				return NULL;
			next = NULL;
			/* release: the zeroed node; pairs with the acquire loads of walks */
			if (gp_atomic_cas_release(slot, (void **)&next, fresh))
				next = fresh;
			else
				free(fresh); /* another grower's node is there: next */
		}
		n = next;
	}
	return &n->slot[radix_index(key, 0)];
}

static void radix_free(struct oc_radix *n, unsigned int level)
{
	unsigned int i;

	if (level > 0)
		for (i = 0; i < OC_RADIX_FANOUT; i++)
			if (n->slot[i])
				radix_free(n->slot[i], level - 1);
	free(n);
}

/* ------------------------------------------------------------------------ */
/* Objects and slabs                                                        */

/*
 * A stale descriptor (not backed) may still cover the address of a backed
 * slab that starts in the block before, so both candidates are checked.
 */
struct oc_slab *oc_slab_lookup(struct gen_pool_objcache *c, unsigned long obj)
{
	unsigned long key = obj >> c->slab_shift;
	struct oc_slab *s = radix_get(c, key);

	if (oc_slab_holds(c, s, obj))
		return s;
	s = key ? radix_get(c, key - 1) : NULL;
	return oc_slab_holds(c, s, obj) ? s : NULL;
}

/* The bits of word @w that stand for objects (the last word may be partial). */
static inline unsigned long word_mask(const struct gen_pool_objcache *c, unsigned int w)
{
	unsigned int n = c->per_slab - w * (unsigned int)BITS_PER_LONG;

	return n >= BITS_PER_LONG ? ~0UL : (1UL << n) - 1;
}

void oc_slab_put(struct gen_pool_objcache *c, struct oc_slab *s, unsigned long obj)
{
	long i = oc_slab_index(c, s, obj);

	GP_BUG_ON(i < 0);
	/* release: the holder's use of the object; pairs with take's acquire */
	gp_atomic_fetch_or_release(&oc_free_words(s)[i / BITS_PER_LONG],
				   1UL << (i % BITS_PER_LONG));
}

/* Claim up to @want free objects of @s into @out; returns how many (S1). */
static unsigned int slab_take(struct gen_pool_objcache *c, struct oc_slab *s, unsigned long *out,
			      unsigned int want)
{
	unsigned long *fw = oc_free_words(s);
	unsigned int w, got = 0;

	for (w = 0; w < c->nwords && got < want; w++) {
		unsigned long seen = gp_atomic_load_relaxed(&fw[w]), take = 0, old;
		unsigned int n;

		for (n = got; seen && n < want; n++) {
			take |= seen & -seen; /* lowest first: objects come out in address order */
			seen &= seen - 1;
		}
		if (!take)
			continue;
		/* acquire: pairs with oc_slab_put's and grow's release */
		old = gp_atomic_fetch_and_acquire(&fw[w], ~take);
		GP_TESTPOINT_IF(old & take, GP_TP_OC_REFILL_CLAIMED);
		for (take &= old; take; take &= take - 1)
			out[got++] = s->base + (w * BITS_PER_LONG + (unsigned long)__builtin_ctzl(take)) *
							c->stride;
	}
	return got;
}

unsigned int oc_slab_take(struct gen_pool_objcache *c, unsigned long *out, unsigned int want,
			  struct oc_slab **last)
{
	/* acquire: pairs with the release CAS that pushed the head descriptor */
	struct oc_slab *head = gp_atomic_load_acquire(&c->slabs);
	struct oc_slab *start = *last ? *last : gp_atomic_load_relaxed(&c->hint), *s;
	unsigned int got = 0;

	if (!start)
		start = head;
	for (s = start; s && got < want; s = s->next) {
		unsigned int n = slab_take(c, s, out + got, want - got);

		if (n)
			*last = s;
		got += n;
	}
	for (s = head; s && s != start && got < want; s = s->next) {
		unsigned int n = slab_take(c, s, out + got, want - got);

		if (n)
			*last = s;
		got += n;
	}
	if (got)
		gp_atomic_store_relaxed(&c->hint, *last); /* a hint: any slab is correct */
	return got;
}

/* The descriptor for a slab at @base: the one already there, or a new one. */
static struct oc_slab *slab_descriptor(struct gen_pool_objcache *c, unsigned long base)
{
	void **slot = radix_slot(c, base >> c->slab_shift);
	struct oc_slab *s, *head;
	size_t bytes;

	if (!slot)
		return NULL;
	s = gp_atomic_load_acquire(slot); /* pairs with the release store below */
	if (s && s->base == base) {
		GP_BUG_ON(gp_atomic_load_relaxed(&s->backed)); /* the pool gave it out twice */
		return s;
	}
	/*
	 * Exactly the header and the bits (not padded to a cache line: that
	 * would cost up to 63 bytes a slab); threads keep to their own slabs
	 * (oc_slab_take's start), which keeps their live-bit RMWs apart.
	 */
	bytes = sizeof(*s) + 2 * c->nwords * sizeof(unsigned long);
	s = calloc(1, bytes);
	if (!s)
		return NULL;
	s->base = base;
	head = gp_atomic_load_relaxed(&c->slabs);
	do
		s->next = head;
	/* release: s's fields; pairs with the walks' acquire of the head */
	while (!gp_atomic_cas_release(&c->slabs, &head, s));
	/* release: s's fields; pairs with radix_get's acquire. Only this grower
	 * writes the slot now: a slab starting in the same block would overlap
	 * ours, and the slab named there before is not backed (S3). */
	gp_atomic_store_release(slot, s);
	return s;
}

unsigned int oc_slab_grow(struct gen_pool_objcache *c, unsigned long *out, unsigned int want,
			  struct oc_slab **last)
{
	struct genpool_data_align a = { .align = (int)c->align };
	unsigned long base = gen_pool_alloc_algo(c->pool, c->slab_len, gen_pool_first_fit_align, &a);
	unsigned long *fw;
	struct oc_slab *s;
	unsigned int i, keep = want < c->per_slab ? want : c->per_slab;

	if (!base)
		return 0; /* errno ENOMEM from the pool */
	s = slab_descriptor(c, base);
	if (!s) {
		gen_pool_free(c->pool, base, c->slab_len);
		errno = ENOMEM;
		return 0;
	}
	GP_TESTPOINT(GP_TP_OC_GROW_UNPUBLISHED);
	if (c->ctor)
		for (i = 0; i < c->per_slab; i++)
			c->ctor(base + i * c->stride, c->arg);
	/* release: pairs with a free's acquire check of backed (S3) */
	gp_atomic_store_release(&s->backed, 1);
	for (i = 0; i < keep; i++)
		out[i] = base + i * c->stride;
	fw = oc_free_words(s);
	for (i = 0; i < c->nwords; i++) {
		unsigned long mask = word_mask(c, i);

		if (keep > i * BITS_PER_LONG)
			mask &= keep - i * BITS_PER_LONG >= BITS_PER_LONG ?
					0 : ~((1UL << (keep - i * BITS_PER_LONG)) - 1);
		/* release: the ctor's writes; pairs with take's acquire */
		if (mask)
			gp_atomic_fetch_or_release(&fw[i], mask);
	}
	*last = s;
	gp_atomic_store_relaxed(&c->hint, s);
	return keep;
}

/* Claim every free word of @s while each is full (S2); false: rolled back. */
static bool slab_claim_all(struct gen_pool_objcache *c, struct oc_slab *s)
{
	unsigned long *fw = oc_free_words(s);
	unsigned int w, k;

	for (w = 0; w < c->nwords; w++) {
		unsigned long expected = word_mask(c, w);

		/* acquire: pairs with oc_slab_put's release of the last object */
		if (!gp_atomic_cas_acquire(&fw[w], &expected, 0UL)) {
			for (k = 0; k < w; k++) /* release: pairs with take's acquire */
				gp_atomic_fetch_or_release(&fw[k], word_mask(c, k));
			return false;
		}
		GP_TESTPOINT_IF(w + 1 < c->nwords, GP_TP_OC_SHRINK_BETWEEN_WORDS);
	}
	return true;
}

size_t oc_slab_shrink(struct gen_pool_objcache *c)
{
	struct oc_slab *s = gp_atomic_load_acquire(&c->slabs); /* pairs with the push */
	unsigned int w;
	size_t bytes = 0;

	for (; s; s = s->next) {
		/* acquire: pairs with grow's release of backed */
		if (!gp_atomic_load_acquire(&s->backed) || !slab_claim_all(c, s))
			continue;
		for (w = 0; w < c->nwords; w++) /* every object was free (S1) */
			GP_BUG_ON(gp_atomic_load_relaxed(&oc_live_words(c, s)[w]));
		gp_atomic_store_release(&s->backed, 0); /* pairs with a free's acquire (S3) */
		GP_BUG_ON(gen_pool_free(c->pool, s->base, c->slab_len));
		bytes += c->slab_len;
	}
	return bytes;
}

unsigned long oc_slab_live(const struct gen_pool_objcache *c)
{
	struct oc_slab *s = gp_atomic_load_acquire(&c->slabs); /* pairs with the push */
	unsigned long n = 0;
	unsigned int w;

	for (; s; s = s->next)
		if (gp_atomic_load_acquire(&s->backed))
			for (w = 0; w < c->nwords; w++)
				n += (unsigned long)__builtin_popcountl(
					gp_atomic_load_relaxed(&s->bits[c->nwords + w]));
	return n;
}

void oc_slab_free_all(struct gen_pool_objcache *c)
{
	struct oc_slab *s, *next;

	for (s = c->slabs; s; s = next) {
		next = s->next;
		if (s->backed)
			GP_BUG_ON(gen_pool_free(c->pool, s->base, c->slab_len));
		free(s);
	}
	c->slabs = NULL;
	radix_free(c->root, c->levels - 1);
	c->root = NULL;
}
