// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * trace_csv.c - read RMM's logging_resource_adaptor CSV log
 * ("Thread,Time,Action,Pointer,Size,Stream") as a malloc-source trace.
 *
 * Actions: "allocate" (ALLOC), "allocate failure" (a failed ALLOC, addr 0),
 * "free" and "deallocate" (FREE, with the size RMM logs). Time is either
 * seconds since the epoch with a fraction, or a time of day
 * "HH:MM:SS.ffffff" / "HH:MM:SS:ffffff" as older RMM versions wrote it.
 * RMM writes the log under one lock, so the file's line order is the event
 * order; the times have only microseconds, so each record's time is made
 * strictly greater than the previous line's (by 1 ns where equal or
 * earlier) and the reader's sort keeps the file's order exactly.
 *
 * Thread ids (pthread_self values) become 1, 2, ... in order of first
 * appearance, as the binary format numbers them.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "trace_csv.h"

#define CSV_HEADER "Thread,Time,Action,Pointer,Size"

bool gp_trace_csv_sniff(const char *head, size_t len)
{
	size_t n = strlen(CSV_HEADER);

	return len >= n && !memcmp(head, CSV_HEADER, n);
}

struct csv_thread {
	unsigned long long id;
	uint32_t count;
};

struct csv_state {
	struct csv_thread *thr;
	size_t nthr, capthr;
	size_t cap;
	uint64_t first_ns, last_ns;
	bool have_first;
};

/* Index (1-based) of thread @id, adding it on first sight; 0 on no memory. */
static uint32_t thread_of(struct csv_state *s, unsigned long long id, uint32_t *tseq)
{
	size_t i;

	for (i = 0; i < s->nthr; i++)
		if (s->thr[i].id == id)
			break;
	if (i == s->nthr) {
		if (grow(&s->thr, &s->capthr, s->nthr + 1, sizeof(*s->thr)))
			return 0;
		s->thr[s->nthr++] = (struct csv_thread){ .id = id };
	}
	*tseq = s->thr[i].count++;
	return (uint32_t)(i + 1);
}

/* Digits after a decimal point as nanoseconds ("5" = 500000000). */
static uint64_t frac_ns(const char *p, const char **end)
{
	uint64_t ns = 0, scale = 100000000;

	for (; isdigit((unsigned char)*p); p++) {
		ns += (uint64_t)(*p - '0') * scale;
		scale /= 10;
	}
	*end = p;
	return ns;
}

/* RMM's time field in nanoseconds; -1 when it is neither form. */
static int parse_time(const char *f, uint64_t *ns)
{
	char *e;
	const char *fe;
	unsigned long long a = strtoull(f, &e, 10);

	if (e == f)
		return -1;
	if (*e == ':') {	/* time of day */
		unsigned long long m = strtoull(e + 1, &e, 10), s;

		if (*e != ':')
			return -1;
		s = strtoull(e + 1, &e, 10);
		*ns = ((a * 60 + m) * 60 + s) * 1000000000ull;
		if (*e == '.' || *e == ':')
			*ns += frac_ns(e + 1, &fe);
		return 0;
	}
	*ns = a * 1000000000ull;
	if (*e == '.')
		*ns += frac_ns(e + 1, &fe);
	return 0;
}

