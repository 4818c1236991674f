/*
 * tracefs: where it is mounted, and mounting it where it is not. A
 * tracepoint program finds its event's id there. swarm's own programs are
 * raw tracepoints, iterators and USDT probes, none of which needs it; the
 * doctor's probe does, as any classic tracepoint tool would. Mounting is
 * done only in a private mount namespace, so the host's mount table is
 * never touched.
 */
#ifndef SWARM_TRACEFS_H
#define SWARM_TRACEFS_H

#include <stddef.h>

#define TRACEFS_PATH "/sys/kernel/tracing"

/* Where tracefs is mounted now (mountinfo): 0, -ENOENT, other -errno. */
int tracefs_dir(char *out, size_t len);
/* In a child process only (it moves the caller into a mount namespace of
 * its own): tracefs's directory into out, mounted already (0) or mounted
 * now at TRACEFS_PATH (1); -errno when it could not be mounted (out holds
 * TRACEFS_PATH then). */
int tracefs_find_or_mount(char *out, size_t len);
/* Could tracefs be mounted here? Tried in a child process, which exits
 * and takes its mount with it: 0 or -errno. */
int tracefs_mountable(void);

#endif
