/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_trace_read.c - the trace reader (tools/trace_read.h): a good file
 * round-trips through the writer and comes back in (time, thread, tseq)
 * order; every bad file is refused with a one-line reason naming the
 * problem (missing, directory, empty, truncated header, foreign magic,
 * wrong version, record size, header size, source, unknown record type);
 * a cut-off last record is dropped and counted; RMM's CSV log is read,
 * its bad lines named and a cut-off last line dropped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_read.h"
#include "trace_write.h"

static char dir[64];
static char path[128];
static char err[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gp_trace_read.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/t", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void write_bytes(const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(p, len, 1, f), 1);
	assert_int_equal(fclose(f), 0);
}

static struct gp_trace_record rec(uint64_t t, uint32_t thr, uint32_t seq, uint8_t type,
				  uint64_t addr, uint64_t size)
{
	return (struct gp_trace_record){ .time_ns = t, .thread = thr, .tseq = seq,
					 .type = type, .addr = addr, .size = size };
}

/* A file whose header has one field changed, for the refusal cases. */
static void write_with_header(const struct gp_trace_header *h, size_t nrec)
{
	struct gp_trace_record r[2] = { rec(1, 1, 0, GP_TR_ALLOC, 16, 8),
					rec(2, 1, 1, GP_TR_FREE, 16, 0) };

	assert_int_equal(gp_trace_write_file(path, h, r, nrec, err, sizeof(err)), 0);
}

/* Load must fail, leave @t zeroed, and say something containing @needle. */
static void expect_refused(const char *needle)
{
	struct gp_trace t;

	memset(&t, 0x5a, sizeof(t));
	assert_int_equal(gp_trace_load(path, &t, err, sizeof(err)), -1);
	assert_null(t.rec);
	assert_int_equal(t.n, 0);
	assert_null(strchr(err, '\n'));
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not name \"%s\"", err, needle);
}

static void test_roundtrip_sorted(void **state)
{
	struct gp_trace_header h;
	struct gp_trace_record r[5] = {
		rec(30, 2, 1, GP_TR_FREE, 0x100, 0),
		rec(10, 1, 0, GP_TR_ALLOC, 0x100, 24),
		rec(20, 2, 0, GP_TR_ALLOC, 0x200, 8),
		rec(20, 1, 2, GP_TR_ALLOC, 0x300, 8),
		rec(20, 1, 1, GP_TR_FREE, 0x200, 0),
	};
	struct gp_trace t;

	(void)state;
	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "a-program-with-a-long-name");
	assert_int_equal(h.name[sizeof(h.name) - 1], '\0');
	assert_int_equal(gp_trace_write_file(path, &h, r, 5, err, sizeof(err)), 0);
	assert_int_equal(gp_trace_load(path, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 5);
	assert_int_equal(t.partial_bytes, 0);
	assert_int_equal(t.hdr.source, GP_TRACE_SRC_MALLOC);
	assert_string_equal(t.hdr.name, "a-program-with-a-long-n");
	/* (time, thread, tseq): 10/1/0, 20/1/1, 20/1/2, 20/2/0, 30/2/1 */
	assert_int_equal(t.rec[0].time_ns, 10);
	assert_int_equal(t.rec[1].tseq, 1);
	assert_int_equal(t.rec[2].tseq, 2);
	assert_int_equal(t.rec[3].thread, 2);
	assert_int_equal(t.rec[3].tseq, 0);
	assert_int_equal(t.rec[4].time_ns, 30);
	gp_trace_free(&t);
	assert_null(t.rec);
	gp_trace_free(&t);	/* twice is harmless */
}

static void test_truncated_record(void **state)
{
	struct gp_trace_header h;
	struct gp_trace_record r[3] = { rec(1, 1, 0, GP_TR_ALLOC, 16, 8),
					rec(2, 1, 1, GP_TR_ALLOC, 32, 8),
					rec(3, 1, 2, GP_TR_FREE, 16, 0) };
	char buf[sizeof(h) + sizeof(r)];
	struct gp_trace t;

	(void)state;
	gp_trace_header_init(&h, GP_TRACE_SRC_POOL, 6, 0, "pool");
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), r, sizeof(r));
	/* cut inside the third record: two whole records remain */
	write_bytes(buf, sizeof(buf) - 17);
	assert_int_equal(gp_trace_load(path, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.partial_bytes, sizeof(r[0]) - 17);
	assert_int_equal(t.hdr.min_alloc_order, 6);
	gp_trace_free(&t);
	/* only a header: a valid, empty trace */
	write_bytes(buf, sizeof(h));
	assert_int_equal(gp_trace_load(path, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(t.partial_bytes, 0);
	gp_trace_free(&t);
}

static void test_missing_and_not_regular(void **state)
{
	(void)state;
	unlink(path);
	expect_refused("cannot open");
	snprintf(path, sizeof(path), "%s", dir);
	expect_refused("not a regular file");
	snprintf(path, sizeof(path), "%s/t", dir);
}

static void test_empty(void **state)
{
	(void)state;
	write_bytes("", 0);
	expect_refused("empty file");
}

static void test_truncated_header(void **state)
{
	struct gp_trace_header h;

	(void)state;
	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "x");
	write_bytes(&h, 40);
	expect_refused("truncated header (40 of 64 bytes)");
	write_bytes(&h, 3);	/* even a piece of the magic */
	expect_refused("truncated header (3 of 64 bytes)");
}

static void test_foreign(void **state)
{
	static const char elf[80] = "\x7f" "ELF\x02\x01\x01";

	(void)state;
	write_bytes(elf, sizeof(elf));
	expect_refused("foreign magic");
	write_bytes("hello\n", 6);
	expect_refused("foreign magic");
}

static void test_bad_header_fields(void **state)
{
	struct gp_trace_header h;

	(void)state;
	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "x");
	h.version = 2;
	write_with_header(&h, 2);
	expect_refused("version 2");

	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "x");
	h.record_size = 40;
	write_with_header(&h, 2);
	expect_refused("record size 40");

	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "x");
	h.header_size = 32;
	write_with_header(&h, 2);
	expect_refused("header size 32");

	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "x");
	h.header_size = 4096;	/* records would start past the end */
	write_with_header(&h, 2);
	expect_refused("truncated header");

	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "x");
	h.source = 9;
	write_with_header(&h, 2);
	expect_refused("unknown trace source 9");

	gp_trace_header_init(&h, GP_TRACE_SRC_POOL, 64, 0, "x");
	write_with_header(&h, 2);
	expect_refused("pool granule order 64 out of range");
	gp_trace_header_init(&h, GP_TRACE_SRC_POOL, -1, 0, "x");
	write_with_header(&h, 2);
	expect_refused("pool granule order -1 out of range");
}

