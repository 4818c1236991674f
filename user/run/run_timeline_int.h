/* Private to user/run_timeline*.c: the records a timeline keeps during a
 * run (run_timeline.c) and the writer turns into JSON (run_timeline_json.c).
 * Public API: user/run/run_timeline.h. */
#ifndef SWARM_RUN_TIMELINE_INT_H
#define SWARM_RUN_TIMELINE_INT_H

#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "run_timeline.h"
#include "util.h"

#define TL_HASH      (1u << 17)  /* open-addressing slots: > 2 x TL_MAX_PROCS */
#define TL_SYNTH_TID 5000000     /* tids of tracks without a pid: above pid_max */

/* One track: the master, a coordinator, or an agent slot (w3, c1-w3), or
 * a process only the kernel saw ("pid N", a hybrid worker). */
struct tl_track {
	char name[NAME_MAX_LEN + 1];
	int32_t pid;                /* first process seen in it, 0: none */
	int32_t group;              /* track of its master/coordinator */
	int32_t ppid;               /* kernel-only tracks: parent pid */
	int32_t first_proc, last_proc;
	int32_t cursor;             /* writer: last proc_at answer, or -1 */
	uint64_t cursor_ns;
	uint32_t tasks;
	uint8_t kind, failed, detail;
};

/* One process of a track, in spawn order (next: the track's next one). */
struct tl_proc {
	int32_t pid, track, next;
	int32_t wstatus;
	uint64_t spawn_ns, fork_ns, exec_ns, exit_ns;
	uint8_t exited, kexited;
	char comm[TRACE_COMM_LEN];
};

/* A task's times, on the master's clock. Flat: send (master) -> answer
 * (agent) -> cread = mread (master). Hybrid: send (coordinator) ->
 * answer (worker) -> cread (coordinator) -> mread (master). */
struct tl_task {
	uint32_t id;
	int32_t track;
	uint64_t send_ns, answer_ns, cread_ns, mread_ns;
	uint8_t status;
};

struct tl_lock {
	int32_t tgid, agent;
	uint64_t start_ns, wait_ns;
	uint64_t ino;               /* the lock file's: as kernel.flock.locks[] */
};

struct tl_sample {
	uint64_t ns, shm;         /* kernel series: shm is the process count */
	uint32_t fds;
};

/* A bounded series: when full, every other sample goes and only every
 * `every`-th new one is kept. */
struct tl_samples {
	struct tl_sample *v;
	size_t n;
	uint64_t every, seen;
};

struct tl_mark {
	uint64_t start_ns, end_ns;
	char name[NAME_MAX_LEN + 16];
};

struct timeline {
	FILE *f;
	char *path;
	int32_t master;
	char topology[8];
	uint64_t t0, end;
	struct tl_track *tracks;
	size_t ntracks, captracks;
	struct tl_proc *procs;
	size_t nprocs, capprocs;
	struct tl_task *tasks;
	size_t ntasks, captasks;
	struct tl_lock *locks;
	size_t nlocks, caplocks;
	/* Hybrid: exits of pids not known yet; their names come from the
	 * coordinators' procs files after the run (timeline_settle). */
	struct spawn_exit_event *pending;
	size_t npending, cappending;
	struct tl_samples samples;  /* the master's: fds, /dev/shm bytes */
	struct tl_samples ksamples; /* the kernel's: the tree's fds */
	struct tl_mark marks[64];
	size_t nmarks;
	int32_t *by_pid;            /* TL_HASH slots: proc index + 1, 0 empty */
	int32_t *by_name;           /* TL_HASH slots: track index + 1 */
	uint64_t lost;              /* records refused (a cap or no memory) */
};

/* The writer's state (run_timeline_json.c, run_timeline_slices.c). */
struct tl_out {
	struct timeline *tl;
	FILE *f, *u;                /* the file; one unit's scratch stream */
	struct jsonw w;             /* the unit's writer, over u */
	char *ubuf;
	size_t ulen, bytes;
	uint64_t units, dropped, clipped;
	size_t detailed, stride, agents;
};

/* One event (or a flow's two) through o->w into the scratch stream, then
 * into the file if it still fits under TL_MAX_BYTES, else counted as
 * dropped. tl_unit_next separates a second event of the same unit. */
void tl_unit_begin(struct tl_out *o);
void tl_unit_next(struct tl_out *o);
void tl_unit_end(struct tl_out *o);
/* Members of the open event object: "key":us (exact, ns precision),
 * "name":"...", "pid":N,"tid":N. */
void tl_put_us(struct jsonw *w, const char *key, uint64_t ns, uint64_t t0);
void tl_put_name(struct jsonw *w, const char *s);
void tl_put_track(struct jsonw *w, const struct timeline *tl, int32_t tr);
int32_t tl_group_of(const struct timeline *tl, int32_t tr);
uint64_t tl_proc_start(const struct timeline *tl, const struct tl_proc *p);
/* The track a lock wait belongs to, or -1. */
int32_t tl_lock_track(const struct timeline *tl, const struct tl_lock *l);
int tl_write_slices(struct tl_out *o);
void tl_write_flows(struct tl_out *o);

/* Apply the exits kept pending (before writing). */
void timeline_settle(struct timeline *tl);

/* Track of name, created with kind when new; -1 when full. */
int32_t tl_track_get(struct timeline *tl, const char *name, int kind);
/* Process record of pid (newest), or -1. */
int32_t tl_proc_find(const struct timeline *tl, int32_t pid);

#endif
