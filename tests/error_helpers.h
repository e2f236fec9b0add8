/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * error_helpers.h - shared by test_errors.c and test_report.c: the pool
 * geometry both use and the recorder installed as the error handler.
 */
#ifndef GENPOOL_TESTS_ERROR_HELPERS_H
#define GENPOOL_TESTS_ERROR_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "genpool.h"

#define ORDER 6
#define G (1UL << ORDER)
#define BASE_A 0x100000UL /* chunk A: 32 granules, added first */
#define BASE_B 0x200000UL /* chunk B: 16 granules */
#define BASE_C (BASE_B + 16 * G) /* chunk C: 8 granules, adjacent to B, newest */

/* ------------------------------------------------------------------------ */
/* Error handler recorder                                                   */

static struct {
	int calls;
	int err;
	void *arg;
	char msg[512];
} rep;

static inline void on_error(int err, const char *msg, void *arg)
{
	rep.calls++;
	rep.err = err;
	rep.arg = arg;
	snprintf(rep.msg, sizeof(rep.msg), "%s", msg ? msg : "");
}

static inline void report_reset(void)
{
	memset(&rep, 0, sizeof(rep));
}

/* Exactly one report of @err with a message, since the last reset. */
static inline void expect_report(int err)
{
	assert_int_equal(rep.calls, 1);
	assert_int_equal(rep.err, err);
	assert_true(rep.msg[0] != '\0');
	assert_ptr_equal(rep.arg, &rep);
	report_reset();
}

static inline void expect_no_report(void)
{
	assert_int_equal(rep.calls, 0);
}

/* Per-test setup: the recorder is installed and empty. */
static inline int setup(void **state)
{
	(void)state;
	gen_pool_set_error_handler(on_error, &rep);
	report_reset();
	return 0;
}

#endif /* GENPOOL_TESTS_ERROR_HELPERS_H */
