/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cmd.h - the `genpool` tool's subcommands (genpool.c dispatches) and what
 * they share. Exit statuses: 0 fine, 1 a finding (a replay failure the log
 * did not have), 2 bad input (the message says what; nothing was written).
 */
#ifndef GP_TOOLS_CMD_H
#define GP_TOOLS_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "replay.h"
#include "trace_read.h"

#define EXIT_FINDING 1
#define EXIT_BADINPUT 2

int cmd_info(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_record(int argc, char **argv);

/* "genpool SUB: message" on stderr, one line; returns EXIT_BADINPUT. */
int bad_input(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * getopt_long with the tool's error style: an unknown option or a missing
 * argument is one line naming it; returns '?' then (the caller exits 2).
 */
int tool_getopt(const char *sub, int argc, char **argv, const char *shortopts,
		const struct option *longopts);

/* Load @path and compile it; on failure prints the reason and returns -1. */
int load_prog(const char *sub, const char *path, struct gp_trace *t, struct replay_prog *p);

/* Parse a decimal number in [min, max] for option @opt; -1 with a message. */
int parse_num(const char *sub, const char *opt, const char *s, long min, long max, long *out);

/* "1.5 KiB" style, into @buf. */
const char *human_bytes(unsigned long long b, char *buf, size_t len);

#endif /* GP_TOOLS_CMD_H */
