/* fd leaks: structs shared by bpf/spawn.bpf.c, bpf/fdleak.bpf.c and
 * user/trace/trace_fd.c. Fixed-size fields only.
 *
 * No syscall is hooked: the kernel's own fd table is counted (popcount of
 * fdtable->open_fds) at fork, at exec, at exit and by a periodic iter/task
 * walk, so every way of getting an fd (open, dup, pipe, socket, accept,
 * eventfd, memfd, pidfd, SCM_RIGHTS, io_uring...) is seen alike. */
#ifndef SWARM_FDLEAK_H
#define SWARM_FDLEAK_H

#ifndef __bpf__
#include <linux/types.h>
#endif
#include "trace_path.h"

#define FD_MAX_PROCS 16384
#define FD_MAX_LEAKS 1024
#define FD_NAME_LEN 32
/* A process whose open-fd count grew this much since its baseline is a
 * leak suspect; one that exits holding that many is kept (with what it
 * held) in the leaks map so the report can name it. */
#define FD_SUSPECT_GROWTH 16
/* The baseline of a process that existed before we attached: its fd count
 * then is unknown, stdin/stdout/stderr is the honest guess. */
#define FD_STDIO 3

enum fd_kind {
	FD_KIND_FILE,
	FD_KIND_DIR,
	FD_KIND_PIPE,
	FD_KIND_SOCKET,
	FD_KIND_ANON,   /* anon_inode: eventfd, epoll, timerfd, signalfd,
			 * inotify, io_uring, pidfd, bpf... */
	FD_KIND_DEV,    /* character or block device */
	FD_KIND_OTHER,
	FD_KINDS,
};

/* fd_proc.flags */
#define FD_PREEXISTING 1 /* seeded from /proc: baseline unknown (FD_STDIO) */

/* Per tgid: the open-fd count against its baseline. The baseline is the
 * count at fork (what the parent passed on), moved to the count after the
 * FIRST exec only: a program that leaks fds and then execs another (bash's
 * last command, `exec sleep`) keeps them counted as growth. It is also a
 * low-water mark: any lower sample lowers it. */
struct fd_proc {
	__s64 base;
	__s64 now;         /* at the last sample */
	__s64 peak;        /* largest sample */
	__u64 first_ns;    /* when base was taken */
	__u64 last_ns;     /* last sample */
	__u64 exit_ns;     /* 0 while alive */
	__u32 agent;       /* tgid of the agent it belongs to, 0 if none */
	__u32 execs;
	__u32 flags;       /* FD_PREEXISTING */
	__u32 ppid;
	char comm[16];
};

/* One file a leaker held, grouped by inode: the FD_HOLDS most held (any
 * file on more than a quarter of its fds past stdio is among them), with
 * exact counts; tracer_fd_leak returns them most held first. */
#define FD_HOLDS 4
struct fd_hold {
	__u64 ino;
	__u32 dev;         /* kernel dev_t */
	__u32 kind;        /* enum fd_kind */
	__u32 count;
	__u32 lowest_fd;
	struct trace_path path;
};

/* What a suspect held when it exited (its fd table is gone after). */
struct fd_leak {
	struct fd_proc p;
	__u32 kinds[FD_KINDS]; /* open fds by kind */
	__u32 nholds;
	__u32 scanned;         /* fds looked at (bounded walk) */
	struct fd_hold holds[FD_HOLDS];
};

/* One record per open fd, written by the iter/task_file snapshot. */
struct fd_iter_rec {
	__u64 ino;
	__u32 dev;
	__u32 fd;
	__u32 tgid;
	__u32 mode;        /* i_mode: type and permissions */
	__u32 kind;        /* enum fd_kind */
	__u32 pad;
	char name[FD_NAME_LEN];
};

struct fd_totals {
	__u64 map_full;
	__u64 leaks_kept;
	/* The last whole walk of fd_refresh (bpf/fdleak.bpf.c): open fds of
	 * every tracked process together, and how many processes; the walk
	 * adds into walk_* and copies them here when it ends. */
	__u64 tree_fds, tree_procs;
	__u64 walk_fds, walk_procs;
};

#endif
