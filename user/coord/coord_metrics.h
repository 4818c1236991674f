/*
 * Prometheus metrics of a running `swarm run` (--metrics-file,
 * --metrics-listen): the swarm_* families of metrics.h that the master
 * knows, sampled once a second and at the end.
 */
#ifndef SWARM_COORD_METRICS_H
#define SWARM_COORD_METRICS_H

#include <stdint.h>

#include "hist.h"

struct coord_metrics;

/* Kernel-side histograms (log2 slots of microseconds, bpf/hist.h),
 * filled by the tracing hook (struct run_hooks.kernel_sample). */
struct coord_kernel {
	unsigned signals;             /* TRACE_* bits that are loaded */
	uint32_t write_read_us[HIST_SLOTS];
	uint32_t fork_exec_us[HIST_SLOTS];
	uint32_t exec_exit_us[HIST_SLOTS];
	uint32_t flock_wait_us[HIST_SLOTS];
	uint64_t ringbuf_drops;
};

struct coord_sample {
	unsigned workers_alive, workers_target, coords_alive, coords_target;
	unsigned workers_spawned, coords_spawned, fds;
	uint64_t rss_bytes, shm_bytes, shm_free_bytes;
	uint64_t delivered, failed, duplicates, messages, restarts;
	double coordination_s, delivery_ratio;
	int up;
	const struct coord_kernel *kernel;  /* NULL: not traced */
};

/* file and listen may be NULL. Returns -EINVAL / -EADDRNOTAVAIL for a bad
 * --metrics-listen. */
int coord_metrics_new(const char *file, const char *listen,
		      struct coord_metrics **out);
void coord_metrics_free(struct coord_metrics *cm);
/* The HTTP endpoint's fd for the epoll loop (-1 without one) and port. */
int coord_metrics_fd(const struct coord_metrics *cm);
unsigned coord_metrics_port(const struct coord_metrics *cm);
/* Serve ready requests (when the fd is readable, and once a second). */
void coord_metrics_step(struct coord_metrics *cm);
/* Publish a sample (file rewritten, HTTP body replaced). */
void coord_metrics_publish(struct coord_metrics *cm, const struct coord_sample *s);

#endif
