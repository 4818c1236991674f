/* Emit a sample registry with every swarm_* family filled in, for the
 * promtool test:
 *   metrics_sample                       exposition text on stdout
 *   metrics_sample --file PATH           textfile collector write
 *   metrics_sample --listen SPEC --requests N
 *                                        print the port, serve N responses
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "metrics_http.h"
#include "swarm.h"
#include "util.h"

static int fill(struct metrics *m)
{
	static const char *roles[] = { "worker", "coordinator" };
	static const char *procs[] = { "master", "coordinator", "agents" };
	static const char *sigs[] = { "spawn", "flock", "fd", "latency" };
	struct metric_label ver = { "version", SWARM_VERSION };
	struct metric_label odd = { "inbox", "w\"1\\\nx" };
	struct metric_label l[2];
	uint64_t lat[27] = { 0 }, spawn[32] = { 0 };
	int err = metrics_declare_swarm(m), i;

	for (i = 0; i < 27; i++)
		lat[i] = (uint64_t)(i * 7 % 11);
	spawn[18] = 40;
	spawn[19] = 60;
	err = err ?: metrics_set(m, "swarm_up", NULL, 0, 1);
	err = err ?: metrics_set(m, "swarm_build_info", &ver, 1, 1);
	for (i = 0; i < 2 && !err; i++) {
		l[0] = (struct metric_label){ "role", roles[i] };
		l[1] = (struct metric_label){ "outcome", "ok" };
		err = metrics_set(m, "swarm_agents", l, 1, i ? 10 : 990);
		err = err ?: metrics_set(m, "swarm_agents_target", l, 1, i ? 10 : 1000);
		err = err ?: metrics_set(m, "swarm_agents_spawned_total", l, 1, i ? 10 : 1000);
		err = err ?: metrics_set(m, "swarm_agent_exits_total", l, 2, i ? 0 : 10);
	}
	for (i = 0; i < 3 && !err; i++) {
		l[0] = (struct metric_label){ "process", procs[i] };
		err = metrics_set(m, "swarm_fds", l, 1, 100.0 * (i + 1));
		err = err ?: metrics_set(m, "swarm_fds_max_per_process", l, 1, 40 + i);
		err = err ?: metrics_set(m, "swarm_rss_bytes", l, 1, 4096.0 * 1000 * (i + 1));
	}
	for (i = 0; i < 4 && !err; i++) {
		l[0] = (struct metric_label){ "signal", sigs[i] };
		err = metrics_set(m, "swarm_bpf_signals", l, 1, 1);
		err = err ?: metrics_set(m, "swarm_bpf_ringbuf_drops_total", l, 1, 0);
	}
	err = err ?: metrics_set(m, "swarm_coordination_seconds", NULL, 0, 1.25);
	err = err ?: metrics_set(m, "swarm_delivery_ratio", NULL, 0, 1);
	err = err ?: metrics_set(m, "swarm_shm_bytes", NULL, 0, 73728000);
	err = err ?: metrics_set(m, "swarm_shm_free_bytes", NULL, 0, 1e9);
	err = err ?: metrics_set(m, "swarm_inbox_depth_max", NULL, 0, 3);
	err = err ?: metrics_set(m, "swarm_messages_total", NULL, 0, 123456);
	err = err ?: metrics_set(m, "swarm_delivered_total", NULL, 0, 123450);
	err = err ?: metrics_set(m, "swarm_failed_total", NULL, 0, 2);
	err = err ?: metrics_set(m, "swarm_duplicates_total", NULL, 0, 4);
	err = err ?: metrics_set(m, "swarm_corrupt_frames_total", NULL, 0, 0);
	err = err ?: metrics_set(m, "swarm_inbox_full_total", NULL, 0, 0);
	err = err ?: metrics_set(m, "swarm_rounds_total", NULL, 0, 3);
	err = err ?: metrics_set(m, "swarm_coordinator_restarts_total", NULL, 0, 0);
	err = err ?: metrics_set_log2(m, "swarm_latency_seconds", NULL, 0, lat, 27, 1e-9,
				      metrics_log2_sum_estimate(lat, 27) * 1e-9);
	err = err ?: metrics_set_log2(m, "swarm_latency_seconds", &odd, 1, lat, 27, 1e-9, 0.5);
	err = err ?: metrics_set_log2(m, "swarm_spawn_seconds", NULL, 0, spawn, 32, 1e-9, 0.04);
	err = err ?: metrics_set_log2(m, "swarm_agent_runtime_seconds", NULL, 0, spawn, 32,
				      1e-9, 0.05);
	err = err ?: metrics_set_log2(m, "swarm_flock_wait_seconds", NULL, 0, lat, 20, 1e-9, 0);
	return err;
}

static int serve(struct metrics *m, const char *spec, uint64_t requests)
{
	struct metrics_http *h;
	uint64_t done = 0, deadline = now_ns() + 30ull * 1000000000ull;
	int err = metrics_http_start(spec, &h);

	if (err)
		return err;
	err = metrics_http_publish(h, m);
	printf("%u\n", metrics_http_port(h));
	fflush(stdout);
	while (!err && done < requests && now_ns() < deadline) {
		int n = metrics_http_step(h, 100);
		if (n < 0)
			err = n;
		else
			done += (uint64_t)n;
	}
	if (!err && done < requests)
		err = -ETIMEDOUT;
	metrics_http_stop(h);
	return err;
}

int main(int argc, char **argv)
{
	struct metrics *m;
	uint64_t requests = 1;
	int err;

	if (metrics_new(&m))
		return 3;
	err = fill(m);
	if (!err && argc == 1)
		err = metrics_write(m, stdout);
	else if (!err && argc == 3 && !strcmp(argv[1], "--file"))
		err = metrics_write_file(m, argv[2]);
	else if (!err && argc == 5 && !strcmp(argv[1], "--listen") &&
		 !strcmp(argv[3], "--requests") && !parse_u64(argv[4], &requests))
		err = serve(m, argv[2], requests);
	else if (!err) {
		fprintf(stderr, "usage: metrics_sample [--file PATH | --listen SPEC --requests N]\n");
		metrics_free(m);
		return 2;
	}
	metrics_free(m);
	if (err) {
		fprintf(stderr, "metrics_sample: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