static void test_bad_record(void **state)
{
	struct gp_trace_header h;
	struct gp_trace_record r[2] = { rec(1, 1, 0, GP_TR_ALLOC, 16, 8),
					rec(2, 1, 1, 42, 16, 0) };

	(void)state;
	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "x");
	assert_int_equal(gp_trace_write_file(path, &h, r, 2, err, sizeof(err)), 0);
	expect_refused("record 1 (file offset 112): unknown type 42");
	r[1].type = GP_TR_FREE;
	r[1].result = 7;
	assert_int_equal(gp_trace_write_file(path, &h, r, 2, err, sizeof(err)), 0);
	expect_refused("unknown result 7");
}

static void test_write_refused(void **state)
{
	struct gp_trace_header h;
	char p[160];

	(void)state;
	gp_trace_header_init(&h, GP_TRACE_SRC_MALLOC, -1, 0, "x");
	snprintf(p, sizeof(p), "%s/no/such/dir", dir);
	assert_int_equal(gp_trace_write_file(p, &h, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot create"));
	assert_int_equal(access(p, F_OK), -1);
}

static void test_csv(void **state)
{
	static const char csv[] =
		"Thread,Time,Action,Pointer,Size,Stream\n"
		"140573312345856,1634567890.123456,allocate,0x7f8a40000000,1024,0x1\n"
		"140573312345999,1634567890.123456,allocate,0x7f8a40000400,2048,0x1\n"
		"140573312345856,1634567890.100000,deallocate,0x7f8a40000000,1024,0x1\n"
		"140573312345999,1634567891.5,allocate failure,0x0,99,0x1\n"
		"140573312345999,1634567891.6,free,0x7f8a40000400,2048,0x1\n";
	struct gp_trace t;

	(void)state;
	write_bytes(csv, strlen(csv));
	assert_int_equal(gp_trace_load(path, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 5);
	assert_int_equal(t.hdr.source, GP_TRACE_SRC_MALLOC);
	assert_int_equal(t.hdr.record_size, sizeof(struct gp_trace_record));
	/* the file's order survives equal and backward times */
	assert_int_equal(t.rec[0].type, GP_TR_ALLOC);
	assert_int_equal(t.rec[0].thread, 1);
	assert_int_equal(t.rec[0].addr, 0x7f8a40000000ull);
	assert_int_equal(t.rec[0].size, 1024);
	assert_int_equal(t.rec[1].thread, 2);
	assert_int_equal(t.rec[2].type, GP_TR_FREE);
	assert_int_equal(t.rec[2].thread, 1);
	assert_int_equal(t.rec[2].tseq, 1);
	assert_int_equal(t.rec[3].result, GP_TRES_NOMEM);
	assert_int_equal(t.rec[3].addr, 0);
	assert_int_equal(t.rec[4].time_ns, 1500000000ull - 123456000ull + 100000000ull);
	gp_trace_free(&t);
}

static void test_csv_time_of_day_and_damage(void **state)
{
	static const char tod[] =
		"Thread,Time,Action,Pointer,Size,Stream\n"
		"7,10:00:01:250000,allocate,0x1000,64,0x0\n"
		"7,10:00:02.5,free,0x1000,64,0x0\n"
		"7,10:00:03.5,alloc";	/* cut off while the program died */
	static const char bad[] =
		"Thread,Time,Action,Pointer,Size,Stream\n"
		"7,10:00:01:250000,allocate,0x1000,64,0x0\n"
		"7,10:00:02.5,resize,0x1000,64,0x0\n";
	struct gp_trace t;

	(void)state;
	write_bytes(tod, strlen(tod));
	assert_int_equal(gp_trace_load(path, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.rec[1].time_ns, 1250000000ull);
	assert_int_equal(t.partial_bytes, strlen("7,10:00:03.5,alloc"));
	gp_trace_free(&t);
	write_bytes(bad, strlen(bad));
	expect_refused("line 3: unknown action");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sorted),
		cmocka_unit_test(test_truncated_record),
		cmocka_unit_test(test_missing_and_not_regular),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_bad_header_fields),
		cmocka_unit_test(test_bad_record),
		cmocka_unit_test(test_write_refused),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_time_of_day_and_damage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
