// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * trace_read.c - gp_trace_load (trace_read.h): the one reader of trace
 * files, binary (src/trace_format.h) or RMM's CSV log.
 *
 * Every refusal says, in one line, what is wrong with which file, so that
 * the tool can print it unchanged and exit with status 2. The file is read
 * with pread into one array; nothing is written anywhere. Records are
 * little-endian on disk and this reader assumes a little-endian host (a
 * compile-time check below): the project targets x86-64 and arm64 Linux.
 *
 * Concurrency: none; each call works on its own struct gp_trace.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace_read.h"
#include "trace_csv.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "trace files are little-endian; this reader does not byte-swap"
#endif

#define HDR_SIZE sizeof(struct gp_trace_header)
#define REC_SIZE sizeof(struct gp_trace_record)

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct gp_trace_record *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->tseq != y->tseq)
		return x->tseq < y->tseq ? -1 : 1;
	return 0;
}

void gp_trace_sort(struct gp_trace_record *rec, size_t n)
{
	if (n > 1)
		qsort(rec, n, sizeof(*rec), cmp_rec);
}

/* Read exactly @len bytes at @off; 0, or -1 with errno (EIO on a short read). */
static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len) {
		ssize_t r = pread(fd, p, len, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		p += r;
		off += r;
		len -= (size_t)r;
	}
	return 0;
}

/* The header's promises this reader relies on; 0 or -1 with @err. */
static int check_header(const char *path, const struct gp_trace_header *h,
			char *err, size_t errlen)
{
	if (h->version != GP_TRACE_VERSION)
		return fail(err, errlen, "%s: trace format version %u, this reader knows %u",
			    path, h->version, GP_TRACE_VERSION);
	if (h->record_size != REC_SIZE)
		return fail(err, errlen, "%s: record size %u bytes, expected %zu",
			    path, h->record_size, REC_SIZE);
	if (h->header_size < HDR_SIZE)
		return fail(err, errlen, "%s: header size %u bytes, at least %zu expected",
			    path, h->header_size, HDR_SIZE);
	if (h->source != GP_TRACE_SRC_POOL && h->source != GP_TRACE_SRC_MALLOC)
		return fail(err, errlen, "%s: unknown trace source %u (1 pool, 2 malloc)",
			    path, h->source);
	/* a pool's granule order, as gen_pool_create accepts it; malloc traces say -1 */
	if (h->source == GP_TRACE_SRC_POOL && (h->min_alloc_order < 0 || h->min_alloc_order > 63))
		return fail(err, errlen, "%s: pool granule order %d out of range (0 to 63)",
			    path, h->min_alloc_order);
	return 0;
}

/* Each record's type and result must be known: a replay trusts them. */
static int check_records(const char *path, const struct gp_trace *t, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct gp_trace_record *r = &t->rec[i];

		if (r->type < GP_TR_ADD || r->type > GP_TR_REALLOC)
			return fail(err, errlen, "%s: record %zu (file offset %zu): unknown type %u",
				    path, i, t->hdr.header_size + i * REC_SIZE, r->type);
		if (r->result > GP_TRES_BUSY)
			return fail(err, errlen, "%s: record %zu (file offset %zu): unknown result %u",
				    path, i, t->hdr.header_size + i * REC_SIZE, r->result);
	}
	return 0;
}

static int load_binary(int fd, const char *path, size_t fsize, struct gp_trace *t,
		       char *err, size_t errlen)
{
	size_t body;

	if (pread_all(fd, &t->hdr, HDR_SIZE, 0))
		return fail(err, errlen, "%s: read error: %s", path, strerror(errno));
	if (check_header(path, &t->hdr, err, errlen))
		return -1;
	if (fsize < t->hdr.header_size)
		return fail(err, errlen, "%s: truncated header (%zu of %u bytes)",
			    path, fsize, t->hdr.header_size);
	body = fsize - t->hdr.header_size;
	t->n = body / REC_SIZE;
	t->partial_bytes = body % REC_SIZE;
	if (t->n) {
		t->rec = malloc(t->n * REC_SIZE);
		if (!t->rec)
			return fail(err, errlen, "%s: no memory for %zu records", path, t->n);
		if (pread_all(fd, t->rec, t->n * REC_SIZE, t->hdr.header_size))
			return fail(err, errlen, "%s: read error: %s", path, strerror(errno));
	}
	if (check_records(path, t, err, errlen))
		return -1;
	gp_trace_sort(t->rec, t->n);
	return 0;
}

/* What the first bytes say the file is; -1 with @err when nothing we read. */
enum kind { K_BINARY, K_CSV };

static int sniff(int fd, const char *path, size_t fsize, enum kind *k, char *err, size_t errlen)
{
	char head[HDR_SIZE];
	size_t got = fsize < sizeof(head) ? fsize : sizeof(head);
	size_t cmp = got < 8 ? got : 8;

	if (fsize == 0)
		return fail(err, errlen, "%s: empty file", path);
	if (pread_all(fd, head, got, 0))
		return fail(err, errlen, "%s: read error: %s", path, strerror(errno));
	if (!memcmp(head, GP_TRACE_MAGIC, cmp)) {
		if (got < HDR_SIZE)
			return fail(err, errlen, "%s: truncated header (%zu of %zu bytes)",
				    path, got, HDR_SIZE);
		*k = K_BINARY;
		return 0;
	}
	if (gp_trace_csv_sniff(head, got)) {
		*k = K_CSV;
		return 0;
	}
	return fail(err, errlen, "%s: not a genpool trace (foreign magic, expected \"GPTRACE\" "
		    "or an RMM CSV log)", path);
}

int gp_trace_load(const char *path, struct gp_trace *t, char *err, size_t errlen)
{
	struct stat st;
	enum kind k;
	int fd, rc;

	*t = (struct gp_trace){ 0 };
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = fail(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	rc = sniff(fd, path, (size_t)st.st_size, &k, err, errlen);
	if (rc)
		goto out;
	if (k == K_BINARY)
		rc = load_binary(fd, path, (size_t)st.st_size, t, err, errlen);
	else
		rc = gp_trace_csv_load(fd, path, (size_t)st.st_size, t, err, errlen);
out:
	close(fd);
	if (rc)
		gp_trace_free(t);
	return rc;
}

void gp_trace_free(struct gp_trace *t)
{
	free(t->rec);
	*t = (struct gp_trace){ 0 };
}
