/* execbench: what one exec of a command costs, several commands measured
 * interleaved (A B C A B C ...) so a noisy machine slows them all alike.
 *
 *   execbench [-n N] -- CMD1 ARGS -- CMD2 ARGS ...
 *
 * Each round spawns every command once (posix_spawn + waitpid, stdout and
 * stderr to /dev/null) and times it with CLOCK_MONOTONIC. Prints one JSON
 * line: {"n":N,"cmds":[{"argv0":...,"p50_us":...,"p95_us":...,"fails":...}]}
 * A command that exits non-zero is counted in fails (and still timed). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 8

extern char **environ;

struct cmd {
	char **argv;
	double *us;
	unsigned fails;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int run_once(struct cmd *c, posix_spawn_file_actions_t *fa, double *out)
{
	double t0 = now_us();
	int st = 0;
	pid_t pid;

	if (posix_spawn(&pid, c->argv[0], fa, NULL, c->argv, environ))
		return -errno;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*out = now_us() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		c->fails++;
	return 0;
}

static void print_json(struct cmd *cmds, int ncmd, int n)
{
	printf("{\"n\":%d,\"cmds\":[", n);
	for (int i = 0; i < ncmd; i++) {
		qsort(cmds[i].us, n, sizeof(double), cmp_double);
		printf("%s{\"argv0\":\"%s\",\"p50_us\":%.1f,\"p95_us\":%.1f,\"fails\":%u}",
		       i ? "," : "", cmds[i].argv[0], cmds[i].us[n / 2],
		       cmds[i].us[(n * 95) / 100], cmds[i].fails);
	}
	printf("]}\n");
}

int main(int argc, char **argv)
{
	struct cmd cmds[MAX_CMDS] = { 0 };
	posix_spawn_file_actions_t fa;
	int n = 200, ncmd = 0, i, r, rc = 1;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: execbench [-n N] -- CMD ARGS [-- CMD ARGS]...\n");
			return 2;
		}
	}
	/* split the rest at each "--" into commands (argv is ours to cut) */
	while (i < argc && ncmd < MAX_CMDS) {
		argv[i++] = NULL; /* the "--" ends the previous command */
		if (i >= argc)
			break;
		cmds[ncmd++].argv = &argv[i];
		while (i < argc && strcmp(argv[i], "--"))
			i++;
	}
	if (n < 1 || ncmd == 0) {
		fprintf(stderr, "execbench: need -n >= 1 and at least one command\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (i = 0; i < ncmd; i++) {
		cmds[i].us = calloc(n, sizeof(double));
		if (!cmds[i].us)
			goto out;
	}
	for (r = 0; r < n; r++)
		for (i = 0; i < ncmd; i++)
			if (run_once(&cmds[i], &fa, &cmds[i].us[r])) {
				fprintf(stderr, "execbench: cannot run %s: %s\n", cmds[i].argv[0],
					strerror(errno));
				goto out;
			}
	print_json(cmds, ncmd, n);
	rc = 0;
out:
	for (i = 0; i < ncmd; i++)
		free(cmds[i].us);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}
