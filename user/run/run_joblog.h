/*
 * --joblog FILE in GNU parallel's format, and what --resume /
 * --resume-failed read back from it. One header line, then one line per
 * task that ran, TAB-separated:
 *
 *   Seq Host Starttime JobRuntime Send Receive Exitval Signal Command
 *
 * Seq is the task's number ({#}: its place in the input, so a resumed run
 * with the same input matches), Host ":" (this host), Starttime seconds
 * since the epoch with 3 decimals, JobRuntime %10.3f, Send the bytes fed
 * on stdin, Receive the bytes of stdout, Exitval the exit code (-1 for a
 * --task-timeout, 0 for a signal), Signal the signal that ended it.
 */
#ifndef SWARM_RUN_JOBLOG_H
#define SWARM_RUN_JOBLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tasks.h"

/* Open for writing: truncated with a new header, or (append, --resume*)
 * added to, with a header only if it is empty. 0 or -errno. */
int joblog_open(const char *path, int append, FILE **out);
/* One line for a task that ran; wall_off_ns turns its CLOCK_MONOTONIC
 * times into the epoch's. */
void joblog_line(FILE *f, const struct task *t, int64_t wall_off_ns,
		 uint64_t send, uint64_t recv, const char *cmd);
/* Mark skip[seq - 1] for each Seq in the log: every one, or (only_ok) the
 * ones that succeeded. A missing file marks nothing. 0, -errno, or -EINVAL
 * when the file is not a joblog (*bad_line names the line). */
int joblog_resume(const char *path, int only_ok, unsigned char *skip, size_t n,
		  size_t *bad_line);

#endif
