/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_report.c - refusals reported outside the create/add/alloc/free calls
 * of test_errors.c: destroy of a busy pool (the report names the bytes and
 * ranges still out, and the pool stays usable), set_algo with invalid data,
 * queries with a NULL pool, removing the error handler, and GENPOOL_DEBUG
 * printing (one line, naming the call the user made), checked in forked
 * children.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "genpool.h"
#include "error_helpers.h"

/* ------------------------------------------------------------------------ */
/* gen_pool_destroy                                                         */

/* Does @msg contain @n as a whole decimal number? */
static bool msg_has_number(const char *msg, unsigned long n)
{
	while (*msg) {
		char *end;
		unsigned long v;

		if (!isdigit((unsigned char)*msg)) {
			msg++;
			continue;
		}
		v = strtoul(msg, &end, 10);
		if (v == n)
			return true;
		msg = end;
	}
	return false;
}

static void expect_number(const char *msg, unsigned long n)
{
	if (!msg_has_number(msg, n))
		fail_msg("message \"%s\" does not mention %lu", msg, n);
}

/*
 * Leave three ranges of 5, 7 and 11 granules (1472 bytes) out: with @gaps
 * separated by free granules, else adjacent (STRICT pools know the
 * boundaries, so they still count three).
 */
static void destroy_busy(unsigned int flags, bool gaps)
{
	const unsigned long len[] = { 5 * G, 7 * G, 11 * G };
	struct gen_pool *p = gen_pool_create_flags(ORDER, -1, flags);
	unsigned long a[3], gap[3], avail, x;

	assert_non_null(p);
	assert_int_equal(gen_pool_add(p, BASE_A, 64 * G, -1), 0);
	for (int i = 0; i < 3; i++) {
		a[i] = gen_pool_alloc(p, len[i]);
		assert_true(a[i] != 0);
		gap[i] = gaps ? gen_pool_alloc(p, G) : 0;
	}
	for (int i = 0; gaps && i < 3; i++)
		assert_int_equal(gen_pool_free(p, gap[i], G), 0);
	avail = gen_pool_avail(p);
	assert_int_equal(avail, 64 * G - 23 * G);
	report_reset();
	assert_int_equal(gen_pool_destroy(p), -EBUSY);
	assert_int_equal(rep.calls, 1);
	assert_int_equal(rep.err, EBUSY);
	expect_number(rep.msg, 23 * G);
	expect_number(rep.msg, 3);
	report_reset();
	/* still intact and usable */
	assert_int_equal(gen_pool_avail(p), avail);
	assert_int_equal(gen_pool_size(p), 64 * G);
	x = gen_pool_alloc(p, 2 * G);
	assert_true(x != 0);
	assert_int_equal(gen_pool_free(p, x, 2 * G), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(gen_pool_free(p, a[i], len[i]), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
	expect_no_report();
}

static void destroy_busy_plain(void **state)
{
	(void)state;
	destroy_busy(0, true);
}

static void destroy_busy_strict(void **state)
{
	(void)state;
	destroy_busy(GEN_POOL_STRICT, false);
}

static void destroy_busy_spinlock(void **state)
{
	(void)state;
	destroy_busy(GEN_POOL_SPINLOCK, true);
}

static void destroy_null(void **state)
{
	(void)state;
	report_reset();
	assert_int_equal(gen_pool_destroy(NULL), 0);
	expect_no_report();
}

/* ------------------------------------------------------------------------ */
/* gen_pool_set_algo                                                        */

/* Leave a 3-granule hole at @base and a 1-granule hole at @base + 4G. */
static void make_holes(struct gen_pool *p, unsigned long base)
{
	assert_int_equal(gen_pool_alloc(p, 3 * G), base);
	assert_int_equal(gen_pool_alloc(p, G), base + 3 * G);
	assert_int_equal(gen_pool_alloc(p, G), base + 4 * G);
	assert_int_equal(gen_pool_alloc(p, 11 * G), base + 5 * G);
	assert_int_equal(gen_pool_free(p, base, 3 * G), 0);
	assert_int_equal(gen_pool_free(p, base + 4 * G, G), 0);
}

/*
 * Invalid data is reported and installed (as the kernel installs it): the
 * pool's allocations then fail with EINVAL instead of placing with the
 * previous algorithm. test_conform.c has every entry point and pool kind.
 */
static void set_algo_invalid_data(void **state)
{
	struct genpool_data_align zero = { .align = 0 }, three = { .align = 3 };
	struct genpool_data_fixed half = { .offset = G / 2 };
	struct gen_pool *p = gen_pool_create(ORDER, -1);

	(void)state;
	assert_non_null(p);
	assert_int_equal(gen_pool_add(p, BASE_A, 16 * G, -1), 0);
	make_holes(p, BASE_A);
	gen_pool_set_algo(p, gen_pool_best_fit, NULL);
	expect_no_report();
	report_reset();
	/* best fit: the 1-granule hole, not the first (3-granule) one */
	assert_int_equal(gen_pool_alloc(p, G), BASE_A + 4 * G);
	expect_no_report();
	for (int i = 0; i < 5; i++) {
		static const genpool_algo_t algo[] = { gen_pool_first_fit_align,
						       gen_pool_first_fit_align,
						       gen_pool_first_fit_align, gen_pool_fixed_alloc,
						       gen_pool_fixed_alloc };
		void *data[] = { &zero, &three, NULL, &half, NULL };

		gen_pool_set_algo(p, algo[i], data[i]);
		expect_report(EINVAL);
		errno = 0;
		assert_int_equal(gen_pool_alloc(p, G), 0);
		assert_int_equal(errno, EINVAL);
		expect_report(EINVAL);
		assert_int_equal(gen_pool_avail(p), 3 * G); /* nothing allocated */
	}
	gen_pool_set_algo(NULL, gen_pool_best_fit, NULL);
	expect_report(EINVAL);
	/* the NULL pool changed nothing: the last invalid pair is still there */
	assert_int_equal(gen_pool_alloc(p, G), 0);
	expect_report(EINVAL);
	gen_pool_set_algo(p, NULL, NULL);
	assert_int_equal(gen_pool_alloc(p, G), BASE_A); /* first fit restored */
	assert_int_equal(gen_pool_free(p, BASE_A, G), 0);
	assert_int_equal(gen_pool_free(p, BASE_A + 3 * G, 13 * G), 0);
	assert_int_equal(gen_pool_destroy(p), 0);
	expect_no_report();
}

/* ------------------------------------------------------------------------ */
/* Queries with a NULL pool                                                 */

static void count_cb(struct gen_pool *pool, struct gen_pool_chunk *chunk, void *data)
{
	(void)pool;
	(void)chunk;
	(*(int *)data)++;
}

static void queries_null_pool(void **state)
{
	int calls = 0;

	(void)state;
	report_reset();
	assert_int_equal(gen_pool_avail(NULL), 0);
	expect_report(EINVAL);
	assert_int_equal(gen_pool_size(NULL), 0);
	expect_report(EINVAL);
	assert_false(gen_pool_has_addr(NULL, BASE_A, G));
	expect_report(EINVAL);
	assert_int_equal(gen_pool_virt_to_phys(NULL, BASE_A), (phys_addr_t)-1);
	expect_report(EINVAL);
	gen_pool_for_each_chunk(NULL, count_cb, &calls);
	expect_report(EINVAL);
	assert_int_equal(calls, 0);
}

/* ------------------------------------------------------------------------ */
/* Handler removal and GENPOOL_DEBUG                                        */

static void handler_removed(void **state)
{
	(void)state;
	report_reset();
	gen_pool_set_error_handler(NULL, NULL);
	assert_int_equal(gen_pool_alloc(NULL, G), 0);
	assert_int_equal(gen_pool_free(NULL, BASE_A, G), -EINVAL);
	gen_pool_set_error_handler(on_error, &rep);
	expect_no_report();
	assert_int_equal(gen_pool_alloc(NULL, G), 0);
	expect_report(EINVAL);
}

static void r_alloc_null(void)
{
	gen_pool_alloc(NULL, G);
}

static void r_create_order(void)
{
	gen_pool_create(-1, -1);
}

static struct gen_pool *small_pool(void)
{
	struct gen_pool *p = gen_pool_create(ORDER, -1);

	if (!p || gen_pool_add(p, BASE_A, 16 * G, -1))
		_exit(4);
	return p;
}

static void r_double_free(void)
{
	struct gen_pool *p = small_pool();

	if (gen_pool_free(p, BASE_A, G) != -EINVAL || gen_pool_destroy(p))
		_exit(5);
}

static void r_destroy_busy(void)
{
	struct gen_pool *p = small_pool();

	unsigned long a = gen_pool_alloc(p, 2 * G);

	if (!a || gen_pool_destroy(p) != -EBUSY)
		_exit(5);
	/* clean up quietly, so leak checkers see the child exit clean */
	gen_pool_set_error_handler(NULL, NULL);
	if (gen_pool_free(p, a, 2 * G) || gen_pool_destroy(p))
		_exit(6);
}

static void r_add_overlap(void)
{
	struct gen_pool *p = small_pool();

	if (gen_pool_add(p, BASE_A + G, G, -1) != -EEXIST || gen_pool_destroy(p))
		_exit(5);
}

/*
 * Run @fn in a child with stderr on a pipe; with @handler the recorder is
 * installed (the child fails unless it saw exactly one report), else none;
 * GENPOOL_DEBUG is set to @debug, or unset when NULL. Returns bytes read.
 */
static size_t child_stderr(void (*fn)(void), const char *debug, bool handler, char *buf,
			   size_t len)
{
	size_t got = 0;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		report_reset();
		gen_pool_set_error_handler(handler ? on_error : NULL, handler ? &rep : NULL);
		if (debug)
			setenv("GENPOOL_DEBUG", debug, 1);
		else
			unsetenv("GENPOOL_DEBUG");
		if (dup2(fds[1], 2) < 0)
			_exit(2);
		fn();
		_exit(handler && rep.calls != 1 ? 3 : 0);
	}
	close(fds[1]);
	while (got < len - 1 && (n = read(fds[0], buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return got;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void (*const refusals[])(void) = {
	r_alloc_null, r_create_order, r_double_free, r_destroy_busy, r_add_overlap,
};
/* The line each prints starts so: the call the child made, not what it wraps. */
static const char *const refusal_prefix[] = {
	"genpool: gen_pool_alloc: ", "genpool: gen_pool_create: ", "genpool: gen_pool_free: ",
	"genpool: gen_pool_destroy: ", "genpool: gen_pool_add: ",
};

static void debug_env_prints_one_line(void **state)
{
	char buf[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		assert_true(child_stderr(refusals[i], "1", false, buf, sizeof(buf)) > 0);
		assert_int_equal(count_lines(buf), 1);
		if (strncmp(buf, refusal_prefix[i], strlen(refusal_prefix[i])))
			fail_msg("expected \"%s...\", got \"%s\"", refusal_prefix[i], buf);
		assert_int_equal(buf[strlen(buf) - 1], '\n');
	}
}

static void quiet_without_debug_env(void **state)
{
	char buf[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		assert_int_equal(child_stderr(refusals[i], NULL, false, buf, sizeof(buf)), 0);
		/* a handler takes the report instead of stderr */
		assert_int_equal(child_stderr(refusals[i], "1", true, buf, sizeof(buf)), 0);
	}
}

/* ------------------------------------------------------------------------ */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(destroy_busy_plain, setup),
		cmocka_unit_test_setup(destroy_busy_strict, setup),
		cmocka_unit_test_setup(destroy_busy_spinlock, setup),
		cmocka_unit_test_setup(destroy_null, setup),
		cmocka_unit_test_setup(set_algo_invalid_data, setup),
		cmocka_unit_test_setup(queries_null_pool, setup),
		cmocka_unit_test_setup(handler_removed, setup),
		cmocka_unit_test_setup(debug_env_prints_one_line, setup),
		cmocka_unit_test_setup(quiet_without_debug_env, setup),
	};

	unsetenv("GENPOOL_DEBUG");
	alarm(100); /* a stuck child must not hang the run: fail fast */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
