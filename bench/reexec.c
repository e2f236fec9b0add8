// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * reexec.c - make room for jemalloc's initial-exec TLS before anything runs.
 *
 * A library with static (initial-exec) TLS can be dlopen()ed only into the
 * surplus glibc reserves at startup: 512 bytes by default, and jemalloc
 * needs 2.6 KiB. The surplus is a loader tunable, read once at exec, so
 * the binary re-executes itself once with it raised. Nothing else changes:
 * same binary, arguments and environment, and the process's malloc is
 * still glibc's. BENCH_NO_REEXEC=1 skips it (jemalloc is then reported
 * unavailable, with dlopen's reason).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define TLS_TUNABLE "glibc.rtld.optional_static_tls=16384"

void bench_reexec_for_tls(char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char *val;

	if (getenv("BENCH_NO_REEXEC") || getenv("BENCH_REEXECED") ||
	    (old && strstr(old, "optional_static_tls")))
		return;
	if (asprintf(&val, "%s%s%s", old ? old : "", old && *old ? ":" : "", TLS_TUNABLE) < 0)
		return;
	setenv("GLIBC_TUNABLES", val, 1);
	setenv("BENCH_REEXECED", "1", 1); /* once, whatever the loader does with it */
	free(val);
	execv("/proc/self/exe", argv);
	/* Could not: carry on, jemalloc will say why it does not load. */
	fprintf(stderr, "bench: re-exec for static TLS failed; jemalloc may not load\n");
	unsetenv("BENCH_REEXECED");
	unsetenv("GLIBC_TUNABLES");
	if (old)
		setenv("GLIBC_TUNABLES", old, 1);
}
