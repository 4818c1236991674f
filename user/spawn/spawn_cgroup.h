/*
 * One cgroup v2 group per swarm (and one sub-group per hybrid coordinator):
 * cgroup.kill ends every process of the group, grandchildren included;
 * cgroup.freeze pauses it. Found at /sys/fs/cgroup/unified (hybrid hosts)
 * or /sys/fs/cgroup (pure v2), as <caller's own cgroup>/swarm/<name>.
 * Without cgroup v2 (or without permission) callers fall back to process
 * groups; every function then returns -ENOTSUP / -EACCES and nothing else
 * changes.
 */
#ifndef SWARM_SPAWN_CGROUP_H
#define SWARM_SPAWN_CGROUP_H

#include <limits.h>
#include <stdint.h>

struct swarm_cgroup {
	int dirfd;             /* O_PATH|O_DIRECTORY, for clone3 and *at() */
	uint64_t id;           /* cgroup id (inode number), for BPF filters */
	char path[PATH_MAX];
};

/* Make sure <own cgroup>/swarm exists (needs root the first time; call it
 * before dropping privileges). 0 or -errno. */
int cgroup_prepare(void);
/* Create <own cgroup>/swarm/<name> (name validated like an agent name). */
int cgroup_create(const char *name, struct swarm_cgroup *cg);
/* Create <parent>/<name>. */
int cgroup_create_child(const struct swarm_cgroup *parent, const char *name,
			struct swarm_cgroup *cg);
/* Open an existing group by absolute path (under a cgroup2 mount). */
int cgroup_open(const char *path, struct swarm_cgroup *cg);
int cgroup_kill(const struct swarm_cgroup *cg);
int cgroup_freeze(const struct swarm_cgroup *cg, int frozen);
/* 1 if processes remain in the group or below, 0 if empty, -errno. */
int cgroup_populated(const struct swarm_cgroup *cg);
/* Wait up to timeout_ms until the group is empty: 0 or -ETIMEDOUT. */
int cgroup_wait_empty(const struct swarm_cgroup *cg, int timeout_ms);
/* Remove the group (and child groups one level down); closes dirfd. */
int cgroup_remove(struct swarm_cgroup *cg);
void cgroup_close(struct swarm_cgroup *cg);

#endif
