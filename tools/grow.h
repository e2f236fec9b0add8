/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * grow.h - the one growable-array helper of tools/ (the trace reader's CSV
 * records and threads, the replay program's ops and slots). Single-threaded.
 */
#ifndef GP_TOOLS_GROW_H
#define GP_TOOLS_GROW_H

#include <stdlib.h>

/*
 * Make room for @need elements of @elem bytes in *@arr (capacity *@cap),
 * doubling from 1024. Return: 0, or -1 with *@arr untouched (no memory).
 */
static inline int grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	void **a = arr, *p;
	size_t n = *cap ? *cap : 1024;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*a, n * elem);
	if (!p)
		return -1;
	*a = p;
	*cap = n;
	return 0;
}

#endif /* GP_TOOLS_GROW_H */
