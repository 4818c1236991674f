/*
 * Prometheus text exposition format 0.0.4: a small registry of metric
 * families (counters, gauges, log2 histograms) rendered as text, written to
 * a node_exporter textfile (temp file + rename) or served over loopback
 * HTTP (see metrics_http.h).
 *
 * Rules enforced here, so every producer gets them right:
 *   - metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 *     [a-zA-Z_][a-zA-Z0-9_]* and never start with "__";
 *   - counters end in _total and are never negative or NaN;
 *   - histogram families must not end in _bucket/_sum/_count/_total and
 *     may not use the label "le";
 *   - label values are escaped (\ -> \\, " -> \", newline -> \n), HELP
 *     text likewise (\ and newline);
 *   - values are base units: seconds, bytes (callers scale ns by 1e-9).
 *
 * Log2 histograms, matching the kernel-side histograms: slot i counts raw
 * integer values v with 2^i <= v < 2^(i+1), and slot 0 also counts v == 0.
 * Since values are integers, every value of slots 0..i is <= 2^(i+1) - 1,
 * so the cumulative bucket of slot i is exported with
 *     le = (2^(i+1) - 1) * scale
 * (scale converts the raw unit to the base unit, e.g. 1e-9 for ns). The
 * last slot is taken as open-ended, because the BPF side clamps larger
 * values into it (bpf/common.bpf.h log2_slot): it gets no finite le and
 * is counted only in le="+Inf". Buckets for slots 0..nslots-2 are always
 * written, then +Inf, so the bucket set of a series never changes between
 * scrapes.
 *
 * The registry is not thread-safe; one owner (the coordinator loop) sets
 * values and renders.
 *
 * Wiring for `swarm run` / `swarm soak` (--metrics-file, --metrics-listen):
 *   metrics_new(&m); metrics_declare_swarm(m);
 *   if (listen) metrics_http_start(listen, &http);   // -EINVAL/-EADDRNOTAVAIL: usage
 *   epoll: add metrics_http_fd(http) for EPOLLIN; when ready, and on every
 *          tick (>= 1/s), call metrics_http_step(http, 0)
 *   every interval: metrics_set(m, "swarm_agents", &role, 1, alive);
 *                   metrics_set_log2(m, "swarm_latency_seconds", NULL, 0,
 *                                    slots, nslots, 1e-9, sum_ns * 1e-9);
 *                   if (file) metrics_write_file(m, file);
 *                   if (http) metrics_http_publish(http, m);
 *
 * ---------------------------------------------------------------------
 * Metric names swarm exports (declared by metrics_declare_swarm(); the
 * coordinator and `swarm soak` set them). Labels in braces.
 *
 *  gauges
 *   swarm_up                      1 while the master runs
 *   swarm_build_info{version}     1; the version as a label
 *   swarm_agents{role}            agents alive now; role="worker"|"coordinator"
 *   swarm_agents_target{role}     agents the run asked for
 *   swarm_coordination_seconds    start to completion of the last round
 *   swarm_delivery_ratio          delivered / expected of the last round, 0..1
 *   swarm_shm_bytes               bytes the bus occupies on tmpfs (allocated)
 *   swarm_shm_free_bytes          free bytes left on the bus filesystem
 *   swarm_fds{process}            open fds; process="master"|"coordinator"
 *                                 (summed over coordinators)|"agents"
 *   swarm_fds_max_per_process{process}  highest open-fd count of one process
 *   swarm_rss_bytes{process}      resident memory, same process label
 *   swarm_inbox_depth_max         deepest inbox (messages not yet committed)
 *   swarm_bpf_signals{signal}     1 if the BPF signal is loaded, else 0;
 *                                 signal="spawn"|"flock"|"fd"|"latency"
 *  counters
 *   swarm_agents_spawned_total{role}    agents started
 *   swarm_agent_exits_total{role,outcome}  outcome="ok"|"failed"|"killed"|"hung"
 *   swarm_messages_total          messages accepted by inboxes (sent)
 *   swarm_delivered_total         messages committed by their readers
 *   swarm_failed_total            tasks reported failed (MSG_FAIL or agent died)
 *   swarm_duplicates_total        resends suppressed by (sender, seq)
 *   swarm_corrupt_frames_total    frames skipped: bad magic/length/crc
 *   swarm_inbox_full_total        sends refused with -ENOBUFS (backpressure)
 *   swarm_rounds_total            rounds completed (soak)
 *   swarm_coordinator_restarts_total  dead coordinators replaced (hybrid)
 *   swarm_bpf_ringbuf_drops_total{signal}  events lost by a full ring buffer
 *  histograms (log2, from the BPF maps, raw ns unless said otherwise)
 *   swarm_latency_seconds         write -> read latency of bus messages
 *   swarm_spawn_seconds           fork -> exec of agents
 *   swarm_agent_runtime_seconds   exec -> exit of agents
 *   swarm_flock_wait_seconds      time waiting for an inbox flock
 * ---------------------------------------------------------------------
 */
#ifndef SWARM_METRICS_H
#define SWARM_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define METRICS_LOG2_MAX_SLOTS 64
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

struct metric_label {
	const char *name;
	const char *value;
};

struct metrics;

int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);

/* Declare a family once (re-declaring with the same type is a no-op;
 * another type is -EEXIST). help may be NULL. -EINVAL on a bad name. */
int metrics_declare(struct metrics *m, const char *name, enum metric_type t,
		    const char *help);
/* Declare every swarm_* family listed above. */
int metrics_declare_swarm(struct metrics *m);

/* Set the sample of a counter or gauge with these labels (nl may be 0).
 * -ENOENT: family not declared; -EINVAL: bad label, wrong type, or a
 * negative/NaN counter. */
int metrics_set(struct metrics *m, const char *name,
		const struct metric_label *l, size_t nl, double v);
/* Add delta (>= 0 for counters) to the sample, creating it at 0. */
int metrics_add(struct metrics *m, const char *name,
		const struct metric_label *l, size_t nl, double delta);
/* Replace a histogram sample with log2 slots (nslots 1..64, raw units),
 * scale to base units (> 0, finite), and the sum of observed values in
 * base units. */
int metrics_set_log2(struct metrics *m, const char *name,
		     const struct metric_label *l, size_t nl,
		     const uint64_t *slots, size_t nslots, double scale,
		     double sum);
/* For callers whose kernel histogram keeps no sum: an estimate of the sum
 * in raw units, taking each slot's values at its midpoint 1.5 * 2^i
 * (slot 0 at 0.5); values clamped into the top slot make it an
 * underestimate. Prefer a sum kept by the BPF side; say so where you use
 * this. */
double metrics_log2_sum_estimate(const uint64_t *slots, size_t nslots);

/* Render the exposition text. */
int metrics_write(const struct metrics *m, FILE *f);
/* Malloc'd text in *text (NUL-terminated), its length in *len. */
int metrics_render(const struct metrics *m, char **text, size_t *len);
/* node_exporter textfile collector: write a hidden temp file in the same
 * directory (so the collector never reads a partial file and rename is
 * atomic), fsync, chmod 0644, rename over path. */
int metrics_write_file(const struct metrics *m, const char *path);

#endif
