/*
 * What `swarm run` does with its default logs directory
 * (${TMPDIR:-/tmp}/swarm-run-<id>) at the end: a run in which every task
 * succeeded and no agent wrote anything leaves nothing to read, so the
 * directory goes; otherwise it stays and its path is printed. A directory
 * named with --logs, or --keep-logs, is always kept.
 */
#ifndef SWARM_RUN_LOGS_H
#define SWARM_RUN_LOGS_H

#include <stddef.h>

/* Open (make) the logs directory into path and *fd: dir, or when dir is NULL
 * the default ${TMPDIR:-/tmp}/LEAF (swarm-run-<id> for swarm run,
 * swarm-<swarm>-<coordinator> for a NATS coordinator). The default must be
 * ours (the file system uid) and private if it already exists, and is not
 * followed if a symlink: its name is predictable, so another user could
 * have made it first to read the agents' logs. 0 or -errno (-EPERM:
 * squatted, -EINVAL: LEAF not one path component, -ENAMETOOLONG). */
int run_logs_open(const char *dir, const char *leaf, char *path, size_t len, int *fd);

/* Remove dir if it holds only empty regular files, or coordinator
 * bookkeeping (cK.log, cK.journal, cKrN.*), and is ours. 1 removed,
 * 0 kept (something worth reading, or not ours), -errno. */
int run_logs_tidy(const char *dir);

#endif
