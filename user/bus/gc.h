/*
 * `swarm gc`: find the swarms whose owner died without cleaning up (a
 * SIGKILLed master, a killed NATS coordinator) and remove what they left:
 * the bus directory under the bus root and the swarm's empty cgroup.
 * A swarm is dead only when its owner lock is free (bus_owner_gone), never
 * by pid; buses without an owner lock (swarm init, run --keep) are left
 * alone, and so is everything that is not a swarm bus of ours.
 */
#ifndef SWARM_GC_H
#define SWARM_GC_H

#include <limits.h>

enum gc_verdict {
	GC_REMOVED,        /* bus (and cgroup) removed; or would be, dry run */
	GC_KEPT_BUSY,      /* owner dead, but processes remain in its cgroup */
	GC_FAILED,         /* owner dead, removal failed (err) */
};

struct gc_entry {
	const char *bus;       /* the bus directory */
	const char *cgroup;    /* its cgroup, "" if none */
	enum gc_verdict verdict;
	int err;
};

struct gc_stats {
	unsigned removed, live, unowned, kept, failed;
};

/* Scan base (NULL: $SWARM_SHM or /dev/shm); call fn for every dead swarm.
 * dry_run: judge but remove nothing. 0 or -errno (base unreadable). */
int gc_run(const char *base, int dry_run,
	   void (*fn)(const struct gc_entry *e, void *arg), void *arg,
	   struct gc_stats *st);

#endif