/* Split @line at commas into at most @max fields; returns how many. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ',') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

static int parse_action(const char *a, struct gp_trace_record *r)
{
	if (!strcmp(a, "allocate")) {
		r->type = GP_TR_ALLOC;
	} else if (!strcmp(a, "allocate failure")) {
		r->type = GP_TR_ALLOC;
		r->result = GP_TRES_NOMEM;
	} else if (!strcmp(a, "free") || !strcmp(a, "deallocate")) {
		r->type = GP_TR_FREE;
	} else {
		return -1;
	}
	return 0;
}

/* One data line into @r; a reason in @why on failure. */
static int parse_line(struct csv_state *s, char *line, struct gp_trace_record *r,
		      const char **why)
{
	char *f[6], *e;
	uint64_t ns;

	*r = (struct gp_trace_record){ 0 };
	if (split(line, f, 6) < 5)
		return *why = "fewer than 5 fields", -1;
	unsigned long long tid = strtoull(f[0], &e, 0);
	if (e == f[0])
		return *why = "thread is not a number", -1;
	if (parse_time(f[1], &ns))
		return *why = "unreadable time", -1;
	if (parse_action(f[2], r))
		return *why = "unknown action (allocate, allocate failure, free, deallocate)", -1;
	errno = 0;
	r->addr = strtoull(f[3], &e, 16);
	if (e == f[3] || errno)
		return *why = "pointer is not a hex number", -1;
	r->size = strtoull(f[4], &e, 10);
	if (e == f[4] || errno)
		return *why = "size is not a number", -1;
	if (r->result != GP_TRES_OK)
		r->addr = 0;
	if (!s->have_first) {
		s->first_ns = ns;
		s->have_first = true;
	}
	ns = ns >= s->first_ns ? ns - s->first_ns : 0;
	/* keep the file's order through the sort: strictly increasing times */
	if (s->nthr || s->last_ns)
		ns = ns > s->last_ns ? ns : s->last_ns + 1;
	s->last_ns = ns;
	r->time_ns = ns;
	r->thread = thread_of(s, tid, &r->tseq);
	if (!r->thread)
		return *why = "no memory", -1;
	return 0;
}

static int push(struct gp_trace *t, struct csv_state *s, const struct gp_trace_record *r)
{
	if (grow(&t->rec, &s->cap, t->n + 1, sizeof(*t->rec)))
		return -1;
	t->rec[t->n++] = *r;
	return 0;
}

static void fill_header(struct gp_trace_header *h, const char *path)
{
	const char *base = strrchr(path, '/');

	memcpy(h->magic, GP_TRACE_MAGIC, sizeof(h->magic));
	h->version = GP_TRACE_VERSION;
	h->header_size = sizeof(*h);
	h->record_size = sizeof(struct gp_trace_record);
	h->source = GP_TRACE_SRC_MALLOC;
	h->min_alloc_order = -1;
	snprintf(h->name, sizeof(h->name), "%s", base ? base + 1 : path);
}

/* Parse every line of @buf (NUL-terminated, @len bytes). */
static int parse_all(char *buf, size_t len, const char *path, struct gp_trace *t,
		     char *err, size_t errlen)
{
	struct csv_state s = { 0 };
	char *line = strchr(buf, '\n');
	size_t lineno = 1;
	int rc = 0;

	while (line && *++line) {
		char *nl = strchr(line, '\n');
		struct gp_trace_record r;
		const char *why;

		lineno++;
		if (nl)
			*nl = '\0';
		if (nl && nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*line && parse_line(&s, line, &r, &why)) {
			if (!nl) {	/* a cut-off last line: dropped, like a partial record */
				t->partial_bytes = (size_t)(buf + len - line);
				break;
			}
			snprintf(err, errlen, "%s: line %zu: %s", path, lineno, why);
			rc = -1;
			break;
		}
		if (*line && push(t, &s, &r)) {
			snprintf(err, errlen, "%s: no memory at line %zu", path, lineno);
			rc = -1;
			break;
		}
		line = nl;
	}
	free(s.thr);
	return rc;
}

int gp_trace_csv_load(int fd, const char *path, size_t fsize, struct gp_trace *t,
		      char *err, size_t errlen)
{
	char *buf = malloc(fsize + 1);
	size_t got = 0;
	int rc;

	if (!buf) {
		snprintf(err, errlen, "%s: no memory for a %zu-byte CSV log", path, fsize);
		return -1;
	}
	while (got < fsize) {
		ssize_t r = pread(fd, buf + got, fsize - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	fill_header(&t->hdr, path);
	rc = parse_all(buf, got, path, t, err, errlen);
	free(buf);
	if (!rc)
		gp_trace_sort(t->rec, t->n);
	return rc;
}
