/* spawn: structs shared by bpf/spawn.bpf.c and user/trace/trace_spawn.c.
 * Fixed-size fields only. */
#ifndef SWARM_SPAWN_TRACE_H
#define SWARM_SPAWN_TRACE_H

#ifndef __bpf__
#include <linux/types.h>
#endif
#include "hist.h"

#define TRACE_COMM_LEN 16
#define TRACE_MAX_TGIDS 16384

/* Live process of the tree, keyed by tgid (deleted at exit): what spawn
 * and the fd tracker know about it. */
struct spawn_proc {
	__u64 fork_ns;   /* 0 when it existed before we attached */
	__u64 exec_ns;   /* last exec, 0 if none */
	__u64 fd_ns;     /* when fd_base was taken */
	__u64 seen_ns;   /* last fd count */
	__s32 fd_base, fd_now, fd_peak;
	__u32 ppid;
	__u32 agent;     /* tgid of its agent (inherited at fork), 0 if none */
	__u32 depth;     /* generations below the root (root: 0) */
	__u32 execs;
	__u32 flags;     /* FD_PREEXISTING */
	char comm[TRACE_COMM_LEN];
};

/* Sent through the ring buffer when a tree process exits. */
struct spawn_exit_event {
	__u64 fork_exec_ns; /* 0 when unknown (no exec, or forked before attach) */
	__u64 exec_exit_ns; /* 0 when it never exec'd */
	__u64 life_ns;      /* fork to exit, 0 when forked before attach */
	__u32 tgid;
	__u32 ppid;
	__u32 exit_code;    /* wait(2) status: code << 8 | signal */
	__u32 agent;
	char comm[TRACE_COMM_LEN];
	__u64 exit_ns;      /* bpf_ktime_get_ns (CLOCK_MONOTONIC) at exit:
			     * anchors the three spans above on a timeline */
};

/* Global counters, in the object's .bss (read through the mmap). */
struct spawn_totals {
	__u64 forks;
	__u64 execs;
	__u64 exits;
	__u64 exits_no_exec;  /* forked and exited without exec (workers,
			       * in-process applets, subshells) */
	__u64 exec_chains;    /* execs after a process's first */
	__u64 orphans;        /* exited with a parent outside the tree */
	__u64 ringbuf_drops;
	__u64 map_full;       /* tracked/procs map refused an insert */
	__u32 fork_exec_us[HIST_SLOTS];
	__u32 exec_exit_us[HIST_SLOTS];
	__u32 exit_status[256]; /* by exit code when exited normally */
	__u32 exit_signal[64];  /* by signal when killed */
};

#endif
