/* Kernel instrumentation of a process tree: spawn, lock contention, fd
 * leaks and publish->consume latency on the bus, read back from BPF maps.
 * One BPF object (bpf/swarm.bpf.c) for all four; no syscall is hooked, so
 * the rest of the host pays nothing (see each bpf/X.bpf.c for its hooks).
 *
 * Usage from the coordinator (`swarm run`), exactly:
 *
 *	struct tracer *tr = NULL;
 *	struct tracer_opts o = { .signals = TRACE_ALL, .agent_depth = 1 };
 *	char why[256];
 *	int err = tracer_open(&tr, getpid(), &o, why, sizeof(why));
 *	if (why[0])
 *		fprintf(stderr, "swarm: %s\n", why);   // once: what is off, why
 *	// err < 0: tr is NULL, run untraced (-EPERM: not privileged,
 *	// -ENOTSUP: no BTF / kernel lacks the hooks). Never fatal.
 *	...spawn agents (children of getpid() are followed automatically);
 *	...from the epoll loop, call tracer_poll(tr, 0) about once a second
 *	   (and when tracer_event_fd(tr), added for EPOLLIN, is readable: it
 *	   only wakes when the exit-event ring is a quarter full, because a
 *	   wake-up per exit cost ~20 us in the kernel);
 *	...at the end, before the agents' pids are reaped or after:
 *	jsonw_name(w, "kernel");                  // w: the report's writer
 *	jsonw_start_object(w);  tracer_report_json(tr, w);  jsonw_end_object(w);
 *	tracer_report_text(tr, stderr);           // the short human section
 *	tracer_close(tr);                         // detaches everything
 *                                                // (~one RCU grace period)
 *
 * Processes created before tracer_open are found in /proc; later ones are
 * followed at fork. Nothing is pinned: closing (or dying) detaches.
 * All functions return 0 or -errno. */
#ifndef SWARM_TRACE_H
#define SWARM_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "fdleak.h"
#include "flock.h"
#include "latency.h"
#include "spawn_trace.h"

enum trace_signal {
	TRACE_SPAWN = 1,
	TRACE_FLOCK = 2,
	TRACE_FD = 4,
	TRACE_LATENCY = 8,
	TRACE_ALL = 15,
};

struct tracer_opts {
	unsigned signals;     /* TRACE_* mask; 0 means TRACE_ALL */
	/* Generations below the root that are agents: 1 (the default, 0)
	 * for a flat swarm or a tree swarm-trace did not start, 2 for a
	 * hybrid one; -1: none. An agent's descendants, orphans included,
	 * are reported as the agent's. */
	int agent_depth;
	/* Binaries with libswarm's USDT probes besides swarm, swarm-core and
	 * the running program (NULL-terminated; may be NULL). */
	const char *const *probe_bins;
	/* tracer_close leaves the uprobes' detach (an RCU-tasks grace period
	 * each, ~0.1 s) to a background process: for a caller that exits
	 * right after, as `swarm run`. Events after close are not counted. */
	int detach_background;
	/* 1: reports do not wait for the fd iterators, which the loader
	 * brings ~20 ms after tracer_open returns (a report before then has
	 * live processes' fds as of their last fork, exec or exit): for a
	 * caller whose run is timed, as `swarm run`. */
	int lazy_fd_truth;
	unsigned top;         /* rows in top-N tables (0: 10) */
	/* Optional: agent name of a pid for the reports (NULL if unknown). */
	const char *(*agent_name)(pid_t pid, void *arg);
	void *agent_arg;
	/* Optional, for a timeline: every traced exit, and every lock wait
	 * of lock_event_min_ns or more (0: none are sent), as the ring is
	 * drained by tracer_poll. */
	void (*on_exit)(const struct spawn_exit_event *e, void *arg);
	void (*on_lock_wait)(const struct flock_wait_event *e, void *arg);
	uint64_t lock_event_min_ns;
	void *event_arg;
};

struct tracer;

/* open -> set rodata -> load -> attach, seeding the tree with root and its
 * existing descendants. why (may be NULL) gets one line naming the signals
 * that are off and the reason, or "" when all requested are on. */
int tracer_open(struct tracer **out, pid_t root, const struct tracer_opts *o,
		char *why, size_t whylen);
