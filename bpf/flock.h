/* lock contention: structs shared by bpf/flock.bpf.c and
 * user/trace/trace_flock.c. Fixed-size fields only. */
#ifndef SWARM_FLOCK_H
#define SWARM_FLOCK_H

#ifndef __bpf__
#include <linux/types.h>
#endif
#include "hist.h"
#include "trace_path.h"

#define TRACE_NAME_LEN 32
#define FLOCK_MAX_LOCKS 4096

enum lock_kind {
	LOCK_KIND_FLOCK,  /* flock(2) */
	LOCK_KIND_POSIX,  /* fcntl F_SETLK(W), lockf(3): per process */
	LOCK_KIND_OFD,    /* fcntl F_OFD_SETLK(W): per open file */
	LOCK_KINDS,
};

struct flock_key {
	__u64 ino;
	__u32 dev;  /* kernel dev_t: major << 20 | minor */
	__u32 kind; /* enum lock_kind */
};

/* Per lock file and kind. wait_us holds every acquisition's wait. */
struct flock_stat {
	__u64 acquisitions;   /* lock calls that returned 0 */
	__u64 contended;      /* of those, how many had to wait (deferred) */
	__u64 ewouldblock;    /* non-blocking calls refused (LOCK_NB, F_SETLK) */
	__u64 errors;         /* other failures (EINTR, EDEADLK...) */
	__u64 wait_ns_total;
	__u64 wait_ns_max;
	__u32 wait_us[HIST_SLOTS];
	struct trace_path path; /* taken when the lock is first seen */
};

struct flock_totals {
	__u64 calls;
	__u64 map_full;
	__u64 calls_kind[LOCK_KINDS];
	__u32 wait_us[HIST_SLOTS]; /* all locks together */
};

/* One lock wait of at least the loader's lock_event_min_ns, through the
 * spawn ring (bpf/spawn.bpf.c `events`): only a timeline asks for them.
 * The reader tells it from a spawn_exit_event by its size (see
 * user/trace/trace_spawn.c), so the two must never be the same size. */
struct flock_wait_event {
	__u64 start_ns;     /* CLOCK_MONOTONIC: first attempt of the call */
	__u64 wait_ns;      /* first attempt -> grant */
	__u64 ino;
	__u32 tgid;
	__u32 agent;        /* tgid of its agent, 0 if none */
	__u32 dev;
	__u32 kind;         /* enum lock_kind */
};

#endif
