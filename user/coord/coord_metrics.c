/* swarm run's Prometheus metrics: file and loopback HTTP (see metrics.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coord_metrics.h"
#include "metrics.h"
#include "metrics_http.h"
#include "swarm.h"

struct coord_metrics {
	struct metrics *m;
	struct metrics_http *http;
	const char *file;
};

int coord_metrics_new(const char *file, const char *listen,
		      struct coord_metrics **out)
{
	struct coord_metrics *cm = calloc(1, sizeof(*cm));
	int err;

	if (!cm)
		return -ENOMEM;
	cm->file = file;
	err = metrics_new(&cm->m);
	if (!err)
		err = metrics_declare_swarm(cm->m);
	if (!err && listen)
		err = metrics_http_start(listen, &cm->http);
	if (err) {
		coord_metrics_free(cm);
		return err;
	}
	*out = cm;
	return 0;
}

void coord_metrics_free(struct coord_metrics *cm)
{
	if (!cm)
		return;
	if (cm->http)
		metrics_http_stop(cm->http);
	if (cm->m)
		metrics_free(cm->m);
	free(cm);
}

int coord_metrics_fd(const struct coord_metrics *cm)
{
	return cm && cm->http ? metrics_http_fd(cm->http) : -1;
}

unsigned coord_metrics_port(const struct coord_metrics *cm)
{
	return cm && cm->http ? metrics_http_port(cm->http) : 0;
}

void coord_metrics_step(struct coord_metrics *cm)
{
	if (cm && cm->http)
		metrics_http_step(cm->http, 0);
}

static void role(struct metrics *m, const char *name, const char *r, double v)
{
	struct metric_label l = { "role", r };

	metrics_set(m, name, &l, 1, v);
}

static void proc(struct metrics *m, const char *name, double v)
{
	struct metric_label l = { "process", "master" };

	metrics_set(m, name, &l, 1, v);
}

/* Sums are estimated from the slots (the BPF totals keep none). */
static void hist(struct metrics *m, const char *name, const uint32_t *slots)
{
	uint64_t v[HIST_SLOTS];
	int i;

	for (i = 0; i < HIST_SLOTS; i++)
		v[i] = slots[i];
	metrics_set_log2(m, name, NULL, 0, v, HIST_SLOTS, 1e-6,
			 metrics_log2_sum_estimate(v, HIST_SLOTS) * 1e-6);
}

static void publish_kernel(struct metrics *m, const struct coord_kernel *k)
{
	static const char *const names[] = { "spawn", "flock", "fd", "latency" };
	struct metric_label l = { "signal", NULL };
	unsigned i;

	for (i = 0; i < 4; i++) {
		l.value = names[i];
		metrics_set(m, "swarm_bpf_signals", &l, 1, (k->signals >> i) & 1);
	}
	/* only the spawn tracer sends events through a ring buffer */
	l.value = "spawn";
	metrics_set(m, "swarm_bpf_ringbuf_drops_total", &l, 1, (double)k->ringbuf_drops);
	if (k->signals & 8)
		hist(m, "swarm_latency_seconds", k->write_read_us);
	if (k->signals & 1) {
		hist(m, "swarm_spawn_seconds", k->fork_exec_us);
		hist(m, "swarm_agent_runtime_seconds", k->exec_exit_us);
	}
	if (k->signals & 2)
		hist(m, "swarm_flock_wait_seconds", k->flock_wait_us);
}

void coord_metrics_publish(struct coord_metrics *cm, const struct coord_sample *s)
{
	struct metric_label ver = { "version", SWARM_VERSION };
	struct metrics *m = cm->m;

	metrics_set(m, "swarm_up", NULL, 0, s->up);
	metrics_set(m, "swarm_build_info", &ver, 1, 1);
	role(m, "swarm_agents", "worker", s->workers_alive);
	role(m, "swarm_agents_target", "worker", s->workers_target);
	role(m, "swarm_agents_spawned_total", "worker", s->workers_spawned);
	if (s->coords_target) {
		role(m, "swarm_agents", "coordinator", s->coords_alive);
		role(m, "swarm_agents_target", "coordinator", s->coords_target);
		role(m, "swarm_agents_spawned_total", "coordinator", s->coords_spawned);
		metrics_set(m, "swarm_coordinator_restarts_total", NULL, 0,
			    (double)s->restarts);
	}
	metrics_set(m, "swarm_coordination_seconds", NULL, 0, s->coordination_s);
	metrics_set(m, "swarm_delivery_ratio", NULL, 0, s->delivery_ratio);
	metrics_set(m, "swarm_shm_bytes", NULL, 0, (double)s->shm_bytes);
	metrics_set(m, "swarm_shm_free_bytes", NULL, 0, (double)s->shm_free_bytes);
	proc(m, "swarm_fds", s->fds);
	proc(m, "swarm_fds_max_per_process", s->fds);
	proc(m, "swarm_rss_bytes", (double)s->rss_bytes);
	metrics_set(m, "swarm_messages_total", NULL, 0, (double)s->messages);
	metrics_set(m, "swarm_failed_total", NULL, 0, (double)s->failed);
	metrics_set(m, "swarm_duplicates_total", NULL, 0, (double)s->duplicates);
	if (s->kernel)
		publish_kernel(m, s->kernel);
	if (cm->file)
		metrics_write_file(m, cm->file);
	if (cm->http)
		metrics_http_publish(cm->http, m);
}
