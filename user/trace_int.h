/* Private to user/trace*.c: the tracer context and each signal's
 * loader/reader. The public API is include/trace.h. */
#ifndef SWARM_TRACE_INT_H
#define SWARM_TRACE_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "trace.h"

#define TRACE_TOP_MAX 64

struct spawn_bpf;
struct flock_bpf;
struct fdleak_bpf;
struct latency_bpf;
struct ring_buffer;

/* One exited process kept for the "slowest spawns" table. */
struct trace_slow {
	uint64_t fork_exec_ns;
	uint32_t pid;
	uint32_t exit_code;
	char comm[TRACE_COMM_LEN];
};

struct tracer {
	pid_t root;
	unsigned want;          /* signals asked for */
	unsigned on;            /* signals loaded and attached */
	unsigned top;
	uint32_t bus_kdev;
	uint64_t start_ns;
	struct tracer_opts opts;
	struct spawn_bpf *spawn;
	struct flock_bpf *flock;
	struct fdleak_bpf *fd;
	struct latency_bpf *lat;
	struct ring_buffer *rb;
	bool flock_contention;  /* filelock tracepoint attached */
	uint64_t exit_events;
	struct trace_slow slow[TRACE_TOP_MAX];
	unsigned nslow;
};

/* trace_env.c: privileges, BTF, tracefs, /proc tree walk. */
int trace_env_check(char *why, size_t whylen);
int trace_tracefs_mount(void);
bool trace_tp_exists(const char *category, const char *name);
/* Call fn for pid and every descendant found in /proc. */
int trace_proc_tree(pid_t root, int (*fn)(pid_t pid, void *arg), void *arg);
/* Turn off the programs whose tracepoint (tp_btf/ or tp/) this kernel
 * lacks; returns how many were turned off. */
struct bpf_object;
struct btf;
bool trace_btf_tp_exists(const struct btf *vmlinux, const char *name);
int trace_autoload_existing(struct bpf_object *obj);

/* trace_spawn.c: owns the tracked map. */
int trace_spawn_open(struct tracer *t);
int trace_spawn_track(struct tracer *t, pid_t pid);
int trace_tracked_fd(struct tracer *t);
void trace_spawn_close(struct tracer *t);
int trace_spawn_json(struct tracer *t, FILE *f);
int trace_spawn_text(struct tracer *t, FILE *f);
void trace_spawn_clear(struct tracer *t);

/* trace_flock.c */
int trace_flock_open(struct tracer *t);
void trace_flock_close(struct tracer *t);
int trace_flock_json(struct tracer *t, FILE *f);
int trace_flock_text(struct tracer *t, FILE *f);
void trace_flock_clear(struct tracer *t);

/* trace_fd.c */
int trace_fd_open(struct tracer *t);
void trace_fd_close(struct tracer *t);
int trace_fd_json(struct tracer *t, FILE *f);
int trace_fd_text(struct tracer *t, FILE *f);

/* trace_latency.c */
int trace_latency_open(struct tracer *t);
void trace_latency_close(struct tracer *t);
int trace_latency_json(struct tracer *t, FILE *f);
int trace_latency_text(struct tracer *t, FILE *f);
void trace_latency_clear(struct tracer *t);

/* trace_detach.c: detach all links concurrently (before destroying). */
void trace_detach_all(struct tracer *t);

/* trace_json.c: tiny JSON helpers shared by the reports. */
void trace_json_str(FILE *f, const char *s, size_t max);
void trace_json_pcts(FILE *f, const uint32_t *slots, double max_us);
/* Percentile (0..1) of a log2 histogram in us, capped at max_us if >= 0. */
double trace_pct(const uint32_t *slots, double p, double max_us);
/* Delete every key of a hash map (for tracer_clear). */
void trace_map_clear(int map_fd, size_t key_size);

#endif
