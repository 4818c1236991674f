/* cpurun — run a command, then report on stderr (last line, JSON) its wall
 * time and the CPU time of it and every descendant it waited for:
 *   {"cpurun":1,"wall_s":..,"user_s":..,"sys_s":..,"cpu_pct":..,"maxrss_kb":..,"rc":..}
 * cpu_pct is percent of one core averaged over the run. The command's exit
 * code is passed through (128+signal when killed). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	uint64_t t0, t1;
	pid_t pid;
	int st, rc;
	double wall, user, sys;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: cpurun CMD [ARGS...]\n");
		return 2;
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		perror("cpurun: fork");
		return 3;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "cpurun: cannot run %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			perror("cpurun: waitpid");
			return 3;
		}
	t1 = now_ns();
	getrusage(RUSAGE_CHILDREN, &ru);
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	wall = (double)(t1 - t0) / 1e9;
	user = tv_s(ru.ru_utime);
	sys = tv_s(ru.ru_stime);
	fprintf(stderr, "{\"cpurun\":1,\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,"
		"\"cpu_pct\":%.2f,\"maxrss_kb\":%ld,\"rc\":%d}\n",
		wall, user, sys, wall > 0 ? 100.0 * (user + sys) / wall : 0.0, ru.ru_maxrss, rc);
	return rc;
}
