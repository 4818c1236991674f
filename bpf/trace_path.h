/* A path as the BPF side can walk it (dentry -> d_parent, across mounts),
 * leaf first: comp[0] is the file name. Shared by the lock and leak
 * reports; user/trace/trace_path.c turns it into "/a/b/c". */
#ifndef SWARM_TRACE_PATH_H
#define SWARM_TRACE_PATH_H

#ifndef __bpf__
#include <linux/types.h>
#include <stddef.h>
#endif

#define TRACE_PATH_DEPTH 8
#define TRACE_PATH_COMP 32

struct trace_path {
	char comp[TRACE_PATH_DEPTH][TRACE_PATH_COMP];
	__u32 depth;       /* components filled */
	__u32 truncated;   /* deeper than TRACE_PATH_DEPTH, or a long name */
};

#ifndef __bpf__
/* "/dev/shm/swarm-x/inbox" (or "…/a/b" when truncated); buf gets "" for
 * an empty path. Returns buf. */
char *trace_path_str(const struct trace_path *p, char *buf, size_t len);
#endif

#endif
