/* The swarm_* metric families, in one table so names, types and help text
 * live in one place (documented in user/metrics/metrics.h). */
#include "metrics.h"

struct family_def {
	const char *name;
	enum metric_type type;
	const char *help;
};

static const struct family_def swarm_families[] = {
	{ "swarm_up", METRIC_GAUGE, "1 while the swarm master runs." },
	{ "swarm_build_info", METRIC_GAUGE, "Always 1; the swarm version is a label." },
	{ "swarm_agents", METRIC_GAUGE, "Agents alive now, by role." },
	{ "swarm_agents_target", METRIC_GAUGE, "Agents the run asked for, by role." },
	{ "swarm_coordination_seconds", METRIC_GAUGE,
	  "Start to completion of the last round." },
	{ "swarm_delivery_ratio", METRIC_GAUGE,
	  "Delivered over expected messages of the last round (0..1)." },
	{ "swarm_shm_bytes", METRIC_GAUGE, "Bytes the bus occupies on its tmpfs." },
	{ "swarm_shm_free_bytes", METRIC_GAUGE, "Free bytes on the bus filesystem." },
	{ "swarm_fds", METRIC_GAUGE, "Open file descriptors, by process kind." },
	{ "swarm_fds_max_per_process", METRIC_GAUGE,
	  "Highest open-fd count of one process, by process kind." },
	{ "swarm_rss_bytes", METRIC_GAUGE, "Resident memory, by process kind." },
	{ "swarm_inbox_depth_max", METRIC_GAUGE,
	  "Messages stored but not committed in the deepest inbox." },
	{ "swarm_bpf_signals", METRIC_GAUGE, "1 if the BPF signal is loaded, else 0." },
	{ "swarm_agents_spawned_total", METRIC_COUNTER, "Agents started, by role." },
	{ "swarm_agent_exits_total", METRIC_COUNTER, "Agent exits, by role and outcome." },
	{ "swarm_messages_total", METRIC_COUNTER, "Messages accepted by inboxes." },
	{ "swarm_delivered_total", METRIC_COUNTER, "Messages committed by their readers." },
	{ "swarm_failed_total", METRIC_COUNTER, "Tasks reported failed." },
	{ "swarm_duplicates_total", METRIC_COUNTER,
	  "Resent messages suppressed by sender sequence number." },
	{ "swarm_corrupt_frames_total", METRIC_COUNTER,
	  "Frames skipped for a bad magic, length or CRC." },
	{ "swarm_inbox_full_total", METRIC_COUNTER,
	  "Sends refused because the inbox was full (backpressure)." },
	{ "swarm_rounds_total", METRIC_COUNTER, "Rounds completed." },
	{ "swarm_coordinator_restarts_total", METRIC_COUNTER,
	  "Dead coordinators replaced." },
	{ "swarm_bpf_ringbuf_drops_total", METRIC_COUNTER,
	  "BPF events lost to a full ring buffer, by signal." },
	{ "swarm_latency_seconds", METRIC_HISTOGRAM,
	  "Write to read latency of bus messages (log2 buckets)." },
	{ "swarm_spawn_seconds", METRIC_HISTOGRAM, "Fork to exec of agents (log2 buckets)." },
	{ "swarm_agent_runtime_seconds", METRIC_HISTOGRAM,
	  "Exec to exit of agents (log2 buckets)." },
	{ "swarm_flock_wait_seconds", METRIC_HISTOGRAM,
	  "Time spent waiting for an inbox flock (log2 buckets)." },
};

int metrics_declare_swarm(struct metrics *m)
{
	size_t i;
	int err;

	for (i = 0; i < sizeof(swarm_families) / sizeof(swarm_families[0]); i++) {
		err = metrics_declare(m, swarm_families[i].name, swarm_families[i].type,
				      swarm_families[i].help);
		if (err)
			return err;
	}
	return 0;
}
