// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * testpoint.c - the hook behind GP_TESTPOINT() (see testpoint.h). Part of
 * every build, but has a body only in the 'testpoints' variant; elsewhere
 * the unit is just the header's declarations, which keeps it non-empty
 * (ISO C, and so -pedantic, wants at least one) without defining a symbol.
 */
#include "testpoint.h"

#ifdef GP_TESTPOINTS
#include <stddef.h>

#include "atomic.h"

static gp_testpoint_fn hook;

void gp_testpoint_set_hook(gp_testpoint_fn fn)
{
	/* release: pairs with the acquire in gp_testpoint(), so whatever the
	 * test set up for its hook is visible to the threads that run it. */
	gp_atomic_store_release(&hook, fn);
}

void gp_testpoint(enum gp_testpoint tp)
{
	/* acquire: pairs with the release in gp_testpoint_set_hook(). */
	gp_testpoint_fn fn = gp_atomic_load_acquire(&hook);

	if (fn)
		fn(tp);
}
#endif /* GP_TESTPOINTS */
