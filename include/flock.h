/* flock contention: structs shared by bpf/flock.bpf.c and
 * user/trace_flock.c. Fixed-size fields only. */
#ifndef SWARM_FLOCK_H
#define SWARM_FLOCK_H

#ifndef __bpf__
#include <linux/types.h>
#endif
#include "hist.h"

#define TRACE_NAME_LEN 32
#define FLOCK_MAX_LOCKS 4096

struct flock_key {
	__u64 ino;
	__u32 dev;  /* kernel dev_t: major << 20 | minor */
	__u32 pad;
};

/* Per lock file. wait_us holds every acquisition's time in flock(). */
struct flock_stat {
	__u64 acquisitions;   /* LOCK_EX/LOCK_SH calls that returned 0 */
	__u64 contended;      /* of those, how many had to wait (deferred) */
	__u64 ewouldblock;    /* LOCK_NB calls refused */
	__u64 errors;         /* other failures (EINTR, EBADF...) */
	__u64 wait_ns_total;
	__u64 wait_ns_max;
	__u32 wait_us[HIST_SLOTS];
	char name[TRACE_NAME_LEN]; /* basename of the file (dentry name) */
};

struct flock_totals {
	__u64 calls;
	__u64 map_full;
	__u32 wait_us[HIST_SLOTS]; /* all locks together */
};

#endif
