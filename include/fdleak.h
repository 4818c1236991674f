/* fd leaks: structs shared by bpf/fdleak.bpf.c and user/trace_fd.c.
 * Fixed-size fields only. */
#ifndef SWARM_FDLEAK_H
#define SWARM_FDLEAK_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define FD_MAX_PROCS 16384
#define FD_NAME_LEN 32
/* A process whose open-fd count grew this much since it was first seen
 * (or since exec) is a leak suspect; one that exits still holding that
 * many is kept in the map (exit_ns set) so the report can name it. */
#define FD_SUSPECT_GROWTH 16

/* Per tgid: open fds as counted from syscalls since first seen / exec. */
struct fd_proc {
	__s64 base;        /* open fds when first seen (or at exec) */
	__s64 now;         /* base + opened - closed */
	__s64 peak;
	__u64 opens;
	__u64 closes;
	__u64 first_ns;    /* when base was taken */
	__u64 last_ns;     /* last change */
	__u64 exit_ns;     /* 0 while alive; kept after exit only for suspects */
	char comm[16];
};

/* One record per open fd, written by the iter/task_file snapshot. */
struct fd_iter_rec {
	__u64 ino;
	__u32 dev;
	__u32 fd;
	__u32 tgid;
	__u32 mode;        /* i_mode: type and permissions */
	char name[FD_NAME_LEN];
};

struct fd_totals {
	__u64 events;
	__u64 map_full;
};

#endif