/* Follow pid and its existing descendants too. */
int tracer_add_pid(struct tracer *t, pid_t pid);
unsigned tracer_signals(const struct tracer *t); /* signals actually on */
/* What the BPF object asks of the kernel, read from the object itself:
 * fn(signal, section) for each of its programs, section as libbpf names
 * it ("tp_btf/sched_process_fork", "iter/task_file", "uprobe"). Opens the
 * object without loading it. 0 or -errno. */
int tracer_hooks(void (*fn)(unsigned sig, const char *section, void *arg), void *arg);

/* True in a PID namespace other than the kernel's initial one (most
 * containers): BPF sees initial-namespace pids there, so the tracer's
 * tgid filter would match nothing and tracing is refused with a reason. */
bool trace_in_pid_namespace(void);
int tracer_event_fd(const struct tracer *t);     /* epoll-able, or -1 */
int tracer_poll(struct tracer *t, int timeout_ms); /* drain ring buffer */
/* Forget what was counted so far (histograms, counters, per-lock and
 * per-inbox stats); live state (open fds, unread writes) is kept. */
void tracer_clear(struct tracer *t);

/* The members of the `kernel` object of the --json report, into the object
 * the caller opened in w (so it can put its own in front):
 * "signals":[...],"elapsed_s":S,"spawn":{...},"flock":{...},"fd":{...},
 * "latency":{...},"ringbuf_drops":N; a section that could not be read (no
 * memory) is null. 0, or -EINVAL (no tracer), or the writer's error. */
struct jsonw;
int tracer_report_json(struct tracer *t, struct jsonw *w);
/* bcc-style histograms and top-N tables, under 80 columns. */
int tracer_report_text(struct tracer *t, FILE *f);
void tracer_close(struct tracer *t);

/* Raw readers (tests and swarm-trace). */
int tracer_spawn_totals(struct tracer *t, struct spawn_totals *out);
int tracer_flock_get(struct tracer *t, uint32_t kdev, uint64_t ino, enum lock_kind kind,
		     struct flock_stat *out);
int tracer_flock_totals(struct tracer *t, struct flock_totals *out);
/* Lock files by total wait, largest first (swarm top). */
struct flock_top {
	uint32_t kind;          /* enum lock_kind */
	struct flock_stat st;
	char path[256];
};
int tracer_flock_top(struct tracer *t, struct flock_top *out, size_t max, size_t *n);
/* pid's fd record: live (from the tree) or, for a suspect that exited,
 * kept at its exit. */
int tracer_fd_get(struct tracer *t, pid_t pid, struct fd_proc *out);
/* What a suspect held when it exited (-ENOENT: no such record). */
int tracer_fd_leak(struct tracer *t, pid_t pid, struct fd_leak *out);
/* Recount every tracked process's open fds now (also done by
 * tracer_poll about once a second and by the reports). */
int tracer_fd_refresh(struct tracer *t);
/* Open fds of the whole tree (and its process count) at the last recount;
 * -ENOENT before the first or with the fd signal off. */
int tracer_fd_tree(struct tracer *t, uint64_t *fds, uint64_t *procs);
/* Ground truth from iter/task_file: up to max records of pid's open fds. */
int tracer_fd_snapshot(struct tracer *t, pid_t pid, struct fd_iter_rec *recs,
		       size_t max, size_t *n);
/* One inbox, by its header file's kernel dev (trace_kdev) and inode. */
int tracer_latency_get(struct tracer *t, uint32_t kdev, uint64_t ino,
		       struct lat_stat *out);
int tracer_latency_totals(struct tracer *t, struct lat_totals *out);
uint64_t tracer_ringbuf_drops(struct tracer *t);
/* Processes by fd growth (now - base), largest first; exited ones are
 * still there if they died holding FD_SUSPECT_GROWTH or more. The
 * tracer's own process is left out (its fds are the tracer's). */
struct fd_top {
	pid_t pid;
	struct fd_proc p;
};
int tracer_fd_top(struct tracer *t, struct fd_top *out, size_t max, size_t *n);

/* st_dev from stat(2) -> the kernel's internal dev_t (major<<20|minor). */
uint32_t trace_kdev(dev_t dev);

#endif
