// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * error.c - how genpool tells its caller that a call was refused.
 *
 * Every refused call is reported exactly once: to the process-wide handler
 * if one is set, else to stderr if GENPOOL_DEBUG=1, else nowhere. The
 * handler pair is guarded by a mutex and copied out before the call, so a
 * handler may be replaced while another thread reports. Reporting is off
 * the fast path (only refused calls get here), so the environment is read
 * at each report and a test may set it at any time.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "internal.h"

typedef void (*gp_error_fn)(int err, const char *msg, void *arg);

static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;
static gp_error_fn handler_fn;
static void *handler_arg;

void gen_pool_set_error_handler(void (*handler)(int err, const char *msg, void *arg), void *arg)
{
	pthread_mutex_lock(&handler_lock);
	handler_fn = handler;
	handler_arg = arg;
	pthread_mutex_unlock(&handler_lock);
}

static bool debug_enabled(void)
{
	const char *v = getenv("GENPOOL_DEBUG");

	return v && strcmp(v, "1") == 0;
}

static void vreport(int err, const char *func, const char *fmt, va_list ap)
{
	char msg[256];
	gp_error_fn fn;
	void *arg;
	int n, saved = errno;

	n = snprintf(msg, sizeof(msg), "genpool: %s: ", func);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);

	pthread_mutex_lock(&handler_lock);
	fn = handler_fn;
	arg = handler_arg;
	pthread_mutex_unlock(&handler_lock);

	if (fn)
		fn(err, msg, arg);
	else if (debug_enabled())
		fprintf(stderr, "%s (%s)\n", msg, strerror(err));
	errno = saved;
}

int gp_refuse(int err, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(err, func, fmt, ap);
	va_end(ap);
	return -err;
}

void *gp_refuse_null(int err, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(err, func, fmt, ap);
	va_end(ap);
	errno = err; /* after the handler, which may have changed it */
	return NULL;
}

void gp_bug(const char *file, const char *func, int line, const char *cond)
{
	fprintf(stderr, "genpool: internal error at %s:%s:%d: %s\n", file, func, line, cond);
	abort();
}
