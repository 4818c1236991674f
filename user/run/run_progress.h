/*
 * --eta / --progress / --bar: one status line on stderr, redrawn at most
 * ten times a second, only when both stdout and stderr are terminals (a
 * line of carriage returns in a log or a pipe helps nobody).
 */
#ifndef SWARM_RUN_PROGRESS_H
#define SWARM_RUN_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct run_progress {
	int on, shown;
	uint64_t t0, last;
};

void progress_init(struct run_progress *p, int wanted);
void progress_show(struct run_progress *p, size_t done, size_t failed,
		   size_t running, size_t total, int force);
/* Erase the line (before task output, and at the end). */
void progress_clear(struct run_progress *p);

#endif
