/*
 * What `swarm run` does with its default logs directory
 * (${TMPDIR:-/tmp}/swarm-run-<id>) at the end: a run in which every task
 * succeeded and no agent wrote anything leaves nothing to read, so the
 * directory goes; otherwise it stays and its path is printed. A directory
 * named with --logs, or --keep-logs, is always kept.
 */
#ifndef SWARM_RUN_LOGS_H
#define SWARM_RUN_LOGS_H

/* Remove dir if it holds only empty regular files, or coordinator
 * bookkeeping (cK.log, cK.journal, cKrN.*), and is ours. 1 removed,
 * 0 kept (something worth reading, or not ours), -errno. */
int run_logs_tidy(const char *dir);

#endif
