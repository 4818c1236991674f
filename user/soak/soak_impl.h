/* swarm soak internals: /proc sampling (soak_proc.c), the per-process fd
 * leak tracker and regressions (soak_track.c). */
#ifndef SWARM_SOAK_IMPL_H
#define SWARM_SOAK_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "soak.h"

enum soak_role { ROLE_MASTER, ROLE_COORD, ROLE_AGENT };

struct sproc {                  /* one process of the swarm tree */
	pid_t pid, ppid;
	uint64_t start;             /* starttime (clock ticks): pid reuse guard */
	int role;
	int fds, children;
	uint64_t rss_kb;
	double age_s;               /* since the process started */
};

/* Every descendant of root (root included, first), role assigned by depth
 * (hybrid: master -> coordinators -> agents; flat: master -> agents);
 * grandchildren of agents (their helpers) are left out. fds and rss filled.
 * Malloc'd array in *out. */
int sproc_scan(pid_t root, int hybrid, struct sproc **out, size_t *n);
/* Agent name from its log file (fd 2 or 1 = <logs_dir>/<name>.log|.err);
 * "" if unknown. */
void sproc_name(pid_t pid, const char *logs_dir, char *out, size_t len);
/* The most common readlink target among the newest `newest` fds of pid
 * (socket:[N] -> "socket", pipe:[N] -> "pipe"); out is left as it was
 * when nothing could be read (the process has exited). */
int sproc_top_target(pid_t pid, unsigned newest, char *out, size_t len);

/* Running least squares of y over t. */
struct fit_acc {
	unsigned n;
	double st, sy, stt, sty, syy, t0, t1;
};
void fit_add(struct fit_acc *a, double t, double y);
void fit_get(const struct fit_acc *a, struct soak_fit *out);

/* The fd tracker: one entry per live process, leakers kept after death. */
struct tracked {
	pid_t pid;
	uint64_t start;
	int role, alive, leaking, seen;
	unsigned round, n, downs;
	int first_val, last_val, max_val, first_fds, last_fds;
	int mid_val;                /* fds at the last power-of-two sample */
	double first_t, flagged_t;
	uint64_t first_wall;
	struct fit_acc fit;
	char name[NAME_MAX_LEN + 1];
	char target[256];
	int has_kernel;
	int64_t k_base, k_now;
	char k_file[FD_NAME_LEN + 1];
	struct fit_acc mem;         /* RSS (kB) over its life */
	uint64_t rss_first, rss_mid, rss_max, rss_last;
};

/* One per agent slot (name), pooled over all its processes: fds against
 * process age. Finds a leak in agents too short-lived for the per-process
 * rule (one-shot agents, short rounds): every process of the slot climbs
 * the same line from a fresh start. */
struct slot_track {
	char name[NAME_MAX_LEN + 1];
	struct fit_acc fit;
	int min_fds, max_fds, leaking, last_fds;
	unsigned procs, round;
	pid_t last_pid;
	uint64_t last_start, first_wall;
	double first_t, flagged_t;
	char target[256];
};

struct tracker {
	struct tracked *v;
	size_t n, cap;
	struct slot_track *slots;
	size_t nslots, cap_slots;
	/* worst memory growth of one process so far */
	int mem_level, mem_pid, mem_role;
	char mem_name[NAME_MAX_LEN + 1];
	struct soak_fit mem_fit;
	const char *logs_dir;
	int hybrid;             /* the master holds a pidfd per coordinator */
};

/* Feed one sample of a process (t seconds since start). Returns the entry
 * (NULL on ENOMEM). */
struct tracked *tracker_feed(struct tracker *tr, const struct sproc *p,
			     unsigned round, double t, uint64_t wall);
/* After a sample: drop dead non-leaking entries, mark the rest unseen. */
void tracker_sweep(struct tracker *tr);
void tracker_free(struct tracker *tr);
/* Copy leakers into the report (most fds per minute first), then the
 * slots found leaking across processes (soak_slot.c). */
void tracker_report(const struct tracker *tr, struct soak_report *rep);
void slot_feed(struct tracker *tr, const struct tracked *e,
	       const struct sproc *p, double t, uint64_t wall);
void slot_report(const struct tracker *tr, struct soak_report *rep);


/* ---- the soak loop (soak.c), its samples (soak_sample.c) and verdicts
 * (soak_verdict.c) ---- */

#define SOAK_BUCKETS 30
#define MSG_STARTED 1
#define MSG_DONE    2

struct metrics;
struct metrics_http;
struct tracer;

struct round_res {
	uint64_t expected, delivered, failed;
	double coordination_s;
	unsigned restarts, agent_crashes, ncrash;
	int interrupted, exit_code, setup_err, usage;
	char crash[4][216];
	char error[256];
};

struct round_msg {              /* < PIPE_BUF: one atomic write */
	int kind;
	char bus_dir[512];
	struct round_res res;
};

struct soak {
	const struct soak_opts *o;
	struct soak_report *rep;
	struct tracker tr;
	struct metrics *m;
	struct metrics_http *http;
	struct tracer *kt;          /* kernel fd tracker, or NULL */
	FILE *samples;
	pid_t child;
	int pipe_fd, pidfd, cut, got_done;
	unsigned round;
	uint64_t t0, deadline, cut_at, next_sample;
	char bus_dir[512];
	struct round_res res;
	struct fit_acc mem_master, mem_coord, mem_agent;
	/* Per-round figures in fixed time buckets (memory stays flat however
	 * many rounds a day brings): drift compares the earliest buckets with
	 * the latest. */
	double bucket_sum[SOAK_BUCKETS];
	unsigned bucket_n[SOAK_BUCKETS];
	unsigned nrounds;
	double rate_min, rate_sum, cs_min, cs_max, cs_sum;
	uint64_t failed_total;
	double last_rate, last_coord_s;
};

void soak_sample(struct soak *s, uint64_t now);
/* Kernel view of a leaking process (soak_kernel.c). */
void soak_kernel_open(struct soak *s);
void soak_kernel_leak(struct soak *s, struct tracked *e);
int soak_metrics_declare(struct metrics *m);
void soak_conclude(struct soak *s);
/* Memory verdict of one fit (y in kB over seconds). */
int soak_judge_memory(const struct soak_fit *f);

#endif
