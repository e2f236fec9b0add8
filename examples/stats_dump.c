/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stats_dump.c - look inside a pool: statistics and the event log.
 *
 * A managed pool ("nic0/rx") of 256-byte granules over two address ranges
 * of a pretend device (the addresses are never touched, as with device
 * memory). The program allocates receive buffers of a few sizes, frees
 * some, asks for more than fits once (ENOMEM) and frees one buffer twice
 * (refused), then:
 *   - reads the statistics with gen_pool_get_stats() and checks them,
 *   - prints them as JSON lines with gen_pool_dump_stats() (the README's
 *     statistics section shows this program's output),
 *   - with a path argument, records every event to that file with
 *     gen_pool_log_start() / gen_pool_log_stop() (the format of
 *     docs/trace-format.md).
 * Usage: stats_dump [LOG]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <genpool.h>

#define RANGE_A 0x40000000UL /* 64 KiB */
#define RANGE_B 0x40100000UL /* 16 KiB, added second: searched first */

static void die(const char *what, int err)
{
	fprintf(stderr, "stats_dump: %s: error %d\n", what, err);
	exit(1);
}

static void quiet(int err, const char *msg, void *arg)
{
	(void)err;
	(void)msg;
	++*(int *)arg; /* the double free below is refused on purpose */
}

/* Receive buffers of three sizes; every third one given back. */
static void traffic(struct gen_pool *pool, unsigned long *bufs, size_t *sizes, int n)
{
	static const size_t size_of[] = { 256, 1500, 9000 };

	for (int i = 0; i < n; i++) {
		sizes[i] = size_of[i % 3];
		bufs[i] = gen_pool_alloc(pool, sizes[i]);
		if (!bufs[i])
			die("gen_pool_alloc", errno);
	}
	for (int i = 0; i < n; i += 3)
		if (gen_pool_free(pool, bufs[i], sizes[i]))
			die("gen_pool_free", -EINVAL);
}

int main(int argc, char **argv)
{
	struct gen_pool_owner *nic = gen_pool_owner_create("nic0");
	struct gen_pool *pool = nic ? gen_pool_create_managed(nic, 8, -1, "rx") : NULL;
	struct gen_pool_stats st;
	unsigned long bufs[12];
	size_t sizes[12];
	int refused = 0, err;

	if (!pool)
		die("create", errno);
	gen_pool_set_error_handler(quiet, &refused);
	if ((err = gen_pool_add(pool, RANGE_A, 64 << 10, -1)) ||
	    (err = gen_pool_add(pool, RANGE_B, 16 << 10, -1)))
		die("gen_pool_add", err);
	if (argc > 1 && (err = gen_pool_log_start(pool, argv[1])))
		die("gen_pool_log_start", err);

	traffic(pool, bufs, sizes, 12);
	if (gen_pool_alloc(pool, 1 << 20) || errno != ENOMEM)
		die("an allocation larger than the pool", errno);
	if (gen_pool_free(pool, bufs[0], sizes[0]) != -EINVAL || refused != 1)
		die("a double free", refused);

	if ((err = gen_pool_get_stats(pool, &st, sizeof(st))))
		die("gen_pool_get_stats", err);
	if (st.allocs != 12 || st.frees != 4 || st.failed != 1 || st.refused != 1 ||
	    st.size != 80 << 10 || st.high_water < st.size - st.avail)
		die("unexpected statistics", 0);
	if ((err = gen_pool_dump_stats(pool, stdout)))
		die("gen_pool_dump_stats", err);

	if (argc > 1 && (err = gen_pool_log_stop(pool)))
		die("gen_pool_log_stop", err);
	for (int i = 1; i < 12; i++)
		if (i % 3 && gen_pool_free(pool, bufs[i], sizes[i]))
			die("gen_pool_free", -EINVAL);
	return gen_pool_owner_destroy(nic) ? 1 : 0;
}
