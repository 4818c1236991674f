/*
 * Output of plain commands in GNU parallel mode: each task's stdout goes to
 * our stdout and its stderr to our stderr, whole (never interleaved with
 * another task's), in completion order or, with keep_order, in run order;
 * with tag every line starts with the task and a TAB. A task's output
 * arrives as two memfds (coord_pool.h spool mode); no size limit applies.
 * A closed stdout (EPIPE) is remembered and later output dropped.
 */
#ifndef SWARM_RUN_OUTPUT_H
#define SWARM_RUN_OUTPUT_H

#include <stddef.h>

struct run_output_cfg {
	size_t ntasks;              /* positions 0 .. ntasks-1 */
	int keep_order, tag;
	int out_fd, err_fd;         /* usually 1 and 2 */
	void (*before_write)(void *arg);  /* e.g. clear a progress line */
	void *arg;
};

struct run_output;

int run_output_new(const struct run_output_cfg *c, struct run_output **out);
/* The task at run position pos ended; out_fd/err_fd (-1: none) are now
 * ours. tag (len bytes) must stay valid until it is printed. */
void run_output_done(struct run_output *o, size_t pos, const char *tag,
		     size_t len, int out_fd, int err_fd);
/* Print whatever is still held (end of the run), in order. */
void run_output_flush(struct run_output *o);
/* 1 once writing to stdout failed with EPIPE. */
int run_output_broken(const struct run_output *o);
void run_output_free(struct run_output *o);

#endif
