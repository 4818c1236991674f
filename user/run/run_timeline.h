/*
 * A run's timeline (`swarm run --timeline FILE`): what the master already
 * knows (spawns, exits, tasks sent and answered, fd and /dev/shm samples)
 * and, when the kernel tracer is on, exec times and long lock waits, kept
 * in compact records during the run and written once at the end as a
 * Chrome trace-event JSON file (Perfetto UI, chrome://tracing).
 * docs/run.md "Timeline" describes the tracks and the size rule.
 *
 * Off the hot path: a record is a few dozen bytes appended to an array;
 * the JSON is formatted only by timeline_write, after the report. Every
 * function takes a NULL timeline and does nothing, so call sites need no
 * test. Times are CLOCK_MONOTONIC ns (now_ns(), bpf_ktime_get_ns()).
 *
 * Size rule: every agent is counted in the counters and in the summary's
 * spawn / answer quantiles; at most TL_DETAIL_AGENTS agents get a track of
 * their own with their slices and message flows (every k-th agent with
 * k = ceil(agents / TL_DETAIL_AGENTS)), plus up to TL_DETAIL_FAILED whose
 * task failed. Whatever would take the file past TL_MAX_BYTES is left out
 * and counted ("dropped_events" in the summary); a flow's two ends are
 * written together or not at all.
 */
#ifndef SWARM_RUN_TIMELINE_H
#define SWARM_RUN_TIMELINE_H

#include <stdint.h>
#include <sys/types.h>

#include "flock.h"
#include "spawn_trace.h"
#include "tasks.h"

#define TL_DETAIL_AGENTS 256
#define TL_DETAIL_FAILED 64
#define TL_MAX_BYTES     (4u << 20)      /* hard cap of the file */
#define TL_MAX_PROCS     65536           /* processes remembered */
#define TL_MAX_TASKS     262144          /* task records kept */
#define TL_MAX_LOCKS     16384           /* lock waits kept */
#define TL_MAX_SAMPLES   4096            /* halved (every other) when full */
#define TL_LOCK_MIN_NS   1000000ull      /* lock waits shorter are not sent */

enum tl_kind { TL_MASTER, TL_COORD, TL_AGENT };

struct timeline;

/* Open FILE for writing now (as the caller, before privileges drop) so a
 * bad path fails before the run. 0 or -errno. */
int timeline_open(const char *path, struct timeline **out);
/* The run starts: the master's pid, "flat" or "hybrid", its t0. */
void timeline_begin(struct timeline *tl, pid_t master, const char *topology,
		    uint64_t t0_ns);
/* A process the master started (an agent of kind TL_AGENT in flat, a
 * coordinator TL_COORD in hybrid) under its bus name. */
void timeline_spawned(struct timeline *tl, pid_t pid, const char *name, int kind,
		      uint64_t ns);
/* Hybrid (user/run/run_timeline_procs.c): a coordinator logs its workers'
 * starts and reaps to logs/<coord>.procs with these lines (length, or
 * -ENOSPC); the master reads each coordinator's file after the run. */
int timeline_procs_line(char *buf, size_t cap, int spawned, pid_t pid, uint64_t ns,
			const char *name, int wstatus);
int timeline_read_procs(struct timeline *tl, int logs_fd, const char *coord);
/* The master reaped pid (wait status). */
void timeline_exited(struct timeline *tl, pid_t pid, uint64_t ns, int wstatus);
/* From the kernel tracer (user/trace/trace.h on_exit / on_lock_wait). */
void timeline_kernel_exit(struct timeline *tl, const struct spawn_exit_event *e);
void timeline_lock_wait(struct timeline *tl, const struct flock_wait_event *e);
/* The master's periodic sample (master_sample). */
void timeline_sample(struct timeline *tl, uint64_t ns, unsigned fds, uint64_t shm);
/* The kernel's recount of the whole tree's open fds (traced runs). */
void timeline_tree_fds(struct timeline *tl, uint64_t ns, uint64_t fds, uint64_t procs);
/* A named span on the master's track (e.g. handing tasks to cK). */
void timeline_mark(struct timeline *tl, const char *name, uint64_t start_ns,
		   uint64_t end_ns);
/* A task's outcome, as the master recorded it. hop_ns: hybrid, the
 * result frame's coordinator -> master time (0 in flat). */
void timeline_task(struct timeline *tl, const struct task *t, uint64_t hop_ns);
void timeline_end(struct timeline *tl, uint64_t ns);
/* Write the JSON and close the file: 0 or -errno (the file may then be
 * partial). */
int timeline_write(struct timeline *tl);
void timeline_free(struct timeline *tl);
/* The run never started: close, remove the file, free. */
void timeline_discard(struct timeline *tl);

#endif
