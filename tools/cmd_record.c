// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_record.c - `genpool record -o LOG -- PROGRAM [ARGS...]`: run PROGRAM
 * under the malloc tracer (record/gptrace_preload.c) and leave its trace
 * in LOG; every process it started (and that exec'd or forked) leaves its
 * own trace in LOG.PID. The tracer is found through $GENPOOL_PRELOAD, then
 * the installed library, then next to this executable (a build tree).
 *
 * Nothing is written when the tracer or the program cannot be found, or
 * LOG's directory is not writable. The exit status is the program's (128 +
 * the signal if a signal ended it), or 2 for bad input.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"

#ifndef GPTRACE_PRELOAD_PATH
#define GPTRACE_PRELOAD_PATH ""
#endif

extern char **environ;

static const char usage_record[] =
	"Usage: genpool record -o LOG [--] PROGRAM [ARGS...]\n"
	"Run PROGRAM with the malloc tracer preloaded and write its trace to LOG\n"
	"(the genpool trace format, source malloc): every malloc, calloc, realloc,\n"
	"reallocarray, memalign, posix_memalign, aligned_alloc, valloc, pvalloc and\n"
	"free, with size, thread and order. Processes PROGRAM starts are traced too,\n"
	"each into LOG.PID. The exit status is PROGRAM's.\n"
	"  -o, --output LOG   the trace file (required)\n"
	"  --help             this text\n";

static int find_tracer(char *out, size_t len)
{
	const char *env = getenv("GENPOOL_PRELOAD");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return snprintf(out, len, "%s", env), access(out, R_OK);
	if (*GPTRACE_PRELOAD_PATH && !access(GPTRACE_PRELOAD_PATH, R_OK))
		return snprintf(out, len, "%s", GPTRACE_PRELOAD_PATH), 0;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	snprintf(out, len, "%s/gptrace_preload.so", dirname(self));
	return access(out, R_OK);
}

/* environ plus LD_PRELOAD (ours first) and GPTRACE_PREFIX. */
static char **child_env(const char *tracer, const char *prefix)
{
	size_t n = 0, k = 0;
	const char *old = getenv("LD_PRELOAD");
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) && strncmp(environ[i], "GPTRACE_PREFIX=", 15))
			env[k++] = environ[i];
	if (asprintf(&env[k++], "LD_PRELOAD=%s%s%s", tracer, old && *old ? " " : "",
		     old ? old : "") < 0 ||
	    asprintf(&env[k++], "GPTRACE_PREFIX=%s", prefix) < 0)
		return NULL;
	return env;
}

/* LOG.part.PID -> LOG for @main_pid, LOG.PID for the others; -1 if main left none. */
static int settle(const char *log, pid_t main_pid, int *others)
{
	char dir[PATH_MAX], name[PATH_MAX], base[PATH_MAX], from[PATH_MAX * 2], to[PATH_MAX * 2];
	size_t blen;
	struct dirent *d;
	DIR *dp;
	int rc = -1;

	snprintf(name, sizeof(name), "%s", log);
	snprintf(base, sizeof(base), "%s.part.", basename(name));
	snprintf(from, sizeof(from), "%s", log);
	snprintf(dir, sizeof(dir), "%s", dirname(from));
	blen = strlen(base);
	dp = opendir(dir);
	if (!dp)
		return -1;
	*others = 0;
	while ((d = readdir(dp))) {
		long pid;

		if (strncmp(d->d_name, base, blen))
			continue;
		pid = strtol(d->d_name + blen, NULL, 10);
		snprintf(from, sizeof(from), "%s/%s", dir, d->d_name);
		if (pid == main_pid) {
			snprintf(to, sizeof(to), "%s", log);
			rc = 0;
		} else {
			snprintf(to, sizeof(to), "%s.%ld", log, pid);
			(*others)++;
		}
		rename(from, to);
	}
	closedir(dp);
	return rc;
}

static int run(const char *log, char **argv)
{
	char tracer[PATH_MAX], prefix[PATH_MAX + 8];
	char **env;
	pid_t pid;
	int st, others, e;

	if (find_tracer(tracer, sizeof(tracer)))
		return bad_input("record", "cannot find the tracer library (%s); set GENPOOL_PRELOAD",
				 tracer);
	snprintf(prefix, sizeof(prefix), "%s.part", log);
	env = child_env(tracer, prefix);
	if (!env)
		return bad_input("record", "no memory");
	e = posix_spawnp(&pid, argv[0], NULL, NULL, argv, env);
	if (e)
		return bad_input("record", "cannot run '%s': %s", argv[0], strerror(e));
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (settle(log, pid, &others))
		return bad_input("record", "'%s' left no trace (is %s writable?)", argv[0], log);
	fprintf(stderr, "genpool record: wrote %s", log);
	if (others)
		fprintf(stderr, " and %d more processes' traces as %s.PID", others, log);
	fputc('\n', stderr);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *log = NULL;
	int c;

	/* '+': stop at PROGRAM, whose own options are not ours */
	while ((c = tool_getopt("record", argc, argv, "+o:h", opts)) != -1) {
		if (c == 'h')
			return fputs(usage_record, stdout), 0;
		if (c == 'o')
			log = optarg;
		else
			return EXIT_BADINPUT;
	}
	if (!log)
		return bad_input("record", "-o LOG is required (see genpool record --help)");
	if (optind >= argc)
		return bad_input("record", "no PROGRAM to run (see genpool record --help)");
	return run(log, argv + optind);
}
